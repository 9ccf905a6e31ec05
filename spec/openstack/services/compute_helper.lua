-- Shared set-up for the compute specs (not a spec itself): one fixture per
-- spec file, a Keystone catalog and a fresh connection before each test,
-- helpers that read back the compute requests, and Nova-shaped bodies
-- (after the nova api-ref examples).
local fixture = require "spec.support.fixture"
local cjson = require "cjson"
local openstack = require "openstack"
local assert = require "luassert"

local H = {}
H.BASE = "/compute/v2.1"
H.fixture = fixture
H.cjson = cjson
H.null = cjson.null
H.empty_array = fixture.empty_array

local busted = require "busted"
local setup, teardown, before_each = busted.setup, busted.teardown, busted.before_each

local T = {}
T.__index = T

--- Inside a describe: the fixture lives for the file; the routes, the
-- request log and the Keystone catalog are fresh for every test. The
-- default connection (a 2.93 cloud) is shared by the tests of a file, so
-- version discovery happens once; t:cloud(version) opens a new one.
function H.setup()
  local t = setmetatable({}, T)
  setup(function() t.fx = fixture.start() end)
  teardown(function() if t.fx then t.fx:stop() end end)
  before_each(function()
    t.fx:reset()
    fixture.keystone_catalog(t.fx)
    if not t.default_conn then t.default_conn = t:connect() end
    t.conn, t.compute = t.default_conn, t.default_conn.compute
  end)
  return t
end

--- (Re)scripts Keystone and the compute versions (max microversion
-- `compute_version`, default 2.93) and opens a new connection.
function T:cloud(compute_version, conn_args)
  self.fx:reset()
  fixture.keystone_catalog(self.fx, { compute_version = compute_version })
  self.conn = self:connect(conn_args)
  self.compute = self.conn.compute
  return self.compute
end

function T:connect(conn_args)
  local args = {
    auth = {
      auth_url = self.fx.url .. "/v3", username = "admin", password = "secret", project_name = "admin",
      user_domain_name = "Default", project_domain_name = "Default",
    },
    region_name = "RegionOne", config_files = {}, secure_files = {}, env = {},
  }
  for k, v in pairs(conn_args or {}) do args[k] = v end
  return openstack.connect(args)
end

--- Scripts a compute route: path relative to the compute endpoint.
function T:route(method, path, responses, opts)
  self.fx:route(method, H.BASE .. path, responses, opts)
  return self
end

--- A Nova fault response.
function H.fault(status, name, message)
  return { status = status, json = { [name] = { code = status, message = message } } }
end

function H.not_found(message)
  return H.fault(404, "itemNotFound", message or "Instance could not be found.")
end

