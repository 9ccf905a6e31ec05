-- The on-disk token and discovery cache (src/token_cache.c, session.c):
-- private files, no secrets but the token, reuse across sessions until the
-- token nears expiry, and a rejected cached token replaced once.
local fixture = require "spec.support.fixture"
local helper = require "spec.core.helper"

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  return (out:gsub("%s+$", ""))
end

describe("token cache", function()
  local fx, dir

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    dir = sh("mktemp -d") .. "/cache/nested"
  end)
  after_each(function() os.execute("rm -rf '" .. dir:gsub("/cache/nested$", "") .. "'") end)

  local function session(extra)
    local cfg = { token_cache = true, token_cache_dir = dir }
    for k, v in pairs(extra or {}) do cfg[k] = v end
    return helper.session(fx, cfg)
  end

  local function one_list(s)
    fx:route("GET", "/compute/v2.1/flavors/detail", { json = { flavors = {} } })
    for _ in s:pages { service = "compute", path = "/flavors/detail", resources_key = "flavors" } do end
  end

  it("lets a second session skip authentication and discovery", function()
    fixture.keystone_catalog(fx)
    local a = session()
    one_list(a)
    local first = a:token_info()
    a:close()
    local b = session()
    one_list(b)
    assert.equal(1, fx:count("POST", "/v3/auth/tokens"))
    assert.equal(1, fx:count("GET", "/compute/"))
    assert.equal(2, fx:count("GET", "/compute/v2.1/flavors/detail"))
    assert.equal(first.project_id, b:token_info().project_id)
    assert.equal(first.expires_at, b:token_info().expires_at)
  end)

  it("writes a 0600 file in a 0700 directory holding no password", function()
    fixture.keystone_catalog(fx)
    one_list(session())
    assert.equal("700", sh("stat -c %a '" .. dir .. "'"))
    local file = sh("ls '" .. dir .. "'/token-*.json")
    assert.equal("600", sh("stat -c %a '" .. file .. "'"))
    local content = assert(io.open(file)):read("a")
    assert.is_nil(content:find(helper.PASSWORD, 1, true))
    assert.truthy(content:find('"expires_at"', 1, true))
  end)

  it("ignores a cache file that others can read", function()
    fixture.keystone_catalog(fx)
    one_list(session())
    os.execute("chmod 644 '" .. dir .. "'/token-*.json")
    one_list(session())
    assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
  end)

  it("does not reuse a token that expires within two minutes", function()
    fixture.keystone_catalog(fx, { expires_at = os.date("!%Y-%m-%dT%H:%M:%S.000000Z", os.time() + 90) })
    one_list(session())
    one_list(session())
    assert.equal(true, fx:count("POST", "/v3/auth/tokens") >= 2)
  end)

  it("keys the cache by the auth parameters (another project authenticates anew)", function()
    fixture.keystone_catalog(fx)
    one_list(session())
    one_list(session { project_name = "other" })
    assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
  end)

  it("replaces a cached token the service rejects, with one re-authentication", function()
    fixture.keystone_catalog(fx)
    one_list(session())
    fx:route("GET", "/compute/v2.1/flavors/detail", {
      { status = 401, json = { error = { code = 401, message = "The request you have made requires authentication." } } },
      { json = { flavors = {} } },
    })
    local s = session()
    for _ in s:pages { service = "compute", path = "/flavors/detail", resources_key = "flavors" } do end
    assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
  end)

  it("is off unless asked for (library default)", function()
    fixture.keystone_catalog(fx)
    one_list(helper.session(fx, { token_cache_dir = dir }))
    one_list(helper.session(fx, { token_cache_dir = dir }))
    assert.equal(2, fx:count("POST", "/v3/auth/tokens"))
    assert.equal("", sh("ls '" .. dir .. "' 2>/dev/null"))
  end)
end)
