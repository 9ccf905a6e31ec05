-- A small YAML reader for clouds.yaml / secure.yaml: the block and flow
-- constructs such files use, anchors, aliases and merge keys, with scalars
-- resolved by the YAML 1.2 core schema. Any input either loads or raises a
-- ConfigError naming the file and line.
local errors = require "openstack.errors"

local yaml = {}

--- The value of `~`, `null` and empty nodes. A mapping key with a null value
-- is kept (`t.key == yaml.null`) so that it can be told from an absent key,
-- and sequences hold it so that they have no holes.
yaml.null = setmetatable({}, {
  __tostring = function() return "yaml.null" end,
  __newindex = function() error("yaml.null is read-only", 2) end,
})

--- Documents may nest at most this deep.
yaml.MAX_DEPTH = 200
--- Aliases share the anchored table, so loading stays cheap, but whoever
-- walks or copies the result pays for every use (billion laughs). Documents
-- whose aliases stand for more nodes than this in total are refused.
yaml.MAX_ALIAS_NODES = 100000

local null = yaml.null
local sub, find, byte = string.sub, string.find, string.byte

-- Names quoted in messages are cut short: they come from the input.
local function shorten(name)
  return #name > 40 and sub(name, 1, 40) .. "..." or name
end

local function fail(p, msg, line)
  line = line or p.line
  errors.raise("ConfigError", ("%s:%d: %s"):format(p.file, line, msg),
    { file = p.file, line = line, reason = msg })
end

-- Low-level scanning ----------------------------------------------------------

local function ch(p, k)
  local i = p.pos + (k or 0)
  return sub(p.s, i, i)
end

local function is_blank(c) return c == " " or c == "\t" end
local function is_ws(c) return c == " " or c == "\t" or c == "\n" or c == "" end
local function is_flow_indicator(c)
  return c == "," or c == "[" or c == "]" or c == "{" or c == "}"
end

local function column(p) return p.pos - p.line_start end
local function at_eof(p) return p.pos > #p.s end
local function at_eol(p) return ch(p) == "\n" or at_eof(p) end

-- An indicator such as "- " or ": " is only one when whitespace follows.
local function at_indicator(p, c) return ch(p) == c and is_ws(ch(p, 1)) end

local function newline(p)
  p.pos = p.pos + 1
  p.line = p.line + 1
  p.line_start = p.pos
end

local function save(p) return { p.pos, p.line, p.line_start } end
local function restore(p, st) p.pos, p.line, p.line_start = st[1], st[2], st[3] end

-- Strip trailing blanks without patterns (they go quadratic on long runs).
local function rtrim(str)
  local n = #str
  while n > 0 and (byte(str, n) == 32 or byte(str, n) == 9) do n = n - 1 end
  return sub(str, 1, n)
end

local function skip_blanks(p)
  p.pos = find(p.s, "[^ \t]", p.pos) or #p.s + 1
end

local function skip_to_eol(p)
  p.pos = find(p.s, "\n", p.pos, true) or #p.s + 1
end

-- Blanks, then a comment if one starts here ('#' after whitespace).
local function skip_inline(p)
  skip_blanks(p)
  if ch(p) == "#" and (p.pos == p.line_start or is_blank(ch(p, -1))) then
    skip_to_eol(p)
  end
end

-- Blanks, comments and line breaks. In block context, the indentation of
-- the line where content resumes must be made of spaces.
local function skip_space(p, flow)
  local line_start = p.pos == p.line_start
  while true do
    skip_inline(p)
    if ch(p) ~= "\n" then break end
    newline(p)
    line_start = true
  end
  if line_start and not flow and not at_eof(p)
      and find(sub(p.s, p.line_start, p.pos - 1), "\t", 1, true) then
    fail(p, "tab character used for indentation")
  end
end

-- "---" or "..." at the start of a line ends the document.
local function at_doc_marker(p)
  if p.pos ~= p.line_start then return false end
  local m = sub(p.s, p.pos, p.pos + 2)
  return (m == "---" or m == "...") and is_ws(ch(p, 3))
end

local function enter(p)
  p.depth = p.depth + 1
  if p.depth > yaml.MAX_DEPTH then
    fail(p, ("nesting deeper than %d levels"):format(yaml.MAX_DEPTH))
  end
end

local function leave(p) p.depth = p.depth - 1 end

-- Scalar resolution (YAML 1.2 core schema) ---------------------------------

