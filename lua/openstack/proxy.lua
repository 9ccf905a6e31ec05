--- The generic proxy: one implementation of create/get/find/list/update/
-- delete/wait/action for every resource, turned into named methods by a
-- service definition's method table (data). Hand-written methods live in
-- the service modules and use the same building blocks.
-- @module openstack.proxy
local json = require "openstack.json"
local errors = require "openstack.errors"
local resource = require "openstack.resource"
local core = require "openstack.core"
local gather = require "openstack.gather"

local proxy = {}
local Proxy = {}
proxy.Proxy = Proxy

local null = json.null

-- ---------------------------------------------------------------- helpers

local function escape_segment(s)
  return (tostring(s):gsub("[^%w%-%._~:@]", function(c) return ("%%%02X"):format(c:byte()) end))
end
proxy.escape_segment = escape_segment

--- Compares "2.10" with "2.9" numerically: -1, 0 or 1.
local function compare_versions(a, b)
  local amaj, amin = tostring(a):match("^(%d+)%.?(%d*)")
  local bmaj, bmin = tostring(b):match("^(%d+)%.?(%d*)")
  amaj, bmaj = tonumber(amaj) or 0, tonumber(bmaj) or 0
  if amaj ~= bmaj then return amaj < bmaj and -1 or 1 end
  amin, bmin = tonumber(amin) or 0, tonumber(bmin) or 0
  if amin == bmin then return 0 end
  return amin < bmin and -1 or 1
end
proxy.compare_versions = compare_versions

local function is_404(e) return errors.is(e, "NotFound") end

-- ---------------------------------------------------------------- requests

--- Sends a request to this proxy's service. opts as session:request.
function Proxy:_request(method, path, opts)
  opts = opts or {}
  opts.service = self._service_type
  opts.method = method
  opts.path = path
  return self._session:request(opts)
end

--- The microversion this connection uses by default: the highest both the
-- cloud and the SDK support, or the one pinned in the configuration. nil
-- when the service has no microversions.
function Proxy:microversion()
  if self._mv == nil then
    self._mv = false
    local def = self._def
    if def.max_microversion then
      local ep = self._session:endpoint(self._service_type)
      local server_max = ep.max_microversion
      if server_max and server_max ~= "" then
        self._server_min = ep.min_microversion ~= "" and ep.min_microversion or nil
        self._server_max = server_max
        local pinned = self._pinned_microversion
        if pinned then
          self._mv = pinned
        else
          self._mv = compare_versions(server_max, def.max_microversion) < 0 and server_max or def.max_microversion
        end
      end
    end
  end
  return self._mv or nil
end

--- The microversion for one call: the default, capped by the method's and
-- resource's maximum, raised to their minimum when the cloud allows it.
-- Raises MicroversionUnsupported (before any request) when it does not.
-- A version asked for explicitly (pinned or per call) must lie in the
-- cloud's range: a 406 from the service would say less, later.
function Proxy:_check_in_range(fname, mv)
  if self._server_max and compare_versions(mv, self._server_max) > 0 then
    errors.raise("MicroversionUnsupported", ("%s: %s microversion %s was asked for, but the cloud supports at most %s")
      :format(fname, self._def.microversion_name or self._service_type, mv, self._server_max), nil, 5)
  end
  if self._server_min and compare_versions(mv, self._server_min) < 0 then
    errors.raise("MicroversionUnsupported", ("%s: %s microversion %s was asked for, but the cloud needs at least %s")
      :format(fname, self._def.microversion_name or self._service_type, mv, self._server_min), nil, 5)
  end
  return mv
end

