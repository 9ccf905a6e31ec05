-- json_decode.lua: decodes 101 pages of 1,000 realistic server-detail items
-- (about 250 MB) with the SDK's decoder and with Debian's lua-cjson, and
-- prints MB/s for each. Decides the design of the decoding path.
-- usage: lua5.4 bench/json_decode.lua [pages]
package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
package.cpath = "build/lib/?.so;" .. package.cpath
local gen = require "gen_servers"
local core = require "openstack.core"
local pages = tonumber(arg[1]) or 101
local page = gen.page(1, 1000, 2000)
local total = #page * pages

local function run(name, decode)
  collectgarbage()
  local t0 = os.clock()
  local n = 0
  for _ = 1, pages do
    local doc = decode(page)
    for _, s in ipairs(doc.servers) do
      if s.id and s.name and s.status then n = n + 1 end
    end
  end
  local dt = os.clock() - t0
  print(("%-10s %6.2f s  %7.1f MB/s  %d servers  (page %.1f MB)"):format(name, dt, total / dt / 1e6, n, #page / 1e6))
  return dt
end

local ours = run("ostack", core.json_decode)
local ok, cjson = pcall(require, "cjson")
if ok then
  local theirs = run("lua-cjson", cjson.decode)
  print(("ostack decoder is %.1fx lua-cjson"):format(theirs / ours))
end
