-- snapshot_volumes.lua: snapshots every volume of the project (or those
-- whose name matches a pattern), in-use volumes included (force), then waits
-- until every snapshot is available. Snapshots are named
-- PREFIX-<volume name or id>-<UTC date>. All snapshots are requested first and
-- waited for afterwards, so the run takes as long as the slowest one. The
-- exit status is 1 when any snapshot failed or timed out.
--
-- usage: ostack-lua --os-cloud NAME examples/snapshot_volumes.lua
--          [--prefix PREFIX] [--name LUA_PATTERN] [--timeout SECONDS] [--dry-run]
--   --prefix   snapshot name prefix (default "auto")
--   --name     only volumes whose name contains this Lua pattern
--   --timeout  how long to wait for each snapshot (default 600)
-- example: ostack-lua --os-cloud local-demo examples/snapshot_volumes.lua --prefix nightly
-- The cloud comes from --os-cloud / OS_CLOUD / OS_* (ostack-lua's `conn`).
local options = { prefix = "auto", timeout = 600, dry_run = false }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--dry-run" then options.dry_run = true
  elseif (a == "--prefix" or a == "--name" or a == "--timeout") and arg[i + 1] then
    options[a:sub(3)] = arg[i + 1]; i = i + 1
  else
    io.stderr:write("snapshot_volumes.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
local timeout = tonumber(options.timeout)
if not timeout or timeout <= 0 then
  io.stderr:write("snapshot_volumes.lua: --timeout needs a number of seconds\n")
  os.exit(2)
end
conn = conn or require("openstack").connect()

local null = require("openstack.json").null
local stamp = os.date("!%Y%m%dT%H%MZ")
local SNAPSHOTTABLE = { available = true, ["in-use"] = true }

local requested, failed, skipped = {}, 0, 0
for volume in conn.block_store:volumes() do
  local label = volume.name ~= null and volume.name ~= "" and volume.name or volume.id
  if options.name and not (volume.name ~= null and volume.name:find(options.name)) then
    -- not selected
  elseif not SNAPSHOTTABLE[volume.status] then
    skipped = skipped + 1
    print(("skip     %-36s %-24s status %s"):format(volume.id, label, volume.status))
  elseif options.dry_run then
    print(("would snapshot %-36s %-24s %d GiB %s"):format(volume.id, label, volume.size, volume.status))
  else
    local ok, snap = pcall(conn.block_store.create_snapshot, conn.block_store, {
      volume_id = volume.id, name = ("%s-%s-%s"):format(options.prefix, label, stamp),
      description = "snapshot_volumes.lua", force = true,
    })
    if ok then
      print(("snapshot %-36s of %-24s requested"):format(snap.id, label))
      requested[#requested + 1] = { snap = snap, label = label }
    else
      failed = failed + 1
      print(("FAILED   %-36s %-24s %s"):format(volume.id, label, tostring(snap)))
    end
  end
end

local started, ready = os.time(), 0
for _, r in ipairs(requested) do
  local ok, snap = pcall(conn.block_store.wait_for_status, conn.block_store, r.snap, {
    status = "available", failures = { "error" }, wait = timeout, interval = 2,
  })
  if ok then
    ready = ready + 1
    print(("ready    %-36s of %-24s %d GiB after %d s"):format(snap.id, r.label, snap.size, os.time() - started))
  else
    failed = failed + 1
    print(("FAILED   %-36s of %-24s %s"):format(r.snap.id, r.label, tostring(snap)))
  end
end

if options.dry_run then
  print(("dry run: nothing requested, %d volumes skipped"):format(skipped))
else
  print(("%d snapshots available, %d volumes skipped, %d failed"):format(ready, skipped, failed))
end
if failed > 0 then os.exit(1, true) end
