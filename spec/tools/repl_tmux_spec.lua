-- The ostack-lua REPL driven in a real terminal (tmux): readable results,
-- continuation lines, tab completion of globals, fields and proxy methods
-- (without connecting), line editing, history across sessions, Ctrl-C at
-- the prompt, OpenStack errors as one line, Ctrl-D to leave.
-- Each test runs the REPL in its own tmux session on a private tmux
-- server (-S, a socket in a temporary directory), and kills only that
-- session. Screens are polled with a
-- timeout, never slept on blindly.
-- Run from the repository root: busted --lua=lua5.4 spec/tools/repl_tmux_spec.lua
local fixture = require "spec.support.fixture"

local ROOT = assert(io.popen("pwd")):read("l")
-- OSTACK_LUA_BIN=build-asan/ostack-lua runs the same checks on the sanitizer build
local BIN = ROOT .. "/" .. (os.getenv("OSTACK_LUA_BIN") or "build/ostack-lua")

local function q(s) return "'" .. tostring(s):gsub("'", [['\'']]) .. "'" end

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local have_tmux = select(2, sh("command -v tmux >/dev/null"))

local function sleep(s) sh("sleep " .. s) end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local TMP = have_tmux and assert(io.popen("mktemp -d /tmp/ostack-repl-spec.XXXXXX")):read("l")
-- a private tmux server whose socket lives (and dies) in TMP
local function tmux(args) return sh("tmux -f /dev/null -S " .. q(TMP .. "/tmux.sock") .. " " .. args) end
local counter = 0

--- A REPL in a new tmux session: r:send(text) types literally, r:keys(...)
-- sends key names (Enter, Tab, C-c, Up, ...), r:wait(pattern) polls the
-- screen until the Lua pattern appears, r:close() kills the session.
local Repl = {}
Repl.__index = Repl

local function start(env, args)
  counter = counter + 1
  local name = "repl" .. counter
  local vars = { "PATH=" .. q(os.getenv("PATH")), "HOME=" .. q(TMP), "TERM=xterm", "OSTACK_TOKEN_CACHE=0",
    "OS_CLIENT_CONFIG_FILE=" .. q(TMP .. "/clouds.yaml"), "INPUTRC=/dev/null" }
  for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. q(v) end
  -- after the REPL exits, the shell prints its status and lingers so the
  -- screen can still be read
  local cmd = ("cd %s && env -i %s %s %s; echo \"EXITED $?\"; sleep 60"):format(q(ROOT), table.concat(vars, " "),
    q(BIN), args or "")
  local out, ok
  for _ = 1, 5 do -- the server of the previous test may still be exiting
    out, ok = tmux(("new-session -d -s %s -x 200 -y 50 %s"):format(name, q(cmd)))
    if ok then break end
    sleep(0.1)
  end
  assert(ok, "tmux new-session failed: " .. out)
  local r = setmetatable({ name = name }, Repl)
  r:wait("\n>$")
  return r
end

function Repl:screen()
  return (tmux("capture-pane -p -t " .. q(self.name)))
end

--- Polls until the screen (trailing blank lines removed) matches pattern.
function Repl:wait(pattern, timeout)
  local deadline = os.time() + (timeout or 5)
  local screen
  repeat
    screen = "\n" .. self:screen():gsub("%s+$", "")
    if screen:find(pattern) then return screen end
    sleep(0.05)
  until os.time() > deadline
  error(("timed out waiting for %q on the screen:\n%s"):format(pattern, screen), 2)
end

function Repl:send(text) tmux(("send-keys -t %s -l %s"):format(q(self.name), q(text))) end
function Repl:keys(...) tmux(("send-keys -t %s %s"):format(q(self.name), table.concat({ ... }, " "))) end
function Repl:line(text) self:send(text); self:keys("Enter") end
function Repl:close() tmux("kill-session -t " .. q(self.name)) end

