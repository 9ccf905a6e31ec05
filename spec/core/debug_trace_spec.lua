-- The debug trace (connect{debug=true, log=...}): one REQ and one RESP line
-- per request with method, URL, status, elapsed time and request id; and
-- no secret (password, token, application credential secret, adminPass)
-- anywhere: not in log lines, error messages, or tostring of connection
-- and session.
local H = require "spec.core.helper"
local fixture, errors = H.fixture, H.errors
local openstack = require "openstack"

describe("core debug trace", function()
  local fx
  local all_text = {} -- every log line, error text and tostring of the file

  local function remember(...)
    for i = 1, select("#", ...) do all_text[#all_text + 1] = tostring((select(i, ...))) end
  end

  local function connect(auth, extra)
    local args = { auth = auth, region_name = "RegionOne", debug = true,
      config_files = {}, secure_files = {}, env = {}, retry_backoff_base = 0.01 }
    for k, v in pairs(extra or {}) do args[k] = v end
    local lines = {}
    args.log = function(line)
      lines[#lines + 1] = line
      remember(line)
    end
    return openstack.connect(args), lines
  end

  local function password_auth()
    return { auth_url = fx.url .. "/v3", username = "alice", password = H.PASSWORD, project_name = "demo",
      user_domain_name = "Default", project_domain_name = "Default" }
  end

  local function routes()
    fixture.keystone_catalog(fx, { token = H.TOKEN })
    fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array },
      headers = { ["X-OpenStack-Request-ID"] = "req-list-1" } })
    fx:route("POST", "/compute/v2.1/servers", { status = 202,
      json = { server = { id = "s-1", adminPass = H.ADMIN_PASS } },
      headers = { ["X-Compute-Request-ID"] = "req-create-1" } })
    fx:route("GET", "/compute/v2.1/servers/missing", { status = 404,
      json = { itemNotFound = { code = 404, message = "Instance missing could not be found." } },
      headers = { ["X-OpenStack-Request-ID"] = "req-404" } })
  end

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  it("logs REQ and RESP lines with method, URL, status, elapsed ms and request id for every request", function()
    routes()
    local conn, lines = connect(password_auth())
    conn:request("compute", "GET", "/servers")
    conn:request("compute", "POST", "/servers", { json = { server = { name = "vm", adminPass = H.ADMIN_PASS } } })
    local ok, e = pcall(conn.request, conn, "compute", "GET", "/servers/missing")
    assert.is_false(ok)
    remember(e, e.message, conn, conn.session)
    conn:close()

    local base = fx.url .. "/compute/v2.1"
    local expect = {
      { "POST", fx.url .. "/v3/auth/tokens", "201", nil },
      { "GET", fx.url .. "/compute/", "200", nil },
      { "GET", base .. "/servers", "200", "req-list-1" },
      { "POST", base .. "/servers", "202", "req-create-1" },
      { "GET", base .. "/servers/missing", "404", "req-404" },
    }
    local reqs, resps = {}, {}
    for _, l in ipairs(lines) do
      local m, u = l:match("^REQ (%u+) (%S+)")
      if m then reqs[#reqs + 1] = { m, u } end
      local st, m2, u2, ms, rest = l:match("^RESP (%d+) (%u+) (%S+) ([%d.]+) ms(.*)$")
      if st then resps[#resps + 1] = { m2, u2, st, rest:match("request%-id=(%S+)"), tonumber(ms) } end
    end
    assert.equal(#expect, #reqs)
    assert.equal(#expect, #resps)
    for i, x in ipairs(expect) do
      assert.same({ x[1], x[2] }, reqs[i])
      assert.equal(x[1], resps[i][1])
      assert.equal(x[2], resps[i][2])
      assert.equal(x[3], resps[i][3])
      assert.equal(x[4], resps[i][4])
      assert.is_true(resps[i][5] >= 0)
    end
  end)

  it("masks the token, the password and adminPass in the trace but keeps the rest readable", function()
    routes()
    local conn, lines = connect(password_auth())
    conn:request("compute", "POST", "/servers", { json = { server = { name = "vm-visible", adminPass = H.ADMIN_PASS } } })
    conn:close()
    local text = table.concat(lines, "\n")
    for _, secret in ipairs({ H.PASSWORD, H.TOKEN, H.ADMIN_PASS }) do
      assert.is_nil(text:find(secret, 1, true), secret .. " in:\n" .. text)
    end
    assert.truthy(text:find("X-Auth-Token: ***", 1, true))
    assert.truthy(text:find('"adminPass":"***"', 1, true))
    assert.truthy(text:find("vm-visible", 1, true))
    assert.truthy(text:find('"id":"s-1"', 1, true), "the response body is traced")
  end)

  it("never shows an application credential secret, a token credential or X-Subject-Token", function()
    routes()
    local conn = connect({ auth_url = fx.url .. "/v3", application_credential_id = "ac-1",
      application_credential_secret = H.APP_SECRET }, { auth_type = "v3applicationcredential" })
    conn:request("compute", "GET", "/servers")
    remember(conn, conn.session)
    conn:close()
    local conn2, lines2 = connect({ auth_url = fx.url .. "/v3", token = H.TOKEN, project_id = "p-1" },
      { auth_type = "v3token" })
    conn2:request("compute", "GET", "/servers", { headers = { ["X-Subject-Token"] = H.TOKEN } })
    remember(conn2, conn2.session)
    conn2:close()
    local text = table.concat(lines2, "\n")
    assert.truthy(text:find('"token":{"id":"***"}', 1, true), text)
    assert.truthy(text:find("X-Subject-Token: ***", 1, true))
    assert.equal(2, #H.filter(fx, "POST", "/v3/auth/tokens"))
  end)

  it("keeps secrets out of error messages and tostring when authentication fails", function()
    fx:route("POST", "/v3/auth/tokens", { status = 401,
      json = { error = { code = 401, message = "The request you have made requires authentication." } } })
    local conn, lines = connect(password_auth())
    local ok, e = pcall(conn.request, conn, "compute", "GET", "/servers")
    assert.is_false(ok)
    assert.is_true(errors.is(e, "Unauthorized"))
    remember(e, e.message, conn, conn.session)
    local text = tostring(e) .. "\n" .. tostring(conn) .. "\n" .. table.concat(lines, "\n")
    conn:close()
    assert.is_nil(text:find(H.PASSWORD, 1, true))
  end)

  it("logs a transport failure with its reason instead of a status", function()
    local conn, lines = connect(nil, { auth_type = "none", compute_endpoint_override = "http://127.0.0.1:1/v2.1",
      connect_retries = 0 })
    local ok = pcall(conn.request, conn, "compute", "GET", "/servers")
    conn:close()
    assert.is_false(ok)
    local found = false
    for _, l in ipairs(lines) do
      if l:match("^RESP GET http://127%.0%.0%.1:1/v2%.1/servers failed after [%d.]+ ms: connect$") then found = true end
    end
    assert.is_true(found, table.concat(lines, "\n"))
  end)

  it("warns in the trace when TLS verification is off", function()
    local conn, lines = connect(nil, { auth_type = "none", insecure = true })
    conn:close()
    assert.matches("TLS verification is off", table.concat(lines, "\n"))
  end)

  it("logs nothing without debug", function()
    routes()
    local lines = {}
    local conn = openstack.connect({ auth = password_auth(), config_files = {}, secure_files = {}, env = {},
      log = function(l) lines[#lines + 1] = l end })
    conn:request("compute", "GET", "/servers")
    conn:close()
    assert.same({}, lines)
  end)

  -- Runs last (busted keeps declaration order): the sweep over every log
  -- line, error and tostring() collected by the specs above.
  it("never let a secret into anything collected above", function()
    assert.is_true(#all_text > 20, "too little was collected: " .. #all_text)
    local text = table.concat(all_text, "\n")
    for _, secret in ipairs({ H.PASSWORD, H.TOKEN, H.APP_SECRET, H.ADMIN_PASS }) do
      assert.is_nil(text:find(secret, 1, true), "secret leaked: " .. secret)
    end
  end)
end)
