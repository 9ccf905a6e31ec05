--- Shared helpers of the functional suite (spec/functional): connections to
-- the local cloud, unique names, a cleanup registry and tight waits.
--
-- Everything a spec creates is named `ft-<pid>-<kind>-<n>` (one prefix per
-- busted process, i.e. per run) and registered for deletion right after it
-- is created; the registry runs in `after_each` / `teardown` whether the
-- spec passed or not. Cleanups use raw requests (`conn:request`), not the
-- proxies under test, so a broken proxy method cannot leave servers or
-- volumes behind. `zz_leftovers_spec.lua` runs last and sweeps the prefix.
local openstack = require "openstack"
local core = require "openstack.core"
local json = require "openstack.json"

local H = {}

H.openstack = openstack
H.json = json
H.null = json.null
H.CLOUDS_YAML = os.getenv("OSTACK_FT_CLOUDS_YAML") or "/var/lib/ostack-cloud/clouds.yaml"
H.INTERVAL = 0.5 -- seconds between polls

-- ---------------------------------------------------------------- names

local function pid()
  local f = io.open("/proc/self/stat")
  local id = f and f:read("l"):match("^(%d+)")
  if f then f:close() end
  return id or tostring(os.time())
end

H.PREFIX = "ft-" .. pid() .. "-"
-- any run's prefix (for the leftovers sweep): ft-<digits>-
H.ANY_PREFIX_PATTERN = "^ft%-%d+%-"

local counter = 0
--- A unique name for this run: ft-<pid>-<kind>-<n>.
function H.name(kind)
  counter = counter + 1
  return ("%s%s-%d"):format(H.PREFIX, kind or "x", counter)
end