local describe_or_pending = have_tmux and describe or function(name)
  pending(name .. ": tmux is not installed (apt-get install tmux)")
end

describe_or_pending("ostack-lua REPL in a terminal", function()
  local f = assert(io.open(TMP .. "/clouds.yaml", "w"))
  f:write("clouds: {}\n")
  f:close()
  local repl

  after_each(function()
    if repl then repl:close() end
    repl = nil
  end)
  teardown(function()
    tmux("kill-server") -- the private server of this spec (-S), nothing else
    os.execute("rm -rf " .. q(TMP))
  end)

  it("shows the banner and prints tables readably, strings as they are", function()
    repl = start()
    assert.matches("ostack%-lua %d+%.%d+%.%d+ %(Lua 5%.4", repl:screen())
    repl:line('{name = "web", ids = {1, 2, 3}, ["OS-EXT:az"] = "nova", nested = {ok = true}}')
    repl:wait('\n{ %["OS%-EXT:az"%] = "nova", ids = { 1, 2, 3 }, name = "web", nested = { ok = true } }\n>$')
    repl:line('"plain" .. " string"')
    repl:wait("\nplain string\n>$")
    repl:line("=1 + 1, nil, false")
    repl:wait("\n2%s+nil%s+false\n>$") -- (tabs come back as spaces)
  end)

  it("wraps wide tables, truncates long lists and marks cycles", function()
    repl = start()
    repl:line('t = {} for i = 1, 200 do t[i] = ("item%03d"):format(i) end')
    repl:wait("\n>$")
    repl:line("t")
    local screen = repl:wait("\n}\n>$")
    assert.matches('\n{\n  "item001", "item002", ', screen)
    assert.matches('"item050",\n  %.%.%. %(150 more%)\n}', screen)
    repl:line('c = {name = "c", list = {}} c.list[1] = c')
    repl:wait("\n>$")
    repl:line("c")
    repl:wait('\n{ list = { <cycle: table 0x%x+> }, name = "c" }\n>$')
  end)

  it("continues incomplete statements on >> lines", function()
    repl = start()
    repl:line("for i = 1, 3 do")
    repl:wait("\n>>$")
    repl:line('io.write(i, " ")')
    repl:wait("\n>>$")
    repl:line("end print()")
    repl:wait("\n1 2 3\n>$") -- (tmux drops trailing spaces)
    repl:line("x = ")
    repl:wait("\n>>$")
    repl:line("40 + 2")
    repl:line("x")
    repl:wait("\n42\n>$")
  end)

  it("completes globals and table fields with Tab", function()
    repl = start()
    repl:send("string.fo")
    repl:keys("Tab")
    repl:wait("\n> string%.format$")
    repl:send('("%d", 7)')
    repl:keys("Enter")
    repl:wait("\n7\n>$")
    repl:send("coll")
    repl:keys("Tab")
    repl:wait("\n> collectgarbage$")
  end)

  it("completes conn's services and proxy methods without connecting", function()
    local fx = fixture.start()
    fixture.keystone_catalog(fx)
    local ok, err = pcall(function()
      repl = start({ OS_AUTH_URL = fx.url .. "/v3", OS_USERNAME = "alice", OS_PASSWORD = "secret",
        OS_PROJECT_NAME = "demo", OS_USER_DOMAIN_NAME = "Default", OS_PROJECT_DOMAIN_NAME = "Default" })
      repl:send("conn.comp")
      repl:keys("Tab")
      repl:wait("\n> conn%.compute$")
      repl:send(":ser")
      repl:keys("Tab")
      repl:wait("\n> conn%.compute:serv$")
      repl:keys("Tab")
      local screen = repl:wait("\n> conn%.compute:serv$")
      screen = repl:wait("servers") -- the candidates, listed by their method names
      assert.matches("server_groups", screen)
      assert.matches("server_interfaces", screen)
      assert.matches("services", screen)
      assert.is_nil(screen:find("conn.compute:servers ", 1, true), "the list shows method names only")
      repl:keys("C-u")
      repl:send("conn.block_store:volu")
      repl:keys("Tab")
      repl:wait("\n> conn%.block_store:volumes$")
      repl:keys("C-u")
      repl:line('print(rawget(_G, "conn"))')
      repl:wait("\nnil\n>$")
      assert.equal(0, fx:count(), "completion sent a request")
    end)
    fx:stop()
    assert(ok, err)
  end)

  it("edits lines, recalls history and keeps it in ~/.ostack_lua_history", function()
    os.remove(TMP .. "/.ostack_lua_history")
    repl = start()
    repl:line("y = 1")
    repl:line("y = y + 1")
    repl:wait("\n> y = y %+ 1\n>$")
    repl:keys("Up", "Enter") -- y = y + 1 again
    repl:send("rint(y * 10)")
    repl:keys("C-a")
    repl:send("p")
    repl:keys("Enter")
    repl:wait("\n30\n>$")
    repl:line("for i = 1, 2 do")
    repl:line("end")
    repl:keys("C-d")
    repl:wait("\nEXITED 0$")
    local history = read(TMP .. "/.ostack_lua_history") or ""
    assert.matches("\ny = y %+ 1\n", history)
    assert.matches("\nprint%(y %* 10%)\n", history)

    repl:close()
    repl = start()
    repl:keys("Up")
    repl:wait("\n> for i = 1, 2 do\nend$") -- a multi-line entry comes back whole
    repl:keys("Up")
    repl:wait("\n> print%(y %* 10%)$")
  end)

  it("drops the line on Ctrl-C and stops running code; Ctrl-D exits with status 0", function()
    repl = start()
    repl:send('print("must not run")')
    repl:keys("C-c")
    repl:wait("\n>$")
    repl:line('print("after")')
    local screen = repl:wait("\nafter\n>$")
    assert.is_nil(screen:find("\nmust not run", 1, true))
    repl:line("while true do end")
    sleep(0.2)
    repl:keys("C-c")
    repl:wait("interrupted!\nstack traceback:.-\n>$")
    repl:line("if true then")
    repl:wait("\n>>$")
    repl:keys("C-c")
    repl:wait("\n>$")
    repl:keys("C-d")
    repl:wait("\nEXITED 0$")
  end)

  it("prints resources by their one-line form and OpenStack errors as one line", function()
    local fx = fixture.start()
    fixture.keystone_catalog(fx)
    fx:route("GET", "/compute/v2.1/servers/abc", { json = { server = { id = "abc", name = "web-1", status = "ACTIVE" } } })
    fx:route("GET", "/compute/v2.1/servers/x", { status = 404, headers = { ["X-OpenStack-Request-ID"] = "req-repl-1" },
      json = { itemNotFound = { code = 404, message = "Instance x could not be found." } } })
    local ok, err = pcall(function()
      repl = start({}, ("--os-auth-url %s --os-username alice --os-password secret --os-project-name demo"
        .. " --os-user-domain-name Default --os-project-domain-name Default"):format(q(fx.url .. "/v3")))
      repl:line('conn.compute:get_server("abc")')
      repl:wait("\nServer%(id=abc, name=web%-1, status=ACTIVE%)\n>$")
      repl:line('conn.compute:get_server("abc"):to_table()')
      repl:wait('\n{ id = "abc", name = "web%-1", status = "ACTIVE" }\n>$')
      repl:line('conn.compute:get_server("x")')
      local screen = repl:wait("\n>$", 10)
      screen = repl:wait("\nResourceNotFound %(HTTP 404%): No Server found for x: Instance x could not be found%. "
        .. "%[request req%-repl%-1%]\n>$")
      assert.is_nil(screen:find("stack traceback", 1, true))
    end)
    fx:stop()
    assert(ok, err)
  end)
end)
