-- openstack.connect and the connection object: configuration handed to the
-- core session, lazy authentication, catalog/endpoint/request, tostring
-- and closing. Every connect injects env, config_files and secure_files so
-- that nothing is read from the real environment or /etc/openstack.
local H = require "spec.core.helper"
local fixture, errors = H.fixture, H.errors
local openstack = require "openstack"

local PROJECT = "8538a3f13f9541b28c2620eb19065e45" -- fixture.keystone_catalog's default

describe("openstack.connect", function()
  local fx

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  local function auth()
    return { auth_url = fx.url .. "/v3", username = "alice", password = H.PASSWORD, project_name = "demo",
      user_domain_name = "Default", project_domain_name = "Default" }
  end

  local function connect(args)
    args.config_files = args.config_files or {}
    args.secure_files = args.secure_files or {}
    args.env = args.env or {}
    return openstack.connect(args)
  end

  it("makes no request until one is needed, then authenticates once", function()
    fixture.keystone_catalog(fx, { token = H.TOKEN })
    fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
    local conn = connect({ auth = auth(), region_name = "RegionOne" })
    assert.equal(0, fx:count())
    conn:request("compute", "GET", "/servers")
    conn:request("compute", "GET", "/servers")
    conn:close()
    assert.equal(1, fx:count("POST", "/v3/auth/tokens"))
    assert.equal(2, fx:count("GET", "/compute/v2.1/servers"))
    assert.same({ auth = {
      identity = { methods = { "password" }, password = { user = {
        name = "alice", domain = { name = "Default" }, password = H.PASSWORD } } },
      scope = { project = { name = "demo", domain = { name = "Default" } } },
    } }, H.body_json(H.filter(fx, "POST", "/v3/auth/tokens")[1]))
  end)

  it("authorize() returns the token's facts, never the token", function()
    fixture.keystone_catalog(fx, { token = H.TOKEN, user_name = "alice", project_name = "demo" })
    local conn = connect({ auth = auth() })
    local info = conn:authorize()
    conn:close()
    assert.equal("alice", info.user_name)
    assert.equal("demo", info.project_name)
    assert.equal(PROJECT, info.project_id)
    assert.equal(fx.url .. "/v3", info.auth_url)
    assert.equal("integer", math.type(info.expires_at))
    for k, v in pairs(info) do
      assert.is_nil(tostring(v):find(H.TOKEN, 1, true), "authorize()." .. k .. " holds the token")
    end
  end)

  it("sends conn:request with its query, headers and JSON body to the catalog endpoint", function()
    fixture.keystone_catalog(fx, { token = H.TOKEN })
    fx:route("POST", "/compute/v2.1/servers/s1/action", 202)
    local conn = connect({ auth = auth() })
    local r = conn:request("compute", "POST", "/servers/s1/action", {
      json = { ["os-stop"] = openstack.null }, headers = { ["X-Trace"] = "t1" }, microversion = "2.1" })
    conn:close()
    assert.equal(202, r.status)
    local rec = H.filter(fx, "POST", "/compute/v2.1/servers/s1/action")[1]
    assert.equal('{"os-stop":null}', rec.body)
    assert.equal("t1", rec.headers["x-trace"])
    assert.equal(H.TOKEN, rec.headers["x-auth-token"])
    assert.equal("compute 2.1", rec.headers["openstack-api-version"])
  end)

  it("lists the catalog and resolves endpoints with their microversion range", function()
    fixture.keystone_catalog(fx)
    local conn = connect({ auth = auth() })
    local types = {}
    for _, e in ipairs(conn:catalog()) do types[e.type] = true end
    local ep = conn:endpoint("compute")
    conn:close()
    assert.same({ compute = true, image = true, ["block-storage"] = true, volumev3 = true, identity = true }, types)
    assert.equal(fx.url .. "/compute/v2.1", ep.url)
    assert.equal("2.1", ep.min_microversion)
    assert.equal("2.93", ep.max_microversion)
  end)

  it("passes region_name and an 'internalURL' style interface down to endpoint selection", function()
    fixture.keystone_catalog(fx, { catalog = { { id = "c", type = "compute", name = "nova", endpoints = {
      { id = "1", interface = "public", region_id = "R1", region = "R1", url = "{{base}}/r1pub/v2.1" },
      { id = "2", interface = "internal", region_id = "R1", region = "R1", url = "{{base}}/r1int/v2.1" },
      { id = "3", interface = "internal", region_id = "R2", region = "R2", url = "{{base}}/r2int/v2.1" },
    } } } })
    local conn = connect({ auth = auth(), region_name = "R2", interface = "internalURL" })
    assert.equal(fx.url .. "/r2int/v2.1", conn:endpoint("compute").url)
    conn:close()
    conn = connect({ auth = auth(), region_name = "R1" })
    assert.equal(fx.url .. "/r1pub/v2.1", conn:endpoint("compute").url)
    conn:close()
  end)

  it("applies <service>_endpoint_override with %(project_id)s", function()
    fixture.keystone_catalog(fx)
    fx:route("GET", "/mine/v2.1/" .. PROJECT .. "/flavors", { json = { flavors = fixture.empty_array } })
    local conn = connect({ auth = auth(), compute_endpoint_override = fx.url .. "/mine/v2.1/%(project_id)s" })
    conn:request("compute", "GET", "/flavors")
    conn:close()
    assert.equal(1, fx:count("GET", "/mine/v2.1/" .. PROJECT .. "/flavors"))
  end)

  it("connects without auth (auth_type none) through an override or endpoint", function()
    fx:route("GET", "/nova/v2.1/servers", { json = { servers = fixture.empty_array } })
    fx:route("GET", "/any/servers", { json = { servers = fixture.empty_array } })
    local conn = connect({ auth_type = "none", compute_endpoint_override = fx.url .. "/nova/v2.1" })
    conn:request("compute", "GET", "/servers")
    conn:close()
    conn = connect({ auth_type = "none", endpoint = fx.url .. "/any" })
    conn:request("compute", "GET", "/servers")
    conn:close()
    assert.equal(1, fx:count("GET", "/nova/v2.1/servers"))
    assert.equal(1, fx:count("GET", "/any/servers"))
    assert.equal(0, fx:count("POST", nil))
  end)

  it("reads credentials from the injected env table (OS_*) and a clouds.yaml from config_files", function()
    fixture.keystone_catalog(fx)
    local conn = connect({ env = { OS_AUTH_URL = fx.url .. "/v3", OS_USERNAME = "envuser", OS_PASSWORD = H.PASSWORD,
      OS_PROJECT_ID = "p-env", OS_USER_DOMAIN_ID = "default" } })
    conn:authorize()
    conn:close()
    local body = H.body_json(H.filter(fx, "POST", "/v3/auth/tokens")[1])
    assert.equal("envuser", body.auth.identity.password.user.name)
    assert.same({ project = { id = "p-env" } }, body.auth.scope)

    fx:reset()
    fixture.keystone_catalog(fx)
    local dir = H.tmpdir()
    local path = H.write_file(dir .. "/clouds.yaml", table.concat({
      "clouds:",
      "  fx:",
      "    auth:",
      "      auth_url: " .. fx.url .. "/v3",
      "      username: yamluser",
      "      password: " .. H.PASSWORD,
      "      project_name: yproj",
      "      user_domain_name: Default",
      "      project_domain_name: Default",
      "    region_name: RegionOne",
      "    api_timeout: 30",
      "" }, "\n"))
    os.execute("chmod 600 " .. path)
    conn = connect({ cloud = "fx", config_files = { path } })
    conn:authorize()
    local text = tostring(conn)
    conn:close()
    os.execute("rm -rf " .. dir)
    body = H.body_json(H.filter(fx, "POST", "/v3/auth/tokens")[1])
    assert.equal("yamluser", body.auth.identity.password.user.name)
    assert.matches("cloud fx", text)
  end)

  it("hands api_timeout and status_code_retries to the session", function()
    fx:route("GET", "/slow/v2.1/servers", { fault = "stall" })
    fx:route("GET", "/down/v2.1/servers", 503)
    local conn = connect({ auth_type = "none", compute_endpoint_override = fx.url .. "/slow/v2.1",
      api_timeout = 0.4, connect_retries = 0 })
    local ok, e = pcall(conn.request, conn, "compute", "GET", "/servers")
    conn:close()
    assert.is_false(ok)
    assert.equal("timeout-total", e.reason)
    conn = connect({ auth_type = "none", compute_endpoint_override = fx.url .. "/down/v2.1", status_code_retries = 0 })
    ok, e = pcall(conn.request, conn, "compute", "GET", "/servers")
    conn:close()
    assert.is_false(ok)
    assert.is_true(errors.is(e, "ServiceUnavailable"))
    assert.equal(1, fx:count("GET", "/down/v2.1/servers"))
  end)

  it("keeps secrets out of tostring(conn) and redacted_config()", function()
    fixture.keystone_catalog(fx, { token = H.TOKEN, user_name = "alice" })
    local conn = connect({ auth = auth() })
    conn:authorize()
    local text = tostring(conn)
    local red = conn:redacted_config()
    conn:close()
    assert.matches("^openstack%.Connection", text)
    assert.matches("user alice", text)
    assert.is_nil(text:find(H.PASSWORD, 1, true))
    assert.is_nil(text:find(H.TOKEN, 1, true))
    assert.equal("<redacted>", red.auth.password)
    assert.equal("alice", red.auth.username)
  end)

  it("raises InvalidArgument for non-table options and ConfigError, without the password, for a bad config", function()
    local e = H.raises("InvalidArgument", openstack.connect, "mycloud")
    assert.matches("table", e.message)
    e = H.raises("ConfigError", connect, { auth = { username = "alice", password = H.PASSWORD } })
    assert.matches("auth_url", e.message)
    assert.is_nil(tostring(e):find(H.PASSWORD, 1, true))
    assert.equal(0, fx:count())
  end)

  it("closes the session: later calls raise InvalidArgument; <close> closes too", function()
    local conn = connect({ auth_type = "none", endpoint = fx.url })
    conn:close()
    local e = H.raises("InvalidArgument", conn.request, conn, "compute", "GET", "/servers")
    assert.matches("closed", e.message)
    local session
    do
      local c <close> = connect({ auth_type = "none", endpoint = fx.url })
      session = c.session
    end
    assert.equal("openstack.Session (closed)", tostring(session))
  end)
end)
