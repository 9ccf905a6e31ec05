-- Authentication in the session (src/session.c): the exact token requests
-- of every auth method, token reuse and renewal, and the single
-- re-authentication on 401.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

describe("core session authentication", function()
  local fx

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  -- Authenticates a session built from cfg (auth_url defaults to the
  -- fixture's /v3) and returns the decoded token request body.
  local function auth_body(cfg)
    fixture.keystone_catalog(fx, { token = H.TOKEN })
    cfg.auth_url = cfg.auth_url or fx.url .. "/v3"
    local s = core.session(cfg)
    s:authenticate()
    s:close()
    local posts = H.filter(fx, "POST", "/v3/auth/tokens")
    assert.equal(1, #posts)
    assert.equal("application/json", posts[1].headers["content-type"])
    assert.is_nil(posts[1].headers["x-auth-token"])
    return H.body_json(posts[1])
  end

  describe("Keystone v3 request bodies", function()
    it("password: user by name and domain name, project scope by name and domain name", function()
      assert.same({ auth = {
        identity = { methods = { "password" }, password = { user = {
          name = "alice", domain = { name = "Default" }, password = H.PASSWORD } } },
        scope = { project = { name = "demo", domain = { name = "Default" } } },
      } }, auth_body({ username = "alice", password = H.PASSWORD, user_domain_name = "Default",
        project_name = "demo", project_domain_name = "Default" }))
    end)

    it("password: user by id, project scope by id", function()
      assert.same({ auth = {
        identity = { methods = { "password" }, password = { user = { id = "u-42", password = H.PASSWORD } } },
        scope = { project = { id = "p-42" } },
      } }, auth_body({ user_id = "u-42", password = H.PASSWORD, project_id = "p-42" }))
    end)

    it("password: user and project domains by id", function()
      assert.same({ auth = {
        identity = { methods = { "password" }, password = { user = {
          name = "alice", domain = { id = "d-1" }, password = H.PASSWORD } } },
        scope = { project = { name = "demo", domain = { id = "d-2" } } },
      } }, auth_body({ username = "alice", password = H.PASSWORD, user_domain_id = "d-1",
        project_name = "demo", project_domain_id = "d-2" }))
    end)

    it("password: domain scope by name and by id", function()
      local body = auth_body({ username = "alice", password = H.PASSWORD, user_domain_id = "default", domain_name = "Eng" })
      assert.same({ domain = { name = "Eng" } }, body.auth.scope)
      fx:reset()
      body = auth_body({ username = "alice", password = H.PASSWORD, user_domain_id = "default", domain_id = "d-9" })
      assert.same({ domain = { id = "d-9" } }, body.auth.scope)
    end)

    it("password: unscoped when neither project nor domain is given", function()
      assert.same({ auth = {
        identity = { methods = { "password" }, password = { user = {
          name = "alice", domain = { id = "default" }, password = H.PASSWORD } } },
      } }, auth_body({ username = "alice", password = H.PASSWORD }))
    end)

    it("token: the existing token, scoped", function()
      assert.same({ auth = {
        identity = { methods = { "token" }, token = { id = "old-token-1" } },
        scope = { project = { id = "p-1" } },
      } }, auth_body({ auth_type = "v3token", token = "old-token-1", project_id = "p-1" }))
    end)

    it("application credential by id and secret", function()
      assert.same({ auth = { identity = {
        methods = { "application_credential" },
        application_credential = { id = "ac-1", secret = H.APP_SECRET },
      } } }, auth_body({ auth_type = "v3applicationcredential", application_credential_id = "ac-1",
        application_credential_secret = H.APP_SECRET }))
    end)

    it("application credential by name with its user", function()
      assert.same({ auth = { identity = {
        methods = { "application_credential" },
        application_credential = { name = "ci-cred", secret = H.APP_SECRET,
          user = { name = "alice", domain = { name = "Default" } } },
      } } }, auth_body({ auth_type = "v3applicationcredential", application_credential_name = "ci-cred",
        application_credential_secret = H.APP_SECRET, username = "alice", user_domain_name = "Default" }))
    end)

    it("posts to <root>/v3/auth/tokens whether auth_url names the version or not", function()
      for _, suffix in ipairs({ "/v3", "/v3/", "", "/" }) do
        fx:reset()
        auth_body({ auth_url = fx.url .. suffix, username = "alice", password = H.PASSWORD })
      end
    end)

    it("sends the X-Subject-Token as X-Auth-Token on API requests", function()
      fixture.keystone_catalog(fx, { token = H.TOKEN })
      fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
      local s = H.session(fx)
      s:request({ service = "compute", path = "/servers" })
      s:close()
      local gets = H.filter(fx, "GET", "/compute/v2.1/servers")
      assert.equal(1, #gets)
      assert.equal(H.TOKEN, gets[1].headers["x-auth-token"])
      -- version discovery is not authenticated
      assert.is_nil(H.filter(fx, "GET", "/compute/")[1].headers["x-auth-token"])
    end)

    it("reports the token's facts, never the token, in token_info", function()
      fixture.keystone_catalog(fx, { token = H.TOKEN, user_name = "alice", project_name = "demo",
        expires_at = "2099-01-02T03:04:05.000000Z" })
      local s = H.session(fx)
      s:authenticate()
      local info = s:token_info()
      s:close()
      assert.equal("alice", info.user_name)
      assert.equal("demo", info.project_name)
      assert.equal("2099-01-02T03:04:05Z", info.expires)
      assert.equal(1, info.generation)
      for k, v in pairs(info) do
        assert.is_nil(tostring(v):find(H.TOKEN, 1, true), "token_info." .. k .. " holds the token")
      end
    end)
  end)

  describe("Keystone v2.0", function()
    local function v2_routes()
      fx:route("POST", "/v2.0/tokens", { json = { access = {
        token = { id = "v2-token-1", expires = "2099-01-01T00:00:00Z", tenant = { id = "t-1", name = "demo" } },
        user = { id = "u-1", name = "alice" },
        serviceCatalog = { {
          type = "compute", name = "nova",
          endpoints = { { region = "RegionOne", publicURL = "{{base}}/pub/v2.1",
            internalURL = "{{base}}/int/v2.1", adminURL = "{{base}}/adm/v2.1" } },
        } },
      } } })
      fx:route("GET", "/pub/v2.1/servers", { json = { servers = fixture.empty_array } })
      fx:route("GET", "/int/v2.1/servers", { json = { servers = fixture.empty_array } })
    end

    it("password: posts passwordCredentials to <auth_url>/tokens when auth_url ends in /v2.0", function()
      v2_routes()
      local s = core.session({ auth_url = fx.url .. "/v2.0", username = "alice", password = H.PASSWORD,
        project_name = "demo" })
      s:request({ service = "compute", path = "/servers" })
      local info = s:token_info()
      s:close()
      local posts = H.filter(fx, "POST", "/v2.0/tokens")
      assert.equal(1, #posts)
      assert.same({ auth = { passwordCredentials = { username = "alice", password = H.PASSWORD }, tenantName = "demo" } },
        H.body_json(posts[1]))
      assert.equal(0, #H.filter(fx, "POST", "/v3/auth/tokens"))
      assert.equal("v2-token-1", H.filter(fx, "GET", "/pub/v2.1/servers")[1].headers["x-auth-token"])
      assert.equal("t-1", info.project_id)
      assert.equal("alice", info.user_name)
    end)

    it("reads publicURL, internalURL and adminURL from the serviceCatalog", function()
      v2_routes()
      local s = core.session({ auth_url = fx.url .. "/v2.0", username = "alice", password = H.PASSWORD,
        project_id = "t-1", interface = "internal" })
      s:request({ service = "compute", path = "/servers" })
      local by_iface = {}
      for _, e in ipairs(s:catalog()) do by_iface[e.interface] = e.url end
      s:close()
      assert.same({ public = fx.url .. "/pub/v2.1", internal = fx.url .. "/int/v2.1", admin = fx.url .. "/adm/v2.1" },
        by_iface)
      assert.equal(1, #H.filter(fx, "GET", "/int/v2.1/servers"))
      assert.same({ auth = { passwordCredentials = { username = "alice", password = H.PASSWORD }, tenantId = "t-1" } },
        H.body_json(H.filter(fx, "POST", "/v2.0/tokens")[1]))
    end)
  end)

  describe("auth_type none", function()
    it("uses <service>_endpoint_override and sends neither token request nor X-Auth-Token", function()
      fx:route("GET", "/nova/v2.1/servers", { json = { servers = fixture.empty_array } })
      local s = core.session({ auth_type = "none", compute_endpoint_override = fx.url .. "/nova/v2.1" })
      local r = s:request({ service = "compute", path = "/servers" })
      s:close()
      assert.equal(200, r.status)
      assert.equal(0, fx:count("POST", nil))
      local rec = H.filter(fx, "GET", "/nova/v2.1/servers")[1]
      assert.is_nil(rec.headers["x-auth-token"])
    end)

    it("uses endpoint for every service when no override names one", function()
      fx:route("GET", "/generic/servers", { json = { servers = fixture.empty_array } })
      local s = core.session({ auth_type = "none", endpoint = fx.url .. "/generic" })
      s:request({ service = "compute", path = "/servers" })
      s:close()
      assert.equal(1, fx:count("GET", "/generic/servers"))
      assert.equal(0, fx:count("POST", nil))
    end)
  end)

  describe("token lifetime", function()
    local function run(expires_in, n)
      fixture.keystone_catalog(fx, { token = H.TOKEN, expires_at = H.iso(os.time() + expires_in) })
      fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
      local s = H.session(fx)
      for _ = 1, n do s:request({ service = "compute", path = "/servers" }) end
      local gen = s:token_info().generation
      s:close()
      assert.equal(n, fx:count("GET", "/compute/v2.1/servers"))
      return fx:count("POST", "/v3/auth/tokens"), gen
    end

    it("reuses one token for many requests while it has more than 2 minutes left", function()
      local posts, gen = run(3600, 5)
      assert.equal(1, posts)
      assert.equal(1, gen)
    end)

    it("still reuses a token with 150 s left (renewal starts 120 s before expiry)", function()
      assert.equal(1, (run(150, 3)))
    end)

    it("renews the token before each request once it is within 2 minutes of expiry", function()
      local posts, gen = run(90, 4)
      assert.is_true(posts >= 4, "only " .. posts .. " token requests for 4 calls")
      assert.equal(posts, gen)
    end)

    it("authenticate(true) gets a new token even when the current one is good", function()
      fixture.keystone_catalog(fx, { token = H.TOKEN })
      local s = H.session(fx)
      s:authenticate()
      s:authenticate()
      assert.equal(1, fx:count("POST", "/v3/auth/tokens"))
      s:authenticate(true)
      assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
      assert.equal(2, s:token_info().generation)
      s:close()
    end)
  end)

  describe("401 handling", function()
    it("re-authenticates exactly once and retries once, with the new token", function()
      fixture.keystone_catalog(fx)
      H.token_queue(fx, { "token-one", "token-two" })
      fx:route("GET", "/compute/v2.1/servers", { 401, { json = { servers = fixture.empty_array } } })
      local s = H.session(fx)
      local r = s:request({ service = "compute", path = "/servers" })
      s:close()
      assert.equal(200, r.status)
      assert.equal(1, r.retries)
      assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
      local gets = H.filter(fx, "GET", "/compute/v2.1/servers")
      assert.equal(2, #gets)
      assert.equal("token-one", gets[1].headers["x-auth-token"])
      assert.equal("token-two", gets[2].headers["x-auth-token"])
    end)

    it("raises Unauthorized after a second 401, without looping", function()
      fixture.keystone_catalog(fx)
      fx:route("GET", "/compute/v2.1/servers", { status = 401,
        json = { error = { code = 401, title = "Unauthorized", message = "The request you have made requires authentication." } } })
      local s = H.session(fx)
      local e = H.raises("Unauthorized", s.request, s, { service = "compute", path = "/servers" })
      s:close()
      assert.equal(401, e.status)
      assert.matches("requires authentication", e.message)
      assert.equal(2, fx:count("GET", "/compute/v2.1/servers"))
      assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
    end)

    it("raises Unauthorized for rejected credentials, once, without the password in it", function()
      fx:route("POST", "/v3/auth/tokens", { status = 401,
        json = { error = { code = 401, title = "Unauthorized", message = "The request you have made requires authentication." } } })
      local s = H.session(fx)
      local e = H.raises("Unauthorized", s.request, s, { service = "compute", path = "/servers" })
      local s_text = tostring(s)
      s:close()
      assert.equal(401, e.status)
      assert.matches("alice", e.message)
      assert.is_nil(tostring(e):find(H.PASSWORD, 1, true))
      assert.is_nil(s_text:find(H.PASSWORD, 1, true))
      assert.equal(1, fx:count("POST", "/v3/auth/tokens"))
      assert.equal(1, fx:count())
    end)

    it("does not re-authenticate an auth_type none session on 401", function()
      fx:route("GET", "/nova/v2.1/servers", 401)
      local s = core.session({ auth_type = "none", compute_endpoint_override = fx.url .. "/nova/v2.1" })
      H.raises("Unauthorized", s.request, s, { service = "compute", path = "/servers" })
      s:close()
      assert.equal(1, fx:count("GET", "/nova/v2.1/servers"))
      assert.equal(0, fx:count("POST", nil))
    end)
  end)

  describe("bad configurations and answers", function()
    it("raises ConfigError when auth_url is missing", function()
      local s = core.session({ username = "alice", password = H.PASSWORD })
      local e = H.raises("ConfigError", s.authenticate, s)
      s:close()
      assert.matches("auth_url", e.message)
    end)

    it("raises ConfigError for an unknown auth_type", function()
      local s = core.session({ auth_type = "kerberos", auth_url = fx.url .. "/v3" })
      local e = H.raises("ConfigError", s.authenticate, s)
      s:close()
      assert.matches("kerberos", e.message)
      assert.equal(0, fx:count())
    end)

    it("raises InvalidResponse when Keystone returns no X-Subject-Token", function()
      fx:route("POST", "/v3/auth/tokens", { status = 201, json = H.token_body() })
      local s = H.session(fx)
      local e = H.raises("InvalidResponse", s.authenticate, s)
      s:close()
      assert.matches("no token", e.message)
    end)
  end)
end)
