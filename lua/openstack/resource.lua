--- Resource classes built from declarative definitions.
--
-- A resource instance IS the decoded wire table (no copy): wire keys read
-- directly (`s["OS-EXT-STS:vm_state"]`, `s.name`), friendly names map to wire
-- keys through the class metatable (`s.vm_state`, `s.flavor_id`), and the
-- class's natural methods (`s:refresh()`, `s:reboot("SOFT")`) come from the
-- same metatable. The proxy that produced an instance is known from its
-- metatable too (one per class and proxy, made once), so the instance stays
-- plain, JSON-able data and listing adds nothing per item.
-- @module openstack.resource
local json = require "openstack.json"
local errors = require "openstack.errors"

local resource = {}

--- Normalises an attribute spec: "wire" or {wire=, type=, ...}.
local function attr_spec(friendly, spec)
  if type(spec) == "string" then return { wire = spec, name = friendly } end
  local s = {}
  for k, v in pairs(spec) do s[k] = v end
  s.wire = s.wire or s[1] or friendly
  s[1] = nil
  s.name = friendly
  return s
end

local common_methods = {}

--- Plain data with friendly names (wire names where no friendly one exists).
function common_methods:to_table()
  local class = getmetatable(self).class
  local out = {}
  for k, v in pairs(self) do
    out[class.friendly_of[k] or k] = v
  end
  return out
end

--- The proxy this resource came from.
function common_methods:proxy()
  local p = getmetatable(self).proxy
  if not p then
    errors.raise("InvalidArgument", getmetatable(self).class.name .. " is not bound to a connection")
  end
  return p
end

--- Re-reads the resource from the service, in place.
function common_methods:refresh()
  local class = getmetatable(self).class
  local fresh = self:proxy():_get(class, self, {})
  for k in pairs(self) do self[k] = nil end
  for k, v in pairs(fresh) do rawset(self, k, v) end
  return self
end

function common_methods:delete(opts)
  return self:proxy():_delete(getmetatable(self).class, self, { opts = opts or {} })
end

--- Waits for a status: `r:wait_for{status="ACTIVE", failures={"ERROR"}, wait=120}`.
function common_methods:wait_for(opts)
  return self:proxy():wait_for_status(self, opts)
end

local function instance_tostring(self)
  local class = getmetatable(self).class
  local parts = {}
  for _, key in ipairs({ "id", "name", "status" }) do
    local v = self[key]
    if v ~= nil and v ~= json.null then parts[#parts + 1] = key .. "=" .. tostring(v) end
  end
  return class.name .. "(" .. table.concat(parts, ", ") .. ")"
end

local function instance_tojson(self)
  local out = {}
  for k, v in pairs(self) do out[k] = v end
  return out
end

--- Defines a resource class.
-- def fields: name, base_path (may hold {parent_id} templates), detail_path,
-- resource_key, resources_key, id_key ("id"), name_key ("name"),
-- allow ("create get update delete list"), paginated, attrs ({friendly =
-- "wire" | {wire, type=, list=}}), query ({friendly = "wire"}),
-- open_attrs (unknown create keys allowed), list_unwrap, methods,
-- min_microversion, max_microversion, find_query (filters find_* adds when
-- it lists, e.g. is_public="None" for flavors), normalize (function(raw) run by wrap,
-- e.g. to give `id` to resources keyed by another field). An attribute
-- spec may carry min_microversion / max_microversion: the proxy honours
-- them when the attribute is sent in a create or update body.
function resource.define(def)
  assert(def.name, "resource needs a name")
  local class = {
    name = def.name,
    base_path = def.base_path,
    detail_path = def.detail_path,
    resource_key = def.resource_key,
    resources_key = def.resources_key,
    id_key = def.id_key or "id",
    name_key = def.name_key or "name",
    paginated = def.paginated ~= false,
    open_attrs = def.open_attrs,
    list_unwrap = def.list_unwrap,
    min_microversion = def.min_microversion,
    max_microversion = def.max_microversion,
    update_method = def.update_method or "PUT",
    normalize = def.normalize,
    find_query = def.find_query,   -- extra filters when find_* lists by name
    allow = {},
    attrs = {},        -- friendly -> spec
    wire_of = {},      -- friendly -> wire
    friendly_of = {},  -- wire -> friendly
    query = {},        -- client name -> wire name
  }
  for op in (def.allow or "get list"):gmatch("%S+") do class.allow[op] = true end
  for friendly, spec in pairs(def.attrs or {}) do
    local s = attr_spec(friendly, spec)
    class.attrs[friendly] = s
    class.wire_of[friendly] = s.wire
    if s.wire ~= friendly then class.friendly_of[s.wire] = friendly end
  end
  for k, wire in pairs(def.query or {}) do
    if type(k) == "number" then k = wire end
    class.query[k] = wire
    class.query[wire] = wire -- the wire name is accepted as well
  end
  class.query.limit, class.query.marker = "limit", "marker"

  local methods = {}
  for k, f in pairs(common_methods) do methods[k] = f end
  for k, f in pairs(def.methods or {}) do methods[k] = f end
  class.methods = methods

  local wire_of = class.wire_of
  class.mt = {
    class = class,
    __name = "openstack." .. def.name,
    __index = function(t, k)
      local m = methods[k]
      if m then return m end
      local w = wire_of[k]
      if w then return rawget(t, w) end
    end,
    __tostring = instance_tostring,
    __tojson = instance_tojson,
  }
  return class
end

--- The metatable of class's instances bound to proxy (made once per pair,
-- kept by the proxy): the class's metatable plus `proxy`.
function resource.bound_mt(class, proxy)
  local mts = rawget(proxy, "_bound_mts")
  if not mts then
    mts = {}
    rawset(proxy, "_bound_mts", mts)
  end
  local mt = mts[class]
  if not mt then
    mt = {}
    for k, v in pairs(class.mt) do mt[k] = v end
    mt.proxy = proxy
    mts[class] = mt
  end
  return mt
