/* JSON <-> Lua values: decoding through the core's parser straight into Lua
 * tables (integers stay integers, null is a sentinel, arrays carry a
 * metatable so that [] and {} stay distinct) and encoding back. */
#ifndef OSTACK_LUA_JSON_H
#define OSTACK_LUA_JSON_H

#include <lua.h>

#include "buf.h"
#include "json.h"

#define OSTACK_JSON_NULL_KEY "openstack.json.null"
#define OSTACK_JSON_ARRAY_MT "openstack.json.array"
#define OSTACK_JSON_OBJECT_MT "openstack.json.object"

/* Creates the null sentinel and the array/object metatables in the registry. */
void ostack_lua_json_setup(lua_State *L);
/* Pushes the decoded value; on error pushes nothing, returns -1, fills err. */
int ostack_lua_json_decode(lua_State *L, const char *text, size_t len, ostack_json_error *err);
/* Encodes the value at idx into out. Returns 0, or -1 with a message in
 * errmsg (naming the offending key path). May raise a Lua error for
 * out-of-memory only; out must then be owned by a GC'd object. */
int ostack_lua_json_encode(lua_State *L, int idx, ostack_buf *out, int pretty, char *errmsg, size_t errsize);

/* Pushes a userdata owning an empty buffer (freed by __gc if an error
 * unwinds before the owner frees it). */
ostack_buf *ostack_lua_new_buffer(lua_State *L);

/* Lua functions: decode(text), encode(value [, {pretty=true}]), array([t]), object([t]) */
int ostack_lua_json_decode_fn(lua_State *L);
int ostack_lua_json_encode_fn(lua_State *L);
int ostack_lua_json_array_fn(lua_State *L);
int ostack_lua_json_object_fn(lua_State *L);

#endif
