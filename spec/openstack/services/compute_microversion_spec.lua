-- Compute microversion negotiation: the default (min(cloud max, 2.91))
-- found once, both headers, pinning, legacy endpoints without
-- microversions, and per-method ranges that fail before any request.
local H = require "spec.openstack.services.compute_helper"

local SID = H.SERVER_ID

describe("compute microversions", function()
  local t = H.setup()

  local function discoveries()
    local n = 0
    for _, r in ipairs(t.fx:requests()) do
      if r.method == "GET" and (r.path == "/compute/" or r.path == "/compute") then n = n + 1 end
    end
    return n
  end

  it("uses min(cloud maximum, 2.91) by default, sending both headers, after one discovery", function()
    local compute = t:cloud("2.93")
    t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
    compute:get_server(SID)
    compute:get_server(SID)
    local reqs = t:requests()
    for _, r in ipairs(reqs) do H.check(r, { mv = "2.91" }) end
    assert.equal(2, #reqs)
    assert.equal(1, discoveries())
    assert.equal("2.91", compute:microversion())
  end)

  it("uses the cloud's maximum when it is lower than 2.91", function()
    local compute = t:cloud("2.60")
    t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
    compute:get_server(SID)
    H.check(t:only(), { mv = "2.60" })
  end)

  it("sends a pinned microversion instead of the negotiated one", function()
    local compute = t:cloud("2.93", { compute_api_version = "2.53" })
    t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
    compute:get_server(SID)
    H.check(t:only(), { mv = "2.53" })
  end)

  it("lets one call ask for an explicit microversion", function()
    t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
    t.compute:get_server(SID, { microversion = "2.47" })
    H.check(t:only(), { mv = "2.47" })
  end)

  it("never raises a capped call above its maximum, whatever the default", function()
    t:route("GET", "/os-hypervisors/statistics", { json = { hypervisor_statistics = { count = 0 } } })
    t:route("POST", "/servers/" .. SID .. "/action", 202)
    t:route("GET", "/images/detail", { json = { images = H.empty_array } })
    t.compute:get_hypervisor_statistics()
    t.compute:add_fixed_ip_to_server(SID, "net")
    H.collect(t.compute:images())
    local reqs = t:requests()
    H.check(reqs[1], { mv = "2.87" })
    H.check(reqs[2], { mv = "2.43" })
    H.check(reqs[3], { mv = "2.35" })
  end)

  it("raises a call to its minimum when the default is lower and the cloud allows it", function()
    local compute = t:cloud("2.93", { compute_api_version = "2.20" })
    t:route("GET", "/servers/" .. SID .. "/tags", { json = { tags = H.empty_array } })
    compute:fetch_server_tags(SID)
    H.check(t:only(), { mv = "2.26" })
  end)

  describe("a method needing more than the cloud offers fails before any request", function()
    for _, case in ipairs {
      { "fetch_server_tags", "2.26", function(c) return c:fetch_server_tags(SID) end },
      { "force_service_down", "2.11", function(c) return c:force_service_down(nil, "h", "nova-compute") end },
      { "create_keypair", "2.2", function(c) return c:create_keypair { name = "k", type = "x509", public_key = "x" } end },
      { "create_server", "2.19", function(c) return c:create_server { name = "s", flavorRef = "1", description = "d" } end },
      { "create_server_group", "2.64", function(c) return c:create_server_group { name = "g", policy = "affinity" } end },
      { "unshelve_server", "2.77", function(c) return c:unshelve_server(SID, { availability_zone = "az" }) end },
    } do
      it(case[1] .. " on a 2.1 cloud", function()
        local compute = t:cloud("2.1")
        H.assert_error(H.error_of(case[3], compute), "MicroversionUnsupported", case[1], case[2], "2.1")
        assert.equal(0, t:count())
      end)
    end
  end)

  describe("a legacy v2.0 endpoint without microversions", function()
    local function legacy()
      t.fx:reset()
      H.fixture.keystone_catalog(t.fx, { catalog = {
        { type = "compute", name = "nova", url = "{{base}}/compute/v2.1" },
        { type = "identity", name = "keystone", url = "{{base}}/v3" },
      } })
      local doc = { versions = { { id = "v2.1", status = "CURRENT", version = "", min_version = "",
        links = { { rel = "self", href = "{{base}}/compute/v2.1/" } } } } }
      t.fx:route("GET", "/compute/", { json = doc })
      t.fx:route("GET", "/compute", { json = doc })
      return t:connect().compute
    end

    it("sends no microversion header", function()
      local compute = legacy()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      compute:get_server(SID)
      H.check(t:only(), { mv = false })
      assert.is_nil(compute:microversion())
    end)

    it("refuses calls that need a microversion", function()
      local compute = legacy()
      H.assert_error(H.error_of(compute.fetch_server_tags, compute, SID), "MicroversionUnsupported", "no microversions")
      assert.equal(0, t:count())
    end)
  end)
end)
