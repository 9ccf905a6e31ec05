--- Argument checks shared by the compute methods: each raises
-- InvalidArgument naming the method and the argument, before any request.
-- @module openstack.services.compute.check
local errors = require "openstack.errors"
local json = require "openstack.json"

local check = {}

local function fail(fname, argname, message, level)
  errors.raise("InvalidArgument", ("%s: %s"):format(fname, message), { argument = argname }, (level or 3) + 1)
end
check.fail = fail

--- A non-empty string.
function check.string(fname, argname, v, level)
  if type(v) ~= "string" then
    fail(fname, argname, ("argument '%s' must be a string, got %s"):format(argname, type(v)), level)
  end
  if v == "" then fail(fname, argname, ("argument '%s' must not be empty"):format(argname), level) end
  return v
end

--- nil or a string.
function check.opt_string(fname, argname, v, level)
  if v ~= nil then return check.string(fname, argname, v, (level or 3) + 1) end
end

--- nil or a table (the options argument).
function check.opts(fname, v, level)
  if v == nil then return {} end
  if type(v) ~= "table" then
    fail(fname, "options", ("the options argument must be a table, got %s"):format(type(v)), level)
  end
  return v
end

--- An integer, at least min.
function check.integer(fname, argname, v, min, level)
  if math.type(v) ~= "integer" then
    fail(fname, argname, ("argument '%s' must be an integer, got %s"):format(argname,
      type(v) == "number" and "a float" or type(v)), level)
  end
  if min and v < min then
    fail(fname, argname, ("argument '%s' must be at least %d, got %d"):format(argname, min, v), level)
  end
  return v
end

--- One of the listed values.
function check.one_of(fname, argname, v, values, level)
  for _, ok in ipairs(values) do if v == ok then return v end end
  local shown = {}
  for i, ok in ipairs(values) do shown[i] = ("%q"):format(ok) end
  fail(fname, argname, ("argument '%s' must be %s, got %s"):format(argname, table.concat(shown, " or "),
    type(v) == "string" and ("%q"):format(v) or tostring(v)), level)
end

--- An id: a string, or a table with an id (any resource object).
function check.id(fname, argname, v, level)
  if type(v) == "string" and v ~= "" then return v end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "table" then
    local id = rawget(v, "id")
    if id == nil then id = v.id end
    if id ~= nil and id ~= json.null then return tostring(id) end
    fail(fname, argname, ("argument '%s' has no id"):format(argname), level)
  end
  fail(fname, argname, ("argument '%s' must be an id (string) or an object with an id, got %s")
    :format(argname, type(v)), level)
end

--- A metadata table: string keys and string values of at most 255 bytes.
-- Returns a copy marked as a JSON object.
function check.metadata(fname, argname, md, level)
  level = (level or 3) + 1
  if type(md) ~= "table" then
    fail(fname, argname, ("argument '%s' must be a table of strings, got %s"):format(argname, type(md)), level - 1)
  end
  local out = json.object()
  for k, v in pairs(md) do
    if type(k) ~= "string" or k == "" or #k > 255 then
      fail(fname, argname, ("metadata keys must be strings of 1 to 255 bytes, got %s")
        :format(type(k) == "string" and ("%q"):format(k) or type(k)), level - 1)
    end
    if type(v) ~= "string" then
      fail(fname, argname, ("metadata value of '%s' must be a string, got %s"):format(k, type(v)), level - 1)
    end
    if #v > 255 then
      fail(fname, argname, ("metadata value of '%s' is longer than 255 bytes"):format(k), level - 1)
    end
    out[k] = v
  end
  return out
end

--- A server tag: 1 to 60 characters, no "/" or ",".
function check.tag(fname, argname, tag, level)
  level = (level or 3) + 1
  if type(tag) ~= "string" then
    fail(fname, argname, ("tag must be a string, got %s"):format(type(tag)), level - 1)
  end
  if tag == "" or utf8.len(tag) == nil or utf8.len(tag) > 60 then
    fail(fname, argname, ("tag %q must be 1 to 60 characters"):format(tag), level - 1)
  end
  if tag:find("[/,]") then
    fail(fname, argname, ("tag %q must not contain \"/\" or \",\""):format(tag), level - 1)
  end
  return tag
end

--- The wire keys a create body must carry.
function check.required(fname, wire, keys, level)
  for _, k in ipairs(keys) do
    local wname, friendly = k[1] or k, k[2] or k
    if wire[wname] == nil or wire[wname] == json.null then
      fail(fname, friendly, ("missing required attribute '%s'"):format(friendly), level)
    end
  end
end

return check
