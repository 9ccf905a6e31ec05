-- conn.compute admin and informational calls: hypervisors (and their
-- statistics, uptime, search and servers), services, availability zones,
-- limits, usage, extensions and the version documents.
local H = require "spec.openstack.services.compute_helper"

describe("compute admin and informational calls", function()
  local t = H.setup()

  local HV_ID = "b1e43b5f-eec1-44e0-9f10-7b4945c0226d"
  local function hypervisor(over)
    local h = {
      id = HV_ID, hypervisor_hostname = "host2", state = "up", status = "enabled",
      service = { host = "host2", id = "8e36e0a2-bc8d-4d52-9431-42aa1a9b8f2a", disabled_reason = H.null },
      vcpus = 2, vcpus_used = 0, memory_mb = 8192, memory_mb_used = 512, free_ram_mb = 7680,
      local_gb = 1028, local_gb_used = 0, free_disk_gb = 1028, disk_available_least = 0,
      running_vms = 0, current_workload = 0, hypervisor_type = "fake", hypervisor_version = 1000,
      host_ip = "192.168.1.135", cpu_info = { arch = "x86_64", model = "Nehalem", vendor = "Intel" },
    }
    for k, v in pairs(over or {}) do h[k] = v end
    return h
  end

  describe("hypervisors", function()
    it("hypervisors lists the summary by default and the detail with details=true", function()
      t:route("GET", "/os-hypervisors", { json = { hypervisors = { { id = HV_ID, hypervisor_hostname = "host2",
        state = "up", status = "enabled" } } } })
      local list = H.collect(t.compute:hypervisors())
      H.check(t:only(), { method = "GET", path = "/os-hypervisors", mv = "2.91", query = {} })
      assert.equal("host2", list[1].name)
      t.fx:reset(); H.fixture.keystone_catalog(t.fx)
      t:route("GET", "/os-hypervisors/detail", { json = { hypervisors = { hypervisor() } } })
      list = H.collect(t.compute:hypervisors { details = true })
      H.check(t:only(), { path = "/os-hypervisors/detail" })
      assert.same({ 8192, 7680, 1028, "Nehalem" }, { list[1].memory_size, list[1].memory_free, list[1].local_disk_free,
        list[1].cpu_info.model })
    end)

    it("hypervisors passes hypervisor_hostname_pattern and with_servers, and follows hypervisors_links", function()
      t:route("GET", "/os-hypervisors", { json = { hypervisors = { hypervisor { id = "a" } },
        hypervisors_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/os-hypervisors?limit=1&marker=a" } } } },
        { query = { limit = "1" } })
      t:route("GET", "/os-hypervisors", { json = { hypervisors = { hypervisor { id = "b" } } } },
        { query = { limit = "1", marker = "a" } })
      -- a full last page without a next link: one more request, with the last id as marker
      t:route("GET", "/os-hypervisors", { json = { hypervisors = H.empty_array } }, { query = { limit = "1", marker = "b" } })
      t:route("GET", "/os-hypervisors", { json = { hypervisors = { hypervisor() } } },
        { query = { hypervisor_hostname_pattern = "host", with_servers = "true" } })
      assert.equal(2, #H.collect(t.compute:hypervisors { limit = 1 }))
      assert.equal(3, t:count())
      assert.equal(1, #H.collect(t.compute:hypervisors { hypervisor_hostname_pattern = "host", with_servers = true }))
      assert.equal(4, t:count())
    end)

    it("get_hypervisor reads one hypervisor; 404 raises ResourceNotFound", function()
      t:route("GET", "/os-hypervisors/" .. HV_ID, { json = { hypervisor = hypervisor() } })
      local h = t.compute:get_hypervisor(HV_ID)
      H.check(t:only(), { method = "GET", path = "/os-hypervisors/" .. HV_ID, mv = "2.91" })
      assert.same({ "host2", "up", "host2" }, { h.name, h.state, h.service_details.host })
      t:route("GET", "/os-hypervisors/nope", H.not_found("Hypervisor with ID nope could not be found."))
      H.assert_error(H.error_of(t.compute.get_hypervisor, t.compute, "nope"), "ResourceNotFound", "Hypervisor")
    end)

    it("find_hypervisor matches hypervisor_hostname after the id lookup fails (400 for a non-UUID too)", function()
      t:route("GET", "/os-hypervisors/host2", H.fault(400, "badRequest", "Invalid uuid host2"))
      t:route("GET", "/os-hypervisors/detail", { json = { hypervisors = { hypervisor { id = "x", hypervisor_hostname = "host22" },
        hypervisor() } } })
      assert.equal(HV_ID, t.compute:find_hypervisor("host2").id)
      H.check(t:requests()[2], { path = "/os-hypervisors/detail", query = {} })
      t:route("GET", "/os-hypervisors/none", H.not_found())
      assert.is_nil(t.compute:find_hypervisor("none"))
      H.assert_error(H.error_of(t.compute.find_hypervisor, t.compute, "none", { ignore_missing = false }), "ResourceNotFound")
    end)

    it("get_hypervisor_statistics reads the statistics, capped at 2.87", function()
      t:route("GET", "/os-hypervisors/statistics", { json = { hypervisor_statistics = { count = 1, current_workload = 0,
        disk_available_least = 0, free_disk_gb = 1028, free_ram_mb = 7680, local_gb = 1028, local_gb_used = 0,
        memory_mb = 8192, memory_mb_used = 512, running_vms = 0, vcpus = 2, vcpus_used = 0 } } })
      local st = t.compute:get_hypervisor_statistics()
      H.check(t:only(), { method = "GET", path = "/os-hypervisors/statistics", mv = "2.87", query = {} })
      assert.same({ 1, 8192, 7680, 2 }, { st.count, st.memory_size, st.memory_free, st.vcpus })
    end)

    it("get_hypervisor_uptime reads the uptime, capped at 2.87", function()
      t:route("GET", "/os-hypervisors/" .. HV_ID .. "/uptime", { json = { hypervisor = { id = HV_ID,
        hypervisor_hostname = "fake-mini", state = "up", status = "enabled",
        uptime = " 08:32:11 up 93 days, 18:25, 12 users,  load average: 0.20, 0.12, 0.14" } } })
      local h = t.compute:get_hypervisor_uptime({ id = HV_ID })
      H.check(t:only(), { method = "GET", path = "/os-hypervisors/" .. HV_ID .. "/uptime", mv = "2.87" })
      assert.matches("up 93 days", h.uptime)
      t:route("GET", "/os-hypervisors/x/uptime", H.fault(501, "notImplemented", "Virt driver does not implement uptime function."))
      H.assert_error(H.error_of(t.compute.get_hypervisor_uptime, t.compute, "x"), "NotImplemented", "uptime")
    end)

    it("search_hypervisors yields the matching hypervisors, capped at 2.52; nothing found is empty", function()
      t:route("GET", "/os-hypervisors/host%2A/search", { json = { hypervisors = { { id = 2, hypervisor_hostname = "host1",
        state = "up", status = "enabled" } } } })
      local list = H.collect(t.compute:search_hypervisors("host*"))
      H.check(t:only(), { method = "GET", path = "/os-hypervisors/host%2A/search", mv = "2.52" })
      assert.same({ 2, "host1" }, { list[1].id, list[1].name })
      t:route("GET", "/os-hypervisors/zzz/search", H.not_found("No hypervisor matching 'zzz' could be found."))
      assert.same({}, H.collect(t.compute:search_hypervisors("zzz")))
      H.assert_error(H.error_of(t.compute.search_hypervisors, t.compute), "InvalidArgument", "hostname_pattern")
    end)

    it("hypervisor_servers yields hypervisors with their servers, capped at 2.52", function()
      t:route("GET", "/os-hypervisors/fake/servers", { json = { hypervisors = { { id = 1, hypervisor_hostname = "fake-mini",
        state = "up", status = "enabled", servers = { { name = "test_server1", uuid = "aaaa" },
          { name = "test_server2", uuid = "bbbb" } } } } } })
      local list = H.collect(t.compute:hypervisor_servers("fake"))
      H.check(t:only(), { method = "GET", path = "/os-hypervisors/fake/servers", mv = "2.52" })
      assert.equal("bbbb", list[1].servers[2].uuid)
    end)

    it("the pattern calls fail before any request on a cloud that starts at 2.53", function()
      t.fx:reset(); H.fixture.keystone_catalog(t.fx)
      local doc = { versions = { { id = "v2.1", status = "CURRENT", version = "2.93", min_version = "2.53",
        links = { { rel = "self", href = "{{base}}/compute/v2.1/" } } } } }
      t.fx:route("GET", "/compute/", { json = doc })
      t.fx:route("GET", "/compute", { json = doc })
      local compute = t:connect().compute
      H.assert_error(H.error_of(compute.search_hypervisors, compute, "h"), "MicroversionUnsupported", "2.52", "2.53")
      assert.equal(0, t:count())
    end)
  end)

  describe("services", function()
    local SVC = { id = "4c8f5d40-f1a3-4a86-b2b3-e7e2b3a0c5d1", binary = "nova-compute", host = "host1", state = "up",
      status = "disabled", disabled_reason = "test2", zone = "nova", updated_at = "2012-10-29T13:42:05.000000",
      forced_down = false }

    it("services lists every service, with binary and host filters", function()
      t:route("GET", "/os-services", { json = { services = { SVC, { id = 2, binary = "nova-scheduler", host = "host1",
        state = "up", status = "enabled", zone = "internal" } } } })
      local list = H.collect(t.compute:services())
      H.check(t:only(), { method = "GET", path = "/os-services", mv = "2.91", query = {} })
      assert.same({ "nova-compute", "test2", false, "nova-scheduler" }, { list[1].binary, list[1].disabled_reason,
        list[1].is_forced_down, list[2].binary })
      t:route("GET", "/os-services", { json = { services = { SVC } } }, { query = { binary = "nova-compute", host = "host1" } })
      assert.equal(1, #H.collect(t.compute:services { binary = "nova-compute", host = "host1" }))
      H.assert_error(H.error_of(t.compute.services, t.compute, { zone = "nova" }), "InvalidResourceQuery", "zone")
    end)

    it("enable_service puts host and binary to /os-services/enable, capped at 2.52", function()
      t:route("PUT", "/os-services/enable", { json = { service = { host = "host1", binary = "nova-compute",
        status = "enabled" } } })
      local s = t.compute:enable_service(nil, "host1", "nova-compute")
      H.check(t:only(), { method = "PUT", path = "/os-services/enable", mv = "2.52",
        json = { host = "host1", binary = "nova-compute" } })
      assert.equal("enabled", s.status)
    end)

    it("enable_service takes host and binary from a Service object", function()
      t:route("PUT", "/os-services/enable", { json = { service = { host = "host1", binary = "nova-compute",
        status = "enabled" } } })
      t.compute:enable_service(SVC)
      H.check(t:only(), { json = { host = "host1", binary = "nova-compute" } })
      H.assert_error(H.error_of(t.compute.enable_service, t.compute, "id", "host1"), "InvalidArgument", "binary")
      assert.equal(1, t:count())
    end)

    it("disable_service uses /disable, or /disable-log-reason with a reason", function()
      t:route("PUT", "/os-services/disable", { json = { service = { host = "host1", binary = "nova-compute",
        status = "disabled" } } })
      t:route("PUT", "/os-services/disable-log-reason", { json = { service = { host = "host1", binary = "nova-compute",
        status = "disabled", disabled_reason = "test2" } } })
      t.compute:disable_service(SVC, "host1", "nova-compute")
      local s = t.compute:disable_service(SVC, "host1", "nova-compute", { disabled_reason = "test2" })
      local reqs = t:requests()
      H.check(reqs[1], { method = "PUT", path = "/os-services/disable", mv = "2.52",
        json = { host = "host1", binary = "nova-compute" } })
      H.check(reqs[2], { method = "PUT", path = "/os-services/disable-log-reason", mv = "2.52",
        json = { host = "host1", binary = "nova-compute", disabled_reason = "test2" } })
      assert.equal("test2", s.disabled_reason)
    end)

    it("force_service_down puts forced_down=true between 2.11 and 2.52", function()
      t:route("PUT", "/os-services/force-down", { json = { service = { host = "host1", binary = "nova-compute",
        forced_down = true } } })
      local s = t.compute:force_service_down(nil, "host1", "nova-compute")
      H.check(t:only(), { method = "PUT", path = "/os-services/force-down", mv = "2.52",
        json = { host = "host1", binary = "nova-compute", forced_down = true } })
      assert.is_true(s.is_forced_down)
    end)

    it("force_service_down fails with MicroversionUnsupported before any request below 2.11", function()
      local compute = t:cloud("2.10")
      H.assert_error(H.error_of(compute.force_service_down, compute, nil, "host1", "nova-compute"),
        "MicroversionUnsupported", "force_service_down", "2.11", "2.10")
      assert.equal(0, t:count())
    end)
  end)

  describe("availability zones", function()
    it("availability_zones lists the summary by default", function()
      t:route("GET", "/os-availability-zone", { json = { availabilityZoneInfo = { { zoneName = "nova",
        zoneState = { available = true }, hosts = H.null } } } })
      local list = H.collect(t.compute:availability_zones())
      H.check(t:only(), { method = "GET", path = "/os-availability-zone", mv = "2.91", query = {} })
      assert.same({ "nova", true }, { list[1].name, list[1].state.available })
    end)

    it("availability_zones{details=true} lists the detail with hosts", function()
      t:route("GET", "/os-availability-zone/detail", { json = { availabilityZoneInfo = {
        { zoneName = "internal", zoneState = { available = true }, hosts = { conductor = { ["nova-conductor"] = {
          active = true, available = true, updated_at = H.null } } } },
        { zoneName = "nova", zoneState = { available = true }, hosts = { compute = { ["nova-compute"] = {
          active = true, available = true, updated_at = H.null } } } } } } })
      local list = H.collect(t.compute:availability_zones { details = true })
      H.check(t:only(), { path = "/os-availability-zone/detail" })
      assert.equal(2, #list)
      assert.is_true(list[2].hosts.compute["nova-compute"].active)
    end)
  end)

  describe("get_limits", function()
    it("reads absolute and rate limits with friendly names", function()
      t:route("GET", "/limits", { json = { limits = {
        absolute = { maxImageMeta = 128, maxPersonality = 5, maxPersonalitySize = 10240, maxSecurityGroupRules = 20,
          maxSecurityGroups = 10, maxServerMeta = 128, maxTotalCores = 20, maxTotalFloatingIps = 10,
          maxTotalInstances = 10, maxTotalKeypairs = 100, maxTotalRAMSize = 51200, maxServerGroups = 10,
          maxServerGroupMembers = 10, totalCoresUsed = 0, totalInstancesUsed = 0, totalRAMUsed = 0,
          totalSecurityGroupsUsed = 0, totalFloatingIpsUsed = 0, totalServerGroupsUsed = 0 },
        rate = { { uri = "*", regex = ".*", limit = { { verb = "POST", value = 10, remaining = 10, unit = "MINUTE",
          ["next-available"] = "2011-12-15T22:42:45Z" } } } },
      } } })
      local l = t.compute:get_limits()
      H.check(t:only(), { method = "GET", path = "/limits", mv = "2.91", query = {} })
      assert.same({ 51200, 20, 0, 128, 10 }, { l.absolute.total_ram, l.absolute.total_cores, l.absolute.instances_used,
        l.absolute.server_meta, l.absolute.server_groups })
      assert.equal("POST", l.rate[1].limits[1].verb)
      assert.equal(".*", l.rate[1].regex)
    end)

    it("passes tenant_id (or project_id) and reserved, and rejects other keys", function()
      t:route("GET", "/limits", { json = { limits = { absolute = {}, rate = H.empty_array } } },
        { query = { tenant_id = "p1", reserved = "1" } })
      t.compute:get_limits { project_id = "p1", reserved = 1 }
      assert.equal(1, t:count())
      H.assert_error(H.error_of(t.compute.get_limits, t.compute, { tenant = "p1" }), "InvalidResourceQuery", "tenant")
      assert.equal(1, t:count())
    end)
  end)

  describe("usage", function()
    local PROJECT = "6f70656e737461636b20342065766572"
    local function usage(n, over)
      local servers = {}
      for i = 1, n do
        servers[i] = { ended_at = H.null, flavor = "m1.tiny", hours = 1.0, instance_id = "i-" .. i, local_gb = 1,
          memory_mb = 512, name = "instance-" .. i, started_at = "2018-10-09T11:29:04.166194", state = "active",
          tenant_id = PROJECT, uptime = 3600, vcpus = 1 }
      end
      local u = { server_usages = servers, start = "2018-10-09T10:29:04.166194", stop = "2018-10-09T11:29:04.166194",
        tenant_id = PROJECT, total_hours = 1.0 * n, total_local_gb_usage = 1.0 * n, total_memory_mb_usage = 512.0 * n,
        total_vcpus_usage = 1.0 * n }
      for k, v in pairs(over or {}) do u[k] = v end
      return u
    end

    it("usages lists every project with start/end/detailed converted for Nova", function()
      t:route("GET", "/os-simple-tenant-usage", { json = { tenant_usages = { usage(1) } } })
      local list = H.collect(t.compute:usages { start = "2018-10-09T10:29:04Z", stop = 1539084544, detailed = true })
      H.check(t:only(), { method = "GET", path = "/os-simple-tenant-usage", mv = "2.91", query = {
        start = "2018-10-09T10:29:04", ["end"] = "2018-10-09T11:29:04", detailed = "1" } })
      assert.same({ PROJECT, PROJECT, 1.0, "instance-1", PROJECT }, { list[1].project_id, list[1].id, list[1].total_hours,
        list[1].server_usages[1].name, list[1].server_usages[1].project_id })
    end)

    it("usages follows tenant_usages_links and accepts [\"end\"] with fractions", function()
      -- limit counts instances: a full page of 2 instances in one project, then the rest
      t:route("GET", "/os-simple-tenant-usage", { json = { tenant_usages = { usage(2, { tenant_id = "p1" }) },
        tenant_usages_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/os-simple-tenant-usage?end=2018-10-09T11%3A29%3A04.166194&limit=2&marker=i-2" } } } },
        { query = { ["end"] = "2018-10-09T11:29:04.166194", limit = "2" } })
      t:route("GET", "/os-simple-tenant-usage", { json = { tenant_usages = { usage(1, { tenant_id = "p2" }) } } },
        { query = { ["end"] = "2018-10-09T11:29:04.166194", limit = "2", marker = "i-2" } })
      local ids = {}
      for u in t.compute:usages { ["end"] = "2018-10-09T11:29:04.166194", limit = 2 } do ids[#ids + 1] = u.project_id end
      assert.equal(2, t:count())
      assert.same({ "p1", "p2" }, ids)
    end)

    it("usages rejects timestamps with a non-UTC zone and unknown keys before any request", function()
      H.assert_error(H.error_of(t.compute.usages, t.compute, { start = "2018-10-09T10:29:04+02:00" }), "InvalidArgument",
        "start")
      H.assert_error(H.error_of(t.compute.usages, t.compute, { start = "yesterday" }), "InvalidArgument", "start")
      H.assert_error(H.error_of(t.compute.usages, t.compute, { since = "2018-10-09T10:29:04" }), "InvalidResourceQuery",
        "since")
      assert.equal(0, t:count())
    end)

    it("get_usage reads one project and merges the pages Nova splits it into", function()
      t:route("GET", "/os-simple-tenant-usage/" .. PROJECT, { json = { tenant_usage = usage(2),
        tenant_usage_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/os-simple-tenant-usage/" .. PROJECT
          .. "?limit=2&marker=i-2&start=2018-10-09T10%3A29%3A04" } } } },
        { query = { start = "2018-10-09T10:29:04", limit = "2" } })
      t:route("GET", "/os-simple-tenant-usage/" .. PROJECT, { json = { tenant_usage = usage(1) } },
        { query = { start = "2018-10-09T10:29:04", limit = "2", marker = "i-2" } })
      local u = t.compute:get_usage({ id = PROJECT }, { start = "2018-10-09T10:29:04", limit = 2 })
      local reqs = t:requests()
      assert.equal(2, #reqs)
      H.check(reqs[1], { method = "GET", path = "/os-simple-tenant-usage/" .. PROJECT, mv = "2.91" })
      H.check(reqs[2], { mv = "2.91" })
      assert.equal(3, #u.server_usages)
      assert.equal(3.0, u.total_hours)
      assert.equal(1536.0, u.total_memory_mb_usage)
    end)

    it("get_usage returns an empty Usage for a project without servers", function()
      t:route("GET", "/os-simple-tenant-usage/p0", { json = { tenant_usage = {} } })
      local u = t.compute:get_usage("p0")
      H.check(t:only(), { query = {} })
      assert.is_nil(u.total_hours)
    end)
  end)

  describe("extensions", function()
    local EXT = { alias = "os-hypervisors", name = "Hypervisors", namespace = "http://docs.openstack.org/compute/ext/fake_xml",
      description = "Admin-only hypervisor administration.", links = H.empty_array, updated = "2014-12-03T00:00:00Z" }

    it("extensions lists every extension", function()
      t:route("GET", "/extensions", { json = { extensions = { EXT } } })
      local list = H.collect(t.compute:extensions())
      H.check(t:only(), { method = "GET", path = "/extensions", mv = "2.91", query = {} })
      assert.same({ "os-hypervisors", "os-hypervisors", "2014-12-03T00:00:00Z" }, { list[1].alias, list[1].id,
        list[1].updated_at })
    end)

    it("get_extension reads by alias; 404 raises ResourceNotFound", function()
      t:route("GET", "/extensions/os-hypervisors", { json = { extension = EXT } })
      assert.equal("Hypervisors", t.compute:get_extension("os-hypervisors").name)
      H.check(t:only(), { method = "GET", path = "/extensions/os-hypervisors", mv = "2.91" })
      t:route("GET", "/extensions/os-nope", H.not_found())
      H.assert_error(H.error_of(t.compute.get_extension, t.compute, "os-nope"), "ResourceNotFound", "Extension")
    end)

    it("find_extension matches the alias or the name", function()
      t:route("GET", "/extensions/Hypervisors", H.not_found())
      t:route("GET", "/extensions", { json = { extensions = { EXT } } })
      assert.equal("os-hypervisors", t.compute:find_extension("Hypervisors").alias)
      t:route("GET", "/extensions/nothing", H.not_found())
      assert.is_nil(t.compute:find_extension("nothing"))
      H.assert_error(H.error_of(t.compute.find_extension, t.compute, "nothing", { ignore_missing = false }),
        "ResourceNotFound")
    end)
  end)

  describe("version documents", function()
    it("get_api_versions reads the unversioned root without a token", function()
      local versions = t.compute:get_api_versions()
      assert.equal(2, #versions)
      local roots = {}
      for _, r in ipairs(t.fx:requests()) do
        if r.method == "GET" and r.path == "/compute/" then roots[#roots + 1] = r end
      end
      local last = roots[#roots]
      assert.is_nil(last.headers["x-auth-token"])
      assert.is_nil(last.headers["openstack-api-version"])
      local list = t.compute:get_api_versions()
      assert.same({ "v2.0", "SUPPORTED", "" }, { list[1].id, list[1].status, list[1].version })
      assert.same({ "v2.1", "CURRENT", "2.93", "2.1", "2013-07-23T11:33:21Z" }, { list[2].id, list[2].status,
        list[2].version, list[2].min_version, list[2].updated_at })
    end)

    it("get_api_version reads the endpoint's own document", function()
      t:route("GET", "/", { json = { version = { id = "v2.1", status = "CURRENT", version = "2.93", min_version = "2.1",
        updated = "2013-07-23T11:33:21Z", links = { { href = "http://openstack.example.com/v2.1/", rel = "self" } },
        ["media-types"] = { { base = "application/json", type = "application/vnd.openstack.compute+json;version=2.1" } } } } })
      local v = t.compute:get_api_version()
      local r = H.check(t:only(), { method = "GET", path = "/", mv = false })
      assert.is_nil(r.headers["x-auth-token"])
      assert.same({ "v2.1", "2.93", "application/json" }, { v.id, v.version, v.media_types[1].base })
    end)
  end)
end)
