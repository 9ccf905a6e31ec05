-- conn.compute flavors, compute images, keypairs, server groups, server
-- interfaces and volume attachments.
local H = require "spec.openstack.services.compute_helper"

local SID, FID, IID = H.SERVER_ID, H.FLAVOR_ID, H.IMAGE_ID

describe("compute resources", function()
  local t = H.setup()

  describe("flavors", function()
    it("create_flavor posts wire names and returns the Flavor", function()
      t:route("POST", "/flavors", { json = { flavor = H.flavor { name = "test_flavor", id = "10" } } })
      local f = t.compute:create_flavor { name = "test_flavor", ram = 1024, vcpus = 2, disk = 10, id = "10",
        ephemeral = 0, swap = 0, rxtx_factor = 1.0, is_public = true, description = "test description" }
      H.check(t:only(), { method = "POST", path = "/flavors", mv = "2.91", json = { flavor = {
        name = "test_flavor", ram = 1024, vcpus = 2, disk = 10, id = "10", ["OS-FLV-EXT-DATA:ephemeral"] = 0,
        swap = 0, rxtx_factor = 1.0, ["os-flavor-access:is_public"] = true, description = "test description",
      } } })
      assert.equal("10", f.id)
      assert.is_true(f.is_public)
      assert.equal(0, f.ephemeral)
    end)

    it("create_flavor rejects missing required attributes, bad types and bad values before any request", function()
      local c = t.compute
      H.assert_error(H.error_of(c.create_flavor, c, { name = "f", ram = 1, vcpus = 1 }), "InvalidArgument", "'disk'")
      H.assert_error(H.error_of(c.create_flavor, c, { name = "f", ram = "1", vcpus = 1, disk = 1 }),
        "InvalidArgument", "'ram' must be integer")
      H.assert_error(H.error_of(c.create_flavor, c, { name = "f", ram = 0, vcpus = 1, disk = 1 }), "InvalidArgument", "ram")
      H.assert_error(H.error_of(c.create_flavor, c, { name = "f", ram = 1, vcpus = 1, disk = 1, id = 5 }),
        "InvalidArgument", "'id' must be string")
      H.assert_error(H.error_of(c.create_flavor, c, { name = "f", ram = 1, vcpus = 1, disk = 1, cpus = 1 }),
        "InvalidArgument", "unknown attribute 'cpus'")
      assert.equal(0, t:count())
    end)

    it("get_flavor reads one flavor; 404 raises ResourceNotFound", function()
      t:route("GET", "/flavors/" .. FID, { json = { flavor = H.flavor() } })
      local f = t.compute:get_flavor(FID)
      H.check(t:only(), { method = "GET", path = "/flavors/" .. FID, mv = "2.91" })
      assert.same({ "test_flavor", 1024, 2, 10, false, 1.0 }, { f.name, f.ram, f.vcpus, f.disk, f.is_disabled, f.rxtx_factor })
      t:route("GET", "/flavors/nope", H.not_found("Flavor nope could not be found."))
      H.assert_error(H.error_of(t.compute.get_flavor, t.compute, "nope"), "ResourceNotFound", "No Flavor found for nope")
    end)

    it("find_flavor gets by id, then lists /flavors/detail and matches the name exactly", function()
      t:route("GET", "/flavors/m1.tiny", H.not_found())
      t:route("GET", "/flavors/detail", { json = { flavors = { H.flavor { id = "1", name = "m1.tiny" },
        H.flavor { id = "2", name = "m1.tiny2" } } } })
      assert.equal("1", t.compute:find_flavor("m1.tiny").id)
      local reqs = t:requests()
      -- Nova lists only public flavors unless asked: find must see private ones too
      H.check(reqs[2], { method = "GET", path = "/flavors/detail", query = { is_public = "None" } })
      t:route("GET", "/flavors/m1.none", H.not_found())
      assert.is_nil(t.compute:find_flavor("m1.none"))
      H.assert_error(H.error_of(t.compute.find_flavor, t.compute, "m1.none", { ignore_missing = false }), "ResourceNotFound")
    end)

    it("find_flavor raises DuplicateResource for two flavors of one name", function()
      t:route("GET", "/flavors/dup", H.not_found())
      t:route("GET", "/flavors/detail", { json = { flavors = { H.flavor { id = "1", name = "dup" },
        H.flavor { id = "2", name = "dup" } } } })
      H.assert_error(H.error_of(t.compute.find_flavor, t.compute, "dup"), "DuplicateResource", "Flavor", "1", "2")
    end)

    it("flavors lists details by default with the renamed filters, and the summary with details=false", function()
      t:route("GET", "/flavors/detail", { json = { flavors = { H.flavor() } } })
      local list = H.collect(t.compute:flavors { min_ram = 512, min_disk = 1, is_public = "none", sort_key = "name",
        sort_dir = "asc" })
      H.check(t:only(), { method = "GET", path = "/flavors/detail", mv = "2.91", query = {
        minRam = "512", minDisk = "1", is_public = "none", sort_key = "name", sort_dir = "asc" } })
      assert.equal(1024, list[1].ram)
      t.fx:reset(); H.fixture.keystone_catalog(t.fx)
      t:route("GET", "/flavors", { json = { flavors = { { id = "1", name = "m1.tiny", description = H.null, links = {} } } } })
      list = H.collect(t.compute:flavors { details = false })
      H.check(t:only(), { path = "/flavors" })
      assert.equal("m1.tiny", list[1].name)
    end)

    it("flavors follows flavors_links", function()
      t:route("GET", "/flavors/detail", { json = { flavors = { H.flavor { id = "1" } },
        flavors_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/flavors/detail?marker=1" } } } })
      t:route("GET", "/flavors/detail", { json = { flavors = { H.flavor { id = "2" } } } }, { query = { marker = "1" } })
      local ids = {}
      for f in t.compute:flavors() do ids[#ids + 1] = f.id end
      assert.same({ "1", "2" }, ids)
    end)

    it("delete_flavor deletes, swallowing 404 unless ignore_missing=false", function()
      t:route("DELETE", "/flavors/" .. FID, 202)
      t:route("DELETE", "/flavors/gone", H.not_found())
      assert.is_nil(t.compute:delete_flavor(FID))
      H.check(t:requests()[1], { method = "DELETE", path = "/flavors/" .. FID, mv = "2.91" })
      assert.is_nil(t.compute:delete_flavor("gone"))
      H.assert_error(H.error_of(t.compute.delete_flavor, t.compute, "gone", { ignore_missing = false }), "ResourceNotFound")
    end)
  end)

  describe("images (compute proxy, capped at 2.35)", function()
    it("images lists /images/detail with the renamed filters at 2.35", function()
      t:route("GET", "/images/detail", { json = { images = { H.image() } } })
      local list = H.collect(t.compute:images { name = "fakeimage7", status = "ACTIVE", min_ram = 128,
        changes_since = "2011-01-01T00:00:00Z", server = SID, type = "snapshot" })
      H.check(t:only(), { method = "GET", path = "/images/detail", mv = "2.35", query = { name = "fakeimage7",
        status = "ACTIVE", minRam = "128", ["changes-since"] = "2011-01-01T00:00:00Z", server = SID, type = "snapshot" } })
      assert.same({ 0, 74185822, "x86_64" }, { list[1].min_disk, list[1].size, list[1].metadata.architecture })
    end)

    it("images with details=false lists /images", function()
      t:route("GET", "/images", { json = { images = { { id = IID, name = "fakeimage7", links = {} } } } })
      assert.equal(1, #H.collect(t.compute:images { details = false }))
      H.check(t:only(), { path = "/images", mv = "2.35" })
    end)

    it("get_image reads one image at 2.35; 404 raises ResourceNotFound", function()
      t:route("GET", "/images/" .. IID, { json = { image = H.image() } })
      assert.equal("ACTIVE", t.compute:get_image(IID).status)
      H.check(t:only(), { method = "GET", path = "/images/" .. IID, mv = "2.35" })
      t:route("GET", "/images/nope", H.not_found("Image not found."))
      H.assert_error(H.error_of(t.compute.get_image, t.compute, "nope"), "ResourceNotFound", "No Image found for nope")
    end)

    it("find_image falls back to the name", function()
      t:route("GET", "/images/fakeimage7", H.not_found())
      t:route("GET", "/images/detail", { json = { images = { H.image() } } })
      assert.equal(IID, t.compute:find_image("fakeimage7").id)
      H.check(t:requests()[2], { path = "/images/detail", query = { name = "fakeimage7" }, mv = "2.35" })
    end)

    it("delete_image deletes at 2.35 and honours ignore_missing", function()
      t:route("DELETE", "/images/" .. IID, 204)
      t:route("DELETE", "/images/gone", H.not_found())
      t.compute:delete_image(IID)
      H.check(t:only(), { method = "DELETE", path = "/images/" .. IID, mv = "2.35" })
      assert.is_nil(t.compute:delete_image("gone"))
      H.assert_error(H.error_of(t.compute.delete_image, t.compute, "gone", { ignore_missing = false }), "ResourceNotFound")
    end)
  end)

  describe("keypairs", function()
    local KP = { name = "keypair-5d935425", public_key = "ssh-rsa AAAAB3Nz Generated-by-Nova", type = "ssh",
      fingerprint = "7e:eb:ab:24:ba:d1:e1:88:ae:9a:fb:66:53:df:d3:bd", user_id = "fake" }

    it("create_keypair posts the keypair and returns it, id = name", function()
      t:route("POST", "/os-keypairs", { status = 201, json = { keypair = KP } })
      local kp = t.compute:create_keypair { name = KP.name, public_key = KP.public_key, type = "ssh" }
      H.check(t:only(), { method = "POST", path = "/os-keypairs", mv = "2.91",
        json = { keypair = { name = KP.name, public_key = KP.public_key, type = "ssh" } } })
      assert.equal(KP.name, kp.id)
      assert.equal(KP.fingerprint, kp.fingerprint)
    end)

    it("create_keypair without a public key returns the generated private key", function()
      t:route("POST", "/os-keypairs", { json = { keypair = { name = "k", private_key = "-----BEGIN RSA PRIVATE KEY-----",
        public_key = "ssh-rsa AAA", fingerprint = "aa" } } })
      assert.equal("-----BEGIN RSA PRIVATE KEY-----", t.compute:create_keypair { name = "k" }.private_key)
    end)

    it("create_keypair refuses to ask for a generated key at 2.92 or later, and checks type and name", function()
      local compute = t:cloud("2.93", { compute_default_microversion = "2.92" })
      H.assert_error(H.error_of(compute.create_keypair, compute, { name = "k" }), "InvalidArgument", "public_key", "2.92")
      H.assert_error(H.error_of(t.compute.create_keypair, t.compute, { name = "k", type = "rsa", public_key = "x" }),
        "InvalidArgument", "type")
      H.assert_error(H.error_of(t.compute.create_keypair, t.compute, { public_key = "x" }), "InvalidArgument", "'name'")
      assert.equal(0, t:count())
    end)

    it("create_keypair with type needs 2.2", function()
      local compute = t:cloud("2.1")
      H.assert_error(H.error_of(compute.create_keypair, compute, { name = "k", type = "ssh", public_key = "x" }),
        "MicroversionUnsupported", "'type'", "2.2")
      assert.equal(0, t:count())
    end)

    it("get_keypair reads /os-keypairs/{name}; the id is the name, not Nova's integer id", function()
      local body = { keypair = { name = KP.name, public_key = KP.public_key, fingerprint = KP.fingerprint,
        user_id = "fake", deleted = false, created_at = "2014-05-07T12:06:13.681238", updated_at = H.null,
        deleted_at = H.null, id = 1, type = "ssh" } }
      t:route("GET", "/os-keypairs/" .. KP.name, { json = body })
      local kp = t.compute:get_keypair(KP.name)
      H.check(t:only(), { method = "GET", path = "/os-keypairs/" .. KP.name, mv = "2.91" })
      assert.equal(KP.name, kp.id)
      assert.equal("ssh", kp.type)
      t:route("GET", "/os-keypairs/nope", H.not_found("Keypair nope not found for user fake"))
      H.assert_error(H.error_of(t.compute.get_keypair, t.compute, "nope"), "ResourceNotFound", "No Keypair found for nope")
    end)

    it("keypairs unwraps each {\"keypair\": {...}} item", function()
      t:route("GET", "/os-keypairs", { json = { keypairs = { { keypair = KP }, { keypair = { name = "k2" } } } } })
      local list = H.collect(t.compute:keypairs())
      H.check(t:only(), { method = "GET", path = "/os-keypairs", mv = "2.91", query = {} })
      assert.equal(2, #list)
      assert.same({ KP.name, KP.name, KP.fingerprint, "k2" }, { list[1].name, list[1].id, list[1].fingerprint, list[2].id })
    end)

    it("keypairs passes user_id, limit and marker", function()
      t:route("GET", "/os-keypairs", { json = { keypairs = { { keypair = KP } } } },
        { query = { user_id = "u1", limit = "5", marker = "k0" } })
      assert.equal(1, #H.collect(t.compute:keypairs { user_id = "u1", limit = 5, marker = "k0" }))
    end)

    it("find_keypair gets by name, then lists and matches the name", function()
      t:route("GET", "/os-keypairs/" .. KP.name, { json = { keypair = KP } })
      assert.equal(KP.name, t.compute:find_keypair(KP.name).name)
      assert.equal(1, t:count())
      t:route("GET", "/os-keypairs/missing", H.not_found())
      t:route("GET", "/os-keypairs", { json = { keypairs = { { keypair = KP } } } })
      assert.is_nil(t.compute:find_keypair("missing"))
      H.assert_error(H.error_of(t.compute.find_keypair, t.compute, "missing", { ignore_missing = false }), "ResourceNotFound")
    end)

    it("delete_keypair deletes by name, from a string or a Keypair table", function()
      t:route("DELETE", "/os-keypairs/" .. KP.name, 204)
      t:route("DELETE", "/os-keypairs/gone", H.not_found())
      t.compute:delete_keypair { name = KP.name }
      H.check(t:only(), { method = "DELETE", path = "/os-keypairs/" .. KP.name, mv = "2.91" })
      assert.is_nil(t.compute:delete_keypair("gone"))
      H.assert_error(H.error_of(t.compute.delete_keypair, t.compute, "gone", { ignore_missing = false }), "ResourceNotFound")
    end)
  end)

  describe("server groups", function()
    local SG = { id = "616fb98f-46ca-475e-917e-2563e5a8cd19", name = "test", policy = "anti-affinity",
      rules = { max_server_per_host = 3 }, members = H.empty_array, project_id = "6f70656e737461636b20342065766572",
      user_id = "fake" }

    it("create_server_group with policies is sent at 2.63 (policies is gone from 2.64)", function()
      t:route("POST", "/os-server-groups", { json = { server_group = { id = SG.id, name = "test",
        policies = { "anti-affinity" }, members = H.empty_array, metadata = {} } } })
      local g = t.compute:create_server_group { name = "test", policies = { "anti-affinity" } }
      H.check(t:only(), { method = "POST", path = "/os-server-groups", mv = "2.63",
        json = { server_group = { name = "test", policies = { "anti-affinity" } } } })
      assert.same({}, g.member_ids)
      assert.equal(SG.id, g.id)
    end)

    it("create_server_group with policy and rules is sent at the default microversion", function()
      t:route("POST", "/os-server-groups", { json = { server_group = SG } })
      local g = t.compute:create_server_group { name = "test", policy = "anti-affinity", rules = { max_server_per_host = 3 } }
      H.check(t:only(), { mv = "2.91", json = { server_group = { name = "test", policy = "anti-affinity",
        rules = { max_server_per_host = 3 } } } })
      assert.equal(3, g.rules.max_server_per_host)
    end)

    it("create_server_group checks name and policy values before any request", function()
      local c = t.compute
      H.assert_error(H.error_of(c.create_server_group, c, { name = "g", policies = { "spread" } }), "InvalidArgument", "spread")
      H.assert_error(H.error_of(c.create_server_group, c, { name = "g" }), "InvalidArgument", "polic")
      H.assert_error(H.error_of(c.create_server_group, c, { policy = "affinity" }), "InvalidArgument", "'name'")
      H.assert_error(H.error_of(c.create_server_group, c, { name = "g", policy = "affinity", rules = { max_server_per_host = 1 } }),
        "InvalidArgument", "rules")
      local old = t:cloud("2.14")
      H.assert_error(H.error_of(old.create_server_group, old, { name = "g", policies = { "soft-affinity" } }),
        "InvalidArgument", "2.15")
      assert.equal(0, t:count())
    end)

    it("get_server_group reads one group; 404 raises ResourceNotFound", function()
      t:route("GET", "/os-server-groups/" .. SG.id, { json = { server_group = SG } })
      assert.equal("anti-affinity", t.compute:get_server_group(SG.id).policy)
      H.check(t:only(), { method = "GET", path = "/os-server-groups/" .. SG.id, mv = "2.91" })
      t:route("GET", "/os-server-groups/nope", H.not_found())
      H.assert_error(H.error_of(t.compute.get_server_group, t.compute, "nope"), "ResourceNotFound", "ServerGroup")
    end)

    it("find_server_group falls back to listing and matching the name", function()
      t:route("GET", "/os-server-groups/test", H.not_found())
      t:route("GET", "/os-server-groups", { json = { server_groups = { SG } } })
      assert.equal(SG.id, t.compute:find_server_group("test").id)
      H.check(t:requests()[2], { path = "/os-server-groups", query = {} })
    end)

    it("server_groups passes all_projects, limit and offset, and reads one page only", function()
      t:route("GET", "/os-server-groups", { json = { server_groups = { SG, SG } } },
        { query = { all_projects = "true", limit = "2", offset = "4" } })
      local list = H.collect(t.compute:server_groups { all_projects = true, limit = 2, offset = 4 })
      assert.equal(2, #list)
      H.check(t:only(), { mv = "2.91" })
    end)

    it("delete_server_group deletes and honours ignore_missing", function()
      t:route("DELETE", "/os-server-groups/" .. SG.id, 204)
      t:route("DELETE", "/os-server-groups/gone", H.not_found())
      t.compute:delete_server_group(SG.id)
      H.check(t:only(), { method = "DELETE", path = "/os-server-groups/" .. SG.id })
      assert.is_nil(t.compute:delete_server_group("gone"))
      H.assert_error(H.error_of(t.compute.delete_server_group, t.compute, "gone", { ignore_missing = false }),
        "ResourceNotFound")
    end)
  end)

  describe("server interfaces", function()
    local PORT = "ce531f90-199f-48c0-816c-13e38010b442"
    local IFACE = { fixed_ips = { { ip_address = "192.168.1.3", subnet_id = "f8a6e8f8-c2ec-497c-9f23-da9616de54ef" } },
      mac_addr = "fa:16:3e:4c:2c:30", net_id = "3cb9bc59-5699-4588-a4b1-b87f96708bc6", port_id = PORT,
      port_state = "ACTIVE" }

    it("create_server_interface posts interfaceAttachment and returns it, id = port id", function()
      t:route("POST", "/servers/" .. SID .. "/os-interface", { json = { interfaceAttachment = IFACE } })
      local i = t.compute:create_server_interface(SID, { net_id = IFACE.net_id,
        fixed_ips = { { ip_address = "192.168.1.3" } } })
      H.check(t:only(), { method = "POST", path = "/servers/" .. SID .. "/os-interface", mv = "2.91",
        json = { interfaceAttachment = { net_id = IFACE.net_id, fixed_ips = { { ip_address = "192.168.1.3" } } } } })
      assert.equal(PORT, i.id)
      assert.equal(SID, i.server_id)
    end)

    it("create_server_interface rejects port_id with net_id, and fixed_ips without net_id", function()
      local c = t.compute
      H.assert_error(H.error_of(c.create_server_interface, c, SID, { port_id = "p", net_id = "n" }), "InvalidArgument",
        "exclude")
      H.assert_error(H.error_of(c.create_server_interface, c, SID, { fixed_ips = { { ip_address = "1.1.1.1" } } }),
        "InvalidArgument", "net_id")
      H.assert_error(H.error_of(c.create_server_interface, c, nil, { port_id = "p" }), "InvalidArgument", "server")
      assert.equal(0, t:count())
    end)

    it("get_server_interface needs the server, from the option or the object", function()
      t:route("GET", "/servers/" .. SID .. "/os-interface/" .. PORT, { json = { interfaceAttachment = IFACE } })
      local i = t.compute:get_server_interface(PORT, { server = SID })
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID .. "/os-interface/" .. PORT, mv = "2.91" })
      assert.equal("ACTIVE", i.port_state)
      assert.equal(SID, i.server_id)
      t.compute:get_server_interface(i)
      assert.equal(2, t:count())
      H.assert_error(H.error_of(t.compute.get_server_interface, t.compute, PORT), "InvalidArgument", "server")
      assert.equal(2, t:count())
    end)

    it("delete_server_interface deletes by port id and honours ignore_missing", function()
      t:route("DELETE", "/servers/" .. SID .. "/os-interface/" .. PORT, 202)
      t:route("DELETE", "/servers/" .. SID .. "/os-interface/gone", H.not_found())
      t.compute:delete_server_interface({ port_id = PORT, server_id = SID })
      H.check(t:only(), { method = "DELETE", path = "/servers/" .. SID .. "/os-interface/" .. PORT })
      assert.is_nil(t.compute:delete_server_interface("gone", { server = SID }))
      H.assert_error(H.error_of(t.compute.delete_server_interface, t.compute, "gone",
        { server = { id = SID }, ignore_missing = false }), "ResourceNotFound")
    end)

    it("server_interfaces lists the server's interfaces", function()
      t:route("GET", "/servers/" .. SID .. "/os-interface", { json = { interfaceAttachments = { IFACE } } })
      local list = H.collect(t.compute:server_interfaces(SID))
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID .. "/os-interface", mv = "2.91", query = {} })
      assert.equal(PORT, list[1].id)
      assert.equal(SID, list[1].server_id)
    end)
  end)

  describe("volume attachments", function()
    local VOL = "a26887c6-c47b-4654-abb5-dfadf7d3f803"
    local VA = { device = "/dev/sdb", serverId = SID, volumeId = VOL, tag = H.null, delete_on_termination = false,
      attachment_id = "979ce4f8-033a-409d-85e6-6b5c0f6a6302", bdm_uuid = "c088db45-92b8-49e8-81e2-a1b77a144b3b" }

    it("create_volume_attachment posts volumeAttachment and returns it, id = volume id", function()
      t:route("POST", "/servers/" .. SID .. "/os-volume_attachments", { json = { volumeAttachment = VA } })
      local a = t.compute:create_volume_attachment(SID, { volume_id = VOL, device = "/dev/sdb" })
      H.check(t:only(), { method = "POST", path = "/servers/" .. SID .. "/os-volume_attachments", mv = "2.91",
        json = { volumeAttachment = { volumeId = VOL, device = "/dev/sdb" } } })
      assert.equal(VOL, a.id)
      assert.equal(SID, a.server_id)
      assert.equal("c088db45-92b8-49e8-81e2-a1b77a144b3b", a.bdm_id)
    end)

    it("create_volume_attachment requires the volume, and tag needs 2.49", function()
      H.assert_error(H.error_of(t.compute.create_volume_attachment, t.compute, SID, { device = "/dev/sdb" }),
        "InvalidArgument", "volume_id")
      local old = t:cloud("2.48")
      H.assert_error(H.error_of(old.create_volume_attachment, old, SID, { volumeId = VOL, tag = "t" }),
        "MicroversionUnsupported", "'tag'", "2.49")
      assert.equal(0, t:count())
    end)

    it("get_volume_attachment(attachment, server) reads by volume id", function()
      t:route("GET", "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, { json = { volumeAttachment = VA } })
      local a = t.compute:get_volume_attachment(VOL, SID)
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, mv = "2.91" })
      assert.equal("/dev/sdb", a.device)
      t:route("GET", "/servers/" .. SID .. "/os-volume_attachments/nope", H.not_found())
      H.assert_error(H.error_of(t.compute.get_volume_attachment, t.compute, "nope", SID), "ResourceNotFound",
        "VolumeAttachment")
    end)

    it("update_volume_attachment puts the new volume id (swap)", function()
      t:route("PUT", "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, 202)
      local new = "227cc671-f30b-4488-96fd-7d0bf13648d8"
      local a = t.compute:update_volume_attachment(VOL, SID, { volume_id = new })
      H.check(t:only(), { method = "PUT", path = "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, mv = "2.91",
        json = { volumeAttachment = { volumeId = new } } })
      assert.equal(new, a.volume_id)
    end)

    it("delete_volume_attachment(attachment, server) detaches, honouring ignore_missing", function()
      t:route("DELETE", "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, 202)
      t:route("DELETE", "/servers/" .. SID .. "/os-volume_attachments/gone", H.not_found())
      t.compute:delete_volume_attachment({ volumeId = VOL, serverId = SID }, SID)
      H.check(t:only(), { method = "DELETE", path = "/servers/" .. SID .. "/os-volume_attachments/" .. VOL })
      assert.is_nil(t.compute:delete_volume_attachment("gone", SID))
      H.assert_error(H.error_of(t.compute.delete_volume_attachment, t.compute, "gone", SID, { ignore_missing = false }),
        "ResourceNotFound")
    end)

    it("takes the server from the attachment object when the server argument is nil", function()
      t:route("DELETE", "/servers/" .. SID .. "/os-volume_attachments/" .. VOL, 202)
      t.compute:delete_volume_attachment({ volume_id = VOL, server_id = SID })
      H.check(t:only(), { path = "/servers/" .. SID .. "/os-volume_attachments/" .. VOL })
      H.assert_error(H.error_of(t.compute.delete_volume_attachment, t.compute, VOL), "InvalidArgument", "server")
    end)

    it("volume_attachments lists the server's attachments with limit and offset", function()
      t:route("GET", "/servers/" .. SID .. "/os-volume_attachments", { json = { volumeAttachments = { VA } } },
        { query = { limit = "1", offset = "2" } })
      local list = H.collect(t.compute:volume_attachments(SID, { limit = 1, offset = 2 }))
      H.check(t:only(), { method = "GET", mv = "2.91" })
      assert.equal(VOL, list[1].id)
      assert.equal(1, #list)
    end)
  end)
end)
