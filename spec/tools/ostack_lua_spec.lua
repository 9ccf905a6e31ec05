-- The ostack-lua interpreter, run as a subprocess: lua.c's options and
-- `arg` conventions, OSTACK_LUA_INIT, exit statuses, start-up without the
-- openstack module, --os-* options reaching the connection, the one-line
-- report of OpenStack errors (against the fixture server), the traceback of
-- programming errors, and a redacted --debug trace.
-- Run from the repository root: busted --lua=lua5.4 spec/tools/ostack_lua_spec.lua
local fixture = require "spec.support.fixture"
local cjson = require "cjson"

local ROOT = assert(io.popen("pwd")):read("l")
-- OSTACK_LUA_BIN=build-asan/ostack-lua runs the same checks on the sanitizer build
local BIN = ROOT .. "/" .. (os.getenv("OSTACK_LUA_BIN") or "build/ostack-lua")
local PASSWORD = "Pw-s3cret-interp-77"

local function q(s) return "'" .. tostring(s):gsub("'", [['\'']]) .. "'" end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local TMP = assert(io.popen("mktemp -d /tmp/ostack-lua-spec.XXXXXX")):read("l")
local CLOUDS = write(TMP .. "/clouds.yaml", "clouds: {}\n")
local SECURE = write(TMP .. "/secure.yaml", "clouds: {}\n")
os.execute("chmod 600 " .. q(CLOUDS) .. " " .. q(SECURE))

--- Runs the interpreter in a clean environment (only PATH, HOME, the
-- empty clouds files and `env`), with `args` (a shell-quoted string) and
-- optional stdin text. Returns {out=, err=, code=}.
local function run(args, opts)
  opts = opts or {}
  local env = {
    "PATH=" .. q(os.getenv("PATH")), "HOME=" .. q(TMP), "OSTACK_TOKEN_CACHE=0",
    "OS_CLIENT_CONFIG_FILE=" .. q(CLOUDS), "OS_CLIENT_SECURE_FILE=" .. q(SECURE),
  }
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. q(v) end
  local stdin = opts.stdin and write(TMP .. "/stdin", opts.stdin) or "/dev/null"
  local cmd = ("cd %s && env -i %s %s %s <%s >%s/out 2>%s/err; echo $?"):format(q(opts.cwd or ROOT),
    table.concat(env, " "), opts.bin or BIN, args, q(stdin), q(TMP), q(TMP))
  local p = assert(io.popen(cmd))
  local code = tonumber(p:read("l"))
  p:close()
  return { out = read(TMP .. "/out"), err = read(TMP .. "/err"), code = code }
