-- Microversions chosen by the proxy (lua/openstack/proxy.lua): a version
-- pinned in the configuration or asked for per call must lie in the
-- cloud's range, and is refused before any request when it does not;
-- Placement's version document names its maximum max_version.
local fixture = require "spec.support.fixture"
local openstack = require "openstack"

describe("proxy microversions", function()
  local fx
  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    fixture.keystone_catalog(fx) -- compute 2.1 .. 2.93
  end)

  local function connect(extra)
    local args = {
      auth = { auth_url = fx.url .. "/v3", username = "u", password = "p", project_name = "demo",
               user_domain_name = "Default", project_domain_name = "Default" },
      region_name = "RegionOne", config_files = {}, secure_files = {}, env = {},
    }
    for k, v in pairs(extra or {}) do args[k] = v end
    return openstack.connect(args)
  end

  local function flavor_requests()
    local n = 0
    for _, r in ipairs(fx:requests()) do if r.path:find("^/compute/v2.1/flavors") then n = n + 1 end end
    return n
  end

  it("refuses a pinned microversion above the cloud's maximum before sending anything", function()
    local conn = connect { compute_default_microversion = "2.94" }
    local ok, e = pcall(conn.compute.get_flavor, conn.compute, "42")
    assert.is_false(ok)
    assert.is_true(openstack.errors.is(e, "MicroversionUnsupported"), tostring(e))
    assert.matches("2.94", e.message, 1, true)
    assert.matches("2.93", e.message, 1, true)
    assert.equal(0, flavor_requests())
  end)

  it("sends a pinned microversion inside the range", function()
    fx:route("GET", "/compute/v2.1/flavors/42", { json = { flavor = { id = "42", name = "m1.nano" } } })
    local conn = connect { compute_default_microversion = "2.60" }
    conn.compute:get_flavor("42")
    assert.equal("compute 2.60", fx:last_request().headers["openstack-api-version"])
  end)

  it("refuses a per-call microversion outside the range before sending anything", function()
    local conn = connect()
    local ok, e = pcall(conn.compute.get_flavor, conn.compute, "42", { microversion = "2.99" })
    assert.is_false(ok)
    assert.is_true(openstack.errors.is(e, "MicroversionUnsupported"), tostring(e))
    assert.equal(0, flavor_requests())
  end)

  it("reads Placement's max_version from its version document", function()
    fx:route("GET", "/placement/", { json = { versions = { { id = "v1.0", max_version = "1.39",
      min_version = "1.0", status = "CURRENT", links = {} } } } })
    local conn = connect { placement_endpoint_override = fx.url .. "/placement" }
    local ep = conn:endpoint("placement")
    assert.equal("1.39", ep.max_microversion)
    assert.equal("1.0", ep.min_microversion)
  end)
end)
