-- conn.compute server and image sub-resources: metadata (whole set and
-- single items), tags (2.26+), IP addresses and the server password.
local H = require "spec.openstack.services.compute_helper"
local json = require "openstack.json"

local SID, IID = H.SERVER_ID, H.IMAGE_ID

describe("compute sub-resources", function()
  local t = H.setup()

  -- Metadata behaves the same on servers and on compute images; images are
  -- capped at microversion 2.35 (the /images proxy is gone from 2.36).
  for _, case in ipairs {
    { kind = "server", base = "/servers/" .. SID, id = SID, mv = "2.91", class = "Server" },
    { kind = "image", base = "/images/" .. IID, id = IID, mv = "2.35", class = "Image" },
  } do
    local kind, base, mv = case.kind, case.base, case.mv
    local function m(name) return function(...) return t.compute[name](t.compute, ...) end end

    describe(kind .. " metadata", function()
      it("get_" .. kind .. "_metadata returns a " .. case.class .. " holding id and metadata", function()
        t:route("GET", base .. "/metadata", { json = { metadata = { foo = "Foo Value" } } })
        local r = m("get_" .. kind .. "_metadata")(case.id)
        H.check(t:only(), { method = "GET", path = base .. "/metadata", mv = mv, query = {} })
        assert.equal(case.id, r.id)
        assert.same({ foo = "Foo Value" }, r.metadata)
        assert.equal(case.class, tostring(r):match("^(%w+)%("))
      end)

      it("set_" .. kind .. "_metadata posts a merge and returns the whole set", function()
        t:route("POST", base .. "/metadata", { json = { metadata = { foo = "Foo Value", bar = "Bar" } } })
        local r = m("set_" .. kind .. "_metadata")({ id = case.id }, { bar = "Bar" })
        H.check(t:only(), { method = "POST", path = base .. "/metadata", mv = mv, json = { metadata = { bar = "Bar" } } })
        assert.same({ foo = "Foo Value", bar = "Bar" }, r.metadata)
      end)

      it("set_" .. kind .. "_metadata with an empty table makes no request", function()
        local r = m("set_" .. kind .. "_metadata")(case.id, {})
        assert.equal(0, t:count())
        assert.same({}, r.metadata)
        assert.equal(case.id, r.id)
      end)

      it("set_" .. kind .. "_metadata rejects non-string values before any request", function()
        H.assert_error(H.error_of(m("set_" .. kind .. "_metadata"), case.id, { count = 3 }),
          "InvalidArgument", "metadata value of 'count' must be a string")
        H.assert_error(H.error_of(m("set_" .. kind .. "_metadata"), case.id, { k = ("x"):rep(256) }),
          "InvalidArgument", "255")
        H.assert_error(H.error_of(m("set_" .. kind .. "_metadata"), case.id, "k=v"), "InvalidArgument", "metadata")
        assert.equal(0, t:count())
      end)

      it("replace_" .. kind .. "_metadata puts the whole set, {} included", function()
        t:route("PUT", base .. "/metadata", { json = { metadata = {} } })
        local r = m("replace_" .. kind .. "_metadata")(case.id, {})
        H.check(t:only(), { method = "PUT", path = base .. "/metadata", mv = mv, raw = '{"metadata":{}}' })
        assert.same({}, r.metadata)
      end)

      it("delete_" .. kind .. "_metadata sends one DELETE per key, in order", function()
        t:route("DELETE", base .. "/metadata/a", 204)
        t:route("DELETE", base .. "/metadata/b%2Fc", 204)
        assert.is_nil(m("delete_" .. kind .. "_metadata")(case.id, { "a", "b/c" }))
        local reqs = t:requests()
        assert.equal(2, #reqs)
        H.check(reqs[1], { method = "DELETE", path = base .. "/metadata/a", mv = mv, json = "none" })
        H.check(reqs[2], { method = "DELETE", path = base .. "/metadata/b%2Fc", mv = mv })
      end)

      it("delete_" .. kind .. "_metadata raises on a missing key and checks the key list first", function()
        t:route("DELETE", base .. "/metadata/nope", H.not_found("Metadata item was not found"))
        H.assert_error(H.error_of(m("delete_" .. kind .. "_metadata"), case.id, { "nope" }), "NotFound",
          "Metadata item was not found")
        t.fx:reset(); H.fixture.keystone_catalog(t.fx)
        H.assert_error(H.error_of(m("delete_" .. kind .. "_metadata"), case.id, { "a", 2 }), "InvalidArgument", "keys[2]")
        H.assert_error(H.error_of(m("delete_" .. kind .. "_metadata"), case.id, "a"), "InvalidArgument", "keys")
        assert.equal(0, t:count())
      end)

      it("get_" .. kind .. "_metadata_item returns the value, and raises on 404", function()
        t:route("GET", base .. "/metadata/foo", { json = { meta = { foo = "Foo Value" } } })
        assert.equal("Foo Value", m("get_" .. kind .. "_metadata_item")(case.id, "foo"))
        H.check(t:only(), { method = "GET", path = base .. "/metadata/foo", mv = mv })
        t:route("GET", base .. "/metadata/nope", H.not_found("Metadata item was not found"))
        H.assert_error(H.error_of(m("get_" .. kind .. "_metadata_item"), case.id, "nope"), "NotFound")
      end)

      it("set_" .. kind .. "_metadata_item puts {\"meta\": {key: value}}", function()
        t:route("PUT", base .. "/metadata/foo", { json = { meta = { foo = "Bar Value" } } })
        assert.equal("Bar Value", m("set_" .. kind .. "_metadata_item")(case.id, "foo", "Bar Value"))
        H.check(t:only(), { method = "PUT", path = base .. "/metadata/foo", mv = mv,
          json = { meta = { foo = "Bar Value" } } })
        H.assert_error(H.error_of(m("set_" .. kind .. "_metadata_item"), case.id, "foo", 1), "InvalidArgument", "string")
        assert.equal(1, t:count())
      end)
    end)
  end

  it("image metadata fails with MicroversionUnsupported before any request when the cloud's minimum is above 2.35", function()
    t.fx:reset()
    H.fixture.keystone_catalog(t.fx)
    local doc = { versions = { { id = "v2.1", status = "CURRENT", version = "2.93", min_version = "2.36",
      updated = "2013-07-23T11:33:21Z", links = { { rel = "self", href = "{{base}}/compute/v2.1/" } } } } }
    t.fx:route("GET", "/compute/", { json = doc })
    t.fx:route("GET", "/compute", { json = doc })
    local compute = t:connect().compute
    H.assert_error(H.error_of(compute.get_image_metadata, compute, IID), "MicroversionUnsupported", "2.35", "2.36")
    assert.equal(0, t:count())
  end)

  it("set_server_metadata on a Server object updates its metadata in place", function()
    t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
    t:route("POST", "/servers/" .. SID .. "/metadata", { json = { metadata = { ["My Server Name"] = "Apache1", a = "b" } } })
    local s = t.compute:get_server(SID)
    t.compute:set_server_metadata(s, { a = "b" })
    assert.equal("b", s.metadata.a)
  end)

  describe("server tags (microversion 2.26 or later)", function()
    local TAGS = "/servers/" .. SID .. "/tags"

    it("fetch_server_tags returns a Server with the tags", function()
      t:route("GET", TAGS, { json = { tags = { "tag1", "tag2" } } })
      local s = t.compute:fetch_server_tags(SID)
      H.check(t:only(), { method = "GET", path = TAGS, mv = "2.91" })
      assert.same({ "tag1", "tag2" }, s.tags)
      assert.equal(SID, s.id)
    end)

    it("set_server_tags replaces all tags, [] included", function()
      t:route("PUT", TAGS, { json = { tags = { "tag1", "tag2" } } })
      local s = t.compute:set_server_tags(SID, { "tag1", "tag2" })
      H.check(t:only(), { method = "PUT", path = TAGS, mv = "2.91", raw = '{"tags":["tag1","tag2"]}' })
      assert.same({ "tag1", "tag2" }, s.tags)
      t.fx:reset(); H.fixture.keystone_catalog(t.fx)
      t:route("PUT", TAGS, { json = { tags = H.empty_array } })
      t.compute:set_server_tags(SID, {})
      H.check(t:only(), { raw = '{"tags":[]}' })
    end)

    it("set_server_tags rejects more than 50 tags, and tags with / or , or over 60 characters", function()
      local many = {}
      for i = 1, 51 do many[i] = "t" .. i end
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, many), "InvalidArgument", "50")
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, { "a/b" }), "InvalidArgument", "a/b")
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, { "a,b" }), "InvalidArgument", "a,b")
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, { ("x"):rep(61) }), "InvalidArgument", "60")
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, { "" }), "InvalidArgument", "tag")
      H.assert_error(H.error_of(t.compute.set_server_tags, t.compute, SID, "a"), "InvalidArgument", "tags")
      assert.equal(0, t:count())
    end)

    it("remove_tags_from_server deletes them all", function()
      t:route("DELETE", TAGS, 204)
      assert.is_nil(t.compute:remove_tags_from_server(SID))
      H.check(t:only(), { method = "DELETE", path = TAGS, mv = "2.91", json = "none" })
    end)

    it("check_server_tag answers true on 204 and false on 404", function()
      t:route("GET", TAGS .. "/tag1", 204)
      t:route("GET", TAGS .. "/nope", H.not_found("Tag nope not found"))
      assert.is_true(t.compute:check_server_tag(SID, "tag1"))
      assert.is_false(t.compute:check_server_tag(SID, "nope"))
      H.check(t:requests()[1], { method = "GET", path = TAGS .. "/tag1", mv = "2.91" })
    end)

    it("check_server_tag still raises other errors", function()
      t:route("GET", TAGS .. "/t", H.fault(403, "forbidden", "Policy doesn't allow"))
      H.assert_error(H.error_of(t.compute.check_server_tag, t.compute, SID, "t"), "Forbidden")
    end)

    it("add_tag_to_server puts the tag with no body", function()
      t:route("PUT", TAGS .. "/tag%20one", 201)
      assert.is_nil(t.compute:add_tag_to_server(SID, "tag one"))
      H.check(t:only(), { method = "PUT", path = TAGS .. "/tag%20one", mv = "2.91", json = "none" })
      H.assert_error(H.error_of(t.compute.add_tag_to_server, t.compute, SID, "a/b"), "InvalidArgument", "a/b")
    end)

    it("remove_tag_from_server deletes one tag and raises on 404", function()
      t:route("DELETE", TAGS .. "/tag1", 204)
      t:route("DELETE", TAGS .. "/nope", H.not_found("Tag nope not found"))
      t.compute:remove_tag_from_server(SID, "tag1")
      H.check(t:only(), { method = "DELETE", path = TAGS .. "/tag1", mv = "2.91" })
      H.assert_error(H.error_of(t.compute.remove_tag_from_server, t.compute, SID, "nope"), "NotFound", "not found")
    end)

    it("every tag call fails with MicroversionUnsupported before any request below 2.26", function()
      local compute = t:cloud("2.25")
      for _, call in ipairs {
        function() compute:fetch_server_tags(SID) end, function() compute:set_server_tags(SID, { "a" }) end,
        function() compute:remove_tags_from_server(SID) end, function() compute:check_server_tag(SID, "a") end,
        function() compute:add_tag_to_server(SID, "a") end, function() compute:remove_tag_from_server(SID, "a") end,
      } do
        H.assert_error(H.error_of(call), "MicroversionUnsupported", "2.26", "2.25")
      end
      assert.equal(0, t:count())
    end)
  end)

  describe("server_ips", function()
    it("yields one ServerIP per address, across networks", function()
      t:route("GET", "/servers/" .. SID .. "/ips", { json = { addresses = {
        private = { { addr = "192.168.1.30", version = 4 }, { addr = "fe80::1", version = 6 } },
        public = { { addr = "172.24.4.8", version = 4 } },
      } } })
      local ips = H.collect(t.compute:server_ips(SID))
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID .. "/ips", mv = "2.91", query = {} })
      assert.equal(3, #ips)
      assert.same({ "192.168.1.30", 4, "private", SID }, { ips[1].address, ips[1].version, ips[1].network_label,
        ips[1].server_id })
      assert.same({ "fe80::1", 6, "private" }, { ips[2].address, ips[2].version, ips[2].network_label })
      assert.same({ "172.24.4.8", "public" }, { ips[3].address, ips[3].network_label })
    end)

    it("reads one network with network_label", function()
      t:route("GET", "/servers/" .. SID .. "/ips/private", { json = { private = { { addr = "192.168.1.30", version = 4 } } } })
      local ips = H.collect(t.compute:server_ips(SID, { network_label = "private" }))
      H.check(t:only(), { path = "/servers/" .. SID .. "/ips/private" })
      assert.equal(1, #ips)
      assert.equal("private", ips[1].network_label)
    end)

    it("raises NotFound for a missing server", function()
      t:route("GET", "/servers/gone/ips", H.not_found())
      H.assert_error(H.error_of(t.compute.server_ips, t.compute, "gone"), "NotFound")
    end)
  end)

  describe("get_server_password", function()
    it("returns the password string", function()
      t:route("GET", "/servers/" .. SID .. "/os-server-password", { json = { password = "xlozO3wLCBRWAa2yDjCCVx8vwNPypxnypmRYDa/zErlQ+EzPe1S/Gz6nfmC52mOlOSCRuUOmG7kqqgejPof6M7bOezS387zjq4LSvvwp28zUknzy4YzfFGhnHAdai3TxUJ26pfQCYrq8UTzmKF2Bq8ioSEtVVzM0A96pDh8W2i7BOz6MdoiVyiev/I1K2LsuipfxSJR7Wdke4zNXJjHHP2RfYsVbZ/k9ANu+Nz4iIH8/7Cacud/pphH7EjrY6a4RZNrjQskrhKYed0YERpotyjYk1eDtRe72GrSiXteqCM4biaQ5w3ruS+AcX//PXk3uJ5kC7d67fPXaVz4WaQRYMg==" } })
      local pw = t.compute:get_server_password(SID)
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID .. "/os-server-password", mv = "2.91" })
      assert.equal("string", type(pw))
      assert.equal("xlozO3wLCBRWAa2y", pw:sub(1, 16))
    end)

    it("returns \"\" when no password is set", function()
      t:route("GET", "/servers/" .. SID .. "/os-server-password", { json = { password = "" } })
      assert.equal("", t.compute:get_server_password(SID))
    end)
  end)

  it("json null metadata values are refused", function()
    H.assert_error(H.error_of(t.compute.set_server_metadata, t.compute, SID, { a = json.null }), "InvalidArgument", "'a'")
  end)
end)
