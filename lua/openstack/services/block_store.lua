--- Block storage (Cinder v3, and v2 where that is all a cloud offers):
-- resources as data, proxy methods as data, and the calls that do not fit
-- the generic shapes (metadata, extra specs, quotas, limits, deletes with
-- options) written by hand below.
--
-- `conn.block_store`, `conn.block_storage` and `conn.volume` are this proxy.
-- Requests carry `OpenStack-API-Version: volume 3.N` (the highest both the
-- cloud and the SDK know, at most 3.70); a v2 endpoint gets no header and the
-- same methods, except those that need a v3 microversion (they fail before
-- any request with MicroversionUnsupported).
-- @module openstack.services.block_store
local resource = require "openstack.resource"
local proxy = require "openstack.proxy"
local errors = require "openstack.errors"
local json = require "openstack.json"

local null = json.null
local esc = proxy.escape_segment

local R = {}

R.Volume = resource.define {
  name = "Volume", base_path = "/volumes", detail_path = "/volumes/detail",
  resource_key = "volume", resources_key = "volumes",
  allow = "create get update delete list",
  attrs = {
    id = "id", name = "name", links = "links", description = "description",
    size = { "size", type = "integer" }, availability_zone = "availability_zone",
    snapshot_id = "snapshot_id", backup_id = "backup_id", volume_type = "volume_type",
    volume_type_id = "volume_type_id", metadata = { "metadata", type = "object" }, status = "status",
    attachments = "attachments", created_at = "created_at", updated_at = "updated_at",
    source_volume_id = "source_volid", image_id = "imageRef", is_bootable = "bootable",
    host = "os-vol-host-attr:host", project_id = "os-vol-tenant-attr:tenant_id",
    migration_status = "os-vol-mig-status-attr:migstat", migration_id = "os-vol-mig-status-attr:name_id",
    replication_status = "replication_status",
    extended_replication_status = "os-volume-replication:extended_status",
    replication_driver_data = "os-volume-replication:driver_data",
    consistency_group_id = "consistencygroup_id", group_id = "group_id",
    is_encrypted = "encrypted", encryption_key_id = "encryption_key_id",
    is_multiattach = { "multiattach", type = "boolean" }, user_id = "user_id",
    volume_image_metadata = "volume_image_metadata", provider_id = "provider_id",
    service_uuid = "service_uuid", shared_targets = "shared_targets", cluster_name = "cluster_name",
    consumes_quota = "consumes_quota",
    scheduler_hints = { "OS-SCH-HNT:scheduler_hints", type = "object" },
  },
  query = {
    "name", "status", "project_id", "sort", "sort_key", "sort_dir", "offset", "with_count",
    "created_at", "updated_at", "consumes_quota", "metadata", "glance_metadata", "bootable",
    "availability_zone", "volume_type", "group_id", "migration_status", "size", "all_tenants",
    all_projects = "all_tenants", is_bootable = "bootable",
  },
}

R.Type = resource.define {
  name = "Type", base_path = "/types",
  resource_key = "volume_type", resources_key = "volume_types",
  allow = "create get update delete list", paginated = false,
  attrs = {
    id = "id", name = "name", description = "description",
    extra_specs = { "extra_specs", type = "object" },
    -- the response carries both spellings; create wants the prefixed one
    -- (moved there by prepare_type), update the plain one
    is_public = { "is_public", type = "boolean" }, qos_specs_id = "qos_specs_id",
  },
  query = { "is_public", "sort", "sort_key", "sort_dir", "offset", "extra_specs" },
}

R.Snapshot = resource.define {
  name = "Snapshot", base_path = "/snapshots", detail_path = "/snapshots/detail",
  resource_key = "snapshot", resources_key = "snapshots",
  allow = "create get update delete list",
  attrs = {
    id = "id", name = "name", status = "status", description = "description", links = "links",
    created_at = "created_at", updated_at = "updated_at", metadata = { "metadata", type = "object" },
    volume_id = "volume_id", size = "size", is_forced = { "force", type = "boolean" },
    progress = "os-extended-snapshot-attributes:progress",
    project_id = "os-extended-snapshot-attributes:project_id", user_id = "user_id",
    group_snapshot_id = "group_snapshot_id", consumes_quota = "consumes_quota",
  },
  query = {
    "name", "status", "volume_id", "project_id", "sort", "sort_key", "sort_dir", "offset",
    "with_count", "metadata", "consumes_quota", "all_tenants", all_projects = "all_tenants",
  },
}

