--- A connection: one resolved cloud configuration, one core session (with
-- its pooled HTTP connections, token and catalog), and the service proxies
-- built on first use (`conn.compute`, `conn.block_store`, `conn.image`).
-- @module openstack.connection
local core = require "openstack.core"
local config = require "openstack.config"
local proxy = require "openstack.proxy"

local Connection = {}

-- attribute name -> service module (aliases share one proxy)
local services = {
  compute = "compute",
  block_store = "block_store", block_storage = "block_store", volume = "block_store",
  image = "image",
}

local methods = {}
-- exported for tools (the REPL completes service names and methods from these)
Connection.services, Connection.methods = services, methods

local function log_function(args, cfg)
  if args.log then return args.log end
  local host = core.host_log and core.host_log()
  if host then return host end
  if cfg.debug then return function(line) io.stderr:write("[openstack] ", line, "\n") end end
  return nil
end

--- Creates a connection (see openstack.connect).
function Connection.new(args)
  args = args or {}
  if type(args) ~= "table" then
    require("openstack.errors").raise("InvalidArgument",
      "openstack.connect: expected a table of options, got " .. type(args), nil, 3)
  end
  local cfg, warnings = config.load(args)
  local log = log_function(args, cfg)
  for _, w in ipairs(warnings or {}) do
    if log then log("WARNING: " .. w) else io.stderr:write("openstack: warning: ", w, "\n") end
  end
  local session = core.session(cfg, log)
  return setmetatable({ session = session, config = cfg, _proxies = {} }, Connection)
end

Connection.__index = function(self, k)
  local m = methods[k]
  if m then return m end
  local mod = services[k]
  if mod then
    local p = self._proxies[mod]
    if not p then
      p = proxy.new(self, require("openstack.services." .. mod))
      self._proxies[mod] = p
    end
    return p
  end
end

Connection.__name = "openstack.Connection"

function Connection.__tostring(self)
  local cfg = self.config
  return ("openstack.Connection (cloud %s, %s)"):format(cfg.cloud or "-", tostring(self.session))
end

function Connection.__close(self) self:close() end
Connection.__gc = function(self) if rawget(self, "session") then self.session:close() end end

--- Authenticates now (normally it happens on the first request) and
-- returns the token's facts: expires, user, project; never the token.
function methods:authorize()
  self.session:authenticate(false)
  return self.session:token_info()
end

--- The service catalog: a list of {type, name, interface, region, url}.
function methods:catalog()
  self.session:authenticate(false)
  return self.session:catalog()
end

--- The resolved endpoint of a service: {url, root, api_version,
-- min_microversion, max_microversion, ...}.
function methods:endpoint(service_type)
  return self.session:endpoint(service_type)
end

--- A raw request: conn:request("compute", "GET", "/servers", {query=...}).
function methods:request(service_type, method, path, opts)
  opts = opts or {}
  opts.service, opts.method, opts.path = service_type, method, path
  return self.session:request(opts)
end

--- Runs many calls at once: each task is a function written as ordinary
-- sequential Lua; at most opts.concurrency (8) run at a time. Returns
-- results (by task index), errors (by task index) and the error count.
function methods:gather(tasks, opts)
  return require("openstack.gather").run(self.session, tasks, opts)
end

--- The configuration with every secret redacted.
function methods:redacted_config()
  return config.redact(self.config)
end

function methods:close()
  self.session:close()
end

return Connection
