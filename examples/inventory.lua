-- inventory.lua: writes an inventory of the project's servers, volumes and
-- images, as JSON (one document with a list per kind) or as CSV (one row per
-- resource, with a kind column), for spreadsheets, audits or diffs between
-- two days.
--
-- usage: ostack-lua --os-cloud NAME examples/inventory.lua [--format json|csv]
--          [--output FILE] [--only servers,volumes,images] [--all-projects]
--   --format    json (default) or csv
--   --output    write to FILE instead of standard output
--   --only      a comma-separated subset of servers, volumes, images
-- example: ostack-lua --os-cloud local-demo examples/inventory.lua --format csv > inventory.csv
-- The cloud comes from --os-cloud / OS_CLOUD / OS_* (ostack-lua's `conn`).
local json = require "openstack.json"

local options = { format = "json", only = "servers,volumes,images", all_projects = false }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--all-projects" then options.all_projects = true
  elseif (a == "--format" or a == "--output" or a == "--only") and arg[i + 1] then
    options[a:sub(3)] = arg[i + 1]; i = i + 1
  else
    io.stderr:write("inventory.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
if options.format ~= "json" and options.format ~= "csv" then
  io.stderr:write("inventory.lua: --format must be json or csv\n")
  os.exit(2)
end
local wanted = {}
for kind in options.only:gmatch("[^,%s]+") do
  if kind ~= "servers" and kind ~= "volumes" and kind ~= "images" then
    io.stderr:write("inventory.lua: --only takes servers, volumes, images\n")
    os.exit(2)
  end
  wanted[kind] = true
end
conn = conn or require("openstack").connect()

local null = json.null
local function value(v) if v == null then return nil end return v end

-- Each kind: how to list it and which fields to keep (JSON keeps the
-- types; CSV flattens `details`).
local collect = {}

function collect.servers()
  local out = json.array()
  for s in conn.compute:servers { all_projects = options.all_projects or nil } do
    local addresses = {}
    for network, list in pairs(value(s.addresses) or {}) do
      for _, a in ipairs(list) do addresses[#addresses + 1] = network .. "=" .. a.addr end
    end
    table.sort(addresses)
    local flavor, image = value(s.flavor), value(s.image)
    out[#out + 1] = {
      id = s.id, name = s.name, status = s.status, created_at = s.created_at,
      flavor = type(flavor) == "table" and (flavor.original_name or flavor.id) or nil,
      image_id = type(image) == "table" and image.id or nil,  -- "" when booted from a volume
      addresses = json.array(addresses), project_id = value(s.project_id),
    }
  end
  return out
end

function collect.volumes()
  local out = json.array()
  for v in conn.block_store:volumes { all_projects = options.all_projects or nil } do
    local attached = {}
    for _, a in ipairs(value(v.attachments) or {}) do attached[#attached + 1] = a.server_id end
    out[#out + 1] = {
      id = v.id, name = value(v.name), status = v.status, created_at = v.created_at,
      size_gib = v.size, volume_type = value(v.volume_type), bootable = v.is_bootable == "true",
      attached_to = json.array(attached), project_id = value(v.project_id),
    }
  end
  return out
end

function collect.images()
  local out = json.array()
  for img in conn.image:images() do
    out[#out + 1] = {
      id = img.id, name = value(img.name), status = img.status, created_at = img.created_at,
      size = value(img.size), disk_format = value(img.disk_format), container_format = value(img.container_format),
      visibility = img.visibility, checksum = value(img.checksum), owner = value(img.owner),
    }
  end
  return out
end

local inventory = { generated_at = os.date("!%Y-%m-%dT%H:%M:%SZ"), cloud = conn.config.cloud }
for _, kind in ipairs({ "servers", "volumes", "images" }) do
  if wanted[kind] then inventory[kind] = collect[kind]() end
end

local out = io.stdout
if options.output then out = assert(io.open(options.output, "w")) end

if options.format == "json" then
  out:write(json.encode(inventory, { pretty = true }), "\n")
else
  local function csv(v)
    v = v == nil and "" or tostring(v)
    if v:find('[,"\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
    return v
  end
  local function row(...)
    local cells = table.pack(...)
    for k = 1, cells.n do cells[k] = csv(cells[k]) end
    out:write(table.concat(cells, ",", 1, cells.n), "\r\n")
  end
  row("kind", "id", "name", "status", "created_at", "size_bytes", "details")
  for _, s in ipairs(inventory.servers or {}) do
    row("server", s.id, s.name, s.status, s.created_at, nil,
      ("flavor=%s addresses=%s"):format(s.flavor or "", table.concat(s.addresses, " ")))
  end
  for _, v in ipairs(inventory.volumes or {}) do
    row("volume", v.id, v.name, v.status, v.created_at, v.size_gib * 1024 * 1024 * 1024,
      ("type=%s attached_to=%s"):format(v.volume_type or "", table.concat(v.attached_to, " ")))
  end
  for _, img in ipairs(inventory.images or {}) do
    row("image", img.id, img.name, img.status, img.created_at, img.size,
      ("disk_format=%s visibility=%s"):format(img.disk_format or "", img.visibility or ""))
  end
end
if out ~= io.stdout then
  out:close()
  io.stderr:write(("inventory written to %s: %d servers, %d volumes, %d images\n"):format(options.output,
    #(inventory.servers or {}), #(inventory.volumes or {}), #(inventory.images or {})))
end
