/* JSON <-> Lua values. */
#include "lua_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

/* ---- decoding -------------------------------------------------------------- */

/* Object keys repeat (every server of a page has the same forty), and
 * interning each one again walks Lua's large string table: a small cache
 * of recent keys, checked byte for byte, hands back the same Lua string. */
#define KEY_CACHE_SIZE 256
#define KEY_CACHE_MAX_LEN 40

typedef struct key_entry {
  unsigned char len; /* 0: empty */
  char bytes[KEY_CACHE_MAX_LEN];
} key_entry;

typedef struct lua_sink {
  lua_State *L;
  int depth;
  int null_idx, array_mt_idx, object_mt_idx; /* absolute stack slots */
  int key_cache_idx;                         /* table: slot -> key string */
  key_entry keys[KEY_CACHE_SIZE];
  unsigned char is_object[OSTACK_JSON_MAX_DEPTH + 2];
  lua_Integer count[OSTACK_JSON_MAX_DEPTH + 2];
  /* size of the last object closed at each depth: lists hold objects of one
   * shape, so presizing the next one saves every rehash */
  int size_hint[OSTACK_JSON_MAX_DEPTH + 2];
} lua_sink;

/* Stores the value on top into the open container (or leaves it as the root). */
static int place(lua_sink *s) {
  lua_State *L = s->L;
  if (s->depth == 0) return 0;
  if (s->is_object[s->depth]) {
    lua_rawset(L, -3);
    s->count[s->depth]++;
  } else {
    lua_rawseti(L, -2, ++s->count[s->depth]);
  }
  return 0;
}

static int ls_null(void *ud) {
  lua_sink *s = ud;
  lua_pushvalue(s->L, s->null_idx);
  return place(s);
}
static int ls_bool(void *ud, int b) {
  lua_sink *s = ud;
  lua_pushboolean(s->L, b);
  return place(s);
}
static int ls_int(void *ud, long long v) {
  lua_sink *s = ud;
  lua_pushinteger(s->L, (lua_Integer)v);
  return place(s);
}
static int ls_num(void *ud, double v) {
  lua_sink *s = ud;
  lua_pushnumber(s->L, v);
  return place(s);
}
static int ls_str(void *ud, const char *str, size_t n) {
  lua_sink *s = ud;
  lua_pushlstring(s->L, str, n);
  return place(s);
}
static int ls_key(void *ud, const char *str, size_t n) {
  lua_sink *s = ud;
  if (n == 0 || n > KEY_CACHE_MAX_LEN) {
    lua_pushlstring(s->L, str, n);
    return 0;
  }
  const unsigned char *u = (const unsigned char *)str;
  unsigned slot = (n * 31u + u[0] * 7u + u[n - 1] * 3u + u[n / 2]) & (KEY_CACHE_SIZE - 1);
  key_entry *e = &s->keys[slot];
  if (e->len == n && memcmp(e->bytes, str, n) == 0) {
    lua_rawgeti(s->L, s->key_cache_idx, (lua_Integer)slot + 1);
    return 0;
  }
  lua_pushlstring(s->L, str, n);
  lua_pushvalue(s->L, -1);
  lua_rawseti(s->L, s->key_cache_idx, (lua_Integer)slot + 1);
  e->len = (unsigned char)n;
  memcpy(e->bytes, str, n);
  return 0;
}
static int ls_open(lua_sink *s, int object) {
  if (!lua_checkstack(s->L, 4)) return 2;
  s->depth++;
  s->is_object[s->depth] = (unsigned char)object;
  s->count[s->depth] = 0;
  if (object) lua_createtable(s->L, 0, s->size_hint[s->depth]);
  else lua_createtable(s->L, 0, 0);
  return 0;
}
static int ls_arr(void *ud) { return ls_open(ud, 0); }
static int ls_obj(void *ud) { return ls_open(ud, 1); }
static int ls_close(lua_sink *s) {
  lua_State *L = s->L;
  int object = s->is_object[s->depth];
  if (object) s->size_hint[s->depth] = (int)s->count[s->depth];
  /* arrays always carry their mark; objects only when empty (the one
   * ambiguous case), to keep decoded objects plain tables */
  if (!object) {
    lua_pushvalue(L, s->array_mt_idx);
    lua_setmetatable(L, -2);
  } else if (s->count[s->depth] == 0) {
    lua_pushvalue(L, s->object_mt_idx);
    lua_setmetatable(L, -2);
  }
  s->depth--;
  return place(s);
}
static int ls_arr_end(void *ud) { return ls_close(ud); }
static int ls_obj_end(void *ud) { return ls_close(ud); }

