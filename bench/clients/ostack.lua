-- ostack.lua: the benchmark's ostack-lua client (run by build/ostack-lua).
-- Each scenario connects to a fixture cloud, does its work and prints one
-- JSON line: {"wall": s, "cpu": s, "n": items, "bytes": n, "connect": s}, where
-- wall/cpu cover the work only (not start-up, not authentication unless
-- the scenario is authentication itself).
--
-- usage: ostack-lua bench/clients/ostack.lua SCENARIO CLOUD [args]
--   auth CLOUD                        connect + authenticate
--   get CLOUD IDS_FILE N              N x get_server on one connection
--   list CLOUD                        every server (id, name, status read)
--   images CLOUD                      every Glance image (id, name, status read)
--   delete CLOUD N CONCURRENCY        N x delete_server; concurrency 1: sequential, else conn:gather
--   upload CLOUD FILE                 upload_image (POST + PUT of the file)
--   download CLOUD IMAGE_ID OUT VERIFY  download_image to OUT (VERIFY: true/false)
local core = require "openstack.core"
local scenario, cloud = arg[1], arg[2]

local function now() return core.now() end
local function cpu() return os.clock() end

local t_start, c_start = now(), cpu()
local conn = openstack.connect { cloud = cloud }
conn:authorize()
local connect = now() - t_start

local function report(t0, c0, fields)
  local wall, cputime = now() - t0, cpu() - c0
  local parts = { ('"wall":%.6f'):format(wall), ('"cpu":%.6f'):format(cputime), ('"connect":%.6f'):format(connect) }
  for k, v in pairs(fields or {}) do parts[#parts + 1] = ('"%s":%s'):format(k, tostring(v)) end
  print("{" .. table.concat(parts, ",") .. "}")
end

if scenario == "auth" then
  report(t_start, c_start, { n = 1 })

elseif scenario == "get" then
  local ids = {}
  for line in io.lines(arg[3]) do ids[#ids + 1] = line end
  local n = tonumber(arg[4])
  local compute = conn.compute
  compute:get_server(ids[1]) -- version discovery happens here, outside the timing
  local t0, c0 = now(), cpu()
  local ok = 0
  for i = 1, n do
    local s = compute:get_server(ids[(i - 1) % #ids + 1])
    if s.id and s.name and s.status then ok = ok + 1 end
  end
  report(t0, c0, { n = ok })

elseif scenario == "list" then
  local t0, c0 = now(), cpu()
  local n = 0
  for s in conn.compute:servers() do
    local id, name, status = s.id, s.name, s.status
    if id and name and status then n = n + 1 end
  end
  report(t0, c0, { n = n })

elseif scenario == "images" then
  local t0, c0 = now(), cpu()
  local n = 0
  for img in conn.image:images() do
    local id, name, status = img.id, img.name, img.status
    if id and name and status then n = n + 1 end
  end
  report(t0, c0, { n = n })

elseif scenario == "delete" then
  local n, concurrency = tonumber(arg[3]), tonumber(arg[4])
  local gen = dofile("bench/gen_servers.lua")
  local compute = conn.compute
  compute:microversion() -- version discovery, outside the timing
  local t0, c0 = now(), cpu()
  if concurrency <= 1 then
    for i = 1, n do compute:delete_server(gen.uuid(i, 99)) end
  else
    local tasks = {}
    for i = 1, n do tasks[i] = function() return compute:delete_server(gen.uuid(i, 99)) end end
    local _, errs, nerr = conn:gather(tasks, { concurrency = concurrency })
    if nerr > 0 then
      local _, e = next(errs)
      error(("%d deletes failed: %s"):format(nerr, tostring(e)))
    end
  end
  report(t0, c0, { n = n })

elseif scenario == "upload" then
  local file = arg[3]
  local f = assert(io.open(file, "rb"))
  local size = f:seek("end")
  f:close()
  local t0, c0 = now(), cpu()
  local img = conn.image:upload_image { name = "bench-upload", disk_format = "raw", container_format = "bare",
    filename = file }
  assert(img.id)
  report(t0, c0, { n = 1, bytes = size })

elseif scenario == "download" then
  local id, out, verify = arg[3], arg[4], arg[5] == "true"
  local t0, c0 = now(), cpu()
  local result = conn.image:download_image(id, { output = out, verify = verify })
  report(t0, c0, { n = 1, bytes = result.bytes, verified = ('"%s"'):format(table.concat(result.verified, "+")) })

else
  error("unknown scenario " .. tostring(scenario))
end
