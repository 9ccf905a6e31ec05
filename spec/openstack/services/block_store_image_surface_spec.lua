-- Every block_store and image row of the shared surface table
-- (../shared/surface/surface.tsv from the repository root) has a method on
-- its proxy, callable the way the row's lua_call column writes it.
local openstack = require "openstack"

local SURFACE = "../shared/surface/surface.tsv"

local function read_rows(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local header, rows = nil, {}
  for line in f:lines() do
    local cols = {}
    for col in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = col end
    if not header then
      header = {}
      for i, name in ipairs(cols) do header[name] = i end
    elseif #cols > 1 then
      rows[#rows + 1] = {
        service = cols[header.service], method = cols[header.proxy_method], call = cols[header.lua_call],
      }
    end
  end
  f:close()
  return rows
end

describe("block_store and image surface", function()
  local rows = read_rows(SURFACE)
  if not rows then
    pending(SURFACE .. " is missing (run busted from the repository root with ../shared beside it)")
    return
  end

  local conn = openstack.connect {
    auth = { auth_url = "http://127.0.0.1:9/v3", username = "u", password = "p", project_name = "p",
      user_domain_name = "Default", project_domain_name = "Default" },
    config_files = {}, secure_files = {}, env = {},
  }
  local proxies = { block_store = conn.block_store, image = conn.image }

  it("has rows for both services", function()
    local seen = {}
    for _, r in ipairs(rows) do seen[r.service] = (seen[r.service] or 0) + 1 end
    assert.is_true((seen.block_store or 0) > 0, "no block_store rows")
    assert.is_true((seen.image or 0) > 0, "no image rows")
  end)

  it("has a method for every block_store and image row, named as its lua_call writes it", function()
    local missing, checked = {}, 0
    for _, r in ipairs(rows) do
      local p = proxies[r.service]
      if p then
        checked = checked + 1
        if type(p[r.method]) ~= "function" then
          missing[#missing + 1] = r.service .. ":" .. r.method
        end
        local obj, name = r.call:match("^([%w_]+):([%w_]+)")
        if obj ~= r.service or name ~= r.method then
          missing[#missing + 1] = ("%s:%s (lua_call says %s)"):format(r.service, r.method, r.call)
        end
      end
    end
    assert.is_true(checked > 0)
    assert.same({}, missing)
  end)
end)