end

--- Makes `raw` (a decoded wire table) an instance of class, bound to proxy.
function resource.wrap(class, raw, proxy)
  if type(raw) ~= "table" then
    errors.raise("InvalidResponse", ("expected a %s object from the service, got %s"):format(class.name, type(raw)))
  end
  setmetatable(raw, proxy and resource.bound_mt(class, proxy) or class.mt)
  if class.normalize then class.normalize(raw) end
  return raw
end

--- True when v is an instance of class (any class when class is nil).
function resource.is_instance(v, class)
  local mt = type(v) == "table" and getmetatable(v)
  return mt and mt.class and (class == nil or mt.class == class) or false
end

--- The id of a string, instance or plain table, for class; raises naming
-- the argument when none can be found.
function resource.id_of(class, value, fname, argname)
  local t = type(value)
  if t == "string" then return value end
  if t == "number" and math.type(value) == "integer" then return tostring(value) end
  if t == "table" then
    local id = rawget(value, class.id_key)
    if id == nil then id = value.id end
    if id == nil and class.id_key ~= "id" then id = value[class.wire_of[class.id_key] or class.id_key] end
    if id == nil and class.friendly_of[class.id_key] then id = rawget(value, class.friendly_of[class.id_key]) end
    if id ~= nil and id ~= json.null then return tostring(id) end
    errors.raise("InvalidArgument", ("%s: argument '%s' has no %s"):format(fname, argname, class.id_key),
      { argument = argname }, 4)
  end
  errors.raise("InvalidArgument",
    ("%s: argument '%s' must be a %s, its id (string) or a table, got %s"):format(fname, argname, class.name, t),
    { argument = argname }, 4)
end

--- Converts request attributes (friendly or wire names) to wire names,
-- checking names and declared types. Returns the wire table.
function resource.to_wire(class, attrs, fname)
  local out = {}
  for k, v in pairs(attrs) do
    if type(k) ~= "string" then
      errors.raise("InvalidArgument", ("%s: attribute names must be strings, got %s"):format(fname, type(k)), nil, 4)
    end
    local spec = class.attrs[k]
    if not spec then
      local friendly = class.friendly_of[k]
      spec = friendly and class.attrs[friendly]
      if not spec then
        for _, s in pairs(class.attrs) do if s.wire == k then spec = s break end end
      end
    end
    if not spec and not class.open_attrs then
      local known = {}
      for name in pairs(class.attrs) do known[#known + 1] = name end
      table.sort(known)
      errors.raise("InvalidArgument", ("%s: unknown attribute '%s' for %s (known: %s)")
        :format(fname, k, class.name, table.concat(known, ", ")), { argument = k }, 4)
    end
    if spec and spec.type and v ~= json.null then
      local want, got = spec.type, type(v)
      local ok = got == want or (want == "integer" and math.type(v) == "integer")
        or (want == "number" and got == "number") or (want == "list" and got == "table")
        or (want == "object" and got == "table")
      if not ok then
        errors.raise("InvalidArgument", ("%s: attribute '%s' must be %s, got %s"):format(fname, k, want,
          got == "number" and (math.type(v) or got) or got), { argument = k }, 4)
      end
      if want == "list" and next(v) == nil then v = json.array() end
      if want == "object" and next(v) == nil then v = json.object() end
    end
    out[spec and spec.wire or k] = v
  end
  return out
end

return resource