R.Backup = resource.define {
  name = "Backup", base_path = "/backups", detail_path = "/backups/detail",
  resource_key = "backup", resources_key = "backups",
  allow = "create get update delete list",
  attrs = {
    id = "id", name = "name", description = "description", status = "status", links = "links",
    volume_id = "volume_id", snapshot_id = "snapshot_id", container = "container",
    availability_zone = "availability_zone", created_at = "created_at", updated_at = "updated_at",
    data_timestamp = "data_timestamp", fail_reason = "fail_reason",
    has_dependent_backups = "has_dependent_backups", is_incremental = "is_incremental",
    incremental = { "incremental", type = "boolean" }, force = { "force", type = "boolean" },
    object_count = "object_count", size = "size", project_id = "os-backup-project-attr:project_id",
    user_id = "user_id", metadata = { "metadata", type = "object" }, encryption_key_id = "encryption_key_id",
  },
  query = {
    "name", "status", "volume_id", "project_id", "sort", "sort_key", "sort_dir", "offset",
    "with_count", "all_tenants", all_projects = "all_tenants",
  },
}

R.QuotaSet = resource.define {
  name = "QuotaSet", base_path = "/os-quota-sets", resource_key = "quota_set",
  allow = "get update delete", open_attrs = true, -- volumes_<type>, gigabytes_<type>, ...
  attrs = {
    id = "id", volumes = { "volumes", type = "integer" }, snapshots = { "snapshots", type = "integer" },
    gigabytes = { "gigabytes", type = "integer" }, backups = { "backups", type = "integer" },
    backup_gigabytes = { "backup_gigabytes", type = "integer" }, groups = { "groups", type = "integer" },
    per_volume_gigabytes = { "per_volume_gigabytes", type = "integer" },
  },
}

R.AbsoluteLimits = resource.define {
  name = "AbsoluteLimits", base_path = "/limits",
  attrs = {
    max_total_volumes = "maxTotalVolumes", max_total_snapshots = "maxTotalSnapshots",
    max_total_volume_gigabytes = "maxTotalVolumeGigabytes", max_total_backups = "maxTotalBackups",
    max_total_backup_gigabytes = "maxTotalBackupGigabytes", total_volumes_used = "totalVolumesUsed",
    total_gigabytes_used = "totalGigabytesUsed", total_snapshots_used = "totalSnapshotsUsed",
    total_backups_used = "totalBackupsUsed", total_backup_gigabytes_used = "totalBackupGigabytesUsed",
  },
}

R.Limits = resource.define {
  name = "Limits", base_path = "/limits", resource_key = "limits", allow = "get",
  attrs = { absolute = "absolute", rate = "rate" },
}

R.AvailabilityZone = resource.define {
  name = "AvailabilityZone", base_path = "/os-availability-zone", resources_key = "availabilityZoneInfo",
  id_key = "zoneName", name_key = "zoneName", paginated = false, allow = "list",
  attrs = { name = "zoneName", state = "zoneState" },
}

-- ---------------------------------------------------------------- helpers

local function pick_mv(self, fname, Rc, opts, spec)
  return self:_pick_microversion(fname, Rc, spec, opts or {})
end

