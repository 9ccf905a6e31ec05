-- The operator examples (examples/*.lua) and the embedding host program
-- (examples/embed), run as a user would run them, through build/ostack-lua
-- against the local cloud. Each run is confined to resources this spec
-- created (name patterns), so the shared demo project is never swept.
local H = require "spec.functional.helpers"
local json = require "openstack.json"

local OSTACK_LUA = os.getenv("OSTACK_LUA_BIN") or "build/ostack-lua"

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function plain(s) return (s:gsub("%p", "%%%0")) end

--- Runs a command line with the local cloud's clouds.yaml; returns output, exit status.
local function run(cmd)
  local full = ("OS_CLIENT_CONFIG_FILE=%s OSTACK_TOKEN_CACHE=0 %s 2>&1; echo \"EXIT=$?\""):format(quote(H.CLOUDS_YAML), cmd)
  local p = assert(io.popen(full))
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("EXIT=(%d+)%s*$"))
  return out:gsub("EXIT=%d+%s*$", ""), status
end

local function example(cloud, script, ...)
  local args = { OSTACK_LUA, "--os-cloud", cloud, "examples/" .. script }
  for _, a in ipairs({ ... }) do args[#args + 1] = quote(a) end
  return run(table.concat(args, " "))
end

describe("examples against the local cloud", function()
  local reg
  before_each(function() reg = H.registry() end)
  after_each(function() reg:run() end)

  it("catalog.lua prints the catalog, the discovered versions and the token expiry (never the token)", function()
    local out, status = example("local-admin", "catalog.lua")
    assert.equal(0, status, out)
    assert.matches("token expires %d%d%d%d%-%d%d%-%d%dT", out)
    assert.matches("compute%s+nova", out)
    assert.matches("compute%s+api v2%.1%s+microversions 2%.1%.%.2%.%d+", out)
    assert.is_nil(out:find("gAAAA", 1, true), "a token was printed")
  end)

  it("boot_server.lua boots from an image and flavor found by name, prints addresses, deletes", function()
    local name = H.name("ex-boot")
    reg:add("server " .. name, function() H.sweep(true) end)
    local out, status = example("local-demo", "boot_server.lua", "--name", name, "--network", "private")
    assert.equal(0, status, out)
    assert.matches(plain(name) .. " is ACTIVE after %d+ s", out)
    assert.matches("private: 10%.0%.0%.%d+ %(IPv4%)", out)
    assert.matches("deleted " .. plain(name), out)
  end)

  it("bulk_boot.lua boots and deletes several servers concurrently with gather", function()
    local prefix = H.name("ex-bulk")
    reg:add("bulk servers", function() H.sweep(true) end)
    local out, status = example("local-demo", "bulk_boot.lua", "--count", "4", "--prefix", prefix)
    assert.equal(0, status, out)
    assert.matches("4 of 4 servers ACTIVE in [%d.]+ s", out)
    assert.matches("deleted 4 servers", out)
  end)

  it("inventory.lua writes servers, volumes and images as JSON and as CSV", function()
    local out, status = example("local-demo", "inventory.lua", "--format", "json", "--only", "images")
    assert.equal(0, status, out)
    local doc = json.decode(out:match("^%s*(%b{})"))
    local found = false
    for _, img in ipairs(doc.images) do if img.name == "tiny-image" then found = true end end
    assert.is_true(found, "tiny-image missing from the JSON inventory")
    out, status = example("local-demo", "inventory.lua", "--format", "csv", "--only", "images")
    assert.equal(0, status, out)
    assert.truthy(out:find("tiny%-image"))
  end)

  it("cleanup_servers.lua --dry-run lists a matching server and deletes nothing", function()
    local servers = H.boot(reg, { { name = H.name("ex-clean") } }, H.demo())
    local out, status = example("local-demo", "cleanup_servers.lua", "--older-than", "0", "--name",
      "^" .. plain(servers[1].name) .. "$", "--dry-run")
    assert.equal(0, status, out)
    assert.truthy(out:find(servers[1].name, 1, true), out)
    assert.equal("ACTIVE", H.server_raw(H.demo(), servers[1].id).status)
  end)

  it("resize_server.lua resizes a server and confirms it", function()
    local servers = H.boot(reg, { { name = H.name("ex-resize") } }, H.demo())
    local out, status = example("local-demo", "resize_server.lua", servers[1].id, "m1.micro")
    assert.equal(0, status, out)
    local after = H.server_raw(H.demo(), servers[1].id)
    assert.equal("ACTIVE", after.status)
    assert.equal("m1.micro", after.flavor.original_name)
  end)

  it("snapshot_volumes.lua snapshots the matching volumes and waits for them", function()
    local demo = H.demo()
    local name = H.name("ex-vol")
    local vol = H.raw(demo, "block-storage", "POST", "/volumes", { json = { volume = { name = name, size = 1 } } }).volume
    reg:add("volume " .. vol.id, function() H.delete_volume(demo, vol.id) end)
    H.volume_settle(demo, vol.id, "available", 60)
    local out, status = example("local-demo", "snapshot_volumes.lua", "--name", "^" .. plain(name) .. "$",
      "--prefix", H.name("ex-snap"))
    assert.equal(0, status, out)
    local snaps = H.raw(demo, "block-storage", "GET", "/snapshots", { query = { volume_id = vol.id } }).snapshots
    assert.equal(1, #snaps, out)
    for _, s in ipairs(snaps) do reg:add("snapshot " .. s.id, function() H.delete_snapshot(demo, s.id) end) end
  end)

  it("upload_image.lua uploads a file with progress and the download verifies", function()
    local file = os.tmpname()
    local f = assert(io.open(file, "wb"))
    f:write(("ostack-lua example image "):rep(40000))
    f:close()
    local name = H.name("ex-img")
    reg:add("image " .. name, function() H.sweep(true) end)
    local out, status = example("local-demo", "upload_image.lua", file, "--name", name, "--verify-download")
    os.remove(file)
    assert.equal(0, status, out)
    assert.truthy(out:lower():find("active"), out)
  end)
end)

describe("the embedding host program against the local cloud", function()
  it("runs a script with arguments through the C API and prints its results", function()
    local out, status = run(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' OS_CLOUD=local-admin build/ostack-embed-example %s ACTIVE")
      :format("examples/embed/count_servers.lua"))
    assert.equal(0, status, out)
    assert.matches("result 1: %d+", out)
  end)

  it("reports an SDK error as a structured class and status, not a string to parse", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write('return conn.compute:get_server("00000000-0000-0000-0000-000000000000")')
    f:close()
    local out, status = run(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' OS_CLOUD=local-admin build/ostack-embed-example %s")
      :format(script))
    os.remove(script)
    assert.equal(1, status, out)
    assert.matches("class=ResourceNotFound status=404 request_id=req%-", out)
  end)
end)
