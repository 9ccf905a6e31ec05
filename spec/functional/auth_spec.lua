-- Functional: authentication, the catalog, version discovery and
-- microversion negotiation against the local cloud's real Keystone, Nova,
-- Cinder and Glance.
local H = require "spec.functional.helpers"

local AUTH_URL = "http://127.0.0.1:5000/v3"

describe("functional: identity and discovery", function()
  local admin
  local reg = H.registry()

  setup(function() admin = H.admin() end)
  after_each(function() reg:run() end)
  teardown(function() reg:run() end)

  -- a fresh token for the demo user, obtained with a raw Keystone request
  -- (the SDK never hands out its own token)
  local function demo_token()
    local r = admin:request("identity", "POST", "/auth/tokens", {
      json = { auth = {
        identity = { methods = { "password" }, password = { user = {
          name = "demo", password = "demo-secret", domain = { name = "Default" } } } },
        scope = { project = { name = "demo", domain = { name = "Default" } } },
      } },
    })
    assert.equal(201, r.status)
    local token = r.headers["x-subject-token"]
    assert.is_string(token)
    reg:add("revoke token", function()
      H.try(admin, "identity", "DELETE", "/auth/tokens", { headers = { ["X-Subject-Token"] = token } })
    end)
    return token
  end

  describe("password authentication", function()
    it("authenticates admin with a password from clouds.yaml and reports user and project, not the token", function()
      local conn = H.connect("local-admin")
      local info = conn:authorize()
      assert.equal("admin", info.user_name)
      assert.equal("admin", info.project_name)
      assert.is_string(info.user_id)
      assert.is_string(info.project_id)
      assert.is_string(info.expires)
      assert.is_nil(info.token)
      for k in pairs(info) do assert.is_nil(k:find("token"), "token_info exposes " .. k) end
      conn:close()
    end)

    it("authenticates demo (member+reader) and scopes to the demo project", function()
      local conn = H.demo()
      local info = conn:authorize()
      assert.equal("demo", info.user_name)
      assert.equal("demo", info.project_name)
      -- the project id is in the block-storage endpoint of demo's catalog
      assert.truthy(conn:endpoint("block-storage").url:find(info.project_id, 1, true))
    end)

    it("raises Unauthorized (401) for a wrong password and never shows the password", function()
      local conn = H.connect(nil, { auth = { auth_url = AUTH_URL, username = "demo", password = "ft-wrong-pass",
        project_name = "demo", user_domain_name = "Default", project_domain_name = "Default" },
        region_name = "RegionOne" })
      local e = H.error_of(conn.authorize, conn)
      assert.equal("Unauthorized", e.class)
      assert.equal(401, e.status)
      assert.is_nil(tostring(e):find("ft-wrong-pass", 1, true))
      assert.is_nil(tostring(conn):find("ft-wrong-pass", 1, true))
      assert.is_nil(tostring(conn.redacted_config(conn).auth.password):find("ft-wrong-pass", 1, true))
    end)

    it("denies an admin-only API to demo with Forbidden (403)", function()
      local e = H.error_of(function() return H.collect(H.demo().compute:hypervisors()) end)
      assert.equal("Forbidden", e.class)
      assert.equal(403, e.status)
    end)
  end)

  describe("token authentication (auth_type v3token)", function()
    it("connects with a token obtained from Keystone and rescopes it to the project", function()
      local token = demo_token()
      local conn = H.connect(nil, { auth_type = "v3token", auth = { auth_url = AUTH_URL, token = token,
        project_name = "demo", project_domain_name = "Default" }, region_name = "RegionOne" })
      local info = conn:authorize()
      assert.equal("demo", info.user_name)
      assert.equal("demo", info.project_name)
      assert.is_nil(tostring(conn):find(token, 1, true))
      local redacted = conn:redacted_config()
      assert.is_nil(tostring(redacted.auth.token):find(token, 1, true))
      -- a real call with it
      local flavor = conn.compute:get_flavor("42")
      assert.equal("m1.nano", flavor.name)
      conn:close()
    end)

    -- Keystone answers 404 "Could not find token" (not 401) for a revoked token
    it("fails with Keystone's 404 NotFound for a revoked token, without showing it", function()
      local token = demo_token()
      admin:request("identity", "DELETE", "/auth/tokens", { headers = { ["X-Subject-Token"] = token } })
      local conn = H.connect(nil, { auth_type = "v3token", auth = { auth_url = AUTH_URL, token = token,
        project_name = "demo", project_domain_name = "Default" }, region_name = "RegionOne" })
      local e = H.error_of(conn.authorize, conn)
      assert.equal("NotFound", e.class)
      assert.equal(404, e.status)
      assert.is_nil(tostring(e):find(token, 1, true))
    end)
  end)

  describe("application credentials (auth_type v3applicationcredential)", function()
    local function make_credential(conn)
      local info = conn:authorize()
      local name = H.name("appcred")
      local body = H.raw(conn, "identity", "POST", "/users/" .. info.user_id .. "/application_credentials", {
        json = { application_credential = { name = name, description = "ostack-lua functional" } } })
      local cred = body.application_credential
      reg:add("application credential " .. name, function()
        H.delete_raw(conn, "identity", "/users/" .. info.user_id .. "/application_credentials/" .. cred.id)
      end)
      return cred, info
    end

    it("authenticates with an application credential id and secret created on the fly", function()
      local cred = make_credential(H.demo())
      local conn = H.connect(nil, { auth_type = "v3applicationcredential", auth = { auth_url = AUTH_URL,
        application_credential_id = cred.id, application_credential_secret = cred.secret },
        region_name = "RegionOne" })
      local info = conn:authorize()
      assert.equal("demo", info.user_name)
      assert.equal("demo", info.project_name)
      assert.is_nil(tostring(conn):find(cred.secret, 1, true))
      assert.is_nil(tostring(conn:redacted_config().auth.application_credential_secret):find(cred.secret, 1, true))
      assert.equal("m1.nano", conn.compute:get_flavor("42").name)
      conn:close()
    end)

    it("authenticates with an application credential name plus the user", function()
      local cred = make_credential(H.demo())
      local conn = H.connect(nil, { auth_type = "v3applicationcredential", auth = { auth_url = AUTH_URL,
        application_credential_name = cred.name, application_credential_secret = cred.secret,
        username = "demo", user_domain_name = "Default" }, region_name = "RegionOne" })
      assert.equal("demo", conn:authorize().project_name)
      conn:close()
    end)

    -- Keystone answers 404 "Could not find Application Credential" (not 401)
    it("fails with Keystone's 404 NotFound once the application credential is deleted", function()
      local conn0 = H.demo()
      local cred, info = make_credential(conn0)
      conn0:request("identity", "DELETE", "/users/" .. info.user_id .. "/application_credentials/" .. cred.id)
      local conn = H.connect(nil, { auth_type = "v3applicationcredential", auth = { auth_url = AUTH_URL,
        application_credential_id = cred.id, application_credential_secret = cred.secret },
        region_name = "RegionOne" })
      local e = H.error_of(conn.authorize, conn)
      assert.equal("NotFound", e.class)
      assert.equal(404, e.status)
      assert.is_nil(tostring(e):find(cred.secret, 1, true))
    end)
  end)

  describe("catalog and version discovery", function()
    it("lists the catalog: every service with public, internal and admin endpoints in RegionOne", function()
      local seen = {}
      for _, e in ipairs(admin:catalog()) do
        seen[e.type .. "/" .. e.interface] = e.url
        assert.equal("RegionOne", e.region)
        assert.truthy(e.url:find("^http://127%.0%.0%.1:"))
      end
      for _, t in ipairs({ "identity", "compute", "image", "block-storage", "volumev3", "network", "placement" }) do
        for _, i in ipairs({ "public", "internal", "admin" }) do
          assert.is_string(seen[t .. "/" .. i], "catalog lacks " .. t .. "/" .. i)
        end
      end
    end)

    it("discovers compute v2.1 with microversions 2.1 to 2.93", function()
      local ep = admin:endpoint("compute")
      assert.equal("http://127.0.0.1:8774/v2.1", ep.url)
      assert.equal("v2.1", ep.api_version)
      assert.equal("2.1", ep.min_microversion)
      assert.equal("2.93", ep.max_microversion)
      assert.equal("http://127.0.0.1:8774/", ep.root)
    end)

    it("discovers block storage v3 (3.0 to 3.70) under both catalog types", function()
      local info = admin:authorize()
      for _, t in ipairs({ "block-storage", "volumev3" }) do
        local ep = admin:endpoint(t)
        assert.equal("http://127.0.0.1:8776/v3/" .. info.project_id, ep.url)
        assert.equal("v3", ep.api_version)
        assert.equal("3.0", ep.min_microversion)
        assert.equal("3.70", ep.max_microversion)
      end
    end)

    it("discovers the image service as the unversioned root with Image API v2.15", function()
      local ep = admin:endpoint("image")
      assert.equal("http://127.0.0.1:9292/", ep.root)
      assert.equal("v2.15", ep.api_version)
      assert.equal("", ep.max_microversion or "")
    end)

    it("discovers placement's microversion range 1.0 to 1.39 (its document says max_version)", function()
      local ep = admin:endpoint("placement")
      assert.equal("1.0", ep.min_microversion)
      assert.equal("1.39", ep.max_microversion)
    end)

    it("reads the compute version documents (get_api_versions, get_api_version)", function()
      local versions = {}
      local list = admin.compute:get_api_versions()
      for _, v in ipairs(list) do versions[v.id] = v end
      assert.equal("CURRENT", versions["v2.1"].status)
      assert.equal("2.93", versions["v2.1"].version)
      assert.equal("2.1", versions["v2.1"].min_version)
      assert.is_table(versions["v2.0"])
      local cur = admin.compute:get_api_version()
      assert.equal("v2.1", cur.id)
      assert.equal("2.93", cur.version)
    end)

    it("reads the image version document (get_image_service_version: highest CURRENT)", function()
      local v = admin.image:get_image_service_version()
      assert.equal("v2.15", v.id)
      assert.equal("CURRENT", v.status)
    end)

    it("answers EndpointNotFound for a service the catalog does not have", function()
      local e = H.error_of(admin.endpoint, admin, "object-store")
      assert.is_true(e:is("EndpointNotFound") or e:is("ConfigError"), tostring(e))
    end)
  end)

  describe("microversion negotiation with real Nova", function()
    it("negotiates min(cloud 2.93, SDK 2.91) = 2.91 and sends it", function()
      local lines = {}
      local conn = H.connect("local-admin", { log = function(l) lines[#lines + 1] = l end, debug = true })
      assert.equal("2.91", conn.compute:microversion())
      local s = conn.compute:get_flavor("42")
      assert.equal("m1.nano", s.name)
      local sent
      for _, l in ipairs(lines) do
        if l:find("^REQ GET http://127%.0%.0%.1:8774/v2%.1/flavors/42") then sent = l end
      end
      assert.truthy(sent and sent:find("compute 2.91", 1, true), sent)
      -- the response echoes it: description (2.55+) is present on the flavor
      assert.is_not_nil(rawget(s, "description"))
      conn:close()
    end)

    it("caps calls that disappear at higher microversions (hypervisor statistics, gone at 2.88)", function()
      local stats = admin.compute:get_hypervisor_statistics()
      assert.is_true(stats.count >= 2)
    end)

    it("raises a call to its minimum microversion (server tags need 2.26) within the negotiated range", function()
      -- 2.26 is below the default 2.91: the default applies and works
      local pick = admin.compute:_pick_microversion("fetch_server_tags", nil, { min_microversion = "2.26" })
      assert.equal("2.91", pick)
    end)

    it("refuses locally a call needing more than the cloud's maximum 2.93", function()
      local e = H.error_of(admin.compute._pick_microversion, admin.compute, "future_call", nil,
        { min_microversion = "2.94" })
      assert.equal("MicroversionUnsupported", e.class)
      assert.truthy(tostring(e.message):find("2.93", 1, true))
    end)

    it("refuses locally a pinned default microversion above the cloud's maximum (no request reaches Nova)", function()
      local lines = {}
      local conn = H.connect("local-admin", { compute_default_microversion = "2.94", debug = true,
        log = function(l) lines[#lines + 1] = l end })
      local e = H.error_of(function() return conn.compute:get_flavor("42") end)
      local sent = false
      for _, l in ipairs(lines) do if l:find("^REQ GET http://127%.0%.0%.1:8774/v2%.1/flavors") then sent = true end end
      assert.equal("MicroversionUnsupported", e.class, tostring(e))
      assert.is_false(sent)
      conn:close()
    end)

    it("honours a pinned microversion within range (2.1: no description on flavors)", function()
      local conn = H.connect("local-admin", { compute_default_microversion = "2.1" })
      assert.equal("2.1", conn.compute:microversion())
      local f = conn.compute:get_flavor("42")
      assert.is_nil(rawget(f, "description"))
      conn:close()
    end)
  end)
end)