--- The requests that went to the compute endpoint (discovery at the root
-- excluded), each with `json` (the decoded body) and `mv` (the
-- OpenStack-API-Version header).
function T:requests()
  local out = {}
  for _, r in ipairs(self.fx:requests()) do
    if r.path:sub(1, #H.BASE) == H.BASE then
      r.rel = r.path:sub(#H.BASE + 1)
      if r.body and r.body ~= "" then r.json = cjson.decode(r.body) end
      r.mv = r.headers["openstack-api-version"]
      out[#out + 1] = r
    end
  end
  return out
end

function T:count() return #self:requests() end

--- The one compute request that was made (fails unless exactly one).
function T:only()
  local list = self:requests()
  assert(#list == 1, ("expected exactly 1 compute request, got %d"):format(#list))
  return list[1]
end

--- Checks a recorded request: method, rel (path below the endpoint),
-- query (table of strings, {} for none), json (decoded body, or "none"),
-- raw (exact body text), mv ("2.91" -> "compute 2.91"; false: no header).
function H.check(r, want)
  if want.method then assert.equal(want.method, r.method) end
  if want.path then assert.equal(want.path, r.rel) end
  if want.query then assert.same(want.query, r.query or {}) end
  if want.json == "none" then
    assert.is_true(r.body == nil or r.body == "", "expected no body, got " .. tostring(r.body))
  elseif want.json ~= nil then
    assert.same(want.json, r.json)
  end
  if want.raw then assert.equal(want.raw, r.body) end
  if want.mv == false then
    assert.is_nil(r.headers["openstack-api-version"])
    assert.is_nil(r.headers["x-openstack-nova-api-version"])
  elseif want.mv then
    assert.equal("compute " .. want.mv, r.headers["openstack-api-version"])
    assert.equal(want.mv, r.headers["x-openstack-nova-api-version"])
  end
  return r
end

--- The error raised by f(...), which must fail.
function H.error_of(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error, the call succeeded")
  return err
end

--- Asserts err is an SDK error of class whose message contains each of ...
function H.assert_error(err, class, ...)
  local errors = openstack.errors
  assert(errors.is(err, class), ("expected %s, got %s"):format(class, tostring(err)))
  for _, frag in ipairs({ ... }) do
    assert(tostring(err.message):find(frag, 1, true),
      ("message %q does not mention %q"):format(tostring(err.message), frag))
  end
  return err
end

--- Collects an iterator into a list.
function H.collect(iter)
  local out = {}
  for item in iter do out[#out + 1] = item end
  return out
end

-- ---------------------------------------------------------------- Nova bodies

H.SERVER_ID = "9168b536-cd40-4630-b43f-b259807c6e87"
H.FLAVOR_ID = "7b46326c-ce48-4e43-8aca-4f5ca00d5f37"
H.IMAGE_ID = "70a599e0-31e7-49b7-b260-868f441e862b"

function H.server(over)
  local s = {
    id = H.SERVER_ID, name = "new-server-test", status = "ACTIVE", progress = 0,
    accessIPv4 = "1.2.3.4", accessIPv6 = "80fe::",
    addresses = { private = { {
      addr = "192.168.1.30", version = 4,
      ["OS-EXT-IPS-MAC:mac_addr"] = "00:0c:29:0d:11:74", ["OS-EXT-IPS:type"] = "fixed",
    } } },
    created = "2019-04-23T15:19:09Z", updated = "2019-04-23T15:19:11Z",
    flavor = { vcpus = 1, ram = 512, disk = 1, ephemeral = 0, swap = 0, original_name = "m1.tiny",
      extra_specs = { ["hw:numa_nodes"] = "1" } },
    hostId = "2091634baaccdc4c5a1d57069c833e402921df696b7f970791b12ec6",
    image = { id = H.IMAGE_ID, links = { { href = "http://openstack.example.com/images/" .. H.IMAGE_ID,
      rel = "bookmark" } } },
    key_name = cjson.null, metadata = { ["My Server Name"] = "Apache1" },
    tenant_id = "6f70656e737461636b20342065766572", user_id = "fake",
    ["OS-DCF:diskConfig"] = "AUTO", ["OS-EXT-AZ:availability_zone"] = "nova",
    ["OS-EXT-SRV-ATTR:host"] = "compute", ["OS-EXT-SRV-ATTR:hostname"] = "new-server-test",
    ["OS-EXT-SRV-ATTR:hypervisor_hostname"] = "fake-mini",
    ["OS-EXT-SRV-ATTR:instance_name"] = "instance-00000001",
    ["OS-EXT-STS:power_state"] = 1, ["OS-EXT-STS:task_state"] = cjson.null, ["OS-EXT-STS:vm_state"] = "active",
    ["OS-SRV-USG:launched_at"] = "2019-04-23T15:19:10.000000", ["OS-SRV-USG:terminated_at"] = cjson.null,
    ["os-extended-volumes:volumes_attached"] = H.empty_array,
    security_groups = { { name = "default" } }, locked = false, description = cjson.null,
    tags = H.empty_array, host_status = "UP", config_drive = "",
    links = {
      { href = "http://openstack.example.com/v2.1/servers/" .. H.SERVER_ID, rel = "self" },
      { href = "http://openstack.example.com/servers/" .. H.SERVER_ID, rel = "bookmark" },
    },
  }
  for k, v in pairs(over or {}) do s[k] = v end
  return s
end

function H.flavor(over)
  local f = {
    id = H.FLAVOR_ID, name = "test_flavor", ram = 1024, vcpus = 2, disk = 10,
    ["OS-FLV-EXT-DATA:ephemeral"] = 0, ["OS-FLV-DISABLED:disabled"] = false, swap = "",
    rxtx_factor = 1.0, ["os-flavor-access:is_public"] = true, description = cjson.null,
    extra_specs = {},
    links = {
      { href = "http://openstack.example.com/v2.1/flavors/" .. H.FLAVOR_ID, rel = "self" },
      { href = "http://openstack.example.com/flavors/" .. H.FLAVOR_ID, rel = "bookmark" },
    },
  }
  for k, v in pairs(over or {}) do f[k] = v end
  return f
end

function H.image(over)
  local i = {
    id = H.IMAGE_ID, name = "fakeimage7", status = "ACTIVE", progress = 100,
    created = "2011-01-01T01:02:03Z", updated = "2011-01-01T01:02:03Z",
    minDisk = 0, minRam = 0, ["OS-EXT-IMG-SIZE:size"] = 74185822,
    metadata = { architecture = "x86_64", kernel_id = "nokernel", ramdisk_id = "nokernel" },
    links = { { href = "http://openstack.example.com/v2.1/images/" .. H.IMAGE_ID, rel = "self" } },
  }
  for k, v in pairs(over or {}) do i[k] = v end
  return i
end

return H
