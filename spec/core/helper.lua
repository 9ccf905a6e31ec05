-- Shared helpers for the core runtime specs (spec/core/*_spec.lua).
-- Not a spec itself: busted only runs files matching "_spec".
local fixture = require "spec.support.fixture"
local core = require "openstack.core"
local errors = require "openstack.errors"
local cjson = require "cjson"
local luassert = require "luassert"

local M = {}

-- Test secrets: distinctive strings that must never show up in logs,
-- error messages or tostring() output.
M.PASSWORD = "Pw-s3cret-4f9a1c"
M.TOKEN = "gAAAAAB-token-7d1e0c9b"
M.APP_SECRET = "AppCred-s3cret-55ab"
M.ADMIN_PASS = "AdminPass-s3cret-99"

--- A Keystone v3 password session against the fixture; `extra` overrides
-- or adds settings. Retries are made fast.
function M.session(fx, extra, log)
  local cfg = {
    auth_url = fx.url .. "/v3",
    username = "alice",
    password = M.PASSWORD,
    user_domain_name = "Default",
    project_name = "demo",
    project_domain_name = "Default",
    retry_backoff_base = 0.01,
  }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return core.session(cfg, log)
end

--- A session without authentication (auth_type none), fast retries.
function M.noauth(extra, log)
  local cfg = { auth_type = "none", retry_backoff_base = 0.01 }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return core.session(cfg, log)
end

--- Calls fn(...) and returns the SDK error it raised, asserting its class.
function M.raises(class, fn, ...)
  local ok, e = pcall(fn, ...)
  luassert.is_false(ok, "expected a " .. class .. " error, the call succeeded")
  luassert.is_true(errors.is(e, class), ("expected a %s error, got: %s"):format(class, tostring(e)))
  return e
end

--- Decodes a recorded JSON body with cjson (independent of the SDK's codec).
function M.body_json(req)
  assert(req and req.body, "the request has no recorded body")
  return cjson.decode(req.body)
end

--- Recorded requests matching method and path (nil matches any).
function M.filter(fx, method, path)
  local out = {}
  for _, r in ipairs(fx:requests()) do
    if (method == nil or r.method == method) and (path == nil or r.path == path) then
      out[#out + 1] = r
    end
  end
  return out
end

function M.iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function M.sh(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  p:close()
  return out
end

function M.tmpdir()
  return (M.sh("mktemp -d /tmp/ostack-core-spec.XXXXXX"):gsub("%s+$", ""))
end

function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

--- The bytes the fixture sends for body_size = n (byte i is i % 256).
function M.pattern(n)
  local block = {}
  for i = 0, 255 do block[#block + 1] = string.char(i) end
  block = table.concat(block)
  return (block:rep(n // 256 + 1)):sub(1, n)
end

--- sha256 hex of a string, computed by sha256sum (not by the SDK).
function M.sha256(data)
  local dir = M.tmpdir()
  local path = M.write_file(dir .. "/data", data)
  local out = M.sh("sha256sum " .. path)
  os.execute("rm -rf " .. dir)
  return out:match("^(%x+)")
end

--- `printf data | gzip -c`, as bytes.
function M.gzip(data)
  local dir = M.tmpdir()
  M.write_file(dir .. "/in", data)
  local out = M.sh("gzip -c " .. dir .. "/in")
  os.execute("rm -rf " .. dir)
  return out
end

--- A minimal Keystone v3 token response body (for scripting several
-- different tokens in a queue); catalog is a list of {type=, url=}.
function M.token_body(opts)
  opts = opts or {}
  local catalog = {}
  for i, svc in ipairs(opts.catalog or { { type = "compute", url = "{{base}}/compute/v2.1" } }) do
    catalog[i] = {
      id = "svc" .. i, type = svc.type, name = svc.name or svc.type,
      endpoints = { { id = "ep" .. i, interface = "public", region = "RegionOne",
        region_id = "RegionOne", url = svc.url } },
    }
  end
  return {
    token = {
      methods = { "password" },
      expires_at = opts.expires_at or M.iso(os.time() + 3600),
      issued_at = M.iso(os.time()),
      user = { id = "u-1", name = "alice", domain = { id = "default", name = "Default" } },
      project = { id = "p-1", name = "demo", domain = { id = "default", name = "Default" } },
      catalog = catalog,
    },
  }
end

--- Scripts POST /v3/auth/tokens to hand out `tokens` in turn (the last one
-- forever), each with the given token body.
function M.token_queue(fx, tokens, body)
  local responses = {}
  for i, t in ipairs(tokens) do
    responses[i] = { status = 201, headers = { ["X-Subject-Token"] = t }, json = body or M.token_body() }
  end
  fx:route("POST", "/v3/auth/tokens", responses)
end

M.fixture = fixture
M.core = core
M.errors = errors

return M
