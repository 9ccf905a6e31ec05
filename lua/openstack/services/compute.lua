--- Compute (Nova v2.1): `conn.compute`. Resources are data
-- (compute/resources.lua), the proxy methods are specs built by the generic
-- machinery (below, and the server actions in compute/actions.lua), and
-- the few genuinely special calls are written by hand (compute/custom.lua).
-- @module openstack.services.compute
local json = require "openstack.json"
local proxy = require "openstack.proxy"
local resource = require "openstack.resource"
local check = require "openstack.services.compute.check"
local R = require "openstack.services.compute.resources"
local actions = require "openstack.services.compute.actions"
local custom = require "openstack.services.compute.custom"

-- The default microversion: the cloud's maximum, at most this.
local MAX_MICROVERSION = "2.91"

local function at_least(mv, v) return mv ~= nil and proxy.compare_versions(mv, v) >= 0 end

-- ---------------------------------------------------------------- create/update checks

local SERVER_UPDATABLE = {
  name = true, accessIPv4 = true, accessIPv6 = true, ["OS-DCF:diskConfig"] = true, description = true,
  ["OS-EXT-SRV-ATTR:hostname"] = true,
}

local function check_disk_config(fname, wire)
  local v = wire["OS-DCF:diskConfig"]
  if v ~= nil then check.one_of(fname, "disk_config", v, { "AUTO", "MANUAL" }) end
end

-- Server create: name and flavor are required, networks too from 2.37;
-- Nova wants scheduler hints beside "server" and a few keys renamed.
local function prepare_server(body, wire, _, mv)
  local fname = "create_server"
  check.required(fname, wire, { "name", { "flavorRef", "flavor_id" } })
  for _, k in ipairs({ { "flavorRef", "flavor_id", R.Flavor }, { "imageRef", "image_id", R.Image } }) do
    if type(wire[k[1]]) == "table" then wire[k[1]] = resource.id_of(k[3], wire[k[1]], fname, k[2]) end
  end
  local networks = wire.networks
  if networks == nil then
    if at_least(mv, "2.37") then
      check.fail(fname, "networks", "attribute 'networks' is required from microversion 2.37 "
        .. "(a list of {uuid=|port=|fixed_ip=|tag=}, \"auto\" or \"none\")")
    end
  elseif type(networks) == "string" then
    check.one_of(fname, "networks", networks, { "auto", "none" })
    if not at_least(mv, "2.37") then check.fail(fname, "networks", "networks \"auto\"/\"none\" need microversion 2.37") end
  elseif type(networks) == "table" then
    if next(networks) == nil then wire.networks = json.array() end
  else
    check.fail(fname, "networks", "attribute 'networks' must be a list, \"auto\" or \"none\", got " .. type(networks))
  end
  check_disk_config(fname, wire)
  if wire["OS-EXT-SRV-ATTR:user_data"] and #wire["OS-EXT-SRV-ATTR:user_data"] > 65535 then
    check.fail(fname, "user_data", "attribute 'user_data' is longer than 65535 bytes")
  end
  local hints = wire["OS-SCH-HNT:scheduler_hints"]
  if hints ~= nil then
    wire["OS-SCH-HNT:scheduler_hints"] = nil
    body["OS-SCH-HNT:scheduler_hints"] = hints
  end
  for wire_name, sent_as in pairs({ ["OS-EXT-AZ:availability_zone"] = "availability_zone",
    ["OS-EXT-SRV-ATTR:user_data"] = "user_data", ["OS-EXT-SRV-ATTR:hostname"] = "hostname" }) do
    if wire[wire_name] ~= nil then wire[wire_name], wire[sent_as] = nil, wire[wire_name] end
  end
  return body
end

local function prepare_server_update(body, wire)
  local fname = "update_server"
  for k in pairs(wire) do
    if not SERVER_UPDATABLE[k] then
      check.fail(fname, k, ("attribute '%s' cannot be updated (updatable: access_ipv4, access_ipv6, "
        .. "description, disk_config, hostname, name)"):format(k))
    end
  end
  check_disk_config(fname, wire)
  if wire["OS-EXT-SRV-ATTR:hostname"] ~= nil then
    wire.hostname, wire["OS-EXT-SRV-ATTR:hostname"] = wire["OS-EXT-SRV-ATTR:hostname"], nil
  end
  return body
end

local function prepare_flavor(body, wire)
  local fname = "create_flavor"
  check.required(fname, wire, { "name", "ram", "vcpus", "disk" })
  check.integer(fname, "ram", wire.ram, 1)
  check.integer(fname, "vcpus", wire.vcpus, 1)
  check.integer(fname, "disk", wire.disk, 0)
  return body
end

local function prepare_keypair(body, wire, _, mv)
  local fname = "create_keypair"
  check.required(fname, wire, { "name" })
  if wire.type ~= nil then check.one_of(fname, "type", wire.type, { "ssh", "x509" }) end
  if wire.public_key == nil and at_least(mv, "2.92") then
    check.fail(fname, "public_key", "attribute 'public_key' is required from microversion 2.92 "
      .. "(Nova no longer generates key pairs)")
  end
  return body
end

local SERVER_GROUP_POLICIES = { "affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity" }

