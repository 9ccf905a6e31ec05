--- Helpers for the ostack-lua REPL: a readable printer for results and the
-- candidates for tab completion. Loading this module loads nothing else,
-- and completing never calls a function of the objects it looks into, so
-- Tab can neither connect nor send a request: `conn.` is completed from the
-- service names without forcing the lazy global, `conn.compute:` from the
-- service's method table (the service module is loaded, which is local).
-- @module openstack.repl
local M = {}

--- Layout of `show`: the line width a table must fit to stay on one line,
-- the items shown per table, the nesting shown, the indentation unit.
-- The interpreter sets `width` from the terminal before printing.
M.width = 80
M.max_items = 50
M.max_depth = 8
M.indent = "  "

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[w] = true
end

local function is_identifier(s)
  return type(s) == "string" and s:find("^[%a_][%w_]*$") ~= nil and not KEYWORDS[s]
end

-- ------------------------------------------------------------------ show

local ESCAPES = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\",
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\v"] = "\\v" }

--- A string as a Lua literal: escapes control characters, keeps UTF-8.
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or ("\\%03d"):format(c:byte())
  end) .. '"'
end
M.quote = quote

-- tostring through __tostring, protected (a broken __tostring must not
-- break the printer).
local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return ("<%s: __tostring failed>"):format(type(v))
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

-- Key order: the sequence 1..n first, then strings, numbers, booleans,
-- anything else (each group sorted).
local TYPE_RANK = { string = 1, number = 2, boolean = 3 }
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return (TYPE_RANK[ta] or 4) < (TYPE_RANK[tb] or 4) end
  if ta == "string" or ta == "number" then return a < b end
  return safe_tostring(a) < safe_tostring(b)
end

local function render_key(k)
  if is_identifier(k) then return k end
  if type(k) == "string" then return "[" .. quote(k) .. "]" end
  if type(k) == "number" or type(k) == "boolean" then return "[" .. tostring(k) .. "]" end
  return "[" .. safe_tostring(k) .. "]"
end

local render