local constants = {
  [""] = null, ["~"] = null, null = null, Null = null, NULL = null,
  ["true"] = true, True = true, TRUE = true,
  ["false"] = false, False = false, FALSE = false,
  [".inf"] = math.huge, [".Inf"] = math.huge, [".INF"] = math.huge,
  ["+.inf"] = math.huge, ["+.Inf"] = math.huge, ["+.INF"] = math.huge,
  ["-.inf"] = -math.huge, ["-.Inf"] = -math.huge, ["-.INF"] = -math.huge,
  [".nan"] = 0 / 0, [".NaN"] = 0 / 0, [".NAN"] = 0 / 0,
}

local float_patterns = {
  "^[-+]?%.%d+$", "^[-+]?%d+%.%d*$",
  "^[-+]?%.%d+[eE][-+]?%d+$", "^[-+]?%d+%.?%d*[eE][-+]?%d+$",
}

local function resolve_plain(str)
  local v = constants[str]
  if v ~= nil then return v end
  if find(str, "^[-+]?%d+$") then
    -- Beyond 64 bits it is still a number, just not an integer.
    return math.tointeger(tonumber(str)) or tonumber(str)
  elseif find(str, "^0o[0-7]+$") then
    return math.tointeger(tonumber(sub(str, 3), 8)) or tonumber(sub(str, 3), 8)
  elseif find(str, "^0x%x+$") then
    return math.tointeger(tonumber(sub(str, 3), 16)) or tonumber(sub(str, 3), 16)
  end
  for _, pat in ipairs(float_patterns) do
    if find(str, pat) then return tonumber(str) + 0.0 end
  end
  return str
end

-- Properties, aliases ---------------------------------------------------------

