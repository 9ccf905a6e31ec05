-- resize_server.lua: resizes a server to another flavor and confirms it:
-- requests the resize, waits for VERIFY_RESIZE, confirms (or, with
-- --revert, reverts), then waits until the server is ACTIVE again, printing
-- each step. With --no-confirm it stops at VERIFY_RESIZE, leaving the
-- decision to a human (Nova confirms by itself after a while).
--
-- usage: ostack-lua --os-cloud NAME examples/resize_server.lua SERVER FLAVOR
--          [--no-confirm | --revert] [--timeout SECONDS]
--   SERVER     name or id      FLAVOR   name or id of the new flavor
--   --timeout  how long to wait for each state (default 600)
-- example: ostack-lua --os-cloud local-demo examples/resize_server.lua web-1 m1.micro
-- The cloud comes from --os-cloud / OS_CLOUD / OS_* (ostack-lua's `conn`).
local options = { confirm = true, revert = false, timeout = 600 }
local positional = {}
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--no-confirm" then options.confirm = false
  elseif a == "--revert" then options.revert = true
  elseif a == "--timeout" and arg[i + 1] then options.timeout = tonumber(arg[i + 1]); i = i + 1
  elseif a:sub(1, 2) ~= "--" then positional[#positional + 1] = a
  else
    io.stderr:write("resize_server.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
if #positional ~= 2 or not options.timeout then
  io.stderr:write("usage: resize_server.lua SERVER FLAVOR [--no-confirm | --revert] [--timeout SECONDS]\n")
  os.exit(2)
end
conn = conn or require("openstack").connect()
local compute = conn.compute

local server = compute:find_server(positional[1], { ignore_missing = false })
local flavor = compute:find_flavor(positional[2], { ignore_missing = false })
local current = type(server.flavor) == "table" and (server.flavor.original_name or server.flavor.id) or "?"
if current == flavor.name or current == flavor.id then
  print(("%s already has flavor %s"):format(server.name, flavor.name))
  return
end
if server.status ~= "ACTIVE" and server.status ~= "SHUTOFF" then
  error(("%s is %s; only ACTIVE or SHUTOFF servers can be resized"):format(server.name, server.status))
end

local started = os.time()
local function step(what) print(("[%4d s] %s"):format(os.time() - started, what)) end
local null = require("openstack.json").null
local function progress(p, s) -- each poll: status, task state, progress when known
  io.write(("\r         %-14s %-22s %s"):format(s.status, s.task_state ~= null and s.task_state or "",
    math.type(p) and p .. "%" or ""))
  io.flush()
end

step(("resizing %s (%s) from %s to %s"):format(server.name, server.id, current, flavor.name))
local previous = server.status
compute:resize_server(server, flavor)
server = compute:wait_for_server(server, {
  status = "VERIFY_RESIZE", wait = options.timeout, interval = 2, callback = progress,
})
io.write("\n")
step("VERIFY_RESIZE: the server runs with the new flavor, the old one is kept until confirmed")

if not options.confirm and not options.revert then
  step("not confirmed (--no-confirm): confirm with compute:confirm_server_resize, or revert")
  return
end
if options.revert then
  compute:revert_server_resize(server)
  step("revert requested")
else
  compute:confirm_server_resize(server)
  step("confirm requested")
end
server = compute:wait_for_server(server, {
  status = previous, wait = options.timeout, interval = 2, callback = progress,
})
io.write("\n")
local now = type(server.flavor) == "table" and (server.flavor.original_name or server.flavor.id) or "?"
step(("%s is %s with flavor %s"):format(server.name, server.status, now))
