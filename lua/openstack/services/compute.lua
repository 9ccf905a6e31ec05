--- Compute (Nova v2.1): resources as data, proxy methods as data, and the
-- few genuinely special calls written by hand.
-- @module openstack.services.compute
local resource = require "openstack.resource"
local proxy = require "openstack.proxy"
local errors = require "openstack.errors"

local R = {}

R.Server = resource.define {
  name = "Server", base_path = "/servers", detail_path = "/servers/detail",
  resource_key = "server", resources_key = "servers",
  allow = "create get update delete list",
  attrs = {
    id = "id", name = "name", links = "links", status = "status", progress = "progress",
    access_ipv4 = "accessIPv4", access_ipv6 = "accessIPv6", addresses = "addresses",
    created_at = "created", updated_at = "updated", flavor_id = "flavorRef", flavor = "flavor",
    image_id = "imageRef", image = "image", host_id = "hostId", metadata = { "metadata", type = "object" },
    project_id = "tenant_id", user_id = "user_id", key_name = "key_name", disk_config = "OS-DCF:diskConfig",
    config_drive = "config_drive", availability_zone = "OS-EXT-AZ:availability_zone",
    power_state = "OS-EXT-STS:power_state", task_state = "OS-EXT-STS:task_state",
    vm_state = "OS-EXT-STS:vm_state", attached_volumes = "os-extended-volumes:volumes_attached",
    launched_at = "OS-SRV-USG:launched_at", terminated_at = "OS-SRV-USG:terminated_at",
    security_groups = { "security_groups", type = "list" }, admin_password = "adminPass",
    personality = { "personality", type = "list" }, user_data = "OS-EXT-SRV-ATTR:user_data",
    block_device_mapping = { "block_device_mapping_v2", type = "list" },
    scheduler_hints = "OS-SCH-HNT:scheduler_hints", networks = "networks",
    compute_host = "OS-EXT-SRV-ATTR:host", hypervisor_hostname = "OS-EXT-SRV-ATTR:hypervisor_hostname",
    instance_name = "OS-EXT-SRV-ATTR:instance_name", hostname = "OS-EXT-SRV-ATTR:hostname",
    reservation_id = "OS-EXT-SRV-ATTR:reservation_id", launch_index = "OS-EXT-SRV-ATTR:launch_index",
    kernel_id = "OS-EXT-SRV-ATTR:kernel_id", ramdisk_id = "OS-EXT-SRV-ATTR:ramdisk_id",
    root_device_name = "OS-EXT-SRV-ATTR:root_device_name", is_locked = "locked",
    locked_reason = "locked_reason", host_status = "host_status", description = "description",
    tags = { "tags", type = "list" }, trusted_image_certificates = "trusted_image_certificates",
    fault = "fault", min_count = "min_count", max_count = "max_count", return_reservation_id = "return_reservation_id",
  },
  query = {
    "image", "flavor", "name", "status", "host", "all_tenants", "sort_key", "sort_dir", "reservation_id",
    "tags", "project_id", "access_ip_v4", "access_ip_v6", "auto_disk_config", "availability_zone",
    "config_drive", "created_at", "description", "hostname", "kernel_id", "key_name", "launch_index",
    "launched_at", "locked_by", "node", "power_state", "progress", "ramdisk_id", "root_device_name",
    "soft_deleted", "task_state", "terminated_at", "user_id", "uuid", "vm_state", "locked",
    tags_any = "tags-any", not_tags = "not-tags", not_tags_any = "not-tags-any", is_deleted = "deleted",
    ipv4_address = "ip", ipv6_address = "ip6", changes_since = "changes-since", changes_before = "changes-before",
  },
  methods = {
    reboot = function(self, reboot_type) return self:proxy():reboot_server(self, reboot_type) end,
  },
}

R.Flavor = resource.define {
  name = "Flavor", base_path = "/flavors", detail_path = "/flavors/detail",
  resource_key = "flavor", resources_key = "flavors",
  allow = "create get delete list",
  attrs = {
    id = "id", name = "name", description = "description", links = "links",
    ram = { "ram", type = "integer" }, vcpus = { "vcpus", type = "integer" }, disk = { "disk", type = "integer" },
    ephemeral = { "OS-FLV-EXT-DATA:ephemeral", type = "integer" }, swap = "swap",
    rxtx_factor = { "rxtx_factor", type = "number" }, is_public = { "os-flavor-access:is_public", type = "boolean" },
    is_disabled = "OS-FLV-DISABLED:disabled", extra_specs = "extra_specs",
  },
  query = { "sort_key", "sort_dir", "is_public", min_disk = "minDisk", min_ram = "minRam" },
}

-- Server create: Nova wants scheduler hints beside "server", not inside it.
local function prepare_server(body, wire)
  local hints = wire["OS-SCH-HNT:scheduler_hints"]
  if hints ~= nil then
    wire["OS-SCH-HNT:scheduler_hints"] = nil
    body["OS-SCH-HNT:scheduler_hints"] = hints
  end
  local az = wire["OS-EXT-AZ:availability_zone"]
  if az ~= nil then wire["OS-EXT-AZ:availability_zone"], wire.availability_zone = nil, az end
  local ud = wire["OS-EXT-SRV-ATTR:user_data"]
  if ud ~= nil then wire["OS-EXT-SRV-ATTR:user_data"], wire.user_data = nil, ud end
  return body
end

local reboot_types = { SOFT = true, HARD = true }

local methods = {
  create_server = { op = "create", resource = R.Server, prepare = prepare_server },
  get_server = { op = "get", resource = R.Server },
  find_server = { op = "find", resource = R.Server },
  servers = { op = "list", resource = R.Server, details = true },
  update_server = { op = "update", resource = R.Server },
  wait_for_server = { op = "wait", resource = R.Server, defaults = { status = "ACTIVE", failures = { "ERROR" } } },
  start_server = { op = "action", resource = R.Server, action = "os-start" },
  stop_server = { op = "action", resource = R.Server, action = "os-stop" },
  reboot_server = {
    op = "action", resource = R.Server, action = "reboot", nargs = 1,
    body = function(fname, reboot_type)
      if not reboot_types[reboot_type] then
        errors.raise("InvalidArgument", fname .. ": reboot type must be \"SOFT\" or \"HARD\", got "
          .. tostring(reboot_type), { argument = "reboot_type" }, 4)
      end
      return { type = reboot_type }
    end,
  },
  create_flavor = { op = "create", resource = R.Flavor },
  get_flavor = { op = "get", resource = R.Flavor },
  find_flavor = { op = "find", resource = R.Flavor },
  flavors = { op = "list", resource = R.Flavor, details = true },
  delete_flavor = { op = "delete", resource = R.Flavor },
}

local custom = {}

--- delete_server(server, {ignore_missing=true, force=false}): force goes
-- through the forceDelete action, with the same 404 handling.
function custom:delete_server(server, opts)
  opts = opts or {}
  if not opts.force then return self:_delete(R.Server, server, { opts = opts }, "delete_server") end
  local ok, err = pcall(self._request, self, "POST",
    "/servers/" .. proxy.escape_segment(resource.id_of(R.Server, server, "delete_server", "server")) .. "/action",
    { json = { forceDelete = require("openstack.json").null }, accept = "",
      microversion = self:_pick_microversion("delete_server", R.Server, nil, opts) })
  if not ok then
    if errors.is(err, "NotFound") and opts.ignore_missing ~= false then return nil end
    error(err, 0)
  end
end

return proxy.service {
  name = "compute", service_type = "compute", microversion_name = "compute",
  max_microversion = "2.91", resources = R, methods = methods, custom = custom,
}
