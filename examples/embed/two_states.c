/* two_states.c: several independent runtimes in one process, each with its
 * own state and connection, and structured errors read back from each. */
#include <stdio.h>
#include <string.h>

#include <lua.h>

#include "ostack.h"

int main(void) {
  lua_State *a = ostack_newstate(NULL), *b = ostack_newstate(NULL);
  ostack_error err;
  if (ostack_dostring(a, "x = ... return openstack.json.encode({n = tonumber(x)})", 1, (const char *[]){"1"}, &err) ||
      ostack_dostring(b, "x = ... return openstack.json.encode({n = tonumber(x)})", 1, (const char *[]){"2"}, &err)) {
    fprintf(stderr, "%s: %s\n", err.class_name, err.message);
    return 1;
  }
  printf("%s %s\n", lua_tostring(a, -1), lua_tostring(b, -1));
  /* an SDK error comes back with its class; a programming error as LuaError */
  int rc1 = ostack_dostring(a, "openstack.connect{cloud = 'no-such-cloud', config_files = {}, env = {}}", 0, NULL, &err);
  printf("%d %s\n", rc1, err.class_name);
  int rc2 = ostack_dostring(b, "local t = nil; return t.x", 0, NULL, &err);
  printf("%d %s %s\n", rc2, err.class_name, strstr(err.message, "stack traceback") ? "traceback" : "no-traceback");
  lua_close(a);
  lua_close(b);
  return 0;
}
