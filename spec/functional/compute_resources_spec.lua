-- Functional: the compute resources other than servers: flavors, keypairs,
-- server groups, limits, availability zones, hypervisors, extensions,
-- usage and the image proxy (capped at 2.35), against real Nova.
local H = require "spec.functional.helpers"

-- a fixed, valid public key (ssh-keygen -t ed25519); its private half is not kept
local PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMHPEMDMX0S/Eb0Oq4u58H2hujzvGPtUrEhyFWYTnPan ft-key"

local function utc(t) return os.date("!%Y-%m-%dT%H:%M:%S", t) end

describe("functional: compute resources", function()
  local admin, demo, fx
  local each = H.registry()
  local reg = H.registry()

  setup(function() admin, demo, fx = H.admin(), H.demo(), H.fixtures() end)
  after_each(function() each:run() end)
  teardown(function() each:run(); reg:run() end)

  describe("flavors", function()
    it("creates a private flavor (admin, description 2.55), gets, finds, lists and deletes it", function()
      local name = H.name("flavor")
      local f = admin.compute:create_flavor { name = name, ram = 64, vcpus = 1, disk = 1, swap = 16,
        ephemeral = 0, is_public = false, description = "ft flavor", rxtx_factor = 1.0 }
      each:add("flavor " .. f.id, function() H.delete_flavor(admin, f.id) end)
      assert.is_string(f.id)
      assert.equal(name, f.name)
      assert.equal(64, f.ram)
      assert.equal(1, f.vcpus)
      assert.equal(16, f.swap)
      assert.is_false(f.is_public)
      assert.equal("ft flavor", f.description)
      local got = admin.compute:get_flavor(f.id)
      assert.equal(name, got.name)
      assert.equal(1, got.disk)
      assert.equal(f.id, admin.compute:find_flavor(f.id).id)
      assert.is_not_nil(H.any(admin.compute:flavors { is_public = false }, function(x) return x.id == f.id end))
      assert.is_nil(H.any(admin.compute:flavors { min_ram = 100000 }, function(x) return x.id == f.id end))
      local brief = H.any(admin.compute:flavors { is_public = false, details = false },
        function(x) return x.id == f.id end)
      assert.is_nil(rawget(brief, "ram"))
      -- demo is not a member of the private flavor
      assert.is_nil(demo.compute:find_flavor(name))
      assert.is_nil(admin.compute:delete_flavor(f.id))
      assert.equal("ResourceNotFound", H.error_of(admin.compute.get_flavor, admin.compute, f.id).class)
      assert.is_nil(admin.compute:delete_flavor(f.id))
      assert.equal("ResourceNotFound",
        H.error_of(admin.compute.delete_flavor, admin.compute, f.id, { ignore_missing = false }).class)
    end)

    -- Nova lists only public flavors unless is_public is given (admin: "None"
    -- for all); newer openstacksdk lists with is_public=None so that
    -- find_flavor finds private flavors by name
    it("finds a private flavor by name (admin)", function()
      local name = H.name("flavor-priv")
      local f = admin.compute:create_flavor { name = name, ram = 64, vcpus = 1, disk = 0, is_public = false }
      each:add("flavor " .. f.id, function() H.delete_flavor(admin, f.id) end)
      local found = admin.compute:find_flavor(name)
      assert.is_not_nil(found, "find_flavor did not find the private flavor " .. name)
      assert.equal(f.id, found.id)
    end)

    it("creates a flavor with a chosen id", function()
      local id = H.name("flavor-id")
      local f = admin.compute:create_flavor { name = id, id = id, ram = 64, vcpus = 1, disk = 0 }
      each:add("flavor " .. id, function() H.delete_flavor(admin, id) end)
      assert.equal(id, f.id)
      assert.equal(id, admin.compute:get_flavor(id).id)
    end)

    it("lets demo read the public flavors but not create one (Forbidden)", function()
      assert.equal("42", demo.compute:find_flavor("m1.nano").id)
      assert.equal("m1.micro", demo.compute:get_flavor("84").name)
      local e = H.error_of(demo.compute.create_flavor, demo.compute,
        { name = H.name("flavor-demo"), ram = 64, vcpus = 1, disk = 1 })
      assert.equal("Forbidden", e.class)
    end)

    it("pages flavors with limit (flavors_links)", function()
      local seen, m1 = {}, 0
      for f in demo.compute:flavors { details = false, limit = 2 } do
        assert.is_nil(seen[f.id], "the same flavor twice across pages")
        seen[f.id] = true
        if f.name:find("^m1%.") then m1 = m1 + 1 end
      end
      assert.equal(5, m1) -- m1.nano, micro, tiny, small, medium
    end)
  end)

  describe("keypairs", function()
    it("imports a public key (type ssh, 2.2+), gets, finds, lists and deletes it", function()
      local name = H.name("key")
      local k = demo.compute:create_keypair { name = name, public_key = PUBLIC_KEY, type = "ssh" }
      each:add("keypair " .. name, function() H.delete_keypair(demo, name) end)
      assert.equal(name, k.name)
      assert.equal(name, k.id)
      assert.equal("ssh", k.type)
      assert.is_string(k.fingerprint)
      assert.is_nil(k.private_key)
      local got = demo.compute:get_keypair(name)
      assert.equal(PUBLIC_KEY, got.public_key)
      assert.equal(k.fingerprint, got.fingerprint)
      assert.equal(name, demo.compute:find_keypair(name).name)
      local listed = H.any(demo.compute:keypairs(), function(x) return x.name == name end)
      assert.is_not_nil(listed)
      assert.equal(k.fingerprint, listed.fingerprint)
      assert.is_nil(demo.compute:delete_keypair(name))
      assert.equal("ResourceNotFound", H.error_of(demo.compute.get_keypair, demo.compute, name).class)
      assert.is_nil(demo.compute:delete_keypair(name))
    end)

    it("has Nova generate a key pair when no public key is given (allowed up to 2.91)", function()
      local name = H.name("key-gen")
      local k = demo.compute:create_keypair { name = name }
      each:add("keypair " .. name, function() H.delete_keypair(demo, name) end)
      assert.truthy(tostring(k.private_key):find("PRIVATE KEY", 1, true))
      assert.truthy(tostring(k.public_key):find("^ssh%-"))
    end)

    it("answers Conflict for a duplicate key pair name", function()
      local name = H.name("key-dup")
      demo.compute:create_keypair { name = name, public_key = PUBLIC_KEY }
      each:add("keypair " .. name, function() H.delete_keypair(demo, name) end)
      local e = H.error_of(demo.compute.create_keypair, demo.compute, { name = name, public_key = PUBLIC_KEY })
      assert.equal("Conflict", e.class)
    end)
  end)

  describe("server groups", function()
    it("creates (policies list, sent at <= 2.63), gets, finds, lists and deletes a group", function()
      local name = H.name("sg")
      local g = demo.compute:create_server_group { name = name, policies = { "anti-affinity" } }
      each:add("server group " .. g.id, function() H.delete_server_group(demo, g.id) end)
      assert.is_string(g.id)
      assert.equal(name, g.name)
      local policy = g.policy or (g.policies and g.policies[1])
      assert.equal("anti-affinity", policy)
      assert.equal(name, demo.compute:get_server_group(g.id).name)
      assert.equal(g.id, demo.compute:find_server_group(name).id)
      assert.is_not_nil(H.any(demo.compute:server_groups(), function(x) return x.id == g.id end))
      assert.is_not_nil(H.any(admin.compute:server_groups { all_projects = true },
        function(x) return x.id == g.id end))
      assert.is_nil(demo.compute:delete_server_group(g.id))
      assert.equal("ResourceNotFound", H.error_of(demo.compute.get_server_group, demo.compute, g.id).class)
      assert.is_nil(demo.compute:delete_server_group(g.id))
    end)

    it("creates a group with policy and rules (2.64+) and boots a member via scheduler hints", function()
      local g = demo.compute:create_server_group { name = H.name("sg-rules"), policy = "anti-affinity",
        rules = { max_server_per_host = 1 } }
      each:add("server group " .. g.id, function() H.delete_server_group(demo, g.id) end)
      local got = demo.compute:get_server_group(g.id)
      assert.equal("anti-affinity", got.policy)
      assert.equal(1, got.rules.max_server_per_host)
      local s = demo.compute:create_server { name = H.name("srv-sg"), flavor_id = fx.nano, image_id = fx.image,
        networks = "none", scheduler_hints = { group = g.id } }
      each:add("server " .. s.id, function() H.delete_server(admin, s.id) end)
      H.settle(admin, s.id, "ACTIVE")
      assert.same({ s.id }, demo.compute:get_server_group(g.id).member_ids)
    end)
  end)

  describe("limits and availability zones", function()
    it("reads absolute limits (and no rate limits) for demo, and demo's limits as admin", function()
      local l = demo.compute:get_limits()
      assert.is_true(l.absolute.instances >= 10)
      assert.is_number(l.absolute.total_cores)
      assert.is_number(l.absolute.instances_used)
      assert.is_number(l.absolute.server_meta)
      assert.same({}, l.rate)
      local pid = demo:authorize().project_id
      local la = admin.compute:get_limits { project_id = pid }
      assert.equal(l.absolute.instances, la.absolute.instances)
    end)

    it("lists the availability zone 'nova' and, in detail (admin), its compute hosts", function()
      local nova = H.any(demo.compute:availability_zones(), function(z) return z.name == "nova" end)
      assert.is_not_nil(nova)
      assert.is_true(nova.state.available)
      local detailed = H.any(admin.compute:availability_zones { details = true },
        function(z) return z.name == "nova" end)
      assert.is_table(detailed.hosts.aio)
      assert.is_table(detailed.hosts.aio2)
      assert.is_table(detailed.hosts.aio["nova-compute"])
    end)
  end)

  describe("hypervisors (admin)", function()
    it("lists the two fake hypervisors, in summary and in detail", function()
      local names = {}
      for h in admin.compute:hypervisors() do names[h.name] = h end
      assert.is_not_nil(names.aio)
      assert.is_not_nil(names.aio2)
      local d = H.any(admin.compute:hypervisors { details = true }, function(h) return h.name == "aio2" end)
      assert.equal("fake", d.hypervisor_type)
      assert.equal("up", d.state)
      assert.equal("enabled", d.status)
      -- 2.88 dropped vcpus, memory_mb, local_gb... from the hypervisor
      -- (the SDK negotiates 2.91): they are absent, not zero
      assert.is_nil(d.vcpus)
      assert.is_nil(d.memory_size)
    end)

    it("gets a hypervisor by id (uuid at 2.53+) and finds one by hostname", function()
      local h = admin.compute:find_hypervisor("aio2")
      assert.equal("aio2", h.name)
      assert.is_string(h.id)
      local got = admin.compute:get_hypervisor(h.id)
      assert.equal("aio2", got.name)
      assert.equal("up", got.state)
      assert.is_nil(admin.compute:find_hypervisor(H.name("nohost")))
    end)

    it("filters by hostname pattern and with_servers (2.53+)", function()
      local list = H.collect(admin.compute:hypervisors { hypervisor_hostname_pattern = "aio2" })
      assert.equal(1, #list)
      assert.equal("aio2", list[1].name)
      local with = H.collect(admin.compute:hypervisors { hypervisor_hostname_pattern = "aio", with_servers = true })
      assert.equal(2, #with)
    end)

    it("reads statistics (capped at 2.87: gone at 2.88)", function()
      local st = admin.compute:get_hypervisor_statistics()
      assert.is_true(st.count >= 2)
      assert.is_number(st.vcpus)
      assert.is_number(st.running_vms)
    end)

    it("reads a hypervisor's uptime (capped at 2.87; the fake driver implements it)", function()
      local h = admin.compute:find_hypervisor("aio")
      local up = admin.compute:get_hypervisor_uptime(h)
      assert.equal("aio", up.name)
      assert.is_string(up.uptime)
    end)

    it("searches hypervisors and lists their servers (capped at 2.52)", function()
      local found = H.collect(admin.compute:search_hypervisors("aio2"))
      assert.equal(1, #found)
      assert.equal("aio2", found[1].name)
      assert.equal(2, #H.collect(admin.compute:search_hypervisors("aio")))
      assert.same({}, H.collect(admin.compute:search_hypervisors(H.name("nohost"))))
      local with = H.collect(admin.compute:hypervisor_servers("aio"))
      assert.equal(2, #with)
    end)
  end)

  describe("services and extensions", function()
    it("lists the compute services with state, status and forced_down (2.11+)", function()
      local computes = {}
      for s in admin.compute:services() do
        if s.binary == "nova-compute" then computes[s.host] = s end
      end
      assert.is_not_nil(computes.aio)
      assert.is_not_nil(computes.aio2)
      assert.equal("up", computes.aio.state)
      assert.is_boolean(computes.aio.is_forced_down)
      assert.is_not_nil(H.any(admin.compute:services(), function(s) return s.binary == "nova-conductor" end))
    end)

    it("lists the extensions and gets/finds one by alias", function()
      local list = H.collect(demo.compute:extensions())
      assert.is_true(#list > 10)
      local first = list[1]
      assert.is_string(first.alias)
      assert.equal(first.alias, first.id)
      local got = demo.compute:get_extension(first.alias)
      assert.equal(first.name, got.name)
      assert.equal(first.alias, demo.compute:find_extension(first.alias).alias)
      assert.equal(first.alias, demo.compute:find_extension(first.name).alias)
      assert.is_true(H.error_of(demo.compute.get_extension, demo.compute, "ft-no-such-ext"):is("NotFound"))
    end)
  end)

  describe("usage (os-simple-tenant-usage)", function()
    it("reports usage of all projects and of demo's project, with server usages", function()
      -- make sure demo has a server in the period
      local s = H.boot(each, { { name = H.name("srv-usage") } }, demo)[1]
      -- Nova counts an instance once launched_at < min(end, now); MariaDB
      -- stores launched_at rounded to the second, so a server launched in
      -- the last second may be missing for up to a second
      H.sleep(1.2)
      local pid = demo:authorize().project_id
      local start, stop = utc(os.time() - 3600), utc(os.time() + 60)
      local mine = H.any(admin.compute:usages { start = start, stop = stop, detailed = true },
        function(u) return u.project_id == pid end)
      assert.is_not_nil(mine)
      assert.is_number(mine.total_hours)
      local u = admin.compute:get_usage(pid, { start = start, stop = stop })
      assert.equal(pid, u.project_id)
      assert.is_not_nil(H.any(u.server_usages, function(x) return x.instance_id == s.id end))
      -- paged by instance (2.40): the same servers either way
      local paged = admin.compute:get_usage(pid, { start = start, stop = stop, limit = 1 })
      assert.equal(#u.server_usages, #paged.server_usages)
      -- demo may read its own usage
      assert.equal(pid, demo.compute:get_usage(pid, { start = start, stop = stop }).project_id)
    end)
  end)

  describe("images through compute (capped at 2.35)", function()
    local img
    before_each(function()
      local name = H.name("img-cmp")
      img = H.raw(admin, "image", "POST", "/v2/images", { json = { name = name, disk_format = "raw",
        container_format = "bare", visibility = "private", min_disk = 1 } })
      each:add("image " .. img.id, function() H.delete_image(admin, img.id) end)
      admin:request("image", "PUT", "/v2/images/" .. img.id .. "/file",
        { body = ("x"):rep(1024), content_type = "application/octet-stream" })
      H.image_settle(admin, img.id, "active")
    end)

    it("lists, gets and finds a Glance image through the compute proxy", function()
      local listed = H.any(admin.compute:images { name = img.name }, function(x) return x.id == img.id end)
      assert.is_not_nil(listed)
      assert.equal("ACTIVE", listed.status)
      assert.equal(1, listed.min_disk)
      assert.is_not_nil(H.any(admin.compute:images { details = false }, function(x) return x.id == img.id end))
      local got = admin.compute:get_image(img.id)
      assert.equal(img.name, got.name)
      assert.equal(1024, got.size)
      assert.equal(img.id, admin.compute:find_image(img.name).id)
    end)

    it("reads and writes image metadata (merge, replace, items, delete)", function()
      local md = admin.compute:set_image_metadata(img.id, { a = "1", b = "2" })
      assert.equal("1", md.metadata.a)
      assert.equal("2", admin.compute:get_image_metadata(img.id).metadata.b)
      assert.equal("3", admin.compute:set_image_metadata_item(img.id, "c", "3"))
      assert.equal("3", admin.compute:get_image_metadata_item(img.id, "c"))
      admin.compute:delete_image_metadata(img.id, { "a" })
      local now = admin.compute:get_image_metadata(img.id).metadata
      assert.is_nil(now.a)
      assert.equal("2", now.b)
      md = admin.compute:replace_image_metadata(img.id, { only = "this" })
      assert.equal("this", md.metadata.only)
      now = admin.compute:get_image_metadata(img.id).metadata
      assert.is_nil(now.b)
      -- they are Glance properties
      assert.equal("this", H.raw(admin, "image", "GET", "/v2/images/" .. img.id).only)
    end)

    it("deletes the image through compute", function()
      assert.is_nil(admin.compute:delete_image(img.id))
      H.wait_gone(admin, "image", "/v2/images/" .. img.id, "image", 30)
      assert.is_nil(admin.compute:delete_image(img.id))
    end)
  end)
end)
