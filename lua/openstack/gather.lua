--- Concurrency: many calls at once on one connection, each written as
-- ordinary sequential Lua. Each task runs in a coroutine; when one of its
-- requests would block, the core yields it to this scheduler, which drives
-- every transfer through the connection's libcurl multi handle and resumes
-- the tasks whose responses arrived.
--
--    local results, errs = conn:gather(tasks, {concurrency = 16})
--
-- `tasks` is a list of functions (each called with its index); results[i]
-- is what task i returned, errs[i] its error (nil when it succeeded).
-- @module openstack.gather
local core = require "openstack.core"
local errors = require "openstack.errors"

local gather = {}

-- the coroutines that are gather tasks (the core looks them up here)
local registry = debug.getregistry()
local tasks = registry["openstack.gather.tasks"]
if not tasks then
  tasks = setmetatable({}, { __mode = "k" })
  registry["openstack.gather.tasks"] = tasks
end

local SLEEP = {} -- what a sleeping task yields

--- Sleeps: yields to the scheduler inside a gather task, blocks otherwise.
function gather.sleep(seconds)
  local co, main = coroutine.running()
  if not main and tasks[co] then
    coroutine.yield(SLEEP, core.now() + seconds)
  else
    core.sleep(seconds)
  end
end

--- Runs tasks with at most opts.concurrency (default 8) at a time on session.
function gather.run(session, list, opts)
  errors.check_arg("gather", "tasks", list, "table", 2)
  opts = opts or {}
  local limit = opts.concurrency or 8
  if math.type(limit) ~= "integer" or limit < 1 then
    errors.raise("InvalidArgument", "gather: concurrency must be a positive integer", nil, 2)
  end
  for i, f in ipairs(list) do
    if type(f) ~= "function" then
      errors.raise("InvalidArgument", ("gather: task %d is a %s, not a function"):format(i, type(f)), nil, 2)
    end
  end
  local results, errs, nerr = {}, {}, 0
  local active = {} -- co -> {index, waiting = request userdata | SLEEP, wake_at}
  local count, next_index = 0, 1

  local function step(co, ...)
    local state = active[co]
    local ok, a, b = coroutine.resume(co, ...)
    if coroutine.status(co) == "dead" then
      active[co], count = nil, count - 1
      tasks[co] = nil
      if ok then results[state.index] = a else errs[state.index] = a; nerr = nerr + 1 end
      return
    end
    if a == SLEEP then
      state.waiting, state.wake_at = SLEEP, b
    elseif type(a) == "userdata" then
      state.waiting, state.wake_at = a, nil
    else
      -- the task yielded something of its own: not ours to interpret
      errs[state.index] = errors.new("InvalidArgument", "a gather task yielded outside the SDK")
      nerr = nerr + 1
      active[co], count = nil, count - 1
      tasks[co] = nil
    end
  end

  while true do
    while count < limit and next_index <= #list do
      local index, f = next_index, list[next_index]
      next_index = next_index + 1
      local co = coroutine.create(function() return f(index) end)
      tasks[co] = true
      active[co], count = { index = index }, count + 1
      step(co)
    end
    if count == 0 then break end
    -- resume whatever is ready; otherwise wait for the network (or a timer)
    local resumed, soonest = false, math.huge
    for co, state in pairs(active) do
      local ready, wake_at
      if state.waiting == SLEEP then
        ready, wake_at = core.now() >= state.wake_at, state.wake_at
      else
        ready, wake_at = core.request_ready(state.waiting)
      end
      if ready then
        resumed = true
        step(co)
      elseif wake_at and wake_at < soonest then
        soonest = wake_at
      end
    end
    if not resumed then
      local timeout = math.min(0.1, math.max(0, soonest - core.now()))
      session:poll(timeout)
    end
  end
  return results, errs, nerr
end

return gather
