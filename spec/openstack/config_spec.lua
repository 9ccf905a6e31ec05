-- Specs for openstack.config: file search, cloud selection, layering of
-- files, OS_* variables and arguments, normalisation, validation, secrets.
-- Every load injects `env` and file lists so that nothing is read from the
-- real environment or from /etc/openstack.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path

local config = require "openstack.config"
local errors = require "openstack.errors"

local function sh_quote(s) return "'" .. s:gsub("'", [['\'']]) .. "'" end

local function mkdtemp()
  local pipe = assert(io.popen("mktemp -d"))
  local dir = pipe:read("l")
  pipe:close()
  return dir
end

local function write(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  os.execute(("chmod %s %s"):format(mode or "600", sh_quote(path)))
  return path
end

-- The ConfigError raised by config.load(args).
local function load_error(args)
  local ok, e = pcall(config.load, args)
  assert(not ok, "expected a ConfigError, the configuration loaded")
  assert(errors.is(e, "ConfigError"), "expected a ConfigError, got: " .. tostring(e))
  return e
end

local PASSWORD_CLOUD = [[
clouds:
  mycloud:
    auth:
      auth_url: https://keystone.example.com/v3
      username: alice
      password: hunter2
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
]]

describe("openstack.config", function()
  local dir

  before_each(function() dir = mkdtemp() end)
  after_each(function() os.execute("rm -rf " .. sh_quote(dir)) end)

  -- config.load with a clouds.yaml written from `text` (if any) and no
  -- secure.yaml, environment or home unless `args` gives them.
  local function load(text, args)
    args = args or {}
    args.env = args.env or {}
    if text and not args.config_files then
      args.config_files = { write(dir .. "/clouds.yaml", text) }
    end
    args.config_files = args.config_files or {}
    args.secure_files = args.secure_files or {}
    return config.load(args)
  end

  describe("file search", function()
    it("searches ., $XDG_CONFIG_HOME, ~/.config/openstack, /etc/openstack, as .yaml, .yml, .json", function()
      local clouds, secure = config.search_paths { env = { HOME = "/h", XDG_CONFIG_HOME = "/x" } }
      local function expected(stem)
        local out = {}
        for _, d in ipairs { ".", "/x/openstack", "/h/.config/openstack", "/etc/openstack" } do
          for _, ext in ipairs { ".yaml", ".yml", ".json" } do out[#out + 1] = d .. "/" .. stem .. ext end
        end
        return out
      end
      assert.same(expected("clouds"), clouds)
      assert.same(expected("secure"), secure)
    end)

    it("puts OS_CLIENT_CONFIG_FILE and OS_CLIENT_SECURE_FILE first", function()
      local clouds, secure = config.search_paths {
        env = { OS_CLIENT_CONFIG_FILE = "/c.yaml", OS_CLIENT_SECURE_FILE = "/s.yaml" },
        config_files = { "/a.yaml" }, secure_files = {},
      }
      assert.same({ "/c.yaml", "/a.yaml" }, clouds)
      assert.same({ "/s.yaml" }, secure)
    end)

    it("uses args.home over $HOME", function()
      local clouds = config.search_paths { env = { HOME = "/h" }, home = "/other" }
      assert.equal("/other/.config/openstack/clouds.yaml", clouds[4])
    end)

    it("finds clouds.yaml and secure.yaml in ~/.config/openstack with the default search", function()
      os.execute("mkdir -p " .. sh_quote(dir .. "/.config/openstack"))
      write(dir .. "/.config/openstack/clouds.yaml", PASSWORD_CLOUD:gsub("password: hunter2", "password: from-clouds"))
      write(dir .. "/.config/openstack/secure.yaml", "clouds:\n  mycloud:\n    auth:\n      password: from-secure\n")
      local c = config.load { cloud = "mycloud", env = {}, home = dir }
      assert.equal("alice", c.auth.username)
      assert.equal("from-secure", c.auth.password)
    end)

    it("takes the first file that exists", function()
      local second = write(dir .. "/second.yaml", PASSWORD_CLOUD)
      local third = write(dir .. "/third.yaml", "clouds:\n  other: {auth_type: none}\n")
      local c = load(nil, { cloud = "mycloud", config_files = { dir .. "/missing.yaml", second, third } })
      assert.equal("mycloud", c.cloud)
    end)

    it("reads .yml and .json files", function()
      local yml = write(dir .. "/clouds.yml", PASSWORD_CLOUD)
      assert.equal("alice", load(nil, { cloud = "mycloud", config_files = { yml } }).auth.username)
      local json = write(dir .. "/clouds.json",
        '{"clouds": {"j": {"auth_type": "none", "compute_endpoint_override": "http://n:8774"}}}')
      assert.equal("http://n:8774", load(nil, { cloud = "j", config_files = { json } }).compute_endpoint_override)
    end)

    it("prefers OS_CLIENT_CONFIG_FILE to the other files", function()
      local listed = write(dir .. "/listed.yaml", "clouds:\n  mycloud: {auth_type: none, region_name: listed}\n")
      local named = write(dir .. "/named.yaml", "clouds:\n  mycloud: {auth_type: none, region_name: named}\n")
      local c = load(nil, { cloud = "mycloud", config_files = { listed }, env = { OS_CLIENT_CONFIG_FILE = named } })
      assert.equal("named", c.region_name)
    end)

    it("warns when OS_CLIENT_CONFIG_FILE cannot be read and falls back", function()
      local listed = write(dir .. "/listed.yaml", "clouds:\n  mycloud: {auth_type: none}\n")
      local c, warnings = load(nil, { cloud = "mycloud", config_files = { listed },
        env = { OS_CLIENT_CONFIG_FILE = dir .. "/nope.yaml" } })
      assert.equal("mycloud", c.cloud)
      assert.same({ "OS_CLIENT_CONFIG_FILE names " .. dir .. "/nope.yaml, which cannot be read" }, warnings)
    end)

    it("reports a YAML error with the file and line", function()
      local e = load_error { cloud = "x", env = {}, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", "clouds:\n  x:\n    auth: {a: 1\n") } }
      assert.equal(dir .. "/clouds.yaml:3: unterminated flow mapping", e.message)
    end)

    it("refuses a file that is not a mapping", function()
      local e = load_error { cloud = "x", env = {}, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", "- a\n") } }
      assert.equal(dir .. "/clouds.yaml: expected a mapping with a 'clouds' key", e.message)
    end)

    it("ignores files entirely with load_yaml_config = false", function()
      local path = write(dir .. "/clouds.yaml", PASSWORD_CLOUD)
      local c = config.load { load_yaml_config = false, config_files = { path }, env = {},
        auth_type = "none" }
      assert.is_nil(c.cloud)
      assert.is_nil(c.region_name)
    end)
  end)

  describe("secure.yaml", function()
    it("is merged deeply over clouds.yaml, secure values winning", function()
      local secure = write(dir .. "/secure.yaml", [[
clouds:
  mycloud:
    auth:
      password: from-secure
    region_name: SecureRegion
]])
      local c = load(PASSWORD_CLOUD, { cloud = "mycloud", secure_files = { secure } })
      assert.equal("from-secure", c.auth.password)
      assert.equal("alice", c.auth.username)
      assert.equal("https://keystone.example.com/v3", c.auth.auth_url)
      assert.equal("SecureRegion", c.region_name)
    end)

    it("may add a cloud of its own", function()
      local secure = write(dir .. "/secure.yaml", "clouds:\n  hidden: {auth_type: none}\n")
      assert.equal("hidden", load(PASSWORD_CLOUD, { cloud = "hidden", secure_files = { secure } }).cloud)
    end)
  end)

  describe("anchors and merge keys in clouds.yaml", function()
    it("resolve into independent per-cloud settings", function()
      local text = [[
x-common: &common
  region_name: RegionOne
  interface: internal
  identity_api_version: 3
x-auth: &auth
  auth_url: https://keystone.example.com/v3
  user_domain_name: Default
  project_domain_name: Default
clouds:
  prod:
    <<: *common
    auth:
      <<: *auth
      username: prod-user
      password: p1
      project_name: prod
  dev:
    <<: *common
    region_name: RegionTwo
    auth:
      <<: *auth
      username: dev-user
      password: p2
      project_name: dev
]]
      local prod = load(text, { cloud = "prod" })
      local dev = load(text, { cloud = "dev" })
      assert.same({
        auth_url = "https://keystone.example.com/v3", username = "prod-user", password = "p1",
        project_name = "prod", user_domain_name = "Default", project_domain_name = "Default",
      }, prod.auth)
      assert.equal("RegionOne", prod.region_name)
      assert.equal("internal", prod.interface)
      assert.equal("3", prod.identity_api_version)
      assert.equal("RegionTwo", dev.region_name)
      assert.equal("dev-user", dev.auth.username)
      assert.equal("https://keystone.example.com/v3", dev.auth.auth_url)
    end)
  end)

  describe("cloud selection", function()
    local TWO_CLOUDS = [[
clouds:
  one: {auth_type: none, region_name: r1}
  two: {auth_type: none, region_name: r2}
]]

    it("uses args.cloud, then OS_CLOUD", function()
      assert.equal("two", load(TWO_CLOUDS, { cloud = "two" }).cloud)
      assert.equal("one", load(TWO_CLOUDS, { env = { OS_CLOUD = "one" } }).cloud)
      assert.equal("two", load(TWO_CLOUDS, { cloud = "two", env = { OS_CLOUD = "one" } }).cloud)
    end)

    it("uses the OS_* environment as cloud 'envvars' when it holds credentials", function()
      local c = load(TWO_CLOUDS, { env = { OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t" } })
      assert.equal("envvars", c.cloud)
      assert.equal("https://k/v3", c.auth.auth_url)
      assert.equal("envvars", load(nil, { cloud = "envvars",
        env = { OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t" } }).cloud)
    end)

    it("does not apply OS_* variables to a named cloud, as openstacksdk", function()
      local c = load(PASSWORD_CLOUD, { cloud = "mycloud",
        env = { OS_USERNAME = "bob", OS_REGION_NAME = "Elsewhere", OS_INTERFACE = "admin" } })
      assert.equal("alice", c.auth.username)
      assert.equal("RegionOne", c.region_name)
      assert.equal("public", c.interface)
    end)

    it("uses the arguments alone when they carry auth settings", function()
      local c = load(PASSWORD_CLOUD, { auth = { auth_url = "https://other/v3", token = "t" } })
      assert.is_nil(c.cloud)
      assert.equal("https://other/v3", c.auth.auth_url)
      assert.is_nil(c.region_name)
    end)

    it("uses the only cloud of clouds.yaml when nothing else is given", function()
      assert.equal("mycloud", load(PASSWORD_CLOUD).cloud)
    end)

    it("asks to choose when clouds.yaml has several clouds and none is named", function()
      local e = load_error { env = {}, secure_files = {}, config_files = { write(dir .. "/clouds.yaml", TWO_CLOUDS) } }
      assert.equal(dir .. "/clouds.yaml defines several clouds (one, two); choose one with cloud=... or OS_CLOUD",
        e.message)
    end)

    it("names a missing cloud, the file searched and the clouds available", function()
      local e = load_error { cloud = "three", env = {}, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", TWO_CLOUDS) } }
      assert.equal("cloud 'three' not found in " .. dir .. "/clouds.yaml; available clouds: one, two", e.message)
      assert.equal("three", e.cloud)
      assert.same({ "one", "two" }, e.available)
    end)

    it("names the files searched when a named cloud has no clouds.yaml at all", function()
      local e = load_error { cloud = "three", env = {}, secure_files = {}, config_files = { dir .. "/none.yaml" } }
      assert.equal("cloud 'three' not found: no clouds.yaml found (searched " .. dir .. "/none.yaml)", e.message)
    end)

    it("explains what is missing when there is no configuration at all", function()
      local e = load_error { env = {}, secure_files = {}, config_files = {} }
      assert.matches("^no cloud configuration found", e.message)
    end)

    it("refuses a clouds.yaml cloud named like the environment cloud when OS_* credentials are set", function()
      local e = load_error { cloud = "envvars", env = { OS_TOKEN = "t" }, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", "clouds:\n  envvars: {auth_type: none}\n") } }
      assert.matches("defines a cloud named 'envvars'", e.message, 1, true)
    end)

    it("ignores OS_* variables altogether with load_envvars = false", function()
      local c = load(PASSWORD_CLOUD, { load_envvars = false,
        env = { OS_CLOUD = "nope", OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t" } })
      assert.equal("mycloud", c.cloud)
    end)
  end)

  describe("OS_* environment variables", function()
    it("fill auth and the settings, in openstacksdk's names", function()
      local c = load(nil, { env = {
        OS_AUTH_URL = "https://k/v3", OS_USERNAME = "u", OS_PASSWORD = "p",
        OS_PROJECT_NAME = "proj", OS_USER_DOMAIN_NAME = "ud", OS_PROJECT_DOMAIN_ID = "pd",
        OS_REGION_NAME = "R", OS_INTERFACE = "internal", OS_CACERT = "/ca.pem", OS_CERT = "/c.pem",
        OS_KEY = "/k.pem", OS_IDENTITY_API_VERSION = "3", OS_COMPUTE_API_VERSION = "2.79",
        OS_IMAGE_ENDPOINT_OVERRIDE = "http://glance:9292", OS_DEBUG = "true", OS_API_TIMEOUT = "30",
      } })
      assert.same({ auth_url = "https://k/v3", username = "u", password = "p", project_name = "proj",
        user_domain_name = "ud", project_domain_id = "pd" }, c.auth)
      assert.equal("password", c.auth_type)
      assert.equal("R", c.region_name)
      assert.equal("internal", c.interface)
      assert.equal("/ca.pem", c.cacert)
      assert.equal("/c.pem", c.cert)
      assert.equal("/k.pem", c.key)
      assert.equal("3", c.identity_api_version)
      assert.equal("2.79", c.compute_api_version)
      assert.equal("http://glance:9292", c.image_endpoint_override)
      assert.is_true(c.debug)
      assert.equal(30, c.api_timeout)
    end)

    it("maps OS_TENANT_* to project, OS_ENDPOINT_TYPE to interface, OS_VOLUME_* to block_storage", function()
      local c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_USER_ID = "uid", OS_PASSWORD = "p",
        OS_TENANT_NAME = "t", OS_TENANT_ID = "tid", OS_ENDPOINT_TYPE = "internalURL",
        OS_VOLUME_API_VERSION = "3", OS_VOLUMEV3_ENDPOINT_OVERRIDE = "http://cinder" } })
      assert.equal("t", c.auth.project_name)
      assert.equal("tid", c.auth.project_id)
      assert.is_nil(c.auth.tenant_name)
      assert.equal("internal", c.interface)
      assert.equal("3", c.block_storage_api_version)
      assert.equal("http://cinder", c.block_storage_endpoint_override)
    end)

    it("give the auth type and application credentials", function()
      local c = load(nil, { env = { OS_AUTH_TYPE = "v3applicationcredential", OS_AUTH_URL = "https://k/v3",
        OS_APPLICATION_CREDENTIAL_NAME = "ci", OS_APPLICATION_CREDENTIAL_SECRET = "s", OS_USER_ID = "u" } })
      assert.equal("v3applicationcredential", c.auth_type)
      assert.same({ auth_url = "https://k/v3", application_credential_name = "ci",
        application_credential_secret = "s", user_id = "u" }, c.auth)
    end)

    it("turn OS_INSECURE=true into verify = false", function()
      local c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t", OS_INSECURE = "true" } })
      assert.is_false(c.verify)
      assert.is_true(c.insecure)
    end)

    it("apply OS_DOMAIN_NAME to user and project, OS_DEFAULT_DOMAIN where no domain is given", function()
      local c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_USERNAME = "u", OS_PASSWORD = "p",
        OS_PROJECT_NAME = "proj", OS_DOMAIN_NAME = "dom" } })
      assert.equal("dom", c.auth.user_domain_name)
      assert.equal("dom", c.auth.project_domain_name)
      assert.is_nil(c.auth.domain_name)
      c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_USERNAME = "u", OS_PASSWORD = "p",
        OS_PROJECT_NAME = "proj", OS_PROJECT_DOMAIN_NAME = "pd", OS_DEFAULT_DOMAIN = "default" } })
      assert.equal("default", c.auth.user_domain_id)
      assert.equal("pd", c.auth.project_domain_name)
      assert.is_nil(c.auth.project_domain_id)
    end)

    it("keep OS_DOMAIN_* as domain scope without a project", function()
      local c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t", OS_DOMAIN_ID = "d" } })
      assert.equal("d", c.auth.domain_id)
    end)

    it("treat empty variables as unset", function()
      local c = load(nil, { env = { OS_AUTH_URL = "https://k/v3", OS_TOKEN = "t", OS_PASSWORD = "",
        OS_REGION_NAME = "" } })
      assert.is_nil(c.auth.password)
      assert.is_nil(c.region_name)
    end)

    it("do not make a cloud out of selectors and settings without credentials", function()
      local c = load(PASSWORD_CLOUD, { env = { OS_REGION_NAME = "R", OS_INTERFACE = "admin" } })
      assert.equal("mycloud", c.cloud)
    end)
  end)

  describe("precedence", function()
    it("arguments beat the environment", function()
      local c = load(nil, { region_name = "ArgRegion", auth = { password = "arg-pw" },
        env = { OS_AUTH_URL = "https://k/v3", OS_USERNAME = "u", OS_PASSWORD = "env-pw", OS_REGION_NAME = "EnvRegion" } })
      assert.equal("ArgRegion", c.region_name)
      assert.equal("arg-pw", c.auth.password)
      assert.equal("u", c.auth.username)
    end)

    it("arguments beat files, auth merged key by key", function()
      local c = load(PASSWORD_CLOUD, { cloud = "mycloud", region_name = "ArgRegion",
        auth = { project_name = "other" }, interface = "admin" })
      assert.equal("ArgRegion", c.region_name)
      assert.equal("other", c.auth.project_name)
      assert.equal("alice", c.auth.username)
      assert.equal("admin", c.interface)
    end)

    it("top-level credential arguments go into auth and beat the file", function()
      local c = load(PASSWORD_CLOUD, { cloud = "mycloud", username = "bob", ["os-password"] = "pw2" })
      assert.equal("bob", c.auth.username)
      assert.equal("pw2", c.auth.password)
      assert.is_nil(c.username)
    end)

    it("a region's values beat the cloud's settings and lose to arguments", function()
      local text = [[
clouds:
  multi:
    auth_type: none
    interface: public
    regions:
      - name: R1
        values: {interface: internal, compute_api_version: "2.1"}
      - R2
]]
      local first = load(text, { cloud = "multi" })
      assert.equal("R1", first.region_name)
      assert.equal("internal", first.interface)
      assert.equal("2.1", first.compute_api_version)
      assert.is_nil(first.regions)
      local second = load(text, { cloud = "multi", region_name = "R2" })
      assert.equal("public", second.interface)
      assert.equal("admin", load(text, { cloud = "multi", interface = "admin" }).interface)
      local e = load_error { cloud = "multi", region_name = "R3", env = {}, secure_files = {},
        config_files = { dir .. "/clouds.yaml" } }
      assert.equal("cloud 'multi': region 'R3' is not one of its regions: R1, R2", e.message)
    end)
  end)

  describe("auth_type", function()
    local function resolve(auth, extra)
      local args = { auth = auth }
      for k, v in pairs(extra or {}) do args[k] = v end
      return load(nil, args)
    end

    it("is inferred: token -> v3token, application credential -> v3applicationcredential, else password", function()
      assert.equal("v3token", resolve { auth_url = "https://k/v3", token = "t" }.auth_type)
      assert.equal("v3applicationcredential", resolve {
        auth_url = "https://k/v3", application_credential_id = "id", application_credential_secret = "s" }.auth_type)
      assert.equal("password", resolve { auth_url = "https://k/v3", username = "u", password = "p" }.auth_type)
    end)

    it("accepts openstacksdk's aliases and old spellings", function()
      assert.equal("none", resolve({}, { auth_type = "noauth" }).auth_type)
      assert.equal("none", resolve({}, { auth_type = "None" }).auth_type)
      assert.equal("admin_token", resolve({ token = "t" }, { auth_type = "token_endpoint", endpoint = "http://e" }).auth_type)
      assert.equal("http://e", resolve({ token = "t" }, { auth_type = "admin_token", endpoint = "http://e" }).auth.endpoint)
      assert.equal("v3password", resolve({ auth_url = "https://k", username = "u", password = "p" },
        { auth_plugin = "v3password" }).auth_type)
    end)

    it("refuses an unknown auth_type, listing the valid ones", function()
      local e = load_error { auth_type = "kerberos", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: unknown auth_type 'kerberos'; valid auth types: "
        .. table.concat(config.AUTH_TYPES, ", "), e.message)
    end)
  end)

  describe("normalisation", function()
    it("prefers the underscore spelling when a key is also given with dashes", function()
      -- Several pairs, so that a pass cannot come from table order by luck.
      local lines = { "clouds:", "  d:", "    auth_type: none" }
      for i = 1, 12 do
        lines[#lines + 1] = ("    key-%d: dashed"):format(i)
        lines[#lines + 1] = ("    key_%d: underscored"):format(i)
      end
      local c = load(table.concat(lines, "\n") .. "\n", { cloud = "d" })
      for i = 1, 12 do assert.equal("underscored", c["key_" .. i]) end
    end)

    it("prefers the auth section to top-level credentials of the same source", function()
      local c = load("clouds:\n  a:\n    auth_url: https://top\n    username: top\n    password: p\n"
        .. "    auth: {auth_url: 'https://inner', username: inner}\n", { cloud = "a" })
      assert.equal("https://inner", c.auth.auth_url)
      assert.equal("inner", c.auth.username)
      assert.equal("p", c.auth.password)
    end)

    it("turns dashes in keys into underscores", function()
      local c = load([[
clouds:
  d:
    auth:
      auth-url: https://k/v3
      user-name-unused: x
      username: u
      password: p
    region-name: dashed
    region_name: R
]], { cloud = "d" })
      assert.equal("https://k/v3", c.auth.auth_url)
      assert.equal("R", c.region_name)
      assert.equal("x", c.auth.user_name_unused)
    end)

    it("renames tenant_name/tenant_id to project_name/project_id", function()
      local c = load("clouds:\n  t:\n    auth: {auth_url: 'https://k', username: u, password: p, tenant_name: tn, tenant-id: ti}\n",
        { cloud = "t" })
      assert.equal("tn", c.auth.project_name)
      assert.equal("ti", c.auth.project_id)
    end)

    it("normalises interface names like publicURL and refuses others", function()
      local function iface(v) return load(nil, { auth_type = "none", interface = v }).interface end
      assert.equal("public", iface(nil))
      assert.equal("public", iface("publicURL"))
      assert.equal("internal", iface("internalURL"))
      assert.equal("admin", iface("Admin"))
      local e = load_error { auth_type = "none", interface = "private", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: interface must be public, internal or admin, got 'private'", e.message)
    end)

    it("makes verify a boolean, insecure its opposite, insecure winning", function()
      local function tls(args)
        args.auth_type = "none"
        local c = load(nil, args)
        return c.verify, c.insecure
      end
      assert.same({ true, false }, { tls {} })
      assert.same({ false, true }, { tls { verify = false } })
      assert.same({ false, true }, { tls { verify = "no" } })
      assert.same({ false, true }, { tls { insecure = "True" } })
      assert.same({ false, true }, { tls { verify = true, insecure = true } })
      assert.same({ true, false }, { tls { insecure = "0" } })
    end)

    it("refuses verify and insecure values that are not boolean-like", function()
      local e = load_error { auth_type = "none", verify = "/etc/ssl/ca.pem", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: verify must be true or false, got '/etc/ssl/ca.pem' (a CA bundle goes in cacert)",
        e.message)
      assert.equal("verify", e.key)
      e = load_error { auth_type = "none", insecure = "maybe", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: insecure must be true or false, got 'maybe'", e.message)
    end)

    it("types numeric settings and refuses bad ones", function()
      local c = load(nil, { auth_type = "none", api_timeout = "2.5", connect_retries = "3",
        status_code_retries = 2, compute_status_code_retries = "5", identity_api_version = 3,
        compute_api_version = 2.1, image_api_version = 2.0 })
      assert.equal(2.5, c.api_timeout)
      assert.equal(3, c.connect_retries)
      assert.equal(2, c.status_code_retries)
      assert.equal(5, c.compute_status_code_retries)
      assert.equal("3", c.identity_api_version)
      assert.equal("2.1", c.compute_api_version)
      assert.equal("2.0", c.image_api_version)
      local e = load_error { auth_type = "none", api_timeout = "soon", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: api_timeout must be a positive number, got 'soon'", e.message)
      e = load_error { auth_type = "none", connect_retries = -1, env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: connect_retries must be a non-negative integer, got -1", e.message)
    end)

    it("gives per-service settings the service's official name", function()
      local c = load([[
clouds:
  s:
    auth_type: none
    block-storage-endpoint-override: http://official
    volume_endpoint_override: http://alias
    volumev3_api_version: 3
    compute_endpoint: http://nova
    image_endpoint_type: internalURL
    network_region_name: R2
]], { cloud = "s" })
      assert.equal("http://official", c.block_storage_endpoint_override)
      assert.equal("3", c.block_storage_api_version)
      assert.equal("http://nova", c.compute_endpoint_override)
      assert.equal("internal", c.image_interface)
      assert.equal("R2", c.network_region_name)
      assert.is_nil(c.volume_endpoint_override)
      assert.is_nil(c.volumev3_api_version)
      assert.is_nil(c.compute_endpoint)
    end)

    it("passes unknown keys through untouched", function()
      local c = load([[
clouds:
  p:
    auth_type: none
    retriable_status_codes: [409, 503]
    microversion: "2.53"
    custom: {nested: true}
]], { cloud = "p" })
      assert.same({ 409, 503 }, c.retriable_status_codes)
      assert.equal("2.53", c.microversion)
      assert.same({ nested = true }, c.custom)
    end)

    it("makes numeric auth values strings and expands ~ in certificate paths", function()
      local c = load("clouds:\n  n:\n    auth: {auth_url: 'https://k', user_id: 42, password: p, project_id: 12345}\n"
        .. "    cacert: ~/ca.pem\n", { cloud = "n", home = "/home/me" })
      assert.equal("42", c.auth.user_id)
      assert.equal("12345", c.auth.project_id)
      assert.equal("/home/me/ca.pem", c.cacert)
    end)

    it("does not modify the arguments", function()
      local args = { auth = { auth_url = "https://k", username = "u", password = "p", ["project-name"] = "x" },
        region_name = "R", env = {}, config_files = {}, secure_files = {} }
      config.load(args)
      assert.same({ auth_url = "https://k", username = "u", password = "p", ["project-name"] = "x" }, args.auth)
    end)
  end)

  describe("validation", function()
    it("requires auth_url for a password cloud, naming the cloud and key", function()
      local e = load_error { cloud = "x", env = {}, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", "clouds:\n  x:\n    auth: {username: u, password: hunter2}\n") } }
      assert.equal("cloud 'x': auth.auth_url is required for auth_type 'password'", e.message)
      assert.equal("auth.auth_url", e.key)
    end)

    it("requires a user and password for password, a token for tokens, a secret for application credentials", function()
      local function message(args)
        args.env, args.config_files, args.secure_files = {}, {}, {}
        return load_error(args).message
      end
      assert.equal("connection arguments: auth.username or auth.user_id is required for auth_type 'password'",
        message { auth = { auth_url = "https://k", password = "p" } })
      assert.equal("connection arguments: auth.password is required for auth_type 'password'",
        message { auth = { auth_url = "https://k", username = "u" } })
      assert.equal("connection arguments: auth.token is required for auth_type 'v3token'",
        message { auth_type = "v3token", auth = { auth_url = "https://k" } })
      assert.equal("connection arguments: auth.application_credential_secret is required for auth_type 'v3applicationcredential'",
        message { auth = { auth_url = "https://k", application_credential_id = "i" } })
      assert.equal("connection arguments: auth.endpoint is required for auth_type 'admin_token'",
        message { auth_type = "admin_token", auth = { token = "t" } })
    end)

    it("needs no credentials for auth_type none", function()
      local c = load(nil, { auth_type = "none", compute_endpoint_override = "http://nova" })
      assert.equal("none", c.auth_type)
      assert.same({}, c.auth)
    end)

    it("refuses a cloud entry that is not a mapping, and a non-mapping auth", function()
      local e = load_error { cloud = "x", env = {}, secure_files = {},
        config_files = { write(dir .. "/clouds.yaml", "clouds:\n  x: just a string\n") } }
      assert.equal("cloud 'x' must be a mapping of settings", e.message)
      e = load_error { auth = "nope", env = {}, config_files = {}, secure_files = {} }
      assert.equal("connection arguments: auth must be a mapping", e.message)
    end)

    it("warns about a file without 'clouds' and about vendor profiles", function()
      local _, warnings = load("clouds:\n  v: {profile: vexxhost, auth_type: none}\n", { cloud = "v" })
      assert.same({ "cloud 'v' uses vendor profile 'vexxhost', which is not supported; its settings are not applied" },
        warnings)
      local path = write(dir .. "/other.yaml", "cache: {}\n")
      _, warnings = load(nil, { config_files = { path }, auth_type = "none" })
      assert.same({ path .. " has no 'clouds' key" }, warnings)
    end)
  end)

  describe("secrets", function()
    it("warns when a clouds.yaml holding secrets is readable by others", function()
      local path = write(dir .. "/clouds.yaml", PASSWORD_CLOUD, "644")
      local _, warnings = load(nil, { cloud = "mycloud", config_files = { path } })
      assert.same({ "clouds.yaml at " .. path .. " is readable by others (mode 0644) and holds secrets; chmod 600 it" },
        warnings)
    end)

    it("warns when only others may read the file", function()
      local path = write(dir .. "/clouds.yaml", PASSWORD_CLOUD, "604")
      local _, warnings = load(nil, { cloud = "mycloud", config_files = { path } })
      assert.same({ "clouds.yaml at " .. path .. " is readable by others (mode 0604) and holds secrets; chmod 600 it" },
        warnings)
    end)

    it("does not warn for mode 0600 or for files without secrets", function()
      local _, warnings = load(PASSWORD_CLOUD, { cloud = "mycloud" })
      assert.same({}, warnings)
      local path = write(dir .. "/clouds.yaml", "clouds:\n  n: {auth_type: none}\n", "644")
      _, warnings = load(nil, { cloud = "n", config_files = { path } })
      assert.same({}, warnings)
    end)

    it("warns about a group-readable secure.yaml, whatever its directory is called", function()
      local odd = dir .. "/it's a dir; $(touch pwned)"
      os.execute("mkdir -p " .. sh_quote(odd))
      local secure = write(odd .. "/secure.yaml", "clouds:\n  mycloud:\n    auth: {password: s}\n", "640")
      local _, warnings = load(PASSWORD_CLOUD, { cloud = "mycloud", secure_files = { secure } })
      assert.same({ "secure.yaml at " .. secure .. " is readable by others (mode 0640) and holds secrets; chmod 600 it" },
        warnings)
      assert.is_nil(io.open("pwned"))
    end)

    it("never puts a secret value into an error message", function()
      local cases = {
        { cloud = "x", text = "clouds:\n  x:\n    auth: {username: u, password: hunter2}\n" },
        { cloud = "x", text = "clouds:\n  x:\n    auth: {auth_url: 'https://k', token: hunter2}\n    interface: bogus\n" },
        { cloud = "x", text = "clouds:\n  x:\n    auth: {auth_url: 'https://k', password: [hunter2]}\n    auth_type: password\n" },
        { cloud = "x", text = "clouds:\n  x:\n    auth:\n      password: 'hunter2\n" },
      }
      for _, case in ipairs(cases) do
        local e = load_error { cloud = case.cloud, env = {}, secure_files = {},
          config_files = { write(dir .. "/clouds.yaml", case.text) } }
        assert.not_matches("hunter2", e.message, 1, true)
      end
    end)
  end)

  describe("redact", function()
    it("replaces passwords, tokens, secrets and keys naming them, at any depth", function()
      local t = {
        auth = { username = "u", password = "p", token = "t", application_credential_secret = "s",
          application_credential_id = "id" },
        db_password = "x", API_TOKEN = "y", auth_type = "v3token", region_name = "R",
        nested = { deeper = { my_secret_value = "z" } },
      }
      assert.same({
        auth = { username = "u", password = "<redacted>", token = "<redacted>",
          application_credential_secret = "<redacted>", application_credential_id = "id" },
        db_password = "<redacted>", API_TOKEN = "<redacted>", auth_type = "v3token", region_name = "R",
        nested = { deeper = { my_secret_value = "<redacted>" } },
      }, config.redact(t))
    end)

    it("returns a copy and leaves the original alone", function()
      local t = { auth = { password = "p" } }
      local r = config.redact(t)
      assert.equal("p", t.auth.password)
      assert.are_not.equal(t.auth, r.auth)
    end)

    it("redacts a loaded configuration", function()
      local c = load(PASSWORD_CLOUD, { cloud = "mycloud" })
      local r = config.redact(c)
      assert.equal("<redacted>", r.auth.password)
      assert.equal("alice", r.auth.username)
    end)
  end)
end)