static const ostack_json_sink lua_value_sink = {ls_null, ls_bool, ls_int, ls_num, ls_str,
                                                ls_key, ls_arr, ls_arr_end, ls_obj, ls_obj_end};

static int null_tostring(lua_State *L) {
  lua_pushliteral(L, "null");
  return 1;
}

void ostack_lua_json_setup(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, OSTACK_JSON_NULL_KEY) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newuserdatauv(L, 0, 0);
    luaL_newmetatable(L, "openstack.null");
    lua_pushcfunction(L, null_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, OSTACK_JSON_NULL_KEY);
  } else {
    lua_pop(L, 1);
  }
  if (luaL_newmetatable(L, OSTACK_JSON_ARRAY_MT)) {
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__jsontype");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, OSTACK_JSON_OBJECT_MT)) {
    lua_pushliteral(L, "object");
    lua_setfield(L, -2, "__jsontype");
  }
  lua_pop(L, 1);
}

int ostack_lua_json_decode(lua_State *L, const char *text, size_t len, ostack_json_error *err) {
  lua_sink *s = malloc(sizeof *s);
  if (!s) {
    snprintf(err->message, sizeof err->message, "out of memory");
    return -1;
  }
  s->L = L;
  s->depth = 0;
  memset(s->size_hint, 0, sizeof s->size_hint);
  memset(s->keys, 0, sizeof s->keys);
  luaL_checkstack(L, 8, "json");
  lua_getfield(L, LUA_REGISTRYINDEX, OSTACK_JSON_NULL_KEY);
  s->null_idx = lua_gettop(L);
  luaL_getmetatable(L, OSTACK_JSON_ARRAY_MT);
  s->array_mt_idx = lua_gettop(L);
  luaL_getmetatable(L, OSTACK_JSON_OBJECT_MT);
  s->object_mt_idx = lua_gettop(L);
  lua_createtable(L, KEY_CACHE_SIZE, 0);
  s->key_cache_idx = lua_gettop(L);
  int base = lua_gettop(L);
  int rc = ostack_json_parse(text, len, &lua_value_sink, s, err);
  free(s);
  if (rc) {
    if (rc > 0) snprintf(err->message, sizeof err->message, "document too deeply nested for the Lua stack");
    lua_settop(L, base - 4);
    return -1;
  }
  /* the value sits on top of the four helper slots */
  lua_replace(L, base - 3);
  lua_settop(L, base - 3);
  return 0;
}

/* ---- encoding -------------------------------------------------------------- */

typedef struct encoder {
  lua_State *L;
  ostack_buf *out;
  int pretty;
  char *errmsg;
  size_t errsize;
  char path[256]; /* where we are, for error messages */
} encoder;

static int encode_value(encoder *e, int idx, int depth);

static int enc_fail(encoder *e, const char *fmt, const char *detail) {
  char where[300];
  snprintf(where, sizeof where, "%s", e->path[0] ? e->path : "(top)");
  snprintf(e->errmsg, e->errsize, fmt, where, detail);
  return -1;
}

static void newline(encoder *e, int depth) {
  if (!e->pretty) return;
  ostack_buf_addc(e->out, '\n');
  for (int i = 0; i < depth; i++) ostack_buf_add(e->out, "  ", 2);
}

static int valid_utf8(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    if (*p < 0x80) { p++; continue; }
    int len = (*p >= 0xC2 && *p < 0xE0) ? 2 : (*p >= 0xE0 && *p < 0xF0) ? 3 : (*p >= 0xF0 && *p < 0xF5) ? 4 : 0;
    if (!len || end - p < len) return 0;
    for (int i = 1; i < len; i++)
      if ((p[i] & 0xC0) != 0x80) return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) || (p[0] == 0xF0 && p[1] < 0x90) ||
        (p[0] == 0xF4 && p[1] >= 0x90))
      return 0;
    p += len;
  }
  return 1;
}

