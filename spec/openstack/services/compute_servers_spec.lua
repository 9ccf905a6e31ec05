-- conn.compute servers: create, update, delete, get, find, list, waits and
-- the natural methods of Server objects.
local H = require "spec.openstack.services.compute_helper"
local json = require "openstack.json"

local SID = H.SERVER_ID

describe("compute servers", function()
  local t = H.setup()

  describe("create_server", function()
    it("posts the server, with hints at the top level and availability_zone/user_data renamed", function()
      t:route("POST", "/servers", { status = 202, headers = { Location = "http://nova/v2.1/servers/" .. SID },
        json = { server = { id = SID, adminPass = "wqLJXwmwbiyg", ["OS-DCF:diskConfig"] = "AUTO",
          security_groups = { { name = "default" } }, links = {} } } })
      local s = t.compute:create_server {
        name = "new-server-test", flavor_id = H.FLAVOR_ID, imageRef = H.IMAGE_ID,
        networks = { { uuid = "ff608d40-75e9-48cb-b745-77bb55b5eaf2" } },
        availability_zone = "nova", user_data = "IyEvYmluL2Jhc2g=", metadata = { hello = "world" },
        scheduler_hints = { group = "4f7e0fc6-7e1b-4f57-9e8e-0d3a1f3b5c4b" }, disk_config = "AUTO",
        security_groups = { { name = "default" } }, key_name = "keypair-1",
      }
      H.check(t:only(), { method = "POST", path = "/servers", mv = "2.91", query = {}, json = {
        server = {
          name = "new-server-test", flavorRef = H.FLAVOR_ID, imageRef = H.IMAGE_ID,
          networks = { { uuid = "ff608d40-75e9-48cb-b745-77bb55b5eaf2" } },
          availability_zone = "nova", user_data = "IyEvYmluL2Jhc2g=", metadata = { hello = "world" },
          ["OS-DCF:diskConfig"] = "AUTO", security_groups = { { name = "default" } }, key_name = "keypair-1",
        },
        ["OS-SCH-HNT:scheduler_hints"] = { group = "4f7e0fc6-7e1b-4f57-9e8e-0d3a1f3b5c4b" },
      } })
      assert.equal(SID, s.id)
      assert.equal("wqLJXwmwbiyg", s.admin_password)
      assert.equal("AUTO", s.disk_config)
    end)

    it("takes a Flavor object for flavor_id and sends its id", function()
      t:route("POST", "/servers", { status = 202, json = { server = { id = SID } } })
      t.compute:create_server { name = "a", flavor_id = { id = "42", name = "m1.small" }, networks = "none" }
      assert.same({ name = "a", flavorRef = "42", networks = "none" }, t:only().json.server)
    end)

    it("sends an empty networks list as [] and not as {}", function()
      t:route("POST", "/servers", { status = 202, json = { server = { id = SID } } })
      t.compute:create_server { name = "a", flavorRef = "1", networks = {} }
      assert.equal('{"server":{"flavorRef":"1","name":"a","networks":[]}}', t:only().body)
    end)

    it("rejects a missing name or flavor before any request", function()
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { flavorRef = "1", networks = "auto" }),
        "InvalidArgument", "create_server", "'name'")
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { name = "a", networks = "auto" }),
        "InvalidArgument", "'flavor_id'")
      assert.equal(0, t:count())
    end)

    it("rejects an unknown attribute and a wrongly typed one before any request", function()
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { name = "a", flavorRef = "1", flavour = "x" }),
        "InvalidArgument", "unknown attribute 'flavour'")
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { name = 5, flavorRef = "1" }),
        "InvalidArgument", "'name' must be string")
      assert.equal(0, t:count())
    end)

    it("requires networks from microversion 2.37 and rejects bad networks values", function()
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { name = "a", flavorRef = "1" }),
        "InvalidArgument", "'networks' is required")
      H.assert_error(H.error_of(t.compute.create_server, t.compute, { name = "a", flavorRef = "1", networks = "all" }),
        "InvalidArgument", "networks")
      assert.equal(0, t:count())
    end)

    it("lets networks out below 2.37, at the cloud's maximum", function()
      local compute = t:cloud("2.36")
      t:route("POST", "/servers", { status = 202, json = { server = { id = SID } } })
      compute:create_server { name = "a", flavorRef = "1" }
      H.check(t:only(), { mv = "2.36", json = { server = { name = "a", flavorRef = "1" } } })
    end)

    it("caps the microversion at 2.56 when personality is sent", function()
      t:route("POST", "/servers", { status = 202, json = { server = { id = SID } } })
      t.compute:create_server { name = "a", flavorRef = "1", networks = "auto",
        personality = { { path = "/etc/motd", contents = "aGVsbG8=" } } }
      H.check(t:only(), { mv = "2.56" })
    end)

    it("rejects attributes whose microversion ranges cannot meet", function()
      local err = H.error_of(t.compute.create_server, t.compute, { name = "a", flavorRef = "1", networks = "auto",
        personality = { { path = "/p", contents = "eA==" } }, trusted_image_certificates = { "cert" } })
      H.assert_error(err, "InvalidArgument", "'personality'", "'trusted_image_certificates'", "2.63", "2.56")
      assert.equal(0, t:count())
    end)

    it("fails with MicroversionUnsupported before any request when an attribute needs more than the cloud has", function()
      local compute = t:cloud("2.10")
      local err = H.error_of(compute.create_server, compute, { name = "a", flavorRef = "1", description = "d" })
      H.assert_error(err, "MicroversionUnsupported", "'description'", "2.19", "2.10")
      assert.equal(0, t:count())
    end)
  end)

  describe("update_server", function()
    it("puts only the changed attributes and returns the updated server", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      t:route("PUT", "/servers/" .. SID, { json = { server = H.server { name = "renamed", accessIPv4 = "4.3.2.1" } } })
      local s = t.compute:get_server(SID)
      local u = t.compute:update_server(s, { name = "renamed", access_ipv4 = "4.3.2.1", accessIPv6 = "80fe::" })
      local reqs = t:requests()
      assert.equal(2, #reqs)
      H.check(reqs[2], { method = "PUT", path = "/servers/" .. SID, mv = "2.91",
        json = { server = { name = "renamed", accessIPv4 = "4.3.2.1" } } })
      assert.equal("renamed", u.name)
      assert.equal("4.3.2.1", u.access_ipv4)
    end)

    it("makes no request when nothing changed", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      local s = t.compute:get_server(SID)
      local u = t.compute:update_server(s, { name = "new-server-test" })
      assert.equal(1, t:count())
      assert.equal(s, u)
    end)

    it("sends hostname under its own name and description with the default microversion", function()
      t:route("PUT", "/servers/" .. SID, { json = { server = H.server { description = "d" } } })
      t.compute:update_server(SID, { hostname = "web-1", description = "d" })
      H.check(t:only(), { mv = "2.91", json = { server = { hostname = "web-1", description = "d" } } })
    end)

    it("rejects attributes Nova cannot update and bad disk_config values before any request", function()
      H.assert_error(H.error_of(t.compute.update_server, t.compute, SID, { key_name = "k" }),
        "InvalidArgument", "'key_name' cannot be updated")
      H.assert_error(H.error_of(t.compute.update_server, t.compute, SID, { disk_config = "auto" }),
        "InvalidArgument", "disk_config")
      assert.equal(0, t:count())
    end)
  end)

  describe("delete_server", function()
    it("sends DELETE with an empty Accept and returns nil", function()
      t:route("DELETE", "/servers/" .. SID, 204)
      assert.is_nil(t.compute:delete_server(SID))
      local r = H.check(t:only(), { method = "DELETE", path = "/servers/" .. SID, mv = "2.91", json = "none" })
      assert.equal("", r.headers.accept or "")
    end)

    it("accepts a Server object and a plain table", function()
      t:route("DELETE", "/servers/" .. SID, 204)
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      t.compute:delete_server(t.compute:get_server(SID))
      t.compute:delete_server({ id = SID })
      assert.equal(2, t.fx:count("DELETE", H.BASE .. "/servers/" .. SID))
    end)

    it("swallows a 404 by default and raises ResourceNotFound with ignore_missing=false", function()
      t:route("DELETE", "/servers/gone", H.not_found("Instance gone could not be found."))
      assert.is_nil(t.compute:delete_server("gone"))
      local err = H.error_of(t.compute.delete_server, t.compute, "gone", { ignore_missing = false })
      H.assert_error(err, "ResourceNotFound", "No Server found for gone", "could not be found")
      assert.is_true(err:is("NotFound"))
      assert.equal(404, err.status)
    end)

    it("raises a 409 (locked server) whatever ignore_missing says", function()
      t:route("DELETE", "/servers/" .. SID, H.fault(409, "conflictingRequest", "Instance is locked"))
      H.assert_error(H.error_of(t.compute.delete_server, t.compute, SID), "Conflict", "locked")
    end)

    it("uses the forceDelete action with force=true, with the same 404 handling", function()
      t:route("POST", "/servers/" .. SID .. "/action", 202)
      t.compute:delete_server(SID, { force = true })
      H.check(t:only(), { method = "POST", path = "/servers/" .. SID .. "/action", raw = '{"forceDelete":null}',
        mv = "2.91" })
      t:route("POST", "/servers/gone/action", H.not_found())
      assert.is_nil(t.compute:delete_server("gone", { force = true }))
      H.assert_error(H.error_of(t.compute.delete_server, t.compute, "gone", { force = true, ignore_missing = false }),
        "ResourceNotFound", "gone")
    end)
  end)

  describe("get_server", function()
    it("gets one server and exposes friendly names for the extension keys", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      local s = t.compute:get_server(SID)
      H.check(t:only(), { method = "GET", path = "/servers/" .. SID, mv = "2.91", query = {} })
      assert.equal("active", s.vm_state)
      assert.equal(1, s.power_state)
      assert.equal("nova", s.availability_zone)
      assert.equal("6f70656e737461636b20342065766572", s.project_id)
      assert.equal("fake-mini", s.hypervisor_hostname)
      assert.equal("2019-04-23T15:19:09Z", s.created_at)
      assert.equal("m1.tiny", s.flavor.original_name)
      assert.equal(json.null, s.task_state)
      assert.equal("active", s["OS-EXT-STS:vm_state"])
    end)

    it("raises ResourceNotFound on 404, even with ignore_missing", function()
      t:route("GET", "/servers/nope", H.not_found("Instance nope could not be found."))
      H.assert_error(H.error_of(t.compute.get_server, t.compute, "nope"), "ResourceNotFound", "No Server found for nope")
      H.assert_error(H.error_of(t.compute.get_server, t.compute, "nope", { ignore_missing = true }), "ResourceNotFound")
    end)

    it("rejects a missing or ill-typed server before any request", function()
      H.assert_error(H.error_of(t.compute.get_server, t.compute), "InvalidArgument", "get_server")
      H.assert_error(H.error_of(t.compute.get_server, t.compute, true), "InvalidArgument", "get_server")
      assert.equal(0, t:count())
    end)
  end)

  describe("find_server", function()
    it("returns the server found by id with one request", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      assert.equal(SID, t.compute:find_server(SID).id)
      assert.equal(1, t:count())
    end)

    it("falls back to the name filter and keeps exact matches only", function()
      t:route("GET", "/servers/web", H.not_found())
      t:route("GET", "/servers/detail", { json = { servers = {
        H.server { id = "id-webby", name = "webby" }, H.server { id = "id-web", name = "web" } } } })
      local s = t.compute:find_server("web")
      assert.equal("id-web", s.id)
      local reqs = t:requests()
      assert.equal(2, #reqs)
      H.check(reqs[2], { method = "GET", path = "/servers/detail", query = { name = "web" }, mv = "2.91" })
    end)

    it("raises DuplicateResource naming the candidates", function()
      t:route("GET", "/servers/web", H.not_found())
      t:route("GET", "/servers/detail", { json = { servers = {
        H.server { id = "id-1", name = "web" }, H.server { id = "id-2", name = "web" } } } })
      H.assert_error(H.error_of(t.compute.find_server, t.compute, "web"), "DuplicateResource",
        "More than one Server exists with the name 'web'", "id-1", "id-2")
    end)

    it("returns nil when nothing matches, or raises ResourceNotFound with ignore_missing=false", function()
      t:route("GET", "/servers/ghost", H.not_found())
      t:route("GET", "/servers/detail", { json = { servers = H.empty_array } })
      assert.is_nil(t.compute:find_server("ghost"))
      H.assert_error(H.error_of(t.compute.find_server, t.compute, "ghost", { ignore_missing = false }),
        "ResourceNotFound", "ghost")
    end)
  end)

  describe("servers", function()
    it("lists /servers/detail lazily, with filters under their wire names", function()
      t:route("GET", "/servers/detail", { json = { servers = { H.server() } } })
      local iter = t.compute:servers { status = "ACTIVE", changes_since = "2019-01-01T00:00:00Z",
        ipv4_address = "10.0.0.1", tags_any = "a,b", not_tags = "c", all_tenants = true, is_deleted = false,
        flavor = "1", sort_key = "name", sort_dir = "asc" }
      assert.equal(0, t:count())
      local list = H.collect(iter)
      H.check(t:only(), { method = "GET", path = "/servers/detail", mv = "2.91", query = {
        status = "ACTIVE", ["changes-since"] = "2019-01-01T00:00:00Z", ip = "10.0.0.1", ["tags-any"] = "a,b",
        ["not-tags"] = "c", all_tenants = "true", deleted = "false", flavor = "1", sort_key = "name",
        sort_dir = "asc" } })
      assert.equal(1, #list)
      assert.equal("active", list[1].vm_state)
    end)

    it("lists the summary path with details=false", function()
      t:route("GET", "/servers", { json = { servers = { { id = SID, name = "s", links = {} } } } })
      local list = H.collect(t.compute:servers { details = false })
      H.check(t:only(), { path = "/servers", query = {} })
      assert.equal("s", list[1].name)
    end)

    it("follows servers_links and honours limit and max_items", function()
      t:route("GET", "/servers/detail", { json = { servers = { H.server { id = "a" }, H.server { id = "b" } },
        servers_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/servers/detail?limit=2&marker=b" } } } },
        { query = { limit = "2" } })
      t:route("GET", "/servers/detail", { json = { servers = { H.server { id = "c" } } } },
        { query = { limit = "2", marker = "b" } })
      local ids = {}
      for s in t.compute:servers { limit = 2 } do ids[#ids + 1] = s.id end
      assert.same({ "a", "b", "c" }, ids)
      assert.equal(2, t:count())
      t.fx:reset()
      t:cloud()
      t:route("GET", "/servers/detail", { json = { servers = { H.server { id = "a" }, H.server { id = "b" } },
        servers_links = { { rel = "next", href = "{{base}}" .. H.BASE .. "/servers/detail?marker=b" } } } })
      assert.equal(1, #H.collect(t.compute:servers { max_items = 1 }))
      assert.equal(1, t:count())
    end)

    it("rejects an unknown filter and a bad limit before any request", function()
      H.assert_error(H.error_of(t.compute.servers, t.compute, { colour = "blue" }), "InvalidResourceQuery", "colour")
      H.assert_error(H.error_of(t.compute.servers, t.compute, { limit = 0 }), "InvalidArgument", "limit")
      assert.equal(0, t:count())
    end)
  end)

  describe("wait_for_server", function()
    it("returns at once, without a request, when the object already has the status", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      local s = t.compute:get_server(SID)
      assert.equal(s, t.compute:wait_for_server(s))
      assert.equal(1, t:count())
    end)

    it("polls until the status is reached, comparing case-insensitively, and calls back", function()
      t:route("GET", "/servers/" .. SID, {
        { json = { server = H.server { status = "BUILD", progress = 10 } } },
        { json = { server = H.server { status = "active", progress = 100 } } },
      })
      local seen = {}
      local s = t.compute:wait_for_server(SID, { interval = 0.01, wait = 5,
        callback = function(progress) seen[#seen + 1] = progress end })
      assert.equal("active", s.status)
      assert.equal(2, t:count())
      assert.same({ 10, 100 }, seen)
    end)

    it("raises ResourceFailure with the fault message on ERROR", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server { status = "ERROR",
        fault = { code = 500, created = "2019-04-23T15:19:10Z", message = "No valid host was found." } } } })
      local err = H.error_of(t.compute.wait_for_server, t.compute, SID, { interval = 0.01 })
      H.assert_error(err, "ResourceFailure", "Server:" .. SID, "ERROR", "No valid host was found.")
    end)

    it("treats the given failures list as the failure states", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server { status = "SHUTOFF" } } })
      H.assert_error(H.error_of(t.compute.wait_for_server, t.compute, SID,
        { failures = { "shutoff" }, interval = 0.01 }), "ResourceFailure", "SHUTOFF")
    end)

    it("raises ResourceTimeout after wait seconds", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server { status = "BUILD" } } })
      local t0 = os.time()
      local err = H.error_of(t.compute.wait_for_server, t.compute, SID, { interval = 0.05, wait = 0.2 })
      H.assert_error(err, "ResourceTimeout", "Timeout waiting for Server:" .. SID, "ACTIVE")
      assert.is_true(t:count() >= 2)
      assert.is_true(os.time() - t0 <= 2)
    end)

    it("waits for another status with the generic wait_for_status", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server { status = "SHUTOFF" } } })
      local s = t.compute:wait_for_status(t.compute:get_server(SID), { status = "SHUTOFF", interval = 0.01 })
      assert.equal("SHUTOFF", s.status)
    end)

    it("wait_for_delete returns once the server answers 404", function()
      t:route("GET", "/servers/" .. SID, { { json = { server = H.server { status = "ACTIVE", ["OS-EXT-STS:task_state"] = "deleting" } } },
        H.not_found() })
      local s = json.decode(json.encode { id = SID })
      local server = t.compute:get_server(s.id)
      assert.equal(server, t.compute:wait_for_delete(server, { interval = 0.01, wait = 5 }))
      assert.equal(2, t:count())
    end)
  end)

  describe("Server natural methods", function()
    it("delegate to the proxy: reboot, delete, set_metadata, add_tag, wait_for", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      t:route("POST", "/servers/" .. SID .. "/action", 202)
      t:route("POST", "/servers/" .. SID .. "/metadata", { json = { metadata = { a = "1", ["My Server Name"] = "Apache1" } } })
      t:route("PUT", "/servers/" .. SID .. "/tags/blue", 201)
      t:route("DELETE", "/servers/" .. SID, 204)
      local s = t.compute:get_server(SID)
      s:reboot("HARD")
      s:set_metadata { a = "1" }
      s:add_tag("blue")
      assert.equal(s, s:wait_for { status = "ACTIVE" })
      s:delete()
      local reqs = t:requests()
      assert.equal(5, #reqs)
      H.check(reqs[2], { method = "POST", path = "/servers/" .. SID .. "/action", json = { reboot = { type = "HARD" } } })
      H.check(reqs[3], { method = "POST", path = "/servers/" .. SID .. "/metadata", json = { metadata = { a = "1" } } })
      H.check(reqs[4], { method = "PUT", path = "/servers/" .. SID .. "/tags/blue" })
      H.check(reqs[5], { method = "DELETE", path = "/servers/" .. SID })
      assert.equal("1", s.metadata.a)
    end)

    it("each action method posts what the proxy method of the same meaning posts", function()
      local cases = {
        { "start", {}, '{"os-start":null}' }, { "stop", {}, '{"os-stop":null}' },
        { "pause", {}, '{"pause":null}' }, { "unpause", {}, '{"unpause":null}' },
        { "suspend", {}, '{"suspend":null}' }, { "resume", {}, '{"resume":null}' },
        { "lock", {}, '{"lock":null}' }, { "unlock", {}, '{"unlock":null}' },
        { "rescue", {}, '{"rescue":{}}' }, { "unrescue", {}, '{"unrescue":null}' },
        { "shelve", {}, '{"shelve":null}' }, { "unshelve", {}, '{"unshelve":null}' },
        { "resize", { "2" }, '{"resize":{"flavorRef":"2"}}' }, { "confirm_resize", {}, '{"confirmResize":null}' },
        { "revert_resize", {}, '{"revertResize":null}' }, { "migrate", {}, '{"migrate":null}' },
        { "create_image", { "snap" }, '{"createImage":{"name":"snap"}}' },
        { "backup", { "b", "daily", 2 }, '{"createBackup":{"backup_type":"daily","name":"b","rotation":2}}' },
        { "get_console_output", { { length = 5 } }, '{"os-getConsoleOutput":{"length":5}}' },
        { "rebuild", { "n", "pw", { image = "img" } },
          '{"rebuild":{"adminPass":"pw","imageRef":"img","name":"n","preserve_ephemeral":false}}' },
        { "reset_state", { "active" }, '{"os-resetState":{"state":"active"}}' },
        { "change_password", { "pw" }, '{"changePassword":{"adminPass":"pw"}}' },
        { "restore", {}, '{"restore":null}' },
        { "evacuate", { { host = "h" } }, '{"evacuate":{"host":"h"}}' },
      }
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      t:route("POST", "/servers/" .. SID .. "/action", { json = { server = H.server() } })
      local s = t.compute:get_server(SID)
      for _, case in ipairs(cases) do s[case[1]](s, table.unpack(case[2])) end
      local reqs = t:requests()
      assert.equal(#cases + 1, #reqs)
      for i, case in ipairs(cases) do
        assert.equal(case[3], reqs[i + 1].body, "natural method " .. case[1])
      end
    end)

    it("refresh re-reads the server in place", function()
      t:route("GET", "/servers/" .. SID, { { json = { server = H.server() } },
        { json = { server = H.server { status = "SHUTOFF" } } } })
      local s = t.compute:get_server(SID)
      assert.equal(s, s:refresh())
      assert.equal("SHUTOFF", s.status)
    end)

    it("to_table gives friendly names", function()
      t:route("GET", "/servers/" .. SID, { json = { server = H.server() } })
      local tbl = t.compute:get_server(SID):to_table()
      assert.equal("active", tbl.vm_state)
      assert.is_nil(tbl["OS-EXT-STS:vm_state"])
    end)
  end)
end)
