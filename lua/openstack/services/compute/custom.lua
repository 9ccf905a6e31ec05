--- The compute calls that need more than the generic operations: forced
-- delete, live migration's microversion-dependent body, the password,
-- metadata and tags sub-resources, server IPs, hypervisor extras, service
-- switches, limits, usage and version documents.
-- @module openstack.services.compute.custom
local json = require "openstack.json"
local errors = require "openstack.errors"
local resource = require "openstack.resource"
local proxy = require "openstack.proxy"
local check = require "openstack.services.compute.check"
local R = require "openstack.services.compute.resources"

local null = json.null
local esc = proxy.escape_segment
local compare = proxy.compare_versions

local custom = {}

local function path_of(fname, class, res, argname)
  local id = resource.id_of(class, res, fname, argname)
  return class.base_path .. "/" .. esc(id), id
end

-- The microversion for a call on class with limits spec ({min_/max_microversion}).
local function mv(self, fname, class, spec, opts)
  return self:_pick_microversion(fname, class, spec, opts)
end

local function body_table(resp, key)
  local body = resp.body
  if type(body) ~= "table" or (key and type(body[key]) ~= "table") then
    errors.raise("InvalidResponse", ("expected a JSON object%s from the service"):format(
      key and (" with '" .. key .. "'") or ""), nil, 3)
  end
  return key and body[key] or body
end

-- ---------------------------------------------------------------- servers

--- delete_server(server, {ignore_missing=true, force=false}): force goes
-- through the forceDelete action, with the same 404 handling.
function custom:delete_server(server, opts)
  opts = check.opts("delete_server", opts)
  if not opts.force then return self:_delete(R.Server, server, { opts = opts }, "delete_server") end
  local path, id = path_of("delete_server", R.Server, server, "server")
  local ok, err = pcall(self._request, self, "POST", path .. "/action", {
    json = { forceDelete = null }, accept = "", microversion = mv(self, "delete_server", R.Server, nil, opts),
  })
  if not ok then
    if errors.is(err, "NotFound") then
      if opts.ignore_missing ~= false then return nil end
      err.class = "ResourceNotFound"
      err.message = ("No Server found for %s: %s"):format(id, err.message)
    end
    error(err, 0)
  end
  return nil
end

--- live_migrate_server(server, {host=, force=false, block_migration=}):
-- the body and microversion follow what the cloud offers: 2.30 (force
-- only with a host), else 2.25 (a host implies force), else none (boolean
-- block_migration and disk_over_commit).
function custom:live_migrate_server(server, opts)
  local fname = "live_migrate_server"
  opts = check.opts(fname, opts)
  local path = path_of(fname, R.Server, server, "server")
  for k in pairs(opts) do
    if k ~= "host" and k ~= "force" and k ~= "block_migration" and k ~= "disk_over_commit" then
      check.fail(fname, k, ("unknown option '%s' (allowed: block_migration, disk_over_commit, force, host)")
        :format(tostring(k)))
    end
  end
  local host, force, bm = check.opt_string(fname, "host", opts.host), opts.force, opts.block_migration
  if bm ~= nil and bm ~= "auto" and type(bm) ~= "boolean" then
    check.fail(fname, "block_migration", "option 'block_migration' must be true, false or \"auto\"")
  end
  self:microversion()
  local cloud_max = self._server_max
  local body, microversion = { host = host or null }, nil
  local must_force = "live migration on this cloud implies 'force' when 'host' is given; "
    .. "pass force=true to confirm, or leave 'host' out"
  if cloud_max and compare(cloud_max, "2.30") >= 0 then
    microversion = "2.30"
    body.block_migration = bm == nil and "auto" or bm
    if host and force then body.force = true end
  elseif cloud_max and compare(cloud_max, "2.25") >= 0 then
    microversion = "2.25"
    body.block_migration = bm == nil and "auto" or bm
    if host and not force then check.fail(fname, "force", must_force) end
  else
    if bm == "auto" then
      check.fail(fname, "block_migration", "block_migration \"auto\" needs microversion 2.25, which this cloud lacks")
    end
    body.block_migration = bm or false
    body.disk_over_commit = opts.disk_over_commit or false
    if host and not force then check.fail(fname, "force", must_force) end
  end
  self:_request("POST", path .. "/action", {
    json = { ["os-migrateLive"] = body }, accept = "", microversion = microversion,
  })
  return nil
