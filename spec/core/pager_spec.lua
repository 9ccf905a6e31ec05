-- Pagination through session:pages (src/pager.c and the iterator in
-- src/lua_core.c): which link is followed, when marker/limit is used, the
-- guards that stop it, max_items, prefetch and memory use.
local H = require "spec.core.helper"
local fixture, core = H.fixture, H.core

local function items(n, first, prefix)
  local t = {}
  for i = 1, n do t[i] = { id = (prefix or "id") .. (first + i - 1) } end
  return t
end

describe("core pagination", function()
  local fx, s

  setup(function() fx = fixture.start() end)
  teardown(function() fx:stop() end)
  before_each(function()
    fx:reset()
    s = H.noauth({ compute_endpoint_override = fx.url .. "/compute/v2.1",
      image_endpoint_override = fx.url .. "/image" })
    -- discovery documents, so that only list requests are unscripted noise
    fx:route("GET", "/compute/", { json = { versions = fixture.empty_array } })
    fx:route("GET", "/image/", { status = 300, json = { versions = fixture.empty_array } })
  end)
  after_each(function() s:close() end)

  -- The ids yielded by s:pages(opts), and the list requests recorded at path.
  local function collect(opts, path)
    local ids = {}
    for item in s:pages(opts) do ids[#ids + 1] = item.id end
    return ids, H.filter(fx, "GET", path)
  end

  it("follows the next link of <resources>_links with its query", function()
    fx:route("GET", "/compute/v2.1/servers", { json = { servers = items(2, 1),
      servers_links = { { rel = "next", href = "{{base}}/compute/v2.1/servers?limit=2&marker=id2" } } } }, { query = {} })
    fx:route("GET", "/compute/v2.1/servers", { json = { servers = items(1, 3) } }, { query = { limit = "2", marker = "id2" } })
    local ids, reqs = collect({ service = "compute", path = "/servers", resources_key = "servers" }, "/compute/v2.1/servers")
    assert.same({ "id1", "id2", "id3" }, ids)
    assert.equal(2, #reqs)
    assert.equal("", reqs[1].query_string)
    assert.equal("limit=2&marker=id2", reqs[2].query_string)
  end)

  it("passes limit as the page size and falls back to marker/limit only when a page is full", function()
    local path = "/compute/v2.1/flavors"
    fx:route("GET", path, { json = { flavors = items(2, 1) } }, { query = { is_public = "true", limit = "2" } })
    fx:route("GET", path, { json = { flavors = items(2, 3) } }, { query = { is_public = "true", limit = "2", marker = "id2" } })
    fx:route("GET", path, { json = { flavors = items(1, 5) } }, { query = { is_public = "true", limit = "2", marker = "id4" } })
    local ids, reqs = collect({ service = "compute", path = "/flavors", resources_key = "flavors", limit = 2,
      query = { is_public = true } }, path)
    assert.same({ "id1", "id2", "id3", "id4", "id5" }, ids)
    assert.equal(3, #reqs, "the short third page must end the listing")
    assert.same({ is_public = "true", limit = "2" }, reqs[1].query)
    assert.same({ is_public = "true", limit = "2", marker = "id4" }, reqs[3].query)
  end)

  it("makes one request when there is neither a next link nor a page size", function()
    fx:route("GET", "/compute/v2.1/flavors", { json = { flavors = items(3, 1) } })
    local ids, reqs = collect({ service = "compute", path = "/flavors", resources_key = "flavors" }, "/compute/v2.1/flavors")
    assert.equal(3, #ids)
    assert.equal(1, #reqs)
  end)

  it("follows Glance's top-level next relative to a root that has a path prefix", function()
    fx:route("GET", "/image/v2/images", { json = { images = items(2, 1), next = "/v2/images?marker=id2" } }, { query = {} })
    fx:route("GET", "/image/v2/images", { json = { images = items(1, 3), first = "/v2/images" } }, { query = { marker = "id2" } })
    local ids, reqs = collect({ service = "image", path = "/v2/images", resources_key = "images" }, "/image/v2/images")
    assert.same({ "id1", "id2", "id3" }, ids)
    assert.equal(2, #reqs)
    assert.equal("marker=id2", reqs[2].query_string)
    assert.equal(0, fx:count("GET", "/v2/images"))
  end)

  it("follows an RFC 5988 Link header's rel=next among other links", function()
    fx:route("GET", "/things", { json = { things = items(2, 1) },
      headers = { Link = '<{{base}}/things?page=0>; rel="prev", <{{base}}/things?page=2>; rel="next"' } }, { query = {} })
    fx:route("GET", "/things", { json = { things = items(1, 3) },
      headers = { Link = '<{{base}}/things>; rel="first"' } }, { query = { page = "2" } })
    local ids, reqs = collect({ url = fx.url .. "/things", resources_key = "things" }, "/things")
    assert.same({ "id1", "id2", "id3" }, ids)
    assert.equal(2, #reqs)
    assert.equal("page=2", reqs[2].query_string)
  end)

  it("stops when a service hands back the same next link forever", function()
    fx:route("GET", "/loop", { json = { things = items(2, 1),
      things_links = { { rel = "next", href = "{{base}}/loop?marker=id2" } } } })
    local ids, reqs = collect({ url = fx.url .. "/loop", resources_key = "things" }, "/loop")
    assert.is_true(#reqs <= 2, #reqs .. " requests")
    assert.is_true(#ids <= 4)
  end)

  it("stops on a repeated marker even when the rest of the link changes", function()
    local pages = {}
    for n = 1, 10 do
      pages[n] = { json = { things = items(2, 1),
        things_links = { { rel = "next", href = "{{base}}/loop2?marker=id2&n=" .. n } } } }
    end
    fx:route("GET", "/loop2", pages, { prefix = true })
    local _, reqs = collect({ url = fx.url .. "/loop2", resources_key = "things" }, "/loop2")
    assert.equal(2, #reqs)
  end)

  it("stops on a repeated marker with the marker/limit fallback", function()
    fx:route("GET", "/same", { json = { things = items(2, 1) } })
    local _, reqs = collect({ url = fx.url .. "/same", resources_key = "things", limit = 2 }, "/same")
    assert.is_true(#reqs <= 2, #reqs .. " requests")
  end)

  it("stops at max_items without fetching a page it does not need", function()
    fx:route("GET", "/m", { json = { things = items(3, 1),
      things_links = { { rel = "next", href = "{{base}}/m?marker=id3" } } } }, { query = {} })
    fx:route("GET", "/m", { json = { things = items(3, 4) } }, { query = { marker = "id3" } })
    local ids, reqs = collect({ url = fx.url .. "/m", resources_key = "things", max_items = 2 }, "/m")
    assert.same({ "id1", "id2" }, ids)
    assert.equal(1, #reqs)
    fx:reset()
    fx:route("GET", "/m", { json = { things = items(3, 1),
      things_links = { { rel = "next", href = "{{base}}/m?marker=id3" } } } }, { query = {} })
    fx:route("GET", "/m", { json = { things = items(3, 4),
      things_links = { { rel = "next", href = "{{base}}/m?marker=id6" } } } }, { query = { marker = "id3" } })
    ids, reqs = collect({ url = fx.url .. "/m", resources_key = "things", max_items = 4 }, "/m")
    assert.same({ "id1", "id2", "id3", "id4" }, ids)
    assert.equal(2, #reqs)
  end)

  -- Regression (fixed in 89bf1e8): max_items was compared with the items
  -- taken so far, not with those already received, so the next page was
  -- prefetched although the current one completed max_items.
  it("does not prefetch another page when the current one completes max_items", function()
    fx:route("GET", "/m", { json = { things = items(3, 1),
      things_links = { { rel = "next", href = "{{base}}/m?marker=id3" } } } }, { query = {} })
    fx:route("GET", "/m", { json = { things = items(3, 4) } }, { query = { marker = "id3" } })
    local ids, reqs = collect({ url = fx.url .. "/m", resources_key = "things", max_items = 3 }, "/m")
    assert.same({ "id1", "id2", "id3" }, ids)
    assert.equal(1, #reqs)
  end)

  -- Regression (fixed in 89bf1e8): reaching max_items closed the pager
  -- through stack slot 1, which is nil when the iterator is driven on its
  -- own by a for loop ("bad argument #1 to 'for iterator'").
  it("lets the iterator be driven on its own by a for loop up to max_items", function()
    fx:route("GET", "/m", { json = { things = items(3, 1) } })
    local next_item = s:pages({ url = fx.url .. "/m", resources_key = "things", max_items = 2 })
    local ids = {}
    local ok, err = pcall(function()
      for item in next_item do ids[#ids + 1] = item.id end
    end)
    assert.is_true(ok, tostring(err))
    assert.same({ "id1", "id2" }, ids)
    -- and when called by hand, as proxy.lua does
    next_item = s:pages({ url = fx.url .. "/m", resources_key = "things", max_items = 2 })
    assert.equal("id1", next_item().id)
    assert.equal("id2", next_item().id)
    assert.is_nil(next_item())
  end)

  it("makes exactly one request with paginated=false, even with a next link", function()
    fx:route("GET", "/one", { json = { things = items(3, 1),
      things_links = { { rel = "next", href = "{{base}}/one?marker=id3" } } } })
    local ids, reqs = collect({ url = fx.url .. "/one", resources_key = "things", paginated = false, limit = 3 }, "/one")
    assert.equal(3, #ids)
    assert.equal(1, #reqs)
  end)

  -- Regression (fixed in c70f849): pager_collect used lua_next without a key.
  it("ends cleanly on an empty page (an empty collection yields nothing)", function()
    fx:route("GET", "/empty", { json = { things = fixture.empty_array,
      things_links = { { rel = "next", href = "{{base}}/empty?marker=x" } } } })
    local ok, ids, reqs = pcall(collect, { url = fx.url .. "/empty", resources_key = "things" }, "/empty")
    assert.is_true(ok, tostring(ids))
    assert.same({}, ids)
    assert.equal(1, #reqs)
  end)

  it("stops after a non-empty page followed by an empty one", function()
    fx:route("GET", "/e2", { json = { things = items(2, 1),
      things_links = { { rel = "next", href = "{{base}}/e2?marker=id2" } } } }, { query = {} })
    fx:route("GET", "/e2", { json = { things = fixture.empty_array,
      things_links = { { rel = "next", href = "{{base}}/e2?marker=zz" } } } }, { query = { marker = "id2" } })
    local ok, ids, reqs = pcall(collect, { url = fx.url .. "/e2", resources_key = "things" }, "/e2")
    assert.is_true(ok, tostring(ids))
    assert.same({ "id1", "id2" }, ids)
    assert.equal(2, #reqs)
  end)

  it("yields a lone object under resources_key as one item", function()
    fx:route("GET", "/lone", { json = { thing = { id = "only" } } })
    local ok, ids = pcall(collect, { url = fx.url .. "/lone", resources_key = "thing" }, "/lone")
    assert.is_true(ok, tostring(ids))
    assert.same({ "only" }, ids)
  end)

  it("prefetches: the next page is requested while the consumer is still on the current one", function()
    fx:route("GET", "/big", { json = { things = items(200, 1),
      things_links = { { rel = "next", href = "{{base}}/big?page=2" } } } }, { query = {} })
    fx:route("GET", "/big", { json = { things = items(3, 201) } }, { query = { page = "2" } })
    local seen_before_end, consumed_at = nil, nil
    local n = 0
    for _ in s:pages({ url = fx.url .. "/big", resources_key = "things" }) do
      n = n + 1
      if n == 199 then
        seen_before_end = fx:count("GET", "/big")
        consumed_at = os.time() + 0.0
      end
    end
    assert.equal(203, n)
    assert.equal(2, seen_before_end, "page 2 was not requested before page 1 was consumed")
    local reqs = H.filter(fx, "GET", "/big")
    assert.equal("page=2", reqs[2].query_string)
    assert.is_true(reqs[2].time <= consumed_at + 1)
  end)

  -- Regression (fixed in 89bf1e8): the prefetch was only driven every 64
  -- items, so with smaller pages (Glance: 25) nothing was sent before the
  -- consumer asked for the next page.
  it("prefetches with small pages too (Glance's default page size is 25)", function()
    fx:route("GET", "/small", { json = { things = items(25, 1),
      things_links = { { rel = "next", href = "{{base}}/small?page=2" } } } }, { query = {} })
    fx:route("GET", "/small", { json = { things = items(3, 26) } }, { query = { page = "2" } })
    local n, requested = 0, nil
    for _ in s:pages({ url = fx.url .. "/small", resources_key = "things" }) do
      n = n + 1
      if n == 1 then core.sleep(0.2) end
      if n == 25 then requested = fx:count("GET", "/small") end
    end
    assert.equal(28, n)
    assert.equal(2, requested, "page 2 was not requested before page 1 was consumed")
  end)

  it("keeps memory flat over 50 pages of 1000 items", function()
    local routes, N = {}, 50
    for p = 1, N do
      local body = { things = items(1000, (p - 1) * 1000 + 1) }
      if p < N then body.things_links = { { rel = "next", href = "{{base}}/mem?page=" .. (p + 1) } } end
      routes[p] = { method = "GET", path = "/mem", query = p == 1 and {} or { page = tostring(p) },
        responses = { { json = body } } }
    end
    fx:routes(routes)
    collectgarbage()
    collectgarbage()
    local base = collectgarbage("count")
    local n, at = 0, {}
    for item in s:pages({ url = fx.url .. "/mem", resources_key = "things" }) do
      n = n + 1
      assert(item.id)
      if n % 5000 == 0 then
        collectgarbage()
        collectgarbage()
        at[n // 5000] = collectgarbage("count") - base
      end
    end
    assert.equal(N * 1000, n)
    assert.equal(N, fx:count("GET", "/mem"))
    -- what is held after 10 pages is what is held after 50: one page or two
    assert.is_true(at[10] < at[2] + 200, ("grew from %.0f KB to %.0f KB"):format(at[2], at[10]))
    assert.is_true(at[10] < 2048, ("%.0f KB held"):format(at[10]))
  end)
end)