function Proxy:_pick_microversion(fname, R, spec, opts)
  if opts and opts.microversion then
    self:microversion() -- learns the cloud's range
    return self:_check_in_range(fname, tostring(opts.microversion))
  end
  local mv = self:microversion()
  if mv and mv == self._pinned_microversion then self:_check_in_range(fname, mv) end
  local min = spec and spec.min_microversion
  if R and R.min_microversion and (not min or compare_versions(R.min_microversion, min) > 0) then
    min = R.min_microversion
  end
  local max = spec and spec.max_microversion
  if R and R.max_microversion and (not max or compare_versions(R.max_microversion, max) < 0) then
    max = R.max_microversion
  end
  if not mv then
    if min and self._def.max_microversion then
      errors.raise("MicroversionUnsupported", ("%s needs %s microversion %s, but the %s endpoint offers no microversions")
        :format(fname, self._def.microversion_name or self._service_type, min, self._service_type), nil, 4)
    end
    return nil
  end
  if max and compare_versions(mv, max) > 0 then mv = max end
  if min and compare_versions(mv, min) < 0 then
    if compare_versions(min, self._server_max) > 0 then
      errors.raise("MicroversionUnsupported", ("%s needs %s microversion %s, but the cloud supports at most %s")
        :format(fname, self._def.microversion_name or self._service_type, min, self._server_max), nil, 4)
    end
    mv = min
  end
  if self._server_min and compare_versions(mv, self._server_min) < 0 then
    if max and compare_versions(max, self._server_min) < 0 then
      errors.raise("MicroversionUnsupported", ("%s works up to %s microversion %s, but the cloud needs at least %s")
        :format(fname, self._def.microversion_name or self._service_type, max, self._server_min), nil, 4)
    end
    mv = self._server_min
  end
  return mv
end

--- spec's microversion limits narrowed by extra ({min_microversion=,
-- max_microversion=}, either may be nil): a new spec-like table. Raises
-- InvalidArgument when the two ranges do not overlap; `why` names what set
-- the extra limits.
function proxy.narrow_microversions(fname, spec, extra, why, level)
  if not extra or (not extra.min_microversion and not extra.max_microversion) then return spec end
  local out = {}
  for k, v in pairs(spec or {}) do out[k] = v end
  local min, max = out.min_microversion, out.max_microversion
  if extra.min_microversion and (not min or compare_versions(extra.min_microversion, min) > 0) then
    min = extra.min_microversion
  end
  if extra.max_microversion and (not max or compare_versions(extra.max_microversion, max) < 0) then
    max = extra.max_microversion
  end
  if min and max and compare_versions(min, max) > 0 then
    errors.raise("InvalidArgument", ("%s: %s ask for microversion %s or later and %s or earlier; no microversion is both")
      :format(fname, why or "the arguments", min, max), nil, (level or 2) + 1)
  end
  out.min_microversion, out.max_microversion = min, max
  return out
end