-- A table laid out on one line when it fits, else one entry per line.
local function render_table(t, o, depth, ancestors, col)
  if ancestors[t] then return "<cycle: " .. safe_tostring(t):gsub("^table: ", "table ") .. ">" end
  o.nodes = o.nodes + 1 -- shared subtables are rendered each time: bound the work
  if depth >= o.max_depth or o.nodes > o.max_nodes then return next(t) == nil and "{}" or "{...}" end
  ancestors[t] = true
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local total = n + #keys
  local shown, parts, inline_len, multiline = 0, {}, 0, false
  local inner = col + #o.indent
  local function add(prefix, v)
    local s = render(v, o, depth + 1, ancestors, inner + #prefix)
    parts[#parts + 1] = prefix .. s
    inline_len = inline_len + #prefix + #s + 2
    if s:find("\n", 1, true) then multiline = true end
  end
  local fill = 0 -- leading parts that are short scalars
  for i = 1, n do
    if shown >= o.max_items then break end
    shown = shown + 1
    local v = rawget(t, i)
    add("", v)
    if fill == i - 1 and type(v) ~= "table" and #parts[#parts] <= 40 then fill = i end
  end
  for _, k in ipairs(keys) do
    if shown >= o.max_items then break end
    shown = shown + 1
    add(render_key(k) .. " = ", rawget(t, k))
  end
  ancestors[t] = nil
  if total > shown then parts[#parts + 1] = ("... (%d more)"):format(total - shown) end
  if #parts == 0 then return "{}" end
  if not multiline and col + inline_len + 2 <= o.width then
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  local pad = o.indent:rep(depth + 1)
  -- a run of short scalars (numbers, ids, names) fills lines instead of
  -- taking one line each
  local lines, first = {}, 1
  if fill > 1 then
    local line = parts[1]
    for i = 2, fill do
      if #pad + #line + 2 + #parts[i] + 1 <= o.width then
        line = line .. ", " .. parts[i]
      else
        lines[#lines + 1] = line
        line = parts[i]
      end
    end
    lines[#lines + 1] = line
    first = fill + 1
  end
  for i = first, #parts do lines[#lines + 1] = parts[i] end
  return "{\n" .. pad .. table.concat(lines, ",\n" .. pad) .. "\n" .. o.indent:rep(depth) .. "}"
end

function render(v, o, depth, ancestors, col)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "table" then
    if has_tostring(v) then return safe_tostring(v) end
    return render_table(v, o, depth, ancestors, col)
  end
  return safe_tostring(v)
end

--- A readable, Lua-like rendering of any value: objects with __tostring
-- (resources, errors, connections, JSON null) as their one-line form,
-- other tables as `{ key = value, ... }`, wrapped at `width`, at most
-- `max_items` entries per table and `max_depth` levels, cycles marked.
-- opts overrides the module's width, max_items, max_depth, indent.
function M.show(v, opts)
  local o = { width = M.width, max_items = M.max_items, max_depth = M.max_depth, indent = M.indent,
    max_nodes = 2000 }
  for k, x in pairs(opts or {}) do o[k] = x end
  o.nodes = 0
  return render(v, o, 0, {}, 0)
end

--- Prints the results of a REPL line: strings as they are (like print),
-- everything else through `show`; several results separated by tabs, or
-- by newlines when one of them spans lines.
function M.print(...)
  local n = select("#", ...)
  if n == 0 then return end
  local parts, multi = {}, false
  for i = 1, n do
    local v = select(i, ...)
    local s = type(v) == "string" and v or M.show(v)
    if s:find("\n", 1, true) then multi = true end
    parts[i] = s
  end
  io.stdout:write(table.concat(parts, multi and "\n" or "\t"), "\n")
  io.stdout:flush()
end

-- ------------------------------------------------------------------ completion

-- Services of a connection (attribute -> service module) and its methods,
-- taken from openstack.connection when it exposes them (read through the
-- upvalues of its __index), else these known ones.
local connection_info
local function conn_info()
  if connection_info then return connection_info end
  local Connection = require "openstack.connection"
  local names = {}
  for k, v in pairs(Connection.methods) do if type(v) == "function" then names[#names + 1] = k end end
  connection_info = { services = Connection.services, methods = names }
  return connection_info
end

-- The method table of a service module (the proxy's class), or nil.
local function service_methods(mod)
  local ok, def = pcall(require, "openstack.services." .. mod)
  if ok and type(def) == "table" and type(def.method_table) == "table" then return def.method_table end
  return nil
end

-- Stand-in for the lazy global `conn` before it has connected.
local LAZY_CONN = setmetatable({}, { __name = "openstack.Connection" })

local function is_connection(v)
  if v == LAZY_CONN then return true end
  local mt = type(v) == "table" and getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__name") == "openstack.Connection"
end

local function resource_class(v)
  local mt = type(v) == "table" and getmetatable(v)
  local class = type(mt) == "table" and rawget(mt, "class")
  if type(class) == "table" and type(class.methods) == "table" then return class end
  return nil
end

-- The tables a value's fields come from: itself, then its __index chain
-- (tables only; an __index function is never called).
local function lookup_chain(v)
  local chain = {}
  if type(v) == "table" then chain[1] = v end
  local mt = getmetatable(v)
  local seen = {}
  while type(mt) == "table" and not seen[mt] do
    seen[mt] = true
    local index = rawget(mt, "__index")
    if type(index) ~= "table" then break end
    chain[#chain + 1] = index
    mt = getmetatable(index)
  end
  return chain
end

-- One field of v, without side effects; nil when it cannot be known.
local function field(v, key)
  if is_connection(v) then
    local mod = conn_info().services[key]
    if mod then
      local proxies = v ~= LAZY_CONN and rawget(v, "_proxies")
      local p = type(proxies) == "table" and rawget(proxies, mod)
      return p or service_methods(mod)
    end
    if v ~= LAZY_CONN and rawget(v, key) ~= nil then return rawget(v, key) end
    for _, m in ipairs(conn_info().methods) do
      if m == key then return function() end end
    end
    return nil
  end
  local class = resource_class(v)
  if class then
    local raw = rawget(v, key)
    if raw ~= nil then return raw end
    if class.methods[key] then return class.methods[key] end
    local wire = class.wire_of and class.wire_of[key]
    return wire and rawget(v, wire) or nil
  end
  for _, t in ipairs(lookup_chain(v)) do
    local x = rawget(t, key)
    if x ~= nil then return x end
  end
  return nil
end

-- The names a value offers after "." (every field) or ":" (methods only).
local function field_names(v, methods_only, out)
  local function add(k, x)
    if type(k) == "string" and (not methods_only or type(x) == "function") then out[k] = true end
  end
  if is_connection(v) then
    for _, m in ipairs(conn_info().methods) do out[m] = true end
    if not methods_only then
      for name in pairs(conn_info().services) do out[name] = true end
      if v ~= LAZY_CONN then for k, x in next, v do add(k, x) end end
    end
    return out
  end
  local class = resource_class(v)
  if class then
    for k, f in pairs(class.methods) do add(k, f) end
    if not methods_only then
      for k in next, v do add(class.friendly_of and class.friendly_of[k] or k, true) end
      for k in pairs(class.attrs or {}) do out[k] = true end
    end
    return out
  end
  for _, t in ipairs(lookup_chain(v)) do
    for k, x in next, t do add(k, x) end
  end
  return out
end

local function global(env, name)
  local v = rawget(env, name)
  if v ~= nil then return v end
  if name == "conn" then return LAZY_CONN end
  if name == "openstack" then
    local ok, m = pcall(require, "openstack")
    if ok then return m end
  end
  return nil
end

--- Completion candidates for `text`, the word before the cursor: a
-- global (`pri`), a field (`string.fo`, `conn.comp`) or a method
-- (`conn.compute:ser`). Returns the sorted list of whole replacements
-- (`conn.compute:servers`, ...). Names starting with "_" are offered only
-- when the typed part starts with "_". Never calls the objects' functions.
function M.complete(text, env)
  env = env or _G
  if type(text) ~= "string" then return {} end
  local names = {}
  local prefix, partial = text:match("^(.*[.:])([%w_]*)$")
  if prefix == nil then
    if not text:find("^[%a_]?[%w_]*$") then return {} end
    prefix, partial = "", text
    for k in next, env do
      if type(k) == "string" then names[k] = true end
    end
    names.conn, names.openstack = true, true
    for k in pairs(KEYWORDS) do names[k] = true end
  else
    local path, sep = prefix:sub(1, -2), prefix:sub(-1)
    local v, first = nil, true
    for segment in (path .. "."):gmatch("([^.]*)%.") do
      if not is_identifier(segment) then return {} end
      if first then v, first = global(env, segment), false else v = field(v, segment) end
      if v == nil then return {} end
    end
    if type(v) ~= "table" and type(v) ~= "string" then return {} end
    field_names(v, sep == ":", names)
    -- fields of keyword names cannot be written as a.b
    for k in pairs(names) do
      if not is_identifier(k) then names[k] = nil end
    end
  end
  local out = {}
  local private_ok = partial:sub(1, 1) == "_"
  for name in pairs(names) do
    if name:sub(1, #partial) == partial and (private_ok or name:sub(1, 1) ~= "_") then
      out[#out + 1] = prefix .. name
    end
  end
  table.sort(out)
  return out
end

return M
