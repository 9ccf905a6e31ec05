-- boot_server.lua: boots a server from an image and a flavor found by name,
-- waits until it is ACTIVE, prints its addresses, then deletes it (unless
-- --keep). The README's first command runs this against the local cloud.
--
-- usage: ostack-lua examples/boot_server.lua [--image NAME] [--flavor NAME]
--          [--network NAME|none] [--name NAME] [--keep]
-- The cloud comes from OS_CLOUD / --os-cloud / OS_* (ostack-lua's `conn`).
local options = { image = "tiny-image", flavor = "m1.nano", network = "private", name = nil, keep = false }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--keep" then options.keep = true
  elseif a:match("^%-%-") and arg[i + 1] then options[a:sub(3)] = arg[i + 1]; i = i + 1
  else error("unknown argument " .. a) end
  i = i + 1
end
conn = conn or require("openstack").connect()

local image = conn.image:find_image(options.image, { ignore_missing = false })
local flavor = conn.compute:find_flavor(options.flavor, { ignore_missing = false })
print(("image  %s (%s)\nflavor %s (%d MiB, %d vCPU)"):format(image.name, image.id, flavor.name, flavor.ram, flavor.vcpus))

-- Networks belong to Neutron, which has no proxy yet: a raw request shows how.
local networks = "none"
if options.network ~= "none" then
  local ok, resp = pcall(conn.request, conn, "network", "GET", "/v2.0/networks", { query = { name = options.network } })
  local net = ok and resp.body.networks[1]
  if net then networks = { { uuid = net.id } } else print("network " .. options.network .. " not found: booting without one") end
end

local name = options.name or ("example-" .. os.time())
local started = os.time()
local server = conn.compute:create_server {
  name = name, image_id = image.id, flavor_id = flavor.id, networks = networks,
  metadata = { purpose = "ostack-lua example" },
}
print("created " .. tostring(server))
server = conn.compute:wait_for_server(server, {
  status = "ACTIVE", wait = 300, interval = 1,
  callback = function(progress, s) io.write(("\r%s %s %s%%   "):format(s.name, s.status, progress or 0)) io.flush() end,
})
print(("\n%s is ACTIVE after %d s"):format(server.name, os.time() - started))
for network, addresses in pairs(server.addresses or {}) do
  for _, a in ipairs(addresses) do print(("  %s: %s (IPv%d)"):format(network, a.addr, a.version)) end
end
if not options.keep then
  conn.compute:delete_server(server)
  conn.compute:wait_for_delete(server, { wait = 120, interval = 1 })
  print("deleted " .. server.name)
end
