-- conn.compute server actions: POST /servers/{id}/action, one test (at
-- least) per action row of surface.tsv, plus argument checking and the
-- microversion each action is sent with.
local H = require "spec.openstack.services.compute_helper"

local SID = H.SERVER_ID
local ACTION = "/servers/" .. SID .. "/action"

describe("compute server actions", function()
  local t = H.setup()

  local function route(response) t:route("POST", ACTION, response or 202) end

  -- The one action request made: checks method, path, empty Accept, and
  -- the exact body text.
  local function sent(raw, mv)
    if mv == nil then mv = "2.91" end
    local r = H.check(t:only(), { method = "POST", path = ACTION, raw = raw, mv = mv, query = {} })
    assert.equal("", r.headers.accept or "")
    return r
  end

  describe("actions without arguments send JSON null", function()
    for method, action in pairs {
      start_server = "os-start", stop_server = "os-stop", suspend_server = "suspend", resume_server = "resume",
      pause_server = "pause", unpause_server = "unpause", unrescue_server = "unrescue", shelve_server = "shelve",
      unshelve_server = "unshelve", lock_server = "lock", unlock_server = "unlock",
      confirm_server_resize = "confirmResize", revert_server_resize = "revertResize", restore_server = "restore",
      reset_server_network = "resetNetwork", inject_server_network_info = "injectNetworkInfo",
      migrate_server = "migrate",
    } do
      it(method .. " posts {\"" .. action .. "\": null} and returns nil", function()
        route(method == "confirm_server_resize" and 204 or 202)
        assert.is_nil(t.compute[method](t.compute, SID))
        sent('{"' .. action .. '":null}')
      end)
    end

    it("takes the server as an object or a plain table", function()
      route()
      t.compute:start_server { id = SID }
      sent('{"os-start":null}')
    end)

    it("lets a 404 (missing server) surface as NotFound and a 409 (wrong state) as Conflict", function()
      t:route("POST", "/servers/gone/action", H.not_found("Instance gone could not be found."))
      H.assert_error(H.error_of(t.compute.stop_server, t.compute, "gone"), "NotFound", "could not be found")
      route(H.fault(409, "conflictingRequest", "Cannot 'stop' instance while it is in vm_state stopped"))
      H.assert_error(H.error_of(t.compute.stop_server, t.compute, SID), "Conflict", "vm_state stopped")
    end)

    it("rejects a missing server before any request", function()
      H.assert_error(H.error_of(t.compute.pause_server, t.compute, nil), "InvalidArgument", "pause_server", "server")
      assert.equal(0, t:count())
    end)
  end)

  describe("optional bodies that need a newer microversion", function()
    it("lock_server with a reason sends it at 2.73", function()
      route()
      t.compute:lock_server(SID, { locked_reason = "maintenance" })
      sent('{"lock":{"locked_reason":"maintenance"}}', "2.91")
      local compute = t:cloud("2.72")
      H.assert_error(H.error_of(compute.lock_server, compute, SID, { locked_reason = "x" }),
        "MicroversionUnsupported", "2.73")
      assert.equal(0, t:count())
    end)

    it("unshelve_server with an availability zone needs 2.77", function()
      route()
      t.compute:unshelve_server(SID, { availability_zone = "az-2" })
      sent('{"unshelve":{"availability_zone":"az-2"}}')
    end)

    it("migrate_server with a host needs 2.56", function()
      local compute = t:cloud("2.55")
      H.assert_error(H.error_of(compute.migrate_server, compute, SID, { host = "h" }), "MicroversionUnsupported", "2.56")
      assert.equal(0, t:count())
    end)

    it("rejects unknown options", function()
      H.assert_error(H.error_of(t.compute.lock_server, t.compute, SID, { reason = "x" }), "InvalidArgument",
        "unknown option 'reason'")
      assert.equal(0, t:count())
    end)
  end)

  describe("reboot_server", function()
    it("sends the reboot type", function()
      route()
      t.compute:reboot_server(SID, "SOFT")
      sent('{"reboot":{"type":"SOFT"}}')
    end)

    it("rejects any type but SOFT or HARD before any request", function()
      for _, bad in ipairs { "soft", "WARM", false } do
        H.assert_error(H.error_of(t.compute.reboot_server, t.compute, SID, bad), "InvalidArgument", "reboot_type")
      end
      H.assert_error(H.error_of(t.compute.reboot_server, t.compute, SID), "InvalidArgument", "reboot_type")
      assert.equal(0, t:count())
    end)
  end)

  describe("reset_server_state", function()
    it("sends os-resetState with the state", function()
      route()
      t.compute:reset_server_state(SID, "error")
      sent('{"os-resetState":{"state":"error"}}')
    end)

    it("accepts only active or error", function()
      H.assert_error(H.error_of(t.compute.reset_server_state, t.compute, SID, "ACTIVE"), "InvalidArgument", "state")
      assert.equal(0, t:count())
    end)
  end)

  describe("rescue_server", function()
    it("sends {} without options and returns the admin password", function()
      route { json = { adminPass = "MySecretPass" } }
      assert.equal("MySecretPass", t.compute:rescue_server(SID))
      sent('{"rescue":{}}')
    end)

    it("sends adminPass and rescue_image_ref when given", function()
      route { json = { adminPass = "p" } }
      t.compute:rescue_server(SID, { admin_pass = "p", image_ref = { id = H.IMAGE_ID } })
      assert.same({ rescue = { adminPass = "p", rescue_image_ref = H.IMAGE_ID } }, t:only().json)
    end)
  end)

  describe("evacuate_server", function()
    it("sends only the given keys and returns adminPass when Nova sends one", function()
      route { json = { adminPass = "MySecretPass" } }
      assert.equal("MySecretPass", t.compute:evacuate_server(SID, { host = "b1", admin_pass = "MySecretPass" }))
      sent('{"evacuate":{"adminPass":"MySecretPass","host":"b1"}}')
    end)

    it("sends {} and returns nil with no options (no body from 2.14)", function()
      route(200)
      assert.is_nil(t.compute:evacuate_server(SID))
      sent('{"evacuate":{}}')
    end)

    it("caps the microversion at 2.67 when force is given", function()
      route(200)
      t.compute:evacuate_server(SID, { host = "b1", force = true })
      sent('{"evacuate":{"force":true,"host":"b1"}}', "2.67")
      local compute = t:cloud("2.28")
      H.assert_error(H.error_of(compute.evacuate_server, compute, SID, { force = true }),
        "MicroversionUnsupported", "2.29")
    end)
  end)

  describe("get_server_console_output", function()
    it("sends the length and returns the decoded body", function()
      route { json = { output = "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE" } }
      local out = t.compute:get_server_console_output(SID, { length = 50 })
      sent('{"os-getConsoleOutput":{"length":50}}')
      assert.same({ output = "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE" }, out)
    end)

    it("sends {} without a length and rejects a non-integer length", function()
      route { json = { output = "" } }
      t.compute:get_server_console_output(SID)
      sent('{"os-getConsoleOutput":{}}')
      H.assert_error(H.error_of(t.compute.get_server_console_output, t.compute, SID, { length = "10" }),
        "InvalidArgument", "length")
    end)
  end)

  describe("live_migrate_server", function()
    it("sends 2.30 with block_migration auto and host null by default", function()
      route()
      t.compute:live_migrate_server(SID)
      local r = sent(nil, "2.30")
      assert.same({ ["os-migrateLive"] = { host = H.null, block_migration = "auto" } }, r.json)
    end)

    it("sends force only with a host at 2.30", function()
      route()
      t.compute:live_migrate_server(SID, { host = "c2", force = true, block_migration = true })
      sent('{"os-migrateLive":{"block_migration":true,"force":true,"host":"c2"}}', "2.30")
      t.fx:reset(); H.fixture.keystone_catalog(t.fx); route()
      t.compute:live_migrate_server(SID, { host = "c2" })
      sent('{"os-migrateLive":{"block_migration":"auto","host":"c2"}}', "2.30")
    end)

    it("sends 2.25 on a 2.25-2.29 cloud and insists on force with a host", function()
      local compute = t:cloud("2.29")
      route()
      compute:live_migrate_server(SID, { host = "c2", force = true })
      sent('{"os-migrateLive":{"block_migration":"auto","host":"c2"}}', "2.25")
      H.assert_error(H.error_of(compute.live_migrate_server, compute, SID, { host = "c2" }), "InvalidArgument", "force")
      assert.equal(1, t:count())
    end)

    it("sends no microversion and boolean flags on an older cloud", function()
      local compute = t:cloud("2.24")
      route()
      compute:live_migrate_server(SID)
      local r = sent(nil, false)
      assert.same({ ["os-migrateLive"] = { host = H.null, block_migration = false, disk_over_commit = false } }, r.json)
      H.assert_error(H.error_of(compute.live_migrate_server, compute, SID, { block_migration = "auto" }),
        "InvalidArgument", "block_migration")
      H.assert_error(H.error_of(compute.live_migrate_server, compute, SID, { host = "h" }), "InvalidArgument", "force")
      assert.equal(1, t:count())
    end)
  end)

  describe("resize, confirm, revert, rebuild", function()
    it("resize_server sends the flavor id of a string or a Flavor", function()
      route()
      t.compute:resize_server(SID, { id = "2", name = "m1.small" })
      sent('{"resize":{"flavorRef":"2"}}')
      H.assert_error(H.error_of(t.compute.resize_server, t.compute, SID), "InvalidArgument", "flavor")
    end)

    it("rebuild_server sends name, adminPass, imageRef, preserve_ephemeral and returns the Server", function()
      route { json = { server = H.server { status = "REBUILD", adminPass = "seekr3t" } } }
      local s = t.compute:rebuild_server(SID, "foobar", "seekr3t", { image = H.IMAGE_ID,
        access_ipv4 = "1.2.3.4", access_ipv6 = "80fe::", metadata = { meta_var = "meta_val" } })
      assert.same({ rebuild = { name = "foobar", adminPass = "seekr3t", imageRef = H.IMAGE_ID,
        preserve_ephemeral = false, accessIPv4 = "1.2.3.4", accessIPv6 = "80fe::",
        metadata = { meta_var = "meta_val" } } }, sent().json)
      assert.equal("REBUILD", s.status)
      assert.equal("seekr3t", s.admin_password)
    end)

    it("rebuild_server with personality is capped at 2.56, and needs an image", function()
      route { json = { server = H.server() } }
      t.compute:rebuild_server(SID, "n", nil, { image = H.IMAGE_ID, preserve_ephemeral = true,
        personality = { { path = "/etc/banner.txt", contents = "ZWxsbw==" } } })
      local r = sent(nil, "2.56")
      assert.is_nil(r.json.rebuild.adminPass)
      assert.is_true(r.json.rebuild.preserve_ephemeral)
      H.assert_error(H.error_of(t.compute.rebuild_server, t.compute, SID, "n", "p"), "InvalidArgument", "image")
      assert.equal(1, t:count())
    end)
  end)

  describe("images and backups", function()
    it("create_server_image returns the image id from the 2.45+ body", function()
      route { json = { image_id = "0e7761dd-ee98-41f0-ba35-05994e446431" } }
      local id = t.compute:create_server_image(SID, "foo-image", { metadata = { meta_var = "meta_val" } })
      sent('{"createImage":{"metadata":{"meta_var":"meta_val"},"name":"foo-image"}}')
      assert.equal("0e7761dd-ee98-41f0-ba35-05994e446431", id)
    end)

    it("create_server_image returns the image id from the Location header before 2.45", function()
      local compute = t:cloud("2.44")
      route { status = 202, headers = { Location = "http://glance.example.com/images/0e7761dd-ee98" } }
      assert.equal("0e7761dd-ee98", compute:create_server_image(SID, "foo-image"))
      sent('{"createImage":{"name":"foo-image"}}', "2.44")
    end)

    it("create_server_image rejects a missing name and non-string metadata", function()
      H.assert_error(H.error_of(t.compute.create_server_image, t.compute, SID), "InvalidArgument", "name")
      H.assert_error(H.error_of(t.compute.create_server_image, t.compute, SID, "n", { metadata = { a = 1 } }),
        "InvalidArgument", "metadata value of 'a' must be a string")
      assert.equal(0, t:count())
    end)

    it("backup_server sends name, type and rotation and returns the image id", function()
      route { json = { image_id = "b1" } }
      assert.equal("b1", t.compute:backup_server(SID, "Backup 1", "daily", 1))
      sent('{"createBackup":{"backup_type":"daily","name":"Backup 1","rotation":1}}')
    end)

    it("backup_server checks the type and the rotation", function()
      H.assert_error(H.error_of(t.compute.backup_server, t.compute, SID, "b", nil, 1), "InvalidArgument", "backup_type")
      H.assert_error(H.error_of(t.compute.backup_server, t.compute, SID, "b", "daily", "1"), "InvalidArgument", "rotation")
      H.assert_error(H.error_of(t.compute.backup_server, t.compute, SID, "b", "daily", -1), "InvalidArgument", "rotation")
      H.assert_error(H.error_of(t.compute.backup_server, t.compute, SID, "b", "daily", 1.5), "InvalidArgument", "rotation")
      assert.equal(0, t:count())
    end)
  end)

  describe("passwords", function()
    it("change_server_password sends adminPass", function()
      route()
      t.compute:change_server_password(SID, "foo")
      sent('{"changePassword":{"adminPass":"foo"}}')
      H.assert_error(H.error_of(t.compute.change_server_password, t.compute, SID, 42), "InvalidArgument", "new_password")
    end)
  end)

  describe("network actions (gone from 2.44, so capped at 2.43)", function()
    it("add_fixed_ip_to_server sends networkId", function()
      route()
      t.compute:add_fixed_ip_to_server(SID, "e1882e38-38c2-4239-ade7-35d644cb963a")
      sent('{"addFixedIp":{"networkId":"e1882e38-38c2-4239-ade7-35d644cb963a"}}', "2.43")
    end)

    it("remove_fixed_ip_from_server sends the address", function()
      route()
      t.compute:remove_fixed_ip_from_server(SID, "192.168.1.30")
      sent('{"removeFixedIp":{"address":"192.168.1.30"}}', "2.43")
    end)

    it("add_floating_ip_to_server sends fixed_address only when given", function()
      route()
      t.compute:add_floating_ip_to_server(SID, "172.24.4.4", { fixed_address = "192.168.0.3" })
      sent('{"addFloatingIp":{"address":"172.24.4.4","fixed_address":"192.168.0.3"}}', "2.43")
      t.fx:reset(); H.fixture.keystone_catalog(t.fx); route()
      t.compute:add_floating_ip_to_server(SID, "172.24.4.4")
      sent('{"addFloatingIp":{"address":"172.24.4.4"}}', "2.43")
    end)

    it("remove_floating_ip_from_server sends the address", function()
      route()
      t.compute:remove_floating_ip_from_server(SID, "172.24.4.4")
      sent('{"removeFloatingIp":{"address":"172.24.4.4"}}', "2.43")
      H.assert_error(H.error_of(t.compute.remove_floating_ip_from_server, t.compute, SID), "InvalidArgument", "address")
    end)

    it("add/remove_security_group_to/from_server send the group's id (or name) as name", function()
      route()
      t.compute:add_security_group_to_server(SID, { id = "sg-1", name = "web" })
      sent('{"addSecurityGroup":{"name":"sg-1"}}')
      t.fx:reset(); H.fixture.keystone_catalog(t.fx); route()
      t.compute:remove_security_group_from_server(SID, "web")
      sent('{"removeSecurityGroup":{"name":"web"}}')
      H.assert_error(H.error_of(t.compute.add_security_group_to_server, t.compute, SID, 3.5), "InvalidArgument",
        "security_group")
    end)
  end)
end)
