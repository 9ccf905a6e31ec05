-- Specs for openstack.yaml: every construct clouds.yaml files use, errors
-- with file and line, agreement with libyaml (lyaml), and robustness.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path

local yaml = require "openstack.yaml"
local errors = require "openstack.errors"
local null = yaml.null

local function load(text) return yaml.load(text, "test.yaml") end

-- The ConfigError raised by loading `text`.
local function load_error(text, filename)
  local ok, e = pcall(yaml.load, text, filename or "test.yaml")
  assert(not ok, "expected a ConfigError, the document loaded")
  assert(errors.is(e, "ConfigError"), "expected a ConfigError, got: " .. tostring(e))
  return e
end

describe("openstack.yaml", function()
  describe("scalars (YAML 1.2 core schema)", function()
    it("resolves decimal, hex and octal integers to Lua integers", function()
      local t = load("a: 42\nb: -7\nc: +3\nd: 0x1F\ne: 0o17\nf: 0\n")
      assert.same({ a = 42, b = -7, c = 3, d = 31, e = 15, f = 0 }, t)
      for _, v in pairs(t) do assert.equal("integer", math.type(v)) end
    end)

    it("keeps 64-bit extremes as integers", function()
      local t = load("a: 9223372036854775807\nb: -9223372036854775808\n")
      assert.equal(math.maxinteger, t.a)
      assert.equal(math.mininteger, t.b)
    end)

    it("resolves floats, exponents, infinities and NaN to floats", function()
      local t = load("a: 1.5\nb: 1e3\nc: -2.5E-1\nd: .5\ne: 3.\nf: .inf\ng: -.Inf\nh: .nan\n")
      assert.equal(1.5, t.a)
      assert.equal(1000.0, t.b)
      assert.equal("float", math.type(t.b))
      assert.equal(-0.25, t.c)
      assert.equal(0.5, t.d)
      assert.equal(3.0, t.e)
      assert.equal(math.huge, t.f)
      assert.equal(-math.huge, t.g)
      assert.is_true(t.h ~= t.h)
    end)

    it("resolves true/false in their three spellings to booleans", function()
      assert.same({ true, true, true, false, false, false },
        load("[true, True, TRUE, false, False, FALSE]"))
    end)

    it("keeps YAML 1.1 booleans (yes/no/on/off) and odd casings as strings", function()
      assert.same({ "yes", "no", "on", "off", "y", "tRue" },
        load("[yes, no, on, off, y, tRue]"))
    end)

    it("resolves null, ~ and empty values to yaml.null and keeps the key", function()
      local t = load("a: null\nb: ~\nc:\nd: Null\ne: NULL\n")
      for _, k in ipairs { "a", "b", "c", "d", "e" } do assert.equal(null, t[k]) end
    end)

    it("keeps quoted scalars as strings whatever they look like", function()
      assert.same({ "123", "true", "~", "", "1.5", "null" },
        load([=[["123", 'true', "~", '', "1.5", 'null']]=]))
    end)

    it("keeps other plain text as strings, colons and hashes inside included", function()
      local t = load("url: http://keystone:5000/v3\nname: a#b\nver: 1.2.3\n")
      assert.same({ url = "http://keystone:5000/v3", name = "a#b", ver = "1.2.3" }, t)
    end)

    it("trims trailing blanks and trailing comments from plain scalars", function()
      assert.same({ a = "value with spaces" }, load("a:    value with spaces   # note\n"))
    end)

    it("folds multi-line plain scalars into one line", function()
      assert.same({ a = "one two\nthree" }, load("a: one\n  two\n\n  three\n"))
    end)

    it("makes yaml.null read-only so that it cannot be corrupted", function()
      assert.has_error(function() null.x = 1 end)
    end)
  end)

  describe("quoted scalars", function()
    it("unescapes '' in single-quoted scalars and nothing else", function()
      assert.same({ a = "it's", b = [[back\slash]] }, load("a: 'it''s'\nb: 'back\\slash'\n"))
    end)

    it("decodes every double-quoted escape", function()
      local t = load([[a: "\t\n\r\\\"\/\0\a\b\v\f\e\ \N\_\L\P"]])
      assert.equal("\t\n\r\\\"/\0\a\b\v\f\27 \u{85}\u{A0}\u{2028}\u{2029}", t.a)
    end)

    it("decodes \\x, \\u and \\U escapes and surrogate pairs to UTF-8", function()
      local t = load([[a: "\x41\u00e9\U0001F600\uD83D\uDE00"]])
      assert.equal("Aé😀😀", t.a)
    end)

    it("folds line breaks in quoted scalars and joins escaped line breaks", function()
      local t = load('a: "one\n  two\n\n  three"\nb: \'x\n  y\'\nc: "join\\\n    ed"\n')
      assert.same({ a = "one two\nthree", b = "x y", c = "joined" }, t)
    end)

    it("allows quoted keys", function()
      assert.same({ ["a key"] = 1, ["b: c"] = 2 }, load("'a key': 1\n\"b: c\": 2\n"))
    end)
  end)

  describe("block collections", function()
    it("reads nested mappings at any consistent indentation", function()
      local two = load("a:\n  b:\n    c: 1\n  d: 2\n")
      local four = load("a:\n    b:\n        c: 1\n    d: 2\n")
      local mixed = load("a:\n b:\n      c: 1\n d: 2\n")
      assert.same({ a = { b = { c = 1 }, d = 2 } }, two)
      assert.same(two, four)
      assert.same(two, mixed)
    end)

    it("reads sequences, nested and compact ones, and mappings in them", function()
      local t = load("- a\n- - b\n  - c\n- d: 1\n  e: 2\n-\n  - f\n")
      assert.same({ "a", { "b", "c" }, { d = 1, e = 2 }, { "f" } }, t)
    end)

    it("reads a sequence indented at its key's level", function()
      assert.same({ key = { "a", "b" }, other = "c" }, load("key:\n- a\n- b\nother: c\n"))
    end)

    it("keeps null entries in sequences so that they have no holes", function()
      local t = load("- a\n-\n- c\n")
      assert.equal(3, #t)
      assert.equal(null, t[2])
    end)

    it("lets the last of duplicate keys win, as PyYAML does", function()
      assert.same({ a = 2 }, load("a: 1\na: 2\n"))
    end)

    it("reads non-string keys as their scalar types", function()
      local t = load("1: one\ntrue: yes\n")
      assert.equal("one", t[1])
      assert.equal("yes", t[true])
    end)
  end)

  describe("block scalars", function()
    it("keeps line breaks in literal scalars", function()
      assert.same({ a = "line1\nline2\n\nline4\n", b = 1 },
        load("a: |\n  line1\n  line2\n\n  line4\nb: 1\n"))
    end)

    it("folds lines in folded scalars, keeping more-indented lines", function()
      assert.same({ a = "a b\nc\n  more\nd\n" }, load("a: >\n  a\n  b\n\n  c\n    more\n  d\n"))
    end)

    it("clips, strips (-) and keeps (+) trailing line breaks", function()
      local t = load("clip: |\n  x\n\n\nstrip: |-\n  x\n\n\nkeep: |+\n  x\n\n\nend: 1\n")
      assert.equal("x\n", t.clip)
      assert.equal("x", t.strip)
      assert.equal("x\n\n\n", t.keep)
    end)

    it("honours an explicit indentation indicator", function()
      assert.same({ a = "  indented\nless\n" }, load("a: |2\n    indented\n  less\n"))
    end)

    it("takes '#' inside a block scalar as text, but allows a header comment", function()
      assert.same({ a = "# not a comment\n" }, load("a: |  # header\n  # not a comment\n"))
    end)

    it("adds no line break at the end of input without one", function()
      assert.same({ a = "x" }, load("a: |\n  x"))
    end)

    it("works in sequences and at document level", function()
      assert.same({ "lit\n", "folded text\n" }, load("- |\n  lit\n- >\n  folded\n  text\n"))
      assert.equal("doc\n", load("--- |\n  doc\n"))
    end)
  end)

  describe("flow collections", function()
    it("reads flow sequences and mappings, nested", function()
      assert.same({ a = { 1, "two", { x = "y" } }, b = { c = { 1, 2 } } },
        load("a: [1, two, {x: y}]\nb: {c: [1, 2]}\n"))
    end)

    it("reads flow collections spanning lines, with comments and trailing commas", function()
      assert.same({ a = { 1, 2 }, b = { x = 1 } }, load("a: [\n  1,  # one\n  2,\n]\nb: {\n  x: 1,\n}\n"))
    end)

    it("reads JSON, adjacent colons after quoted keys included", function()
      assert.same({ a = 1, b = { true, false, null }, c = { d = "e" } },
        load('{"a":1, "b":[true,false,null], "c":{"d":"e"}}'))
    end)

    it("reads empty collections, keys without values and single-pair entries", function()
      assert.same({ a = {}, b = {}, c = { k = null, l = 1 }, d = { { x = 1 }, "y" } },
        load("a: []\nb: {}\nc: {k, l: 1}\nd: [x: 1, y]\n"))
    end)
  end)

  describe("documents and comments", function()
    it("skips comments, '---', '...' and directives", function()
      assert.same({ a = 1 }, load("%YAML 1.2\n# comment\n--- # here too\na: 1 # trailing\n...\n"))
    end)

    it("gives yaml.null for empty and comment-only documents", function()
      assert.equal(null, load(""))
      assert.equal(null, load("# nothing\n\n"))
      assert.equal(null, load("---\n"))
    end)

    it("accepts CRLF line ends and a byte order mark", function()
      assert.same({ a = 1, b = { "x" } }, load("\239\187\191a: 1\r\nb:\r\n  - x\r\n"))
    end)
  end)

  describe("anchors, aliases and merge keys", function()
    it("gives an alias the anchored table itself", function()
      local t = load("a: &x {p: 1}\nb: *x\nc: &s scalar\nd: *s\n")
      assert.equal(t.a, t.b)
      assert.equal("scalar", t.d)
    end)

    it("merges a mapping's keys under the explicit ones, wherever they are", function()
      local t = load([[
base: &base {a: 1, b: 2, c: 3}
x:
  b: explicit before
  <<: *base
  c: explicit after
]])
      assert.same({ a = 1, b = "explicit before", c = "explicit after" }, t.x)
    end)

    it("merges a list of mappings, earlier ones winning", function()
      local t = load("one: &one {k: 1, a: 1}\ntwo: &two {k: 2, b: 2}\nm:\n  <<: [*one, *two]\n")
      assert.same({ k = 1, a = 1, b = 2 }, t.m)
    end)

    it("does not change the anchored mapping when merging", function()
      local t = load("base: &b {a: 1}\nm:\n  <<: *b\n  a: 2\n")
      assert.same({ a = 1 }, t.base)
    end)

    it("merges inline mappings and in flow mappings", function()
      assert.same({ m = { a = 1, b = 2 } }, load("m:\n  <<: {a: 1}\n  b: 2\n"))
      assert.same({ a = 1, c = 3 }, load("a: &a {a: 1}\nb: {<<: *a, c: 3}\n").b)
    end)

    it("treats a quoted '<<' as an ordinary key", function()
      assert.same({ ["<<"] = "x" }, load("'<<': x\n"))
    end)

    it("refuses a merge of something that is not a mapping", function()
      assert.matches("test.yaml:3: a merge key '<<' needs a mapping",
        load_error("a: &a [1]\nb:\n  <<: *a\n").message, 1, true)
      assert.matches("merge key", load_error("b:\n  <<: scalar\n").message, 1, true)
    end)

    it("names an undefined alias", function()
      assert.equal("test.yaml:2: undefined alias 'nope'", load_error("a: 1\nb: *nope\n").message)
    end)
  end)

  describe("tags", function()
    it("honours !!str, !!int, !!float, !!bool, !!null, !!map, !!seq", function()
      local t = load("a: !!str 123\nb: !!int '7'\nc: !!float 1\nd: !!bool true\ne: !!null ''\n"
        .. "f: !!map {x: 1}\ng: !!seq [1]\nh: !!str\n")
      assert.same({ a = "123", b = 7, c = 1.0, d = true, e = null, f = { x = 1 }, g = { 1 }, h = "" }, t)
      assert.equal("float", math.type(t.c))
    end)

    it("refuses unknown tags and values that do not match their tag", function()
      assert.matches("unsupported tag '!python/object'", load_error("a: !python/object x\n").message, 1, true)
      assert.matches("does not match its tag 'int'", load_error("a: !!int abc\n").message, 1, true)
      assert.matches("does not match its tag 'seq'", load_error("a: !!seq {b: 1}\n").message, 1, true)
    end)
  end)

  describe("errors", function()
    it("raises ConfigError with file, line and reason", function()
      local e = load_error("clouds:\n  a:\n    b: 1\n   c: 2\n", "clouds.yaml")
      assert.equal("clouds.yaml:4: bad indentation of a mapping entry", e.message)
      assert.equal("clouds.yaml", e.file)
      assert.equal(4, e.line)
      assert.equal("bad indentation of a mapping entry", e.reason)
    end)

    it("calls the file <string> when no name is given", function()
      local ok, e = pcall(yaml.load, "a: [")
      assert.is_false(ok)
      assert.equal("<string>:1: unterminated flow sequence", e.message)
    end)

    local cases = {
      { "- - a\n - b\n", "test.yaml:2: bad indentation of a sequence entry" },
      { "a: 1\n  b: 2\n", "test.yaml:2: mapping values are not allowed here" },
      { "a: b: c\n", "test.yaml:1: mapping values are not allowed here" },
      { "a:\n\tb: 1\n", "test.yaml:2: tab character used for indentation" },
      { "a: 1\nb: 'open\n\nc: 2\n", "test.yaml:2: unterminated single-quoted string" },
      { 'a: "open\n', "test.yaml:1: unterminated double-quoted string" },
      { "a: {b: 1\n", "test.yaml:1: unterminated flow mapping" },
      { "a: [1, 2 3}\n", "test.yaml:1: expected ',' or ']' in flow sequence" },
      { "a: 1\n---\nb: 2\n", "test.yaml:2: only one document is supported" },
      { "- a\nb: c\n", "test.yaml:2: expected a sequence entry ('- ') at this indentation" },
      { "a: 1\nb\n", "test.yaml:2: expected ':' after a mapping key" },
      { "? a\n: b\n", "test.yaml:1: explicit mapping keys ('?') are not supported" },
      { "[a]: b\n", "test.yaml:1: collections are not supported as mapping keys" },
      { 'a: "\\q"\n', "test.yaml:1: unknown escape sequence in double-quoted string" },
      { "a: 'x' y\n", "test.yaml:1: unexpected text after a value" },
      { "a: @x\n", "test.yaml:1: unexpected character '@'" },
      { "a: |0\n  x\n", "test.yaml:1: invalid block scalar header" },
      { "a: 1\nb: \1\n", "test.yaml:2: control characters are not allowed" },
      { "a: 1\nb: \255\n", "test.yaml:2: invalid UTF-8" },
    }
    for _, case in ipairs(cases) do
      it(("reports %q"):format(case[2]), function()
        assert.equal(case[2], load_error(case[1]).message)
      end)
    end

    it("never echoes the text of a scalar, which may be a password", function()
      for _, doc in ipairs {
        "password: 'hunter2\n", "password: hunter2\n  x: 1\n", 'password: "hunter2\\q"\n',
        "password: hunter2 'x\n bad: 1\n", "password: [hunter2\n",
      } do
        assert.not_matches("hunter2", load_error(doc).message, 1, true)
      end
    end)

    it("refuses text that is not a string with InvalidArgument", function()
      local ok, e = pcall(yaml.load, 42)
      assert.is_false(ok)
      assert.is_true(errors.is(e, "InvalidArgument"))
    end)
  end)

  describe("agrees with libyaml (lyaml)", function()
    local lyaml = require "lyaml"

    -- Compare values with lyaml.null and yaml.null taken as equal.
    local function same(a, b)
      if a == lyaml.null then return b == null end
      if type(a) ~= "table" or type(b) ~= "table" then
        return a == b and math.type(a) == math.type(b)
      end
      for k, v in pairs(a) do if not same(v, b[k]) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true
    end

    -- Documents without merge keys or YAML 1.1-only scalars.
    local documents = {
      "a: 1\nb: two\nc: 3.5\nd: true\ne: ~\nf:\n",
      "- a\n- b\n-\n  - c\n  - d\n- e: 1\n  f: 2\n",
      "a:\n  b:\n    c: 1\n  d: [1, 2, {x: y}]\n",
      "key:\n- a\n- b\nother: c\n",
      "s1: 'it''s'\ns2: \"tab\\there \\u00e9 \\x41 \\U0001F600\"\n",
      "lit: |\n  line1\n  line2\n\n  line4\nnext: x\n",
      "fold: >\n  a\n  b\n\n  c\n   more\n  d\n",
      "strip: |-\n  text\n\n\nclip: |\n  text\n\n\nkeep: |+\n  text\n\n\nend: 1\n",
      "a: >\n  a\n    b\n  c\n",
      "a: |\n  x\n  \n  y\n",
      "a: |\n  a\n    \n  b\n",
      "a: >-\n  one\n  two\n\n\n",
      "- |-\n  a\n- |+\n  b\n\n- c\n",
      "a: &x {p: 1, q: 2}\nb: *x\n",
      "# comment\n---\na: 1 # trailing\n...\n",
      "plain: this is\n  multi line\n\n  text\n",
      "q: \"multi\n  line\n\n  quoted\"\n",
      "a: \"line\\\n  continued\"\n",
      "url: http://example.com:5000/v3\n",
      "a: b#c\nd: e #f\n",
      "{a: 1, b: [x, y], c: {d: e}}",
      "a: [\n  1,\n  2,\n]\n",
      "- - a\n  - b\n- - c\n",
      "a: -1\nb: +2\nc: 0x1F\nd: 1.5e3\ne: -.inf\n",
      "'quoted key': v\n\"dq key\": w\n",
      "a: |2\n    indented\n  less\n",
      "x:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\n",
      "a: [a b, c d]\nb: {a b: c d}\nc: [\"a,b\", 'c]d']\n",
      "a: {k: , l: 1}\nb: [a: 1, b]\n",
      "{\"a\":1, \"b\":[true,false,null]}",
      "a: True\nb: FALSE\nc: Null\nd: NULL\n",
      "1: a\n2: b\n",
      "list:\n  - a\n  # comment\n  - b\nm:\n  # c\n  k: v\n",
      "a: !!str 123\nb: !!float 1\n",
      "-   a\n-   b: 1\n    c: 2\n",
      "clouds:\n  mycloud:\n    auth:\n      auth_url: https://k:5000/v3\n"
        .. "      username: u\n      password: \"p@ss: word\"\n    region_name: RegionOne\n",
    }
    for i, doc in ipairs(documents) do
      it(("loads document %d as lyaml does"):format(i), function()
        local theirs = lyaml.load(doc)
        local ours = load(doc)
        assert.is_true(same(theirs, ours), ("document %d: %q"):format(i, doc))
      end)
    end
  end)

  describe("robustness", function()
    -- Loading must return or raise a ConfigError, quickly. The bound is loose
    -- for busy machines; quadratic behaviour on these inputs takes minutes.
    local function check(doc)
      local start = os.clock()
      local ok, e = pcall(yaml.load, doc, "fuzz.yaml")
      if not ok and not errors.is(e, "ConfigError") then
        error(("non-ConfigError %s for %q"):format(tostring(e), doc))
      end
      local took = os.clock() - start
      if took > 2 then error(("%.2fs for %q"):format(took, doc:sub(1, 200))) end
    end

    local seeds = {
      "clouds:\n  a:\n    auth:\n      auth_url: 'http://x'\n      password: \"p\\tw\"\n"
        .. "    regions: [r1, {name: r2, values: {interface: internal}}]\n",
      "base: &b {a: 1}\nc:\n  <<: [*b]\n  d: |\n    text\n  e: >-\n    more\n",
      "- - a\n  - 'b'\n- c: ~\n  d: [1, {e: f}]\n--- \n...\n",
    }
    local tokens = { " ", "  ", "\n", "\t", "-", ":", "?", "#", "&a", "*a", "!", "!!str", "|", ">",
      "'", '"', "[", "]", "{", "}", ",", "<<", "\\", "a", "1", "---", "...", "\\u", "%", "@", "\r",
      "+", "- ", ": ", "<<: *a\n", "é" }

    it("raises only ConfigError on random bytes", function()
      math.randomseed(1)
      for _ = 1, 2000 do
        local bytes = {}
        for i = 1, math.random(0, 120) do bytes[i] = string.char(math.random(0, 255)) end
        check(table.concat(bytes))
      end
    end)

    it("raises only ConfigError on random sequences of YAML tokens", function()
      math.randomseed(2)
      for _ = 1, 3000 do
        local parts = {}
        for i = 1, math.random(0, 40) do parts[i] = tokens[math.random(#tokens)] end
        check(table.concat(parts))
      end
    end)

    it("raises only ConfigError on mutations of valid documents", function()
      math.randomseed(3)
      for _ = 1, 3000 do
        local s = seeds[math.random(#seeds)]
        for _ = 1, math.random(1, 5) do
          local i = math.random(1, #s + 1)
          local r = math.random()
          if r < 0.5 then
            s = s:sub(1, i - 1) .. tokens[math.random(#tokens)] .. s:sub(i)
          elseif r < 0.8 then
            s = s:sub(1, i - 1) .. s:sub(i + math.random(1, 4))
          else
            s = s:sub(1, i - 1) .. string.char(math.random(0, 255)) .. s:sub(i)
          end
        end
        check(s)
      end
    end)

    it("bounds nesting depth for flow and block collections", function()
      assert.matches("nesting deeper than 200 levels", load_error(("["):rep(100000)).message, 1, true)
      local lines = {}
      for i = 0, 300 do lines[#lines + 1] = (" "):rep(i) .. "k:" end
      assert.matches("nesting deeper than 200 levels", load_error(table.concat(lines, "\n")).message, 1, true)
      assert.matches("nesting deeper", load_error(("- "):rep(1000) .. "x").message, 1, true)
      assert.is_table(load(("["):rep(150) .. ("]"):rep(150)))
    end)

    it("refuses billion laughs before expanding it", function()
      local lines = { "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]" }
      for i = 2, 10 do
        local prev, cur = string.char(96 + i - 1), string.char(96 + i)
        lines[i] = ("%s: &%s [%s]"):format(cur, cur, ("*" .. prev .. ", "):rep(9) .. "*" .. prev)
      end
      local start = os.clock()
      assert.matches("aliases expand to more than 100000 nodes",
        load_error(table.concat(lines, "\n")).message, 1, true)
      assert.is_true(os.clock() - start < 2)
    end)

    it("stays linear on long lines and long runs of blanks", function()
      check("a: " .. (" "):rep(200000) .. "x")
      check("a: x" .. (" "):rep(200000) .. "\n")
      check("a: " .. ("x:"):rep(100000) .. "y")
      check("a: " .. ("x #"):rep(50000))
      check("a: '" .. ("x \n"):rep(50000) .. "'")
      check("a: |\n" .. (" "):rep(200000) .. "\n  x\n")
      check("[" .. ("a,"):rep(50000) .. "]")
    end)
  end)
end)
