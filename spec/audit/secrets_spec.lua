-- The secrets audit: tools/test.sh runs every suite with OSTACK_TRACE_FILE
-- set, so each connection's redacted trace and every error the SDK built
-- land in one file; this spec (run last) fails if any credential the
-- suites used appears in it.
local trace = os.getenv("OSTACK_AUDIT_TRACE")

-- the distinctive secrets the unit, functional and tool specs use
local secrets = {
  "Pw-s3cret-4f9a1c", "gAAAAAB-token-7d1e0c9b", "AppCred-s3cret-55ab", "AdminPass-s3cret-99",
  "gAAAAABfixture-token-0123456789", "gAAAAAB-interp-token-55", "Pw-s3cret-interp-77",
  "MySecretPass", "seekr3t", "admin-secret", "demo-secret", "service-secret", "ft-wrong-pass",
}

describe("secrets audit of a whole test run", function()
  if not trace then
    pending("run by tools/test.sh after the suites (OSTACK_AUDIT_TRACE names their trace)")
    return
  end

  local text
  setup(function()
    local f = assert(io.open(trace, "rb"), "the suites' trace file is missing: " .. trace)
    text = f:read("a")
    f:close()
  end)

  it("has a trace that covers the run (requests, responses and errors were recorded)", function()
    assert.truthy(text:find("REQ POST ", 1, true), "no request was traced")
    assert.truthy(text:find("RESP 2", 1, true), "no response was traced")
    assert.truthy(text:find("\nERROR ", 1, true) or text:find("^ERROR "), "no error was traced")
  end)

  for _, secret in ipairs(secrets) do
    it("never shows the test credential " .. secret:sub(1, 4) .. "... in a trace line or error", function()
      local at = text:find(secret, 1, true)
      if at then
        local line_start = (text:sub(1, at):match(".*()\n") or 1)
        local line_end = text:find("\n", at, true) or #text
        error("found in: " .. text:sub(line_start, line_end):gsub(secret, "<THE SECRET>"), 0)
      end
    end)
  end
end)