--- The options table of a hand-written method, with its keys checked.
local function options(fname, opts, allowed)
  if opts == nil then return {} end
  errors.check_arg(fname, "options", opts, "table", 3)
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for name in pairs(allowed) do names[#names + 1] = name end
      table.sort(names)
      errors.raise("InvalidArgument", ("%s: unknown option '%s' (allowed: %s)")
        :format(fname, tostring(k), table.concat(names, ", ")), { argument = k }, 4)
    end
  end
  return opts
end

--- A {string = string} table (metadata, extra specs); checks names the key.
local function string_map(fname, argname, t)
  errors.check_arg(fname, argname, t, "table", 4)
  for k, v in pairs(t) do
    if type(k) ~= "string" then
      errors.raise("InvalidArgument", ("%s: %s keys must be strings, got %s"):format(fname, argname, type(k)),
        { argument = argname }, 4)
    end
    if type(v) ~= "string" then
      errors.raise("InvalidArgument", ("%s: %s value for '%s' must be a string, got %s")
        :format(fname, argname, k, type(v)), { argument = k }, 4)
    end
  end
  return t
end

--- A list of strings (or one string) of keys to delete.
local function key_list(fname, keys)
  if type(keys) == "string" then return { keys } end
  errors.check_arg(fname, "keys", keys, "table", 4)
  for i, k in ipairs(keys) do
    if type(k) ~= "string" then
      errors.raise("InvalidArgument", ("%s: keys[%d] must be a string, got %s"):format(fname, i, type(k)),
        { argument = "keys" }, 4)
    end
  end
  return keys
end

local function sub_path(self, fname, Rc, res, argname, suffix)
  local id = resource.id_of(Rc, res, fname, argname)
  return self:_path(fname, Rc, { res = res }, id) .. suffix, id
end

-- GET/POST/DELETE {base}/{id}/<what>: metadata of volumes and snapshots,
-- extra specs of types. The result is a resource holding only id and <what>.
local function get_map(self, fname, Rc, res, argname, what)
  local path, id = sub_path(self, fname, Rc, res, argname, "/" .. what)
  local resp = self:_request("GET", path, { microversion = pick_mv(self, fname, Rc), expect_body = true })
  local map = type(resp.body) == "table" and resp.body[what] or nil
  return resource.wrap(Rc, { id = id, [what] = map or json.object() }, self)
end

local function set_map(self, fname, Rc, res, argname, what, map)
  string_map(fname, what, map)
  local path, id = sub_path(self, fname, Rc, res, argname, "/" .. what)
  if next(map) == nil then return resource.wrap(Rc, { id = id, [what] = json.object() }, self) end
  local resp = self:_request("POST", path, {
    microversion = pick_mv(self, fname, Rc), json = { [what] = map },
  })
  local out = type(resp.body) == "table" and resp.body[what] or map
  return resource.wrap(Rc, { id = id, [what] = out }, self)
end

local function delete_map_keys(self, fname, Rc, res, argname, what, keys)
  keys = key_list(fname, keys)
  local path = sub_path(self, fname, Rc, res, argname, "/" .. what .. "/")
  for _, k in ipairs(keys) do
    self:_request("DELETE", path .. esc(k), { microversion = pick_mv(self, fname, Rc), accept = "" })
  end
end

-- DELETE with a query (cascade) or through os-force_delete, with the
-- ignore_missing rules of conventions.md section 5.
local function delete_with(self, fname, Rc, res, opts, query)
  local id = resource.id_of(Rc, res, fname, "resource")
  local method, path, body = "DELETE", self:_path(fname, Rc, { res = res }, id), nil
  if opts.force then
    method, path, body = "POST", path .. "/action", { ["os-force_delete"] = json.object() }
  end
  local ok, err = pcall(self._request, self, method, path, {
    microversion = pick_mv(self, fname, Rc, opts), query = query, json = body, accept = "",
  })
  if not ok then
    if errors.is(err, "NotFound") then
      if opts.ignore_missing ~= false then return nil end
      err.class = "ResourceNotFound"
      err.message = ("No %s found for %s: %s"):format(Rc.name, id, err.message)
    end
    error(err, 0)
  end
  return nil
end

-- Lists whose filters take a dict (metadata={k=v}) send it as JSON text,
-- which is what Cinder parses.
local function encode_dict_filters(fname, query, keys)
  if query == nil then return nil end
  errors.check_arg(fname, "query", query, "table", 4)
  local out = {}
  for k, v in pairs(query) do out[k] = v end
  for _, k in ipairs(keys) do
    local v = out[k]
    if type(v) == "table" then
      string_map(fname, k, v)
      out[k] = json.encode(json.object(v))
    end
  end
  return out
end

local function integer_arg(fname, argname, v, min)
  if math.type(v) ~= "integer" or v < min then
    errors.raise("InvalidArgument", ("%s: argument '%s' must be an integer >= %d, got %s")
      :format(fname, argname, min, math.type(v) or type(v)), { argument = argname }, 5)
  end
  return v
end

local function boolean_arg(fname, argname, v)
  if type(v) ~= "boolean" then
    errors.raise("InvalidArgument", ("%s: argument '%s' must be a boolean, got %s"):format(fname, argname, type(v)),
      { argument = argname }, 5)
  end
  return v
end

local function string_arg(fname, argname, v)
  if type(v) ~= "string" or v == "" then
    errors.raise("InvalidArgument", ("%s: argument '%s' must be a non-empty string, got %s")
      :format(fname, argname, type(v) == "string" and "an empty string" or type(v)), { argument = argname }, 5)
  end
  return v
end

local function project_id_of(self, fname, project)
  if project == nil then
    self._session:authenticate(false)
    local pid = self._session:token_info().project_id
    if not pid or pid == "" then
      errors.raise("InvalidArgument", fname .. ": no project given and the token is not project-scoped", nil, 4)
    end
    return pid
  end
  if type(project) == "table" then
    local pid = rawget(project, "id") or rawget(project, "project_id")
    if pid ~= nil then return tostring(pid) end
  elseif type(project) == "string" and project ~= "" then
    return project
  end
  errors.raise("InvalidArgument", ("%s: argument 'project' must be a project id or a table with an id, got %s")
    :format(fname, type(project)), { argument = "project" }, 4)
end

-- Type create: Cinder wants "os-volume-type-access:is_public" there.
local function prepare_type(body, wire)
  if wire.is_public ~= nil then
    wire["os-volume-type-access:is_public"], wire.is_public = wire.is_public, nil
  end
  return body
end

-- Volume create: scheduler hints go beside "volume", not inside it.
local function prepare_volume(body, wire)
  local hints = wire["OS-SCH-HNT:scheduler_hints"]
  if hints ~= nil then
    wire["OS-SCH-HNT:scheduler_hints"] = nil
    body["OS-SCH-HNT:scheduler_hints"] = hints
  end
  return body
end

local function status_body(fname, status, opts)
  local body = {}
  if type(status) == "table" and opts == nil then status, opts = nil, status end
  opts = options(fname, opts, { status = true, attach_status = true, migration_status = true, microversion = true })
  if status ~= nil then body.status = string_arg(fname, "status", status) end
  for _, k in ipairs({ "status", "attach_status", "migration_status" }) do
    if opts[k] ~= nil then body[k] = string_arg(fname, k, opts[k]) end
  end
  if next(body) == nil then
    errors.raise("InvalidArgument", fname .. ": give at least one of status, attach_status, migration_status",
      nil, 4)
  end
  return body
end

local function type_ref(fname, t)
  if type(t) == "table" then
    local v = rawget(t, "name") or rawget(t, "id")
    if v ~= nil then return tostring(v) end
  end
  return string_arg(fname, "new_type", t)
end

local function project_action()
  return function(fname, project)
    local pid = type(project) == "table" and (rawget(project, "id") or rawget(project, "project_id")) or project
    return { project = string_arg(fname, "project", pid) }
  end
end

-- ---------------------------------------------------------------- methods as data

local WAIT = { status = "available", failures = { "error" } }

local methods = {
  -- volumes
  create_volume = { op = "create", resource = R.Volume, prepare = prepare_volume },
  get_volume = { op = "get", resource = R.Volume },
  find_volume = { op = "find", resource = R.Volume },
  update_volume = { op = "update", resource = R.Volume },
  wait_for_volume = { op = "wait", resource = R.Volume, defaults = WAIT },
  extend_volume = {
    op = "action", resource = R.Volume, action = "os-extend", nargs = 1,
    body = function(fname, size) return { new_size = integer_arg(fname, "size", size, 1) } end,
  },
  set_volume_bootable_status = {
    op = "action", resource = R.Volume, action = "os-set_bootable", nargs = 1,
    body = function(fname, bootable) return { bootable = boolean_arg(fname, "bootable", bootable) } end,
  },
  set_volume_readonly = {
    op = "action", resource = R.Volume, action = "os-update_readonly_flag", nargs = 1,
    body = function(fname, readonly)
      if readonly == nil then readonly = true end
      return { readonly = boolean_arg(fname, "readonly", readonly) }
    end,
  },
  retype_volume = {
    op = "action", resource = R.Volume, action = "os-retype", nargs = 1,
    body = function(fname, new_type, opts)
      opts = options(fname, opts, { migration_policy = true, microversion = true })
      local policy = opts.migration_policy or "never"
      if policy ~= "never" and policy ~= "on-demand" then
        errors.raise("InvalidArgument", fname .. ": migration_policy must be \"never\" or \"on-demand\", got "
          .. tostring(policy), { argument = "migration_policy" }, 4)
      end
      return { new_type = type_ref(fname, new_type), migration_policy = policy }
    end,
  },
  reset_volume_status = {
    op = "action", resource = R.Volume, action = "os-reset_status", nargs = 2, body = status_body,
  },
  force_delete_volume = {
    op = "action", resource = R.Volume, action = "os-force_delete",
    body = function() return json.object() end,
  },
  revert_volume_to_snapshot = {
    op = "action", resource = R.Volume, action = "revert", nargs = 1, min_microversion = "3.40",
    body = function(fname, snapshot)
      return { snapshot_id = resource.id_of(R.Snapshot, snapshot, fname, "snapshot") }
    end,
  },

  -- volume types
  create_type = { op = "create", resource = R.Type, prepare = prepare_type },
  get_type = { op = "get", resource = R.Type },
  types = { op = "list", resource = R.Type },
  update_type = { op = "update", resource = R.Type },
  delete_type = { op = "delete", resource = R.Type },
  add_type_access = {
    op = "action", resource = R.Type, action = "addProjectAccess", nargs = 1, arg_name = "type",
    body = project_action(),
  },
  remove_type_access = {
    op = "action", resource = R.Type, action = "removeProjectAccess", nargs = 1, arg_name = "type",
    body = project_action(),
  },

  -- snapshots
  create_snapshot = { op = "create", resource = R.Snapshot },
  get_snapshot = { op = "get", resource = R.Snapshot },
  find_snapshot = { op = "find", resource = R.Snapshot },
  update_snapshot = { op = "update", resource = R.Snapshot },
  delete_snapshot = { op = "delete", resource = R.Snapshot },
  wait_for_snapshot = { op = "wait", resource = R.Snapshot, defaults = WAIT },
  reset_snapshot_status = {
    op = "action", resource = R.Snapshot, action = "os-reset_status", nargs = 1, arg_name = "snapshot",
    body = function(fname, status) return { status = string_arg(fname, "status", status) } end,
  },

  -- backups
  create_backup = { op = "create", resource = R.Backup },
  get_backup = { op = "get", resource = R.Backup },
  find_backup = { op = "find", resource = R.Backup },
  backups = { op = "list", resource = R.Backup, details = true },
  update_backup = { op = "update", resource = R.Backup, min_microversion = "3.9" },
  wait_for_backup = { op = "wait", resource = R.Backup, defaults = WAIT },
  reset_backup_status = {
    op = "action", resource = R.Backup, action = "os-reset_status", nargs = 1, arg_name = "backup",
    body = function(fname, status) return { status = string_arg(fname, "status", status) } end,
  },

  -- quotas, availability zones
  update_quota_set = { op = "update", resource = R.QuotaSet },
  availability_zones = { op = "list", resource = R.AvailabilityZone },
}

-- ---------------------------------------------------------------- hand-written

local custom = {}

--- volumes{details=true, name=, status=, metadata={k=v}, ...}: lists
-- /volumes/detail (or /volumes with details=false), following every page.
function custom:volumes(query)
  query = encode_dict_filters("volumes", query, { "metadata", "glance_metadata" })
  return self:_list(R.Volume, query, { spec = { details = true } }, "volumes")
end

--- snapshots{details=true, volume_id=, status=, ...}
function custom:snapshots(query)
  query = encode_dict_filters("snapshots", query, { "metadata" })
  return self:_list(R.Snapshot, query, { spec = { details = true } }, "snapshots")
end

--- find_type(name_or_id, {ignore_missing=true}): by id, then by name among
-- all types (is_public=None, so an admin also finds private ones).
function custom:find_type(name_or_id, opts)
  local fname = "find_type"
  errors.check_arg(fname, "name_or_id", name_or_id, "string", 2)
  opts = options(fname, opts, { ignore_missing = true, microversion = true })
  local ok, t = pcall(self._get, self, R.Type, name_or_id, { opts = opts }, fname)
  if ok then return t end
  if not (errors.is(t, "NotFound") or errors.is(t, "BadRequest") or errors.is(t, "Forbidden")) then error(t, 0) end
  local matches = {}
  for item in self:_list(R.Type, { is_public = "None" }, { opts = {} }, fname) do
    if rawget(item, "id") == name_or_id or rawget(item, "name") == name_or_id then matches[#matches + 1] = item end
  end
  if #matches == 1 then return matches[1] end
  if #matches > 1 then
    errors.raise("DuplicateResource", ("More than one Type exists with the name '%s'"):format(name_or_id), nil, 2)
  end
  if opts.ignore_missing == false then
    errors.raise("ResourceNotFound", ("No Type found for %s"):format(name_or_id), nil, 2)
  end
  return nil
end

--- delete_volume(volume, {ignore_missing=true, cascade=false, force=false}):
-- cascade also deletes the volume's snapshots; force goes through the
-- os-force_delete action (admin), with the same 404 handling.
function custom:delete_volume(volume, opts)
  opts = options("delete_volume", opts, { ignore_missing = true, cascade = true, force = true, microversion = true })
  local query
  if opts.cascade then query = { cascade = true } end
  return delete_with(self, "delete_volume", R.Volume, volume, opts, query)
end

--- delete_backup(backup, {ignore_missing=true, force=false})
function custom:delete_backup(backup, opts)
  opts = options("delete_backup", opts, { ignore_missing = true, force = true, microversion = true })
  return delete_with(self, "delete_backup", R.Backup, backup, opts)
end

--- restore_backup(backup, {volume_id=, name=}) -> {backup_id, volume_id, volume_name}
-- Without volume_id Cinder creates a new volume (named `name`).
function custom:restore_backup(backup, opts)
  local fname = "restore_backup"
  opts = options(fname, opts, { volume_id = true, volume = true, name = true, microversion = true })
  local body = json.object()
  local vol = opts.volume_id or opts.volume
  if vol ~= nil then body.volume_id = resource.id_of(R.Volume, vol, fname, "volume_id") end
  if opts.name ~= nil then body.name = string_arg(fname, "name", opts.name) end
  local path = sub_path(self, fname, R.Backup, backup, "backup", "/restore")
  local resp = self:_request("POST", path, {
    microversion = pick_mv(self, fname, R.Backup, opts), json = { restore = body },
  })
  return type(resp.body) == "table" and resp.body.restore or {}
end

function custom:get_volume_metadata(volume)
  return get_map(self, "get_volume_metadata", R.Volume, volume, "volume", "metadata")
end

--- set_volume_metadata(volume, {k="v"}): merges (keys not given are kept).
function custom:set_volume_metadata(volume, metadata)
  return set_map(self, "set_volume_metadata", R.Volume, volume, "volume", "metadata", metadata)
end

--- delete_volume_metadata(volume, {"k1", "k2"}): one DELETE per key.
function custom:delete_volume_metadata(volume, keys)
  return delete_map_keys(self, "delete_volume_metadata", R.Volume, volume, "volume", "metadata", keys)
end

function custom:get_snapshot_metadata(snapshot)
  return get_map(self, "get_snapshot_metadata", R.Snapshot, snapshot, "snapshot", "metadata")
end

function custom:set_snapshot_metadata(snapshot, metadata)
  return set_map(self, "set_snapshot_metadata", R.Snapshot, snapshot, "snapshot", "metadata", metadata)
end

function custom:delete_snapshot_metadata(snapshot, keys)
  return delete_map_keys(self, "delete_snapshot_metadata", R.Snapshot, snapshot, "snapshot", "metadata", keys)
end

function custom:get_type_extra_specs(volume_type)
  return get_map(self, "get_type_extra_specs", R.Type, volume_type, "type", "extra_specs")
end

--- update_type_extra_specs(type, {k="v"}): adds or changes the given keys.
function custom:update_type_extra_specs(volume_type, specs)
  return set_map(self, "update_type_extra_specs", R.Type, volume_type, "type", "extra_specs", specs)
end

function custom:delete_type_extra_specs(volume_type, keys)
  return delete_map_keys(self, "delete_type_extra_specs", R.Type, volume_type, "type", "extra_specs", keys)
end

--- get_type_access(type) -> {{volume_type_id=, project_id=}, ...} (private types)
function custom:get_type_access(volume_type)
  local fname = "get_type_access"
  local path = sub_path(self, fname, R.Type, volume_type, "type", "/os-volume-type-access")
  local resp = self:_request("GET", path, { microversion = pick_mv(self, fname, R.Type), expect_body = true })
  return type(resp.body) == "table" and resp.body.volume_type_access or {}
end

--- get_quota_set(project, {usage=false}); project defaults to the token's.
function custom:get_quota_set(project, opts)
  local fname = "get_quota_set"
  opts = options(fname, opts, { usage = true, microversion = true })
  if opts.usage ~= nil then boolean_arg(fname, "usage", opts.usage) end
  local pid = project_id_of(self, fname, project)
  return self:_get(R.QuotaSet, pid, { opts = opts, query = opts.usage and { usage = true } or nil }, fname)
end

function custom:get_quota_set_defaults(project)
  local fname = "get_quota_set_defaults"
  local pid = project_id_of(self, fname, project)
  local resp = self:_request("GET", "/os-quota-sets/" .. esc(pid) .. "/defaults", {
    microversion = pick_mv(self, fname, R.QuotaSet), expect_body = true,
  })
  return resource.wrap(R.QuotaSet, resp.body.quota_set or resp.body, self)
end

--- revert_quota_set(project): back to the defaults (DELETE).
function custom:revert_quota_set(project)
  local fname = "revert_quota_set"
  local pid = project_id_of(self, fname, project)
  self:_request("DELETE", "/os-quota-sets/" .. esc(pid), { microversion = pick_mv(self, fname, R.QuotaSet), accept = "" })
  return nil
end

--- get_limits({project_id=}) -> Limits{absolute = AbsoluteLimits, rate = {...}}
function custom:get_limits(opts)
  local fname = "get_limits"
  opts = options(fname, opts, { project_id = true, microversion = true })
  local query
  if opts.project_id ~= nil then query = { project_id = project_id_of(self, fname, opts.project_id) } end
  local resp = self:_request("GET", "/limits", {
    microversion = pick_mv(self, fname, R.Limits, opts), query = query, expect_body = true,
  })
  local limits = resource.wrap(R.Limits, resp.body.limits or resp.body, self)
  if type(limits.absolute) == "table" then resource.wrap(R.AbsoluteLimits, limits.absolute, self) end
  return limits
end

return proxy.service {
  name = "block_store", service_type = "block-storage", microversion_name = "volume",
  max_microversion = "3.70", config_name = "block_storage", config_names = { "block_storage" },
  resources = R, methods = methods, custom = custom,
}
