/* libFuzzer: the JSON path. Parses into the C tree and through the
 * redactor, decodes into Lua, re-encodes, and checks that decoding the
 * encoding gives the same encoding again (a fixed point). */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "json.h"
#include "lua_json.h"

static lua_State *L;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (!L) {
    L = luaL_newstate();
    luaL_openlibs(L);
    ostack_lua_json_setup(L);
  }
  ostack_json_error err;
  ostack_json_free(ostack_json_parse_tree((const char *)data, size, &err));
  ostack_buf red;
  ostack_buf_init(&red);
  ostack_json_redact((const char *)data, size, &red);
  ostack_buf_free(&red);

  int top = lua_gettop(L);
  if (ostack_lua_json_decode(L, (const char *)data, size, &err) == 0) {
    ostack_buf a, b;
    ostack_buf_init(&a);
    ostack_buf_init(&b);
    char msg[256];
    if (ostack_lua_json_encode(L, -1, &a, 0, msg, sizeof msg) == 0) {
      if (ostack_lua_json_decode(L, a.data, a.len, &err) != 0) abort();
      if (ostack_lua_json_encode(L, -1, &b, 0, msg, sizeof msg) != 0) abort();
      if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    }
    ostack_buf_free(&a);
    ostack_buf_free(&b);
  }
  lua_settop(L, top);
  return 0;
}
