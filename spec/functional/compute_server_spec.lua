-- Functional: the server lifecycle and every server action the fake virt
-- driver supports, against real Nova (Zed, 2.1-2.93) on the local cloud.
-- One server (booted in setup, owned by demo) is reused for the actions;
-- a `before_each` heals it back to ACTIVE when a previous spec failed half
-- way, so one failure does not cascade.
local H = require "spec.functional.helpers"

describe("functional: compute servers", function()
  local admin, demo, fx
  local S          -- the shared server (raw body at boot)
  local reg = H.registry()   -- lives for the whole file
  local each = H.registry()  -- per spec

  local function settle(status, timeout) return H.settle(admin, S.id, status, timeout) end

  -- brings S back to ACTIVE, unlocked, whatever a failed spec left behind
  local function heal()
    if not S then return end
    H.try(admin, "compute", "POST", "/servers/" .. S.id .. "/action", { json = { unlock = H.null } })
    local s = H.server_raw(admin, S.id)
    local task = s and s["OS-EXT-STS:task_state"]
    if s and s.status == "ACTIVE" and (task == nil or task == H.null) then return end
    -- let a transition finish first
    pcall(H.wait, "server to stop moving", function()
      local x = H.server_raw(admin, S.id)
      local t = x["OS-EXT-STS:task_state"]
      return t == nil or t == H.null
    end, 30)
    s = H.server_raw(admin, S.id)
    local fix = ({ SHUTOFF = { ["os-start"] = H.null }, PAUSED = { unpause = H.null },
      SUSPENDED = { resume = H.null }, RESCUE = { unrescue = H.null }, VERIFY_RESIZE = { revertResize = H.null },
      SHELVED = { unshelve = H.null }, SHELVED_OFFLOADED = { unshelve = H.null },
      ERROR = { ["os-resetState"] = { state = "active" } } })[s.status]
    if fix then H.try(admin, "compute", "POST", "/servers/" .. S.id .. "/action", { json = fix }) end
    settle("ACTIVE", 60)
  end

  setup(function()
    admin, demo, fx = H.admin(), H.demo(), H.fixtures()
    S = H.boot(reg, { { name = H.name("srv-main") } }, demo)[1]
  end)
  before_each(heal)
  after_each(function() each:run() end)
  teardown(function() each:run(); reg:run() end)

  -- ---------------------------------------------------------------- lifecycle

  describe("lifecycle", function()
    it("creates a server (flavor_id, image_id, networks=\"none\", metadata, description, tags), waits, gets and deletes it", function()
      local name = H.name("srv-create")
      local created = demo.compute:create_server { name = name, flavor_id = fx.nano, image_id = fx.image,
        networks = "none", metadata = { role = "ft" }, description = "functional", tags = { "ft-a", "ft-b" } }
      each:add("server " .. tostring(created.id), function() H.delete_server(admin, created.id) end)
      assert.is_string(created.id)
      assert.is_string(created.admin_password)
      local s = demo.compute:wait_for_server(created.id, { status = "ACTIVE", interval = 0.5, wait = 60 })
      assert.equal("ACTIVE", s.status)
      assert.equal(name, s.name)
      s = demo.compute:get_server(created.id)
      assert.equal("functional", s.description)
      assert.equal("ft", s.metadata.role)
      table.sort(s.tags)
      assert.same({ "ft-a", "ft-b" }, s.tags)
      assert.equal("m1.nano", s.flavor.original_name)
      assert.equal(fx.image, s.image.id)
      assert.equal("active", s.vm_state)
      assert.is_nil(demo.compute:delete_server(s))
      H.wait("server to go", function()
        local ok, e = pcall(demo.compute.get_server, demo.compute, created.id)
        if not ok then return e.class == "ResourceNotFound" end
        return false
      end, 60)
      -- deleting again: ignored by default, ResourceNotFound when asked
      assert.is_nil(demo.compute:delete_server(created.id))
      local e = H.error_of(demo.compute.delete_server, demo.compute, created.id, { ignore_missing = false })
      assert.equal("ResourceNotFound", e.class)
    end)

    it("force-deletes a server (forceDelete action) and ignores a missing one", function()
      local created = demo.compute:create_server { name = H.name("srv-force"), flavor_id = fx.nano,
        image_id = fx.image, networks = "none" }
      each:add("server " .. created.id, function() H.delete_server(admin, created.id) end)
      H.settle(admin, created.id, "ACTIVE")
      -- forceDelete is an admin action in Zed's policy
      assert.is_nil(admin.compute:delete_server(created.id, { force = true }))
      H.wait_gone(admin, "compute", "/servers/" .. created.id, "server", 60)
      assert.is_nil(admin.compute:delete_server(created.id, { force = true }))
      local e = H.error_of(admin.compute.delete_server, admin.compute, created.id,
        { force = true, ignore_missing = false })
      assert.is_true(e:is("NotFound"))
    end)

    it("rejects create without networks at 2.91 before sending anything", function()
      local e = H.error_of(demo.compute.create_server, demo.compute,
        { name = H.name("srv-nonet"), flavor_id = fx.nano, image_id = fx.image })
      assert.is_true(e:is("InvalidArgument"))
    end)

    it("reports a Nova refusal (unknown flavor) as BadRequest with Nova's message", function()
      local e = H.error_of(demo.compute.create_server, demo.compute,
        { name = H.name("srv-bad"), flavor_id = "no-such-flavor", image_id = fx.image, networks = "none" })
      assert.equal("BadRequest", e.class)
      assert.equal(400, e.status)
      assert.truthy(tostring(e.message):find("no%-such%-flavor") or tostring(e.message):find("[Ff]lavor"))
      assert.is_string(e.request_id)
    end)

    it("gets, finds (by id and by exact name) and lists the server", function()
      local s = demo.compute:get_server(S.id)
      assert.equal(S.name, s.name)
      assert.equal(S.id, demo.compute:find_server(S.id).id)
      assert.equal(S.id, demo.compute:find_server(S.name).id)
      assert.is_nil(demo.compute:find_server(H.name("nothing")))
      local e = H.error_of(demo.compute.find_server, demo.compute, H.name("nothing"), { ignore_missing = false })
      assert.equal("ResourceNotFound", e.class)
      e = H.error_of(demo.compute.get_server, demo.compute, "00000000-0000-0000-0000-000000000000")
      assert.equal("ResourceNotFound", e.class)
      local found = H.any(demo.compute:servers { name = S.name }, function(x) return x.id == S.id end)
      assert.is_not_nil(found)
      assert.equal("ACTIVE", found.status)
      assert.is_not_nil(found.flavor) -- detailed by default
      local brief = H.any(demo.compute:servers { name = S.name, details = false },
        function(x) return x.id == S.id end)
      assert.is_not_nil(brief)
      assert.is_nil(rawget(brief, "status"))
      assert.is_not_nil(H.any(demo.compute:servers { status = "ACTIVE" }, function(x) return x.id == S.id end))
    end)

    it("follows servers_links pages with limit=1 and stops at max_items", function()
      local extra = H.boot(each, { { name = H.name("srv-page") } }, demo)[1]
      -- only this run's servers count: other developers share the cloud
      local function ours(query)
        local ids, n = {}, 0
        for x in demo.compute:servers(query) do
          assert.is_nil(ids[x.id], "the same server twice across pages")
          ids[x.id] = true
          if x.id == S.id or x.id == extra.id then n = n + 1 end
        end
        return n
      end
      assert.equal(2, ours { details = false, limit = 1 })
      assert.equal(2, ours { limit = 1 })
      local n = 0
      for _ in demo.compute:servers { limit = 1, max_items = 1, details = false } do n = n + 1 end
      assert.equal(1, n)
    end)

    it("updates name and description and sends nothing when nothing changes", function()
      local s = demo.compute:get_server(S.id)
      local new = demo.compute:update_server(s, { name = S.name .. "-r", description = "renamed" })
      assert.equal(S.name .. "-r", new.name)
      assert.equal("renamed", new.description)
      local again = demo.compute:update_server(new, { name = S.name .. "-r" })
      assert.equal(S.name .. "-r", again.name)
      new = demo.compute:update_server(S.id, { name = S.name })
      assert.equal(S.name, new.name)
    end)

    it("wait_for_server returns at once on a match and times out on an impossible status", function()
      local s = demo.compute:get_server(S.id)
      local t0 = H.now()
      assert.equal(s, demo.compute:wait_for_server(s, { status = "ACTIVE" }))
      assert.is_true(H.now() - t0 < 0.1)
      local e = H.error_of(demo.compute.wait_for_server, demo.compute, S.id,
        { status = "SHELVED", interval = 0.5, wait = 1 })
      assert.equal("ResourceTimeout", e.class)
    end)
  end)

  -- ---------------------------------------------------------------- metadata, tags, ips

  describe("metadata", function()
    it("gets, merges (set), replaces and deletes server metadata", function()
      local md = demo.compute:set_server_metadata(S.id, { a = "1", b = "2" })
      assert.equal("1", md.metadata.a)
      assert.equal("2", md.metadata.b)
      md = demo.compute:set_server_metadata(S.id, { c = "3" })
      assert.same({ a = "1", b = "2", c = "3" }, md.metadata)
      assert.same({ a = "1", b = "2", c = "3" }, demo.compute:get_server_metadata(S.id).metadata)
      md = demo.compute:replace_server_metadata(S.id, { x = "9" })
      assert.same({ x = "9" }, md.metadata)
      assert.same({ x = "9" }, demo.compute:get_server_metadata(S.id).metadata)
      demo.compute:set_server_metadata(S.id, { y = "8", z = "7" })
      assert.is_nil(demo.compute:delete_server_metadata(S.id, { "x", "y" }))
      assert.same({ z = "7" }, demo.compute:get_server_metadata(S.id).metadata)
      local e = H.error_of(demo.compute.delete_server_metadata, demo.compute, S.id, { "nope" })
      assert.is_true(e:is("NotFound"))
      demo.compute:replace_server_metadata(S.id, {})
      assert.same({}, demo.compute:get_server_metadata(S.id).metadata)
    end)

    it("reads and writes single metadata items (meta wrapper)", function()
      assert.equal("v1", demo.compute:set_server_metadata_item(S.id, "k1", "v1"))
      assert.equal("v1", demo.compute:get_server_metadata_item(S.id, "k1"))
      assert.equal("v2", demo.compute:set_server_metadata_item(S.id, "k1", "v2"))
      assert.equal("v2", demo.compute:get_server_metadata_item(S.id, "k1"))
      local e = H.error_of(demo.compute.get_server_metadata_item, demo.compute, S.id, "absent")
      assert.is_true(e:is("NotFound"))
      demo.compute:delete_server_metadata(S.id, { "k1" })
    end)

    it("refuses non-string metadata values before sending", function()
      local e = H.error_of(demo.compute.set_server_metadata, demo.compute, S.id, { n = 1 })
      assert.is_true(e:is("InvalidArgument"))
    end)
  end)

  describe("tags (2.26+)", function()
    it("sets, fetches, adds, checks, removes one and removes all tags", function()
      local r = demo.compute:set_server_tags(S.id, { "t1", "t2" })
      table.sort(r.tags)
      assert.same({ "t1", "t2" }, r.tags)
      demo.compute:add_tag_to_server(S.id, "t3")
      demo.compute:add_tag_to_server(S.id, "t3") -- already there: 204, no error
      local tags = demo.compute:fetch_server_tags(S.id).tags
      table.sort(tags)
      assert.same({ "t1", "t2", "t3" }, tags)
      assert.is_true(demo.compute:check_server_tag(S.id, "t3"))
      assert.is_false(demo.compute:check_server_tag(S.id, "t9"))
      assert.is_not_nil(H.any(demo.compute:servers { tags = "t3" }, function(x) return x.id == S.id end))
      demo.compute:remove_tag_from_server(S.id, "t3")
      assert.is_false(demo.compute:check_server_tag(S.id, "t3"))
      local e = H.error_of(demo.compute.remove_tag_from_server, demo.compute, S.id, "t3")
      assert.is_true(e:is("NotFound"))
      demo.compute:remove_tags_from_server(S.id)
      assert.same({}, demo.compute:fetch_server_tags(S.id).tags)
    end)
  end)

  describe("ips and passwords", function()
    it("lists no addresses for a server booted with networks \"none\"", function()
      assert.same({}, H.collect(demo.compute:server_ips(S.id)))
    end)

    -- the fake driver implements set_admin_password: Nova accepts (202)
    it("changes the admin password (accepted with the fake driver) and reads the empty stored password", function()
      assert.is_nil(demo.compute:change_server_password(S.id, "ft-new-Secret-1"))
      settle("ACTIVE")
      assert.equal("", demo.compute:get_server_password(S.id))
    end)
  end)

  -- ---------------------------------------------------------------- power and state actions

  describe("actions", function()
    it("acts through the server object itself (pause, wait_for, refresh, unpause)", function()
      local s = demo.compute:get_server(S.id)
      s:pause()
      s:wait_for { status = "PAUSED", interval = 0.5, wait = 60 }
      assert.equal("PAUSED", s.status)
      s:unpause()
      settle("ACTIVE")
      s:refresh()
      assert.equal("ACTIVE", s.status)
      assert.equal("active", s.vm_state)
    end)

    it("stops (SHUTOFF) and starts (ACTIVE)", function()
      demo.compute:stop_server(S.id)
      local s = demo.compute:wait_for_server(S.id, { status = "SHUTOFF", interval = 0.5, wait = 60 })
      assert.equal("stopped", s.vm_state)
      demo.compute:start_server(S.id)
      demo.compute:wait_for_server(S.id, { status = "ACTIVE", interval = 0.5, wait = 60 })
    end)

    it("reboots soft and hard", function()
      demo.compute:reboot_server(S.id, "SOFT")
      settle("ACTIVE")
      demo.compute:reboot_server(S.id, "HARD")
      settle("ACTIVE")
      local e = H.error_of(demo.compute.reboot_server, demo.compute, S.id, "WARM")
      assert.is_true(e:is("InvalidArgument"))
    end)

    it("pauses (PAUSED) and unpauses", function()
      demo.compute:pause_server(S.id)
      settle("PAUSED")
      demo.compute:unpause_server(S.id)
      settle("ACTIVE")
    end)

    it("suspends (SUSPENDED) and resumes", function()
      demo.compute:suspend_server(S.id)
      settle("SUSPENDED")
      demo.compute:resume_server(S.id)
      settle("ACTIVE")
    end)

    it("locks with a reason (2.73), refuses a non-admin delete with Conflict, and unlocks", function()
      demo.compute:lock_server(S.id, { locked_reason = "ft maintenance" })
      local s = demo.compute:get_server(S.id)
      assert.is_true(s.is_locked)
      assert.equal("ft maintenance", s.locked_reason)
      local e = H.error_of(demo.compute.delete_server, demo.compute, S.id)
      assert.equal("Conflict", e.class)
      assert.equal(409, e.status)
      demo.compute:unlock_server(S.id)
      assert.is_false(demo.compute:get_server(S.id).is_locked)
      demo.compute:lock_server(S.id)
      assert.is_true(demo.compute:get_server(S.id).is_locked)
      demo.compute:unlock_server(S.id)
    end)

    it("rescues (RESCUE, returns the admin password) and unrescues", function()
      local pass = demo.compute:rescue_server(S.id, { admin_pass = "ft-Rescue-1" })
      assert.equal("ft-Rescue-1", pass)
      settle("RESCUE")
      demo.compute:unrescue_server(S.id)
      settle("ACTIVE")
      pass = demo.compute:rescue_server(S.id)
      assert.is_string(pass)
      settle("RESCUE")
      demo.compute:unrescue_server(S.id)
      settle("ACTIVE")
    end)

    it("returns the console output (fake driver text), whole and by length", function()
      local out = demo.compute:get_server_console_output(S.id)
      assert.truthy(out.output:find("FAKE CONSOLE OUTPUT", 1, true))
      out = demo.compute:get_server_console_output(S.id, { length = 1 })
      assert.is_string(out.output)
    end)

    it("shelves (SHELVED_OFFLOADED, shelve image) and unshelves", function()
      demo.compute:shelve_server(S.id)
      local s = settle("SHELVED_OFFLOADED", 90)
      assert.equal("shelved_offloaded", s["OS-EXT-STS:vm_state"])
      demo.compute:unshelve_server(S.id)
      settle("ACTIVE", 90)
    end)

    it("resizes to m1.micro and confirms (VERIFY_RESIZE -> ACTIVE)", function()
      demo.compute:resize_server(S.id, fx.micro)
      settle("VERIFY_RESIZE", 90)
      demo.compute:confirm_server_resize(S.id)
      local s = settle("ACTIVE")
      assert.equal("m1.micro", s.flavor.original_name)
    end)

    it("resizes back to m1.nano and reverts (flavor stays m1.micro)", function()
      local before = H.server_raw(admin, S.id).flavor.original_name
      local target = before == "m1.nano" and fx.micro or fx.nano
      demo.compute:resize_server(S.id, { id = target })
      settle("VERIFY_RESIZE", 90)
      demo.compute:revert_server_resize(S.id)
      local s = settle("ACTIVE", 90)
      assert.equal(before, s.flavor.original_name)
    end)

    it("rebuilds from the image with a new name and metadata, returning the server", function()
      local name = S.name .. "-rebuilt"
      local s = demo.compute:rebuild_server(S.id, name, "ft-Rebuild-1",
        { image = fx.image, metadata = { rebuilt = "yes" } })
      assert.equal(name, s.name)
      assert.equal(S.id, s.id)
      s = settle("ACTIVE", 60)
      assert.equal(name, s.name)
      assert.equal("yes", s.metadata.rebuilt)
      demo.compute:update_server(S.id, { name = S.name })
      demo.compute:replace_server_metadata(S.id, {})
    end)

    it("creates an image from the server (id from the 2.45+ body) that becomes active in Glance", function()
      local name = H.name("img-snap")
      local image_id = demo.compute:create_server_image(S.id, name, { metadata = { ft = "snap" } })
      assert.is_string(image_id)
      each:add("image " .. image_id, function() H.delete_image(admin, image_id) end)
      local img = H.image_settle(admin, image_id, "active", 60)
      assert.equal(name, img.name)
      assert.equal("snap", img.ft)
      settle("ACTIVE")
    end)

    it("backs the server up (createBackup, rotation 1) into an active backup image", function()
      local name = H.name("img-backup")
      local image_id = demo.compute:backup_server(S.id, name, "daily", 1)
      assert.is_string(image_id)
      each:add("image " .. image_id, function() H.delete_image(admin, image_id) end)
      local img = H.image_settle(admin, image_id, "active", 60)
      assert.equal("backup", img.image_type)
      assert.equal("daily", img.backup_type)
      settle("ACTIVE")
    end)

    it("lets admin reset the state to error and back to active; waiting for ACTIVE fails on ERROR", function()
      admin.compute:reset_server_state(S.id, "error")
      assert.equal("ERROR", H.server_raw(admin, S.id).status)
      local e = H.error_of(demo.compute.wait_for_server, demo.compute, S.id, { interval = 0.5, wait = 10 })
      assert.equal("ResourceFailure", e.class)
      admin.compute:reset_server_state(S.id, "active")
      assert.equal("ACTIVE", H.server_raw(admin, S.id).status)
    end)

    it("injects network info (admin; accepted)", function()
      assert.is_nil(admin.compute:inject_server_network_info(S.id))
      settle("ACTIVE")
    end)

    -- Nova only restores SOFT_DELETED servers (reclaim_instance_interval > 0,
    -- not set on this cloud): an ACTIVE server answers 409
    it("answers Conflict to restore of a server that is not soft-deleted", function()
      local e = H.error_of(demo.compute.restore_server, demo.compute, S.id)
      assert.equal("Conflict", e.class)
      assert.truthy(tostring(e.message):find("restore", 1, true))
    end)

    -- resetNetwork was removed from Nova (XenAPI only): 410 Gone
    it("answers Gone (410) to reset_server_network", function()
      local e = H.error_of(admin.compute.reset_server_network, admin.compute, S.id)
      assert.equal("Gone", e.class)
      assert.equal(410, e.status)
    end)
  end)

  -- ---------------------------------------------------------------- admin moves

  describe("migrations (admin, hosts aio and aio2)", function()
    it("cold-migrates to the other host and confirms", function()
      local from = H.server_raw(admin, S.id)["OS-EXT-SRV-ATTR:host"]
      admin.compute:migrate_server(S.id)
      settle("VERIFY_RESIZE", 90)
      admin.compute:confirm_server_resize(S.id)
      local s = settle("ACTIVE")
      assert.is_string(from)
      assert.are_not.equal(from, s["OS-EXT-SRV-ATTR:host"])
    end)

    it("cold-migrates to a named host (2.56) and confirms", function()
      local from = H.server_raw(admin, S.id)["OS-EXT-SRV-ATTR:host"]
      local to = from == "aio" and "aio2" or "aio"
      admin.compute:migrate_server(S.id, { host = to })
      settle("VERIFY_RESIZE", 90)
      admin.compute:confirm_server_resize(S.id)
      assert.equal(to, settle("ACTIVE")["OS-EXT-SRV-ATTR:host"])
    end)

    it("live-migrates (2.30, host chosen by the scheduler, block_migration auto)", function()
      local from = H.server_raw(admin, S.id)["OS-EXT-SRV-ATTR:host"]
      admin.compute:live_migrate_server(S.id, {})
      local s = H.wait("live migration to finish", function()
        local x = H.server_raw(admin, S.id)
        local t = x["OS-EXT-STS:task_state"]
        if x.status == "ACTIVE" and (t == nil or t == H.null) and x["OS-EXT-SRV-ATTR:host"] ~= from then return x end
        if x.status == "ERROR" then error("live migration put the server in ERROR", 0) end
        return nil, x.status .. "/" .. tostring(t)
      end, 90)
      assert.are_not.equal(from, s["OS-EXT-SRV-ATTR:host"])
    end)

    it("live-migrates to a named host with force (2.30)", function()
      local from = H.server_raw(admin, S.id)["OS-EXT-SRV-ATTR:host"]
      local to = from == "aio" and "aio2" or "aio"
      admin.compute:live_migrate_server(S.id, { host = to, force = true })
      local s = H.wait("live migration to " .. to, function()
        local x = H.server_raw(admin, S.id)
        local t = x["OS-EXT-STS:task_state"]
        if x.status == "ACTIVE" and (t == nil or t == H.null) and x["OS-EXT-SRV-ATTR:host"] == to then return x end
        if x.status == "ERROR" then error("live migration put the server in ERROR", 0) end
        return nil, x.status .. "/" .. tostring(t) .. "@" .. tostring(x["OS-EXT-SRV-ATTR:host"])
      end, 90)
      assert.equal(to, s["OS-EXT-SRV-ATTR:host"])
    end)
  end)

  -- ---------------------------------------------------------------- volumes

  describe("volume attachments (Cinder fake driver)", function()
    local function make_volume()
      -- in demo's project, like the server
      local v = H.raw(demo, "block-storage", "POST", "/volumes",
        { json = { volume = { size = 1, name = H.name("vol-att") } } }).volume
      each:add("volume " .. v.id, function() H.delete_volume(admin, v.id) end)
      return v
    end

    it("attaches a volume (in-use), lists and gets the attachment, and detaches it (available)", function()
      local v = make_volume()
      H.volume_settle(admin, v.id, "available")
      local att = demo.compute:create_volume_attachment(S.id, { volume_id = v.id })
      -- detach before the server goes, even on failure
      each:add("detach " .. v.id, function()
        H.try(admin, "compute", "DELETE", "/servers/" .. S.id .. "/os-volume_attachments/" .. v.id)
        pcall(H.volume_settle, admin, v.id, "available", 30)
      end)
      assert.equal(v.id, att.volume_id)
      assert.equal(S.id, att.server_id)
      assert.is_string(att.device)
      local vol = H.volume_settle(admin, v.id, "in-use")
      assert.equal(S.id, vol.attachments[1].server_id)
      local list = H.collect(demo.compute:volume_attachments(S.id))
      assert.equal(1, #list)
      assert.equal(v.id, list[1].volume_id)
      local got = demo.compute:get_volume_attachment(v.id, S.id)
      assert.equal(v.id, got.volume_id)
      assert.equal(att.device, got.device)
      local server = demo.compute:get_server(S.id)
      assert.equal(v.id, server.attached_volumes[1].id)
      assert.is_nil(demo.compute:delete_volume_attachment(v.id, S.id))
      H.volume_settle(admin, v.id, "available", 60)
      assert.same({}, H.collect(demo.compute:volume_attachments(S.id)))
      -- gone: ignored by default, NotFound when asked
      assert.is_nil(demo.compute:delete_volume_attachment(v.id, S.id))
      local e = H.error_of(demo.compute.delete_volume_attachment, demo.compute, v.id, S.id,
        { ignore_missing = false })
      assert.is_true(e:is("NotFound"))
    end)

    -- swap volume (admin): Nova swaps, then asks Cinder to complete a
    -- "migration" it did not start; record what the real services do
    it("swaps the attached volume for another one (update_volume_attachment, admin)", function()
      local v1, v2 = make_volume(), make_volume()
      H.volume_settle(admin, v1.id, "available")
      H.volume_settle(admin, v2.id, "available")
      admin.compute:create_volume_attachment(S.id, { volume_id = v1.id })
      each:add("detach swapped", function()
        for _, id in ipairs({ v1.id, v2.id }) do
          H.try(admin, "compute", "DELETE", "/servers/" .. S.id .. "/os-volume_attachments/" .. id)
        end
        for _, id in ipairs({ v1.id, v2.id }) do pcall(H.volume_settle, admin, id, "available", 30) end
      end)
      H.volume_settle(admin, v1.id, "in-use")
      admin.compute:update_volume_attachment(v1.id, S.id, { volume_id = v2.id })
      H.volume_settle(admin, v2.id, "in-use", 60)
      H.volume_settle(admin, v1.id, "available", 60)
      local list = H.collect(admin.compute:volume_attachments(S.id))
      assert.equal(1, #list)
      assert.equal(v2.id, list[1].volume_id)
    end)
  end)
end)
