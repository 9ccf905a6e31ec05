-- conn:gather (lua/openstack/gather.lua + the core's yielding requests):
-- tasks written as sequential code run concurrently over one pool, errors
-- stay per task, waits yield, and an expired token mid-batch costs exactly
-- one re-authentication shared by every waiting request.
local fixture = require "spec.support.fixture"
local openstack = require "openstack"
local core = require "openstack.core"

describe("conn:gather", function()
  local fx, conn
  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    fixture.keystone_catalog(fx)
    conn = openstack.connect {
      auth = { auth_url = fx.url .. "/v3", username = "u", password = "p", project_name = "demo",
               user_domain_name = "Default", project_domain_name = "Default" },
      region_name = "RegionOne", config_files = {}, secure_files = {}, env = {}, retry_backoff_base = 0.01,
    }
    conn:authorize()
    conn:endpoint("compute")
  end)

  local function deletes(n, prefix)
    local tasks = {}
    for i = 1, n do
      tasks[i] = function() return conn.compute:delete_flavor(prefix .. i) end
    end
    return tasks
  end

  it("runs tasks concurrently: 32 requests of 100 ms each take far less than 3.2 s", function()
    fx:route("DELETE", "/compute/v2.1/flavors/", { status = 202, delay_ms = 100 }, { prefix = true })
    local t0 = core.now()
    local _, errs, failed = conn:gather(deletes(32, "f"), { concurrency = 16 })
    local elapsed = core.now() - t0
    assert.equal(0, failed)
    assert.same({}, errs)
    assert.equal(32, fx:count("DELETE"))
    assert.is_true(elapsed < 1.0, ("took %.2f s"):format(elapsed))
  end)

  it("never runs more than `concurrency` requests at once", function()
    fx:route("DELETE", "/compute/v2.1/flavors/", { status = 202, delay_ms = 100 }, { prefix = true })
    local t0 = core.now()
    conn:gather(deletes(8, "c"), { concurrency = 2 })
    -- 8 requests, 2 at a time, 100 ms each: at least 4 rounds
    assert.is_true(core.now() - t0 >= 0.38)
  end)

  it("returns each task's result by index and keeps errors per task", function()
    fx:route("GET", "/compute/v2.1/flavors/1", { json = { flavor = { id = "1", name = "one" } } })
    fx:route("GET", "/compute/v2.1/flavors/2", { status = 404, json = { itemNotFound = { message = "no 2", code = 404 } } })
    local results, errs, failed = conn:gather {
      function() return conn.compute:get_flavor("1").name end,
      function() return conn.compute:get_flavor("2") end,
      function(index) return index * 10 end,
    }
    assert.equal(1, failed)
    assert.equal("one", results[1])
    assert.is_nil(results[2])
    assert.equal(30, results[3])
    assert.is_true(openstack.errors.is(errs[2], "ResourceNotFound"))
  end)

  it("lets waits in tasks overlap instead of adding up (sleep yields)", function()
    local t0 = core.now()
    local tasks = {}
    for i = 1, 6 do tasks[i] = function() require("openstack.gather").sleep(0.2) return i end end
    local results = conn:gather(tasks, { concurrency = 6 })
    assert.equal(6, #results)
    assert.is_true(core.now() - t0 < 0.6)
  end)

  it("shares one re-authentication among all requests that met an expired token", function()
    -- the four concurrent requests carrying the first token are refused;
    -- after the one re-authentication every retry succeeds
    local first_auths = fx:count("POST", "/v3/auth/tokens")
    local expired = { status = 401, delay_ms = 50, body = '{"error":{"code":401,"message":"The token is expired."}}' }
    fx:routes { {
      method = "DELETE", path_prefix = "/compute/v2.1/flavors/",
      responses = { expired, expired, expired, expired, { status = 202, delay_ms = 50 } },
    } }
    local _, errs, failed = conn:gather(deletes(4, "r"), { concurrency = 4 })
    assert.equal(0, failed, tostring(errs[1] or errs[2] or errs[3] or errs[4]))
    assert.equal(first_auths + 1, fx:count("POST", "/v3/auth/tokens"))
    assert.equal(8, fx:count("DELETE"))
  end)

  it("rejects tasks that are not functions before running anything", function()
    local ok, e = pcall(conn.gather, conn, { function() end, "nope" })
    assert.is_false(ok)
    assert.is_true(openstack.errors.is(e, "InvalidArgument"))
    assert.matches("task 2", e.message)
  end)
end)
