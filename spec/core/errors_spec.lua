-- Errors (src/error.c, lua/openstack/errors.lua, the binding): class by
-- status, the services' own messages, request ids, context, the class
-- hierarchy, bad arguments and invalid responses.
local H = require "spec.core.helper"
local fixture, core, errors = H.fixture, H.core, H.errors

describe("core errors", function()
  local fx, s

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    s = H.noauth({ status_code_retries = 0, connect_retries = 0 })
  end)
  after_each(function() s:close() end)

  -- The error raised by a GET of /e answered with `response`.
  local function error_for(response, req)
    fx:route("GET", "/e", response)
    req = req or {}
    req.url = fx.url .. "/e"
    local ok, e = pcall(s.request, s, req)
    assert(not ok, "the request succeeded")
    assert(errors.is(e, "OpenStackError"), "not an SDK error: " .. tostring(e))
    return e
  end

  describe("HTTP status", function()
    it("maps each status to its class", function()
      local classes = {
        [400] = "BadRequest", [401] = "Unauthorized", [403] = "Forbidden", [404] = "NotFound",
        [405] = "MethodNotAllowed", [409] = "Conflict", [413] = "PayloadTooLarge", [429] = "RateLimited",
        [500] = "ServerError", [501] = "NotImplemented", [502] = "ServerError", [503] = "ServiceUnavailable",
        [504] = "ServerError", [418] = "HttpError",
      }
      for status, class in pairs(classes) do
        fx:reset()
        local e = error_for(status)
        assert.equal(class, e.class, "status " .. status)
        assert.equal(status, e.status)
        assert.equal(class, errors.class_for_status(status))
      end
    end)

    it("keeps the class hierarchy: e:is() and errors.is() walk it", function()
      local e = error_for(503)
      assert.is_true(e:is("ServiceUnavailable"))
      assert.is_true(e:is("ServerError"))
      assert.is_true(e:is("HttpError"))
      assert.is_true(e:is("OpenStackError"))
      assert.is_false(e:is("NotFound"))
      assert.is_true(errors.is(e, "ServerError"))
      assert.is_false(errors.is("a string", "ServerError"))
      assert.is_false(errors.is({ class = "ServerError" }, "ServerError"))
      assert.is_false(errors.is(nil, "OpenStackError"))
    end)
  end)

  describe("messages", function()
    it("takes Nova's message from {\"itemNotFound\": {\"message\": ...}}", function()
      local e = error_for({ status = 404, json = { itemNotFound = { code = 404, message = "Instance abc could not be found." } } })
      assert.equal("Instance abc could not be found.", e.message)
    end)

    it("takes Cinder's message from {\"badRequest\": {\"message\": ...}}", function()
      local e = error_for({ status = 400, json = { badRequest = { code = 400, message = "Invalid input received: size must be > 0." } } })
      assert.equal("Invalid input received: size must be > 0.", e.message)
    end)

    it("takes Keystone's message from {\"error\": {\"message\": ...}}", function()
      local e = error_for({ status = 403, json = { error = { code = 403, title = "Forbidden", message = "You are not authorized." } } })
      assert.equal("You are not authorized.", e.message)
    end)

    it("takes Neutron's message from {\"NeutronError\": {\"message\": ...}}", function()
      local e = error_for({ status = 409, json = { NeutronError = { type = "InUse", message = "Port p1 is in use.", detail = "" } } })
      assert.equal("Port p1 is in use.", e.message)
    end)

    it("takes Placement's detail from {\"errors\": [{\"detail\": ...}]}", function()
      local e = error_for({ status = 409, json = { errors = { {
        status = 409, title = "Conflict", detail = "Inventory changed while attempting to allocate.",
        code = "placement.concurrent_update", request_id = "req-x" } } } })
      assert.equal("Inventory changed while attempting to allocate.", e.message)
    end)

    it("takes Glance's plain-text body, whitespace collapsed", function()
      local e = error_for({ status = 404, body = "404 Not Found\n\nThe resource could not be found.\n\n   ",
        headers = { ["Content-Type"] = "text/plain; charset=UTF-8" } })
      assert.equal("404 Not Found The resource could not be found.", e.message)
    end)

    it("takes the text of an HTML error page, without its tags or title", function()
      local e = error_for({ status = 403, headers = { ["Content-Type"] = "text/html; charset=UTF-8" }, body = table.concat({
        "<html>", " <head>", "  <title>403 Forbidden</title>", " </head>", " <body>", "  <h1>403 Forbidden</h1>",
        "  Access was denied to this resource.<br /><br />", " </body>", "</html>" }, "\n") })
      assert.equal("403 Forbidden: Access was denied to this resource.", e.message)
      assert.is_nil(e.message:find("<", 1, true))
    end)

    it("says so when the service gave no message", function()
      local e = error_for(500)
      assert.equal("the service answered with an error and no message", e.message)
    end)
  end)

  describe("context", function()
    it("carries the request id from x-openstack-request-id", function()
      local e = error_for({ status = 404, json = { itemNotFound = { message = "gone" } },
        headers = { ["X-OpenStack-Request-ID"] = "req-0123" } })
      assert.equal("req-0123", e.request_id)
    end)

    it("carries the request id from x-compute-request-id", function()
      local e = error_for({ status = 404, json = { itemNotFound = { message = "gone" } },
        headers = { ["X-Compute-Request-ID"] = "req-nova-1" } })
      assert.equal("req-nova-1", e.request_id)
    end)

    it("carries the method and url, and prints them all in tostring", function()
      fx:route("DELETE", "/servers/abc", { status = 404, json = { itemNotFound = { message = "Instance abc could not be found." } },
        headers = { ["X-OpenStack-Request-ID"] = "req-9" } })
      local e = H.raises("NotFound", s.request, s, { method = "DELETE", url = fx.url .. "/servers/abc" })
      assert.equal("DELETE", e.method)
      assert.equal(fx.url .. "/servers/abc", e.url)
      assert.equal(("NotFound: Instance abc could not be found. (HTTP 404, DELETE %s/servers/abc, request req-9)")
        :format(fx.url), tostring(e))
    end)

    it("builds errors with errors.new and refuses unknown classes", function()
      local e = errors.new("Conflict", "busy", { status = 409 })
      assert.equal("Conflict: busy (HTTP 409)", tostring(e))
      assert.is_true(e:is("HttpError"))
      assert.has_error(function() errors.new("NoSuchClass", "x") end)
    end)
  end)

  describe("bad arguments", function()
    it("raises InvalidArgument naming the option for wrongly typed request options", function()
      local cases = {
        { { url = fx.url .. "/e", method = {} }, "'method'" },
        { { url = {} }, "'url'" },
        { { url = fx.url .. "/e", path = true }, "'path'" },
        { { url = fx.url .. "/e", query = { a = function() end } }, "'a'" },
        { { url = fx.url .. "/e", query = { [1] = "x" } }, "keys must be strings" },
        { { url = fx.url .. "/e", json = { f = function() end } }, ".f" },
        { { method = "GET" }, "'url' or 'service'" },
        { { url = fx.url .. "/e", digests = { "no-such-digest" } }, "no%-such%-digest" },
      }
      for i, c in ipairs(cases) do
        local e = H.raises("InvalidArgument", s.request, s, c[1])
        assert.matches(c[2], e.message, nil, "case " .. i)
      end
      assert.equal(0, fx:count())
    end)

    it("raises InvalidArgument for bad page options", function()
      H.raises("InvalidArgument", s.pages, s, { url = fx.url, limit = -1 })
      H.raises("InvalidArgument", s.pages, s, { url = fx.url, max_items = "many" })
      H.raises("InvalidArgument", s.pages, s, { path = "/x" })
    end)

    -- Regression: l_request / l_pages / l_session used luaL_checktype, so a
    -- non-table argument raised a plain string, not an InvalidArgument object.
    it("raises InvalidArgument (an error object) when the options are not a table", function()
      local e = H.raises("InvalidArgument", s.request, s, "GET /servers")
      assert.matches("table", e.message)
      H.raises("InvalidArgument", s.pages, s, 42)
      H.raises("InvalidArgument", core.session, "not a table")
    end)

    -- Regression: headers that were not a table were silently dropped.
    it("raises InvalidArgument for headers that are not a table", function()
      fx:route("GET", "/e", { json = {} })
      H.raises("InvalidArgument", s.request, s, { url = fx.url .. "/e", headers = "X-Foo: bar" })
      assert.equal(0, fx:count())
    end)

    it("raises InvalidArgument once the session is closed", function()
      local s2 = H.noauth()
      s2:close()
      local e = H.raises("InvalidArgument", s2.request, s2, { url = fx.url .. "/e" })
      assert.matches("closed", e.message)
      assert.equal("openstack.Session (closed)", tostring(s2))
    end)
  end)

  describe("invalid responses", function()
    it("raises InvalidResponse with status and request id for invalid JSON", function()
      local e = error_for({ status = 200, body = '{"servers": [', headers = {
        ["Content-Type"] = "application/json", ["X-OpenStack-Request-ID"] = "req-bad" } })
      assert.equal("InvalidResponse", e.class)
      assert.equal(200, e.status)
      assert.equal("req-bad", e.request_id)
      assert.matches("not valid JSON", e.message)
      assert.matches("byte 13", e.message)
      assert.equal(fx.url .. "/e", e.url)
    end)

    it("raises InvalidResponse for a body of the wrong content type", function()
      local e = error_for({ status = 200, body = "hello there", headers = { ["Content-Type"] = "text/plain",
        ["X-Compute-Request-ID"] = "req-txt" } })
      assert.equal("InvalidResponse", e.class)
      assert.equal(200, e.status)
      assert.equal("req-txt", e.request_id)
      assert.matches("text/plain", e.message)
    end)

    it("raises InvalidResponse for an HTML page served with 200", function()
      local e = error_for({ status = 200, headers = { ["Content-Type"] = "text/html" },
        body = "<html><head><title>Proxy</title></head><body><h1>Gateway login</h1>Please sign in</body></html>" })
      assert.equal("InvalidResponse", e.class)
      assert.matches("text/html", e.message)
      assert.matches("Gateway login", e.message)
    end)

    it("raises InvalidResponse for an empty body where one is expected", function()
      local e = error_for({ status = 200, body = "", headers = { ["X-OpenStack-Request-ID"] = "req-empty" } },
        { expect_body = true })
      assert.equal("InvalidResponse", e.class)
      assert.equal(200, e.status)
      assert.equal("req-empty", e.request_id)
      assert.matches("empty body", e.message)
      fx:reset()
      fx:route("GET", "/e", 204)
      assert.is_nil(s:request({ url = fx.url .. "/e" }).body, "no body is fine when none is expected")
    end)

    it("raises InvalidResponse for a body beyond max_json_body, without buffering it all", function()
      local small = H.noauth({ max_json_body = 4096, connect_retries = 0 })
      fx:route("GET", "/huge", { body_size = 50 * 1024 * 1024, headers = { ["Content-Type"] = "application/json" } })
      local t0 = core.now()
      local e = H.raises("InvalidResponse", small.request, small, { url = fx.url .. "/huge" })
      local elapsed = core.now() - t0
      small:close()
      assert.matches("max_json_body", e.message)
      assert.matches("4096", e.message)
      assert.is_true(elapsed < 5)
      -- the per-request cap works as well
      fx:route("GET", "/mid", { json = { data = ("x"):rep(3000) } })
      H.raises("InvalidResponse", s.request, s, { url = fx.url .. "/mid", max_body = 1000 })
      assert.equal(200, s:request({ url = fx.url .. "/mid" }).status)
    end)
  end)
end)
