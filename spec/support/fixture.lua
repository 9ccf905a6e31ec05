-- Lua side of the fixture HTTP server: starts/stops spec/support/fixture_server.py,
-- scripts its routes and reads back what it recorded. Independent of the SDK under
-- test on purpose: control calls go through the curl CLI, JSON through cjson.
local cjson = require "cjson"

local M = {}

-- Next to this file, so specs may run from any working directory.
local SERVER = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "fixture_server.py"
local PYTHON = "/usr/bin/python3" -- not the pyenv shim that may be first on PATH

local function q(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

-- base64 (for bytes that JSON strings cannot carry) -------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_CHAR, B64_INDEX = {}, {}
for i = 1, 64 do
  B64_CHAR[i - 1] = B64:sub(i, i)
  B64_INDEX[B64:byte(i)] = i - 1
end

local function b64encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    out[#out + 1] = B64_CHAR[n >> 18] .. B64_CHAR[(n >> 12) & 63]
      .. (b and B64_CHAR[(n >> 6) & 63] or "=") .. (c and B64_CHAR[n & 63] or "=")
  end
  return table.concat(out)
end

local function b64decode(s)
  s = s:gsub("[^%w+/]", "")
  local out = {}
  for i = 1, #s, 4 do
    local a, b, c, d = s:byte(i, i + 3)
    local n = (B64_INDEX[a] << 18) | (B64_INDEX[b] << 12)
      | ((c and B64_INDEX[c] or 0) << 6) | (d and B64_INDEX[d] or 0)
    out[#out + 1] = string.char(n >> 16, (n >> 8) & 255, n & 255):sub(1, c and (d and 3 or 2) or 1)
  end
  return table.concat(out)
end

M.b64encode, M.b64decode = b64encode, b64decode

-- control API ----------------------------------------------------------------

local function run(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

-- cjson 2.1 cannot tell an empty array from an empty object; this sentinel
-- (a string no real data contains) is encoded as [].
M.empty_array = "\0fixture:empty_array\0"
local EMPTY_ARRAY_JSON = '"\\u0000fixture:empty_array\\u0000"'

-- cjson writes "/" as "\/"; undo it so bodies read like real API output.
-- In a run of backslashes before "/", an odd count means the last one escapes it.
local function json_encode(v)
  local text = cjson.encode(v):gsub("(\\+)/", function(bs)
    if #bs % 2 == 1 then return bs:sub(2) .. "/" end
  end)
  return (text:gsub(EMPTY_ARRAY_JSON:gsub("%p", "%%%0"), "[]"))
end
M.json_encode = json_encode

local function control(self, method, path, payload)
  local cmd = { "curl -sS --noproxy '*' -H 'Expect:' -X", method, "-w '\\n%{http_code}'" }
  local tmp
  if payload ~= nil then
    tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write(cjson.encode(payload))
    f:close()
    cmd[#cmd + 1] = "-H 'Content-Type: application/json' --data-binary @" .. q(tmp)
  end
  cmd[#cmd + 1] = q(self.control_url .. "/__fixture/" .. path)
  local out, rc = run(table.concat(cmd, " ") .. " 2>&1")
  if tmp then os.remove(tmp) end
  local body, status = out:match("^(.*)\n(%d+)$")
  if rc ~= 0 or status ~= "200" then
    error(("fixture: %s %s failed (curl rc=%s): %s"):format(method, path, rc, out), 3)
  end
  return cjson.decode(body)
end

-- A response may be given as a status number, a body string, or a table;
-- `json = <table>` is encoded here and typed application/json.
local function normalize_response(r)
  if type(r) == "number" then return { status = r } end
  if type(r) == "string" then return { body = r } end
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  if out.json ~= nil then
    out.body = json_encode(out.json)
    out.json = nil
    local headers = {}
    for k, v in pairs(out.headers or {}) do headers[k] = v end
    local typed = false
    for k in pairs(headers) do
      if k:lower() == "content-type" then typed = true end
    end
    if not typed then headers["Content-Type"] = "application/json" end
    out.headers = headers
  end
  if type(out.body) == "string" and not utf8.len(out.body) then
    -- JSON text must be UTF-8: ship arbitrary bytes as base64.
    out.body_base64, out.body = b64encode(out.body), nil
  end
  if out.headers and next(out.headers) == nil then out.headers = nil end
  return out
end

local function is_list(t)
  return type(t) == "table" and t[1] ~= nil
end

local function normalize_route(r)
  local out = { method = r.method, path = r.path, path_prefix = r.path_prefix, query = r.query }
  local responses = r.responses or (r.response and { r.response }) or { {} }
  if not is_list(responses) then responses = { responses } end
  out.responses = {}
  for i, resp in ipairs(responses) do out.responses[i] = normalize_response(resp) end
  return out
end

local Fixture = {}
Fixture.__index = Fixture

--- fx:route(method, path, response_or_list, opts)
-- opts.query: exact query to match; opts.prefix = true: `path` is a path_prefix.
function Fixture:route(method, path, responses, opts)
  opts = opts or {}
  local r = { method = method, query = opts.query, responses = responses }
  if opts.prefix then r.path_prefix = path else r.path = path end
  return self:routes({ r })
end

function Fixture:routes(list)
  local payload = {}
  for i, r in ipairs(list) do payload[i] = normalize_route(r) end
  if #payload == 0 then return self end
  control(self, "POST", "routes", payload)
  return self
end

function Fixture:reset()
  control(self, "POST", "reset")
  return self
end

function Fixture:requests()
  local list = control(self, "GET", "requests")
  for _, r in ipairs(list) do
    if r.body == cjson.null then r.body = nil end
    if r.body_base64 then r.body, r.body_base64 = b64decode(r.body_base64), nil end
  end
  return list
end

function Fixture:last_request()
  local list = self:requests()
  return list[#list]
end

--- Number of recorded requests; nil method or path matches any.
function Fixture:count(method, path)
  local n = 0
  for _, r in ipairs(self:requests()) do
    if (method == nil or r.method == method:upper()) and (path == nil or r.path == path) then
      n = n + 1
    end
  end
  return n
end

function Fixture:stop()
  if not self._proc then return end
  local proc = self._proc
  self._proc = nil
  os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
  proc:close() -- waits for the server to exit
end

-- A forgotten stop() must not leave the server running until busted exits.
function Fixture:__gc() pcall(self.stop, self) end
Fixture.__close = Fixture.stop

--- fixture.start{tls = nil | {cert=, key=, client_ca=}} -> fx
function M.start(opts)
  opts = opts or {}
  local args = { PYTHON, q(SERVER) }
  local tls = opts.tls
  if tls then
    args[#args + 1] = "--tls " .. q(tls.cert) .. " " .. q(tls.key)
    if tls.client_ca then args[#args + 1] = "--client-ca " .. q(tls.client_ca) end
  end
  -- exec: the server's pid is the shell's $$, and its parent is this Lua
  -- process, whose death it watches.
  args[#args + 1] = "--parent $PPID"
  local proc = assert(io.popen("echo PID $$; exec " .. table.concat(args, " "), "r"))
  local fx = setmetatable({ _proc = proc }, Fixture)
  while true do
    local line = proc:read("l")
    if not line then
      proc:close()
      error("fixture: server did not start (see stderr)", 2)
    end
    local key, n = line:match("^(%u+) (%d+)$")
    if key == "PID" then fx.pid = tonumber(n)
    elseif key == "CONTROL" then fx.control_port = tonumber(n)
    elseif key == "PORT" then fx.port = tonumber(n); break end
  end
  fx.url = (tls and "https" or "http") .. "://127.0.0.1:" .. fx.port
  -- With TLS, control calls use a separate plain-HTTP port (no CA, no client cert).
  fx.control_url = "http://127.0.0.1:" .. (fx.control_port or fx.port)
  return fx
end

--- fixture.make_cert(dir) -> {ca=, cert=, key=, client_cert=, client_key=}
-- Throwaway CA plus a server cert for 127.0.0.1/localhost and a client cert.
function M.make_cert(dir)
  if not dir then
    dir = assert(io.popen("mktemp -d /tmp/fixture-certs.XXXXXX")):read("l")
  else
    os.execute("mkdir -p " .. q(dir))
  end
  local p = function(name) return dir .. "/" .. name end
  local function write(name, text)
    local f = assert(io.open(p(name), "w"))
    f:write(text)
    f:close()
  end
  write("server.ext", table.concat({
    "basicConstraints=CA:FALSE",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid,issuer", "" }, "\n"))
  write("client.ext", table.concat({
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=clientAuth",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid,issuer", "" }, "\n"))
  local newkey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  local cmds = {
    ("openssl req -x509 %s -keyout %s -out %s -days 2 -subj /CN=ostack-fixture-ca"
      .. " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign")
      :format(newkey, q(p("ca.key")), q(p("ca.pem"))),
  }
  for _, who in ipairs({ "server", "client" }) do
    cmds[#cmds + 1] = ("openssl req -new %s -keyout %s -out %s -subj /CN=%s")
      :format(newkey, q(p(who .. ".key")), q(p(who .. ".csr")),
        who == "server" and "localhost" or "ostack-fixture-client")
    cmds[#cmds + 1] = ("openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial -days 2 -extfile %s -out %s")
      :format(q(p(who .. ".csr")), q(p("ca.pem")), q(p("ca.key")), q(p(who .. ".ext")),
        q(p(who .. ".pem")))
  end
  for _, cmd in ipairs(cmds) do
    local out, rc = run(cmd .. " 2>&1")
    if rc ~= 0 then error("fixture.make_cert: " .. cmd .. "\n" .. out, 2) end
  end
  return {
    dir = dir,
    ca = p("ca.pem"),
    cert = p("server.pem"),
    key = p("server.key"),
    client_cert = p("client.pem"),
    client_key = p("client.key"),
  }
end

-- Keystone catalog -----------------------------------------------------------

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%S.000000Z", t)
end

local function endpoints(url, region, id)
  local list = {}
  for i, iface in ipairs({ "public", "internal", "admin" }) do
    list[i] = {
      id = ("%s%02d"):format(id, i),
      interface = iface,
      region = region,
      region_id = region,
      url = url,
    }
  end
  return list
end

--- fixture.keystone_catalog(fx, opts) -> token, project_id
-- opts: token, project_id, project_name, user_id, user_name, expires_at, region,
-- compute_version (max, "2.93"), volume_version (max, "3.70"), image_version
-- ("2.16"), catalog (list of {type=, name=, url=} or full Keystone entries;
-- replaces the default), status (201).
function M.keystone_catalog(fx, opts)
  opts = opts or {}
  local token = opts.token or "gAAAAABfixture-token-0123456789"
  local project_id = opts.project_id or "8538a3f13f9541b28c2620eb19065e45"
  local region = opts.region or "RegionOne"
  local now = os.time()
  local catalog_spec = opts.catalog or {
    { type = "compute", name = "nova", url = "{{base}}/compute/v2.1" },
    { type = "image", name = "glance", url = "{{base}}/image" },
    { type = "block-storage", name = "cinder", url = "{{base}}/volume/v3/" .. project_id },
    { type = "volumev3", name = "cinderv3", url = "{{base}}/volume/v3/" .. project_id },
    { type = "identity", name = "keystone", url = "{{base}}/v3" },
  }
  local catalog = {}
  for i, svc in ipairs(catalog_spec) do
    local sid = ("%032x"):format(i)
    catalog[i] = svc.endpoints and svc or {
      id = sid, type = svc.type, name = svc.name,
      endpoints = endpoints(svc.url, region, sid:sub(1, 30)),
    }
  end
  local domain = { id = "default", name = "Default" }
  local body = {
    token = {
      methods = { "password" },
      audit_ids = { "3T2dc1CGQxyJsHdDu1xkcw" },
      expires_at = opts.expires_at or iso(now + 3600),
      issued_at = iso(now),
      is_domain = false,
      user = {
        id = opts.user_id or "ee4dfb6e5540447cb3741905149d9b6e",
        name = opts.user_name or "admin",
        domain = domain,
        password_expires_at = cjson.null,
      },
      project = {
        id = project_id,
        name = opts.project_name or "admin",
        domain = domain,
      },
      roles = {
        { id = "51cc68287d524c759f47c811e6463340", name = "admin" },
        { id = "9fe2ff9ee4384b1894a90878d3e92bab", name = "member" },
        { id = "4c7f9e2e0c3b4c44a2c4e1f4f4a0c8b1", name = "reader" },
      },
      catalog = catalog,
    },
  }

  local compute_max = opts.compute_version or "2.93"
  local volume_max = opts.volume_version or "3.70"
  local image_max = opts.image_version or "2.16"

  local compute_versions = { versions = {
    { id = "v2.0", status = "SUPPORTED", version = "", min_version = "",
      updated = "2011-01-21T11:33:21Z",
      links = { { rel = "self", href = "{{base}}/compute/v2/" } } },
    { id = "v2.1", status = "CURRENT", version = compute_max, min_version = "2.1",
      updated = "2013-07-23T11:33:21Z",
      links = { { rel = "self", href = "{{base}}/compute/v2.1/" } } },
  } }
  local volume_versions = { versions = {
    { id = "v3.0", status = "CURRENT", version = volume_max, min_version = "3.0",
      updated = "2023-08-31T00:00:00Z",
      links = {
        { rel = "describedby", type = "text/html", href = "https://docs.openstack.org/" },
        { rel = "self", href = "{{base}}/volume/v3/" },
      },
      ["media-types"] = { {
        base = "application/json",
        type = "application/vnd.openstack.volume+json;version=3",
      } } },
  } }
  local image_list = {}
  local major, minor = image_max:match("^(%d+)%.(%d+)$")
  for m = tonumber(minor), 0, -1 do
    image_list[#image_list + 1] = {
      id = ("v%s.%d"):format(major, m),
      status = m == tonumber(minor) and "CURRENT" or "SUPPORTED",
      links = { { rel = "self", href = "{{base}}/image/v2/" } },
    }
  end

  local routes = {
    { method = "POST", path = "/v3/auth/tokens", responses = { {
      status = opts.status or 201,
      headers = { ["X-Subject-Token"] = token },
      json = body,
    } } },
  }
  -- Both spellings: SDKs differ in whether they strip the trailing slash.
  for _, v in ipairs({
    { "/compute", 200, compute_versions },
    { "/volume", 300, volume_versions },
    { "/image", 300, { versions = image_list } },
  }) do
    for _, path in ipairs({ v[1] .. "/", v[1] }) do
      routes[#routes + 1] = { method = "GET", path = path,
        responses = { { status = v[2], json = v[3] } } }
    end
  end
  fx:routes(routes)
  return token, project_id
end

return M
