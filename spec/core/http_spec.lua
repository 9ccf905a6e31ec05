-- The HTTP transport (src/http.c) as seen through session:request: pooled
-- keep-alive connections, headers, compression, streamed bodies, digests,
-- timeouts and connection failures. Every assertion is about what the
-- fixture server recorded or what the caller got back.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

describe("core HTTP transport", function()
  local fx, s

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    s = H.noauth()
  end)
  after_each(function() s:close() end)

  describe("connections and headers", function()
    it("keeps the connection alive: several requests share one server connection", function()
      fx:route("GET", "/ping", { json = { ok = true } })
      for _ = 1, 5 do
        assert.equal(200, s:request({ url = fx.url .. "/ping" }).status)
      end
      local reqs = fx:requests()
      assert.equal(5, #reqs)
      for i = 2, 5 do
        assert.equal(reqs[1].connection_id, reqs[i].connection_id, "request " .. i .. " opened a new connection")
      end
    end)

    it("sends a User-Agent naming ostack-lua and its version, after the caller's own", function()
      fx:route("GET", "/ua", { json = {} })
      s:request({ url = fx.url .. "/ua" })
      local ua = fx:last_request().headers["user-agent"]
      assert.equal("0.1.0", core.version)
      assert.equal("ostack-lua/" .. core.version, ua:match("^(%S+)"))
      local s2 = H.noauth({ user_agent = "myapp/2.0" })
      s2:request({ url = fx.url .. "/ua" })
      s2:close()
      assert.equal("myapp/2.0 ostack-lua/" .. core.version, fx:last_request().headers["user-agent"]:match("^(%S+ %S+)"))
    end)

    it("accepts gzip (Accept-Encoding) and decodes a gzip-encoded body", function()
      local gz = H.gzip('{"servers":[{"id":"a"},{"id":"b"}]}')
      assert.equal("\31\139", gz:sub(1, 2), "gzip -c did not produce gzip")
      fx:route("GET", "/gz", { body = gz, headers = { ["Content-Encoding"] = "gzip", ["Content-Type"] = "application/json" } })
      local r = s:request({ url = fx.url .. "/gz" })
      assert.matches("gzip", fx:last_request().headers["accept-encoding"])
      assert.equal(2, #r.body.servers)
      assert.equal("b", r.body.servers[2].id)
    end)

    it("exposes the response headers with lower-case names, and the request id", function()
      fx:route("GET", "/h", { json = {}, headers = { ["X-Thing-Count"] = "7", ["X-OpenStack-Request-ID"] = "req-abc" } })
      local r = s:request({ url = fx.url .. "/h" })
      assert.equal("7", r.headers["x-thing-count"])
      assert.equal("application/json", r.headers["content-type"])
      assert.is_nil(r.headers["X-Thing-Count"])
      assert.equal("req-abc", r.request_id)
      assert.equal(fx.url .. "/h", r.url)
      assert.equal(0, r.retries)
      assert.equal("number", type(r.elapsed))
    end)

    it("sends method, path, encoded query, headers and JSON body exactly", function()
      fx:route("PATCH", "/things/1", { json = { ok = true } })
      s:request({
        method = "PATCH", url = fx.url .. "/things/1",
        query = { name = "a b/c&d", tags = { "x", "y" }, all_tenants = true, limit = 5 },
        headers = { ["X-Custom"] = "v1" },
        json = { thing = { size = 2048, ratio = 1.0, tags = core.json_array() } },
      })
      local r = fx:last_request()
      assert.equal("PATCH", r.method)
      assert.equal("/things/1", r.path)
      assert.equal("all_tenants=true&limit=5&name=a%20b%2Fc%26d&tags=x&tags=y", r.query_string)
      assert.same({ all_tenants = "true", limit = "5", name = "a b/c&d", tags = { "x", "y" } }, r.query)
      assert.equal("v1", r.headers["x-custom"])
      assert.equal("application/json", r.headers["content-type"])
      assert.equal("application/json", r.headers["accept"])
      assert.is_nil(r.headers["expect"])
      assert.equal('{"thing":{"ratio":1.0,"size":2048,"tags":[]}}', r.body)
      assert.equal(tostring(#r.body), r.headers["content-length"])
    end)
  end)

  describe("streamed uploads", function()
    it("streams a body_file with its Content-Length", function()
      local dir = H.tmpdir()
      local data = ("0123456789abcdef"):rep(20000) -- 320 KB
      local path = H.write_file(dir .. "/upload.bin", data)
      fx:route("PUT", "/objects/big", 201)
      local r = s:request({ method = "PUT", url = fx.url .. "/objects/big", body_file = path,
        content_type = "application/octet-stream" })
      os.execute("rm -rf " .. dir)
      assert.equal(201, r.status)
      local rec = fx:last_request()
      assert.equal("PUT", rec.method)
      assert.equal(#data, math.tointeger(rec.body_size))
      assert.equal(tostring(#data), rec.headers["content-length"])
      assert.equal("application/octet-stream", rec.headers["content-type"])
      assert.equal(H.sha256(data), rec.body_sha256)
    end)

    it("streams a reader function's chunks with chunked transfer encoding", function()
      local chunks, i = { "alpha-", "beta-", ("g"):rep(100000), "-end" }, 0
      fx:route("PUT", "/objects/stream", 201)
      s:request({ method = "PUT", url = fx.url .. "/objects/stream", content_type = "text/plain",
        reader = function() i = i + 1; return chunks[i] end })
      local rec = fx:last_request()
      assert.equal("chunked", rec.headers["transfer-encoding"])
      assert.is_nil(rec.headers["content-length"])
      assert.equal(table.concat(chunks), rec.body)
      assert.is_nil(rec.incomplete)
    end)

    it("fails before any request when the body_file cannot be read", function()
      local e = H.raises("InvalidArgument", s.request, s, { method = "PUT", url = fx.url .. "/x", body_file = "/nonexistent/file" })
      assert.matches("/nonexistent/file", e.message, 1, true)
      assert.equal(0, fx:count())
    end)

    it("turns an error raised by the reader into an error of the call", function()
      fx:route("PUT", "/objects/stream", 201)
      local ok, e = pcall(s.request, s, { method = "PUT", url = fx.url .. "/objects/stream",
        reader = function() error("reader exploded") end })
      assert.is_false(ok)
      assert.matches("reader exploded", tostring(e))
    end)
  end)

  describe("streamed downloads", function()
    it("streams to an output path and computes the requested digests on the way", function()
      local n = 300 * 1024
      fx:route("GET", "/objects/blob", { body_size = n, headers = { ["Content-Type"] = "application/octet-stream" } })
      local dir = H.tmpdir()
      local path = dir .. "/blob.bin"
      local r = s:request({ url = fx.url .. "/objects/blob", output = path, digests = { "sha256", "md5" } })
      local data = H.read_file(path)
      local tmp_left = H.sh("ls " .. dir)
      os.execute("rm -rf " .. dir)
      local expected = H.pattern(n)
      assert.equal(n, #data)
      assert.is_true(data == expected, "the output file differs from the served bytes")
      assert.equal(n, r.bytes)
      assert.is_nil(r.body)
      assert.equal(H.sha256(expected), r.digests.sha256)
      assert.equal(32, #r.digests.md5)
      assert.equal("blob.bin\n", tmp_left, "a temporary file was left behind")
    end)

    it("streams to a writer function, chunk by chunk, never buffering the body", function()
      local n = 200 * 1024
      fx:route("GET", "/objects/blob", { body_size = n })
      local parts = {}
      local r = s:request({ url = fx.url .. "/objects/blob", output = function(chunk) parts[#parts + 1] = chunk end,
        digests = { "sha256" } })
      assert.is_true(#parts > 1, "expected several chunks")
      local data = table.concat(parts)
      assert.is_true(data == H.pattern(n))
      assert.equal(n, r.bytes)
      assert.is_nil(r.body)
      assert.equal(H.sha256(data), r.digests.sha256)
    end)

    it("aborts the download when the writer returns false", function()
      fx:route("GET", "/objects/blob", { body_size = 1024 * 1024 })
      local e = H.raises("TransportError", s.request, s, { url = fx.url .. "/objects/blob",
        output = function() return false end })
      assert.equal("aborted", e.reason)
    end)

    it("leaves no output file behind when the service answers with an error", function()
      fx:route("GET", "/objects/missing", { status = 404, json = { itemNotFound = { message = "no such object" } } })
      local dir = H.tmpdir()
      local e = H.raises("NotFound", s.request, s, { url = fx.url .. "/objects/missing", output = dir .. "/out.bin" })
      local left = H.sh("ls -A " .. dir)
      os.execute("rm -rf " .. dir)
      assert.equal("no such object", e.message)
      assert.equal("", left)
    end)

    -- Regression: a GET cut mid-body was retried although the failed
    -- attempt's bytes had already reached the output (file, writer, digests),
    -- so the result held the first half twice (300000 bytes for 200000).
    it("never delivers a duplicated body when a streamed download is retried after a reset", function()
      local n = 200000
      fx:route("GET", "/objects/flaky", { { fault = "reset_mid_body", body_size = n }, { body_size = n } })
      local dir = H.tmpdir()
      local path = dir .. "/flaky.bin"
      local ok, r = pcall(s.request, s, { url = fx.url .. "/objects/flaky", output = path, digests = { "sha256" } })
      local data = H.read_file(path)
      os.execute("rm -rf " .. dir)
      if ok then
        assert.equal(n, #data)
        assert.equal(n, r.bytes)
        assert.equal(H.sha256(H.pattern(n)), r.digests.sha256)
      else
        assert.is_nil(data, "a failed download left a file behind")
      end
    end)
  end)

  describe("timeouts and connection failures", function()
    it("gives up on a stalled response after api_timeout: TransportError timeout-total", function()
      fx:route("GET", "/stall", { fault = "stall" })
      local s2 = H.noauth({ api_timeout = 0.4, connect_retries = 0 })
      local t0 = core.now()
      local e = H.raises("TransportError", s2.request, s2, { url = fx.url .. "/stall" })
      local elapsed = core.now() - t0
      s2:close()
      assert.equal("timeout-total", e.reason)
      assert.matches("api_timeout", e.message)
      assert.equal("GET", e.method)
      assert.equal(fx.url .. "/stall", e.url)
      assert.is_true(elapsed >= 0.35 and elapsed < 3, "elapsed " .. elapsed)
    end)

    it("gives up on a trickling response below the low-speed limit: timeout-low-speed", function()
      fx:route("GET", "/slow", { body = ("x"):rep(200), fault = "trickle", trickle_ms = 300 })
      local s2 = H.noauth({ low_speed_time = 1, low_speed_limit = 100, connect_retries = 0 })
      local t0 = core.now()
      local e = H.raises("TransportError", s2.request, s2, { url = fx.url .. "/slow" })
      local elapsed = core.now() - t0
      s2:close()
      assert.equal("timeout-low-speed", e.reason)
      assert.matches("low_speed_time", e.message)
      assert.is_true(elapsed >= 0.9 and elapsed < 5, "elapsed " .. elapsed)
    end)

    it("gives up connecting after connect_timeout: timeout-connect", function()
      -- A listener whose accept backlog is full: the kernel drops our SYN,
      -- so the TCP handshake never completes.
      local p = assert(io.popen([[exec /usr/bin/python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
held = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    held.append(c)
time.sleep(0.2)
print(os.getpid(), s.getsockname()[1], flush=True)
time.sleep(20)
']]))
      local pid, port = p:read("l"):match("^(%d+) (%d+)$")
      local s2 = H.noauth({ connect_timeout = 0.4, connect_retries = 0 })
      local t0 = core.now()
      local ok, e = pcall(s2.request, s2, { url = "http://127.0.0.1:" .. port .. "/x" })
      local elapsed = core.now() - t0
      s2:close()
      os.execute("kill " .. pid)
      p:close()
      assert.is_false(ok)
      assert.truthy(H.errors.is(e, "TransportError"), tostring(e))
      assert.equal("timeout-connect", e.reason)
      assert.matches("connect_timeout", e.message)
      assert.is_true(elapsed >= 0.35 and elapsed < 3, "elapsed " .. elapsed)
    end)

    it("reports a refused connection as TransportError reason connect", function()
      local s2 = H.noauth({ connect_retries = 0 })
      local e = H.raises("TransportError", s2.request, s2, { url = "http://127.0.0.1:1/servers" })
      s2:close()
      assert.equal("connect", e.reason)
      assert.equal("http://127.0.0.1:1/servers", e.url)
      assert.matches("TransportError: ", tostring(e))
    end)
  end)
end)
