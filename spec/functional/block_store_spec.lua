-- Functional: Cinder v3 (3.0-3.70) with the fake volume driver: volumes,
-- volume actions, metadata, types (extra specs, access), snapshots,
-- limits, availability zones and quotas. This cloud has no cinder-backup
-- service: the backup calls are checked only as far as that allows
-- (a backup created here goes to "error" and can never be deleted, so the
-- suite does not create one; see README.md).
local H = require "spec.functional.helpers"

describe("functional: block storage (Cinder)", function()
  local admin, demo
  local each = H.registry()
  local reg = H.registry()

  local function volume(conn, attrs)
    attrs = attrs or {}
    attrs.size = attrs.size or 1
    attrs.name = attrs.name or H.name("vol")
    local v = conn.block_store:create_volume(attrs)
    each:add("volume " .. tostring(v.id), function() H.delete_volume(admin, v.id) end)
    return v
  end

  setup(function() admin, demo = H.admin(), H.demo() end)
  after_each(function() each:run() end)
  teardown(function() each:run(); reg:run() end)

  describe("volumes", function()
    it("creates a volume (size, name, description, metadata), waits until available, gets and finds it", function()
      local name = H.name("vol")
      local v = volume(demo, { name = name, description = "ft volume", metadata = { tier = "gold" } })
      assert.is_string(v.id)
      assert.equal(1, v.size)
      local ready = demo.block_store:wait_for_volume(v.id, { interval = 0.5, wait = 60 })
      assert.equal("available", ready.status)
      local got = demo.block_store:get_volume(v.id)
      assert.equal(name, got.name)
      assert.equal("ft volume", got.description)
      assert.equal("gold", got.metadata.tier)
      assert.equal("__DEFAULT__", got.volume_type)
      assert.equal("nova", got.availability_zone)
      assert.equal(v.id, demo.block_store:find_volume(name).id)
      assert.equal(v.id, demo.block_store:find_volume(v.id).id)
      assert.is_nil(demo.block_store:find_volume(H.name("none")))
      assert.equal("ResourceNotFound",
        H.error_of(demo.block_store.get_volume, demo.block_store, "00000000-0000-0000-0000-000000000000").class)
    end)

    it("lists volumes in detail and in summary, filtered by name, status and metadata", function()
      local v = volume(demo, { metadata = { ftkey = "ftval" } })
      H.volume_settle(demo, v.id, "available")
      local d = H.any(demo.block_store:volumes { name = v.name }, function(x) return x.id == v.id end)
      assert.is_not_nil(d)
      assert.equal("available", d.status)
      local s = H.any(demo.block_store:volumes { name = v.name, details = false }, function(x) return x.id == v.id end)
      assert.is_not_nil(s)
      assert.is_nil(rawget(s, "status"))
      assert.is_not_nil(H.any(demo.block_store:volumes { status = "available" }, function(x) return x.id == v.id end))
      assert.is_not_nil(H.any(demo.block_store:volumes { metadata = { ftkey = "ftval" } },
        function(x) return x.id == v.id end))
      assert.is_nil(H.any(demo.block_store:volumes { metadata = { ftkey = "other" } },
        function(x) return x.id == v.id end))
      -- admin sees it across projects
      assert.is_not_nil(H.any(admin.block_store:volumes { all_projects = true, name = v.name },
        function(x) return x.id == v.id end))
    end)

    it("pages volumes with limit=1 (volumes_links) and finds the same ones", function()
      local a, b = volume(demo), volume(demo)
      H.volume_settle(demo, a.id, "available")
      H.volume_settle(demo, b.id, "available")
      local function ours(iter)
        local n = 0
        for x in iter do if x.id == a.id or x.id == b.id then n = n + 1 end end
        return n
      end
      assert.equal(2, ours(demo.block_store:volumes { limit = 1 }))
      assert.equal(2, ours(demo.block_store:volumes { limit = 1, details = false }))
    end)

    it("updates name and description, and sets, merges and deletes metadata", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      local u = demo.block_store:update_volume(v.id, { name = v.name .. "-r", description = "changed" })
      assert.equal(v.name .. "-r", u.name)
      assert.equal("changed", demo.block_store:get_volume(v.id).description)
      demo.block_store:set_volume_metadata(v.id, { a = "1" })
      local md = demo.block_store:set_volume_metadata(v.id, { b = "2" })
      assert.same({ a = "1", b = "2" }, md.metadata)
      demo.block_store:delete_volume_metadata(v.id, { "a" })
      assert.same({ b = "2" }, demo.block_store:get_volume_metadata(v.id).metadata)
    end)

    it("deletes a volume, ignores a missing one by default and raises ResourceNotFound when asked", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      assert.is_nil(demo.block_store:delete_volume(v.id))
      H.wait_gone(demo, "block-storage", "/volumes/" .. v.id, "volume", 60)
      assert.is_nil(demo.block_store:delete_volume(v.id))
      local e = H.error_of(demo.block_store.delete_volume, demo.block_store, v.id, { ignore_missing = false })
      assert.equal("ResourceNotFound", e.class)
    end)

    it("creates volumes from a snapshot, from a volume (clone) and from an image", function()
      local src = volume(demo)
      H.volume_settle(demo, src.id, "available")
      local snap = demo.block_store:create_snapshot { volume_id = src.id, name = H.name("snap") }
      each:add("snapshot " .. snap.id, function() H.delete_snapshot(admin, snap.id) end)
      demo.block_store:wait_for_snapshot(snap.id, { interval = 0.5, wait = 60 })
      local from_snap = volume(demo, { snapshot_id = snap.id })
      local clone = volume(demo, { source_volume_id = src.id })
      local from_image = volume(demo, { image_id = H.fixtures().image })
      for _, v in ipairs({ from_snap, clone, from_image }) do H.volume_settle(demo, v.id, "available", 60) end
      assert.equal(snap.id, demo.block_store:get_volume(from_snap.id).snapshot_id)
      assert.equal(src.id, demo.block_store:get_volume(clone.id).source_volume_id)
      local fi = demo.block_store:get_volume(from_image.id)
      assert.equal("true", fi.is_bootable)
      assert.equal("tiny-image", fi.volume_image_metadata.image_name)
    end)

    it("refuses a non-integer size before sending", function()
      local e = H.error_of(demo.block_store.create_volume, demo.block_store, { size = "1", name = H.name("vol-bad") })
      assert.is_true(e:is("InvalidArgument"))
    end)

    it("reports Cinder's refusal of an oversized volume (over quota or per-volume limit)", function()
      local e = H.error_of(demo.block_store.create_volume, demo.block_store,
        { size = 100000000, name = H.name("vol-huge") })
      assert.is_true(e.status == 413 or e.status == 400, tostring(e))
    end)
  end)

  describe("volume actions", function()
    it("extends a volume (fake driver) to 2 GiB", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      assert.is_nil(demo.block_store:extend_volume(v.id, 2))
      H.wait("the volume to grow", function()
        local x = H.raw(demo, "block-storage", "GET", "/volumes/" .. v.id).volume
        return x.status == "available" and x.size == 2, x.status .. "/" .. tostring(x.size)
      end, 60)
    end)

    it("sets the read-only flag and the bootable flag", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      demo.block_store:set_volume_readonly(v.id, true)
      assert.equal("True", demo.block_store:get_volume(v.id).metadata.readonly)
      demo.block_store:set_volume_readonly(v.id, false)
      assert.equal("False", demo.block_store:get_volume(v.id).metadata.readonly)
      demo.block_store:set_volume_bootable_status(v.id, true)
      assert.equal("true", demo.block_store:get_volume(v.id).is_bootable)
      demo.block_store:set_volume_bootable_status(v.id, false)
      assert.equal("false", demo.block_store:get_volume(v.id).is_bootable)
    end)

    it("resets a volume's status (admin) and force-deletes it (admin)", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      admin.block_store:reset_volume_status(v.id, "error")
      assert.equal("error", H.raw(admin, "block-storage", "GET", "/volumes/" .. v.id).volume.status)
      admin.block_store:reset_volume_status(v.id, { status = "available", attach_status = "detached" })
      assert.equal("available", H.raw(admin, "block-storage", "GET", "/volumes/" .. v.id).volume.status)
      admin.block_store:force_delete_volume(v.id)
      H.wait_gone(admin, "block-storage", "/volumes/" .. v.id, "volume", 60)
    end)

    it("reverts a volume to its latest snapshot (3.40, fake driver)", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      local snap = demo.block_store:create_snapshot { volume_id = v.id, name = H.name("snap-rev") }
      each:add("snapshot " .. snap.id, function() H.delete_snapshot(admin, snap.id) end)
      demo.block_store:wait_for_snapshot(snap.id, { interval = 0.5, wait = 60 })
      assert.is_nil(demo.block_store:revert_volume_to_snapshot(v.id, snap.id))
      H.volume_settle(demo, v.id, "available", 60)
    end)

    it("retypes a volume to another type of the same backend (migration_policy never)", function()
      local t = admin.block_store:create_type { name = H.name("vtype-retype") }
      each:add("type " .. t.id, function() H.delete_volume_type(admin, t.id) end)
      local v = volume(admin)
      H.volume_settle(admin, v.id, "available")
      admin.block_store:retype_volume(v.id, t.name)
      H.wait("the volume to change type", function()
        local x = H.raw(admin, "block-storage", "GET", "/volumes/" .. v.id).volume
        return x.status == "available" and x.volume_type == t.name, x.status .. "/" .. x.volume_type
      end, 60)
    end)

    it("deletes a volume together with its snapshots (cascade)", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      local snap = demo.block_store:create_snapshot { volume_id = v.id, name = H.name("snap-casc") }
      each:add("snapshot " .. snap.id, function() H.delete_snapshot(admin, snap.id) end)
      demo.block_store:wait_for_snapshot(snap.id, { interval = 0.5, wait = 60 })
      local e = H.error_of(demo.block_store.delete_volume, demo.block_store, v.id)
      assert.is_true(e.status == 400, tostring(e)) -- Cinder refuses: the volume has snapshots
      demo.block_store:delete_volume(v.id, { cascade = true })
      H.wait_gone(demo, "block-storage", "/volumes/" .. v.id, "volume", 60)
      H.wait_gone(demo, "block-storage", "/snapshots/" .. snap.id, "snapshot", 60)
    end)
  end)

  describe("volume types (admin)", function()
    it("creates a private type with extra specs, gets, finds, lists, updates and deletes it", function()
      local name = H.name("vtype")
      local t = admin.block_store:create_type { name = name, description = "ft type",
        extra_specs = { volume_backend_name = "fake" }, is_public = false }
      each:add("type " .. t.id, function() H.delete_volume_type(admin, t.id) end)
      assert.equal(name, t.name)
      assert.equal("fake", t.extra_specs.volume_backend_name)
      assert.is_false(t.is_public)
      assert.equal("ft type", admin.block_store:get_type(t.id).description)
      assert.equal(t.id, admin.block_store:find_type(name).id)
      assert.is_not_nil(H.any(admin.block_store:types { is_public = false }, function(x) return x.id == t.id end))
      local u = admin.block_store:update_type(t.id, { description = "changed" })
      assert.equal("changed", u.description)
      assert.is_nil(admin.block_store:delete_type(t.id))
      assert.equal("ResourceNotFound", H.error_of(admin.block_store.get_type, admin.block_store, t.id).class)
      assert.is_nil(admin.block_store:delete_type(t.id))
    end)

    it("reads, adds and deletes extra specs", function()
      local t = admin.block_store:create_type { name = H.name("vtype-specs") }
      each:add("type " .. t.id, function() H.delete_volume_type(admin, t.id) end)
      admin.block_store:update_type_extra_specs(t.id, { a = "1", b = "2" })
      assert.same({ a = "1", b = "2" }, admin.block_store:get_type_extra_specs(t.id).extra_specs)
      admin.block_store:delete_type_extra_specs(t.id, { "a" })
      assert.same({ b = "2" }, admin.block_store:get_type_extra_specs(t.id).extra_specs)
    end)

    it("grants and revokes a project's access to a private type, which demo can then use", function()
      local t = admin.block_store:create_type { name = H.name("vtype-priv"), is_public = false }
      each:add("type " .. t.id, function() H.delete_volume_type(admin, t.id) end)
      local pid = demo:authorize().project_id
      assert.is_nil(demo.block_store:find_type(t.name))
      admin.block_store:add_type_access(t.id, pid)
      local access = admin.block_store:get_type_access(t.id)
      assert.is_not_nil(H.any(access, function(a) return a.project_id == pid end))
      local v = volume(demo, { volume_type = t.name })
      H.volume_settle(demo, v.id, "available")
      assert.equal(t.name, demo.block_store:get_volume(v.id).volume_type)
      admin.block_store:remove_type_access(t.id, pid)
      assert.is_nil(H.any(admin.block_store:get_type_access(t.id), function(a) return a.project_id == pid end))
    end)

    it("refuses type creation to demo (Forbidden)", function()
      local e = H.error_of(demo.block_store.create_type, demo.block_store, { name = H.name("vtype-demo") })
      assert.equal("Forbidden", e.class)
    end)
  end)

  describe("snapshots", function()
    it("creates, waits for, gets, finds, lists, updates, tags with metadata and deletes a snapshot", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      local name = H.name("snap")
      local s = demo.block_store:create_snapshot { volume_id = v.id, name = name, description = "ft snap",
        metadata = { k = "v" } }
      each:add("snapshot " .. s.id, function() H.delete_snapshot(admin, s.id) end)
      assert.equal(v.id, s.volume_id)
      local ready = demo.block_store:wait_for_snapshot(s.id, { interval = 0.5, wait = 60 })
      assert.equal("available", ready.status)
      local got = demo.block_store:get_snapshot(s.id)
      assert.equal(name, got.name)
      assert.equal(1, got.size)
      assert.equal("v", got.metadata.k)
      assert.equal(s.id, demo.block_store:find_snapshot(name).id)
      assert.is_not_nil(H.any(demo.block_store:snapshots { volume_id = v.id }, function(x) return x.id == s.id end))
      local brief = H.any(demo.block_store:snapshots { volume_id = v.id, details = false },
        function(x) return x.id == s.id end)
      assert.is_not_nil(brief)
      local u = demo.block_store:update_snapshot(s.id, { name = name .. "-r", description = "changed" })
      assert.equal(name .. "-r", u.name)
      demo.block_store:set_snapshot_metadata(s.id, { k2 = "v2" })
      assert.same({ k = "v", k2 = "v2" }, demo.block_store:get_snapshot_metadata(s.id).metadata)
      demo.block_store:delete_snapshot_metadata(s.id, { "k" })
      assert.same({ k2 = "v2" }, demo.block_store:get_snapshot_metadata(s.id).metadata)
      assert.is_nil(demo.block_store:delete_snapshot(s.id))
      H.wait_gone(demo, "block-storage", "/snapshots/" .. s.id, "snapshot", 60)
      assert.is_nil(demo.block_store:delete_snapshot(s.id))
      assert.equal("ResourceNotFound", H.error_of(demo.block_store.delete_snapshot, demo.block_store, s.id,
        { ignore_missing = false }).class)
    end)

    it("resets a snapshot's status (admin)", function()
      local v = volume(demo)
      H.volume_settle(demo, v.id, "available")
      local s = demo.block_store:create_snapshot { volume_id = v.id, name = H.name("snap-reset") }
      each:add("snapshot " .. s.id, function() H.delete_snapshot(admin, s.id) end)
      demo.block_store:wait_for_snapshot(s.id, { interval = 0.5, wait = 60 })
      admin.block_store:reset_snapshot_status(s.id, "error")
      assert.equal("error", admin.block_store:get_snapshot(s.id).status)
      admin.block_store:reset_snapshot_status(s.id, "available")
      assert.equal("available", admin.block_store:get_snapshot(s.id).status)
    end)
  end)

  describe("backups (no cinder-backup service on this cloud)", function()
    it("confirms the cloud runs no cinder-backup service (backups cannot work here)", function()
      local binaries = {}
      for _, s in ipairs(H.raw(admin, "block-storage", "GET", "/os-services").services) do
        binaries[s.binary] = true
      end
      assert.is_true(binaries["cinder-volume"])
      assert.is_nil(binaries["cinder-backup"])
    end)

    it("lists backups (the API answers without the service)", function()
      local n = 0
      for b in demo.block_store:backups() do
        n = n + 1
        assert.is_string(b.id)
      end
      assert.is_true(n >= 0)
      assert.is_nil(demo.block_store:find_backup(H.name("no-backup")))
      assert.equal("ResourceNotFound",
        H.error_of(demo.block_store.get_backup, demo.block_store, "00000000-0000-0000-0000-000000000000").class)
    end)
  end)

  describe("limits, availability zones and quotas", function()
    it("reads the absolute limits", function()
      local l = demo.block_store:get_limits()
      assert.is_number(l.absolute.max_total_volumes)
      assert.is_number(l.absolute.total_volumes_used)
      assert.is_number(l.absolute.max_total_volume_gigabytes)
    end)

    it("lists the availability zone 'nova'", function()
      local z = H.any(demo.block_store:availability_zones(), function(x) return x.name == "nova" end)
      assert.is_not_nil(z)
      assert.is_true(z.state.available)
    end)

    it("reads, updates and reverts the quotas of a project of our own (admin)", function()
      local project = H.raw(admin, "identity", "POST", "/projects", { json = { project = {
        name = H.name("proj"), domain_id = "default" } } }).project
      each:add("project " .. project.id, function() H.delete_raw(admin, "identity", "/projects/" .. project.id) end)
      local defaults = admin.block_store:get_quota_set_defaults(project.id)
      assert.is_number(defaults.volumes)
      local q = admin.block_store:get_quota_set(project.id)
      assert.equal(defaults.volumes, q.volumes)
      admin.block_store:update_quota_set(project.id, { volumes = 7, snapshots = 3 })
      q = admin.block_store:get_quota_set(project.id, { usage = true })
      assert.equal(7, q.volumes.limit)
      assert.equal(0, q.volumes.in_use)
      admin.block_store:revert_quota_set(project.id)
      assert.equal(defaults.volumes, admin.block_store:get_quota_set(project.id).volumes)
    end)
  end)
end)