end

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("ostack-lua", function()
  teardown(function() os.execute("rm -rf " .. q(TMP)) end)

  it("is built", function()
    assert.is_true(os.execute("test -x " .. q(BIN)), "build/ostack-lua is missing: cmake --build build")
  end)

  describe("like lua5.4", function()
    it("-v prints the version and runs nothing else", function()
      local r = run("-v")
      assert.equal(0, r.code)
      assert.matches("^ostack%-lua %d+%.%d+%.%d+ %(Lua 5%.4%.%d+, libcurl [%d.]+%)\n$", r.out)
      assert.equal("", r.err)
    end)

    it("-e runs chunks in order, also written -eCODE", function()
      local r = run("-e 'x = 20' -e 'x = x + 1' '-eprint(x * 2)'")
      assert.equal(0, r.code)
      assert.equal("42\n", r.out)
    end)

    it("-l requires a module into a global, -l g=mod under another name", function()
      write(TMP .. "/specmod.lua", "return { answer = 42 }\n")
      local env = { LUA_PATH = TMP .. "/?.lua;;" }
      local r = run("-l specmod -e 'print(specmod.answer)'", { env = env })
      assert.equal("42\n", r.out)
      r = run("-l g=specmod -e 'print(g.answer, specmod)'", { env = env })
      assert.equal("42\tnil\n", r.out)
      r = run("-l nosuchmodule", { env = env })
      assert.equal(1, r.code)
      assert.matches("module 'nosuchmodule' not found", r.err)
    end)

    it("runs a script with its arguments in `arg` and `...`", function()
      local script = write(TMP .. "/args.lua", [[
        print(arg[0], arg[1], arg[2], #arg)
        print(arg[-1], arg[-2], arg[-3])
        print(select("#", ...), ...)
      ]])
      local r = run("-e 'x=1' " .. q(script) .. " one 'two words'")
      assert.equal(0, r.code)
      assert.same({
        script .. "\tone\ttwo words\t2",
        "x=1\t-e\t" .. BIN,
        "2\tone\ttwo words",
      }, lines(r.out))
    end)

    it("without a script, arg[0] is the interpreter and the options are positive", function()
      local r = run("-e 'print(arg[0], arg[1], arg[2], arg[-1])'")
      assert.equal(BIN .. "\t-e\tprint(arg[0], arg[1], arg[2], arg[-1])\tnil\n", r.out)
    end)

    it("script arguments that look like options belong to the script", function()
      local script = write(TMP .. "/opts.lua", "print(...)\n")
      local r = run(q(script) .. " -e --os-cloud x -v")
      assert.equal(0, r.code)
      assert.equal("-e\t--os-cloud\tx\t-v\n", r.out)
    end)

    it("- runs stdin with arguments; without any option stdin is the script", function()
      local r = run("- a b", { stdin = "print(arg[0], ...)" })
      assert.equal("-\ta\tb\n", r.out)
      r = run("", { stdin = "print('from stdin')" })
      assert.equal(0, r.code)
      assert.equal("from stdin\n", r.out)
    end)

    it("-- ends the options: the next argument is the script", function()
      write(TMP .. "/-dash.lua", "print('dash', ...)\n")
      local r = run("-- -dash.lua x", { cwd = TMP })
      assert.equal("dash\tx\n", r.out)
    end)

    it("-W turns warnings on", function()
      local r = run("-W -e 'warn(\"careful\")'")
      assert.equal("Lua warning: careful\n", r.err)
      r = run("-e 'warn(\"careful\")'")
      assert.equal("", r.err)
    end)

    it("runs OSTACK_LUA_INIT (code or @file) first; OSTACK_LUA_INIT_5_4 wins; -E ignores them", function()
      local r = run("-e 'print(\"main\")'", { env = { OSTACK_LUA_INIT = "print('init')" } })
      assert.equal("init\nmain\n", r.out)
      local file = write(TMP .. "/init.lua", "print('init file', arg[0] ~= nil)\n")
      r = run("-e 'print(\"main\")'", { env = { OSTACK_LUA_INIT = "@" .. file } })
      assert.equal("init file\ttrue\nmain\n", r.out)
      r = run("-e ''", { env = { OSTACK_LUA_INIT = "print('plain')", OSTACK_LUA_INIT_5_4 = "print('versioned')" } })
      assert.equal("versioned\n", r.out)
      r = run("-E -e 'print(\"main\")'", { env = { OSTACK_LUA_INIT = "print('init')" } })
      assert.equal("main\n", r.out)
      r = run("-e 'print(\"main\")'", { env = { OSTACK_LUA_INIT = "error('bad init')" } })
      assert.equal(1, r.code)
      assert.equal("", r.out)
      assert.matches("OSTACK_LUA_INIT:1: bad init", r.err)
    end)

    it("-E also ignores LUA_PATH", function()
      write(TMP .. "/specmod.lua", "return { answer = 42 }\n")
      local env = { LUA_PATH = TMP .. "/?.lua;;" }
      assert.equal(0, run("-l specmod", { env = env }).code)
      local r = run("-E -l specmod", { env = env })
      assert.equal(1, r.code)
      assert.matches("module 'specmod' not found", r.err)
    end)

    it("exits with 1 on an error, with the message and a traceback", function()
      local r = run("-e 'local function f() error(\"boom\") end f()'")
      assert.equal(1, r.code)
      assert.matches("^.-ostack%-lua: %(command line%):1: boom\nstack traceback:\n", r.err)
      assert.matches("in local 'f'", r.err)
    end)

    it("exits with 1 on a syntax error, an error in a script or in stdin", function()
      local r = run("-e 'x ='")
      assert.equal(1, r.code)
      assert.matches("%(command line%):1: unexpected symbol near <eof>", r.err)
      local script = write(TMP .. "/fail.lua", "error('script failed')\n")
      r = run(q(script))
      assert.equal(1, r.code)
      assert.matches("fail%.lua:1: script failed", r.err)
      r = run("", { stdin = "error('stdin failed')" })
      assert.equal(1, r.code)
      assert.matches("stdin:1: stdin failed", r.err)
      r = run(q(TMP .. "/missing.lua"))
      assert.equal(1, r.code)
      assert.matches("cannot open .*missing%.lua", r.err)
    end)

    it("reports error objects that are not strings", function()
      local r = run("-e 'error({})'")
      assert.equal(1, r.code)
      assert.matches("%(error object is a table value%)", r.err)
      r = run("-e 'error(setmetatable({}, {__tostring = function() return \"custom\" end}))'")
      assert.equal(1, r.code)
      assert.matches("custom\n$", r.err)
    end)

    it("passes os.exit's status through and runs nothing after an error", function()
      assert.equal(3, run("-e 'os.exit(3)'").code)
      assert.equal(0, run("-e 'os.exit(true)'").code)
      local r = run("-e 'error(\"first\")' -e 'print(\"second\")'")
      assert.equal(1, r.code)
      assert.equal("", r.out)
    end)

    it("rejects unknown options and options missing their argument, with the usage", function()
      local r = run("-x")
      assert.equal(1, r.code)
      assert.matches("unrecognized option '%-x'\nusage: ", r.err)
      r = run("-e")
      assert.equal(1, r.code)
      assert.matches("'%-e' needs argument", r.err)
      r = run("--os-cloud")
      assert.equal(1, r.code)
      assert.matches("'%-%-os%-cloud' needs argument", r.err)
      r = run("--bogus")
      assert.equal(1, r.code)
      assert.matches("unrecognized option '%-%-bogus'", r.err)
    end)

    it("-h prints the usage with the --os-* options", function()
      local r = run("-h")
      assert.equal(0, r.code)
      assert.matches("^usage: ", r.out)
      assert.matches("%-%-os%-cloud NAME", r.out)
      assert.matches("%-%-os%-insecure", r.out)
      assert.matches("%-%-debug", r.out)
    end)
  end)

  describe("start-up", function()
    it("loads neither the openstack module nor its core for a chunk that does not use them", function()
      local r = run("-e 'print(package.loaded.openstack == nil, package.loaded[\"openstack.core\"] == nil,"
        .. " rawget(_G, \"openstack\") == nil, rawget(_G, \"conn\") == nil)'")
      assert.equal(0, r.code)
      assert.equal("true\ttrue\ttrue\ttrue\n", r.out)
      assert.equal("", r.err)
    end)

    it("loads `openstack` on first use, without connecting", function()
      local r = run("-e 'print(type(openstack.connect), openstack == require(\"openstack\"), rawget(_G, \"conn\"))'")
      assert.equal("function\ttrue\tnil\n", r.out)
    end)
  end)

  describe("with a cloud", function()
    local fx
    setup(function() fx = fixture.start() end)
    teardown(function() if fx then fx:stop() end end)
    before_each(function()
      fx:reset()
      fixture.keystone_catalog(fx, { token = "gAAAAAB-interp-token-55" })
      fx:route("GET", "/compute/v2.1/servers/x", {
        status = 404,
        headers = { ["X-OpenStack-Request-ID"] = "req-404-interp" },
        json = { itemNotFound = { code = 404, message = "Instance x could not be found." } },
      })
      fx:route("GET", "/compute/v2.1/servers/abc", {
        json = { server = { id = "abc", name = "web-1", status = "ACTIVE" } },
      })
    end)

    local function os_options(extra)
      return ("--os-auth-url %s --os-username alice --os-password %s --os-project-name demo"
        .. " --os-user-domain-name Default --os-project-domain-name Default --os-region-name RegionOne %s")
        :format(q(fx.url .. "/v3"), q(PASSWORD), extra or "")
    end

    local function auth_request()
      for _, r in ipairs(fx:requests()) do
        if r.method == "POST" and r.path == "/v3/auth/tokens" then return cjson.decode(r.body) end
      end
    end

    it("connects `conn` from the --os-* options on first use", function()
      local r = run(os_options("-e 'print(rawget(_G, \"conn\")) print(conn.compute:get_server(\"abc\"))'"))
      assert.equal("", r.err)
      assert.equal(0, r.code)
      assert.equal("nil\nServer(id=abc, name=web-1, status=ACTIVE)\n", r.out)
      local auth = auth_request().auth
      assert.same({ "password" }, auth.identity.methods)
      local user = auth.identity.password.user
      assert.equal("alice", user.name)
      assert.equal(PASSWORD, user.password)
      assert.equal("Default", user.domain.name)
      assert.equal("demo", auth.scope.project.name)
      assert.equal("Default", auth.scope.project.domain.name)
    end)

    it("puts credentials under auth and takes --os-OPTION=VALUE", function()
      local r = run("--os-auth-url=http://example.invalid/v3 --os-username=u --os-token t --os-project-id p"
        .. " --os-application-credential-id a --os-application-credential-secret s --os-auth-type v3token"
        .. " --os-interface internal --os-compute-api-version 2.53 --os-cacert /tmp/ca.pem"
        .. " -e 'local o = debug.getregistry()[\"openstack.connect_options\"]"
        .. " print(o.auth.auth_url, o.auth.username, o.auth.token, o.auth.project_id,"
        .. " o.auth.application_credential_id, o.auth.application_credential_secret)"
        .. " print(o.auth_type, o.interface, o.compute_api_version, o.cacert, o.username, o.token)'")
      assert.equal(0, r.code)
      assert.same({ "http://example.invalid/v3\tu\tt\tp\ta\ts", "v3token\tinternal\t2.53\t/tmp/ca.pem\tnil\tnil" },
        lines(r.out))
    end)

    it("--os-insecure takes no value", function()
      local script = write(TMP .. "/insecure.lua",
        "print(debug.getregistry()['openstack.connect_options'].insecure, ...)\n")
      local r = run("--os-insecure " .. q(script) .. " after")
      assert.equal(0, r.code)
      assert.equal("true\tafter\n", r.out)
      r = run("--insecure -e 'print(debug.getregistry()[\"openstack.connect_options\"].insecure)'")
      assert.equal("true\n", r.out)
    end)

    it("connects from OS_* variables, and from --os-cloud and clouds.yaml", function()
      local env = {
        OS_AUTH_URL = fx.url .. "/v3", OS_USERNAME = "bob", OS_PASSWORD = PASSWORD, OS_PROJECT_NAME = "demo",
        OS_USER_DOMAIN_NAME = "Default", OS_PROJECT_DOMAIN_NAME = "Default",
      }
      local r = run("-e 'print(conn.compute:get_server(\"abc\").name)'", { env = env })
      assert.equal("", r.err)
      assert.equal("web-1\n", r.out)
      assert.equal("bob", auth_request().auth.identity.password.user.name)

      fx:reset()
      fixture.keystone_catalog(fx)
      fx:route("GET", "/compute/v2.1/servers/abc", { json = { server = { id = "abc", name = "web-2" } } })
      local clouds = write(TMP .. "/clouds-fx.yaml", ([[
clouds:
  fx:
    auth:
      auth_url: %s/v3
      username: carol
      password: %s
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
]]):format(fx.url, PASSWORD))
      os.execute("chmod 600 " .. q(clouds))
      r = run("--os-cloud fx -e 'print(conn.compute:get_server(\"abc\").name, conn.config.cloud)'",
        { env = { OS_CLIENT_CONFIG_FILE = clouds } })
      assert.equal("", r.err)
      assert.equal("web-2\tfx\n", r.out)
      assert.equal("carol", auth_request().auth.identity.password.user.name)
    end)

    it("reports an OpenStack error as one line: class, HTTP status, message, request id", function()
      local r = run(os_options("-e 'conn.compute:get_server(\"x\")'"))
      assert.equal(1, r.code)
      assert.equal("", r.out)
      local l = lines(r.err)
      assert.equal(1, #l, r.err)
      assert.matches("ostack%-lua: ResourceNotFound %(HTTP 404%): No Server found for x: "
        .. "Instance x could not be found%. %[request req%-404%-interp%]$", l[1])
    end)

    it("reports errors from a script the same way, and a ConfigError without HTTP status", function()
      local script = write(TMP .. "/get.lua", "return conn.compute:get_server(...)\n")
      local r = run(os_options(q(script) .. " x"))
      assert.equal(1, r.code)
      assert.equal(1, #lines(r.err))
      assert.matches("ResourceNotFound %(HTTP 404%)", r.err)
      r = run("--os-cloud nope -e 'print(conn)'")
      assert.equal(1, r.code)
      assert.equal(1, #lines(r.err), r.err)
      assert.matches("ostack%-lua: ConfigError: cloud 'nope' not found", r.err)
    end)

    it("keeps the traceback for programming errors in SDK calls", function()
      local r = run(os_options("-e 'local s = conn.compute:get_server(\"abc\") print(s.name:nosuch())'"))
      assert.equal(1, r.code)
      assert.matches("attempt to call a nil value %(method 'nosuch'%)\nstack traceback:\n", r.err)
    end)

    it("--debug prints the redacted HTTP trace and the error's traceback, never the secrets", function()
      local r = run(os_options("--debug -e 'conn.compute:get_server(\"x\")'"))
      assert.equal(1, r.code)
      assert.matches("%[openstack%] REQ POST " .. fx.url:gsub("%p", "%%%0") .. "/v3/auth/tokens", r.err)
      assert.matches("%[openstack%] RESP 404 GET [^\n]*/compute/v2%.1/servers/x", r.err)
      assert.matches("ResourceNotFound %(HTTP 404%)[^\n]*%[request req%-404%-interp%]\nstack traceback:", r.err)
      assert.is_nil(r.err:find(PASSWORD, 1, true), "the password leaked into the trace")
      assert.is_nil(r.err:find("gAAAAAB-interp-token-55", 1, true), "the token leaked into the trace")
      assert.is_nil(r.out:find(PASSWORD, 1, true))
    end)
  end)
end)
