--- Compute (Nova v2.1) resources, as data: paths, keys, attributes
-- (friendly name -> wire name, with request-side microversion limits),
-- allowed operations and query parameters. See resources.md.
-- @module openstack.services.compute.resources
local resource = require "openstack.resource"

local R = {}

-- Natural methods of a Server: each one line delegating to the proxy
-- method of the same meaning (`s:reboot("HARD")` is
-- `conn.compute:reboot_server(s, "HARD")`).
local server_delegates = {
  reboot = "reboot_server", start = "start_server", stop = "stop_server",
  pause = "pause_server", unpause = "unpause_server", suspend = "suspend_server",
  resume = "resume_server", lock = "lock_server", unlock = "unlock_server",
  rescue = "rescue_server", unrescue = "unrescue_server", shelve = "shelve_server",
  unshelve = "unshelve_server", resize = "resize_server", confirm_resize = "confirm_server_resize",
  revert_resize = "revert_server_resize", rebuild = "rebuild_server", create_image = "create_server_image",
  backup = "backup_server", get_console_output = "get_server_console_output", migrate = "migrate_server",
  live_migrate = "live_migrate_server", evacuate = "evacuate_server", restore = "restore_server",
  reset_state = "reset_server_state", change_password = "change_server_password",
  get_password = "get_server_password", get_metadata = "get_server_metadata",
  set_metadata = "set_server_metadata", replace_metadata = "replace_server_metadata",
  delete_metadata = "delete_server_metadata", fetch_tags = "fetch_server_tags", set_tags = "set_server_tags",
  add_tag = "add_tag_to_server", remove_tag = "remove_tag_from_server", check_tag = "check_server_tag",
  remove_all_tags = "remove_tags_from_server", ips = "server_ips", interfaces = "server_interfaces",
  volume_attachments = "volume_attachments", delete = "delete_server", update = "update_server",
  add_security_group = "add_security_group_to_server",
  remove_security_group = "remove_security_group_from_server",
}
local image_delegates = {
  get_metadata = "get_image_metadata", set_metadata = "set_image_metadata",
  replace_metadata = "replace_image_metadata", delete_metadata = "delete_image_metadata",
}

local function delegates(map)
  local m = {}
  for natural, proxy_method in pairs(map) do
    m[natural] = function(self, ...)
      local p = self:proxy()
      return p[proxy_method](p, self, ...)
    end
  end
  return m
end

-- Resources whose natural key is not "id" also answer `r.id` with it.
local function id_from(key)
  return function(raw)
    local v = rawget(raw, key)
    if v ~= nil and rawget(raw, "id") ~= v then rawset(raw, "id", v) end
  end
end

