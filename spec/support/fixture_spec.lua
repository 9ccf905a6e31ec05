-- Proves the fixture server and its Lua helper do what the unit specs rely on,
-- observed from outside with the curl CLI (never with the SDK under test).
if not package.path:find("%./%?%.lua") then package.path = "./?.lua;" .. package.path end

local fixture = require "spec.support.fixture"
local cjson = require "cjson"

local CURL = "curl -s --noproxy '*' "

-- Runs a shell command; returns stdout and the exit code.
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok and 0 or code
end

-- curl with a trailing "status time size" line, split off the body.
local function get(args)
  local out, rc = sh(CURL .. "-w '\\n%{http_code} %{time_total} %{size_download}' " .. args)
  local body, status, t, size = out:match("^(.*)\n(%d+) ([%d.]+) (%d+)$")
  return { body = body, status = tonumber(status), time = tonumber(t), size = tonumber(size), rc = rc }
end

local function sha256_file(path)
  return (sh("sha256sum " .. path)):match("^(%x+)")
end

local function process_alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local stat = f:read("a")
  f:close()
  return not stat:match("^%d+ %b() Z") -- zombies count as gone
end

describe("fixture server", function()
  local fx

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  describe("routing", function()
    it("serves queued responses in order and repeats the last", function()
      fx:route("GET", "/seq", { 500, { status = 503 }, { body = "ok" } })
      local seen = {}
      for i = 1, 5 do seen[i] = get(fx.url .. "/seq").status end
      assert.same({ 500, 503, 200, 200, 200 }, seen)
      assert.equal("ok", get(fx.url .. "/seq").body)
    end)

    it("prefers later routes for the same method+path", function()
      fx:route("GET", "/p", "old")
      fx:route("GET", "/p", "new")
      assert.equal("new", get(fx.url .. "/p").body)
      fx:route("POST", "/p", "post")
      assert.equal("new", get(fx.url .. "/p").body)
      assert.equal("post", get("-X POST " .. fx.url .. "/p").body)
    end)

    it("matches the whole query exactly when one is given", function()
      fx:route("GET", "/q", "any")
      fx:route("GET", "/q", "one", { query = { a = "1" } })
      fx:route("GET", "/q", "tags", { query = { tag = { "x", "y" }, limit = 10 } })
      assert.equal("one", get(fx.url .. "/q?a=1").body)
      assert.equal("any", get(fx.url .. "/q?a=2").body)
      assert.equal("any", get("'" .. fx.url .. "/q?a=1&b=2'").body)
      assert.equal("any", get(fx.url .. "/q").body)
      assert.equal("tags", get("'" .. fx.url .. "/q?tag=x&limit=10&tag=y'").body)
    end)

    it("supports path_prefix and any method name", function()
      fx:route("GET", "/objects/", "prefixed", { prefix = true })
      fx:routes({ { method = "COPY", path = "/o", responses = { { status = 201 } } } })
      assert.equal("prefixed", get(fx.url .. "/objects/a/b?x=1").body)
      assert.equal(201, get("-X COPY " .. fx.url .. "/o").status)
    end)

    it("answers unscripted requests with 599 naming them, and records them", function()
      local r = get("-X DELETE " .. fx.url .. "/nowhere")
      assert.equal(599, r.status)
      local doc = cjson.decode(r.body)
      assert.equal("DELETE", doc.method)
      assert.equal("/nowhere", doc.path)
      assert.matches("DELETE /nowhere", doc.error, 1, true)
      assert.equal(1, fx:count("DELETE", "/nowhere"))
    end)

    it("substitutes {{port}} and {{base}} in headers and body; encodes json=", function()
      fx:route("GET", "/t", {
        status = 202,
        headers = { Location = "{{base}}/x", ["X-Port"] = "{{port}}" },
        json = { link = "{{base}}/compute/v2.1", list = { 1, 2 } },
      })
      local out = sh(CURL .. "-i " .. fx.url .. "/t")
      assert.matches("HTTP/1.1 202", out, 1, true)
      assert.matches("Location: " .. fx.url .. "/x\r\n", out, 1, true)
      assert.matches("X-Port: " .. fx.port .. "\r\n", out, 1, true)
      assert.matches("Content-Type: application/json\r\n", out, 1, true)
      local doc = cjson.decode(out:match("\r\n\r\n(.*)$"))
      assert.equal(fx.url .. "/compute/v2.1", doc.link)
      assert.same({ 1, 2 }, doc.list)
    end)

    it("serves bodies byte-exact, including non-UTF-8 bytes and > 1 MiB", function()
      local bin = "\0\1\2\255\254 binary\r\n\128"
      fx:route("GET", "/bin", { body = bin, headers = { ["Content-Type"] = "application/octet-stream" } })
      assert.equal(bin, get(fx.url .. "/bin").body)
      local big = string.rep("0123456789abcdef", 128 * 1024) -- 2 MiB
      fx:route("GET", "/bigbody", { body = big })
      assert.equal(big, get(fx.url .. "/bigbody").body)
    end)

    it("encodes fixture.empty_array as []", function()
      fx:route("GET", "/empty", { json = { servers = fixture.empty_array } })
      assert.equal('{"servers":[]}', get(fx.url .. "/empty").body)
    end)

    it("sends chunked responses and honours HEAD and 204", function()
      fx:route("GET", "/c", { body = "hello chunked", chunked = true })
      local out = sh(CURL .. "-i " .. fx.url .. "/c")
      assert.matches("Transfer-Encoding: chunked", out, 1, true)
      assert.not_matches("Content-Length", out, 1, true)
      assert.equal("hello chunked", out:match("\r\n\r\n(.*)$"))
      fx:route("HEAD", "/h", { body = "12345" })
      local head = sh(CURL .. "-I " .. fx.url .. "/h")
      assert.matches("Content-Length: 5", head, 1, true)
      fx:route("DELETE", "/d", 204)
      local d = get("-X DELETE " .. fx.url .. "/d")
      assert.equal(204, d.status)
      assert.equal(0, d.rc)
    end)

    it("reset clears routes and the request log", function()
      fx:route("GET", "/gone", "x")
      get(fx.url .. "/gone")
      assert.equal(1, fx:count())
      fx:reset()
      assert.equal(0, fx:count())
      assert.equal(599, get(fx.url .. "/gone").status)
    end)

    it("delays responses by delay_ms", function()
      fx:route("GET", "/slow", { body = "z", delay_ms = 300 })
      local r = get(fx.url .. "/slow")
      assert.equal("z", r.body)
      assert.is_true(r.time >= 0.3, "took " .. r.time)
    end)
  end)

  describe("recording", function()
    it("records method, path, query, headers and body exactly", function()
      fx:route("PUT", "/servers/abc", 200)
      get("-X PUT -H 'X-Auth-Token: tok' -H 'Content-Type: application/json' "
        .. "--data-binary '{\"a\": 1}' '" .. fx.url .. "/servers/abc?x=1&y=&x=2&s=a%20b'")
      local all = fx:requests()
      assert.equal(1, #all) -- control calls are never recorded
      local r = all[1]
      assert.equal("PUT", r.method)
      assert.equal("/servers/abc", r.path)
      assert.equal("x=1&y=&x=2&s=a%20b", r.query_string)
      assert.same({ x = { "1", "2" }, y = "", s = "a b" }, r.query)
      assert.equal("tok", r.headers["x-auth-token"])
      assert.equal("application/json", r.headers["content-type"])
      assert.equal('{"a": 1}', r.body)
      assert.equal(8, r.body_size)
      assert.equal("string", type(r.body_sha256))
      assert.equal("number", type(r.connection_id))
      assert.same(r, fx:last_request())
    end)

    it("records non-UTF-8 and chunked upload bodies byte-exact", function()
      fx:route("POST", "/up", 201)
      local tmp = os.tmpname()
      local bin = "\255\0\1binary\128\r\n"
      local f = assert(io.open(tmp, "wb")); f:write(bin); f:close()
      get("--data-binary @" .. tmp .. " " .. fx.url .. "/up")
      get("-H 'Transfer-Encoding: chunked' --data-binary @" .. tmp .. " " .. fx.url .. "/up")
      os.remove(tmp)
      local all = fx:requests()
      assert.equal(bin, all[1].body)
      assert.equal(bin, all[2].body)
      assert.equal("chunked", all[2].headers["transfer-encoding"])
      assert.equal(#bin, all[2].body_size)
      assert.equal(2, fx:count("POST", "/up"))
    end)

    it("records large uploads as size and sha256 only", function()
      fx:route("PUT", "/big", 201)
      local tmp = os.tmpname()
      sh("head -c 5000000 /dev/urandom > " .. tmp)
      local want = sha256_file(tmp)
      assert.equal(201, get("-T " .. tmp .. " " .. fx.url .. "/big").status)
      -- chunked, streamed from stdin
      assert.equal(201, get("-T - " .. fx.url .. "/big < " .. tmp).status)
      os.remove(tmp)
      for _, r in ipairs(fx:requests()) do
        assert.is_nil(r.body)
        assert.equal(5000000, r.body_size)
        assert.equal(want, r.body_sha256)
      end
    end)

    it("records uploads the client abandoned, flagged incomplete", function()
      fx:route("POST", "/abandon", 201)
      -- Announce 100 bytes, send 3, give up.
      local r = get("-m 0.5 -H 'Content-Length: 100' --data-binary abc " .. fx.url .. "/abandon")
      assert.equal(28, r.rc)
      local rec
      for _ = 1, 20 do -- the server notices the hang-up asynchronously
        rec = fx:last_request()
        if rec then break end
        sh("sleep 0.05")
      end
      assert.equal("abc", rec.body)
      assert.is_true(rec.incomplete)
    end)

    it("gives each TCP connection its own id, reused across keep-alive requests", function()
      fx:route("GET", "/k", "k")
      sh(CURL .. fx.url .. "/k " .. fx.url .. "/k")
      sh(CURL .. fx.url .. "/k")
      local r = fx:requests()
      assert.equal(3, #r)
      assert.equal(r[1].connection_id, r[2].connection_id)
      assert.not_equal(r[1].connection_id, r[3].connection_id)
    end)
  end)

  describe("faults", function()
    it("reset: RST before any response", function()
      fx:route("GET", "/f", { fault = "reset" })
      local r = get(fx.url .. "/f")
      assert.is_true(r.rc == 56 or r.rc == 52, "curl rc " .. r.rc)
      assert.equal(1, fx:count("GET", "/f"))
    end)

    it("reset_mid_body: headers, half the body, then RST", function()
      fx:route("GET", "/f", { fault = "reset_mid_body", body_size = 200000 })
      local r = get(fx.url .. "/f")
      assert.is_true(r.rc == 56 or r.rc == 18, "curl rc " .. r.rc)
      assert.equal(200, r.status)
      assert.is_true(r.size <= 100000, "got " .. r.size)
    end)

    it("close: closes without answering", function()
      fx:route("GET", "/f", { fault = "close" })
      assert.equal(52, get(fx.url .. "/f").rc)
    end)

    it("truncate: short body then a clean close", function()
      fx:route("GET", "/f", { fault = "truncate", body = "0123456789" })
      local r = get(fx.url .. "/f")
      assert.equal(18, r.rc)
      assert.equal("01234", r.body)
    end)

    it("stall: never answers, curl times out", function()
      fx:route("GET", "/f", { fault = "stall" })
      local r = get("-m 1 " .. fx.url .. "/f")
      assert.equal(28, r.rc)
      assert.is_true(r.time >= 0.9, "took " .. r.time)
    end)

    it("trickle: one byte every trickle_ms", function()
      fx:route("GET", "/f", { fault = "trickle", trickle_ms = 100, body = "abcde" })
      local r = get(fx.url .. "/f")
      assert.equal(0, r.rc)
      assert.equal("abcde", r.body)
      assert.is_true(r.time >= 0.45, "took " .. r.time)
    end)

    it("rejects unknown faults when routes are added", function()
      assert.has_error(function() fx:route("GET", "/f", { fault = "nope" }) end)
    end)
  end)

  describe("body_size", function()
    it("serves deterministic data: byte i is i % 256", function()
      fx:route("GET", "/pat", { body_size = 1000 })
      local out = get(fx.url .. "/pat").body
      assert.equal(1000, #out)
      for i = 1, 1000 do
        if out:byte(i) ~= (i - 1) % 256 then error("byte " .. i) end
      end
    end)

    it("streams 300 MiB without the server growing", function()
      local n = 300 * 1024 * 1024
      fx:route("GET", "/huge", { body_size = n })
      local r = get("-o /dev/null " .. fx.url .. "/huge")
      assert.equal(0, r.rc)
      assert.equal(n, r.size)
      local status = assert(io.open("/proc/" .. fx.pid .. "/status")):read("a")
      local rss_kb = tonumber(status:match("VmRSS:%s*(%d+)"))
      assert.is_true(rss_kb < 64 * 1024, "server RSS " .. rss_kb .. " kB")
    end)
  end)

  describe("keystone_catalog", function()
    it("answers token requests with a catalog pointing back at the server", function()
      local token, project_id = fixture.keystone_catalog(fx, { compute_version = "2.90" })
      local out = sh(CURL .. "-i -X POST --data-binary '{}' " .. fx.url .. "/v3/auth/tokens")
      assert.matches("HTTP/1.1 201", out, 1, true)
      assert.matches("X-Subject-Token: " .. token .. "\r\n", out, 1, true)
      local doc = cjson.decode(out:match("\r\n\r\n(.*)$")).token
      assert.equal(project_id, doc.project.id)
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.000000Z$", doc.expires_at)
      local urls = {}
      for _, svc in ipairs(doc.catalog) do
        assert.equal(3, #svc.endpoints)
        for _, ep in ipairs(svc.endpoints) do
          assert.equal("RegionOne", ep.region_id)
          if ep.interface == "public" then urls[svc.type] = ep.url end
        end
      end
      assert.equal(fx.url .. "/compute/v2.1", urls.compute)
      assert.equal(fx.url .. "/image", urls.image)
      assert.equal(fx.url .. "/volume/v3/" .. project_id, urls["block-storage"])
      assert.equal(fx.url .. "/volume/v3/" .. project_id, urls.volumev3)
      assert.equal(fx.url .. "/v3", urls.identity)

      local nova = cjson.decode(get(fx.url .. "/compute/").body)
      assert.equal("v2.1", nova.versions[2].id)
      assert.equal("2.90", nova.versions[2].version)
      local cinder = get(fx.url .. "/volume/")
      assert.equal(300, cinder.status)
      assert.equal("3.70", cjson.decode(cinder.body).versions[1].version)
      local glance = get(fx.url .. "/image/")
      assert.equal("CURRENT", cjson.decode(glance.body).versions[1].status)
    end)
  end)
end)

describe("fixture TLS", function()
  local certs

  setup(function() certs = fixture.make_cert() end)
  teardown(function() os.execute("rm -rf '" .. certs.dir .. "'") end)

  it("serves HTTPS verifiable with the generated CA", function()
    local fx <close> = fixture.start { tls = { cert = certs.cert, key = certs.key } }
    assert.equal("https://127.0.0.1:" .. fx.port, fx.url)
    fx:route("GET", "/s", { body = "{{base}}" })
    local r = get("--cacert " .. certs.ca .. " " .. fx.url .. "/s")
    assert.equal(200, r.status)
    assert.equal(fx.url, r.body)
    assert.equal(200, get("--cacert " .. certs.ca .. " https://localhost:" .. fx.port .. "/s").status)
    assert.equal(60, get(fx.url .. "/s").rc)
    assert.equal(2, fx:count("GET", "/s"))
  end)

  it("requires a client certificate signed by the CA when asked", function()
    local fx <close> = fixture.start {
      tls = { cert = certs.cert, key = certs.key, client_ca = certs.ca },
    }
    fx:route("GET", "/m", "mutual")
    local ok = get(("--cacert %s --cert %s --key %s %s/m")
      :format(certs.ca, certs.client_cert, certs.client_key, fx.url))
    assert.equal("mutual", ok.body)
    local no = get("--cacert " .. certs.ca .. " " .. fx.url .. "/m")
    assert.not_equal(0, no.rc)
    assert.equal(1, fx:count("GET", "/m"))
  end)
end)

describe("fixture lifecycle", function()
  it("stop() ends the server and is safe to call twice", function()
    local fx = fixture.start()
    assert.is_true(process_alive(fx.pid))
    fx:stop()
    fx:stop()
    assert.is_false(process_alive(fx.pid))
  end)

  it("the server exits by itself when its parent dies", function()
    -- A child Lua starts a server and exits abruptly, without stop() or GC.
    local pid = tonumber((sh("lua5.4 -e 'package.path=\"./?.lua;\"..package.path; "
      .. "local fx = require(\"spec.support.fixture\").start(); "
      .. "io.write(fx.pid) os.exit(0, false)'")))
    assert.is_number(pid)
    local deadline = os.time() + 4
    while process_alive(pid) and os.time() < deadline do sh("sleep 0.2") end
    assert.is_false(process_alive(pid))
  end)
end)
