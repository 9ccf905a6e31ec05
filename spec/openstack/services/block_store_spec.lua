-- conn.block_store against the fixture server: every request exactly as
-- the Cinder v3 api-ref writes it (method, path, query, body, headers), the
-- parsed results, the 404 rules, microversion negotiation and a v2-only cloud.
local fixture = require "spec.support.fixture"
local openstack = require "openstack"
local cjson = require "cjson"

local null = openstack.null
local PID = "8538a3f13f9541b28c2620eb19065e45"
local BASE = "/volume/v3/" .. PID
local VOL = "f7223234-1afc-4d19-bfa3-d19deb6235ef"
local VOL2 = "6edbc2f4-1507-44f8-ac0d-eed1d2608d38"
local SNAP = "2bb856e1-b3d8-4432-a858-09e4ce939389"
local TYPE = "6685584b-1eac-4da6-b5c3-555430cf68ff"
local BACKUP = "5a4e4d5a-3a3e-4a5f-9a36-41b7e3d2b1a9"
local MV = "volume 3.70"

local fx, token, conn, bs

local function connect(extra)
  local args = {
    auth = {
      auth_url = fx.url .. "/v3", username = "admin", password = "secret", project_name = "admin",
      user_domain_name = "Default", project_domain_name = "Default",
    },
    region_name = "RegionOne", config_files = {}, secure_files = {}, env = {},
  }
  for k, v in pairs(extra or {}) do args[k] = v end
  return openstack.connect(args)
end

