-- bulk_boot.lua: boots N servers at once with conn:gather (each task is
-- ordinary sequential code: create, then wait for ACTIVE), reports how long
-- the batch took and each server's state, then deletes them all at once
-- (unless --keep). Shows the SDK's concurrency: the tasks share one
-- connection pool and their waits overlap instead of adding up.
--
-- usage: ostack-lua --os-cloud NAME examples/bulk_boot.lua [--count N]
--          [--prefix PREFIX] [--image NAME] [--flavor NAME] [--concurrency C] [--keep]
-- example: ostack-lua --os-cloud local-demo examples/bulk_boot.lua --count 8
local options = { count = 5, prefix = "bulk-" .. os.time(), image = "tiny-image", flavor = "m1.nano",
                  concurrency = 8, keep = false }
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--keep" then options.keep = true
  elseif a:match("^%-%-") and options[a:sub(3)] ~= nil and arg[i + 1] then
    local key = a:sub(3)
    options[key] = type(options[key]) == "number" and math.tointeger(tonumber(arg[i + 1])) or arg[i + 1]
    i = i + 1
  else
    io.stderr:write("bulk_boot.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
conn = conn or require("openstack").connect()
local now = require("openstack.core").now

local image = conn.image:find_image(options.image, { ignore_missing = false })
local flavor = conn.compute:find_flavor(options.flavor, { ignore_missing = false })

-- one task per server: written as if it were alone
local tasks = {}
for n = 1, options.count do
  tasks[n] = function()
    local server = conn.compute:create_server {
      name = ("%s-%d"):format(options.prefix, n), image_id = image.id, flavor_id = flavor.id, networks = "none",
    }
    return conn.compute:wait_for_server(server, { status = "ACTIVE", wait = 300, interval = 1 })
  end
end

local started = now()
local servers, errs, failed = conn:gather(tasks, { concurrency = options.concurrency })
print(("%d of %d servers ACTIVE in %.1f s (concurrency %d)"):format(options.count - failed, options.count,
  now() - started, options.concurrency))
for n = 1, options.count do
  if servers[n] then print(("  %s %s"):format(servers[n].name, servers[n].status))
  else print(("  %s-%d failed: %s"):format(options.prefix, n, tostring(errs[n]))) end
end

if not options.keep then
  local deletes = {}
  for n = 1, options.count do
    local server = servers[n]
    if server then
      deletes[#deletes + 1] = function()
        conn.compute:delete_server(server)
        return conn.compute:wait_for_delete(server, { wait = 120, interval = 1 })
      end
    end
  end
  started = now()
  local _, delete_errs, delete_failed = conn:gather(deletes, { concurrency = options.concurrency })
  for _, e in pairs(delete_errs) do print("  delete failed: " .. tostring(e)) end
  print(("deleted %d servers in %.1f s"):format(#deletes - delete_failed, now() - started))
  failed = failed + delete_failed
end
os.exit(failed == 0 and 0 or 1)
