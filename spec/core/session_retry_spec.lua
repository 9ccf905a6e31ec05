-- Retries in the session (the retry rules of src/session.c): which
-- failures are retried for which methods, Retry-After, budgets, and what
-- the error says when they run out. Backoff is kept tiny
-- (retry_backoff_base = 0.01) except where the wait itself is tested.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

describe("core session retries", function()
  local fx

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function() fx:reset() end)

  local function with_session(extra, fn, log)
    local s = H.noauth(extra, log)
    local ok, r = pcall(fn, s)
    s:close()
    if not ok then error(r, 0) end
    return r
  end

  it("retries a 503 once and succeeds on the following 200", function()
    fx:route("GET", "/r", { 503, { json = { ok = true } } })
    local r = with_session(nil, function(s) return s:request({ url = fx.url .. "/r" }) end)
    assert.equal(200, r.status)
    assert.equal(1, r.retries)
    assert.is_true(r.body.ok)
    assert.equal(2, fx:count("GET", "/r"))
  end)

  it("honours Retry-After: 1 on a 429", function()
    fx:route("GET", "/r", { { status = 429, headers = { ["Retry-After"] = "1" },
      json = { overLimit = { code = 429, message = "Over limit" } } }, { json = { ok = true } } })
    local t0 = core.now()
    local r = with_session(nil, function(s) return s:request({ url = fx.url .. "/r" }) end)
    local elapsed = core.now() - t0
    assert.equal(200, r.status)
    assert.equal(1, r.retries)
    assert.is_true(elapsed >= 0.95 and elapsed < 2.5, ("waited %.2f s"):format(elapsed))
    local reqs = H.filter(fx, "GET", "/r")
    assert.equal(2, #reqs)
    assert.is_true(reqs[2].time - reqs[1].time >= 0.95, "the retry did not wait for Retry-After")
  end)

  it("caps a long Retry-After at retry_after_cap", function()
    fx:route("GET", "/r", { { status = 503, headers = { ["Retry-After"] = "3600" } }, { json = {} } })
    local t0 = core.now()
    with_session({ retry_after_cap = 0.2 }, function(s) return s:request({ url = fx.url .. "/r" }) end)
    assert.is_true(core.now() - t0 < 2)
  end)

  it("gives up after status_code_retries with the retry count and the last status", function()
    fx:route("GET", "/r", { { status = 503, json = { message = "down for maintenance" } } })
    local e = with_session(nil, function(s)
      return H.raises("ServiceUnavailable", s.request, s, { url = fx.url .. "/r" })
    end)
    assert.equal(3, e.retries)
    assert.equal(503, e.status)
    assert.equal("down for maintenance", e.message)
    assert.matches("after 3 retries", tostring(e))
    assert.equal(4, fx:count("GET", "/r"))
    fx:reset()
    fx:route("GET", "/r", 503)
    e = with_session({ status_code_retries = 1 }, function(s)
      return H.raises("ServiceUnavailable", s.request, s, { url = fx.url .. "/r" })
    end)
    assert.equal(1, e.retries)
    assert.equal(2, fx:count("GET", "/r"))
  end)

  it("retries only the statuses in retriable_status_codes", function()
    fx:route("GET", "/r", { 500, { json = {} } })
    local e = with_session(nil, function(s) return H.raises("ServerError", s.request, s, { url = fx.url .. "/r" }) end)
    assert.is_nil(e.retries)
    assert.equal(1, fx:count("GET", "/r"))
    fx:reset()
    fx:route("GET", "/r", { 500, { json = {} } })
    local r = with_session({ retriable_status_codes = { 500 } }, function(s) return s:request({ url = fx.url .. "/r" }) end)
    assert.equal(1, r.retries)
    assert.equal(2, fx:count("GET", "/r"))
  end)

  it("does not retry a POST answered 503 or 502", function()
    for _, status in ipairs({ 503, 502 }) do
      fx:reset()
      fx:route("POST", "/servers", { status, { status = 202, json = {} } })
      local e = with_session(nil, function(s)
        return H.raises("ServerError", s.request, s, { method = "POST", url = fx.url .. "/servers", json = { a = 1 } })
      end)
      assert.equal(status, e.status)
      assert.equal(1, fx:count("POST", "/servers"), "POST retried after " .. status)
    end
  end)

  it("retries a POST answered 429 (the service refused it unprocessed)", function()
    fx:route("POST", "/servers", { 429, { status = 202, json = { server = { id = "s1" } } } })
    local r = with_session(nil, function(s)
      return s:request({ method = "POST", url = fx.url .. "/servers", json = { server = { name = "vm" } } })
    end)
    assert.equal(202, r.status)
    local posts = H.filter(fx, "POST", "/servers")
    assert.equal(2, #posts)
    assert.equal(posts[1].body, posts[2].body)
  end)

  it("retries a POST whose connection was refused, since nothing was sent", function()
    local lines = {}
    local e = with_session({ connect_retries = 2, debug = true }, function(s)
      return H.raises("TransportError", s.request, s, { method = "POST", url = "http://127.0.0.1:1/servers", json = {} })
    end, function(line) lines[#lines + 1] = line end)
    assert.equal(2, e.retries)
    local attempts = 0
    for _, l in ipairs(lines) do
      if l:match("^REQ POST http://127%.0%.0%.1:1/servers") then attempts = attempts + 1 end
    end
    assert.equal(3, attempts)
  end)

  -- Regression: after retries the reason was rewritten with overlapping
  -- snprintf source and destination, which emptied it (reason == nil).
  it("keeps the failure reason after retries were spent", function()
    local e = with_session({ connect_retries = 2 }, function(s)
      return H.raises("TransportError", s.request, s, { url = "http://127.0.0.1:1/x" })
    end)
    assert.equal(2, e.retries)
    assert.equal("connect", e.reason)
  end)

  it("retries a GET whose response was reset mid-body", function()
    fx:route("GET", "/r", { { fault = "reset_mid_body", body = ("x"):rep(4000) }, { json = { ok = true } } })
    local r = with_session(nil, function(s) return s:request({ url = fx.url .. "/r" }) end)
    assert.equal(200, r.status)
    assert.equal(1, r.retries)
    assert.equal(2, fx:count("GET", "/r"))
  end)

  it("does not retry a POST whose response was cut mid-body", function()
    fx:route("POST", "/r", { { fault = "reset_mid_body", body = ("x"):rep(4000) }, { json = { ok = true } } })
    with_session(nil, function(s)
      return H.raises("TransportError", s.request, s, { method = "POST", url = fx.url .. "/r", json = {} })
    end)
    assert.equal(1, fx:count("POST", "/r"))
  end)

  -- Regression: a POST on a reused keep-alive connection that the server
  -- reset before answering was silently resent by libcurl itself ("retrying
  -- a fresh connect"), below the SDK's retry rules: two POSTs, retries = 0.
  -- Non-idempotent requests now go over a fresh connection.
  it("never sends a POST twice when a reused connection is reset after the request left", function()
    fx:route("GET", "/warm", { json = {} })
    fx:route("POST", "/servers", { { fault = "reset" }, { status = 202, json = { server = { id = "s-1" } } } })
    local ok, r = pcall(with_session, nil, function(s)
      s:request({ url = fx.url .. "/warm" }) -- leaves a keep-alive connection in the pool
      return s:request({ method = "POST", url = fx.url .. "/servers", json = { server = { name = "vm" } } })
    end)
    assert.equal(1, fx:count("POST", "/servers"), "the POST reached the service twice (retries = "
      .. tostring(ok and r.retries) .. ")")
    assert.is_false(ok)
  end)

  it("sends a body_file again in full when its upload is retried", function()
    local dir = H.tmpdir()
    local data = ("abcdefgh"):rep(40000)
    local path = H.write_file(dir .. "/up.bin", data)
    fx:route("PUT", "/obj", { 503, 201 })
    local r = with_session(nil, function(s) return s:request({ method = "PUT", url = fx.url .. "/obj", body_file = path }) end)
    os.execute("rm -rf " .. dir)
    assert.equal(201, r.status)
    local puts = H.filter(fx, "PUT", "/obj")
    assert.equal(2, #puts)
    local sha = H.sha256(data)
    for i = 1, 2 do
      assert.equal(#data, math.tointeger(puts[i].body_size))
      assert.equal(sha, puts[i].body_sha256)
    end
  end)

  it("does not retry a reader upload once its bytes have been consumed", function()
    fx:route("PUT", "/obj", { 503, 201 })
    local calls = 0
    local e = with_session(nil, function(s)
      return H.raises("ServiceUnavailable", s.request, s, { method = "PUT", url = fx.url .. "/obj",
        reader = function() calls = calls + 1; if calls <= 2 then return "part" .. calls end end })
    end)
    assert.equal(503, e.status)
    assert.equal(1, fx:count("PUT", "/obj"))
  end)
end)