local function read_name(p, what)
  local start = p.pos + 1
  local stop = (find(p.s, "[%s,%[%]{}]", start) or #p.s + 1) - 1
  if stop < start then fail(p, what .. " name expected") end
  p.pos = stop + 1
  return sub(p.s, start, stop)
end

-- Nodes a value stands for, counted once per distinct table.
local function node_count(p, v)
  if type(v) ~= "table" or v == null then return 1 end
  local n = p.sizes[v]
  if not n then
    n = 1
    for k, x in pairs(v) do n = n + node_count(p, k) + node_count(p, x) end
    p.sizes[v] = n
  end
  return n
end

local function read_alias(p)
  local name = read_name(p, "alias")
  local v = p.anchors[name]
  if v == nil then fail(p, ("undefined alias '%s'"):format(shorten(name))) end
  p.expanded = p.expanded + node_count(p, v)
  if p.expanded > yaml.MAX_ALIAS_NODES then
    fail(p, ("aliases expand to more than %d nodes"):format(yaml.MAX_ALIAS_NODES))
  end
  return v
end

-- Anchor and tag in front of a node, in either order.
local function read_props(p, flow)
  local anchor, tag
  while true do
    local c = ch(p)
    if c == "&" and not anchor then
      anchor = read_name(p, "anchor")
    elseif c == "!" and not tag then
      local start = p.pos
      p.pos = find(p.s, flow and "[%s,%[%]{}]" or "%s", p.pos) or #p.s + 1
      tag = sub(p.s, start, p.pos - 1)
      tag = tag:match("^!<tag:yaml%.org,2002:(.*)>$") or tag:match("^!!(.*)$") or tag
    else
      return anchor, tag
    end
    if flow then skip_space(p, true) else skip_inline(p) end
  end
end

-- Tags on scalars and the Lua type each one demands.
local SCALAR_TAGS = { int = "integer", float = "float", bool = "boolean", null = "null" }

-- Check a tagged node and convert a tagged scalar, then record its anchor.
-- `raw` is the text of a scalar (nil for collections and aliases).
local function apply_props(p, v, anchor, tag, raw, line)
  if tag == "!" or tag == "str" then
    v = raw
  elseif SCALAR_TAGS[tag] then
    v = raw and resolve_plain(raw)
    if tag == "float" and math.type(v) == "integer" then v = v + 0.0 end
    local got = v == null and "null" or math.type(v) or type(v)
    if got ~= SCALAR_TAGS[tag] then v = nil end
  elseif tag == "map" or tag == "seq" then
    local is_seq = p.seqs[v] ~= nil
    if raw or type(v) ~= "table" or v == null or is_seq ~= (tag == "seq") then v = nil end
  elseif tag then
    fail(p, ("unsupported tag '%s'"):format(shorten(tag)), line)
  end
  if v == nil then fail(p, ("value does not match its tag '%s'"):format(shorten(tag)), line) end
  if anchor then p.anchors[anchor] = v end
  return v
end

-- Scalars -------------------------------------------------------------------

-- One line of a plain scalar, up to ": ", " #", a line break or, in flow
-- context, a flow indicator. Leaves p.pos after the last non-blank.
local function scan_plain_line(p, flow)
  local s, i = p.s, p.pos
  local stops = flow and "[\n:#,%[%]{}]" or "[\n:#]"
  local stop
  while true do
    stop = find(s, stops, i) or #s + 1
    local c = sub(s, stop, stop)
    if c == ":" then
      local n = sub(s, stop + 1, stop + 1)
      if is_ws(n) or (flow and is_flow_indicator(n)) then break end
    elseif c == "#" then
      if is_blank(sub(s, stop - 1, stop - 1)) then break end
    else
      break
    end
    i = stop + 1
  end
  local text = rtrim(sub(s, p.pos, stop - 1))
  p.pos = p.pos + #text
  return text
end

-- Line breaks inside a multi-line scalar fold into one space, unless empty
-- lines follow, which each become a newline. Also consumes the leading
-- blanks of the line where the scalar resumes.
local function fold_breaks(p)
  local n = 0
  while ch(p) == "\n" do
    newline(p)
    skip_blanks(p)
    n = n + 1
  end
  return n == 1 and " " or ("\n"):rep(n - 1)
end

local function blanks_then_eol(p)
  local i = find(p.s, "[^ \t]", p.pos) or #p.s + 1
  return sub(p.s, i, i) == "\n"
end

-- A plain scalar whose first line was `first`, continued on the following
-- lines that are indented deeper than `indent` (block context) or do not
-- start with an indicator (flow context).
local function read_plain(p, flow, indent, first)
  local parts = { first }
  while blanks_then_eol(p) do
    local st = save(p)
    skip_blanks(p)
    local fold = fold_breaks(p)
    local c = ch(p)
    local resumes = c ~= "" and c ~= "#" and not at_doc_marker(p)
      and ((flow and not is_flow_indicator(c) and c ~= ":")
           or (not flow and column(p) > indent))
    local text = resumes and scan_plain_line(p, flow) or ""
    if text == "" then
      restore(p, st)
      break
    end
    parts[#parts + 1] = fold
    parts[#parts + 1] = text
  end
  return table.concat(parts)
end

local function read_single_quoted(p)
  local s, line, parts = p.s, p.line, {}
  p.pos = p.pos + 1
  while true do
    local i = find(s, "['\n]", p.pos)
    if not i then fail(p, "unterminated single-quoted string", line) end
    if sub(s, i, i) == "'" then
      parts[#parts + 1] = sub(s, p.pos, i - 1)
      p.pos = i + 1
      if ch(p) ~= "'" then break end
      parts[#parts + 1] = "'"   -- '' is an escaped quote
      p.pos = p.pos + 1
    else
      parts[#parts + 1] = rtrim(sub(s, p.pos, i - 1))
      p.pos = i
      parts[#parts + 1] = fold_breaks(p)
    end
  end
  return table.concat(parts)
end

local escapes = {
  ["0"] = "\0", a = "\a", b = "\b", t = "\t", ["\t"] = "\t", n = "\n",
  v = "\v", f = "\f", r = "\r", e = "\27", [" "] = " ", ['"'] = '"',
  ["/"] = "/", ["\\"] = "\\", N = "\u{85}", _ = "\u{A0}", L = "\u{2028}",
  P = "\u{2029}",
}
local hex_lengths = { x = 2, u = 4, U = 8 }

local function read_hex_escape(p, kind)
  local n = hex_lengths[kind]
  local digits = sub(p.s, p.pos + 1, p.pos + n)
  if not find(digits, "^" .. ("%x"):rep(n) .. "$") then
    fail(p, "invalid \\" .. kind .. " escape in double-quoted string")
  end
  p.pos = p.pos + 1 + n
  return tonumber(digits, 16)
end

local function read_unicode_escape(p, kind)
  local cp = read_hex_escape(p, kind)
  if cp >= 0xD800 and cp <= 0xDBFF and sub(p.s, p.pos, p.pos + 1) == "\\u" then
    p.pos = p.pos + 1
    local low = read_hex_escape(p, "u")
    if low < 0xDC00 or low > 0xDFFF then
      fail(p, "invalid surrogate pair in double-quoted string")
    end
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
  end
  if cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then
    fail(p, "invalid unicode escape in double-quoted string")
  end
  return utf8.char(cp)
end

local function read_double_quoted(p)
  local s, line, parts = p.s, p.line, {}
  p.pos = p.pos + 1
  while true do
    local i = find(s, '["\\\n]', p.pos)
    if not i then fail(p, "unterminated double-quoted string", line) end
    local c = sub(s, i, i)
    if c == '"' then
      parts[#parts + 1] = sub(s, p.pos, i - 1)
      p.pos = i + 1
      return table.concat(parts)
    elseif c == "\n" then
      parts[#parts + 1] = rtrim(sub(s, p.pos, i - 1))
      p.pos = i
      parts[#parts + 1] = fold_breaks(p)
    else
      parts[#parts + 1] = sub(s, p.pos, i - 1)
      p.pos = i + 1
      local e = ch(p)
      if e == "\n" then
        -- An escaped line break joins the lines without a space.
        local fold = fold_breaks(p)
        if fold ~= " " then parts[#parts + 1] = fold end
      elseif escapes[e] then
        parts[#parts + 1] = escapes[e]
        p.pos = p.pos + 1
      elseif hex_lengths[e] then
        parts[#parts + 1] = read_unicode_escape(p, e)
      else
        fail(p, "unknown escape sequence in double-quoted string")
      end
    end
  end
end

-- Literal (|) and folded (>) scalars; `indent` is the indentation of the
-- collection that owns the scalar.
local function read_block_scalar(p, indent)
  local folded, line = ch(p) == ">", p.line
  p.pos = p.pos + 1
  local chomp, explicit
  for _ = 1, 2 do
    local c = ch(p)
    if (c == "-" or c == "+") and not chomp then
      chomp = c
    elseif find(c, "^[1-9]$") and not explicit then
      explicit = tonumber(c)
    else
      break
    end
    p.pos = p.pos + 1
  end
  if not is_ws(ch(p)) then fail(p, "invalid block scalar header", line) end
  skip_inline(p)
  if not at_eol(p) then fail(p, "unexpected text after a block scalar header", line) end

  local s = p.s
  local want = explicit and math.max(indent, 0) + explicit
  local lines, ends_in_break = {}, {}   -- text, or false for an empty line
  while ch(p) == "\n" do
    local st = save(p)
    newline(p)
    local eol = find(s, "\n", p.pos, true) or #s + 1
    local spaces = (find(s, "[^ ]", p.pos) or #s + 1) - p.pos
    local blank = spaces >= eol - p.pos
    if blank and not (want and spaces > want) then
      lines[#lines + 1] = false
    else
      if not want and not blank then want = spaces end
      if spaces < want or spaces <= indent or at_doc_marker(p) then
        restore(p, st)
        break
      end
      lines[#lines + 1] = sub(s, p.pos + want, eol - 1)
    end
    p.pos = eol
    ends_in_break[#lines] = ch(p) == "\n"
  end
  if ch(p) == "\n" then newline(p) end

  local last = #lines
  while last > 0 and not lines[last] do last = last - 1 end
  local out, prev, empties = {}, nil, 0
  for i = 1, last do
    local text = lines[i]
    if not text then
      empties = empties + 1
    else
      -- Folding joins two "normal" lines with a space; lines that start
      -- with whitespace ("more indented") keep their line breaks.
      local more = find(text, "^[ \t]") ~= nil
      if prev == nil then
        out[#out + 1] = ("\n"):rep(empties)
      elseif folded and prev == "normal" and not more then
        out[#out + 1] = empties == 0 and " " or ("\n"):rep(empties)
      else
        out[#out + 1] = ("\n"):rep(empties + 1)
      end
      out[#out + 1] = text
      prev, empties = more and "more" or "normal", 0
    end
  end
  local trailing = 0
  for i = math.max(last, 1), #lines do
    if ends_in_break[i] then trailing = trailing + 1 end
  end
  if chomp == "+" then
    out[#out + 1] = ("\n"):rep(trailing)
  elseif chomp == nil and last > 0 and trailing > 0 then
    out[#out + 1] = "\n"
  end
  return table.concat(out)
end

-- Collections -----------------------------------------------------------------

local function set_key(p, map, key, value, line)
  if key ~= key then fail(p, "NaN is not allowed as a mapping key", line) end
  if type(key) == "table" and key ~= null then
    fail(p, "collections are not supported as mapping keys", line)
  end
  map[key] = value
end

local function new_seq(p)
  local t = {}
  p.seqs[t] = true
  return t
end

-- Keys from `<<` merges fill in what the mapping does not set itself; with
-- a list of mappings, earlier ones win.
local function apply_merges(p, map, merges)
  for _, m in ipairs(merges) do
    local sources = p.seqs[m.value] and m.value or { m.value }
    for _, src in ipairs(sources) do
      if type(src) ~= "table" or src == null or p.seqs[src] then
        fail(p, "a merge key '<<' needs a mapping or a list of mappings", m.line)
      end
      for k, v in pairs(src) do
        if map[k] == nil then map[k] = v end
      end
    end
  end
end

local read_flow_node

local function read_flow_collection(p)
  local open_line, is_map = p.line, ch(p) == "{"
  local close = is_map and "}" or "]"
  local what = is_map and "flow mapping" or "flow sequence"
  enter(p)
  p.pos = p.pos + 1
  local result = is_map and {} or new_seq(p)
  local merges = {}
  while true do
    skip_space(p, true)
    local c, line = ch(p), p.line
    if c == close then break end
    if c == "" then fail(p, "unterminated " .. what, open_line) end
    if c == "," then fail(p, "unexpected ',' in " .. what) end
    if at_indicator(p, "?") then fail(p, "explicit mapping keys ('?') are not supported") end
    local key, json_key, plain = null, false, nil
    if not (c == ":" and (is_ws(ch(p, 1)) or is_flow_indicator(ch(p, 1)))) then
      key, json_key, plain = read_flow_node(p)
    end
    skip_space(p, true)
    local value, is_pair = null, false
    if ch(p) == ":" and (json_key or is_ws(ch(p, 1)) or is_flow_indicator(ch(p, 1))) then
      is_pair = true
      p.pos = p.pos + 1
      skip_space(p, true)
      if ch(p) ~= "," and ch(p) ~= close then value = read_flow_node(p) end
      skip_space(p, true)
    end
    if is_map and plain == "<<" then
      merges[#merges + 1] = { value = value, line = line }
    elseif is_map then
      set_key(p, result, key, value, line)
    elseif is_pair then
      -- [a: 1] is a sequence holding the mapping {a: 1}
      local pair = {}
      set_key(p, pair, key, value, line)
      result[#result + 1] = pair
    else
      result[#result + 1] = key
    end
    c = ch(p)
    if c == "," then
      p.pos = p.pos + 1
    elseif c == "" then
      fail(p, "unterminated " .. what, open_line)
    elseif c ~= close then
      fail(p, ("expected ',' or '%s' in %s"):format(close, what))
    end
  end
  p.pos = p.pos + 1
  apply_merges(p, result, merges)
  leave(p)
  return result
end

-- A node inside a flow collection. Also tells whether a ':' right after it
-- is a value indicator (JSON style, after quotes and brackets), and gives
-- the text of a plain scalar.
function read_flow_node(p)
  local line = p.line
  local anchor, tag = read_props(p, true)
  local c = ch(p)
  local v, raw, plain
  if c == "[" or c == "{" then
    v = read_flow_collection(p)
  elseif c == '"' then
    v = read_double_quoted(p)
    raw = v
  elseif c == "'" then
    v = read_single_quoted(p)
    raw = v
  elseif c == "*" then
    v = read_alias(p)
  elseif c == "," or c == "]" or c == "}" or c == "" then
    v, raw = null, ""   -- a node made of properties alone
  elseif find(c, "^[#&!|>%%@`]") or ((c == "-" or c == "?" or c == ":")
      and (is_ws(ch(p, 1)) or is_flow_indicator(ch(p, 1)))) then
    fail(p, ("unexpected character '%s' in a flow collection"):format(c))
  else
    raw = read_plain(p, true, -1, scan_plain_line(p, true))
    v, plain = resolve_plain(raw), raw
  end
  local json_key = c == '"' or c == "'" or c == "[" or c == "{"
  return apply_props(p, v, anchor, tag, raw, line), json_key, plain
end

local block_value

-- A quoted scalar, or the first line of a plain one (nil if a plain scalar
-- cannot start here). Returns the value and the text it was resolved from.
local function read_scalar(p)
  local c = ch(p)
  if c == '"' then
    local v = read_double_quoted(p)
    return v, v, false
  elseif c == "'" then
    local v = read_single_quoted(p)
    return v, v, false
  elseif c == "" or find(c, "^[\n#,%[%]{}|>&!*%%@`]")
      or ((c == "-" or c == "?" or c == ":") and is_ws(ch(p, 1))) then
    return nil
  end
  local raw = scan_plain_line(p, false)
  return resolve_plain(raw), raw, true
end

-- The key of a further entry in a block mapping, and whether it is `<<`.
local function read_key(p)
  local line = p.line
  local anchor, tag = read_props(p, false)
  if at_indicator(p, "-") then
    fail(p, "expected a mapping key, found a sequence entry")
  elseif ch(p) == "*" then
    fail(p, "aliases are not supported as mapping keys")
  elseif ch(p) == "[" or ch(p) == "{" then
    fail(p, "collections are not supported as mapping keys")
  elseif at_indicator(p, "?") then
    fail(p, "explicit mapping keys ('?') are not supported")
  end
  local key, raw, plain = read_scalar(p)
  if key == nil then fail(p, ("unexpected character '%s'; expected a mapping key"):format(ch(p))) end
  if p.line ~= line then fail(p, "a mapping key must fit on one line", line) end
  skip_blanks(p)
  if not at_indicator(p, ":") then fail(p, "expected ':' after a mapping key", line) end
  return apply_props(p, key, anchor, tag, raw, line), plain and raw == "<<"
end

local function read_block_mapping(p, indent, key, is_merge)
  enter(p)
  local map, merges = {}, {}
  while true do
    local line = p.line
    p.pos = p.pos + 1   -- the ':'
    local value = block_value(p, indent, false, true)
    if is_merge then
      merges[#merges + 1] = { value = value, line = line }
    else
      set_key(p, map, key, value, line)
    end
    if at_eof(p) or at_doc_marker(p) or column(p) < indent then break end
    if column(p) > indent then fail(p, "bad indentation of a mapping entry") end
    key, is_merge = read_key(p)
  end
  apply_merges(p, map, merges)
  leave(p)
  return map
end

-- `in_mapping`: the sequence is the value of a mapping key and may sit at
-- the key's indentation, so a key at that indentation ends it.
local function read_block_sequence(p, indent, in_mapping)
  enter(p)
  local seq = new_seq(p)
  while true do
    p.pos = p.pos + 1   -- the '-'
    seq[#seq + 1] = block_value(p, indent, true, false)
    if at_eof(p) or at_doc_marker(p) or column(p) < indent then break end
    if column(p) > indent then fail(p, "bad indentation of a sequence entry") end
    if not at_indicator(p, "-") then
      if in_mapping then break end
      fail(p, "expected a sequence entry ('- ') at this indentation")
    end
  end
  leave(p)
  return seq
end

-- A node starting at the current position, column `col`, inside a
-- collection indented at `indent`. `compact`: a block collection may start
-- here (at line starts and after "- ", not after "key: ").
-- Returns the value, whether it ended mid-line, and a scalar's text.
local function block_node(p, indent, col, compact)
  local c, line = ch(p), p.line
  if at_indicator(p, "-") then
    if not compact then fail(p, "a block sequence cannot start on the line of a mapping key") end
    return read_block_sequence(p, col, false), false
  elseif at_indicator(p, "?") then
    fail(p, "explicit mapping keys ('?') are not supported")
  elseif c == "|" or c == ">" then
    local v = read_block_scalar(p, indent)
    return v, false, v
  elseif c == "[" or c == "{" or c == "*" then
    local v = c == "*" and read_alias(p) or read_flow_collection(p)
    skip_blanks(p)
    if at_indicator(p, ":") then
      fail(p, (c == "*" and "aliases" or "collections") .. " are not supported as mapping keys")
    end
    return v, true
  end
  local value, raw, plain = read_scalar(p)
  if value == nil then
    fail(p, ("unexpected character '%s'"):format(c))
  end
  local after = save(p)
  skip_blanks(p)
  if at_indicator(p, ":") then
    -- A scalar followed by ": " is the first key of a mapping.
    if p.line ~= line then fail(p, "a mapping key must fit on one line", line) end
    if not compact then fail(p, "mapping values are not allowed here") end
    return read_block_mapping(p, col, value, plain and raw == "<<"), false
  end
  restore(p, after)
  if not plain then return value, true, raw end
  raw = read_plain(p, false, indent, raw)
  return resolve_plain(raw), true, raw
end

-- The node after an indicator ('-', ':' or '---'): on this line, or on the
-- following lines indented deeper than `indent`. Leaves p.pos at the first
-- non-blank of the next content line, or at the end of input.
function block_value(p, indent, compact, in_mapping)
  skip_inline(p)
  local line = p.line
  local anchor, tag = read_props(p, false)
  local v, raw
  if at_eol(p) then
    skip_space(p, false)
    local col = column(p)
    if at_eof(p) or at_doc_marker(p) then
      v, raw = null, ""
    elseif in_mapping and col == indent and at_indicator(p, "-") then
      v = read_block_sequence(p, col, true)
    elseif col <= indent then
      v, raw = null, ""
    else
      local _
      v, _, raw = block_node(p, indent, col, true)
    end
  else
    local mid_line
    v, mid_line, raw = block_node(p, indent, column(p), compact)
    if mid_line then
      skip_inline(p)
      if ch(p) == ":" then fail(p, "mapping values are not allowed here") end
      if not at_eol(p) then fail(p, "unexpected text after a value") end
    end
  end
  v = apply_props(p, v, anchor, tag, raw, line)
  skip_space(p, false)
  return v
end

-- Entry point ---------------------------------------------------------------

--- Parse one YAML document.
-- Scalars follow the YAML 1.2 core schema: plain `123`, `0x1f`, `0o17` are
-- integers, `1.5`, `1e3`, `.inf`, `.nan` floats, `true`/`True`/`TRUE` and
-- the `false` forms booleans, `null`/`Null`/`NULL`/`~`/empty `yaml.null`;
-- anything else, and every quoted scalar, is a string (so `yes`, `no`, `on`,
-- `off` stay strings, unlike YAML 1.1). Tags `!!str`, `!!int`, `!!float`,
-- `!!bool`, `!!null`, `!!map`, `!!seq` and `!` are honoured; other tags,
-- explicit `?` keys, collections or aliases as keys, and several documents
-- in one stream are refused. Duplicate keys: the last one wins. Aliases give
-- the anchored table itself (shared, not copied); merge keys (`<<`) copy in
-- the keys the mapping does not set itself.
-- @tparam string text the document (UTF-8; a BOM and CRLF line ends are fine)
-- @tparam[opt] string filename named in error messages (default "<string>")
-- @return the value; `yaml.null` for an empty document
-- @raise ConfigError "FILE:LINE: reason", with fields file, line, reason
function yaml.load(text, filename)
  errors.check_arg("yaml.load", "text", text, "string")
  local p = {
    file = filename or "<string>", pos = 1, line = 1, line_start = 1,
    depth = 0, anchors = {}, sizes = {}, seqs = {}, expanded = 0,
  }
  if sub(text, 1, 3) == "\239\187\191" then text = sub(text, 4) end
  text = text:gsub("\r\n?", "\n")
  p.s = text
  local bad = find(text, "[%z\1-\8\11\12\14-\31\127]")
  local valid, bad_utf8 = utf8.len(text)
  if bad or not valid then
    local at = bad or bad_utf8
    local _, breaks = sub(text, 1, at):gsub("\n", "")
    fail(p, bad and "control characters are not allowed" or "invalid UTF-8", breaks + 1)
  end

  skip_space(p, false)
  local directives = false
  while ch(p) == "%" and p.pos == p.line_start do   -- %YAML, %TAG: ignored
    skip_to_eol(p)
    skip_space(p, false)
    directives = true
  end
  local value
  if at_doc_marker(p) and ch(p) == "-" then
    p.pos = p.pos + 3
    value = block_value(p, -1, false, false)
  elseif directives then
    fail(p, "expected '---' after directives")
  elseif at_eof(p) or at_doc_marker(p) then
    value = null
  else
    value = block_value(p, -1, true, false)
  end
  if at_doc_marker(p) and ch(p) == "." then
    p.pos = p.pos + 3
    skip_space(p, false)
  end
  if not at_eof(p) then
    if at_doc_marker(p) then fail(p, "only one document is supported") end
    fail(p, "unexpected content; expected the end of the document")
  end
  return value
end

return yaml