static int encode_string(encoder *e, int idx) {
  size_t n;
  const char *s = lua_tolstring(e->L, idx, &n);
  if (!valid_utf8(s, n)) return enc_fail(e, "cannot encode %s as JSON: string is not valid UTF-8%s", "");
  return ostack_json_write_string(e->out, s, n);
}

static const char *json_kind(lua_State *L, int idx) {
  const char *kind = NULL;
  if (lua_getmetatable(L, idx)) {
    if (lua_getfield(L, -1, "__jsontype") == LUA_TSTRING) kind = lua_tostring(L, -1);
    lua_pop(L, 2);
  }
  return kind; /* the string stays alive in the shared metatable */
}

typedef struct sorted_key {
  const char *text;
  lua_Integer slot; /* where the anchor table holds the original key */
} sorted_key;

static int cmp_keys(const void *a, const void *b) {
  return strcmp(((const sorted_key *)a)->text, ((const sorted_key *)b)->text);
}

static void push_path(encoder *e, const char *seg, size_t *saved) {
  *saved = strlen(e->path);
  snprintf(e->path + *saved, sizeof e->path - *saved, "%s", seg);
}

static int encode_table(encoder *e, int idx, int depth) {
  lua_State *L = e->L;
  if (depth > OSTACK_JSON_MAX_DEPTH) return enc_fail(e, "cannot encode %s as JSON: %s", "nested too deeply (a cycle?)");
  luaL_checkstack(L, 6, "json encode");
  const char *kind = json_kind(L, idx);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  /* decide: marked, or a proper sequence, or an object */
  int is_array = 0;
  if (kind) {
    is_array = strcmp(kind, "array") == 0;
  } else if (n > 0) {
    lua_Integer count = 0;
    is_array = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      count++;
      if (!lua_isinteger(L, -1)) { is_array = 0; lua_pop(L, 1); break; }
    }
    if (is_array && count != n) is_array = 0;
  }
  if (is_array) {
    ostack_buf_addc(e->out, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) ostack_buf_addc(e->out, ',');
      newline(e, depth + 1);
      lua_rawgeti(L, idx, i);
      char seg[32];
      size_t saved;
      snprintf(seg, sizeof seg, "[%lld]", (long long)i);
      push_path(e, seg, &saved);
      int rc = encode_value(e, lua_gettop(L), depth + 1);
      e->path[saved] = '\0';
      lua_pop(L, 1);
      if (rc) return rc;
    }
    if (n) newline(e, depth);
    return ostack_buf_addc(e->out, ']');
  }
  /* object: sorted keys make bodies and traces deterministic; the anchor
   * table keeps each key's text (odd slots) and original value (even) */
  size_t nkeys = 0, cap = 16;
  sorted_key *keys = lua_newuserdatauv(L, cap * sizeof *keys, 0);
  int keys_idx = lua_gettop(L);
  lua_newtable(L);
  int anchor = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int kt = lua_type(L, -1);
    if (kt != LUA_TSTRING && kt != LUA_TNUMBER) {
      lua_pop(L, 1);
      return enc_fail(e, "cannot encode %s as JSON: object keys must be strings, got %s", "a non-string key");
    }
    if (nkeys == cap) {
      sorted_key *bigger = lua_newuserdatauv(L, cap * 2 * sizeof *keys, 0);
      memcpy(bigger, keys, cap * sizeof *keys);
      lua_replace(L, keys_idx);
      keys = bigger;
      cap *= 2;
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, anchor, 2 * (lua_Integer)nkeys + 2);
    lua_pushvalue(L, -1);
    size_t klen;
    const char *k = lua_tolstring(L, -1, &klen); /* converts the copy, not the iteration key */
    if (!valid_utf8(k, klen)) {
      lua_pop(L, 2);
      return enc_fail(e, "cannot encode %s as JSON: an object key is not valid UTF-8%s", "");
    }
    lua_rawseti(L, anchor, 2 * (lua_Integer)nkeys + 1);
    keys[nkeys].text = k;
    keys[nkeys].slot = 2 * (lua_Integer)nkeys + 2;
    nkeys++;
  }
  qsort(keys, nkeys, sizeof *keys, cmp_keys);
  ostack_buf_addc(e->out, '{');
  for (size_t i = 0; i < nkeys; i++) {
    if (i) ostack_buf_addc(e->out, ',');
    newline(e, depth + 1);
    ostack_json_write_string(e->out, keys[i].text, strlen(keys[i].text));
    ostack_buf_add(e->out, e->pretty ? ": " : ":", e->pretty ? 2 : 1);
    lua_rawgeti(L, anchor, keys[i].slot);
    lua_rawget(L, idx);
    char seg[80];
    size_t saved;
    snprintf(seg, sizeof seg, ".%.70s", keys[i].text);
    push_path(e, seg, &saved);
    int rc = encode_value(e, lua_gettop(L), depth + 1);
    e->path[saved] = '\0';
    lua_pop(L, 1);
    if (rc) return rc;
  }
  if (nkeys) newline(e, depth);
  lua_settop(L, keys_idx - 1);
  return ostack_buf_addc(e->out, '}');
}