R.Server = resource.define {
  name = "Server", base_path = "/servers", detail_path = "/servers/detail",
  resource_key = "server", resources_key = "servers",
  allow = "create get update delete list",
  attrs = {
    id = "id", name = { "name", type = "string" }, links = "links", status = "status", progress = "progress",
    access_ipv4 = { "accessIPv4", type = "string" }, access_ipv6 = { "accessIPv6", type = "string" },
    addresses = "addresses", created_at = "created", updated_at = "updated",
    flavor_id = "flavorRef", flavor = "flavor", image_id = "imageRef", image = "image", host_id = "hostId",
    metadata = { "metadata", type = "object" }, project_id = "tenant_id", user_id = "user_id",
    key_name = { "key_name", type = "string" }, disk_config = "OS-DCF:diskConfig",
    config_drive = "config_drive",
    availability_zone = { "OS-EXT-AZ:availability_zone", type = "string" },
    power_state = "OS-EXT-STS:power_state", task_state = "OS-EXT-STS:task_state",
    vm_state = "OS-EXT-STS:vm_state", attached_volumes = "os-extended-volumes:volumes_attached",
    launched_at = "OS-SRV-USG:launched_at", terminated_at = "OS-SRV-USG:terminated_at",
    security_groups = { "security_groups", type = "list" }, admin_password = { "adminPass", type = "string" },
    personality = { "personality", type = "list", max_microversion = "2.56" },
    user_data = { "OS-EXT-SRV-ATTR:user_data", type = "string" },
    block_device_mapping = { "block_device_mapping_v2", type = "list" },
    scheduler_hints = { "OS-SCH-HNT:scheduler_hints", type = "object" }, networks = "networks",
    compute_host = "OS-EXT-SRV-ATTR:host", hypervisor_hostname = "OS-EXT-SRV-ATTR:hypervisor_hostname",
    instance_name = "OS-EXT-SRV-ATTR:instance_name",
    hostname = { "OS-EXT-SRV-ATTR:hostname", type = "string", min_microversion = "2.90" },
    reservation_id = "OS-EXT-SRV-ATTR:reservation_id", launch_index = "OS-EXT-SRV-ATTR:launch_index",
    kernel_id = "OS-EXT-SRV-ATTR:kernel_id", ramdisk_id = "OS-EXT-SRV-ATTR:ramdisk_id",
    root_device_name = "OS-EXT-SRV-ATTR:root_device_name", is_locked = "locked",
    locked_reason = "locked_reason", host_status = "host_status",
    description = { "description", min_microversion = "2.19" },
    tags = { "tags", type = "list", min_microversion = "2.52" },
    trusted_image_certificates = { "trusted_image_certificates", type = "list", min_microversion = "2.63" },
    fault = "fault", min_count = { "min_count", type = "integer" }, max_count = { "max_count", type = "integer" },
    return_reservation_id = { "return_reservation_id", type = "boolean" },
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
  methods = delegates(server_delegates),
}

--- One address of a server (server_ips yields one per address).
R.ServerIP = resource.define {
  name = "ServerIP", base_path = "/servers/{server_id}/ips", resources_key = "addresses",
  id_key = "addr", allow = "list", paginated = false, normalize = id_from("addr"),
  attrs = { address = "addr", version = "version", network_label = "network_label", server_id = "server_id",
    mac_addr = "OS-EXT-IPS-MAC:mac_addr", type = "OS-EXT-IPS:type" },
}

R.Flavor = resource.define {
  name = "Flavor", base_path = "/flavors", detail_path = "/flavors/detail",
  resource_key = "flavor", resources_key = "flavors",
  allow = "create get delete list",
  -- Nova lists only public flavors unless asked; "None" means all an admin may see
  find_query = { is_public = "None" },
  attrs = {
    id = { "id", type = "string" }, name = { "name", type = "string" },
    description = { "description", type = "string", min_microversion = "2.55" }, links = "links",
    ram = { "ram", type = "integer" }, vcpus = { "vcpus", type = "integer" }, disk = { "disk", type = "integer" },
    ephemeral = { "OS-FLV-EXT-DATA:ephemeral", type = "integer" }, swap = { "swap", type = "integer" },
    rxtx_factor = { "rxtx_factor", type = "number" }, is_public = { "os-flavor-access:is_public", type = "boolean" },
    is_disabled = "OS-FLV-DISABLED:disabled", extra_specs = "extra_specs",
  },
  query = { "sort_key", "sort_dir", "is_public", min_disk = "minDisk", min_ram = "minRam" },
}

--- The compute image proxy: gone from microversion 2.36, so every call
-- on it is capped at 2.35.
R.Image = resource.define {
  name = "Image", base_path = "/images", detail_path = "/images/detail",
  resource_key = "image", resources_key = "images", allow = "get delete list",
  max_microversion = "2.35",
  attrs = {
    id = "id", name = "name", links = "links", metadata = { "metadata", type = "object" },
    progress = "progress", status = "status", created_at = "created", updated_at = "updated",
    min_disk = "minDisk", min_ram = "minRam", size = "OS-EXT-IMG-SIZE:size", server = "server",
  },
  query = { "server", "name", "status", "type", min_disk = "minDisk", min_ram = "minRam",
    changes_since = "changes-since" },
  methods = delegates(image_delegates),
}

--- Keypairs: the id is the name; list items come wrapped in "keypair".
R.Keypair = resource.define {
  name = "Keypair", base_path = "/os-keypairs", resource_key = "keypair", resources_key = "keypairs",
  id_key = "name", allow = "create get delete list", list_unwrap = "keypair",
  normalize = id_from("name"),
  attrs = {
    name = { "name", type = "string" }, public_key = { "public_key", type = "string" },
    private_key = "private_key", fingerprint = "fingerprint",
    type = { "type", type = "string", min_microversion = "2.2" },
    user_id = { "user_id", type = "string", min_microversion = "2.10" },
    created_at = "created_at", updated_at = "updated_at", deleted_at = "deleted_at", is_deleted = "deleted",
  },
  query = { "user_id" },
}

R.ServerGroup = resource.define {
  name = "ServerGroup", base_path = "/os-server-groups",
  resource_key = "server_group", resources_key = "server_groups",
  allow = "create get delete list", paginated = false,
  attrs = {
    id = "id", name = { "name", type = "string" }, metadata = { "metadata", type = "object" },
    policies = { "policies", type = "list", max_microversion = "2.63" },
    policy = { "policy", type = "string", min_microversion = "2.64" },
    rules = { "rules", type = "object", min_microversion = "2.64" },
    member_ids = "members", project_id = "project_id", user_id = "user_id",
  },
  query = { "all_projects", "offset" },
}

--- A port attached to a server: the id is the port id.
R.ServerInterface = resource.define {
  name = "ServerInterface", base_path = "/servers/{server_id}/os-interface",
  resource_key = "interfaceAttachment", resources_key = "interfaceAttachments",
  id_key = "port_id", allow = "create get delete list", paginated = false,
  normalize = id_from("port_id"),
  attrs = {
    port_id = { "port_id", type = "string" }, net_id = { "net_id", type = "string" },
    fixed_ips = { "fixed_ips", type = "list" }, mac_addr = "mac_addr", port_state = "port_state",
    tag = { "tag", type = "string", min_microversion = "2.49" }, server_id = "server_id",
  },
}

--- A volume attached to a server: the path id is the volume id (nova
-- drops "id" from the body at 2.89).
R.VolumeAttachment = resource.define {
  name = "VolumeAttachment", base_path = "/servers/{server_id}/os-volume_attachments",
  resource_key = "volumeAttachment", resources_key = "volumeAttachments",
  id_key = "volumeId", allow = "create get update delete list", paginated = false,
  normalize = id_from("volumeId"),
  attrs = {
    id = "id", volume_id = { "volumeId", type = "string" }, server_id = "serverId",
    device = { "device", type = "string" }, tag = { "tag", type = "string", min_microversion = "2.49" },
    delete_on_termination = { "delete_on_termination", type = "boolean", min_microversion = "2.79" },
    attachment_id = "attachment_id", bdm_id = "bdm_uuid",
  },
  query = { "offset" },
}

R.Hypervisor = resource.define {
  name = "Hypervisor", base_path = "/os-hypervisors", detail_path = "/os-hypervisors/detail",
  resource_key = "hypervisor", resources_key = "hypervisors", allow = "get list",
  attrs = {
    id = "id", name = "hypervisor_hostname", state = "state", status = "status",
    service_details = "service", vcpus = "vcpus", vcpus_used = "vcpus_used",
    memory_size = "memory_mb", memory_used = "memory_mb_used", memory_free = "free_ram_mb",
    local_disk_size = "local_gb", local_disk_used = "local_gb_used", local_disk_free = "free_disk_gb",
    disk_available = "disk_available_least", running_vms = "running_vms",
    current_workload = "current_workload", hypervisor_type = "hypervisor_type",
    hypervisor_version = "hypervisor_version", host_ip = "host_ip", cpu_info = "cpu_info",
    servers = "servers", uptime = "uptime",
  },
  query = { "hypervisor_hostname_pattern", "with_servers" },
}

R.HypervisorStatistics = resource.define {
  name = "HypervisorStatistics", base_path = "/os-hypervisors/statistics",
  resource_key = "hypervisor_statistics", allow = "get",
  attrs = {
    count = "count", current_workload = "current_workload", disk_available = "disk_available_least",
    local_disk_free = "free_disk_gb", memory_free = "free_ram_mb", local_disk_size = "local_gb",
    local_disk_used = "local_gb_used", memory_size = "memory_mb", memory_used = "memory_mb_used",
    running_vms = "running_vms", vcpus = "vcpus", vcpus_used = "vcpus_used",
  },
}

R.AvailabilityZone = resource.define {
  name = "AvailabilityZone", base_path = "/os-availability-zone", detail_path = "/os-availability-zone/detail",
  resources_key = "availabilityZoneInfo", id_key = "zoneName", allow = "list", paginated = false,
  normalize = id_from("zoneName"),
  attrs = { name = "zoneName", state = "zoneState", hosts = "hosts" },
}

R.AbsoluteLimits = resource.define {
  name = "AbsoluteLimits", allow = "",
  attrs = {
    image_meta = "maxImageMeta", personality = "maxPersonality", personality_size = "maxPersonalitySize",
    security_group_rules = "maxSecurityGroupRules", security_groups = "maxSecurityGroups",
    security_groups_used = "totalSecurityGroupsUsed", server_meta = "maxServerMeta",
    total_cores = "maxTotalCores", total_cores_used = "totalCoresUsed", floating_ips = "maxTotalFloatingIps",
    floating_ips_used = "totalFloatingIpsUsed", instances = "maxTotalInstances",
    instances_used = "totalInstancesUsed", keypairs = "maxTotalKeypairs", total_ram = "maxTotalRAMSize",
    total_ram_used = "totalRAMUsed", server_groups = "maxServerGroups",
    server_groups_used = "totalServerGroupsUsed", server_group_members = "maxServerGroupMembers",
  },
}

R.RateLimit = resource.define {
  name = "RateLimit", allow = "", attrs = { uri = "uri", regex = "regex", limits = "limit" },
}

R.Limits = resource.define {
  name = "Limits", base_path = "/limits", resource_key = "limits", allow = "get",
  attrs = { absolute = "absolute", rate = "rate" },
  query = { "tenant_id", "reserved", project_id = "tenant_id" },
  normalize = function(raw)
    if type(raw.absolute) == "table" then resource.wrap(R.AbsoluteLimits, raw.absolute) end
    if type(raw.rate) == "table" then
      for _, r in ipairs(raw.rate) do if type(r) == "table" then resource.wrap(R.RateLimit, r) end end
    end
  end,
}

R.Service = resource.define {
  name = "Service", base_path = "/os-services", resource_key = "service", resources_key = "services",
  allow = "list", paginated = false,
  attrs = {
    id = "id", binary = "binary", host = "host", state = "state", status = "status",
    disabled_reason = "disabled_reason", zone = "zone", updated_at = "updated_at",
    is_forced_down = "forced_down",
  },
  query = { "binary", "host" },
}

--- Extensions: the id is the alias.
R.Extension = resource.define {
  name = "Extension", base_path = "/extensions", resource_key = "extension", resources_key = "extensions",
  id_key = "alias", allow = "get list", normalize = id_from("alias"),
  attrs = { alias = "alias", name = "name", namespace = "namespace", description = "description",
    links = "links", updated_at = "updated" },
}

R.ServerUsage = resource.define {
  name = "ServerUsage", allow = "", id_key = "instance_id",
  attrs = { project_id = "tenant_id", instance_id = "instance_id", name = "name", flavor = "flavor",
    hours = "hours", memory_mb = "memory_mb", local_gb = "local_gb", vcpus = "vcpus",
    started_at = "started_at", ended_at = "ended_at", state = "state", uptime = "uptime" },
}

--- os-simple-tenant-usage: one Usage per project; the pages' marker is
-- the last instance id, which Nova puts into its next links itself.
R.Usage = resource.define {
  name = "Usage", base_path = "/os-simple-tenant-usage", resource_key = "tenant_usage",
  resources_key = "tenant_usages", id_key = "tenant_id", allow = "get list",
  attrs = {
    project_id = "tenant_id", start = "start", stop = "stop", total_hours = "total_hours",
    total_local_gb_usage = "total_local_gb_usage", total_memory_mb_usage = "total_memory_mb_usage",
    total_vcpus_usage = "total_vcpus_usage", server_usages = "server_usages",
  },
  query = { "start", "end", "detailed", stop = "end" },
  normalize = function(raw)
    rawset(raw, "id", rawget(raw, "tenant_id"))
    if type(raw.server_usages) == "table" then
      for _, u in ipairs(raw.server_usages) do
        if type(u) == "table" then resource.wrap(R.ServerUsage, u) end
      end
    end
  end,
}

R.Version = resource.define {
  name = "Version", allow = "",
  attrs = { id = "id", status = "status", version = "version", min_version = "min_version",
    updated_at = "updated", links = "links", media_types = "media-types" },
}

return R
