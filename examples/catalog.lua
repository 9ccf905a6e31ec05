-- catalog.lua: authenticates with the configured cloud and prints the
-- service catalog, the discovered API versions and the token's expiry
-- (never the token itself).
-- usage: ostack-lua --os-cloud local-admin examples/catalog.lua
conn = conn or require("openstack").connect()

local token = conn:authorize()
print(("user %s, project %s, token expires %s"):format(token.user_name or token.user_id,
  token.project_name or token.project_id or "(unscoped)", token.expires))
for _, e in ipairs(conn:catalog()) do
  if e.interface == "public" then
    print(("%-16s %-10s %-10s %s"):format(e.type, e.name, e.region, e.url))
  end
end
for _, service in ipairs({ "compute", "block-storage", "image" }) do
  local ok, ep = pcall(conn.endpoint, conn, service)
  if ok then
    print(("%-16s api %-6s microversions %s..%s"):format(service, ep.api_version,
      ep.min_microversion ~= "" and ep.min_microversion or "-", ep.max_microversion ~= "" and ep.max_microversion or "-"))
  end
end
