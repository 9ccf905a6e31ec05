-- JSON fidelity of the core codec (src/json.c, src/lua_json.c), through the
-- public module openstack.json and openstack.core.
local openstack = require "openstack"
local json = require "openstack.json"
local core = require "openstack.core"
local errors = require "openstack.errors"

-- The InvalidArgument raised by fn(...).
local function json_error(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error, got a result")
  assert(errors.is(e, "InvalidArgument"), "expected InvalidArgument, got " .. tostring(e))
  return e
end

local function roundtrip(text) return json.encode(json.decode(text)) end

describe("core JSON", function()
  describe("numbers", function()
    it("keeps integers integers: 2048 decodes to a Lua integer and encodes as 2048, not 2048.0", function()
      local v = json.decode('{"ram":2048,"disk":0,"neg":-5}')
      assert.equal("integer", math.type(v.ram))
      assert.equal("integer", math.type(v.disk))
      assert.equal("integer", math.type(v.neg))
      assert.equal('{"disk":0,"neg":-5,"ram":2048}', json.encode(v))
      assert.equal('{"ram":2048}', json.encode({ ram = 2048 }))
    end)

    it("keeps 12345678901234567 exact (beyond double precision) both ways", function()
      local v = json.decode("[12345678901234567]")
      assert.equal("integer", math.type(v[1]))
      assert.equal(12345678901234567, v[1])
      assert.equal("[12345678901234567]", json.encode(v))
      assert.equal("[9223372036854775807,-9223372036854775808]",
        roundtrip("[9223372036854775807,-9223372036854775808]"))
    end)

    it("keeps floats floats: 1.0 stays 1.0 and 1e2 stays a float on the round trip", function()
      local v = json.decode('{"a":1.0,"b":2.5,"c":1e2}')
      assert.equal("float", math.type(v.a))
      assert.equal("float", math.type(v.c))
      assert.equal('{"a":1.0,"b":2.5,"c":100.0}', json.encode(v))
      assert.equal("1.0", json.encode(1.0))
      assert.equal("-0.0", json.encode(-0.0))
    end)

    it("encodes a float losslessly: decode(encode(x)) == x", function()
      for _, x in ipairs({ 0.1, 1 / 3, 2 ^ 60 + 0.0, 1e300, 5e-324, -123.456 }) do
        local back = json.decode(json.encode(x))
        assert.equal("float", math.type(back))
        assert.equal(x, back)
      end
    end)

    -- Regression (fixed in 89bf1e8): floats were written with %.17g, so 0.1
    -- went to the API as 0.10000000000000001.
    it("encodes a float with its shortest round-trip text (0.1 -> 0.1, not 0.10000000000000001)", function()
      assert.equal("0.1", json.encode(0.1))
      assert.equal("[0.1,3.14]", roundtrip("[0.1,3.14]"))
    end)

    it("rejects NaN and infinities on encode", function()
      local e = json_error(json.encode, { x = 0 / 0 })
      assert.matches("NaN", e.message)
      json_error(json.encode, math.huge)
      json_error(json.encode, -math.huge)
    end)
  end)

  describe("null and empty containers", function()
    it("decodes null to openstack.null, which is json.null, prints as null and round-trips", function()
      local v = json.decode('{"a":null,"b":[1,null,3]}')
      assert.equal(openstack.null, v.a)
      assert.equal(json.null, v.a)
      assert.equal(core.null, v.a)
      assert.equal("null", tostring(v.a))
      assert.equal(3, #v.b)
      assert.equal(json.null, v.b[2])
      assert.equal('{"a":null,"b":[1,null,3]}', json.encode(v))
      assert.equal("null", json.encode(json.null))
    end)

    it("keeps [] and {} distinct through decode -> encode, at any depth", function()
      assert.equal("[]", roundtrip("[]"))
      assert.equal("{}", roundtrip("{}"))
      local doc = '{"a":[],"b":{},"c":[[],{}],"d":{"e":[],"f":{}}}'
      assert.equal(doc, roundtrip(doc))
    end)

    it("marks decoded arrays (and empty objects) so that emptying them keeps their type", function()
      local v = json.decode('{"list":[1,2],"obj":{}}')
      assert.equal(core.array_mt, getmetatable(v.list))
      assert.equal(core.object_mt, getmetatable(v.obj))
      v.list[2], v.list[1] = nil, nil
      assert.equal('{"list":[],"obj":{}}', json.encode(v))
    end)

    it("json.array() and json.object() mark tables as [] and {}", function()
      assert.equal("[]", json.encode(json.array()))
      assert.equal("{}", json.encode(json.object()))
      assert.equal("[1,2]", json.encode(json.array({ 1, 2 })))
      local t = {}
      assert.equal(t, json.array(t), "array() marks and returns the same table")
      assert.equal('{"tags":[]}', json.encode({ tags = json.array() }))
      assert.equal('{"metadata":{}}', json.encode({ metadata = json.object() }))
      -- a sequence is an array, anything else an object
      assert.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
    end)
  end)

  describe("strings", function()
    it("decodes \\u escapes and surrogate pairs to UTF-8", function()
      assert.equal("é", json.decode('"\\u00e9"'))
      assert.equal("中", json.decode('"\\u4e2d"'))
      assert.equal("\u{1F600}", json.decode('"\\ud83d\\ude00"'))
      assert.equal(4, #json.decode('"\\ud83d\\ude00"'))
      assert.equal("a\0b", json.decode('"a\\u0000b"'))
      assert.equal('"/\\\b\f\n\r\t', json.decode('"\\"\\/\\\\\\b\\f\\n\\r\\t"'))
    end)

    it("encodes UTF-8 as is and escapes quotes, backslashes and control characters", function()
      assert.equal('"é中\u{1F600}"', json.encode("é中\u{1F600}"))
      assert.equal('"a\\"b\\\\c\\n\\u0001/"', json.encode('a"b\\c\n\1/'))
      assert.equal("\u{1F600}", json.decode(json.encode("\u{1F600}")))
    end)

    it("rejects invalid UTF-8 on decode, naming the byte offset", function()
      local e = json_error(json.decode, '["ok","\xff"]')
      assert.matches("UTF%-8", e.message)
      assert.matches("byte 7", e.message)
      json_error(json.decode, '"\xc0\xaf"')        -- overlong
      json_error(json.decode, '"\xed\xa0\x80"')    -- encoded surrogate
      json_error(json.decode, '"\xf4\x90\x80\x80"') -- beyond U+10FFFF
    end)

    it("rejects invalid UTF-8 in string values on encode, naming where", function()
      local e = json_error(json.encode, { name = { "ok", "\xff" } })
      assert.matches("UTF%-8", e.message)
      assert.matches(".name[2]", e.message, 1, true)
    end)

    -- Regression (fixed in 89bf1e8): object keys skipped the UTF-8 check, so
    -- the encoder could emit invalid JSON text.
    it("rejects invalid UTF-8 in object keys on encode", function()
      local e = json_error(json.encode, { ["bad\xff"] = 1 })
      assert.matches("UTF%-8", e.message)
    end)
  end)

  describe("structure", function()
    it("accepts 512 levels of nesting and rejects 513 with the offset", function()
      local ok_doc = ("["):rep(512) .. ("]"):rep(512)
      assert.equal(ok_doc, json.encode(json.decode(ok_doc)))
      local e = json_error(json.decode, ("["):rep(513) .. ("]"):rep(513))
      assert.matches("nest", e.message)
      assert.matches("byte 512", e.message)
    end)

    it("refuses to encode a cycle instead of recursing forever", function()
      local t = {}
      t.self = t
      local e = json_error(json.encode, t)
      assert.matches("deep", e.message)
    end)

    it("names the byte offset of syntax errors", function()
      assert.matches("byte 7", json_error(json.decode, '{"a":1,}').message)
      assert.matches("byte 4", json_error(json.decode, "[1,2").message)
      assert.matches("trailing data.*byte 4", json_error(json.decode, "[1] x").message)
      assert.matches("byte 0", json_error(json.decode, "").message)
      assert.matches("byte 1", json_error(json.decode, "01").message)
    end)

    it("pretty-prints with two-space indentation and sorted keys", function()
      local text = json.encode({ b = { 1, 2 }, a = { c = json.null, d = json.object() } }, { pretty = true })
      assert.equal(table.concat({
        "{",
        '  "a": {',
        '    "c": null,',
        '    "d": {}',
        "  },",
        '  "b": [',
        "    1,",
        "    2",
        "  ]",
        "}",
      }, "\n"), text)
      assert.same(json.decode(text), json.decode(json.encode(json.decode(text))))
    end)

    it("sorts object keys, so that bodies are deterministic", function()
      assert.equal('{"a":2,"b":1,"c":{"y":2,"z":1}}', json.encode({ c = { z = 1, y = 2 }, b = 1, a = 2 }))
    end)

    it("rejects keys that are neither strings nor numbers", function()
      local e = json_error(json.encode, { [true] = 1 })
      assert.matches("keys must be strings", e.message)
      json_error(json.encode, { [{}] = 1 })
    end)

    -- Regression (fixed in 89bf1e8): a float key (1.5) was looked up again
    -- as "1.5", then as the integer 1, and its value silently became null.
    it("never turns the value of a non-integer numeric key into null", function()
      local ok, text = pcall(json.encode, { [1.5] = "value" })
      if ok then
        assert.equal('{"1.5":"value"}', text)
      else
        assert.truthy(errors.is(text, "InvalidArgument"))
      end
    end)

    it("rejects functions and other userdata, naming the key path", function()
      local e = json_error(json.encode, { a = { b = { io.stdout } } })
      assert.matches(".a.b[1]", e.message, 1, true)
      json_error(json.encode, { f = function() end })
    end)

    it("encodes a table through its __tojson metamethod", function()
      local obj = setmetatable({ secret_internal = 1 }, {
        __tojson = function(self) return { id = "abc", size = 10 } end,
      })
      assert.equal('{"server":{"id":"abc","size":10}}', json.encode({ server = obj }))
    end)
  end)

  describe("redaction", function()
    it("hides passwords, secrets, adminPass and tokens but keeps the rest", function()
      local text = core.redact_json(json.encode({
        auth = { identity = { password = { user = { name = "alice", password = "pw1" } } } },
        application_credential = { id = "ac", secret = "sec1" },
        server = { name = "vm", adminPass = "ap1" },
        token = { id = "tok1", catalog = json.array() },
      }))
      for _, secret in ipairs({ "pw1", "sec1", "ap1", "tok1" }) do
        assert.is_nil(text:find(secret, 1, true), secret .. " leaked: " .. text)
      end
      assert.truthy(text:find('"name":"vm"', 1, true))
      assert.truthy(text:find('"catalog":[]', 1, true))
      assert.truthy(text:find('"id":"ac"', 1, true))
    end)

    it("replaces a non-JSON text by its size instead of echoing it", function()
      assert.equal("<18 bytes, not JSON>", core.redact_json("password=hunter2 x"))
    end)
  end)
end)
