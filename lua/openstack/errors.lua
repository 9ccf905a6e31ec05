-- Error objects: one metatable, a class hierarchy kept as data, and the
-- constructor every layer (C binding included) uses, so that an error caught
-- with pcall always has the same shape: class, message, and where it applies
-- status, request_id, method, url, details, retries, reason.
local errors = {}

-- class -> parent. Checking `e:is("NotFound")` walks this chain.
local parent = {
  OpenStackError = false,
  HttpError = "OpenStackError",
  BadRequest = "HttpError",
  Unauthorized = "HttpError",
  Forbidden = "HttpError",
  NotFound = "HttpError",
  ResourceNotFound = "NotFound",
  MethodNotAllowed = "HttpError",
  NotAcceptable = "HttpError",
  Conflict = "HttpError",
  Gone = "HttpError",
  PayloadTooLarge = "HttpError",
  RateLimited = "HttpError",
  ServerError = "HttpError",
  NotImplemented = "ServerError",
  ServiceUnavailable = "ServerError",
  TransportError = "OpenStackError",
  InvalidResponse = "OpenStackError",
  ChecksumMismatch = "InvalidResponse",
  ConfigError = "OpenStackError",
  InvalidArgument = "OpenStackError",
  InvalidRequest = "InvalidArgument",
  InvalidResourceQuery = "InvalidArgument",
  MethodNotSupported = "InvalidArgument",
  MicroversionUnsupported = "InvalidArgument",
  EndpointNotFound = "ConfigError",
  DuplicateResource = "OpenStackError",
  ResourceTimeout = "OpenStackError",
  ResourceFailure = "OpenStackError",
}
errors.classes = parent

-- HTTP status -> class, for responses >= 400.
local by_status = {
  [400] = "BadRequest", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "NotFound", [405] = "MethodNotAllowed", [406] = "NotAcceptable",
  [409] = "Conflict", [410] = "Gone", [413] = "PayloadTooLarge",
  [429] = "RateLimited", [501] = "NotImplemented", [503] = "ServiceUnavailable",
}

function errors.class_for_status(status)
  return by_status[status] or (status >= 500 and "ServerError") or "HttpError"
end

local Error = {}
Error.__index = Error
Error.__name = "openstack.Error"
errors.Error = Error

function Error:is(class)
  local c = self.class
  while c do
    if c == class then return true end
    c = parent[c]
  end
  return false
end

function Error.__tostring(e)
  local s = e.class .. ": " .. tostring(e.message)
  local ctx = {}
  if e.status then ctx[#ctx + 1] = "HTTP " .. e.status end
  if e.method and e.url then ctx[#ctx + 1] = e.method .. " " .. e.url end
  if e.request_id then ctx[#ctx + 1] = "request " .. e.request_id end
  if e.retries and e.retries > 0 then
    ctx[#ctx + 1] = ("after %d retries"):format(e.retries)
  end
  if #ctx > 0 then s = s .. " (" .. table.concat(ctx, ", ") .. ")" end
  return s
end

-- OSTACK_TRACE_FILE also receives every error built (see src/session.c).
local trace_file = os.getenv("OSTACK_TRACE_FILE")
if trace_file == "" then trace_file = nil end

--- Build an error object. `fields` may carry status, request_id, method,
-- url, details, retries, reason, retry_after and anything else useful.
function errors.new(class, message, fields)
  if parent[class] == nil then
    error("unknown error class '" .. tostring(class) .. "'", 2)
  end
  local e = {}
  if fields then for k, v in pairs(fields) do e[k] = v end end
  e.class, e.message = class, message
  setmetatable(e, Error)
  if trace_file then
    local f = io.open(trace_file, "a")
    if f then f:write("ERROR ", tostring(e), "\n"); f:close() end
  end
  return e
end

--- Raise an error object; `level` as for error() (default: the caller's caller).
function errors.raise(class, message, fields, level)
  error(errors.new(class, message, fields), level or 3)
end

--- True when `e` is an SDK error of `class` (or of a subclass).
function errors.is(e, class)
  return getmetatable(e) == Error and e:is(class)
end

--- Argument checking that names the argument and what was expected.
function errors.check_arg(fname, argname, value, expected, level)
  local t = type(value)
  for want in expected:gmatch("[^|]+") do
    if t == want then return value end
  end
  errors.raise("InvalidArgument",
    ("%s: argument '%s' must be %s, got %s"):format(fname, argname, expected:gsub("|", " or "), t),
    { argument = argname }, (level or 2) + 1)
end

return errors
