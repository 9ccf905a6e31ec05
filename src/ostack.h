/* ostack-lua public C API: the core (config, session, calls) for host
 * programs that talk to OpenStack from C, and the embedding API that gives
 * a host program a Lua state with the `openstack` module ready.
 *
 * Embedding in four calls:
 *   lua_State *L = ostack_newstate(NULL);          // Lua + openstack opened
 *   ostack_error err;
 *   if (ostack_dostring(L, "return conn.compute:get_server(...)", 0, NULL, &err))
 *     fprintf(stderr, "%s %ld %s %s\n", err.class_name, err.status, err.message, err.request_id);
 *   lua_close(L);
 */
#ifndef OSTACK_H
#define OSTACK_H

#define OSTACK_VERSION "0.1.0"

#include "error.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lua_State;

/* Hooks a host sets before the runtime is opened. */
typedef struct ostack_hooks {
  ostack_log_fn log;     /* receives every (redacted) debug-trace line; NULL: stderr */
  void *log_ud;
  void *(*alloc)(void *ud, void *ptr, size_t osize, size_t nsize); /* lua_Alloc; NULL: default */
  void *alloc_ud;
} ostack_hooks;

/* A new Lua state with the standard libraries and the openstack runtime
 * opened (package.preload["openstack"]; a global `conn` connecting lazily
 * from the environment). NULL on allocation failure. */
struct lua_State *ostack_newstate(const ostack_hooks *hooks);
/* Opens the runtime into an existing state (standard libraries expected). */
void ostack_openlibs(struct lua_State *L, const ostack_hooks *hooks);
/* Runs a chunk with argv as `...` (and `arg`). Results are left on the
 * stack. Returns 0, or -1 with err filled from the error object: class,
 * status, message, request id (or class "LuaError" and the message with a
 * traceback for programming errors). */
int ostack_dostring(struct lua_State *L, const char *code, int argc, const char *const *argv, ostack_error *err);
int ostack_dofile(struct lua_State *L, const char *path, int argc, const char *const *argv, ostack_error *err);
/* Calls the function on top of the stack below nargs arguments
 * (lua_pcall-like, with the same error reporting). */
int ostack_pcall(struct lua_State *L, int nargs, int nresults, ostack_error *err);
/* Converts the error value at idx (an openstack error object or any value). */
void ostack_error_from_lua(struct lua_State *L, int idx, ostack_error *err);

/* The Lua C module entry point (require "openstack.core"). */
int luaopen_openstack_core(struct lua_State *L);

#ifdef __cplusplus
}
#endif

#endif