-- The limits of the attributes being sent (attribute specs may carry
-- min_microversion / max_microversion), as (spec, fname) for
-- _pick_microversion: fname names the attributes when they set a limit.
local function attr_microversions(fname, R, wire, spec)
  local extra, names = {}, {}
  for k in pairs(wire) do
    local a = R.attrs[R.friendly_of[k] or k]
    if a and (a.min_microversion or a.max_microversion) then
      names[#names + 1] = "'" .. a.name .. "'"
      if a.min_microversion and (not extra.min_microversion
          or compare_versions(a.min_microversion, extra.min_microversion) > 0) then
        extra.min_microversion = a.min_microversion
      end
      if a.max_microversion and (not extra.max_microversion
          or compare_versions(a.max_microversion, extra.max_microversion) < 0) then
        extra.max_microversion = a.max_microversion
      end
    end
  end
  if #names == 0 then return spec, fname end
  table.sort(names)
  local why = "attribute" .. (#names > 1 and "s " or " ") .. table.concat(names, ", ")
  return proxy.narrow_microversions(fname, spec, extra, why, 4), fname .. " (" .. why .. ")"
end

--- Fills {var} templates of R's base path from the parent argument, the
-- resource object or the options; appends "/id" when id is given.
function Proxy:_path(fname, R, ctx, id, base)
  local path = (base or R.base_path):gsub("{([%w_]+)}", function(var)
    local v = ctx.parent
    if v ~= nil then
      if type(v) == "table" then v = v.id end
    else
      local res = ctx.res
      if type(res) == "table" then v = res[var] end
      if v == nil and ctx.opts then v = ctx.opts[var] end
      if v == nil and ctx.query then v = ctx.query[var]; if v ~= nil then ctx.query[var] = nil end end
    end
    if v == nil or v == null then
      errors.raise("InvalidArgument", ("%s: %s is required (give the parent resource or its id)")
        :format(fname, var:gsub("_id$", "")), { argument = var }, 5)
    end
    return escape_segment(v)
  end)
  if id then path = path .. "/" .. escape_segment(id) end
  return path
end

local function unwrap(R, body)
  if R.resource_key and type(body) == "table" and body[R.resource_key] ~= nil then
    return body[R.resource_key]
  end
  return body
end

-- ---------------------------------------------------------------- generic operations

function Proxy:_get(R, res, ctx, fname)
  fname = fname or "get"
  local id = resource.id_of(R, res, fname, "resource")
  ctx.res = res
  local ok, resp = pcall(self._request, self, "GET", self:_path(fname, R, ctx, id), {
    microversion = self:_pick_microversion(fname, R, ctx.spec, ctx.opts), query = ctx.query, expect_body = true,
  })
  if not ok then
    if is_404(resp) then
      resp.class = "ResourceNotFound"
      resp.message = ("No %s found for %s: %s"):format(R.name, id, resp.message)
    end
    error(resp, 0)
  end
  local obj = resource.wrap(R, unwrap(R, resp.body), self)
  -- keep the path parent on children (server_id of an interface, ...)
  if ctx.parent ~= nil then
    for var in R.base_path:gmatch("{([%w_]+)}") do
      if obj[var] == nil then obj[R.wire_of[var] or var] = resource.id_of(R, ctx.parent, fname, "parent") end
    end
  end
  return obj
end

function Proxy:_create(R, attrs, ctx, fname)
  fname = fname or "create"
  errors.check_arg(fname, "attrs", attrs, "table", 3)
  local wire = resource.to_wire(R, attrs, fname)
  local body = wire
  if R.resource_key then body = { [R.resource_key] = wire } end
  local mv_spec, mv_name = attr_microversions(fname, R, wire, ctx.spec)
  local mv = self:_pick_microversion(mv_name, R, mv_spec, ctx.opts)
  -- prepare(body, wire, proxy, microversion, ctx) may reshape or check the body
  if ctx.spec and ctx.spec.prepare then body = ctx.spec.prepare(body, wire, self, mv, ctx) or body end
  local resp = self:_request("POST", self:_path(fname, R, ctx), {
    microversion = mv, json = body,
  })
  local out = unwrap(R, resp.body)
  if type(out) ~= "table" then out = {} end
  for k, v in pairs(wire) do if out[k] == nil then out[k] = v end end
  local obj = resource.wrap(R, out, self)
  if ctx.parent ~= nil then
    for var in R.base_path:gmatch("{([%w_]+)}") do
      if obj[var] == nil then obj[R.wire_of[var] or var] = resource.id_of(R, ctx.parent, fname, "parent") end
    end
  end
  return obj, resp
end

function Proxy:_update(R, res, attrs, ctx, fname)
  fname = fname or "update"
  local id = resource.id_of(R, res, fname, "resource")
  errors.check_arg(fname, "attrs", attrs, "table", 3)
  ctx.res = res
  local wire = resource.to_wire(R, attrs, fname)
  -- only what changed is sent; nothing changed means no request at all
  if type(res) == "table" then
    for k, v in pairs(wire) do
      if res[k] == v then wire[k] = nil end
    end
  end
  wire[R.id_key] = nil
  if next(wire) == nil then
    if resource.is_instance(res, R) then return res end
    return resource.wrap(R, type(res) == "table" and res or { [R.id_key] = id }, self)
  end
  local body = R.resource_key and { [R.resource_key] = wire } or wire
  local mv_spec, mv_name = attr_microversions(fname, R, wire, ctx.spec)
  local mv = self:_pick_microversion(mv_name, R, mv_spec, ctx.opts)
  if ctx.spec and ctx.spec.prepare then body = ctx.spec.prepare(body, wire, self, mv, ctx) or body end
  local resp = self:_request(R.update_method, self:_path(fname, R, ctx, id), {
    microversion = mv, json = body,
  })
  local out = unwrap(R, resp.body)
  if type(out) ~= "table" then
    out = {}
    if type(res) == "table" then for k, v in pairs(res) do out[k] = v end end
    for k, v in pairs(wire) do out[k] = v end
    out[R.id_key] = out[R.id_key] or id
  end
  return resource.wrap(R, out, self)
end

function Proxy:_delete(R, res, ctx, fname)
  fname = fname or "delete"
  local opts = ctx.opts or {}
  local id = resource.id_of(R, res, fname, "resource")
  ctx.res = res
  local ok, err = pcall(self._request, self, "DELETE", self:_path(fname, R, ctx, id), {
    microversion = self:_pick_microversion(fname, R, ctx.spec, opts), accept = "",
  })
  if not ok then
    if is_404(err) then
      if opts.ignore_missing ~= false then return nil end
      err.class = "ResourceNotFound"
      err.message = ("No %s found for %s: %s"):format(R.name, id, err.message)
    end
    error(err, 0)
  end
  return nil
end

--- Validates and translates query keys (client or wire names).
function Proxy:_query(fname, R, query)
  local out = {}
  for k, v in pairs(query or {}) do
    local wire = R.query[k]
    if not wire then
      local known = {}
      for name in pairs(R.query) do known[#known + 1] = name end
      table.sort(known)
      errors.raise("InvalidResourceQuery", ("%s: invalid query parameter '%s' (allowed: %s)")
        :format(fname, tostring(k), table.concat(known, ", ")), { argument = k }, 5)
    end
    -- a dict would be dropped silently on the way to the URL: refuse it
    if type(v) == "table" and (next(v) ~= nil and v[1] == nil) then
      errors.raise("InvalidResourceQuery", ("%s: query parameter '%s' must be a string, number, boolean or list, got a table with keys")
        :format(fname, tostring(k)), { argument = k }, 5)
    end
    out[wire] = v
  end
  return out
end

local list_options = { details = true, max_items = true, paginated = true, microversion = true }

function Proxy:_list(R, query, ctx, fname)
  fname = fname or "list"
  if query ~= nil then errors.check_arg(fname, "query", query, "table", 3) end
  local q, opts = {}, ctx.opts or {}
  for k, v in pairs(query or {}) do
    if list_options[k] then opts[k] = v else q[k] = v end
  end
  ctx.query = q
  local details = opts.details
  if details == nil then details = ctx.spec and ctx.spec.details end
  local base = (details and R.detail_path) or R.base_path
  local path = self:_path(fname, R, ctx, nil, base) -- consumes path vars from the query
  local wire_query = self:_query(fname, R, q)
  -- already-validated wire parameters a service adds (Glance property filters)
  for k, v in pairs(ctx.extra_query or {}) do wire_query[k] = v end
  local limit = wire_query.limit
  if limit ~= nil and (math.type(limit) ~= "integer" or limit < 1) then
    errors.raise("InvalidArgument", fname .. ": limit must be a positive integer", { argument = "limit" }, 3)
  end
  wire_query.limit = nil
  local paginated = R.paginated
  if opts.paginated ~= nil then paginated = opts.paginated end
  local next_item = self._session:pages {
    service = self._service_type, path = path, query = wire_query, limit = limit,
    microversion = self:_pick_microversion(fname, R, ctx.spec, opts),
    resources_key = R.resources_key, id_key = R.id_key, paginated = paginated,
    max_items = opts.max_items,
  }
  local unwrap_key, parent = R.list_unwrap, ctx.parent
  local parent_vars = {}
  if parent ~= nil then
    for var in R.base_path:gmatch("{([%w_]+)}") do parent_vars[#parent_vars + 1] = var end
  end
  return function()
    local item = next_item()
    if item == nil then return nil end
    if unwrap_key and type(item) == "table" and item[unwrap_key] ~= nil then item = item[unwrap_key] end
    local obj = resource.wrap(R, item, self)
    for _, var in ipairs(parent_vars) do
      if obj[var] == nil then obj[R.wire_of[var] or var] = resource.id_of(R, parent, fname, "parent") end
    end
    return obj
  end
end

function Proxy:_find(R, name_or_id, ctx, fname)
  fname = fname or "find"
  errors.check_arg(fname, "name_or_id", name_or_id, "string|number", 3)
  name_or_id = tostring(name_or_id)
  local opts = ctx.opts or {}
  if R.allow.get then
    local ok, res = pcall(self._get, self, R, name_or_id, { spec = ctx.spec, opts = opts, parent = ctx.parent }, fname)
    if ok then return res end
    -- 400/403: some services reject a name where an id belongs (Glance)
    if not (errors.is(res, "NotFound") or errors.is(res, "BadRequest") or errors.is(res, "Forbidden")) then
      error(res, 0)
    end
  end
  local query = {}
  for k, v in pairs(R.find_query or {}) do query[k] = v end
  if R.query.name and R.name_key == "name" then query.name = name_or_id end
  local matches = {}
  local list_ctx = { spec = { details = R.detail_path ~= nil }, parent = ctx.parent, opts = {} }
  for item in self:_list(R, query, list_ctx, fname) do
    local id = rawget(item, R.id_key)
    if (id ~= nil and tostring(id) == name_or_id) or item[R.name_key] == name_or_id then
      matches[#matches + 1] = item
    end
  end
  if #matches == 1 then return matches[1] end
  if #matches > 1 then
    local ids = {}
    for i, m in ipairs(matches) do ids[i] = tostring(rawget(m, R.id_key)) end
    errors.raise("DuplicateResource", ("More than one %s exists with the name '%s': %s")
      :format(R.name, name_or_id, table.concat(ids, ", ")), nil, 3)
  end
  if opts.ignore_missing == false then
    errors.raise("ResourceNotFound", ("No %s found for %s"):format(R.name, name_or_id), nil, 3)
  end
  return nil
end

-- ---------------------------------------------------------------- waits

local function lower_set(list, default)
  local set = {}
  for _, s in ipairs(list or default) do set[tostring(s):lower()] = true end
  return set
end

--- Polls a resource until its status (or opts.attribute) equals opts.status.
-- opts: status, failures ({"ERROR"}), interval (2), wait (120; false: forever),
-- attribute ("status"), callback(progress, resource).
function Proxy:wait_for_status(res, opts)
  errors.check_arg("wait_for_status", "opts", opts, "table", 2)
  if not resource.is_instance(res) then
    errors.raise("InvalidArgument", "wait_for_status: argument 'res' must be a resource object", nil, 2)
  end
  local R = getmetatable(res).class
  local target = tostring(errors.check_arg("wait_for_status", "status", opts.status, "string", 2)):lower()
  local failures = lower_set(opts.failures, { "ERROR" })
  local attribute = opts.attribute or "status"
  local interval, wait = opts.interval or 2, opts.wait
  if wait == nil then wait = 120 end
  local start = core.now()
  local current = res
  local function status_of(r)
    local v = r[attribute]
    return v ~= nil and v ~= null and tostring(v):lower() or nil
  end
  if status_of(current) == target then return current end
  while true do
    current = self:_get(R, res, { opts = {} }, "wait_for_status")
    local status = status_of(current)
    if opts.callback then opts.callback(current.progress, current) end
    if status == target then
      for k, v in pairs(current) do rawset(res, k, v) end
      return current
    end
    if status and failures[status] then
      local fault = current.fault
      local why = type(fault) == "table" and fault.message and (": " .. tostring(fault.message)) or ""
      errors.raise("ResourceFailure", ("%s:%s transitioned to failure state %s%s")
        :format(R.name, tostring(rawget(current, R.id_key)), tostring(current[attribute]), why),
        { resource = current, status_value = current[attribute] }, 2)
    end
    local elapsed = core.now() - start
    if wait and elapsed + interval > wait then
      errors.raise("ResourceTimeout", ("Timeout waiting for %s:%s to transition to %s after %g s (last %s: %s)")
        :format(R.name, tostring(rawget(current, R.id_key)), opts.status, wait, attribute,
          tostring(current[attribute])), { resource = current }, 2)
    end
    gather.sleep(interval)
  end
end

--- Polls until the resource is gone (404) or its status is "deleted".
-- opts: interval (2), wait (120), callback(progress, resource).
function Proxy:wait_for_delete(res, opts)
  opts = opts or {}
  if not resource.is_instance(res) then
    errors.raise("InvalidArgument", "wait_for_delete: argument 'res' must be a resource object", nil, 2)
  end
  local R = getmetatable(res).class
  local interval, wait = opts.interval or 2, opts.wait
  if wait == nil then wait = 120 end
  local start, last = core.now(), nil
  while true do
    local ok, current = pcall(self._get, self, R, res, { opts = {} }, "wait_for_delete")
    if not ok then
      if is_404(current) then return res end
      error(current, 0)
    end
    last = current.status
    if last ~= nil and tostring(last):lower() == "deleted" then return current end
    if opts.callback then opts.callback(current.progress, current) end
    if wait and core.now() - start + interval > wait then
      errors.raise("ResourceTimeout", ("Timeout waiting for %s:%s to be deleted after %g s (last status: %s)")
        :format(R.name, tostring(rawget(res, R.id_key)), wait, tostring(last)), { resource = current }, 2)
    end
    gather.sleep(interval)
  end
end

-- ---------------------------------------------------------------- method builders

-- Argument slots: each builder reads its arguments by slot name; a spec's
-- `sig` lists the positional slots, and a trailing table is the options.
local default_sig = {
  create = { "attrs" }, get = { "res" }, find = { "name_or_id" }, list = { "query" },
  update = { "res", "attrs" }, delete = { "res" }, wait = { "res" }, action = { "res" },
}

local function collect(spec, fname, ...)
  local sig = spec.sig or default_sig[spec.op] or {}
  local n = select("#", ...)
  local ctx = { spec = spec }
  for i, slot in ipairs(sig) do ctx[slot] = (select(i, ...)) end
  if n > #sig then
    local opts = select(#sig + 1, ...)
    if opts ~= nil and type(opts) ~= "table" then
      errors.raise("InvalidArgument", ("%s: the options argument must be a table, got %s"):format(fname, type(opts)),
        nil, 4)
    end
    ctx.opts = opts
  end
  if n > #sig + 1 then
    errors.raise("InvalidArgument", ("%s: expected at most %d arguments, got %d"):format(fname, #sig + 1, n), nil, 4)
  end
  -- a parent given in the options (server=...) counts as the parent
  if ctx.parent == nil and spec.parent_option and ctx.opts then ctx.parent = ctx.opts[spec.parent_option] end
  ctx.opts = ctx.opts or {}
  if spec.op == "list" and ctx.query == nil and spec.sig and ctx.opts then ctx.query = ctx.opts end
  return ctx
end

local builders = {}

function builders.create(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    return (self:_create(spec.resource, ctx.attrs, ctx, fname))
  end
end

function builders.get(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    if ctx.res == nil then errors.raise("InvalidArgument", fname .. ": missing required argument", nil, 2) end
    return self:_get(spec.resource, ctx.res, ctx, fname)
  end
end

function builders.find(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    return self:_find(spec.resource, ctx.name_or_id, ctx, fname)
  end
end

function builders.list(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    return self:_list(spec.resource, ctx.query, ctx, fname)
  end
end

function builders.update(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    return self:_update(spec.resource, ctx.res, ctx.attrs or {}, ctx, fname)
  end
end

function builders.delete(spec, fname)
  return function(self, ...)
    local ctx = collect(spec, fname, ...)
    return self:_delete(spec.resource, ctx.res, ctx, fname)
  end
end

function builders.wait(spec, fname)
  return function(self, res, opts)
    opts = opts or {}
    if type(res) ~= "table" or not resource.is_instance(res) then
      res = resource.wrap(spec.resource, { [spec.resource.id_key] = resource.id_of(spec.resource, res, fname, "resource") }, self)
    end
    local o = {}
    for k, v in pairs(spec.defaults or {}) do o[k] = v end
    for k, v in pairs(opts) do o[k] = v end
    return self:wait_for_status(res, o)
  end
end

--- POST {base}/{id}/action with {[action] = value}. spec.body(fname, ...)
-- builds the value from the arguments after the resource (nil -> JSON null)
-- and may return, second, limits for this call ({min_microversion=,
-- max_microversion=}, narrowing the spec's own);
-- spec.nargs positional arguments may be followed by an options table
-- (microversion=...). spec.result(resp, proxy, res) shapes the return value.
function builders.action(spec, fname)
  local R, nargs = spec.resource, spec.nargs or 0
  return function(self, res, ...)
    local id = resource.id_of(R, res, fname, spec.arg_name or "resource")
    local value, limits = null, nil
    if spec.body then value, limits = spec.body(fname, ...) end
    if value == nil then value = null end
    local opts = select(nargs + 1, ...)
    if type(opts) ~= "table" then opts = {} end
    local mv_spec = proxy.narrow_microversions(fname, spec, limits, nil, 2)
    local resp = self:_request("POST", self:_path(fname, R, { res = res }, id) .. "/action", {
      microversion = self:_pick_microversion(fname, R, mv_spec, opts), json = { [spec.action] = value }, accept = "",
    })
    if spec.result then return spec.result(resp, self, res) end
    return nil
  end
end

--- Builds a service's proxy class from its definition (once per service).
-- def: name, service_type, max_microversion, microversion_name, methods
-- (name -> spec with op=...), custom (name -> function).
function proxy.service(def)
  local methods = setmetatable({}, { __index = Proxy })
  for name, spec in pairs(def.methods or {}) do
    local build = builders[spec.op]
    assert(build, "unknown op '" .. tostring(spec.op) .. "' for " .. name)
    assert(spec.resource, "method " .. name .. " names no resource")
    methods[name] = build(spec, name)
  end
  for name, f in pairs(def.custom or {}) do methods[name] = f end
  def.proxy_mt = {
    __index = methods,
    __name = "openstack.Proxy." .. def.name,
    __tostring = function(p) return ("openstack %s proxy"):format(def.name) end,
  }
  def.method_table = methods
  return def
end

--- Instantiates a service proxy for a connection. A microversion pinned in
-- the configuration (`compute_default_microversion`, or an api_version with
-- a minor part such as `compute_api_version: 2.53`) replaces negotiation.
function proxy.new(conn, def)
  local cfg, pinned = conn.config or {}, nil
  local key = def.config_name or def.name
  local v = cfg[key .. "_api_version"]
  if v and tostring(v):find("%.") then pinned = tostring(v) end
  if cfg[key .. "_default_microversion"] then pinned = tostring(cfg[key .. "_default_microversion"]) end
  return setmetatable({
    _conn = conn, _session = conn.session, _def = def, _service_type = def.service_type,
    _pinned_microversion = pinned,
  }, def.proxy_mt)
end

return proxy