function H.is_ours(name, any_run)
  if type(name) ~= "string" then return false end
  if any_run then return name:find(H.ANY_PREFIX_PATTERN) ~= nil end
  return name:sub(1, #H.PREFIX) == H.PREFIX
end

-- ---------------------------------------------------------------- connections

H.warnings = {}
local function quiet_log(line)
  -- the cloud's clouds.yaml is mode 0644 (not ours to change): keep the
  -- warning out of the test output, but keep it
  if line:find("^WARNING") then H.warnings[#H.warnings + 1] = line end
  if os.getenv("OSTACK_FT_DEBUG") then io.stderr:write("[ft] ", line, "\n") end
end

--- A new connection to a cloud of the local clouds.yaml; extra options are
-- merged over {cloud=, config_files=}.
function H.connect(cloud, extra)
  local args = { cloud = cloud, config_files = { H.CLOUDS_YAML }, log = quiet_log }
  -- explicit credentials only: no OS_* variable of the caller's shell
  if cloud == nil then args.load_envvars = false end
  for k, v in pairs(extra or {}) do args[k] = v end
  return openstack.connect(args)
end

local cache = {}
--- The shared admin connection (local-admin), made once per run.
function H.admin()
  cache.admin = cache.admin or H.connect("local-admin")
  return cache.admin
end
--- The shared demo connection (local-demo: member + reader).
function H.demo()
  cache.demo = cache.demo or H.connect("local-demo")
  return cache.demo
end

-- ---------------------------------------------------------------- raw requests

--- A raw request that returns (ok, response_or_error) instead of raising.
function H.try(conn, service, method, path, opts)
  return pcall(conn.request, conn, service, method, path, opts or {})
end

--- A raw request; raises on failure. Returns the decoded body.
function H.raw(conn, service, method, path, opts)
  local r = conn:request(service, method, path, opts or {})
  return r.body, r
end

--- Runs f and returns the error it raised (fails the spec when it did not).
function H.error_of(f, ...)
  local ok, e = pcall(f, ...)
  if ok then error("expected an error, the call succeeded", 2) end
  return e
end

--- Class of an SDK error (or the string itself for a plain Lua error).
function H.class(e)
  if type(e) == "table" then return e.class end
  return tostring(e)
end

-- ---------------------------------------------------------------- waits

H.sleep = core.sleep
H.now = core.now

--- Calls f() every interval until it returns a truthy value (returned);
-- raises "timeout waiting for <what>" (with f's last second value) after
-- timeout seconds.
function H.wait(what, f, timeout, interval)
  timeout, interval = timeout or 60, interval or H.INTERVAL
  local deadline = core.now() + timeout
  local last
  while true do
    local v, info = f()
    if v then return v end
    last = info
    if core.now() > deadline then
      error(("timeout after %ss waiting for %s (last: %s)"):format(timeout, what, tostring(last)), 2)
    end
    core.sleep(interval)
  end
end

--- Raw GET of a server ({} body when gone).
function H.server_raw(conn, id)
  local ok, r = H.try(conn, "compute", "GET", "/servers/" .. id, { microversion = "2.91" })
  if not ok then
    if type(r) == "table" and r.status == 404 then return nil end
    error(r, 0)
  end
  return r.body.server
end

--- Waits (raw polls) until the server has `status` and no task_state.
-- Fails fast on ERROR (unless that is the target).
function H.settle(conn, id, status, timeout)
  id = type(id) == "table" and id.id or id
  return H.wait(("server %s to be %s"):format(id, status), function()
    local s = H.server_raw(conn, id)
    if not s then error("server " .. id .. " vanished while waiting for " .. status, 0) end
    local task = s["OS-EXT-STS:task_state"]
    if s.status == status and (task == nil or task == json.null) then return s end
    if s.status == "ERROR" and status ~= "ERROR" then
      local fault = type(s.fault) == "table" and s.fault.message or "?"
      error(("server %s went to ERROR while waiting for %s: %s"):format(id, status, fault), 0)
    end
    return nil, s.status .. "/" .. tostring(task)
  end, timeout or 60)
end

--- Waits until a Cinder volume has a status (raw polls).
function H.volume_settle(conn, id, status, timeout)
  id = type(id) == "table" and id.id or id
  return H.wait(("volume %s to be %s"):format(id, status), function()
    local v = H.raw(conn, "block-storage", "GET", "/volumes/" .. id).volume
    if v.status == status then return v end
    if v.status == "error" and status ~= "error" then error("volume " .. id .. " went to error", 0) end
    return nil, v.status
  end, timeout or 60)
end

--- Waits until a Glance image has a status (raw polls).
function H.image_settle(conn, id, status, timeout)
  id = type(id) == "table" and id.id or id
  return H.wait(("image %s to be %s"):format(id, status), function()
    local img = H.raw(conn, "image", "GET", "/v2/images/" .. id)
    if img.status == status then return img end
    if img.status == "killed" and status ~= "killed" then error("image " .. id .. " was killed", 0) end
    return nil, img.status
  end, timeout or 60)
end

-- ---------------------------------------------------------------- cleanup registry

local Registry = {}
Registry.__index = Registry

--- A cleanup registry: `reg:add(label, fn)` (LIFO), `reg:run()` runs and
-- forgets every entry, even when some fail, and returns the failures.
function H.registry()
  return setmetatable({ items = {} }, Registry)
end

function Registry:add(label, fn)
  self.items[#self.items + 1] = { label = label, fn = fn }
  return fn
end

function Registry:run()
  local failures = {}
  while #self.items > 0 do
    local item = table.remove(self.items)
    local ok, e = pcall(item.fn)
    if not ok then failures[#failures + 1] = item.label .. ": " .. tostring(e) end
  end
  if #failures > 0 then
    io.stderr:write("[ft] cleanup failures:\n  ", table.concat(failures, "\n  "), "\n")
  end
  return failures
end

-- tolerant raw delete: 404 is success
local function delete(conn, service, path, opts)
  local ok, e = H.try(conn, service, "DELETE", path, opts)
  if ok or (type(e) == "table" and e.status == 404) then return true end
  error(e, 0)
end
H.delete_raw = delete

local function gone(conn, service, path, what, timeout)
  H.wait(what .. " to be deleted", function()
    local ok, e = H.try(conn, service, "GET", path)
    if not ok and type(e) == "table" and e.status == 404 then return true end
    if not ok then error(e, 0) end
    return false, e.body and (e.body.status or (type(e.body.server) == "table" and e.body.server.status)
      or (type(e.body.volume) == "table" and e.body.volume.status))
  end, timeout or 60)
end
H.wait_gone = gone

--- Deletes a server (unlocking and unrescuing is not needed for admin;
-- a locked server is unlocked first) and waits until it is gone.
function H.delete_server(conn, id)
  id = type(id) == "table" and id.id or id
  H.try(conn, "compute", "POST", "/servers/" .. id .. "/action", { json = { unlock = json.null } })
  local ok, e = H.try(conn, "compute", "DELETE", "/servers/" .. id)
  if not ok and not (type(e) == "table" and e.status == 404) then
    -- e.g. 409 in some task state: reset and retry once
    H.try(H.admin(), "compute", "POST", "/servers/" .. id .. "/action",
      { json = { ["os-resetState"] = { state = "active" } } })
    delete(conn, "compute", "/servers/" .. id)
  end
  gone(conn, "compute", "/servers/" .. id, "server " .. id, 90)
end

function H.delete_volume(conn, id)
  id = type(id) == "table" and id.id or id
  local ok, r = H.try(conn, "block-storage", "GET", "/volumes/" .. id)
  if not ok then
    if type(r) == "table" and r.status == 404 then return end
    error(r, 0)
  end
  local v = r.body.volume
  if v.status ~= "available" and v.status ~= "error" and v.status ~= "in-use" then
    -- stuck in a transition: reset it (admin) before deleting
    H.try(H.admin(), "block-storage", "POST", "/volumes/" .. id .. "/action",
      { json = { ["os-reset_status"] = { status = "available", attach_status = "detached" } } })
  end
  local okd, e = H.try(conn, "block-storage", "DELETE", "/volumes/" .. id, { query = { cascade = "true" } })
  if not okd and not (type(e) == "table" and e.status == 404) then
    H.try(H.admin(), "block-storage", "POST", "/volumes/" .. id .. "/action",
      { json = { ["os-force_delete"] = json.object() } })
  end
  gone(conn, "block-storage", "/volumes/" .. id, "volume " .. id, 60)
end

function H.delete_snapshot(conn, id)
  id = type(id) == "table" and id.id or id
  delete(conn, "block-storage", "/snapshots/" .. id)
  gone(conn, "block-storage", "/snapshots/" .. id, "snapshot " .. id, 60)
end

function H.delete_volume_type(conn, id)
  delete(conn, "block-storage", "/types/" .. (type(id) == "table" and id.id or id))
end

function H.delete_image(conn, id)
  id = type(id) == "table" and id.id or id
  local ok, r = H.try(conn, "image", "GET", "/v2/images/" .. id)
  if not ok then
    if type(r) == "table" and r.status == 404 then return end
    error(r, 0)
  end
  if r.body.protected == true then
    conn:request("image", "PATCH", "/v2/images/" .. id, {
      body = '[{"op":"replace","path":"/protected","value":false}]',
      content_type = "application/openstack-images-v2.1-json-patch" })
  end
  if r.body.status == "deactivated" then
    H.try(conn, "image", "POST", "/v2/images/" .. id .. "/actions/reactivate")
  end
  delete(conn, "image", "/v2/images/" .. id)
end

function H.delete_flavor(conn, id)
  delete(conn, "compute", "/flavors/" .. (type(id) == "table" and id.id or id))
end

function H.delete_keypair(conn, name)
  delete(conn, "compute", "/os-keypairs/" .. name)
end

function H.delete_server_group(conn, id)
  delete(conn, "compute", "/os-server-groups/" .. (type(id) == "table" and id.id or id))
end

function H.delete_metadef_namespace(conn, name)
  delete(conn, "image", "/v2/metadefs/namespaces/" .. name)
end

function H.delete_neutron(conn, kind, id)
  delete(conn, "network", ("/v2.0/%s/%s"):format(kind, id))
end

-- ---------------------------------------------------------------- fixtures

local lookups = {}
--- Ids of the cloud's fixed fixtures (flavors m1.nano/m1.micro, tiny-image).
function H.fixtures()
  if lookups.image then return lookups end
  local conn = H.admin()
  local images = H.raw(conn, "image", "GET", "/v2/images", { query = { name = "tiny-image" } }).images
  assert(images[1], "the local cloud has no 'tiny-image' (tools/local-cloud/cloudsetup.py)")
  lookups.image = images[1].id
  lookups.nano, lookups.micro, lookups.tiny = "42", "84", "1"
  return lookups
end

--- Boots servers (one POST each, all at once) with networks "none" and
-- registers their deletion; returns their raw bodies once all are ACTIVE.
-- specs: list of {name=, extra attrs...}; conn defaults to admin.
function H.boot(reg, specs, conn)
  conn = conn or H.admin()
  local fx = H.fixtures()
  local ids = {}
  for i, s in ipairs(specs) do
    local server = { name = s.name or H.name("srv"), flavorRef = s.flavor or fx.nano,
      imageRef = s.image or fx.image, networks = s.networks or "none" }
    for k, v in pairs(s) do if k ~= "flavor" and k ~= "image" then server[k] = v end end
    local body = H.raw(conn, "compute", "POST", "/servers", { json = { server = server }, microversion = "2.37" })
    ids[i] = body.server.id
    reg:add("server " .. ids[i], function() H.delete_server(conn, ids[i]) end)
  end
  local out = {}
  for i, id in ipairs(ids) do out[i] = H.settle(conn, id, "ACTIVE", 90) end
  return out
end

-- ---------------------------------------------------------------- sweep

--- Lists everything named with the prefix (this run's, or any run's when
-- any_run) across the services; delete=true deletes it as well. Returns a
-- list of "kind name (id)" strings.
function H.sweep(delete_them, any_run)
  local admin = H.admin()
  local found = {}
  local function note(kind, name, id) found[#found + 1] = ("%s %s (%s)"):format(kind, name, id) end
  local function each(service, path, key, query, f)
    local ok, r = H.try(admin, service, "GET", path, { query = query })
    if not ok then found[#found + 1] = ("(could not list %s: %s)"):format(path, tostring(r)) return end
    for _, item in ipairs(r.body[key] or {}) do
      local name = item.name or (type(item.keypair) == "table" and item.keypair.name) or item.namespace
      if H.is_ours(name, any_run) then f(item, name) end
    end
  end
  local actions = {}
  local function act(fn) actions[#actions + 1] = fn end
  each("compute", "/servers", "servers", { all_tenants = "1", name = "^ft-" }, function(s, name)
    note("server", name, s.id); act(function() H.delete_server(admin, s.id) end)
  end)
  each("block-storage", "/snapshots/detail", "snapshots", { all_tenants = "1" }, function(s, name)
    note("snapshot", name, s.id); act(function() H.delete_snapshot(admin, s.id) end)
  end)
  each("block-storage", "/volumes/detail", "volumes", { all_tenants = "1" }, function(v, name)
    note("volume", name, v.id); act(function() H.delete_volume(admin, v.id) end)
  end)
  each("block-storage", "/backups/detail", "backups", { all_tenants = "1" }, function(b, name)
    note("backup", name, b.id); act(function() delete(admin, "block-storage", "/backups/" .. b.id) end)
  end)
  each("block-storage", "/types", "volume_types", { is_public = "None" }, function(t, name)
    note("volume type", name, t.id); act(function() H.delete_volume_type(admin, t.id) end)
  end)
  each("image", "/v2/images", "images", { limit = 1000 }, function(i, name)
    note("image", name, i.id); act(function() H.delete_image(admin, i.id) end)
  end)
  each("image", "/v2/metadefs/namespaces", "namespaces", { limit = 1000 }, function(n, name)
    note("metadef namespace", name, name); act(function() H.delete_metadef_namespace(admin, name) end)
  end)
  each("compute", "/flavors/detail", "flavors", { is_public = "None" }, function(f, name)
    note("flavor", name, f.id); act(function() H.delete_flavor(admin, f.id) end)
  end)
  each("compute", "/os-server-groups", "server_groups", { all_projects = "true" }, function(g, name)
    note("server group", name, g.id); act(function() H.delete_server_group(admin, g.id) end)
  end)
  for _, conn in ipairs({ admin, H.demo() }) do
    local ok, r = H.try(conn, "compute", "GET", "/os-keypairs")
    if ok then
      for _, k in ipairs(r.body.keypairs or {}) do
        local name = k.keypair and k.keypair.name
        if H.is_ours(name, any_run) then
          note("keypair", name, name); act(function() H.delete_keypair(conn, name) end)
        end
      end
    end
    local ti = conn:authorize()
    local okc, rc = H.try(conn, "identity", "GET", "/users/" .. ti.user_id .. "/application_credentials")
    if okc then
      for _, c in ipairs(rc.body.application_credentials or {}) do
        if H.is_ours(c.name, any_run) then
          note("application credential", c.name, c.id)
          act(function() delete(conn, "identity", "/users/" .. ti.user_id .. "/application_credentials/" .. c.id) end)
        end
      end
    end
  end
  each("identity", "/projects", "projects", nil, function(p, name)
    note("project", name, p.id); act(function() delete(admin, "identity", "/projects/" .. p.id) end)
  end)
  for _, kind in ipairs({ "floatingips", "ports", "routers", "subnets", "networks", "security-groups" }) do
    local key = kind == "security-groups" and "security_groups" or kind
    local ok, r = H.try(admin, "network", "GET", "/v2.0/" .. kind)
    if ok then
      for _, item in ipairs(r.body[key] or {}) do
        local name = item.name or item.description
        if H.is_ours(name, any_run) then
          note(kind, name, item.id)
          act(function()
            if kind == "routers" then
              H.try(admin, "network", "PUT", "/v2.0/routers/" .. item.id,
                { json = { router = { external_gateway_info = json.object() } } })
              local okp, ports = H.try(admin, "network", "GET", "/v2.0/ports", { query = { device_id = item.id } })
              for _, p in ipairs(okp and ports.body.ports or {}) do
                if p.device_owner == "network:router_interface" then
                  H.try(admin, "network", "PUT", "/v2.0/routers/" .. item.id .. "/remove_router_interface",
                    { json = { port_id = p.id } })
                end
              end
            end
            H.delete_neutron(admin, kind, item.id)
          end)
        end
      end
    end
  end
  if delete_them then
    for _, f in ipairs(actions) do
      local ok, e = pcall(f)
      if not ok then found[#found + 1] = "(delete failed: " .. tostring(e) .. ")" end
    end
  end
  return found
end

-- ---------------------------------------------------------------- assertions

--- true when list (a Lua sequence or an iterator) holds an item for which
-- pred(item) is true.
function H.any(iter_or_list, pred)
  if type(iter_or_list) == "function" then
    for item in iter_or_list do if pred(item) then return item end end
    return nil
  end
  for _, item in ipairs(iter_or_list) do if pred(item) then return item end end
  return nil
end

--- Collects an iterator into a list.
function H.collect(iter)
  local out = {}
  for item in iter do out[#out + 1] = item end
  return out
end

return H