-- API calls only: Keystone and the (unauthenticated) version documents are plumbing.
local function calls()
  local out = {}
  for _, r in ipairs(fx:requests()) do
    if r.path ~= "/v3/auth/tokens" and r.headers["x-auth-token"] then out[#out + 1] = r end
  end
  return out
end

local function last()
  local c = calls()
  return c[#c]
end

local function decoded(r) return cjson.decode(r.body) end

local function check(r, method, path, query)
  assert.equal(method, r.method)
  assert.equal(path, r.path)
  assert.same(query or {}, r.query)
  assert.equal(token, r.headers["x-auth-token"])
end

local function check_json(r, method, path, body)
  check(r, method, path)
  assert.equal("application/json", r.headers["content-type"])
  assert.same(body, decoded(r))
end

local function raises(class, f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(openstack.errors.is(e, class), "expected " .. class .. ", got " .. tostring(e))
  return e
end

local function not_found(what)
  return { status = 404, json = { itemNotFound = { code = 404, message = what .. " could not be found." } } }
end

local function links(kind, id)
  return {
    { href = "{{base}}/volume/v3/" .. PID .. "/" .. kind .. "/" .. id, rel = "self" },
    { href = "{{base}}/volume/" .. PID .. "/" .. kind .. "/" .. id, rel = "bookmark" },
  }
end

-- Shaped like the api-ref "Show a volume's details" response.
local function volume(over)
  local v = {
    attachments = fixture.empty_array, availability_zone = "nova", bootable = "false",
    consistencygroup_id = cjson.null, created_at = "2018-11-29T06:50:07.770785", description = cjson.null,
    encrypted = false, id = VOL, links = links("volumes", VOL), metadata = { purpose = "db" },
    migration_status = cjson.null, multiattach = false, name = "vol-01",
    ["os-vol-host-attr:host"] = "node1@lvm#lvm", ["os-vol-mig-status-attr:migstat"] = cjson.null,
    ["os-vol-mig-status-attr:name_id"] = cjson.null, ["os-vol-tenant-attr:tenant_id"] = PID,
    replication_status = cjson.null, size = 10, snapshot_id = cjson.null, source_volid = cjson.null,
    status = "available", updated_at = "2018-11-29T06:50:09.000000", user_id = "c853ca26e8ea47978a52ee124a013d0e",
    volume_type = "lvmdriver-1", volume_type_id = TYPE, group_id = cjson.null, provider_id = cjson.null,
    service_uuid = "1d4b6ee2-3a0c-4e33-9c1b-4a3b1c5b6d7e", shared_targets = true, cluster_name = cjson.null,
    consumes_quota = true,
  }
  for k, x in pairs(over or {}) do v[k] = x end
  return v
end

local function snapshot(over)
  local s = {
    created_at = "2019-03-11T16:24:34.469003", description = "Daily backup", id = SNAP,
    metadata = { key = "v3" }, name = "snap-001", size = 10, status = "available", volume_id = VOL,
    updated_at = "2019-03-11T16:24:36.000000", ["os-extended-snapshot-attributes:progress"] = "100%",
    ["os-extended-snapshot-attributes:project_id"] = PID, user_id = "40c2102f4a554b848d96b14f3eec39ed",
    group_snapshot_id = cjson.null, consumes_quota = true,
  }
  for k, x in pairs(over or {}) do s[k] = x end
  return s
end

local function vtype(over)
  local t = {
    description = "volume type 0001", extra_specs = { capabilities = "gpu" }, id = TYPE, is_public = true,
    name = "vol-type-001", ["os-volume-type-access:is_public"] = true, qos_specs_id = cjson.null,
  }
  for k, x in pairs(over or {}) do t[k] = x end
  return t
end

local function backup(over)
  local b = {
    availability_zone = "nova", container = "volumebackups", created_at = "2019-04-03T12:08:16.000000",
    data_timestamp = "2019-04-03T12:08:16.000000", description = cjson.null, fail_reason = cjson.null,
    has_dependent_backups = false, id = BACKUP, is_incremental = false, links = links("backups", BACKUP),
    name = "backup001", object_count = 22, ["os-backup-project-attr:project_id"] = PID, size = 1,
    snapshot_id = cjson.null, status = "available", updated_at = "2019-04-03T12:10:09.000000", volume_id = VOL,
    user_id = "515ba0dd59f84f25a6a084a45d8d93b2", metadata = {}, encryption_key_id = cjson.null,
  }
  for k, x in pairs(over or {}) do b[k] = x end
  return b
end

describe("block_store proxy", function()
  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)

  before_each(function()
    fx:reset()
    token = fixture.keystone_catalog(fx)
    conn = connect()
    bs = conn.block_store
  end)

  it("is the same proxy under block_store, block_storage and volume", function()
    assert.equal(bs, conn.block_storage)
    assert.equal(bs, conn.volume)
  end)

  -- ------------------------------------------------------------ volumes
  describe("volumes", function()
    it("create_volume posts the volume wrapped in 'volume', wire names, hints beside it", function()
      fx:route("POST", BASE .. "/volumes", { status = 202, json = { volume = volume { status = "creating" } } })
      local v = bs:create_volume {
        size = 10, name = "vol-01", description = "d", volume_type = "lvmdriver-1", availability_zone = "nova",
        source_volume_id = VOL2, image_id = "img-1", metadata = { purpose = "db" }, is_multiattach = false,
        snapshot_id = SNAP, consistency_group_id = "cg-1", backup_id = BACKUP,
        scheduler_hints = { same_host = { VOL2 } },
      }
      local r = last()
      check_json(r, "POST", BASE .. "/volumes", {
        volume = {
          size = 10, name = "vol-01", description = "d", volume_type = "lvmdriver-1", availability_zone = "nova",
          source_volid = VOL2, imageRef = "img-1", metadata = { purpose = "db" }, multiattach = false,
          snapshot_id = SNAP, consistencygroup_id = "cg-1", backup_id = BACKUP,
        },
        ["OS-SCH-HNT:scheduler_hints"] = { same_host = { VOL2 } },
      })
      assert.equal(MV, r.headers["openstack-api-version"])
      assert.equal(VOL, v.id)
      assert.equal("creating", v.status)
      assert.equal(PID, v.project_id)
      assert.equal("node1@lvm#lvm", v.host)
      assert.equal(tostring(v), "Volume(id=" .. VOL .. ", name=vol-01, status=creating)")
    end)

    it("create_volume refuses unknown attributes and wrong types before any request", function()
      local e = raises("InvalidArgument", bs.create_volume, bs, { size = 1, sise = 2 })
      assert.matches("unknown attribute 'sise' for Volume", e.message, 1, true)
      e = raises("InvalidArgument", bs.create_volume, bs, { size = "10" })
      assert.matches("attribute 'size' must be integer, got string", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("get_volume reads /volumes/{id} and maps every documented attribute", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, { json = { volume = volume() } })
      local v = bs:get_volume(VOL)
      check(last(), "GET", BASE .. "/volumes/" .. VOL)
      assert.equal(MV, last().headers["openstack-api-version"])
      assert.equal(10, v.size)
      assert.equal("false", v.is_bootable)
      assert.equal(false, v.is_encrypted)
      assert.equal(false, v.is_multiattach)
      assert.equal(null, v.migration_status)
      assert.equal(null, v.source_volume_id)
      assert.equal(TYPE, v.volume_type_id)
      assert.equal("db", v.metadata.purpose)
      assert.equal(0, #v.attachments)
      assert.equal("vol-01", v.to_table(v).name)
    end)

    it("get_volume accepts a Volume object or a plain table instead of an id", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, { json = { volume = volume() } })
      local v = bs:get_volume(VOL)
      bs:get_volume(v)
      bs:get_volume { id = VOL }
      assert.equal(3, fx:count("GET", BASE .. "/volumes/" .. VOL))
      local e = raises("InvalidArgument", bs.get_volume, bs, { name = "x" })
      assert.matches("has no id", e.message, 1, true)
    end)

    it("get_volume raises ResourceNotFound on 404, whatever ignore_missing says", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, not_found("Volume " .. VOL))
      local e = raises("ResourceNotFound", bs.get_volume, bs, VOL)
      assert.matches("No Volume found for " .. VOL, e.message, 1, true)
      assert.equal(404, e.status)
    end)

    it("volumes lists /volumes/detail with every filter and follows volumes_links", function()
      local q1 = { all_tenants = "true", name = "vol-01", status = "available", project_id = PID, sort = "name:asc",
        limit = "1", with_count = "true", bootable = "false", availability_zone = "nova",
        metadata = '{"purpose":"db"}', created_at = "gt:2018-01-01T00:00:00" }
      fx:route("GET", BASE .. "/volumes/detail", { json = {
        volumes = { volume() }, count = 2,
        volumes_links = { { rel = "next", href = "{{base}}" .. BASE .. "/volumes/detail?limit=1&marker=" .. VOL } },
      } }, { query = q1 })
      fx:route("GET", BASE .. "/volumes/detail", { json = { volumes = { volume { id = VOL2 } } } },
        { query = { limit = "1", marker = VOL } })
      -- a full last page without a link: one more request (marker fallback) proves the end
      fx:route("GET", BASE .. "/volumes/detail", { json = { volumes = fixture.empty_array } },
        { query = { limit = "1", marker = VOL2 } })
      local ids = {}
      for v in bs:volumes { all_projects = true, name = "vol-01", status = "available", project_id = PID,
        sort = "name:asc", limit = 1, with_count = true, is_bootable = "false", availability_zone = "nova",
        metadata = { purpose = "db" }, created_at = "gt:2018-01-01T00:00:00" } do
        ids[#ids + 1] = v.id
        assert.equal("Volume", getmetatable(v).class.name)
      end
      assert.same({ VOL, VOL2 }, ids)
      local c = calls()
      assert.equal(3, #c)
      check(c[1], "GET", BASE .. "/volumes/detail", q1)
      check(c[2], "GET", BASE .. "/volumes/detail", { limit = "1", marker = VOL })
      check(c[3], "GET", BASE .. "/volumes/detail", { limit = "1", marker = VOL2 })
      assert.equal(MV, c[2].headers["openstack-api-version"])
    end)

    it("volumes{details=false} lists /volumes, with sort_key, sort_dir and offset", function()
      fx:route("GET", BASE .. "/volumes", { json = { volumes = {
        { id = VOL, name = "vol-01", links = links("volumes", VOL) } } } })
      local got = {}
      for v in bs:volumes { details = false, sort_key = "created_at", sort_dir = "desc", offset = 5 } do got[#got + 1] = v end
      check(last(), "GET", BASE .. "/volumes", { sort_key = "created_at", sort_dir = "desc", offset = "5" })
      assert.equal(1, #got)
      assert.equal("vol-01", got[1].name)
    end)

    it("volumes refuses an unknown filter and a dict where a value belongs, before any request", function()
      local e = raises("InvalidResourceQuery", bs.volumes, bs, { stauts = "available" })
      assert.matches("invalid query parameter 'stauts'", e.message, 1, true)
      e = raises("InvalidResourceQuery", bs.volumes, bs, { name = { x = 1 } })
      assert.matches("'name'", e.message, 1, true)
      e = raises("InvalidArgument", bs.volumes, bs, { metadata = { n = 1 } })
      assert.matches("metadata value for 'n' must be a string", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("find_volume tries the id, then lists by name and keeps exact matches only", function()
      fx:route("GET", BASE .. "/volumes/vol-01", not_found("Volume vol-01"))
      fx:route("GET", BASE .. "/volumes/detail", { json = { volumes = {
        volume { id = VOL2, name = "vol-011" }, volume() } } }, { query = { name = "vol-01" } })
      local v = bs:find_volume("vol-01")
      assert.equal(VOL, v.id)
      local c = calls()
      check(c[1], "GET", BASE .. "/volumes/vol-01")
      check(c[2], "GET", BASE .. "/volumes/detail", { name = "vol-01" })
    end)

    it("find_volume gives nil when nothing matches, or ResourceNotFound with ignore_missing=false", function()
      fx:route("GET", BASE .. "/volumes/nope", not_found("Volume nope"))
      fx:route("GET", BASE .. "/volumes/detail", { json = { volumes = fixture.empty_array } }, { query = { name = "nope" } })
      assert.is_nil(bs:find_volume("nope"))
      local e = raises("ResourceNotFound", bs.find_volume, bs, "nope", { ignore_missing = false })
      assert.matches("No Volume found for nope", e.message, 1, true)
    end)

    it("find_volume raises DuplicateResource when two volumes share the name", function()
      fx:route("GET", BASE .. "/volumes/twin", not_found("Volume twin"))
      fx:route("GET", BASE .. "/volumes/detail", { json = { volumes = {
        volume { name = "twin" }, volume { id = VOL2, name = "twin" } } } }, { query = { name = "twin" } })
      local e = raises("DuplicateResource", bs.find_volume, bs, "twin")
      assert.matches("More than one Volume exists with the name 'twin'", e.message, 1, true)
    end)

    it("update_volume PUTs only what changed, and sends nothing when nothing did", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, { json = { volume = volume() } })
      fx:route("PUT", BASE .. "/volumes/" .. VOL, { json = { volume = volume { name = "vol-02", description = "new" } } })
      local v = bs:get_volume(VOL)
      local same = bs:update_volume(v, { name = "vol-01" })
      assert.equal(v, same)
      assert.equal(0, fx:count("PUT"))
      local u = bs:update_volume(v, { name = "vol-02", description = "new", metadata = { a = "b" } })
      check_json(last(), "PUT", BASE .. "/volumes/" .. VOL,
        { volume = { name = "vol-02", description = "new", metadata = { a = "b" } } })
      assert.equal("vol-02", u.name)
    end)

    it("delete_volume DELETEs; a 404 is nil by default and ResourceNotFound with ignore_missing=false", function()
      fx:route("DELETE", BASE .. "/volumes/" .. VOL, { status = 202 })
      fx:route("DELETE", BASE .. "/volumes/" .. VOL2, not_found("Volume " .. VOL2))
      assert.is_nil(bs:delete_volume(VOL))
      local r = last()
      check(r, "DELETE", BASE .. "/volumes/" .. VOL)
      assert.equal("", r.headers.accept)
      assert.is_nil(bs:delete_volume(VOL2))
      assert.is_nil(bs:delete_volume(VOL2, { ignore_missing = true }))
      local e = raises("ResourceNotFound", bs.delete_volume, bs, VOL2, { ignore_missing = false })
      assert.equal(404, e.status)
    end)

    it("delete_volume{cascade=true} adds ?cascade=true; force=true goes through os-force_delete", function()
      fx:route("DELETE", BASE .. "/volumes/" .. VOL, { status = 202 })
      fx:route("POST", BASE .. "/volumes/" .. VOL .. "/action", { status = 202 })
      bs:delete_volume(VOL, { cascade = true })
      check(last(), "DELETE", BASE .. "/volumes/" .. VOL, { cascade = "true" })
      bs:delete_volume(VOL, { force = true })
      check(last(), "POST", BASE .. "/volumes/" .. VOL .. "/action")
      assert.equal('{"os-force_delete":{}}', last().body)
      local e = raises("InvalidArgument", bs.delete_volume, bs, VOL, { cascde = true })
      assert.matches("unknown option 'cascde'", e.message, 1, true)
    end)

    it("wait_for_volume polls until available and fails fast on error", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, {
        { json = { volume = volume { status = "creating" } } },
        { json = { volume = volume { status = "available" } } },
      })
      local v = bs:wait_for_volume(VOL, { interval = 0.01, wait = 5 })
      assert.equal("available", v.status)
      assert.equal(2, fx:count("GET", BASE .. "/volumes/" .. VOL))
      fx:route("GET", BASE .. "/volumes/" .. VOL2, { json = { volume = volume { id = VOL2, status = "error" } } })
      local e = raises("ResourceFailure", bs.wait_for_volume, bs, VOL2, { interval = 0.01, wait = 5 })
      assert.matches("Volume:" .. VOL2 .. " transitioned to failure state error", e.message, 1, true)
    end)

    it("wait_for_status and wait_for_delete work on volume objects", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, {
        { json = { volume = volume { status = "extending" } } },
        { json = { volume = volume { status = "available" } } },
        { json = { volume = volume { status = "deleting" } } },
        not_found("Volume " .. VOL),
      })
      local v = bs:get_volume(VOL)
      bs:wait_for_status(v, { status = "available", failures = { "error_extending" }, interval = 0.01, wait = 5 })
      assert.equal("available", v.status)
      assert.equal(v, bs:wait_for_delete(v, { interval = 0.01, wait = 5 }))
      assert.equal(4, fx:count("GET", BASE .. "/volumes/" .. VOL))
    end)
  end)

  -- ------------------------------------------------------------ volume actions
  describe("volume actions", function()
    before_each(function()
      fx:route("POST", BASE .. "/volumes/" .. VOL .. "/action", { status = 202 })
    end)

    local function action_body() return decoded(last()) end

    it("extend_volume sends os-extend with new_size", function()
      assert.is_nil(bs:extend_volume(VOL, 20))
      check_json(last(), "POST", BASE .. "/volumes/" .. VOL .. "/action", { ["os-extend"] = { new_size = 20 } })
      assert.equal(MV, last().headers["openstack-api-version"])
      local e = raises("InvalidArgument", bs.extend_volume, bs, VOL, "20")
      assert.matches("'size' must be an integer", e.message, 1, true)
    end)

    it("set_volume_bootable_status sends os-set_bootable", function()
      bs:set_volume_bootable_status(VOL, true)
      assert.same({ ["os-set_bootable"] = { bootable = true } }, action_body())
      raises("InvalidArgument", bs.set_volume_bootable_status, bs, VOL, "yes")
    end)

    it("set_volume_readonly sends os-update_readonly_flag (true by default)", function()
      bs:set_volume_readonly(VOL, false)
      assert.same({ ["os-update_readonly_flag"] = { readonly = false } }, action_body())
      bs:set_volume_readonly(VOL)
      assert.same({ ["os-update_readonly_flag"] = { readonly = true } }, action_body())
    end)

    it("retype_volume sends os-retype with migration_policy never unless told on-demand", function()
      bs:retype_volume(VOL, "ssd")
      assert.same({ ["os-retype"] = { new_type = "ssd", migration_policy = "never" } }, action_body())
      bs:retype_volume(VOL, { id = TYPE, name = "gold" }, { migration_policy = "on-demand" })
      assert.same({ ["os-retype"] = { new_type = "gold", migration_policy = "on-demand" } }, action_body())
      raises("InvalidArgument", bs.retype_volume, bs, VOL, "ssd", { migration_policy = "always" })
    end)

    it("reset_volume_status sends os-reset_status with the states given", function()
      bs:reset_volume_status(VOL, "available")
      assert.same({ ["os-reset_status"] = { status = "available" } }, action_body())
      bs:reset_volume_status(VOL, { status = "in-use", attach_status = "attached", migration_status = "none" })
      assert.same({ ["os-reset_status"] = { status = "in-use", attach_status = "attached", migration_status = "none" } },
        action_body())
      local e = raises("InvalidArgument", bs.reset_volume_status, bs, VOL, {})
      assert.matches("at least one of status", e.message, 1, true)
    end)

    it("force_delete_volume sends os-force_delete with an empty object", function()
      bs:force_delete_volume(VOL)
      assert.equal('{"os-force_delete":{}}', last().body)
    end)

    it("revert_volume_to_snapshot sends revert with the snapshot id (3.40+)", function()
      bs:revert_volume_to_snapshot(VOL, { id = SNAP })
      assert.same({ revert = { snapshot_id = SNAP } }, action_body())
      assert.equal(MV, last().headers["openstack-api-version"])
    end)

    it("revert_volume_to_snapshot fails before any request when the cloud stops below 3.40", function()
      fx:reset()
      token = fixture.keystone_catalog(fx, { volume_version = "3.30" })
      local old = connect().block_store
      local e = raises("MicroversionUnsupported", old.revert_volume_to_snapshot, old, VOL, SNAP)
      assert.matches("needs volume microversion 3.40, but the cloud supports at most 3.30", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("an action on a missing volume raises NotFound", function()
      fx:route("POST", BASE .. "/volumes/" .. VOL2 .. "/action", not_found("Volume " .. VOL2))
      raises("NotFound", bs.extend_volume, bs, VOL2, 20)
    end)
  end)

  -- ------------------------------------------------------------ metadata
  describe("volume and snapshot metadata", function()
    it("get_volume_metadata returns a Volume holding the id and metadata", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL .. "/metadata", { json = { metadata = { a = "1", b = "2" } } })
      local v = bs:get_volume_metadata(VOL)
      check(last(), "GET", BASE .. "/volumes/" .. VOL .. "/metadata")
      assert.equal(VOL, v.id)
      assert.same({ a = "1", b = "2" }, v.metadata)
    end)

    it("set_volume_metadata POSTs a merge and returns the full set; an empty table sends nothing", function()
      fx:route("POST", BASE .. "/volumes/" .. VOL .. "/metadata", { json = { metadata = { a = "1", b = "3" } } })
      local v = bs:set_volume_metadata(VOL, { b = "3" })
      check_json(last(), "POST", BASE .. "/volumes/" .. VOL .. "/metadata", { metadata = { b = "3" } })
      assert.same({ a = "1", b = "3" }, v.metadata)
      local n = #calls()
      assert.same({}, bs:set_volume_metadata(VOL, {}).metadata)
      assert.equal(n, #calls())
      local e = raises("InvalidArgument", bs.set_volume_metadata, bs, VOL, { n = 1 })
      assert.matches("metadata value for 'n' must be a string, got number", e.message, 1, true)
    end)

    it("delete_volume_metadata DELETEs each key in order; a 404 raises", function()
      fx:route("DELETE", BASE .. "/volumes/" .. VOL .. "/metadata/a", 200)
      fx:route("DELETE", BASE .. "/volumes/" .. VOL .. "/metadata/b%2Fc", 200)
      fx:route("DELETE", BASE .. "/volumes/" .. VOL .. "/metadata/zz", not_found("Metadata zz"))
      bs:delete_volume_metadata(VOL, { "a", "b/c" })
      local c = calls()
      check(c[1], "DELETE", BASE .. "/volumes/" .. VOL .. "/metadata/a")
      check(c[2], "DELETE", BASE .. "/volumes/" .. VOL .. "/metadata/b%2Fc")
      raises("NotFound", bs.delete_volume_metadata, bs, VOL, { "zz" })
    end)

    it("snapshot metadata uses /snapshots/{id}/metadata the same way", function()
      fx:route("GET", BASE .. "/snapshots/" .. SNAP .. "/metadata", { json = { metadata = { k = "v" } } })
      fx:route("POST", BASE .. "/snapshots/" .. SNAP .. "/metadata", { json = { metadata = { k = "v", n = "w" } } })
      fx:route("DELETE", BASE .. "/snapshots/" .. SNAP .. "/metadata/k", 200)
      assert.same({ k = "v" }, bs:get_snapshot_metadata(SNAP).metadata)
      assert.same({ k = "v", n = "w" }, bs:set_snapshot_metadata({ id = SNAP }, { n = "w" }).metadata)
      check_json(last(), "POST", BASE .. "/snapshots/" .. SNAP .. "/metadata", { metadata = { n = "w" } })
      bs:delete_snapshot_metadata(SNAP, "k")
      check(last(), "DELETE", BASE .. "/snapshots/" .. SNAP .. "/metadata/k")
    end)
  end)

  -- ------------------------------------------------------------ types
  describe("volume types", function()
    it("create_type posts volume_type with the access flag under its prefixed name", function()
      fx:route("POST", BASE .. "/types", { json = { volume_type = vtype() } })
      local t = bs:create_type { name = "vol-type-001", description = "volume type 0001",
        extra_specs = { capabilities = "gpu" }, is_public = true }
      check_json(last(), "POST", BASE .. "/types", { volume_type = {
        name = "vol-type-001", description = "volume type 0001", extra_specs = { capabilities = "gpu" },
        ["os-volume-type-access:is_public"] = true } })
      assert.equal(TYPE, t.id)
      assert.same({ capabilities = "gpu" }, t.extra_specs)
      assert.equal(true, t.is_public)
      raises("InvalidArgument", bs.create_type, bs, { name = "x", is_public = "yes" })
    end)

    it("get_type reads /types/{id}; 404 is ResourceNotFound", function()
      fx:route("GET", BASE .. "/types/" .. TYPE, { json = { volume_type = vtype() } })
      fx:route("GET", BASE .. "/types/missing", not_found("Volume type missing"))
      local t = bs:get_type(TYPE)
      check(last(), "GET", BASE .. "/types/" .. TYPE)
      assert.equal("vol-type-001", t.name)
      assert.equal("volume type 0001", t.description)
      raises("ResourceNotFound", bs.get_type, bs, "missing")
    end)

    it("types() makes exactly one GET /types, even when links are offered", function()
      fx:route("GET", BASE .. "/types", { json = {
        volume_types = { vtype(), vtype { id = "t2", name = "ssd" } },
        volume_types_links = { { rel = "next", href = "{{base}}" .. BASE .. "/types?marker=t2" } },
      } })
      local names = {}
      for t in bs:types() do names[#names + 1] = t.name end
      assert.same({ "vol-type-001", "ssd" }, names)
      assert.equal(1, #calls())
      check(last(), "GET", BASE .. "/types")
    end)

    it("types accepts is_public and sort filters", function()
      fx:route("GET", BASE .. "/types", { json = { volume_types = fixture.empty_array } })
      for _ in bs:types { is_public = "None", sort_key = "name", sort_dir = "asc" } do end
      check(last(), "GET", BASE .. "/types", { is_public = "None", sort_key = "name", sort_dir = "asc" })
    end)

    it("find_type lists every type, private ones included (is_public=None), and matches exactly", function()
      fx:route("GET", BASE .. "/types/ssd", not_found("Volume type ssd"))
      fx:route("GET", BASE .. "/types/nvme", not_found("Volume type nvme"))
      fx:route("GET", BASE .. "/types", { json = { volume_types = { vtype(), vtype { id = "t2", name = "ssd" },
        vtype { id = "t3", name = "ssd-fast" } } } }, { query = { is_public = "None" } })
      assert.equal("t2", bs:find_type("ssd").id)
      check(last(), "GET", BASE .. "/types", { is_public = "None" })
      assert.is_nil(bs:find_type("nvme"))
      raises("ResourceNotFound", bs.find_type, bs, "nvme", { ignore_missing = false })
      fx:route("GET", BASE .. "/types/" .. TYPE, { json = { volume_type = vtype() } })
      assert.equal(TYPE, bs:find_type(TYPE).id)
    end)

    it("update_type PUTs name, description and is_public", function()
      fx:route("PUT", BASE .. "/types/" .. TYPE, { json = { volume_type = vtype { name = "gold", is_public = false } } })
      local t = bs:update_type(TYPE, { name = "gold", is_public = false })
      check_json(last(), "PUT", BASE .. "/types/" .. TYPE, { volume_type = { name = "gold", is_public = false } })
      assert.equal("gold", t.name)
    end)

    it("delete_type DELETEs; 404 is nil by default and raises with ignore_missing=false", function()
      fx:route("DELETE", BASE .. "/types/" .. TYPE, { status = 202 })
      fx:route("DELETE", BASE .. "/types/gone", not_found("Volume type gone"))
      assert.is_nil(bs:delete_type(TYPE))
      check(last(), "DELETE", BASE .. "/types/" .. TYPE)
      assert.is_nil(bs:delete_type("gone"))
      raises("ResourceNotFound", bs.delete_type, bs, "gone", { ignore_missing = false })
    end)

    it("extra specs: get, update (POST) and delete per key", function()
      fx:route("GET", BASE .. "/types/" .. TYPE .. "/extra_specs", { json = { extra_specs = { capabilities = "gpu" } } })
      fx:route("POST", BASE .. "/types/" .. TYPE .. "/extra_specs",
        { json = { extra_specs = { capabilities = "gpu", ["volume_backend_name"] = "lvm" } } })
      fx:route("DELETE", BASE .. "/types/" .. TYPE .. "/extra_specs/capabilities", 202)
      assert.same({ capabilities = "gpu" }, bs:get_type_extra_specs(TYPE).extra_specs)
      local t = bs:update_type_extra_specs(TYPE, { volume_backend_name = "lvm" })
      check_json(last(), "POST", BASE .. "/types/" .. TYPE .. "/extra_specs",
        { extra_specs = { volume_backend_name = "lvm" } })
      assert.equal("lvm", t.extra_specs.volume_backend_name)
      bs:delete_type_extra_specs(TYPE, { "capabilities" })
      check(last(), "DELETE", BASE .. "/types/" .. TYPE .. "/extra_specs/capabilities")
      raises("InvalidArgument", bs.update_type_extra_specs, bs, TYPE, { flag = true })
    end)

    it("type access: list, addProjectAccess and removeProjectAccess", function()
      fx:route("GET", BASE .. "/types/" .. TYPE .. "/os-volume-type-access", { json = { volume_type_access = {
        { project_id = "p1", volume_type_id = TYPE } } } })
      fx:route("POST", BASE .. "/types/" .. TYPE .. "/action", { status = 202 })
      local access = bs:get_type_access(TYPE)
      assert.same({ { project_id = "p1", volume_type_id = TYPE } }, access)
      bs:add_type_access(TYPE, "p2")
      check_json(last(), "POST", BASE .. "/types/" .. TYPE .. "/action", { addProjectAccess = { project = "p2" } })
      bs:remove_type_access({ id = TYPE }, { id = "p2" })
      check_json(last(), "POST", BASE .. "/types/" .. TYPE .. "/action", { removeProjectAccess = { project = "p2" } })
    end)
  end)

  -- ------------------------------------------------------------ snapshots
  describe("snapshots", function()
    it("create_snapshot posts snapshot with force (is_forced), name, description, metadata", function()
      fx:route("POST", BASE .. "/snapshots", { status = 202, json = { snapshot = snapshot { status = "creating" } } })
      local s = bs:create_snapshot { volume_id = VOL, name = "snap-001", description = "Daily backup",
        is_forced = true, metadata = { key = "v3" } }
      check_json(last(), "POST", BASE .. "/snapshots", { snapshot = {
        volume_id = VOL, name = "snap-001", description = "Daily backup", force = true, metadata = { key = "v3" } } })
      assert.equal(MV, last().headers["openstack-api-version"])
      assert.equal(SNAP, s.id)
      assert.equal("creating", s.status)
    end)

    it("get_snapshot maps the extended attributes; 404 is ResourceNotFound", function()
      fx:route("GET", BASE .. "/snapshots/" .. SNAP, { json = { snapshot = snapshot() } })
      fx:route("GET", BASE .. "/snapshots/gone", not_found("Snapshot gone"))
      local s = bs:get_snapshot(SNAP)
      check(last(), "GET", BASE .. "/snapshots/" .. SNAP)
      assert.equal("100%", s.progress)
      assert.equal(PID, s.project_id)
      assert.equal(VOL, s.volume_id)
      raises("ResourceNotFound", bs.get_snapshot, bs, "gone")
    end)

    it("snapshots lists /snapshots/detail with filters and follows snapshots_links", function()
      fx:route("GET", BASE .. "/snapshots/detail", { json = {
        snapshots = { snapshot() },
        snapshots_links = { { rel = "next", href = "{{base}}" .. BASE .. "/snapshots/detail?marker=" .. SNAP .. "&volume_id=" .. VOL } },
      } }, { query = { volume_id = VOL, status = "available", all_tenants = "true", name = "snap-001",
        metadata = '{"key":"v3"}', sort = "created_at:desc" } })
      fx:route("GET", BASE .. "/snapshots/detail", { json = { snapshots = fixture.empty_array } },
        { query = { marker = SNAP, volume_id = VOL } })
      local n = 0
      for s in bs:snapshots { volume_id = VOL, status = "available", all_projects = true, name = "snap-001",
        metadata = { key = "v3" }, sort = "created_at:desc" } do
        n = n + 1
        assert.equal("snap-001", s.name)
      end
      assert.equal(1, n)
      assert.equal(2, #calls())
    end)

    it("snapshots{details=false} lists /snapshots; unknown filters fail first", function()
      fx:route("GET", BASE .. "/snapshots", { json = { snapshots = { { id = SNAP, name = "snap-001" } } } })
      for _ in bs:snapshots { details = false } do end
      check(last(), "GET", BASE .. "/snapshots")
      raises("InvalidResourceQuery", bs.snapshots, bs, { volume = VOL })
    end)

    it("find_snapshot lists by name after a 404 on the id", function()
      fx:route("GET", BASE .. "/snapshots/snap-001", not_found("Snapshot snap-001"))
      fx:route("GET", BASE .. "/snapshots/detail", { json = { snapshots = { snapshot() } } }, { query = { name = "snap-001" } })
      assert.equal(SNAP, bs:find_snapshot("snap-001").id)
      fx:route("GET", BASE .. "/snapshots/x", not_found("Snapshot x"))
      fx:route("GET", BASE .. "/snapshots/detail", { json = { snapshots = fixture.empty_array } }, { query = { name = "x" } })
      assert.is_nil(bs:find_snapshot("x"))
      raises("ResourceNotFound", bs.find_snapshot, bs, "x", { ignore_missing = false })
    end)

    it("update_snapshot PUTs the changed name and description", function()
      fx:route("PUT", BASE .. "/snapshots/" .. SNAP, { json = { snapshot = snapshot { name = "snap-002" } } })
      local s = bs:update_snapshot(SNAP, { name = "snap-002", description = "weekly" })
      check_json(last(), "PUT", BASE .. "/snapshots/" .. SNAP, { snapshot = { name = "snap-002", description = "weekly" } })
      assert.equal("snap-002", s.name)
    end)

    it("delete_snapshot DELETEs; 404 nil by default, ResourceNotFound with ignore_missing=false", function()
      fx:route("DELETE", BASE .. "/snapshots/" .. SNAP, { status = 202 })
      fx:route("DELETE", BASE .. "/snapshots/gone", not_found("Snapshot gone"))
      assert.is_nil(bs:delete_snapshot(SNAP))
      check(last(), "DELETE", BASE .. "/snapshots/" .. SNAP)
      assert.is_nil(bs:delete_snapshot("gone"))
      raises("ResourceNotFound", bs.delete_snapshot, bs, "gone", { ignore_missing = false })
    end)

    it("wait_for_snapshot polls until available; reset_snapshot_status sends os-reset_status", function()
      fx:route("GET", BASE .. "/snapshots/" .. SNAP, {
        { json = { snapshot = snapshot { status = "creating" } } }, { json = { snapshot = snapshot() } } })
      fx:route("POST", BASE .. "/snapshots/" .. SNAP .. "/action", { status = 202 })
      assert.equal("available", bs:wait_for_snapshot(SNAP, { interval = 0.01 }).status)
      bs:reset_snapshot_status(SNAP, "error")
      check_json(last(), "POST", BASE .. "/snapshots/" .. SNAP .. "/action", { ["os-reset_status"] = { status = "error" } })
    end)
  end)

  -- ------------------------------------------------------------ backups
  describe("backups", function()
    it("create_backup posts backup with incremental, force, container, snapshot_id", function()
      fx:route("POST", BASE .. "/backups", { status = 202, json = { backup = {
        id = BACKUP, links = links("backups", BACKUP), name = "backup001" } } })
      local b = bs:create_backup { volume_id = VOL, name = "backup001", container = "volumebackups",
        incremental = true, force = true, snapshot_id = SNAP, description = "nightly", metadata = { k = "v" } }
      check_json(last(), "POST", BASE .. "/backups", { backup = { volume_id = VOL, name = "backup001",
        container = "volumebackups", incremental = true, force = true, snapshot_id = SNAP, description = "nightly",
        metadata = { k = "v" } } })
      assert.equal(BACKUP, b.id)
      assert.equal("backup001", b.name)
    end)

    it("get_backup maps project_id and is_incremental; backups lists /backups/detail", function()
      fx:route("GET", BASE .. "/backups/" .. BACKUP, { json = { backup = backup() } })
      fx:route("GET", BASE .. "/backups/detail", { json = { backups = { backup() } } },
        { query = { volume_id = VOL, status = "available", sort = "created_at:desc", limit = "10" } })
      local b = bs:get_backup(BACKUP)
      assert.equal(PID, b.project_id)
      assert.equal(false, b.is_incremental)
      assert.equal(22, b.object_count)
      local n = 0
      for x in bs:backups { volume_id = VOL, status = "available", sort = "created_at:desc", limit = 10 } do
        n = n + 1
        assert.equal(BACKUP, x.id)
      end
      assert.equal(1, n)
      check(last(), "GET", BASE .. "/backups/detail", { volume_id = VOL, status = "available",
        sort = "created_at:desc", limit = "10" })
    end)

    it("find_backup matches the name; get_backup 404 is ResourceNotFound", function()
      fx:route("GET", BASE .. "/backups/backup001", not_found("Backup backup001"))
      fx:route("GET", BASE .. "/backups/detail", { json = { backups = { backup() } } }, { query = { name = "backup001" } })
      assert.equal(BACKUP, bs:find_backup("backup001").id)
      raises("ResourceNotFound", bs.get_backup, bs, "backup001")
    end)

    it("update_backup PUTs name and description (3.9+)", function()
      fx:route("PUT", BASE .. "/backups/" .. BACKUP, { json = { backup = backup { name = "b2" } } })
      assert.equal("b2", bs:update_backup(BACKUP, { name = "b2" }).name)
      check_json(last(), "PUT", BASE .. "/backups/" .. BACKUP, { backup = { name = "b2" } })
    end)

    it("delete_backup DELETEs (404 rules as everywhere), force=true uses os-force_delete", function()
      fx:route("DELETE", BASE .. "/backups/" .. BACKUP, { status = 202 })
      fx:route("DELETE", BASE .. "/backups/gone", not_found("Backup gone"))
      fx:route("POST", BASE .. "/backups/" .. BACKUP .. "/action", { status = 202 })
      assert.is_nil(bs:delete_backup(BACKUP))
      check(last(), "DELETE", BASE .. "/backups/" .. BACKUP)
      assert.is_nil(bs:delete_backup("gone"))
      raises("ResourceNotFound", bs.delete_backup, bs, "gone", { ignore_missing = false })
      bs:delete_backup(BACKUP, { force = true })
      assert.equal('{"os-force_delete":{}}', last().body)
    end)

    it("restore_backup posts restore with volume_id and name, and returns Cinder's answer", function()
      fx:route("POST", BASE .. "/backups/" .. BACKUP .. "/restore", { status = 202, json = { restore = {
        backup_id = BACKUP, volume_id = VOL, volume_name = "vol-01" } } })
      local r = bs:restore_backup(BACKUP, { volume_id = VOL, name = "vol-01" })
      check_json(last(), "POST", BASE .. "/backups/" .. BACKUP .. "/restore", { restore = { volume_id = VOL, name = "vol-01" } })
      assert.same({ backup_id = BACKUP, volume_id = VOL, volume_name = "vol-01" }, r)
      bs:restore_backup(BACKUP)
      assert.equal('{"restore":{}}', last().body)
    end)

    it("wait_for_backup and reset_backup_status", function()
      fx:route("GET", BASE .. "/backups/" .. BACKUP, {
        { json = { backup = backup { status = "creating" } } }, { json = { backup = backup() } } })
      fx:route("POST", BASE .. "/backups/" .. BACKUP .. "/action", { status = 202 })
      assert.equal("available", bs:wait_for_backup(BACKUP, { interval = 0.01 }).status)
      bs:reset_backup_status(BACKUP, "available")
      check_json(last(), "POST", BASE .. "/backups/" .. BACKUP .. "/action",
        { ["os-reset_status"] = { status = "available" } })
    end)
  end)

  it("wait_for_delete follows snapshots and backups until their 404", function()
    fx:route("GET", BASE .. "/snapshots/" .. SNAP, { { json = { snapshot = snapshot { status = "deleting" } } },
      not_found("Snapshot " .. SNAP) })
    fx:route("GET", BASE .. "/backups/" .. BACKUP, { { json = { backup = backup { status = "deleting" } } },
      not_found("Backup " .. BACKUP) })
    local s = bs:get_snapshot(SNAP)
    assert.equal(s, bs:wait_for_delete(s, { interval = 0.01, wait = 5 }))
    local b = bs:get_backup(BACKUP)
    assert.equal(b, bs:wait_for_delete(b, { interval = 0.01, wait = 5 }))
    assert.equal(2, fx:count("GET", BASE .. "/snapshots/" .. SNAP))
    assert.equal(2, fx:count("GET", BASE .. "/backups/" .. BACKUP))
  end)

  -- ------------------------------------------------------------ quotas, limits, zones
  describe("quotas, limits and availability zones", function()
    local quota = { id = PID, volumes = 10, snapshots = 10, gigabytes = 1000, backups = 10,
      backup_gigabytes = 1000, per_volume_gigabytes = -1, groups = 10, volumes_lvmdriver = -1 }

    it("get_quota_set reads /os-quota-sets/{project}, with ?usage=true on request", function()
      fx:route("GET", BASE .. "/os-quota-sets/p1", { json = { quota_set = quota } })
      fx:route("GET", BASE .. "/os-quota-sets/p1", { json = { quota_set = { id = "p1",
        volumes = { in_use = 1, limit = 10, reserved = 0, allocated = 0 } } } }, { query = { usage = "true" } })
      local q = bs:get_quota_set("p1")
      check(last(), "GET", BASE .. "/os-quota-sets/p1")
      assert.equal(10, q.volumes)
      assert.equal(-1, q.volumes_lvmdriver)
      local u = bs:get_quota_set({ id = "p1" }, { usage = true })
      check(last(), "GET", BASE .. "/os-quota-sets/p1", { usage = "true" })
      assert.equal(1, u.volumes.in_use)
    end)

    it("get_quota_set defaults to the token's project", function()
      fx:route("GET", BASE .. "/os-quota-sets/" .. PID, { json = { quota_set = quota } })
      assert.equal(PID, bs:get_quota_set().id)
    end)

    it("get_quota_set_defaults, update_quota_set and revert_quota_set", function()
      fx:route("GET", BASE .. "/os-quota-sets/p1/defaults", { json = { quota_set = quota } })
      fx:route("PUT", BASE .. "/os-quota-sets/p1", { json = { quota_set = { volumes = 20 } } })
      fx:route("DELETE", BASE .. "/os-quota-sets/p1", 200)
      assert.equal(1000, bs:get_quota_set_defaults("p1").gigabytes)
      check(last(), "GET", BASE .. "/os-quota-sets/p1/defaults")
      assert.equal(20, bs:update_quota_set("p1", { volumes = 20 }).volumes)
      check_json(last(), "PUT", BASE .. "/os-quota-sets/p1", { quota_set = { volumes = 20 } })
      bs:revert_quota_set("p1")
      check(last(), "DELETE", BASE .. "/os-quota-sets/p1")
      raises("InvalidArgument", bs.get_quota_set, bs, "p1", { usage = "yes" })
      local e = raises("InvalidArgument", bs.update_quota_set, bs, "p1", { volumes = "20" })
      assert.matches("attribute 'volumes' must be integer", e.message, 1, true)
    end)

    it("get_limits reads /limits and names the absolute limits", function()
      fx:route("GET", BASE .. "/limits", { json = { limits = { rate = fixture.empty_array, absolute = {
        totalSnapshotsUsed = 0, maxTotalBackups = 10, maxTotalVolumeGigabytes = 1000, maxTotalSnapshots = 10,
        maxTotalBackupGigabytes = 1000, totalBackupGigabytesUsed = 0, maxTotalVolumes = 10, totalVolumesUsed = 2,
        totalBackupsUsed = 0, totalGigabytesUsed = 20 } } } })
      local l = bs:get_limits()
      check(last(), "GET", BASE .. "/limits")
      assert.equal(10, l.absolute.max_total_volumes)
      assert.equal(2, l.absolute.total_volumes_used)
      assert.equal(20, l.absolute.total_gigabytes_used)
      assert.equal(1000, l.absolute.maxTotalVolumeGigabytes)
      assert.same({}, l.rate)
      fx:route("GET", BASE .. "/limits", { json = { limits = { rate = fixture.empty_array, absolute = {} } } },
        { query = { project_id = "p9" } })
      bs:get_limits { project_id = "p9" }
      check(last(), "GET", BASE .. "/limits", { project_id = "p9" })
    end)

    it("availability_zones lists /os-availability-zone once", function()
      fx:route("GET", BASE .. "/os-availability-zone", { json = { availabilityZoneInfo = {
        { zoneName = "nova", zoneState = { available = true } } } } })
      local zones = {}
      for z in bs:availability_zones() do zones[#zones + 1] = z end
      check(last(), "GET", BASE .. "/os-availability-zone")
      assert.equal(1, #zones)
      assert.equal("nova", zones[1].name)
      assert.is_true(zones[1].state.available)
    end)
  end)

  -- ------------------------------------------------------------ microversions and v2
  describe("microversions", function()
    it("uses the cloud's maximum when it is below the SDK's", function()
      fx:reset()
      token = fixture.keystone_catalog(fx, { volume_version = "3.59" })
      fx:route("GET", BASE .. "/volumes/" .. VOL, { json = { volume = volume() } })
      connect().block_store:get_volume(VOL)
      assert.equal("volume 3.59", last().headers["openstack-api-version"])
    end)

    it("honours a microversion pinned in the configuration", function()
      fx:route("GET", BASE .. "/volumes/" .. VOL, { json = { volume = volume() } })
      connect({ block_storage_api_version = "3.27" }).block_store:get_volume(VOL)
      assert.equal("volume 3.27", last().headers["openstack-api-version"])
    end)
  end)

  describe("on a v2-only cloud", function()
    local V2 = "/volume/v2/" .. PID
    local v2

    before_each(function()
      fx:reset()
      token = fixture.keystone_catalog(fx, { catalog = {
        { type = "volumev2", name = "cinderv2", url = "{{base}}/volume/v2/" .. PID },
        { type = "image", name = "glance", url = "{{base}}/image" },
        { type = "identity", name = "keystone", url = "{{base}}/v3" },
      } })
      local doc = { versions = { { id = "v2.0", status = "DEPRECATED", version = "", min_version = "",
        updated = "2017-02-25T12:00:00Z", links = { { rel = "self", href = "{{base}}/volume/v2/" } } } } }
      fx:route("GET", "/volume/", { status = 300, json = doc })
      fx:route("GET", "/volume", { status = 300, json = doc })
      v2 = connect().block_store
    end)

    it("keeps the same methods, under /v2/{project}, without a microversion header", function()
      fx:route("POST", V2 .. "/volumes", { status = 202, json = { volume = volume { status = "creating" } } })
      fx:route("GET", V2 .. "/volumes/detail", { json = { volumes = { volume() } } })
      fx:route("GET", V2 .. "/types", { json = { volume_types = { vtype() } } })
      fx:route("DELETE", V2 .. "/snapshots/" .. SNAP, not_found("Snapshot " .. SNAP))
      assert.equal(VOL, v2:create_volume { size = 1 }.id)
      for v in v2:volumes() do assert.equal(VOL, v.id) end
      for t in v2:types() do assert.equal(TYPE, t.id) end
      assert.is_nil(v2:delete_snapshot(SNAP))
      for _, r in ipairs(calls()) do
        assert.is_nil(r.headers["openstack-api-version"])
        assert.equal(V2, r.path:sub(1, #V2))
      end
      assert.equal(4, #calls())
      assert.is_nil(v2:microversion())
    end)

    it("refuses v3-only calls before any request", function()
      local e = raises("MicroversionUnsupported", v2.revert_volume_to_snapshot, v2, VOL, SNAP)
      assert.matches("the block-storage endpoint offers no microversions", e.message, 1, true)
      raises("MicroversionUnsupported", v2.update_backup, v2, BACKUP, { name = "x" })
      assert.equal(0, #calls())
    end)
  end)
end)
