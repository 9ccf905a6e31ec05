-- TLS: verification against the fixture's throwaway CA (cacert), turning
-- verification off (insecure / verify=false), and client certificates.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

describe("core TLS", function()
  local certs, fx, mtls

  setup(function()
    certs = fixture.make_cert()
    fx = fixture.start({ tls = { cert = certs.cert, key = certs.key } })
    mtls = fixture.start({ tls = { cert = certs.cert, key = certs.key, client_ca = certs.ca } })
  end)
  teardown(function()
    fx:stop()
    mtls:stop()
    os.execute("rm -rf '" .. certs.dir .. "'")
  end)
  before_each(function()
    fx:reset()
    mtls:reset()
    fx:route("GET", "/t", { json = { ok = true } })
    mtls:route("GET", "/t", { json = { ok = true } })
  end)

  local function get(server, cfg)
    cfg.connect_retries = cfg.connect_retries or 0
    local s = H.noauth(cfg)
    local ok, r = pcall(s.request, s, { url = server.url .. "/t" })
    s:close()
    return ok, r
  end

  it("refuses a server its CA bundle does not vouch for: TransportError reason tls, naming cacert and insecure", function()
    assert.equal("https", fx.url:match("^(%a+)"))
    local ok, e = get(fx, {})
    assert.is_false(ok)
    assert.is_true(H.errors.is(e, "TransportError"), tostring(e))
    assert.equal("tls", e.reason)
    assert.matches("cacert", e.message)
    assert.matches("insecure", e.message)
    assert.equal(0, fx:count(), "a request reached an unverified server")
  end)

  it("verifies the server against cacert", function()
    local ok, r = get(fx, { cacert = certs.ca })
    assert.is_true(ok, tostring(r))
    assert.equal(200, r.status)
    assert.is_true(r.body.ok)
    assert.equal(1, fx:count("GET", "/t"))
  end)

  it("talks to any server with insecure=true or verify=false", function()
    for _, cfg in ipairs({ { insecure = true }, { verify = false }, { verify = "false" } }) do
      local ok, r = get(fx, cfg)
      assert.is_true(ok, tostring(r))
      assert.equal(200, r.status)
    end
    assert.equal(3, fx:count("GET", "/t"))
  end)

  it("presents a client certificate with cert and key", function()
    local ok, r = get(mtls, { cacert = certs.ca, cert = certs.client_cert, key = certs.client_key })
    assert.is_true(ok, tostring(r))
    assert.equal(200, r.status)
    assert.equal(1, mtls:count("GET", "/t"))
  end)

  it("fails against a server that requires a client certificate when none is given", function()
    local ok, e = get(mtls, { cacert = certs.ca })
    assert.is_false(ok)
    assert.is_true(H.errors.is(e, "TransportError"), tostring(e))
    assert.equal(0, mtls:count())
  end)

  -- Regression: a certificate failure was retried connect_retries times with
  -- backoff (1.75-3.5 s with the defaults) and then lost its reason "tls".
  it("fails fast on a certificate problem: no retries, reason tls", function()
    local t0 = core.now()
    local ok, e = get(fx, { connect_retries = 3, retry_backoff_base = 0.2 })
    local elapsed = core.now() - t0
    assert.is_false(ok)
    assert.is_true(H.errors.is(e, "TransportError"), tostring(e))
    assert.equal("tls", e.reason)
    assert.is_nil(e.retries)
    assert.is_true(elapsed < 0.2, ("took %.2f s"):format(elapsed))
  end)
end)