local function prepare_server_group(body, wire, _, mv)
  local fname = "create_server_group"
  check.required(fname, wire, { "name" })
  local policies = wire.policies
  if policies ~= nil then
    if #policies ~= 1 then check.fail(fname, "policies", "attribute 'policies' must hold exactly one policy") end
    policies = policies[1]
  elseif wire.policy ~= nil then
    policies = wire.policy
  else
    check.fail(fname, "policies", "missing required attribute 'policies' (before 2.64) or 'policy' (from 2.64)")
  end
  check.one_of(fname, "policy", policies, SERVER_GROUP_POLICIES)
  if policies:find("^soft") and not at_least(mv, "2.15") then
    check.fail(fname, "policy", ("policy %q needs microversion 2.15"):format(policies))
  end
  if wire.rules ~= nil and policies ~= "anti-affinity" then
    check.fail(fname, "rules", "attribute 'rules' only goes with the \"anti-affinity\" policy")
  end
  return body
end

local function prepare_volume_attachment(body, wire)
  local fname = "create_volume_attachment"
  check.required(fname, wire, { { "volumeId", "volume_id" } })
  if type(wire.volumeId) == "table" then wire.volumeId = check.id(fname, "volume_id", wire.volumeId) end
  return body
end

local function prepare_interface(body, wire)
  local fname = "create_server_interface"
  if wire.port_id ~= nil and wire.net_id ~= nil then
    check.fail(fname, "port_id", "attributes 'port_id' and 'net_id' exclude each other")
  end
  if wire.fixed_ips ~= nil and wire.net_id == nil then
    check.fail(fname, "fixed_ips", "attribute 'fixed_ips' needs 'net_id'")
  end
  return body
end

-- ---------------------------------------------------------------- method specs

local methods = {
  -- servers
  create_server = { op = "create", resource = R.Server, prepare = prepare_server },
  get_server = { op = "get", resource = R.Server },
  find_server = { op = "find", resource = R.Server },
  servers = { op = "list", resource = R.Server, details = true },
  update_server = { op = "update", resource = R.Server, prepare = prepare_server_update },
  wait_for_server = { op = "wait", resource = R.Server, defaults = { status = "ACTIVE", failures = { "ERROR" } } },

  -- flavors
  create_flavor = { op = "create", resource = R.Flavor, prepare = prepare_flavor },
  get_flavor = { op = "get", resource = R.Flavor },
  find_flavor = { op = "find", resource = R.Flavor },
  flavors = { op = "list", resource = R.Flavor, details = true },
  delete_flavor = { op = "delete", resource = R.Flavor },

  -- images (the compute proxy, up to 2.35)
  images = { op = "list", resource = R.Image, details = true },
  get_image = { op = "get", resource = R.Image },
  find_image = { op = "find", resource = R.Image },
  delete_image = { op = "delete", resource = R.Image },

  -- keypairs
  create_keypair = { op = "create", resource = R.Keypair, prepare = prepare_keypair },
  get_keypair = { op = "get", resource = R.Keypair },
  find_keypair = { op = "find", resource = R.Keypair },
  keypairs = { op = "list", resource = R.Keypair },
  delete_keypair = { op = "delete", resource = R.Keypair },

  -- server groups
  create_server_group = { op = "create", resource = R.ServerGroup, prepare = prepare_server_group },
  get_server_group = { op = "get", resource = R.ServerGroup },
  find_server_group = { op = "find", resource = R.ServerGroup },
  server_groups = { op = "list", resource = R.ServerGroup },
  delete_server_group = { op = "delete", resource = R.ServerGroup },

  -- interfaces: (server, attrs) / (interface, {server=})
  create_server_interface = { op = "create", resource = R.ServerInterface, sig = { "parent", "attrs" },
    prepare = prepare_interface },
  get_server_interface = { op = "get", resource = R.ServerInterface, parent_option = "server" },
  delete_server_interface = { op = "delete", resource = R.ServerInterface, parent_option = "server" },
  server_interfaces = { op = "list", resource = R.ServerInterface, sig = { "parent" } },

  -- volume attachments: (server, attrs) / (attachment, server[, ...])
  create_volume_attachment = { op = "create", resource = R.VolumeAttachment, sig = { "parent", "attrs" },
    prepare = prepare_volume_attachment },
  get_volume_attachment = { op = "get", resource = R.VolumeAttachment, sig = { "res", "parent" } },
  delete_volume_attachment = { op = "delete", resource = R.VolumeAttachment, sig = { "res", "parent" } },
  volume_attachments = { op = "list", resource = R.VolumeAttachment, sig = { "parent" } },

  -- hypervisors, zones, services, extensions
  get_hypervisor = { op = "get", resource = R.Hypervisor },
  find_hypervisor = { op = "find", resource = R.Hypervisor },
  hypervisors = { op = "list", resource = R.Hypervisor, details = false },
  availability_zones = { op = "list", resource = R.AvailabilityZone, details = false },
  services = { op = "list", resource = R.Service },
  get_extension = { op = "get", resource = R.Extension },
  find_extension = { op = "find", resource = R.Extension },
  extensions = { op = "list", resource = R.Extension },
}

for name, spec in pairs(actions) do
  assert(methods[name] == nil and custom[name] == nil, "compute method defined twice: " .. name)
  methods[name] = spec
end
for name in pairs(custom) do
  assert(methods[name] == nil, "compute method defined twice: " .. name)
end

return proxy.service {
  name = "compute", service_type = "compute", microversion_name = "compute",
  max_microversion = MAX_MICROVERSION, resources = R, methods = methods, custom = custom,
}
