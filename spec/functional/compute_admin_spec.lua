-- Functional: compute service administration (disable, enable, force down)
-- and evacuate, which needs a compute host that Nova believes down. The
-- cloud is shared: every change to a service is undone right away (raw
-- requests, also when the spec fails) and only host aio2 is touched.
local H = require "spec.functional.helpers"

describe("functional: compute services and evacuate (admin, host aio2)", function()
  local admin
  local each = H.registry()

  -- the raw restorations, independent of the SDK under test
  local function restore_aio2()
    H.try(admin, "compute", "PUT", "/os-services/force-down", { microversion = "2.11",
      json = { host = "aio2", binary = "nova-compute", forced_down = false } })
    H.try(admin, "compute", "PUT", "/os-services/enable", { json = { host = "aio2", binary = "nova-compute" } })
  end

  local function aio2()
    local body = H.raw(admin, "compute", "GET", "/os-services", { microversion = "2.11",
      query = { host = "aio2", binary = "nova-compute" } })
    return body.services[1]
  end

  setup(function()
    admin = H.admin()
    restore_aio2()
  end)
  after_each(function() each:run() end)
  teardown(function() each:run(); restore_aio2() end)

  it("disables nova-compute on aio2 with a reason and enables it again", function()
    each:add("re-enable aio2", restore_aio2)
    local svc = H.any(admin.compute:services(), function(s) return s.host == "aio2" and s.binary == "nova-compute" end)
    assert.is_not_nil(svc)
    local d = admin.compute:disable_service(svc, nil, nil, { disabled_reason = "ft maintenance" })
    assert.equal("disabled", d.status)
    assert.equal("ft maintenance", d.disabled_reason)
    assert.equal("disabled", aio2().status)
    local e = admin.compute:enable_service(svc)
    assert.equal("enabled", e.status)
    assert.equal("enabled", aio2().status)
    -- by host and binary, without a reason
    d = admin.compute:disable_service(nil, "aio2", "nova-compute")
    assert.equal("disabled", d.status)
    admin.compute:enable_service(nil, "aio2", "nova-compute")
    assert.equal("enabled", aio2().status)
  end)

  it("forces nova-compute on aio2 down (2.11) and the state follows; restored afterwards", function()
    each:add("restore aio2", restore_aio2)
    local svc = admin.compute:force_service_down(nil, "aio2", "nova-compute")
    assert.is_true(svc.is_forced_down)
    local now = aio2()
    assert.is_true(now.forced_down)
    assert.equal("down", now.state)
    restore_aio2()
    assert.is_false(aio2().forced_down)
    H.wait("aio2 to be up again", function() return aio2().state == "up" end, 30)
  end)

  it("refuses to evacuate a server whose host is up (BadRequest)", function()
    local s = H.boot(each, { { availability_zone = "nova:aio2" } })[1]
    local e = H.error_of(admin.compute.evacuate_server, admin.compute, s.id)
    assert.equal("BadRequest", e.class)
    assert.truthy(tostring(e.message):find("still in use", 1, true))
  end)

  it("evacuates a server from aio2 (forced down for the call) to aio", function()
    local s = H.boot(each, { { availability_zone = "nova:aio2" } })[1]
    assert.equal("aio2", s["OS-EXT-SRV-ATTR:host"])
    each:add("restore aio2", restore_aio2)
    admin.compute:force_service_down(nil, "aio2", "nova-compute")
    local ok, result = pcall(admin.compute.evacuate_server, admin.compute, s.id)
    restore_aio2()
    assert.is_true(ok, tostring(result))
    -- from 2.14 the response has no body: no admin password to return
    assert.is_nil(result)
    local after = H.wait("evacuation to aio", function()
      local x = H.server_raw(admin, s.id)
      local t = x["OS-EXT-STS:task_state"]
      if x.status == "ERROR" then error("evacuate put the server in ERROR: " .. tostring(x.fault and x.fault.message), 0) end
      if x.status == "ACTIVE" and (t == nil or t == H.null) and x["OS-EXT-SRV-ATTR:host"] == "aio" then return x end
      return nil, x.status .. "/" .. tostring(t) .. "@" .. tostring(x["OS-EXT-SRV-ATTR:host"])
    end, 60)
    assert.equal("aio", after["OS-EXT-SRV-ATTR:host"])
  end)
end)
