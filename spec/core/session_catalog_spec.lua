-- The service catalog and version discovery (src/session.c): endpoint
-- selection by type (with aliases), interface and region; overrides;
-- EndpointNotFound; discovery read once and cached; microversion headers.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

local PROJECT = "8538a3f13f9541b28c2620eb19065e45" -- fixture.keystone_catalog's default

describe("core session catalog", function()
  local fx

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  local function session_with(catalog_opts, extra)
    fixture.keystone_catalog(fx, catalog_opts)
    return H.session(fx, extra)
  end

  -- A catalog entry with explicit endpoints: {interface, region, url} triples.
  local function entry(type, eps)
    local endpoints = {}
    for i, e in ipairs(eps) do
      endpoints[i] = { id = type .. i, interface = e[1], region = e[2], region_id = e[2], url = e[3] }
    end
    return { id = "svc-" .. type, type = type, name = type, endpoints = endpoints }
  end

  describe("endpoint selection", function()
    it("resolves block-storage through its aliases to the same endpoint", function()
      local s = session_with()
      local want = fx.url .. "/volume/v3/" .. PROJECT
      for _, name in ipairs({ "block-storage", "block_storage", "volumev3", "volume", "block-store" }) do
        local ep = s:endpoint(name)
        assert.equal(want, ep.url, name)
        assert.equal("block-storage", ep.service_type, name)
      end
      s:close()
    end)

    it("finds a legacy catalog that only has a 'volume' entry", function()
      local s = session_with({ catalog = { { type = "volume", name = "cinder", url = "{{base}}/vol/v3/P" } } })
      assert.equal(fx.url .. "/vol/v3/P", s:endpoint("block-storage").url)
      s:close()
    end)

    it("prefers volumev3 over volumev2 when both are listed", function()
      local s = session_with({ catalog = {
        { type = "volumev2", name = "cinderv2", url = "{{base}}/volume/v2/P" },
        { type = "volumev3", name = "cinderv3", url = "{{base}}/volume/v3/P" },
      } })
      local ep = s:endpoint("block-storage")
      s:close()
      assert.equal(fx.url .. "/volume/v3/P", ep.url)
      assert.equal("v3", ep.api_version)
    end)

    local regional = {
      entry("compute", {
        { "public", "R1", "{{base}}/r1pub/v2.1" }, { "internal", "R1", "{{base}}/r1int/v2.1" },
        { "admin", "R1", "{{base}}/r1adm/v2.1" }, { "public", "R2", "{{base}}/r2pub/v2.1" },
      }),
    }

    it("selects the public interface by default, else internal or admin (also 'internalURL' style)", function()
      local cases = {
        { nil, "/r1pub/v2.1" }, { "public", "/r1pub/v2.1" }, { "internal", "/r1int/v2.1" },
        { "admin", "/r1adm/v2.1" }, { "publicURL", "/r1pub/v2.1" }, { "internalURL", "/r1int/v2.1" },
        { "adminURL", "/r1adm/v2.1" },
      }
      for _, c in ipairs(cases) do
        fx:reset()
        local s = session_with({ catalog = regional }, { interface = c[1], region_name = "R1" })
        assert.equal(fx.url .. c[2], s:endpoint("compute").url, tostring(c[1]))
        s:close()
      end
    end)

    it("selects by region_name", function()
      local s = session_with({ catalog = regional }, { region_name = "R2" })
      assert.equal(fx.url .. "/r2pub/v2.1", s:endpoint("compute").url)
      s:close()
    end)

    it("raises EndpointNotFound naming the region and interface that have no endpoint", function()
      local s = session_with({ catalog = regional }, { region_name = "R2", interface = "internal" })
      local e = H.raises("EndpointNotFound", s.endpoint, s, "compute")
      s:close()
      assert.truthy(e:is("ConfigError"))
      assert.matches("'compute'", e.message)
      assert.matches("internal", e.message)
      assert.matches("R2", e.message)
      assert.matches("compute_endpoint_override", e.message)
    end)

    it("lets <service>_endpoint_override win over the catalog, with %(project_id)s substituted", function()
      local s = session_with(nil, { compute_endpoint_override = fx.url .. "/override/v2.1/%(project_id)s" })
      fx:route("GET", "/override/v2.1/" .. PROJECT .. "/servers", { json = { servers = fixture.empty_array } })
      local ep = s:endpoint("compute")
      s:request({ service = "compute", path = "/servers" })
      s:close()
      assert.equal(fx.url .. "/override/v2.1/" .. PROJECT, ep.url)
      assert.equal(1, fx:count("GET", "/override/v2.1/" .. PROJECT .. "/servers"))
      assert.equal(0, fx:count("GET", "/compute/v2.1/servers"))
    end)

    it("accepts an override under an alias name (volume_endpoint_override) and $(project_id)s", function()
      local s = session_with(nil, { volume_endpoint_override = fx.url .. "/bs/v3/$(project_id)s" })
      assert.equal(fx.url .. "/bs/v3/" .. PROJECT, s:endpoint("block-storage").url)
      s:close()
    end)

    it("raises EndpointNotFound naming the service and listing the catalog's types", function()
      local s = session_with()
      local e = H.raises("EndpointNotFound", s.endpoint, s, "network")
      s:close()
      assert.matches("'network'", e.message)
      assert.matches("it has: compute, image, block%-storage, volumev3, identity", e.message)
    end)

    -- Regression: the list of types was de-duplicated with strstr, so
    -- 'volume' (a prefix of 'volumev3') was left out of the message.
    it("lists every distinct catalog type in EndpointNotFound, even one that is a prefix of another", function()
      local s = session_with({ catalog = {
        { type = "volumev3", name = "cinderv3", url = "{{base}}/volume/v3/P" },
        { type = "volume", name = "cinder", url = "{{base}}/volume/v1/P" },
      } })
      local e = H.raises("EndpointNotFound", s.endpoint, s, "network")
      s:close()
      assert.matches("it has: volumev3, volume%)", e.message)
    end)

    -- Regression: the ostack_error was not cleared before
    -- ostack_session_endpoint filled only class and message, so the error
    -- carried stack garbage as status / request_id / retries ("HTTP
    -- 94614252004952", "after 7 retries"). Memory-dependent, hence several tries.
    it("raises EndpointNotFound without any HTTP status, request id or retry count", function()
      local s = session_with()
      for i = 1, 5 do
        local e = H.raises("EndpointNotFound", s.endpoint, s, "network" .. i)
        assert.is_nil(e.status, "status " .. tostring(e.status))
        assert.is_nil(e.request_id)
        assert.is_nil(e.retries, "retries " .. tostring(e.retries))
        local pager_ok, pe = pcall(s.pages, s, { service = "placement" .. i, path = "/x" })
        assert.is_false(pager_ok)
        assert.truthy(H.errors.is(pe, "EndpointNotFound"), tostring(pe))
        assert.is_nil(pe.status, "status " .. tostring(pe.status))
        assert.is_nil(pe.retries, "retries " .. tostring(pe.retries))
      end
      local none = core.session({ auth_type = "none" })
      local e = H.raises("EndpointNotFound", none.endpoint, none, "image")
      none:close()
      s:close()
      assert.is_nil(e.status, "status " .. tostring(e.status))
      assert.is_nil(e.request_id)
      assert.matches("image_endpoint_override", e.message)
    end)

    it("lists the catalog as type, name, interface, region and url entries", function()
      local s = session_with()
      s:authenticate()
      local cat = s:catalog()
      s:close()
      assert.equal(15, #cat)
      local found = false
      for _, e in ipairs(cat) do
        if e.type == "compute" and e.interface == "internal" then
          found = true
          assert.same({ type = "compute", name = "nova", interface = "internal", region = "RegionOne",
            url = fx.url .. "/compute/v2.1" }, e)
        end
      end
      assert.is_true(found)
    end)
  end)

  describe("version discovery", function()
    it("reads compute's version document once and caches it across many requests and re-auth", function()
      local s = session_with()
      fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
      for _ = 1, 6 do s:request({ service = "compute", path = "/servers" }) end
      s:authenticate(true)
      for _ = 1, 2 do s:request({ service = "compute", path = "/servers" }) end
      local ep = s:endpoint("compute")
      s:close()
      assert.equal(1, fx:count("GET", "/compute/") + fx:count("GET", "/compute"))
      assert.equal(8, fx:count("GET", "/compute/v2.1/servers"))
      assert.equal("v2.1", ep.api_version)
      assert.equal("2.1", ep.min_microversion)
      assert.equal("2.93", ep.max_microversion)
      assert.equal(fx.url .. "/compute/", ep.root)
      assert.equal(fx.url .. "/compute/v2.1", ep.catalog_url)
    end)

    local volume_root = { versions = {
      { id = "v2.0", status = "DEPRECATED", version = "", min_version = "",
        links = { { rel = "self", href = "{{base}}/volume/v2/" } } },
      { id = "v3.0", status = "CURRENT", version = "3.71", min_version = "3.0",
        links = { { rel = "self", href = "{{base}}/volume/v3/" } } },
    } }

    it("picks block storage v3 from a root listing v3 and v2", function()
      local s = session_with()
      fx:route("GET", "/volume/", { status = 300, json = volume_root })
      local ep = s:endpoint("block-storage")
      s:close()
      assert.equal("v3", ep.api_version)
      assert.equal("3.0", ep.min_microversion)
      assert.equal("3.71", ep.max_microversion)
      assert.equal(1, fx:count("GET", "/volume/"))
    end)

    it("picks the v2 entry for a v2-only block storage catalog", function()
      local s = session_with({ catalog = { { type = "volumev2", name = "cinderv2", url = "{{base}}/volume/v2/P" } } })
      fx:route("GET", "/volume/", { status = 300, json = volume_root })
      local ep = s:endpoint("block-storage")
      s:close()
      assert.equal("v2", ep.api_version)
      assert.equal("", ep.max_microversion)
      assert.equal(fx.url .. "/volume/v2/P", ep.url)
    end)

    it("takes the image root's highest CURRENT version (numerically) and hangs paths from the root", function()
      local s = session_with()
      fx:route("GET", "/image/", { status = 300, json = { versions = {
        { id = "v2.17", status = "EXPERIMENTAL", links = {} },
        { id = "v2.9", status = "SUPPORTED", links = {} },
        { id = "v2.16", status = "CURRENT", links = {} },
        { id = "v2.10", status = "SUPPORTED", links = {} },
      } } })
      fx:route("GET", "/image/v2/images", { json = { images = fixture.empty_array } })
      local ep = s:endpoint("image")
      s:request({ service = "image", path = "/v2/images" })
      s:close()
      assert.equal("v2.16", ep.api_version)
      assert.equal(fx.url .. "/image/", ep.url)
      assert.equal(1, fx:count("GET", "/image/v2/images"))
    end)

    it("goes on without microversions when discovery fails, and does not retry it per request", function()
      local s = session_with()
      fx:route("GET", "/compute/", 404)
      fx:route("GET", "/compute/v2.1/flavors", { json = { flavors = fixture.empty_array } })
      for _ = 1, 3 do s:request({ service = "compute", path = "/flavors" }) end
      local ep = s:endpoint("compute")
      s:close()
      assert.equal("", ep.max_microversion)
      assert.equal(1, fx:count("GET", "/compute/"))
    end)
  end)

  describe("microversions", function()
    it("sends compute's microversion in both OpenStack-API-Version and the legacy Nova header", function()
      local s = session_with()
      fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
      s:request({ service = "compute", path = "/servers", microversion = "2.53" })
      s:close()
      local rec = H.filter(fx, "GET", "/compute/v2.1/servers")[1]
      assert.equal("compute 2.53", rec.headers["openstack-api-version"])
      assert.equal("2.53", rec.headers["x-openstack-nova-api-version"])
    end)

    it("names block storage's microversion 'volume'", function()
      local s = session_with()
      fx:route("GET", "/volume/v3/" .. PROJECT .. "/volumes", { json = { volumes = fixture.empty_array } })
      s:request({ service = "block-storage", path = "/volumes", microversion = "3.10" })
      s:close()
      local rec = H.filter(fx, "GET", "/volume/v3/" .. PROJECT .. "/volumes")[1]
      assert.equal("volume 3.10", rec.headers["openstack-api-version"])
      assert.is_nil(rec.headers["x-openstack-nova-api-version"])
    end)

    it("sends no microversion header when none is asked for", function()
      local s = session_with()
      fx:route("GET", "/compute/v2.1/servers", { json = { servers = fixture.empty_array } })
      s:request({ service = "compute", path = "/servers" })
      s:close()
      local rec = H.filter(fx, "GET", "/compute/v2.1/servers")[1]
      assert.is_nil(rec.headers["openstack-api-version"])
      assert.is_nil(rec.headers["x-openstack-nova-api-version"])
    end)
  end)
end)
