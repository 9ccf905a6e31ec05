-- conn.image against the fixture server: every Glance v2 request exactly as
-- the api-ref writes it (method, path, query, body, content types), the
-- parsed results and the 404 rules. Large streams: image_streaming_spec.lua.
local fixture = require "spec.support.fixture"
local openstack = require "openstack"
local json = require "openstack.json"
local cjson = require "cjson"

local null = openstack.null
local IMG = "1bea47ed-f6a9-463b-b423-14b9cca9ad27"
local IMG2 = "781b3762-9469-4cec-b58d-3349e5de4e9c"
local OWNER = "5ef70662f8b34079a6eddb8da9d75fe8"
local V2 = "/image/v2/images"
local PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
local DATA = "not really a qcow2 image\n"

local fx, token, conn, image

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

local function check(r, method, path, query)
  assert.equal(method, r.method)
  assert.equal(path, r.path)
  assert.same(query or {}, r.query)
  assert.equal(token, r.headers["x-auth-token"])
  assert.is_nil(r.headers["openstack-api-version"])
end

local function check_json(r, method, path, body, content_type)
  check(r, method, path)
  assert.equal(content_type or "application/json", r.headers["content-type"])
  assert.same(body, cjson.decode(r.body))
end

local function raises(class, f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(openstack.errors.is(e, class), "expected " .. class .. ", got " .. tostring(e))
  return e
end

-- Glance errors are text, not JSON.
local function not_found(id)
  return { status = 404, headers = { ["Content-Type"] = "text/plain; charset=UTF-8" },
    body = "404 Not Found\n\nNo image found with ID " .. id .. "\n\n   " }
end

local function digest(algo, s)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(s)
  f:close()
  local p = assert(io.popen(algo .. "sum " .. tmp))
  local out = p:read("a"):match("^(%x+)")
  p:close()
  os.remove(tmp)
  return out
end

-- Shaped like the api-ref "Show image" response.
local function img(over)
  local t = {
    status = "active", name = "cirros-0.6.2-x86_64-disk", tags = { "ci" }, container_format = "bare",
    created_at = "2024-05-05T17:15:10Z", disk_format = "qcow2", updated_at = "2024-05-05T17:15:11Z",
    visibility = "public", self = "/v2/images/" .. IMG, min_disk = 0, protected = false, id = IMG,
    file = "/v2/images/" .. IMG .. "/file", checksum = digest("md5", DATA), os_hash_algo = "sha512",
    os_hash_value = digest("sha512", DATA), os_hidden = false, owner = OWNER, size = #DATA, min_ram = 0,
    schema = "/v2/schemas/image", virtual_size = cjson.null, os_distro = "cirros", hw_disk_bus = "virtio",
  }
  for k, v in pairs(over or {}) do t[k] = v end
  return t
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
  return path
end

describe("image proxy", function()
  local tmpdir

  setup(function()
    fx = fixture.start()
    tmpdir = assert(io.popen("mktemp -d /tmp/image-spec.XXXXXX")):read("l")
  end)
  teardown(function()
    fx:stop()
    os.execute("rm -rf '" .. tmpdir .. "'")
  end)

  before_each(function()
    fx:reset()
    token = fixture.keystone_catalog(fx)
    conn = connect()
    image = conn.image
  end)

  -- ------------------------------------------------------------ listing and reading
  describe("images", function()
    it("lists /v2/images with every documented filter, repeated tags, and follows next", function()
      local q1 = { name = "cirros", visibility = "public", member_status = "accepted", owner = OWNER,
        status = "active", size_min = "1", size_max = "1000", tag = { "a", "b" }, created_at = "gt:2024-01-01T00:00:00Z",
        updated_at = "lte:2025-01-01T00:00:00Z", protected = "false", os_hidden = "false", sort_key = "name",
        sort_dir = "asc", limit = "1", container_format = "bare", disk_format = "in:qcow2,raw", id = "in:" .. IMG .. "," .. IMG2,
        os_distro = "cirros" }
      fx:route("GET", V2, { json = { images = { img() }, first = "/v2/images?limit=1",
        next = "/v2/images?limit=1&marker=" .. IMG .. "&name=cirros", schema = "/v2/schemas/images" } }, { query = q1 })
      fx:route("GET", V2, { json = { images = { img { id = IMG2 } }, first = "/v2/images?limit=1",
        schema = "/v2/schemas/images" } }, { query = { limit = "1", marker = IMG, name = "cirros" } })
      fx:route("GET", V2, { json = { images = fixture.empty_array, schema = "/v2/schemas/images" } },
        { query = { limit = "1", marker = IMG2, name = "cirros" } })
      local ids = {}
      for i in image:images { name = "cirros", visibility = "public", member_status = "accepted", owner = OWNER,
        status = "active", size_min = 1, size_max = 1000, tags = { "a", "b" }, created_at = "gt:2024-01-01T00:00:00Z",
        updated_at = "lte:2025-01-01T00:00:00Z", is_protected = false, is_hidden = false, sort_key = "name",
        sort_dir = "asc", limit = 1, container_format = "bare", disk_format = "in:qcow2,raw",
        id = "in:" .. IMG .. "," .. IMG2, properties = { os_distro = "cirros" } } do
        ids[#ids + 1] = i.id
      end
      assert.same({ IMG, IMG2 }, ids)
      local c = calls()
      check(c[1], "GET", V2, q1)
      assert.equal("application/json", c[1].headers.accept)
      check(c[2], "GET", V2, { limit = "1", marker = IMG, name = "cirros" })
    end)

    it("accepts sort=k:dir and a single tag", function()
      fx:route("GET", V2, { json = { images = fixture.empty_array } })
      for _ in image:images { sort = "name:asc,created_at:desc", tag = "ci" } do end
      check(last(), "GET", V2, { sort = "name:asc,created_at:desc", tag = "ci" })
    end)

    it("refuses unknown filters and bad property filters before any request", function()
      local e = raises("InvalidResourceQuery", image.images, image, { os_distro = "cirros" })
      assert.matches("invalid query parameter 'os_distro'", e.message, 1, true)
      e = raises("InvalidResourceQuery", image.images, image, { properties = { hw = { 1 } } })
      assert.matches("property filter 'hw' must be a string", e.message, 1, true)
      e = raises("InvalidResourceQuery", image.images, image, { properties = { name = "x" } })
      assert.matches("'name' is a regular filter", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("get_image reads the bare object and maps the SDK names", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      local i = image:get_image(IMG)
      check(last(), "GET", V2 .. "/" .. IMG)
      assert.equal("cirros-0.6.2-x86_64-disk", i.name)
      assert.equal(false, i.is_protected)
      assert.equal(false, i.is_hidden)
      assert.equal("sha512", i.hash_algo)
      assert.equal(OWNER, i.owner)
      assert.equal(null, i.virtual_size)
      assert.equal("virtio", i.hw_disk_bus)
      assert.same({ "ci" }, i.tags)
    end)

    it("get_image raises ResourceNotFound on Glance's text 404", function()
      fx:route("GET", V2 .. "/" .. IMG2, not_found(IMG2))
      local e = raises("ResourceNotFound", image.get_image, image, IMG2)
      assert.matches("No Image found for " .. IMG2, e.message, 1, true)
    end)

    it("find_image returns the image found by id without listing", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      assert.equal(IMG, image:find_image(IMG).id)
      assert.equal(1, #calls())
    end)

    it("find_image falls through a 404 or a 400 to ?name= and keeps exact matches", function()
      fx:route("GET", V2 .. "/cirros", not_found("cirros"))
      fx:route("GET", V2 .. "/cirros-bad", { status = 400, body = "400 Bad Request\n\nnot a uuid" })
      fx:route("GET", V2, { json = { images = { img { name = "cirros" } } } }, { query = { name = "cirros" } })
      fx:route("GET", V2, { json = { images = { img { name = "cirros-bad" } } } }, { query = { name = "cirros-bad" } })
      assert.equal(IMG, image:find_image("cirros").id)
      local c = calls()
      check(c[1], "GET", V2 .. "/cirros")
      check(c[2], "GET", V2, { name = "cirros" })
      assert.equal(IMG, image:find_image("cirros-bad").id)
    end)

    it("find_image: nil when missing, ResourceNotFound with ignore_missing=false, DuplicateResource for twins", function()
      fx:route("GET", V2 .. "/none", not_found("none"))
      fx:route("GET", V2, { json = { images = fixture.empty_array } }, { query = { name = "none" } })
      fx:route("GET", V2 .. "/twin", not_found("twin"))
      fx:route("GET", V2, { json = { images = { img { name = "twin" }, img { id = IMG2, name = "twin" } } } },
        { query = { name = "twin" } })
      assert.is_nil(image:find_image("none"))
      raises("ResourceNotFound", image.find_image, image, "none", { ignore_missing = false })
      local e = raises("DuplicateResource", image.find_image, image, "twin")
      assert.matches("More than one Image exists with the name 'twin'", e.message, 1, true)
    end)
  end)

  -- ------------------------------------------------------------ create, update, delete
  describe("create_image", function()
    it("creates the record only: POST of bare attributes, custom properties flat and as strings", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued", checksum = cjson.null } })
      local i = image:create_image { name = "cirros", disk_format = "qcow2", container_format = "bare",
        visibility = "private", is_protected = true, min_ram = 512, tags = { "ci" }, architecture = "x86_64",
        hw_disk_bus = "virtio", hw_cpu_cores = 2, kernel = { id = "k1" }, ramdisk = "r1",
        properties = { description = "test image" } }
      check_json(last(), "POST", V2, { name = "cirros", disk_format = "qcow2", container_format = "bare",
        visibility = "private", protected = true, min_ram = 512, tags = { "ci" }, architecture = "x86_64",
        hw_disk_bus = "virtio", hw_cpu_cores = "2", kernel_id = "k1", ramdisk_id = "r1", description = "test image" })
      assert.equal(1, #calls())
      assert.equal("queued", i.status)
    end)

    it("refuses wrong types, read-only attributes and a bad visibility before any request", function()
      local e = raises("InvalidArgument", image.create_image, image, { name = "x", min_ram = "512" })
      assert.matches("attribute 'min_ram' must be integer, got string", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", status = "active" })
      assert.matches("attribute 'status' is read-only", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", visibility = "everyone" })
      assert.matches("visibility must be public, private, shared or community", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", my_prop = { 1 } })
      assert.matches("custom property 'my_prop' must be a string, got table", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", wait = "yes" })
      assert.matches("option 'wait' must be a boolean", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", stores = { "a" } })
      assert.matches("stores applies to imports only", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("with filename: POST, PUT the bytes as octet-stream, then wait for active", function()
      local path = write_file(tmpdir .. "/small.qcow2", DATA)
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PUT", V2 .. "/" .. IMG .. "/file", { status = 204 })
      fx:route("GET", V2 .. "/" .. IMG, { { json = img { status = "saving" } }, { json = img() } })
      local i = image:create_image { name = "cirros", filename = path, interval = 0.01, os_distro = "cirros" }
      local c = calls()
      assert.equal(4, #c)
      check_json(c[1], "POST", V2, { name = "cirros", disk_format = "qcow2", container_format = "bare", os_distro = "cirros" })
      check(c[2], "PUT", V2 .. "/" .. IMG .. "/file")
      assert.equal("application/octet-stream", c[2].headers["content-type"])
      assert.equal(tostring(#DATA), c[2].headers["content-length"])
      assert.equal(DATA, c[2].body)
      check(c[3], "GET", V2 .. "/" .. IMG)
      assert.equal("active", i.status)
      assert.equal(digest("md5", DATA), i.checksum)
    end)

    it("with wait=false returns the record as created, after the upload", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PUT", V2 .. "/" .. IMG .. "/file", { status = 204 })
      local i = image:create_image { name = "c", data = DATA, disk_format = "raw", container_format = "bare", wait = false }
      assert.equal("queued", i.status)
      assert.equal(2, #calls())
    end)

    it("a missing or unreadable file fails before any request", function()
      local e = raises("InvalidArgument", image.create_image, image, { name = "x", filename = tmpdir .. "/nope.img" })
      assert.matches("cannot read the upload file " .. tmpdir .. "/nope.img", e.message, 1, true)
      e = raises("InvalidArgument", image.create_image, image, { name = "x", filename = tmpdir })
      assert.matches("cannot read the upload file", e.message, 1, true)
      assert.equal(0, #calls())
    end)

    it("a failed upload deletes the queued record and re-raises the failure", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PUT", V2 .. "/" .. IMG .. "/file", { status = 413, body = "413 Request Entity Too Large" })
      fx:route("DELETE", V2 .. "/" .. IMG, { status = 204 })
      local e = raises("PayloadTooLarge", image.create_image, image, { name = "c", data = DATA })
      assert.equal(413, e.status)
      assert.equal(1, fx:count("DELETE", V2 .. "/" .. IMG))
    end)

    it("use_import=true stages the data, then imports it with glance-direct", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PUT", V2 .. "/" .. IMG .. "/stage", { status = 204 })
      fx:route("POST", V2 .. "/" .. IMG .. "/import", { status = 202 })
      fx:route("GET", V2 .. "/" .. IMG, { { json = img { status = "importing" } }, { json = img() } })
      image:create_image { name = "c", data = DATA, use_import = true, stores = { "fast" }, interval = 0.01 }
      local c = calls()
      check(c[2], "PUT", V2 .. "/" .. IMG .. "/stage")
      assert.equal("application/octet-stream", c[2].headers["content-type"])
      assert.equal(DATA, c[2].body)
      check_json(c[3], "POST", V2 .. "/" .. IMG .. "/import", { method = { name = "glance-direct" }, stores = { "fast" } })
      assert.equal(5, #c)
    end)

    it("image_url imports with web-download (Image API 2.6) and waits", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("POST", V2 .. "/" .. IMG .. "/import", { status = 202 })
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      local i = image:create_image { name = "c", disk_format = "qcow2", container_format = "bare",
        image_url = "https://example.com/c.img", interval = 0.01 }
      local c = calls()
      check_json(c[2], "POST", V2 .. "/" .. IMG .. "/import",
        { method = { name = "web-download", uri = "https://example.com/c.img" } })
      assert.equal("active", i.status)
    end)

    it("a failed import (back to queued, os_glance_failed_import set) stops the wait with ResourceFailure", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("POST", V2 .. "/" .. IMG .. "/import", { status = 202 })
      fx:route("GET", V2 .. "/" .. IMG, { { json = img { status = "importing", os_glance_failed_import = "" } },
        { json = img { status = "queued", os_glance_failed_import = "fast" } } })
      local e = raises("ResourceFailure", image.create_image, image, { name = "c",
        image_url = "https://example.com/c.img", interval = 0.01 })
      assert.matches("the import of image " .. IMG .. " failed (stores: fast)", e.message, 1, true)
      assert.equal(2, fx:count("GET", V2 .. "/" .. IMG))
    end)

    it("image_url with import_data=false adds a location with a JSON patch", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PATCH", V2 .. "/" .. IMG, { json = img() })
      image:create_image { name = "c", image_url = "https://example.com/c.img", import_data = false, wait = false }
      local r = last()
      check_json(r, "PATCH", V2 .. "/" .. IMG, { { op = "add", path = "/locations/-",
        value = { url = "https://example.com/c.img", metadata = {} } } }, PATCH_TYPE)
      assert.matches('"metadata":{}', r.body, 1, true)
    end)
  end)

  describe("upload_image", function()
    it("needs container_format and disk_format: InvalidRequest before any request", function()
      local e = raises("InvalidRequest", image.upload_image, image, { name = "x", disk_format = "raw", data = DATA })
      assert.matches("container_format is required", e.message, 1, true)
      raises("InvalidRequest", image.upload_image, image, { name = "x", container_format = "bare", data = DATA })
      raises("InvalidRequest", image.upload_image, image, { name = "x", container_format = "bare", disk_format = "raw" })
      assert.equal(0, #calls())
    end)

    it("POSTs the record then PUTs the data, from a string, a reader function or a file handle", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("PUT", V2 .. "/" .. IMG .. "/file", { status = 204 })
      local i = image:upload_image { name = "c", container_format = "bare", disk_format = "raw", data = DATA }
      assert.equal(IMG, i.id)
      check_json(calls()[1], "POST", V2, { name = "c", container_format = "bare", disk_format = "raw" })
      assert.equal(DATA, last().body)
      assert.equal("application/octet-stream", last().headers["content-type"])
      local parts, n = { "abc", "", "def" }, 0
      image:upload_image { name = "c", container_format = "bare", disk_format = "raw",
        data = function() n = n + 1; return parts[n] end }
      assert.equal("abcdef", last().body)
      assert.equal("chunked", last().headers["transfer-encoding"])
      local f = assert(io.open(write_file(tmpdir .. "/h.img", DATA), "rb"))
      image:upload_image { name = "c", container_format = "bare", disk_format = "raw", data = f }
      f:close()
      assert.equal(DATA, last().body)
    end)

    it("a reader that returns a non-string fails the upload with a message naming it", function()
      fx:route("POST", V2, { status = 201, json = img { status = "queued" } })
      fx:route("DELETE", V2 .. "/" .. IMG, { status = 204 })
      local e = raises("InvalidArgument", image.upload_image, image, { name = "c", container_format = "bare",
        disk_format = "raw", data = function() return 42 end })
      assert.matches("the data reader must return strings", e.message, 1, true)
      -- (the aborted PUT may be recorded after the DELETE: the server logs it when it gives up reading)
      assert.equal(1, fx:count("DELETE", V2 .. "/" .. IMG))
    end)
  end)

  describe("update_image", function()
    it("PATCHes a JSON patch computed from the object: replace, add, remove, nothing for equal", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      fx:route("PATCH", V2 .. "/" .. IMG, { json = img { name = "new", min_ram = 512 } })
      local old = image:get_image(IMG)
      local u = image:update_image(old, { name = "new", min_ram = 512, os_distro = json.null, hw_disk_bus = "virtio",
        os_version = "6.2", is_protected = true, tags = { "ci" } })
      check_json(last(), "PATCH", V2 .. "/" .. IMG, {
        { op = "replace", path = "/min_ram", value = 512 },
        { op = "replace", path = "/name", value = "new" },
        { op = "remove", path = "/os_distro" },
        { op = "add", path = "/os_version", value = "6.2" },
        { op = "replace", path = "/protected", value = true },
      }, PATCH_TYPE)
      assert.equal("new", u.name)
    end)

    it("with a bare id every key is an add; JSON pointers escape ~ and /", function()
      fx:route("PATCH", V2 .. "/" .. IMG, { json = img() })
      image:update_image(IMG, { name = "x", ["a/b~c"] = "1" })
      check_json(last(), "PATCH", V2 .. "/" .. IMG, {
        { op = "add", path = "/a~1b~0c", value = "1" },
        { op = "add", path = "/name", value = "x" },
      }, PATCH_TYPE)
    end)

    it("sends nothing when nothing changed, and refuses read-only attributes", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      local old = image:get_image(IMG)
      assert.equal(old, image:update_image(old, { name = old.name, tags = { "ci" } }))
      assert.equal(1, #calls())
      raises("InvalidArgument", image.update_image, image, old, { checksum = "x" })
    end)
  end)

  describe("delete_image", function()
    it("DELETEs; a 404 is nil by default and ResourceNotFound with ignore_missing=false", function()
      fx:route("DELETE", V2 .. "/" .. IMG, { status = 204 })
      fx:route("DELETE", V2 .. "/" .. IMG2, not_found(IMG2))
      assert.is_nil(image:delete_image(IMG))
      check(last(), "DELETE", V2 .. "/" .. IMG)
      assert.equal("", last().headers.accept)
      assert.is_nil(image:delete_image(IMG2))
      local e = raises("ResourceNotFound", image.delete_image, image, IMG2, { ignore_missing = false })
      assert.equal(404, e.status)
    end)

    it("a protected image's 403 is raised as Forbidden", function()
      fx:route("DELETE", V2 .. "/" .. IMG, { status = 403, body = "403 Forbidden\n\nImage is protected" })
      raises("Forbidden", image.delete_image, image, IMG)
    end)
  end)

  -- ------------------------------------------------------------ properties
  describe("custom properties", function()
    it("get_image_properties returns only the non-schema keys", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      assert.same({ os_distro = "cirros", hw_disk_bus = "virtio" }, image:get_image_properties(IMG))
      check(last(), "GET", V2 .. "/" .. IMG)
    end)

    it("update_image_properties reads the image, then adds, replaces and removes in one PATCH", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      fx:route("PATCH", V2 .. "/" .. IMG, { json = img { os_distro = "ubuntu", hw_disk_bus = cjson.null } })
      local u = image:update_image_properties(IMG, { updated = { os_distro = "ubuntu", hw_rng_model = "virtio" },
        removed = { "hw_disk_bus", "not_there" } })
      local c = calls()
      check(c[1], "GET", V2 .. "/" .. IMG)
      check_json(c[2], "PATCH", V2 .. "/" .. IMG, {
        { op = "add", path = "/hw_rng_model", value = "virtio" },
        { op = "replace", path = "/os_distro", value = "ubuntu" },
        { op = "remove", path = "/hw_disk_bus" },
      }, PATCH_TYPE)
      assert.equal("ubuntu", u.os_distro)
    end)

    it("update_image_properties names unknown options and bad values", function()
      local e = raises("InvalidArgument", image.update_image_properties, image, IMG, { update = {} })
      assert.matches("unknown option 'update'", e.message, 1, true)
      e = raises("InvalidArgument", image.update_image_properties, image, IMG, { updated = { k = {} } })
      assert.matches("custom property 'k' must be a string", e.message, 1, true)
      raises("InvalidArgument", image.update_image_properties, image, IMG, { removed = { 1 } })
      assert.equal(0, #calls())
    end)
  end)

  -- ------------------------------------------------------------ small downloads
  describe("download_image (small)", function()
    it("returns the bytes, verified against the record's strongest hash (os_hash_value, sha512)", function()
      fx:route("GET", V2 .. "/" .. IMG, { json = img() })
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { headers = { ["Content-Type"] = "application/octet-stream" }, body = DATA })
      local data, info = image:download_image(IMG)
      assert.equal(DATA, data)
      assert.same({ "os_hash_value" }, info.verified)
      local c = calls()
      check(c[1], "GET", V2 .. "/" .. IMG)
      check(c[2], "GET", V2 .. "/" .. IMG .. "/file")
      assert.equal("application/octet-stream", c[2].headers.accept)
    end)

    it("uses the checksums of an image object without reading it again", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { body = DATA })
      local data, info = image:download_image(img())
      assert.equal(DATA, data)
      assert.same({ "os_hash_value" }, info.verified)
      assert.equal(1, #calls())
    end)

    it("falls back to md5 (Content-MD5 and checksum) for an image without os_hash_value", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { headers = { ["Content-MD5"] = digest("md5", DATA) }, body = DATA })
      local data, info = image:download_image(img { os_hash_algo = openstack.null, os_hash_value = openstack.null })
      assert.equal(DATA, data)
      assert.same({ "Content-MD5", "checksum" }, info.verified)
      local e = raises("ChecksumMismatch", image.download_image, image,
        img { os_hash_algo = openstack.null, os_hash_value = openstack.null, checksum = ("0"):rep(32) })
      assert.matches("checksum mismatch", e.message, 1, true)
    end)

    it("raises ChecksumMismatch when the data does not match the record", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { body = DATA })
      local e = raises("ChecksumMismatch", image.download_image, image, img { os_hash_value = ("0"):rep(128) })
      assert.matches("os_hash_value mismatch", e.message, 1, true)
      assert.is_true(e:is("InvalidResponse"))
    end)

    it("verify=false skips the checks and the extra GET", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { body = DATA })
      assert.equal(DATA, (image:download_image(IMG, { verify = false })))
      assert.equal(1, #calls())
    end)

    it("an image without data (204) gives nil; a missing image is ResourceNotFound before any download", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { status = 204 })
      assert.is_nil(image:download_image(img { status = "queued", checksum = cjson.null, os_hash_value = cjson.null,
        size = cjson.null }, { verify = false }))
      fx:route("GET", V2 .. "/" .. IMG2, not_found(IMG2))
      raises("ResourceNotFound", image.download_image, image, IMG2, { output = tmpdir .. "/never" })
      assert.is_nil(io.open(tmpdir .. "/never"))
      assert.equal(0, fx:count("GET", V2 .. "/" .. IMG2 .. "/file"))
    end)

    it("stream=true gives an iterator of chunks of the verified data", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/file", { body = DATA })
      local parts = {}
      for chunk in image:download_image(img(), { stream = true, chunk_size = 10 }) do parts[#parts + 1] = chunk end
      assert.equal(3, #parts)
      assert.equal(DATA, table.concat(parts))
    end)

    it("names bad options", function()
      local e = raises("InvalidArgument", image.download_image, image, IMG, { out = "x" })
      assert.matches("unknown option 'out'", e.message, 1, true)
      e = raises("InvalidArgument", image.download_image, image, IMG, { output = 42 })
      assert.matches("output must be a file path or a writer function, got number", e.message, 1, true)
      raises("InvalidArgument", image.download_image, image, IMG, { stream = true, output = "x" })
      assert.equal(0, #calls())
    end)
  end)

  -- ------------------------------------------------------------ actions, tags, members
  describe("image actions", function()
    it("deactivate_image and reactivate_image POST to /actions/...", function()
      fx:route("POST", V2 .. "/" .. IMG .. "/actions/deactivate", { status = 204 })
      fx:route("POST", V2 .. "/" .. IMG .. "/actions/reactivate", { status = 204 })
      image:deactivate_image(IMG)
      check(last(), "POST", V2 .. "/" .. IMG .. "/actions/deactivate")
      assert.equal("", last().body)
      image:reactivate_image(img())
      check(last(), "POST", V2 .. "/" .. IMG .. "/actions/reactivate")
    end)

    it("add_tag PUTs and remove_tag DELETEs /tags/{tag}", function()
      fx:route("PUT", V2 .. "/" .. IMG .. "/tags/web%20server", { status = 204 })
      fx:route("DELETE", V2 .. "/" .. IMG .. "/tags/web%20server", { status = 204 })
      image:add_tag(IMG, "web server")
      check(last(), "PUT", V2 .. "/" .. IMG .. "/tags/web%20server")
      image:remove_tag(IMG, "web server")
      check(last(), "DELETE", V2 .. "/" .. IMG .. "/tags/web%20server")
      raises("InvalidArgument", image.add_tag, image, IMG, 7)
    end)

    it("import_image posts the method, stores and the store header", function()
      fx:route("POST", V2 .. "/" .. IMG .. "/import", { status = 202 })
      local i = image:import_image(IMG, { method = "copy-image", stores = { "s1", "s2" }, all_stores_must_succeed = false })
      check_json(last(), "POST", V2 .. "/" .. IMG .. "/import",
        { method = { name = "copy-image" }, stores = { "s1", "s2" }, all_stores_must_succeed = false })
      assert.equal(IMG, i.id)
      image:import_image(IMG, { method = "web-download", uri = "http://x/y.img", store = "fast" })
      assert.equal("fast", last().headers["x-image-meta-store"])
      raises("InvalidArgument", image.import_image, image, IMG, { method = "web-download" })
      raises("InvalidArgument", image.import_image, image, IMG, { method = "ftp" })
    end)

    it("stage_image and upload_image_data PUT the data of an existing image", function()
      fx:route("PUT", V2 .. "/" .. IMG .. "/stage", { status = 204 })
      fx:route("PUT", V2 .. "/" .. IMG .. "/file", { status = 204 })
      image:stage_image(IMG, { data = DATA })
      check(last(), "PUT", V2 .. "/" .. IMG .. "/stage")
      assert.equal(DATA, last().body)
      image:upload_image_data(IMG, { data = DATA })
      check(last(), "PUT", V2 .. "/" .. IMG .. "/file")
      assert.equal("application/octet-stream", last().headers["content-type"])
    end)

    it("wait_for_image waits for active and fails on killed", function()
      fx:route("GET", V2 .. "/" .. IMG, { { json = img { status = "saving" } }, { json = img() } })
      fx:route("GET", V2 .. "/" .. IMG2, { json = img { id = IMG2, status = "killed" } })
      assert.equal("active", image:wait_for_image(IMG, { interval = 0.01 }).status)
      local e = raises("ResourceFailure", image.wait_for_image, image, IMG2, { interval = 0.01 })
      assert.matches("transitioned to failure state killed", e.message, 1, true)
    end)
  end)

  describe("members", function()
    local function member(over)
      local m = { created_at = "2024-05-05T17:15:10Z", image_id = IMG, member_id = "p2",
        schema = "/v2/schemas/member", status = "pending", updated_at = "2024-05-05T17:15:10Z" }
      for k, v in pairs(over or {}) do m[k] = v end
      return m
    end

    it("add_member shares the image with a project (POST {member})", function()
      fx:route("POST", V2 .. "/" .. IMG .. "/members", { json = member() })
      local m = image:add_member(IMG, "p2")
      check_json(last(), "POST", V2 .. "/" .. IMG .. "/members", { member = "p2" })
      assert.equal("pending", m.status)
      assert.equal("p2", m.member_id)
    end)

    it("members, get_member and find_member read /members", function()
      fx:route("GET", V2 .. "/" .. IMG .. "/members", { json = { members = { member() }, schema = "/v2/schemas/members" } })
      fx:route("GET", V2 .. "/" .. IMG .. "/members/p2", { json = member() })
      fx:route("GET", V2 .. "/" .. IMG .. "/members/p3", not_found("p3"))
      local ids = {}
      for m in image:members(IMG) do ids[#ids + 1] = m.member_id end
      assert.same({ "p2" }, ids)
      check(last(), "GET", V2 .. "/" .. IMG .. "/members")
      local m = image:get_member("p2", IMG)
      check(last(), "GET", V2 .. "/" .. IMG .. "/members/p2")
      assert.equal(IMG, m.image_id)
      assert.equal("p2", image:get_member(m).member_id) -- the image comes from the member
      raises("ResourceNotFound", image.get_member, image, "p3", IMG)
      assert.is_nil(image:find_member("p3", IMG))
    end)

    it("update_member accepts the share (PUT {status})", function()
      fx:route("PUT", V2 .. "/" .. IMG .. "/members/p2", { json = member { status = "accepted" } })
      local m = image:update_member("p2", IMG, { status = "accepted" })
      check_json(last(), "PUT", V2 .. "/" .. IMG .. "/members/p2", { status = "accepted" })
      assert.equal("accepted", m.status)
      raises("InvalidArgument", image.update_member, image, "p2", IMG, { status = "yes" })
    end)

    it("remove_member DELETEs; 404 nil by default, ResourceNotFound with ignore_missing=false", function()
      fx:route("DELETE", V2 .. "/" .. IMG .. "/members/p2", { status = 204 })
      fx:route("DELETE", V2 .. "/" .. IMG .. "/members/p3", not_found("p3"))
      assert.is_nil(image:remove_member("p2", IMG))
      check(last(), "DELETE", V2 .. "/" .. IMG .. "/members/p2")
      assert.is_nil(image:remove_member("p3", IMG))
      raises("ResourceNotFound", image.remove_member, image, "p3", IMG, { ignore_missing = false })
    end)
  end)

  -- ------------------------------------------------------------ metadefs and service info
  describe("metadefs", function()
    local NS = "/image/v2/metadefs/namespaces"
    local function namespace(name)
      return { created_at = "2014-08-28T17:13:06Z", description = "Choose the hypervisor",
        display_name = "Hypervisor Selection", namespace = name, owner = "admin", protected = true,
        resource_type_associations = { { created_at = "2014-08-28T17:13:06Z", name = "OS::Glance::Image" } },
        schema = "/v2/schemas/metadefs/namespace", self = "/v2/metadefs/namespaces/" .. name,
        updated_at = "2014-08-28T17:13:06Z", visibility = "public" }
    end

    it("metadef_namespaces sends the filters (resource_types joined by commas) and follows next", function()
      local q = { resource_types = "OS::Nova::Flavor,OS::Glance::Image", sort_key = "namespace", sort_dir = "asc",
        visibility = "public", limit = "1" }
      fx:route("GET", NS, { json = { namespaces = { namespace("OS::Compute::Hypervisor") },
        first = "/v2/metadefs/namespaces?limit=1", schema = "/v2/schemas/metadefs/namespaces",
        next = "/v2/metadefs/namespaces?limit=1&marker=OS::Compute::Hypervisor" } }, { query = q })
      fx:route("GET", NS, { json = { namespaces = { namespace("OS::Compute::Libvirt") },
        schema = "/v2/schemas/metadefs/namespaces" } }, { query = { limit = "1", marker = "OS::Compute::Hypervisor" } })
      fx:route("GET", NS, { json = { namespaces = fixture.empty_array } },
        { query = { limit = "1", marker = "OS::Compute::Libvirt" } })
      local names = {}
      for ns in image:metadef_namespaces { resource_types = { "OS::Nova::Flavor", "OS::Glance::Image" },
        sort_key = "namespace", sort_dir = "asc", visibility = "public", limit = 1 } do
        names[#names + 1] = ns.namespace
        assert.is_true(ns.is_protected)
      end
      assert.same({ "OS::Compute::Hypervisor", "OS::Compute::Libvirt" }, names)
      check(calls()[1], "GET", NS, q)
      raises("InvalidResourceQuery", image.metadef_namespaces, image, { resource_type = "x" })
    end)

    it("get, create, update and delete a namespace", function()
      fx:route("GET", NS .. "/OS::Compute::Hypervisor", { json = namespace("OS::Compute::Hypervisor") })
      fx:route("POST", NS, { status = 201, json = namespace("my::ns") })
      fx:route("PUT", NS .. "/my::ns", { json = namespace("my::ns") })
      fx:route("DELETE", NS .. "/my::ns", { status = 204 })
      fx:route("DELETE", NS .. "/gone", not_found("gone"))
      assert.equal("Hypervisor Selection", image:get_metadef_namespace("OS::Compute::Hypervisor").display_name)
      check(last(), "GET", NS .. "/OS::Compute::Hypervisor")
      local ns = image:create_metadef_namespace { namespace = "my::ns", display_name = "Mine", visibility = "private",
        is_protected = false }
      check_json(last(), "POST", NS, { namespace = "my::ns", display_name = "Mine", visibility = "private", protected = false })
      fx:route("GET", NS .. "/my::ns", { json = namespace("my::ns") })
      image:update_metadef_namespace(ns, { description = "d" })
      local c = calls()
      check(c[#c - 1], "GET", NS .. "/my::ns")
      -- a PUT replaces the record: what is not changed is sent as it is
      check_json(last(), "PUT", NS .. "/my::ns", { namespace = "my::ns", description = "d",
        display_name = "Hypervisor Selection", visibility = "public", protected = true })
      assert.is_nil(image:delete_metadef_namespace("my::ns"))
      check(last(), "DELETE", NS .. "/my::ns")
      assert.is_nil(image:delete_metadef_namespace("gone"))
      raises("ResourceNotFound", image.delete_metadef_namespace, image, "gone", { ignore_missing = false })
    end)

    it("metadef_resource_types lists once; associations list, create and delete", function()
      fx:route("GET", "/image/v2/metadefs/resource_types", { json = { resource_types = {
        { created_at = "2014-08-28T18:13:04Z", name = "OS::Glance::Image", updated_at = "2014-08-28T18:13:04Z" },
        { created_at = "2014-08-28T18:13:04Z", name = "OS::Cinder::Volume", updated_at = "2014-08-28T18:13:04Z" } } } })
      local names = {}
      for t in image:metadef_resource_types() do names[#names + 1] = t.name end
      assert.same({ "OS::Glance::Image", "OS::Cinder::Volume" }, names)
      check(last(), "GET", "/image/v2/metadefs/resource_types")
      local A = NS .. "/my::ns/resource_types"
      fx:route("GET", A, { json = { resource_type_associations = { { name = "OS::Glance::Image", prefix = "hw_" } } } })
      fx:route("POST", A, { status = 201, json = { name = "OS::Nova::Flavor", prefix = "hw:",
        created_at = "2014-08-28T18:13:04Z" } })
      fx:route("DELETE", A .. "/OS::Nova::Flavor", { status = 204 })
      for a in image:metadef_resource_type_associations { namespace = "my::ns" } do assert.equal("hw_", a.prefix) end
      check(last(), "GET", A)
      local a = image:create_metadef_resource_type_association("my::ns", { name = "OS::Nova::Flavor", prefix = "hw:" })
      check_json(last(), "POST", A, { name = "OS::Nova::Flavor", prefix = "hw:" })
      image:delete_metadef_resource_type_association(a, "my::ns")
      check(last(), "DELETE", A .. "/OS::Nova::Flavor")
    end)
  end)

  describe("service information", function()
    it("get_image_service_version reads the root's 300 document and picks the highest CURRENT", function()
      fx:route("GET", "/image/", { status = 300, json = { versions = {
        { id = "v2.9", status = "SUPPORTED", links = { { rel = "self", href = "{{base}}/image/v2/" } } },
        { id = "v2.16", status = "CURRENT", links = { { rel = "self", href = "{{base}}/image/v2/" } } },
        { id = "v2.2", status = "CURRENT", links = { { rel = "self", href = "{{base}}/image/v2/" } } },
      } } })
      local v = image:get_image_service_version()
      check(last(), "GET", "/image/")
      assert.equal("v2.16", v.id)
      assert.equal("CURRENT", v.status)
    end)

    it("stores lists /v2/info/stores, or /detail with details=true", function()
      fx:route("GET", "/image/v2/info/stores", { json = { stores = {
        { id = "fast", description = "Fast access", default = true }, { id = "cheap", description = "Cheap" } } } })
      fx:route("GET", "/image/v2/info/stores/detail", { json = { stores = {
        { id = "fast", type = "rbd", default = true, properties = { pool = "images" } } } } })
      local ids = {}
      for s in image:stores() do ids[#ids + 1] = s.id .. ":" .. tostring(s.is_default) end
      assert.same({ "fast:true", "cheap:nil" }, ids)
      check(last(), "GET", "/image/v2/info/stores")
      for s in image:stores { details = true } do assert.equal("images", s.properties.pool) end
      check(last(), "GET", "/image/v2/info/stores/detail")
    end)

    it("get_import_info reads /v2/info/import", function()
      fx:route("GET", "/image/v2/info/import", { json = { ["import-methods"] = { description = "Import methods available.",
        type = "array", value = { "glance-direct", "web-download", "copy-image" } } } })
      local info = image:get_import_info()
      check(last(), "GET", "/image/v2/info/import")
      assert.same({ "glance-direct", "web-download", "copy-image" }, info.import_methods.value)
    end)
  end)
end)
