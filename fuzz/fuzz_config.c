/* libFuzzer: the clouds.yaml / env configuration loader (Lua, run in an
 * embedded state). Any input must load or raise a ConfigError; any other
 * error (a Lua runtime error in the loader) is a bug and aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

static lua_State *L;
static char path[64];

static const char driver[] =
    "local yaml, config, errors = require 'openstack.yaml', require 'openstack.config', require 'openstack.errors'\n"
    "return function(text, path)\n"
    "  local function check(ok, e)\n"
    "    if not ok and not errors.is(e, 'ConfigError') and not errors.is(e, 'InvalidArgument') then\n"
    "      error('unexpected error: ' .. tostring(e), 0)\n"
    "    end\n"
    "  end\n"
    "  check(pcall(yaml.load, text, 'fuzz.yaml'))\n"
    "  check(pcall(config.load, {cloud = 'c', config_files = {path}, secure_files = {}, env = {}, home = '/nonexistent'}))\n"
    "  check(pcall(config.load, {config_files = {path}, secure_files = {}, env = {OS_CLOUD = 'x', OS_AUTH_URL = text:sub(1, 40)}}))\n"
    "end\n";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (!L) {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_dostring(L, "package.path = (os.getenv('OSTACK_LUA_DIR') or 'lua') .. '/?.lua;' .. package.path");
    if (luaL_loadstring(L, driver) || lua_pcall(L, 0, 1, 0)) {
      fprintf(stderr, "%s\n", lua_tostring(L, -1));
      abort();
    }
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.driver");
    snprintf(path, sizeof path, "/tmp/ostack-fuzz-%d.yaml", (int)getpid());
  }
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.driver");
  lua_pushlstring(L, (const char *)data, size);
  lua_pushstring(L, path);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "config loader: %s\n", lua_tostring(L, -1));
    abort();
  }
  return 0;
}