static int encode_value(encoder *e, int idx, int depth) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return ostack_buf_addstr(e->out, "null");
    case LUA_TBOOLEAN: return ostack_buf_addstr(e->out, lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return ostack_buf_printf(e->out, "%lld", (long long)lua_tointeger(L, idx));
      else {
        double d = lua_tonumber(L, idx);
        if (isnan(d) || isinf(d)) return enc_fail(e, "cannot encode %s as JSON: %s", "NaN or infinity");
        char t[40];
        ostack_json_format_double(d, t, sizeof t);
        if (!strpbrk(t, ".eE")) strcat(t, ".0"); /* keep a float a float across the round trip */
        return ostack_buf_addstr(e->out, t);
      }
    case LUA_TSTRING: return encode_string(e, idx);
    case LUA_TTABLE:
      if (luaL_getmetafield(L, idx, "__tojson") != LUA_TNIL) {
        lua_pushvalue(L, idx);
        lua_call(L, 1, 1);
        int rc = encode_value(e, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        return rc;
      }
      return encode_table(e, idx, depth);
    case LUA_TUSERDATA:
      lua_getfield(L, LUA_REGISTRYINDEX, OSTACK_JSON_NULL_KEY);
      if (lua_rawequal(L, -1, idx)) {
        lua_pop(L, 1);
        return ostack_buf_addstr(e->out, "null");
      }
      lua_pop(L, 1);
      /* fall through */
    default:
      return enc_fail(e, "cannot encode %s as JSON: unsupported type %s", luaL_typename(L, idx));
  }
}

int ostack_lua_json_encode(lua_State *L, int idx, ostack_buf *out, int pretty, char *errmsg, size_t errsize) {
  encoder e = {L, out, pretty, errmsg, errsize, ""};
  return encode_value(&e, lua_absindex(L, idx), 0);
}

/* ---- Lua functions ----------------------------------------------------------- */

static int buf_gc(lua_State *L) {
  ostack_buf_free(lua_touserdata(L, 1));
  return 0;
}

/* A buffer owned by a userdata, so a Lua error midway cannot leak it. */
ostack_buf *ostack_lua_new_buffer(lua_State *L) {
  ostack_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  ostack_buf_init(b);
  if (luaL_newmetatable(L, "openstack.buffer")) {
    lua_pushcfunction(L, buf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

int ostack_lua_json_decode_fn(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  ostack_json_error err;
  if (ostack_lua_json_decode(L, text, n, &err)) {
    luaL_pushfail(L);
    lua_pushfstring(L, "invalid JSON: %s", err.message);
    return 2;
  }
  return 1;
}

int ostack_lua_json_encode_fn(lua_State *L) {
  luaL_checkany(L, 1);
  int pretty = 0;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "pretty");
    pretty = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  ostack_buf *b = ostack_lua_new_buffer(L);
  char msg[400];
  if (ostack_lua_json_encode(L, 1, b, pretty, msg, sizeof msg)) {
    luaL_pushfail(L);
    lua_pushstring(L, msg);
    return 2;
  }
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  ostack_buf_free(b);
  return 1;
}

static int mark(lua_State *L, const char *mt) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  else luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, mt);
  return 1;
}

int ostack_lua_json_array_fn(lua_State *L) { return mark(L, OSTACK_JSON_ARRAY_MT); }
int ostack_lua_json_object_fn(lua_State *L) { return mark(L, OSTACK_JSON_OBJECT_MT); }
