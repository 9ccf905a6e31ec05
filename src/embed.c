/* The embedding API: a Lua state with the openstack runtime opened, running
 * chunks and reporting errors as structured ostack_error values. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "ostack.h"

#ifndef OSTACK_LUA_PATH_DEFAULT
#define OSTACK_LUA_PATH_DEFAULT "/usr/local/share/lua/5.4"
#endif

#define HOOKS_KEY "openstack.hooks"

static int host_log(lua_State *L) {
  ostack_hooks *h = lua_touserdata(L, lua_upvalueindex(1));
  const char *line = luaL_checkstring(L, 1);
  if (h && h->log) h->log(h->log_ud, line);
  return 0;
}

/* Globals `openstack` and `conn` appear on first use, so a script that never
 * touches them pays for neither the module load nor a connection. */
static const char lazy_globals[] =
    "local connect_options = ... or {}\n"
    "-- repeated runs reuse a cached token until it nears expiry (opt out: token_cache=false\n"
    "-- or OSTACK_TOKEN_CACHE=0)\n"
    "if connect_options.token_cache == nil then\n"
    "  connect_options.token_cache = os.getenv('OSTACK_TOKEN_CACHE') ~= '0'\n"
    "end\n"
    "local mt = getmetatable(_G) or {}\n"
    "local previous = mt.__index\n"
    "mt.__index = function(t, k)\n"
    "  if k == 'openstack' then local m = require 'openstack'; rawset(t, k, m); return m end\n"
    "  if k == 'conn' then\n"
    "    local c = require('openstack').connect(connect_options)\n"
    "    rawset(t, k, c); return c\n"
    "  end\n"
    "  if type(previous) == 'function' then return previous(t, k) end\n"
    "  if type(previous) == 'table' then return previous[k] end\n"
    "end\n"
    "setmetatable(_G, mt)\n";

void ostack_openlibs(lua_State *L, const ostack_hooks *hooks) {
  /* the C module is linked in: preload it, and make the Lua files findable */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_openstack_core);
  lua_setfield(L, -2, "openstack.core");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s;" OSTACK_LUA_PATH_DEFAULT "/?.lua;" OSTACK_LUA_PATH_DEFAULT "/?/init.lua", lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);
  ostack_hooks *h = lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  if (hooks) *h = *hooks;
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, HOOKS_KEY); /* keeps the copy alive */
  if (hooks && hooks->log) {
    lua_pushcclosure(L, host_log, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "openstack.host_log");
  } else {
    lua_pop(L, 1);
  }
  if (luaL_loadbuffer(L, lazy_globals, sizeof lazy_globals - 1, "=openstack.runtime") == LUA_OK) {
    lua_getfield(L, LUA_REGISTRYINDEX, "openstack.connect_options");
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
}

lua_State *ostack_newstate(const ostack_hooks *hooks) {
  lua_State *L = hooks && hooks->alloc ? lua_newstate(hooks->alloc, hooks->alloc_ud) : luaL_newstate();
  if (!L) return NULL;
  luaL_openlibs(L);
  ostack_openlibs(L, hooks);
  return L;
}

static void copy_string_field(lua_State *L, int idx, const char *k, char *out, size_t n) {
  if (lua_getfield(L, idx, k) == LUA_TSTRING) snprintf(out, n, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
}

void ostack_error_from_lua(lua_State *L, int idx, ostack_error *err) {
  idx = lua_absindex(L, idx);
  ostack_error_clear(err);
  if (lua_istable(L, idx) && luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
    int is_ours = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "openstack.Error") == 0;
    lua_pop(L, 1);
    if (is_ours) {
      copy_string_field(L, idx, "class", err->class_name, sizeof err->class_name);
      copy_string_field(L, idx, "message", err->message, sizeof err->message);
      copy_string_field(L, idx, "request_id", err->request_id, sizeof err->request_id);
      copy_string_field(L, idx, "method", err->method, sizeof err->method);
      copy_string_field(L, idx, "url", err->url, sizeof err->url);
      copy_string_field(L, idx, "reason", err->reason, sizeof err->reason);
      lua_getfield(L, idx, "status");
      err->status = (long)lua_tointeger(L, -1);
      lua_getfield(L, idx, "retries");
      err->retries = (int)lua_tointeger(L, -1);
      lua_pop(L, 2);
      return;
    }
  }
  snprintf(err->class_name, sizeof err->class_name, "LuaError");
  const char *msg = luaL_tolstring(L, idx, NULL);
  snprintf(err->message, sizeof err->message, "%s", msg);
  lua_pop(L, 1);
}

/* Adds a traceback to programming errors; SDK error objects pass untouched. */
static int message_handler(lua_State *L) {
  if (lua_istable(L, 1) && luaL_getmetafield(L, 1, "__name") != LUA_TNIL) {
    lua_pop(L, 1);
    return 1;
  }
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int ostack_pcall(lua_State *L, int nargs, int nresults, ostack_error *err) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, message_handler);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (rc != LUA_OK) {
    if (err) ostack_error_from_lua(L, -1, err);
    lua_pop(L, 1);
    return -1;
  }
  return 0;
}

static int run_loaded(lua_State *L, int status, int argc, const char *const *argv, ostack_error *err) {
  if (status != LUA_OK) {
    if (err) {
      ostack_error_clear(err);
      snprintf(err->class_name, sizeof err->class_name, "LuaError");
      snprintf(err->message, sizeof err->message, "%s", lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    return -1;
  }
  luaL_checkstack(L, argc + 1, "too many arguments");
  for (int i = 0; i < argc; i++) lua_pushstring(L, argv[i]);
  return ostack_pcall(L, argc, LUA_MULTRET, err);
}

int ostack_dostring(lua_State *L, const char *code, int argc, const char *const *argv, ostack_error *err) {
  return run_loaded(L, luaL_loadstring(L, code), argc, argv, err);
}

int ostack_dofile(lua_State *L, const char *path, int argc, const char *const *argv, ostack_error *err) {
  return run_loaded(L, luaL_loadfile(L, path), argc, argv, err);
}
