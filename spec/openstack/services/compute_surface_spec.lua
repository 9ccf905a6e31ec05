-- The compute surface: every `compute` row of surface.tsv has a method on
-- conn.compute. The table lives beside the repository
-- (../shared/surface/surface.tsv from the repo root, where busted runs).
local openstack = require "openstack"

local SURFACE = "../shared/surface/surface.tsv"

local function compute_rows()
  local f = io.open(SURFACE, "r")
  if not f then return nil end
  local rows, header = {}, true
  for line in f:lines() do
    if header then
      header = false
    else
      local service, method, lua_call = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)")
      if service == "compute" then rows[#rows + 1] = { method = method, call = lua_call } end
    end
  end
  f:close()
  return rows
end

describe("compute natural methods", function()
  local resource = require "openstack.resource"
  local R = require "openstack.services.compute.resources"
  local def = require "openstack.services.compute"

  it("every Server and Image natural method delegates to an existing conn.compute method", function()
    local common = { to_table = true, proxy = true, refresh = true, wait_for = true }
    local broken, seen = {}, 0
    for _, class in ipairs { R.Server, R.Image } do
      for natural in pairs(class.methods) do
        if not common[natural] then
          local called
          local fake = setmetatable({}, { __index = function(_, name)
            return function() called = name end
          end })
          local obj = resource.wrap(class, { id = "x" }, fake)
          obj[natural](obj)
          seen = seen + 1
          if type(def.method_table[called]) ~= "function" then
            broken[#broken + 1] = class.name .. ":" .. natural .. " -> " .. tostring(called)
          end
        end
      end
    end
    assert.same({}, broken)
    assert.is_true(seen >= 40)
  end)
end)

describe("compute surface", function()
  local rows = compute_rows()
  if not rows then
    pending("surface.tsv not found at " .. SURFACE .. " (run busted from the repository root); surface not checked")
    return
  end

  -- A connection that never talks to a cloud: method lookup needs none.
  local conn = openstack.connect {
    auth = { auth_url = "http://127.0.0.1:9/v3", username = "u", password = "p", project_name = "p",
      user_domain_name = "Default", project_domain_name = "Default" },
    region_name = "RegionOne", config_files = {}, secure_files = {}, env = {},
  }

  it("has all 109 compute rows", function()
    assert.equal(109, #rows)
  end)

  it("has a method on conn.compute for every compute row", function()
    local missing = {}
    for _, row in ipairs(rows) do
      if type(conn.compute[row.method]) ~= "function" then missing[#missing + 1] = row.method end
    end
    assert.same({}, missing)
  end)

  it("names, in every row's Lua call, the method of that row", function()
    local wrong = {}
    for _, row in ipairs(rows) do
      local called = row.call:match("^compute:([%w_]+)")
      if called ~= row.method then wrong[#wrong + 1] = row.method .. " <- " .. row.call end
    end
    assert.same({}, wrong)
  end)
end)
