-- Functional: Glance v2 (Image API 2.15, one file store "fs", glance-direct
-- import enabled): upload, create, import, download, update, properties,
-- tags, listing, members, deactivation, stores and metadefs.
local H = require "spec.functional.helpers"

local DATA = ("ostack-lua functional image data\n"):rep(512) -- 16 KiB

local function md5(s)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(s)
  f:close()
  local out = assert(io.popen("md5sum " .. name)):read("l")
  os.remove(name)
  return out:match("^(%x+)")
end

describe("functional: image (Glance)", function()
  local admin, demo
  local each = H.registry()
  local DATA_MD5

  local function track(conn, id)
    each:add("image " .. tostring(id), function() H.delete_image(admin, id) end)
    return id
  end

  -- a raw, active image to read from
  local function raw_image(conn, extra)
    conn = conn or admin
    local attrs = { name = H.name("img"), disk_format = "raw", container_format = "bare" }
    for k, v in pairs(extra or {}) do attrs[k] = v end
    local img = H.raw(conn, "image", "POST", "/v2/images", { json = attrs })
    track(conn, img.id)
    conn:request("image", "PUT", "/v2/images/" .. img.id .. "/file",
      { body = DATA, content_type = "application/octet-stream" })
    return H.image_settle(conn, img.id, "active")
  end

  setup(function()
    admin, demo = H.admin(), H.demo()
    DATA_MD5 = md5(DATA)
  end)
  after_each(function() each:run() end)
  teardown(function() each:run() end)

  describe("upload and create", function()
    it("uploads an image (POST then PUT file) that becomes active with the data's size and md5", function()
      local name = H.name("img-up")
      local img = admin.image:upload_image { name = name, container_format = "bare", disk_format = "raw",
        data = DATA }
      track(admin, img.id)
      assert.equal(name, img.name)
      local done = admin.image:wait_for_image(img.id, { interval = 0.5, wait = 60 })
      assert.equal("active", done.status)
      assert.equal(#DATA, done.size)
      assert.equal(DATA_MD5, done.checksum)
      assert.equal("sha512", done.hash_algo)
    end)

    it("refuses upload_image without both formats before any request (InvalidRequest)", function()
      local e = H.error_of(admin.image.upload_image, admin.image, { name = H.name("img-bad"), data = DATA })
      assert.equal("InvalidRequest", e.class)
    end)

    it("creates an image with data and custom properties and waits for it to be active", function()
      local name = H.name("img-create")
      local img = admin.image:create_image { name = name, disk_format = "raw", container_format = "bare",
        data = DATA, visibility = "private", min_ram = 16, ft_prop = "yes", properties = { ft_other = "2" },
        interval = 0.5 }
      track(admin, img.id)
      assert.equal("active", img.status)
      local got = admin.image:get_image(img.id)
      assert.equal("yes", got.ft_prop)
      assert.equal("2", got.ft_other)
      assert.equal(16, got.min_ram)
      assert.equal("private", got.visibility)
    end)

    it("creates an image record without data (queued)", function()
      local img = admin.image:create_image { name = H.name("img-empty"), disk_format = "raw",
        container_format = "bare" }
      track(admin, img.id)
      assert.equal("queued", img.status)
      -- no data: download gives nil (Glance answers 204)
      assert.is_nil(admin.image:download_image(img.id, { verify = false }))
    end)

    it("imports with glance-direct through create_image (use_import: stage, then import)", function()
      local img = admin.image:create_image { name = H.name("img-import"), disk_format = "raw",
        container_format = "bare", data = DATA, use_import = true, interval = 0.5, timeout = 60 }
      track(admin, img.id)
      assert.equal("active", img.status)
      assert.equal(#DATA, img.size)
      assert.equal("fs", img.stores)
    end)

    it("stages and imports step by step (stage_image, import_image glance-direct)", function()
      local img = admin.image:create_image { name = H.name("img-stage"), disk_format = "raw",
        container_format = "bare" }
      track(admin, img.id)
      admin.image:stage_image(img.id, { data = DATA })
      assert.equal("uploading", admin.image:get_image(img.id).status)
      admin.image:import_image(img.id, { method = "glance-direct" })
      local done = admin.image:wait_for_image(img.id, { interval = 0.5, wait = 60 })
      assert.equal(DATA_MD5, done.checksum)
    end)

    it("uploads data into an existing queued image (upload_image_data)", function()
      local img = admin.image:create_image { name = H.name("img-later"), disk_format = "raw",
        container_format = "bare" }
      track(admin, img.id)
      admin.image:upload_image_data(img.id, { data = DATA })
      assert.equal(#DATA, admin.image:wait_for_image(img.id, { interval = 0.5, wait = 60 }).size)
    end)

    -- web-download needs a URL that passes Glance's import filtering
    -- (ports 80/443 by default) and a network this cloud does not have
    it("reports Glance's refusal of a web-download URL it filters out, leaving no image record", function()
      local name = H.name("img-url")
      local e = H.error_of(admin.image.create_image, admin.image, { name = name, disk_format = "raw",
        container_format = "bare", image_url = "http://127.0.0.1:9292/versions" })
      assert.equal("BadRequest", e.class)
      assert.truthy(tostring(e.message):find("filtering", 1, true))
      assert.is_nil(H.any(admin.image:images { name = name }, function() return true end))
    end)

    -- adding a location needs show_multiple_locations, off here (and by default)
    it("reports Glance's refusal of an image location (import_data=false), leaving no image record", function()
      local name = H.name("img-loc")
      local e = H.error_of(admin.image.create_image, admin.image, { name = name, disk_format = "raw",
        container_format = "bare", image_url = "http://127.0.0.1:9292/versions", import_data = false })
      assert.equal("Forbidden", e.class)
      assert.truthy(tostring(e.message):find("locations", 1, true))
      assert.is_nil(H.any(admin.image:images { name = name }, function() return true end))
    end)

    it("reads the import methods (glance-direct, web-download, copy-image)", function()
      local info = admin.image:get_import_info()
      local methods = {}
      for _, m in ipairs(info.import_methods.value) do methods[m] = true end
      assert.is_true(methods["glance-direct"])
      assert.is_true(methods["web-download"])
    end)

    it("lists the stores (one default file store 'fs')", function()
      local stores = H.collect(admin.image:stores())
      assert.equal(1, #stores)
      assert.equal("fs", stores[1].id)
      -- Glance sends "default": "true" (a string)
      assert.is_true(stores[1].is_default == true or stores[1].is_default == "true")
    end)
  end)

  describe("download", function()
    it("downloads into a string and verifies it against the strongest recorded hash (sha512)", function()
      local img = raw_image()
      local data, result = admin.image:download_image(img.id)
      assert.equal(DATA, data)
      assert.equal(#DATA, result.bytes)
      -- Glance records os_hash_value (sha512): that one digest is what is checked
      assert.same({ "os_hash_value" }, result.verified)
      assert.equal(img.os_hash_value, result.digests.sha512)
    end)

    it("downloads into a file (output=path) and as a stream of chunks", function()
      local img = raw_image()
      local path = os.tmpname()
      local result = admin.image:download_image(img, { output = path })
      local f = assert(io.open(path, "rb"))
      local got = f:read("a")
      f:close()
      os.remove(path)
      assert.equal(DATA, got)
      assert.equal(path, result.path)
      local parts = {}
      for chunk in admin.image:download_image(img.id, { stream = true, chunk_size = 4096 }) do
        parts[#parts + 1] = chunk
      end
      assert.equal((#DATA + 4095) // 4096, #parts)
      assert.equal(DATA, table.concat(parts))
    end)
  end)

  describe("update, properties and tags", function()
    it("updates with a JSON patch computed from the old image (add, replace, remove)", function()
      local img = raw_image(admin, { ft_old = "1" })
      local current = admin.image:get_image(img.id)
      local u = admin.image:update_image(current, { name = img.name .. "-r", min_disk = 1, ft_new = "x",
        ft_old = H.null })
      assert.equal(img.name .. "-r", u.name)
      assert.equal(1, u.min_disk)
      assert.equal("x", u.ft_new)
      assert.is_nil(rawget(u, "ft_old"))
      -- nothing changed: the same object, no request
      assert.equal(u, admin.image:update_image(u, { ft_new = "x" }))
    end)

    it("refuses read-only attributes before sending", function()
      local img = raw_image()
      local e = H.error_of(admin.image.update_image, admin.image, img.id, { status = "active" })
      assert.is_true(e:is("InvalidArgument"))
    end)

    it("reads only the custom properties and updates/removes them in one patch", function()
      local img = raw_image(admin, { ft_a = "1", ft_b = "2" })
      local props = admin.image:get_image_properties(img.id)
      assert.equal("1", props.ft_a)
      assert.equal("2", props.ft_b)
      assert.is_nil(props.name)
      assert.is_nil(props.status)
      admin.image:update_image_properties(img.id, { updated = { ft_a = "10", ft_c = "3" }, removed = { "ft_b" } })
      props = admin.image:get_image_properties(img.id)
      assert.equal("10", props.ft_a)
      assert.equal("3", props.ft_c)
      assert.is_nil(props.ft_b)
    end)

    it("adds and removes tags and filters the list by tag", function()
      local img = raw_image()
      local tag = H.name("tag")
      admin.image:add_tag(img.id, tag)
      assert.same({ tag }, admin.image:get_image(img.id).tags)
      assert.is_not_nil(H.any(admin.image:images { tag = tag }, function(x) return x.id == img.id end))
      admin.image:remove_tag(img.id, tag)
      assert.same({}, admin.image:get_image(img.id).tags)
      assert.is_true(H.error_of(admin.image.remove_tag, admin.image, img.id, tag):is("NotFound"))
    end)
  end)

  describe("listing and finding", function()
    it("lists with filters (name, status, visibility) and finds by name and by id", function()
      -- (Glance's default visibility is "shared", so ask for private)
      local img = raw_image(admin, { visibility = "private" })
      assert.is_not_nil(H.any(admin.image:images { name = img.name }, function(x) return x.id == img.id end))
      assert.is_not_nil(H.any(admin.image:images { status = "active", visibility = "private" },
        function(x) return x.id == img.id end))
      assert.is_nil(H.any(admin.image:images { visibility = "public" }, function(x) return x.id == img.id end))
      assert.equal(img.id, admin.image:find_image(img.name).id)
      assert.equal(img.id, admin.image:find_image(img.id).id)
      assert.equal("tiny-image", demo.image:find_image("tiny-image").name)
      assert.is_nil(admin.image:find_image(H.name("none")))
      assert.equal("ResourceNotFound",
        H.error_of(admin.image.find_image, admin.image, H.name("none"), { ignore_missing = false }).class)
      assert.equal("ResourceNotFound",
        H.error_of(admin.image.get_image, admin.image, "00000000-0000-0000-0000-000000000000").class)
    end)

    it("raises DuplicateResource when two images share the name", function()
      local a = raw_image()
      raw_image(admin, { name = a.name })
      local e = H.error_of(admin.image.find_image, admin.image, a.name)
      assert.equal("DuplicateResource", e.class)
    end)

    it("pages with limit=1 through Glance's next links, in the requested order", function()
      local a, b = raw_image(), raw_image()
      local prefix_images = {}
      for x in admin.image:images { limit = 1, sort_key = "name", sort_dir = "asc" } do
        if x.id == a.id or x.id == b.id then prefix_images[#prefix_images + 1] = x.name end
      end
      assert.same({ a.name, b.name }, prefix_images)
      local n = 0
      for _ in admin.image:images { limit = 1, max_items = 2 } do n = n + 1 end
      assert.equal(2, n)
    end)
  end)

  describe("delete, protection, deactivation and members", function()
    it("deletes an image, ignoring a missing one unless asked", function()
      local img = raw_image()
      assert.is_nil(admin.image:delete_image(img.id))
      assert.equal("ResourceNotFound", H.error_of(admin.image.get_image, admin.image, img.id).class)
      assert.is_nil(admin.image:delete_image(img.id))
      assert.equal("ResourceNotFound",
        H.error_of(admin.image.delete_image, admin.image, img.id, { ignore_missing = false }).class)
    end)

    it("refuses to delete a protected image (Forbidden) until it is unprotected", function()
      local img = raw_image(admin, { protected = true })
      local e = H.error_of(admin.image.delete_image, admin.image, img.id)
      assert.equal("Forbidden", e.class)
      admin.image:update_image(admin.image:get_image(img.id), { is_protected = false })
      admin.image:delete_image(img.id)
    end)

    -- Glance still lets admins download a deactivated image: the owner (demo) is refused
    it("deactivates (the owner's downloads refused) and reactivates an image (admin)", function()
      local img = raw_image(demo)
      admin.image:deactivate_image(img.id)
      assert.equal("deactivated", demo.image:get_image(img.id).status)
      local e = H.error_of(demo.image.download_image, demo.image, img.id)
      assert.equal("Forbidden", e.class)
      assert.equal(DATA, (admin.image:download_image(img.id)))
      admin.image:reactivate_image(img.id)
      assert.equal("active", admin.image:get_image(img.id).status)
    end)

    it("shares an image with demo's project, which accepts it and sees it", function()
      local img = raw_image(admin, { visibility = "shared" })
      local pid = demo:authorize().project_id
      local m = admin.image:add_member(img.id, pid)
      assert.equal("pending", m.status)
      assert.equal(pid, m.member_id)
      assert.is_not_nil(H.any(admin.image:members(img.id), function(x) return x.member_id == pid end))
      demo.image:update_member(pid, img.id, { status = "accepted" })
      assert.equal("accepted", admin.image:get_member(pid, img.id).status)
      assert.is_not_nil(H.any(demo.image:images { visibility = "shared" }, function(x) return x.id == img.id end))
      admin.image:remove_member(pid, img.id)
      assert.is_nil(H.any(admin.image:members(img.id), function(x) return x.member_id == pid end))
    end)
  end)

  describe("metadefs", function()
    it("creates a namespace with a resource type association, lists, updates and deletes it", function()
      local ns = H.name("ns")
      local created = admin.image:create_metadef_namespace { namespace = ns, display_name = "FT namespace",
        description = "functional", visibility = "private" }
      each:add("namespace " .. ns, function() H.delete_metadef_namespace(admin, ns) end)
      assert.equal(ns, created.namespace)
      local got = admin.image:get_metadef_namespace(ns)
      assert.equal("FT namespace", got.display_name)
      admin.image:create_metadef_resource_type_association(ns, { name = "OS::Nova::Flavor", prefix = "ft:" })
      local assoc = H.collect(admin.image:metadef_resource_type_associations(ns))
      assert.equal(1, #assoc)
      assert.equal("OS::Nova::Flavor", assoc[1].name)
      assert.is_not_nil(H.any(admin.image:metadef_resource_types(), function(t) return t.name == "OS::Nova::Flavor" end))
      assert.is_not_nil(H.any(admin.image:metadef_namespaces { resource_types = "OS::Nova::Flavor" },
        function(n) return n.namespace == ns end))
      local paged = H.collect(admin.image:metadef_namespaces { limit = 1, sort_key = "namespace", sort_dir = "asc" })
      assert.is_not_nil(H.any(paged, function(n) return n.namespace == ns end))
      local u = admin.image:update_metadef_namespace(ns, { display_name = "FT renamed" })
      assert.equal("FT renamed", u.display_name)
      assert.equal("functional", admin.image:get_metadef_namespace(ns).description)
      admin.image:delete_metadef_resource_type_association("OS::Nova::Flavor", ns)
      assert.same({}, H.collect(admin.image:metadef_resource_type_associations(ns)))
      admin.image:delete_metadef_namespace(ns)
      assert.equal("ResourceNotFound", H.error_of(admin.image.get_metadef_namespace, admin.image, ns).class)
    end)
  end)
end)
