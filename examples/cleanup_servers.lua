-- cleanup_servers.lua: deletes the servers older than N hours whose name
-- matches a pattern (leftovers of CI runs, forgotten test VMs), then waits
-- until they are gone. --dry-run only lists what would be deleted. A server
-- that cannot be deleted (locked, ...) is reported and the others proceed;
-- the exit status is 1 when any deletion failed.
--
-- usage: ostack-lua --os-cloud NAME examples/cleanup_servers.lua
--          [--older-than HOURS] [--name LUA_PATTERN] [--status STATUS]
--          [--all-projects] [--dry-run] [--no-wait]
--   --older-than HOURS  minimum age (default 24; fractions allowed, 0: any age)
--   --name PATTERN      Lua pattern the name must contain, e.g. '^ci%-' (default: any)
--   --status STATUS     only servers in this status (ACTIVE, ERROR, SHUTOFF, ...)
--   --all-projects      every project's servers (admin)
-- example: ostack-lua --os-cloud local-demo examples/cleanup_servers.lua --older-than 2 --name '^example%-' --dry-run
-- The cloud comes from --os-cloud / OS_CLOUD / OS_* (ostack-lua's `conn`).
local options = { older_than = 24, dry_run = false, wait = true, all_projects = false }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--dry-run" then options.dry_run = true
  elseif a == "--no-wait" then options.wait = false
  elseif a == "--all-projects" then options.all_projects = true
  elseif (a == "--older-than" or a == "--name" or a == "--status") and arg[i + 1] then
    options[a:sub(3):gsub("-", "_")] = arg[i + 1]; i = i + 1
  else
    io.stderr:write("cleanup_servers.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
local hours = tonumber(options.older_than)
if not hours or hours < 0 then
  io.stderr:write("cleanup_servers.lua: --older-than needs a number of hours\n")
  os.exit(2)
end
if options.name and not pcall(string.find, "", options.name) then
  io.stderr:write("cleanup_servers.lua: --name is not a valid Lua pattern: ", options.name, "\n")
  os.exit(2)
end
conn = conn or require("openstack").connect()

-- "2024-05-01T12:34:56Z" (or with +hh:mm) -> seconds since the epoch.
local function epoch(iso)
  local y, mo, d, h, mi, s, zone = tostring(iso):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)%.?%d*(.*)$")
  if not y then return nil end
  y, mo = tonumber(y), tonumber(mo)
  -- days from civil (Howard Hinnant), so no local time zone is involved
  local yy = mo <= 2 and y - 1 or y
  local era = yy // 400
  local yoe = yy - era * 400
  local doy = (153 * (mo + (mo > 2 and -3 or 9)) + 2) // 5 + tonumber(d) - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local t = ((era * 146097 + doe - 719468) * 24 + tonumber(h)) * 3600 + tonumber(mi) * 60 + tonumber(s)
  local sign, zh, zm = zone:match("^([+-])(%d%d):?(%d%d)$")
  if sign then t = t - (sign == "+" and 1 or -1) * (tonumber(zh) * 3600 + tonumber(zm) * 60) end
  return t
end

local now = os.time()
local query = { status = options.status, all_projects = options.all_projects or nil }
local doomed, kept = {}, 0
for server in conn.compute:servers(query) do
  local created = epoch(server.created_at)
  local age = created and (now - created) / 3600
  if age and age >= hours and (not options.name or server.name:find(options.name)) then
    doomed[#doomed + 1] = { server = server, age = age }
  else
    kept = kept + 1
  end
end

local failed, deleted = 0, {}
for _, d in ipairs(doomed) do
  local s = d.server
  local line = ("%-36s %-30s %-13s %6.1f h"):format(s.id, s.name, s.status, d.age)
  if options.dry_run then
    print("would delete " .. line)
  else
    local ok, err = pcall(conn.compute.delete_server, conn.compute, s)
    if ok then
      print("deleting     " .. line)
      deleted[#deleted + 1] = s
    else
      failed = failed + 1
      print("FAILED       " .. line .. ": " .. tostring(err))
    end
  end
end

if options.wait then
  for _, s in ipairs(deleted) do
    local ok, err = pcall(conn.compute.wait_for_delete, conn.compute, s, { wait = 300, interval = 2 })
    if not ok then
      failed = failed + 1
      print("FAILED       " .. s.name .. " is still there: " .. tostring(err))
    end
  end
end

print(("%d %s, %d kept, %d failed"):format(#doomed, options.dry_run and "to delete" or "deleted", kept, failed))
if failed > 0 then os.exit(1, true) end
