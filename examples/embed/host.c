/* host.c: a C program that embeds the ostack-lua runtime, runs a Lua script
 * against the cloud with arguments, and reads the result or a structured
 * error (class, status, message, request id) without parsing strings.
 *
 * usage: ostack-embed-example SCRIPT [ARGS...]
 *   e.g. OS_CLOUD=local-demo ostack-embed-example examples/embed/count_servers.lua ACTIVE */
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>

#include "ostack.h"

static void host_log(void *ud, const char *line) {
  fprintf((FILE *)ud, "[host log] %s\n", line);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
    return 2;
  }
  ostack_hooks hooks = {0};
  hooks.log = host_log; /* the SDK's (redacted) debug trace, when debug is on */
  hooks.log_ud = stderr;
  lua_State *L = ostack_newstate(&hooks);
  if (!L) return 1;
  ostack_error err;
  int status = 0;
  if (ostack_dofile(L, argv[1], argc - 2, (const char *const *)argv + 2, &err)) {
    fprintf(stderr, "error: class=%s status=%ld request_id=%s\n  %s\n", err.class_name, err.status,
            err.request_id[0] ? err.request_id : "-", err.message);
    status = 1;
  } else {
    for (int i = 1; i <= lua_gettop(L); i++) printf("result %d: %s\n", i, luaL_tolstring(L, i, NULL)), lua_pop(L, 1);
  }
  lua_close(L);
  return status;
}