end

--- get_server_password(server) -> the (encrypted, base64) password, "" when unset.
function custom:get_server_password(server)
  local fname = "get_server_password"
  local path = path_of(fname, R.Server, server, "server")
  local resp = self:_request("GET", path .. "/os-server-password", {
    microversion = mv(self, fname, R.Server), expect_body = true,
  })
  return body_table(resp).password
end

--- server_ips(server, {network_label=}) -> an iterator of ServerIP, one
-- per address (networks in name order).
function custom:server_ips(server, opts)
  local fname = "server_ips"
  opts = check.opts(fname, opts)
  local path, id = path_of(fname, R.Server, server, "server")
  local label = check.opt_string(fname, "network_label", opts.network_label)
  local resp = self:_request("GET", path .. "/ips" .. (label and ("/" .. esc(label)) or ""), {
    microversion = mv(self, fname, R.Server, nil, opts), expect_body = true,
  })
  local nets = label and body_table(resp) or body_table(resp, "addresses")
  local labels = {}
  for name in pairs(nets) do labels[#labels + 1] = name end
  table.sort(labels)
  local items = {}
  for _, name in ipairs(labels) do
    for _, addr in ipairs(nets[name]) do
      local ip = {}
      for k, v in pairs(addr) do ip[k] = v end
      ip.network_label, ip.server_id = name, id
      items[#items + 1] = resource.wrap(R.ServerIP, ip, self)
    end
  end
  local i = 0
  return function()
    i = i + 1
    return items[i]
  end
end

--- update_volume_attachment(volume_attachment, server, {volume_id=new}):
-- swaps the attached volume. Written by hand because the body carries the
-- new volume id, while the generic update never sends the id attribute.
function custom:update_volume_attachment(volume_attachment, server, attrs)
  local fname, VA = "update_volume_attachment", R.VolumeAttachment
  local id = resource.id_of(VA, volume_attachment, fname, "volume_attachment")
  errors.check_arg(fname, "attrs", attrs, "table", 2)
  local wire = resource.to_wire(VA, attrs, fname)
  check.required(fname, wire, { { "volumeId", "volume_id" } })
  if type(wire.volumeId) == "table" then wire.volumeId = check.id(fname, "volume_id", wire.volumeId) end
  local spec = wire.delete_on_termination ~= nil and { min_microversion = "2.85" } or nil
  local path = self:_path(fname, VA, { parent = server, res = volume_attachment }, id)
  self:_request("PUT", path, { microversion = mv(self, fname, VA, spec), json = { volumeAttachment = wire },
    accept = "" })
  local out = {}
  if type(volume_attachment) == "table" then
    for k, v in pairs(volume_attachment) do out[k] = v end
  end
  for k, v in pairs(wire) do out[k] = v end
  if out.serverId == nil and out.server_id == nil and server ~= nil then
    out.serverId = resource.id_of(R.Server, server, fname, "server")
  end
  out.id = nil
  return resource.wrap(VA, out, self)
end

-- ---------------------------------------------------------------- metadata

-- The same six calls for servers and compute images.
local function metadata_methods(kind, class)
  local m = {}
  local function target(fname, res)
    local path, id = path_of(fname, class, res, kind)
    return path .. "/metadata", id
  end
  local function result(self, res, id, md)
    if resource.is_instance(res, class) then rawset(res, "metadata", md) end
    return resource.wrap(class, { id = id, metadata = md }, self)
  end

  --- get_<kind>_metadata(res) -> a <class> holding only id and metadata.
  m.get = function(self, res)
    local fname = "get_" .. kind .. "_metadata"
    local path, id = target(fname, res)
    local resp = self:_request("GET", path, { microversion = mv(self, fname, class), expect_body = true })
    return result(self, res, id, body_table(resp, "metadata"))
  end

  --- set_<kind>_metadata(res, {k=v}) merges; returns the whole set.
  m.set = function(self, res, metadata)
    local fname = "set_" .. kind .. "_metadata"
    local path, id = target(fname, res)
    local md = check.metadata(fname, "metadata", metadata)
    if next(md) == nil then return resource.wrap(class, { id = id, metadata = json.object() }, self) end
    local resp = self:_request("POST", path, {
      microversion = mv(self, fname, class), json = { metadata = md }, expect_body = true,
    })
    return result(self, res, id, body_table(resp, "metadata"))
  end

  --- replace_<kind>_metadata(res, {k=v}) replaces the whole set.
  m.replace = function(self, res, metadata)
    local fname = "replace_" .. kind .. "_metadata"
    local path, id = target(fname, res)
    local md = check.metadata(fname, "metadata", metadata)
    local resp = self:_request("PUT", path, {
      microversion = mv(self, fname, class), json = { metadata = md }, expect_body = true,
    })
    return result(self, res, id, body_table(resp, "metadata"))
  end

  --- delete_<kind>_metadata(res, {"k1", "k2"}): one DELETE per key, in order.
  m.delete = function(self, res, keys)
    local fname = "delete_" .. kind .. "_metadata"
    local path = target(fname, res)
    if type(keys) ~= "table" then
      check.fail(fname, "keys", ("argument 'keys' must be a list of strings, got %s"):format(type(keys)))
    end
    for i = 1, #keys do check.string(fname, "keys[" .. i .. "]", keys[i]) end
    for _, key in ipairs(keys) do
      self:_request("DELETE", path .. "/" .. esc(key), { microversion = mv(self, fname, class), accept = "" })
    end
    if resource.is_instance(res, class) and type(rawget(res, "metadata")) == "table" then
      for _, key in ipairs(keys) do res.metadata[key] = nil end
    end
    return nil
  end

  --- get_<kind>_metadata_item(res, key) -> the value.
  m.get_item = function(self, res, key)
    local fname = "get_" .. kind .. "_metadata_item"
    local path = target(fname, res)
    check.string(fname, "key", key)
    local resp = self:_request("GET", path .. "/" .. esc(key), {
      microversion = mv(self, fname, class), expect_body = true,
    })
    return body_table(resp, "meta")[key]
  end

  --- set_<kind>_metadata_item(res, key, value) -> the value stored.
  m.set_item = function(self, res, key, value)
    local fname = "set_" .. kind .. "_metadata_item"
    local path = target(fname, res)
    check.string(fname, "key", key)
    local meta = check.metadata(fname, "value", { [key] = value })
    local resp = self:_request("PUT", path .. "/" .. esc(key), {
      microversion = mv(self, fname, class), json = { meta = meta },
    })
    local body = resp.body
    if type(body) == "table" and type(body.meta) == "table" and body.meta[key] ~= nil then
      value = body.meta[key]
    end
    if resource.is_instance(res, class) and type(rawget(res, "metadata")) == "table" then res.metadata[key] = value end
    return value
  end
  return m
end

local server_metadata = metadata_methods("server", R.Server)
custom.get_server_metadata = server_metadata.get
custom.set_server_metadata = server_metadata.set
custom.replace_server_metadata = server_metadata.replace
custom.delete_server_metadata = server_metadata.delete
custom.get_server_metadata_item = server_metadata.get_item
custom.set_server_metadata_item = server_metadata.set_item

local image_metadata = metadata_methods("image", R.Image)
custom.get_image_metadata = image_metadata.get
custom.set_image_metadata = image_metadata.set
custom.replace_image_metadata = image_metadata.replace
custom.delete_image_metadata = image_metadata.delete
custom.get_image_metadata_item = image_metadata.get_item
custom.set_image_metadata_item = image_metadata.set_item

-- ---------------------------------------------------------------- tags (2.26)

local TAGS = { min_microversion = "2.26" }

local function tags_result(self, server, id, tags)
  if resource.is_instance(server, R.Server) then rawset(server, "tags", tags) end
  return resource.wrap(R.Server, { id = id, tags = tags }, self)
end

--- fetch_server_tags(server) -> a Server holding only id and tags.
function custom:fetch_server_tags(server)
  local fname = "fetch_server_tags"
  local path, id = path_of(fname, R.Server, server, "server")
  local resp = self:_request("GET", path .. "/tags", { microversion = mv(self, fname, R.Server, TAGS), expect_body = true })
  return tags_result(self, server, id, body_table(resp, "tags"))
end

--- set_server_tags(server, {"t1", "t2"}) replaces every tag (at most 50).
function custom:set_server_tags(server, tags)
  local fname = "set_server_tags"
  local path, id = path_of(fname, R.Server, server, "server")
  if type(tags) ~= "table" then
    check.fail(fname, "tags", ("argument 'tags' must be a list of strings, got %s"):format(type(tags)))
  end
  if #tags > 50 then check.fail(fname, "tags", ("a server has at most 50 tags, got %d"):format(#tags)) end
  local list = json.array()
  for i = 1, #tags do list[i] = check.tag(fname, "tags", tags[i]) end
  local resp = self:_request("PUT", path .. "/tags", {
    microversion = mv(self, fname, R.Server, TAGS), json = { tags = list }, expect_body = true,
  })
  return tags_result(self, server, id, body_table(resp, "tags"))
end

--- remove_tags_from_server(server): deletes every tag.
function custom:remove_tags_from_server(server)
  local fname = "remove_tags_from_server"
  local path = path_of(fname, R.Server, server, "server")
  self:_request("DELETE", path .. "/tags", { microversion = mv(self, fname, R.Server, TAGS), accept = "" })
  if resource.is_instance(server, R.Server) then rawset(server, "tags", json.array()) end
  return nil
end

--- check_server_tag(server, tag) -> true when the server has the tag.
function custom:check_server_tag(server, tag)
  local fname = "check_server_tag"
  local path = path_of(fname, R.Server, server, "server")
  check.tag(fname, "tag", tag)
  local ok, err = pcall(self._request, self, "GET", path .. "/tags/" .. esc(tag), {
    microversion = mv(self, fname, R.Server, TAGS),
  })
  if ok then return true end
  if errors.is(err, "NotFound") then return false end
  error(err, 0)
end

--- add_tag_to_server(server, tag).
function custom:add_tag_to_server(server, tag)
  local fname = "add_tag_to_server"
  local path = path_of(fname, R.Server, server, "server")
  check.tag(fname, "tag", tag)
  self:_request("PUT", path .. "/tags/" .. esc(tag), { microversion = mv(self, fname, R.Server, TAGS), accept = "" })
  return nil
end

--- remove_tag_from_server(server, tag): a missing tag raises NotFound.
function custom:remove_tag_from_server(server, tag)
  local fname = "remove_tag_from_server"
  local path = path_of(fname, R.Server, server, "server")
  check.tag(fname, "tag", tag)
  self:_request("DELETE", path .. "/tags/" .. esc(tag), { microversion = mv(self, fname, R.Server, TAGS), accept = "" })
  return nil
end

-- ---------------------------------------------------------------- hypervisors

local UP_TO_2_87, UP_TO_2_52 = { max_microversion = "2.87" }, { max_microversion = "2.52" }

--- get_hypervisor_statistics() -> HypervisorStatistics (up to 2.87).
function custom:get_hypervisor_statistics()
  local fname = "get_hypervisor_statistics"
  local resp = self:_request("GET", "/os-hypervisors/statistics", {
    microversion = mv(self, fname, R.HypervisorStatistics, UP_TO_2_87), expect_body = true,
  })
  return resource.wrap(R.HypervisorStatistics, body_table(resp, "hypervisor_statistics"), self)
end

--- get_hypervisor_uptime(hypervisor) -> the Hypervisor with `uptime` (up to 2.87).
function custom:get_hypervisor_uptime(hypervisor)
  local fname = "get_hypervisor_uptime"
  local path = path_of(fname, R.Hypervisor, hypervisor, "hypervisor")
  local resp = self:_request("GET", path .. "/uptime", {
    microversion = mv(self, fname, R.Hypervisor, UP_TO_2_87), expect_body = true,
  })
  local h = resource.wrap(R.Hypervisor, body_table(resp, "hypervisor"), self)
  if resource.is_instance(hypervisor, R.Hypervisor) then rawset(hypervisor, "uptime", h.uptime) end
  return h
end

local function hypervisor_pattern_list(self, fname, pattern, suffix)
  check.string(fname, "hostname_pattern", pattern)
  local microversion = mv(self, fname, R.Hypervisor, UP_TO_2_52)
  local ok, resp = pcall(self._request, self, "GET", "/os-hypervisors/" .. esc(pattern) .. suffix, {
    microversion = microversion, expect_body = true,
  })
  local items = {}
  if ok then
    items = body_table(resp, "hypervisors")
  elseif not errors.is(resp, "NotFound") then -- Nova answers 404 when nothing matches
    error(resp, 0)
  end
  local i = 0
  return function()
    i = i + 1
    local item = items[i]
    return item ~= nil and resource.wrap(R.Hypervisor, item, self) or nil
  end
end

--- search_hypervisors(hostname_pattern) -> an iterator of Hypervisor (up to 2.52).
function custom:search_hypervisors(hostname_pattern)
  return hypervisor_pattern_list(self, "search_hypervisors", hostname_pattern, "/search")
end

--- hypervisor_servers(hostname_pattern) -> an iterator of Hypervisor with
-- `servers` (up to 2.52).
function custom:hypervisor_servers(hostname_pattern)
  return hypervisor_pattern_list(self, "hypervisor_servers", hostname_pattern, "/servers")
end

-- ---------------------------------------------------------------- services

-- host and binary: given, or taken from the Service object.
local function service_target(fname, service, host, binary)
  if type(service) == "table" then
    if host == nil then host = service.host end
    if binary == nil then binary = service.binary end
  elseif service ~= nil and type(service) ~= "string" and math.type(service) ~= "integer" then
    check.fail(fname, "service", ("argument 'service' must be a Service, its id or nil, got %s"):format(type(service)))
  end
  return { host = check.string(fname, "host", host), binary = check.string(fname, "binary", binary) }
end

local function service_put(self, fname, action, body, spec)
  local resp = self:_request("PUT", "/os-services/" .. action, {
    microversion = mv(self, fname, R.Service, spec), json = body, expect_body = true,
  })
  return resource.wrap(R.Service, body_table(resp, "service"), self)
end

-- The host/binary action routes exist up to 2.52 (2.53 addresses services by id).
local SERVICE_ROUTES = { max_microversion = "2.52" }

--- enable_service(service, host, binary) -> the Service.
function custom:enable_service(service, host, binary)
  local body = service_target("enable_service", service, host, binary)
  return service_put(self, "enable_service", "enable", body, SERVICE_ROUTES)
end

--- disable_service(service, host, binary, {disabled_reason=}) -> the Service.
function custom:disable_service(service, host, binary, opts)
  local fname = "disable_service"
  local body = service_target(fname, service, host, binary)
  opts = check.opts(fname, opts)
  if opts.disabled_reason ~= nil then
    body.disabled_reason = check.string(fname, "disabled_reason", opts.disabled_reason)
    return service_put(self, fname, "disable-log-reason", body, SERVICE_ROUTES)
  end
  return service_put(self, fname, "disable", body, SERVICE_ROUTES)
end

--- force_service_down(service, host, binary) -> the Service (2.11 to 2.52).
function custom:force_service_down(service, host, binary)
  local body = service_target("force_service_down", service, host, binary)
  body.forced_down = true
  return service_put(self, "force_service_down", "force-down", body,
    { min_microversion = "2.11", max_microversion = "2.52" })
end

-- ---------------------------------------------------------------- limits and usage

--- get_limits({project_id=, reserved=}) -> Limits with .absolute and .rate.
function custom:get_limits(query)
  local fname = "get_limits"
  if query ~= nil then errors.check_arg(fname, "query", query, "table", 2) end
  local resp = self:_request("GET", "/limits", {
    microversion = mv(self, fname, R.Limits), query = self:_query(fname, R.Limits, query), expect_body = true,
  })
  return resource.wrap(R.Limits, body_table(resp, "limits"), self)
end

-- os-simple-tenant-usage timestamps: CCYY-MM-DDThh:mm:ss[.NNNNNN], UTC, no
-- zone; a number is taken as a Unix time.
local function usage_time(fname, name, v)
  if math.type(v) then return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(v)) end
  if type(v) == "string" then
    local base, frac, zone = v:match("^(%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d)(%.?%d*)(.*)$")
    if base and frac ~= "." and (zone == "" or zone == "Z" or zone == "+00:00") then return base .. frac end
  end
  check.fail(fname, name, ("'%s' must be a Unix time or a UTC time CCYY-MM-DDThh:mm:ss[.NNNNNN], got %s")
    :format(name, type(v) == "string" and ("%q"):format(v) or type(v)))
end

local function usage_query(fname, query)
  if query ~= nil then errors.check_arg(fname, "query", query, "table", 3) end
  local q = {}
  for k, v in pairs(query or {}) do
    if k == "start" or k == "end" or k == "stop" then v = usage_time(fname, k, v)
    elseif k == "detailed" and type(v) == "boolean" then v = v and 1 or 0 end
    q[k] = v
  end
  return q
end

local USAGES = { op = "list", resource = R.Usage }

--- usages{start=, stop= (or ["end"]=), detailed=true, limit=, marker=} ->
-- an iterator of Usage, one per project.
function custom:usages(query)
  local q = usage_query("usages", query)
  return self:_list(R.Usage, q, { spec = USAGES, opts = {} }, "usages")
end

local usage_totals = { "total_hours", "total_local_gb_usage", "total_memory_mb_usage", "total_vcpus_usage" }

--- get_usage(project, {start=, stop=, limit=, marker=}) -> the project's
-- Usage; when Nova pages the servers, the pages are merged (server usages
-- concatenated, totals added up).
function custom:get_usage(project, opts)
  local fname = "get_usage"
  local path = path_of(fname, R.Usage, project, "project")
  local q = self:_query(fname, R.Usage, usage_query(fname, opts))
  local microversion = mv(self, fname, R.Usage)
  local resp = self:_request("GET", path, { microversion = microversion, query = q, expect_body = true })
  local usage = body_table(resp, "tenant_usage")
  local seen = {}
  while true do
    local next_href
    for _, link in ipairs(type(resp.body.tenant_usage_links) == "table" and resp.body.tenant_usage_links or {}) do
      if link.rel == "next" then next_href = link.href end
    end
    if not next_href or seen[next_href] then break end
    seen[next_href] = true
    resp = self._session:request { method = "GET", service = self._service_type, url = next_href,
      microversion = microversion, expect_body = true }
    local page = body_table(resp, "tenant_usage")
    if type(page.server_usages) == "table" then
      usage.server_usages = usage.server_usages or json.array()
      for _, u in ipairs(page.server_usages) do usage.server_usages[#usage.server_usages + 1] = u end
    end
    for _, k in ipairs(usage_totals) do
      if type(page[k]) == "number" then usage[k] = (tonumber(usage[k]) or 0) + page[k] end
    end
  end
  return resource.wrap(R.Usage, usage, self)
end

-- ---------------------------------------------------------------- versions

--- get_api_versions() -> the list of Version documents at the unversioned root.
function custom:get_api_versions()
  local ep = self._session:endpoint(self._service_type)
  local resp = self._session:request { method = "GET", service = self._service_type, url = ep.root,
    authenticated = false, expect_body = true }
  local list = {}
  for i, v in ipairs(body_table(resp, "versions")) do list[i] = resource.wrap(R.Version, v, self) end
  return list
end

--- get_api_version() -> the Version document of the endpoint in use.
function custom:get_api_version()
  local resp = self:_request("GET", "/", { authenticated = false, expect_body = true })
  return resource.wrap(R.Version, body_table(resp, "version"), self)
end

return custom
