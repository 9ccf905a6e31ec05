/* The Lua binding of the core (require "openstack.core"): sessions,
 * requests with streamed bodies, the lazy page iterator with prefetch, and
 * the JSON codec. Errors become openstack.errors objects, raised here and
 * only here, after every C resource of the failed call has been released. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>

#include "lua_json.h"
#include "ostack.h"
#include "pager.h"
#include "url.h"

#define SESSION_MT "openstack.Session"
#define PAGER_MT "openstack.Pager"
#define ERRORS_NEW_KEY "openstack.errors.new"

/* ---- errors ------------------------------------------------------------------ */

static void push_error(lua_State *L, const ostack_error *e) {
  lua_getfield(L, LUA_REGISTRYINDEX, ERRORS_NEW_KEY);
  lua_pushstring(L, e->class_name[0] ? e->class_name : "OpenStackError");
  lua_pushstring(L, e->message);
  lua_createtable(L, 0, 8);
  if (e->status) { lua_pushinteger(L, e->status); lua_setfield(L, -2, "status"); }
  if (e->request_id[0]) { lua_pushstring(L, e->request_id); lua_setfield(L, -2, "request_id"); }
  if (e->method[0]) { lua_pushstring(L, e->method); lua_setfield(L, -2, "method"); }
  if (e->url[0]) { lua_pushstring(L, e->url); lua_setfield(L, -2, "url"); }
  if (e->reason[0]) { lua_pushstring(L, e->reason); lua_setfield(L, -2, "reason"); }
  if (e->retries) { lua_pushinteger(L, e->retries); lua_setfield(L, -2, "retries"); }
  if (e->retry_after > 0) { lua_pushnumber(L, e->retry_after); lua_setfield(L, -2, "retry_after"); }
  lua_call(L, 3, 1);
}

static int raise_error(lua_State *L, const ostack_error *e) {
  push_error(L, e);
  return lua_error(L);
}

static int raise_simple(lua_State *L, const char *cls, const char *fmt, const char *detail) {
  ostack_error e;
  ostack_error_clear(&e);
  ostack_error_set(&e, cls, fmt, detail);
  return raise_error(L, &e);
}

/* ---- session userdata ------------------------------------------------------------ */

typedef struct lua_session {
  ostack_session *s;
  lua_State *L;   /* the thread currently inside a session method (for the log hook) */
  int log_ref;    /* Lua log function, or LUA_NOREF */
} lua_session;

static lua_session *check_session(lua_State *L, int idx) {
  lua_session *ls = luaL_checkudata(L, idx, SESSION_MT);
  if (!ls->s) raise_simple(L, "InvalidArgument", "%s", "the session is closed");
  ls->L = L;
  return ls;
}

static void log_to_lua(void *ud, const char *line) {
  lua_session *ls = ud;
  lua_State *L = ls->L;
  if (!L || ls->log_ref == LUA_NOREF) {
    fprintf(stderr, "[openstack] %s\n", line);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, ls->log_ref);
  lua_pushstring(L, line);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    fprintf(stderr, "[openstack] log function failed: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
}

/* Feeds every scalar of the config table to the core, auth.* flattened. */
static void load_config(lua_State *L, int idx, ostack_config *cfg, const char *prefix) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -2);
      char key[160];
      snprintf(key, sizeof key, "%s%s", prefix, k);
      int t = lua_type(L, -1);
      if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        lua_pushvalue(L, -1);
        ostack_config_set(cfg, key, lua_tostring(L, -1));
        lua_pop(L, 1);
      } else if (t == LUA_TBOOLEAN) {
        ostack_config_set(cfg, key, lua_toboolean(L, -1) ? "true" : "false");
      } else if (t == LUA_TTABLE && strcmp(k, "auth") == 0 && !*prefix) {
        load_config(L, lua_gettop(L), cfg, "auth.");
      } else if (t == LUA_TTABLE && strcmp(k, "retriable_status_codes") == 0) {
        char list[256] = "";
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
          lua_rawgeti(L, -1, i);
          size_t l = strlen(list);
          snprintf(list + l, sizeof list - l, "%s%lld", l ? "," : "", (long long)lua_tointeger(L, -1));
          lua_pop(L, 1);
        }
        ostack_config_set(cfg, key, list);
      }
    }
    lua_pop(L, 1);
  }
}

/* core.session(config [, log_function]) */
static int l_session(lua_State *L) {
  if (!lua_istable(L, 1))
    raise_simple(L, "InvalidArgument", "openstack.core.session: the configuration must be a table, got %s",
                 luaL_typename(L, 1));
  lua_session *ls = lua_newuserdatauv(L, sizeof *ls, 0);
  ls->s = NULL;
  ls->L = L;
  ls->log_ref = LUA_NOREF;
  luaL_setmetatable(L, SESSION_MT);
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    ls->log_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  ostack_config *cfg = ostack_config_new();
  if (!cfg) return luaL_error(L, "out of memory");
  load_config(L, 1, cfg, "");
  ostack_config_set_log(cfg, log_to_lua, ls);
  ostack_error err;
  ostack_error_clear(&err);
  ls->s = ostack_session_new(cfg, &err);
  ostack_config_free(cfg);
  if (!ls->s) return raise_error(L, &err);
  return 1;
}

static int l_session_close(lua_State *L) {
  lua_session *ls = luaL_checkudata(L, 1, SESSION_MT);
  if (ls->s) {
    ostack_session_free(ls->s);
    ls->s = NULL;
  }
  if (ls->log_ref != LUA_NOREF) {
    luaL_unref(L, LUA_REGISTRYINDEX, ls->log_ref);
    ls->log_ref = LUA_NOREF;
  }
  return 0;
}

static int l_session_tostring(lua_State *L) {
  lua_session *ls = luaL_checkudata(L, 1, SESSION_MT);
  if (!ls->s) {
    lua_pushliteral(L, "openstack.Session (closed)");
    return 1;
  }
  ostack_token_info ti;
  ostack_session_token_info(ls->s, &ti);
  lua_pushfstring(L, "openstack.Session (%s, user %s, project %s)", ti.auth_url ? ti.auth_url : "no auth",
                  ti.user_name ? ti.user_name : ti.user_id ? ti.user_id : "-",
                  ti.project_name ? ti.project_name : ti.project_id ? ti.project_id : "-");
  return 1;
}

static int l_authenticate(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  ostack_error err;
  if (ostack_session_authenticate(ls->s, lua_toboolean(L, 2), &err)) return raise_error(L, &err);
  lua_settop(L, 1);
  return 1;
}

static void set_field_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* Token facts, never the token itself. */
static int l_token_info(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  ostack_token_info ti;
  ostack_session_token_info(ls->s, &ti);
  lua_createtable(L, 0, 8);
  if (ti.expires_at) {
    lua_pushinteger(L, (lua_Integer)ti.expires_at);
    lua_setfield(L, -2, "expires_at");
    char iso[32];
    struct tm tm;
    gmtime_r(&ti.expires_at, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    set_field_str(L, "expires", iso);
  }
  set_field_str(L, "user_id", ti.user_id);
  set_field_str(L, "user_name", ti.user_name);
  set_field_str(L, "project_id", ti.project_id);
  set_field_str(L, "project_name", ti.project_name);
  set_field_str(L, "domain_id", ti.domain_id);
  set_field_str(L, "auth_url", ti.auth_url);
  lua_pushinteger(L, ti.generation);
  lua_setfield(L, -2, "generation");
  return 1;
}

static int l_catalog(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  lua_newtable(L);
  const char *type, *name, *iface, *region, *url;
  for (size_t i = 0; ostack_session_catalog_entry(ls->s, i, &type, &name, &iface, &region, &url) == 0; i++) {
    lua_createtable(L, 0, 5);
    set_field_str(L, "type", type);
    set_field_str(L, "name", name);
    set_field_str(L, "interface", iface);
    set_field_str(L, "region", region);
    set_field_str(L, "url", url);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int l_endpoint(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  const char *service = luaL_checkstring(L, 2);
  ostack_endpoint ep;
  ostack_error err;
  if (ostack_session_endpoint(ls->s, service, &ep, &err)) return raise_error(L, &err);
  lua_createtable(L, 0, 7);
  set_field_str(L, "service_type", ep.service_type);
  set_field_str(L, "url", ep.url);
  set_field_str(L, "catalog_url", ep.catalog_url);
  set_field_str(L, "root", ep.root);
  set_field_str(L, "api_version", ep.api_version);
  set_field_str(L, "min_microversion", ep.min_microversion);
  set_field_str(L, "max_microversion", ep.max_microversion);
  return 1;
}

/* ---- building a call from an options table ------------------------------------------ */

/* Streams between libcurl and Lua functions, files and digests. Lua
 * functions run under lua_pcall: an error is parked in err_ref and the
 * transfer aborted, never thrown across libcurl. */
typedef struct body_stream {
  lua_State *L;
  int fn_ref, err_ref;
  FILE *file;
  ostack_buf pending;
  size_t pending_off;
  EVP_MD_CTX *md[3];
  const char *md_name[3];
  int nmd;
  long long bytes;
} body_stream;

static size_t stream_read(void *ud, char *buf, size_t size) {
  body_stream *bs = ud;
  if (bs->pending_off >= bs->pending.len) {
    lua_State *L = bs->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, bs->fn_ref);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
      bs->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      return (size_t)-1;
    }
    size_t n = 0;
    const char *chunk = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    if (!lua_isnil(L, -1) && !chunk) {
      lua_pop(L, 1);
      lua_pushliteral(L, "the body reader must return a string, or nil at the end");
      bs->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      return (size_t)-1;
    }
    ostack_buf_reset(&bs->pending);
    bs->pending_off = 0;
    if (n) ostack_buf_add(&bs->pending, chunk, n);
    lua_pop(L, 1);
    if (!n) return 0;
  }
  size_t n = bs->pending.len - bs->pending_off;
  if (n > size) n = size;
  memcpy(buf, bs->pending.data + bs->pending_off, n);
  bs->pending_off += n;
  return n;
}

static int stream_write(void *ud, const char *data, size_t size) {
  body_stream *bs = ud;
  for (int i = 0; i < bs->nmd; i++) EVP_DigestUpdate(bs->md[i], data, size);
  bs->bytes += (long long)size;
  if (bs->file) return fwrite(data, 1, size, bs->file) == size ? 0 : 1;
  if (bs->fn_ref != LUA_NOREF) {
    lua_State *L = bs->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, bs->fn_ref);
    lua_pushlstring(L, data, size);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      bs->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      return 1;
    }
    int refused = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (refused) {
      lua_pushliteral(L, "the output writer returned false");
      bs->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      return 1;
    }
  }
  return 0;
}

/* Everything one request owns; lives in a userdata so that a Lua error at
 * any point (bad option, out of memory) still frees it through __gc. */
typedef struct request_state {
  ostack_call call;
  ostack_buf url;         /* path + query */
  ostack_buf body;        /* encoded JSON */
  struct curl_slist *headers;
  body_stream in, out;
  char *output_path, *temp_path;
  FILE *body_file;
  int active;
  int waiting_retry;      /* async: backing off until call.wake_at */
} request_state;

static void stream_release(lua_State *L, body_stream *bs) {
  if (bs->fn_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, bs->fn_ref);
  if (bs->err_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, bs->err_ref);
  bs->fn_ref = bs->err_ref = LUA_NOREF;
  for (int i = 0; i < bs->nmd; i++) EVP_MD_CTX_free(bs->md[i]);
  bs->nmd = 0;
  ostack_buf_free(&bs->pending);
  if (bs->file) fclose(bs->file);
  bs->file = NULL;
}

static void request_release(lua_State *L, request_state *rs) {
  if (!rs->active) return;
  rs->active = 0;
  ostack_call_cleanup(&rs->call);
  ostack_buf_free(&rs->url);
  ostack_buf_wipe(&rs->body); /* may hold a password or adminPass */
  curl_slist_free_all(rs->headers);
  rs->headers = NULL;
  stream_release(L, &rs->in);
  stream_release(L, &rs->out);
  if (rs->body_file) fclose(rs->body_file);
  rs->body_file = NULL;
  if (rs->temp_path) unlink(rs->temp_path); /* a failed download leaves nothing behind */
  free(rs->temp_path);
  free(rs->output_path);
  rs->temp_path = rs->output_path = NULL;
}

static int request_gc(lua_State *L) {
  request_release(L, luaL_checkudata(L, 1, "openstack.Request"));
  return 0;
}

static request_state *new_request_state(lua_State *L) {
  request_state *rs = lua_newuserdatauv(L, sizeof *rs, 0);
  memset(rs, 0, sizeof *rs);
  ostack_call_init(&rs->call);
  ostack_buf_init(&rs->url);
  ostack_buf_init(&rs->body);
  rs->in.fn_ref = rs->in.err_ref = rs->out.fn_ref = rs->out.err_ref = LUA_NOREF;
  ostack_buf_init(&rs->in.pending);
  ostack_buf_init(&rs->out.pending);
  rs->active = 1;
  if (luaL_newmetatable(L, "openstack.Request")) {
    lua_pushcfunction(L, request_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return rs;
}

static const char *opt_string(lua_State *L, int opts, const char *name) {
  lua_getfield(L, opts, name);
  const char *v = NULL;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
      raise_simple(L, "InvalidArgument", "request option '%s' must be a string", name);
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* the string stays reachable through the options table */
  return v;
}

static void push_query_value(lua_State *L, int idx, const char *key, ostack_buf *out) {
  int t = lua_type(L, idx);
  const char *v;
  char num[64];
  if (t == LUA_TBOOLEAN) v = lua_toboolean(L, idx) ? "true" : "false";
  else if (t == LUA_TNUMBER && lua_isinteger(L, idx)) {
    snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, idx));
    v = num;
  } else if (t == LUA_TSTRING || t == LUA_TNUMBER) v = lua_tostring(L, idx);
  else {
    raise_simple(L, "InvalidArgument", "query parameter '%s' must be a string, number, boolean or list", key);
    return;
  }
  ostack_url_add_query(out, key, v);
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Appends the query table (sorted keys; lists repeat the key) to out. */
static void add_query(lua_State *L, int qidx, ostack_buf *out) {
  const char *keys[128];
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, qidx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) raise_simple(L, "InvalidArgument", "%s", "query keys must be strings");
    if (n == sizeof keys / sizeof *keys) raise_simple(L, "InvalidArgument", "%s", "too many query parameters");
    keys[n++] = lua_tostring(L, -1);
  }
  qsort(keys, n, sizeof *keys, cmp_cstr);
  for (size_t i = 0; i < n; i++) {
    lua_getfield(L, qidx, keys[i]);
    if (lua_istable(L, -1)) {
      lua_Integer len = (lua_Integer)lua_rawlen(L, -1);
      for (lua_Integer j = 1; j <= len; j++) {
        lua_rawgeti(L, -1, j);
        push_query_value(L, lua_gettop(L), keys[i], out);
        lua_pop(L, 1);
      }
    } else if (lua_type(L, -1) == LUA_TUSERDATA) {
      /* json null: the parameter is sent without a value (?reserved) */
      ostack_url_add_query(out, keys[i], "");
    } else {
      push_query_value(L, lua_gettop(L), keys[i], out);
    }
    lua_pop(L, 1);
  }
}

static void setup_digests(lua_State *L, int opts, body_stream *bs) {
  lua_getfield(L, opts, "digests");
  if (lua_istable(L, -1)) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n && bs->nmd < 3; i++) {
      lua_rawgeti(L, -1, i);
      const char *name = lua_tostring(L, -1);
      const EVP_MD *md = name ? EVP_get_digestbyname(name) : NULL;
      if (!md) raise_simple(L, "InvalidArgument", "unknown digest '%s'", name ? name : "?");
      bs->md[bs->nmd] = EVP_MD_CTX_new();
      EVP_DigestInit_ex(bs->md[bs->nmd], md, NULL);
      bs->md_name[bs->nmd++] = name; /* kept alive by the options table */
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* Fills rs->call from the options table at opts (see l_request). */
static void build_call(lua_State *L, int opts, request_state *rs) {
  ostack_call *c = &rs->call;
  c->method = opt_string(L, opts, "method");
  c->service = opt_string(L, opts, "service");
  c->microversion = opt_string(L, opts, "microversion");
  c->content_type = opt_string(L, opts, "content_type");
  c->accept = opt_string(L, opts, "accept");
  const char *url = opt_string(L, opts, "url");
  const char *path = opt_string(L, opts, "path");
  if (!url && !c->service) raise_simple(L, "InvalidArgument", "%s", "request needs 'url' or 'service'");
  ostack_buf_addstr(&rs->url, url ? url : (path ? path : ""));
  if (lua_getfield(L, opts, "query") == LUA_TTABLE) add_query(L, lua_gettop(L), &rs->url);
  lua_pop(L, 1);
  if (url) c->url = rs->url.data;
  else c->path = rs->url.data;
  if (lua_getfield(L, opts, "authenticated") == LUA_TBOOLEAN) c->authenticated = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, opts, "max_body") == LUA_TNUMBER) c->max_body = (size_t)lua_tointeger(L, -1);
  lua_pop(L, 1);

  int ht = lua_getfield(L, opts, "headers");
  if (ht != LUA_TNIL && ht != LUA_TTABLE) raise_simple(L, "InvalidArgument", "%s", "request option 'headers' must be a table");
  if (ht == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)) {
        lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
        rs->headers = curl_slist_append(rs->headers, lua_tostring(L, -1));
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    c->headers = rs->headers;
  }
  lua_pop(L, 1);

  /* request body: json, body (string), body_file (path), reader (function) */
  if (lua_getfield(L, opts, "json") != LUA_TNIL) {
    char msg[400];
    if (ostack_lua_json_encode(L, lua_gettop(L), &rs->body, 0, msg, sizeof msg))
      raise_simple(L, "InvalidArgument", "%s", msg);
    c->body = rs->body.data ? rs->body.data : "";
    c->body_len = rs->body.len;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, opts, "body") == LUA_TSTRING) {
    size_t n;
    const char *b = lua_tolstring(L, -1, &n);
    ostack_buf_add(&rs->body, b, n);
    c->body = rs->body.data ? rs->body.data : "";
    c->body_len = n;
  }
  lua_pop(L, 1);
  const char *body_file = opt_string(L, opts, "body_file");
  if (body_file) {
    struct stat st;
    /* fail before any request when the file cannot be read */
    if (!(rs->body_file = fopen(body_file, "rb")) || fstat(fileno(rs->body_file), &st) || !S_ISREG(st.st_mode)) {
      char why[300];
      snprintf(why, sizeof why, "%s: %s", body_file, rs->body_file ? "not a regular file" : strerror(errno));
      raise_simple(L, "InvalidArgument", "cannot read the upload file %s", why);
    }
    c->body_file = rs->body_file;
    c->body_file_size = (long long)st.st_size;
  }
  if (lua_getfield(L, opts, "reader") == LUA_TFUNCTION) {
    rs->in.L = L;
    rs->in.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->reader = stream_read;
    c->reader_ud = &rs->in;
  } else {
    lua_pop(L, 1);
  }

  /* response body: output = path (written to a temporary name, renamed on
   * success) or writer function; digests computed while streaming */
  int ot = lua_getfield(L, opts, "output");
  if (ot == LUA_TSTRING) {
    const char *path = lua_tostring(L, -1);
    rs->output_path = strdup(path);
    size_t n = strlen(path) + 32;
    rs->temp_path = malloc(n);
    snprintf(rs->temp_path, n, "%s.part-%ld", path, (long)getpid());
    if (!(rs->out.file = fopen(rs->temp_path, "wb"))) {
      char why[400];
      snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
      free(rs->temp_path);
      rs->temp_path = NULL;
      raise_simple(L, "InvalidArgument", "cannot write the output file %s", why);
    }
    lua_pop(L, 1);
  } else if (ot == LUA_TFUNCTION) {
    rs->out.L = L;
    rs->out.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  setup_digests(L, opts, &rs->out);
  if (rs->out.file || rs->out.fn_ref != LUA_NOREF || rs->out.nmd) {
    c->writer = stream_write;
    c->writer_ud = &rs->out;
  }
}

/* Headers of the final response as a table with lower-case names. */
static void push_headers(lua_State *L, const ostack_buf *raw) {
  lua_newtable(L);
  const char *p = raw->data;
  while (p && *p) {
    const char *eol = strstr(p, "\r\n");
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    const char *colon = memchr(p, ':', len);
    if (colon) {
      char name[128];
      size_t nl = (size_t)(colon - p) < sizeof name - 1 ? (size_t)(colon - p) : sizeof name - 1;
      for (size_t i = 0; i < nl; i++) name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
      name[nl] = '\0';
      const char *v = colon + 1;
      while (v < p + len && (*v == ' ' || *v == '\t')) v++;
      size_t vl = (size_t)(p + len - v);
      while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      if (lua_getfield(L, -1, name) == LUA_TSTRING) {
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, v, vl);
        lua_concat(L, 3);
      } else {
        lua_pop(L, 1);
        lua_pushlstring(L, v, vl);
      }
      lua_setfield(L, -2, name);
    }
    p += len + (eol ? 2 : 0);
  }
}

static void response_context(const ostack_call *c, ostack_error *e) {
  e->status = c->http.status;
  snprintf(e->method, sizeof e->method, "%s", c->method ? c->method : "GET");
  snprintf(e->url, sizeof e->url, "%s", c->resolved_url ? c->resolved_url : "");
  if (ostack_http_header(&c->http, "x-openstack-request-id", e->request_id, sizeof e->request_id))
    ostack_http_header(&c->http, "x-compute-request-id", e->request_id, sizeof e->request_id);
}

/* Decodes a JSON body onto the stack; raises InvalidResponse with context. */
static void push_json_body(lua_State *L, const ostack_call *c) {
  const ostack_buf *b = &c->http.body_out;
  char ctype[128] = "";
  ostack_http_header(&c->http, "content-type", ctype, sizeof ctype);
  int looks_json = b->len && (b->data[0] == '{' || b->data[0] == '[');
  ostack_error e;
  ostack_error_clear(&e);
  if (!strstr(ctype, "json") && !looks_json) {
    char snippet[80];
    ostack_error_body_message(b->data, b->len, ctype, snippet, sizeof snippet);
    ostack_error_set(&e, "InvalidResponse", "expected a JSON body but got %s: %s", ctype[0] ? ctype : "no content type",
                     snippet);
    response_context(c, &e);
    raise_error(L, &e);
  }
  ostack_json_error jerr;
  if (ostack_lua_json_decode(L, b->data, b->len, &jerr)) {
    ostack_error_set(&e, "InvalidResponse", "the response body is not valid JSON: %s", jerr.message);
    response_context(c, &e);
    raise_error(L, &e);
  }
}

/* Raises the error a Lua reader/writer parked, if any. */
static void raise_stream_error(lua_State *L, body_stream *bs, const ostack_call *c) {
  if (bs->err_ref == LUA_NOREF) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, bs->err_ref);
  if (lua_type(L, -1) == LUA_TSTRING) {
    ostack_error e;
    ostack_error_clear(&e);
    ostack_error_set(&e, "TransportError", "the body stream failed: %s", lua_tostring(L, -1));
    response_context(c, &e);
    snprintf(e.reason, sizeof e.reason, "aborted");
    raise_error(L, &e);
  }
  lua_error(L); /* an error object raised by the stream function itself */
}

/* session:request{method=, service=, path=, url=, query=, headers=, json=,
 *   body=, body_file=, reader=, output=, digests=, microversion=, accept=,
 *   content_type=, raw=, expect_body=, authenticated=, max_body=}
 * -> {status, headers, body, url, request_id, elapsed, retries, bytes, digests} */
static void raise_request_failure(lua_State *L, request_state *rs, ostack_error *err) {
  ostack_call *c = &rs->call;
  raise_stream_error(L, &rs->in, c);
  raise_stream_error(L, &rs->out, c);
  if (rs->out.err_ref == LUA_NOREF && c->http.aborted_by_sink && rs->out.file)
    ostack_error_set(err, "TransportError", "writing the output file failed: %s", strerror(errno));
  request_release(L, rs);
  raise_error(L, err);
}

static int respond(lua_State *L, request_state *rs, int rs_idx);

/* True when L is a task of openstack.gather: its requests yield to the
 * scheduler instead of blocking the whole program. */
static int in_gather_task(lua_State *L) {
  if (!lua_isyieldable(L)) return 0;
  if (lua_getfield(L, LUA_REGISTRYINDEX, "openstack.gather.tasks") != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushthread(L);
  int yes = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return yes;
}

/* Resumed by the scheduler once the transfer finished (or a retry is due). */
static int request_continue(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  int rs_idx = (int)ctx;
  lua_session *ls = check_session(L, 1);
  request_state *rs = luaL_checkudata(L, rs_idx, "openstack.Request");
  ostack_call *c = &rs->call;
  ostack_error err;
  if (rs->waiting_retry) {
    rs->waiting_retry = 0;
    if (ostack_call_begin(ls->s, c, &err)) raise_request_failure(L, rs, &err);
  } else if (c->http.done) {
    int r = ostack_call_finish(ls->s, c, &err);
    if (r == OSTACK_CALL_DONE) return respond(L, rs, rs_idx);
    if (r == OSTACK_CALL_FAILED) raise_request_failure(L, rs, &err);
    rs->waiting_retry = 1;
  }
  lua_pushvalue(L, rs_idx);
  return lua_yieldk(L, 1, ctx, request_continue);
}

static void check_options(lua_State *L, const char *fname) {
  if (!lua_istable(L, 2)) {
    char msg[160];
    snprintf(msg, sizeof msg, "session:%s: the options must be a table, got %s", fname, luaL_typename(L, 2));
    raise_simple(L, "InvalidArgument", "%s", msg);
  }
}

static int l_request(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  check_options(L, "request");
  request_state *rs = new_request_state(L);
  int rs_idx = lua_gettop(L);
  build_call(L, 2, rs);
  ostack_call *c = &rs->call;
  ostack_error err;
  /* Lua stream functions must run on their own thread, so those stay synchronous */
  if (in_gather_task(L) && rs->in.fn_ref == LUA_NOREF && rs->out.fn_ref == LUA_NOREF) {
    if (ostack_call_begin(ls->s, c, &err)) raise_request_failure(L, rs, &err);
    lua_pushvalue(L, rs_idx);
    return lua_yieldk(L, 1, (lua_KContext)rs_idx, request_continue);
  }
  if (ostack_session_request(ls->s, c, &err)) raise_request_failure(L, rs, &err);
  return respond(L, rs, rs_idx);
}

/* Builds the response table of a finished request (options at index 2). */
static int respond(lua_State *L, request_state *rs, int rs_idx) {
  ostack_call *c = &rs->call;
  lua_getfield(L, 2, "raw");
  int raw = lua_toboolean(L, -1);
  lua_getfield(L, 2, "expect_body");
  int expect_body = lua_toboolean(L, -1);
  lua_pop(L, 2);

  lua_createtable(L, 0, 10);
  lua_pushinteger(L, c->http.status);
  lua_setfield(L, -2, "status");
  push_headers(L, &c->http.headers_raw);
  lua_getfield(L, -1, "x-openstack-request-id");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, -1, "x-compute-request-id");
  }
  lua_setfield(L, -3, "request_id");
  lua_setfield(L, -2, "headers");
  set_field_str(L, "url", c->resolved_url);
  lua_pushnumber(L, c->http.elapsed);
  lua_setfield(L, -2, "elapsed");
  lua_pushinteger(L, c->retries);
  lua_setfield(L, -2, "retries");
  if (c->writer) {
    lua_pushinteger(L, rs->out.bytes);
    lua_setfield(L, -2, "bytes");
    lua_createtable(L, 0, rs->out.nmd);
    for (int i = 0; i < rs->out.nmd; i++) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      char hex[EVP_MAX_MD_SIZE * 2 + 1];
      EVP_DigestFinal_ex(rs->out.md[i], md, &n);
      for (unsigned int j = 0; j < n; j++) snprintf(hex + 2 * j, 3, "%02x", md[j]);
      hex[2 * n] = '\0';
      lua_pushstring(L, hex);
      lua_setfield(L, -2, rs->out.md_name[i]);
    }
    lua_setfield(L, -2, "digests");
  }
  /* the body: error bodies never reach here; a streamed body is not kept */
  const ostack_buf *b = &c->http.body_out;
  if (c->writer && c->http.status < 300) {
    /* streamed */
  } else if (b->len == 0) {
    if (expect_body) {
      ostack_error e;
      ostack_error_clear(&e);
      ostack_error_set(&e, "InvalidResponse", "%s", "the service answered with an empty body where one was required");
      response_context(c, &e);
      request_release(L, rs);
      return raise_error(L, &e);
    }
  } else if (raw) {
    lua_pushlstring(L, b->data, b->len);
    lua_setfield(L, -2, "body");
  } else {
    push_json_body(L, c);
    lua_setfield(L, -2, "body");
  }
  if (rs->out.file) {
    FILE *f = rs->out.file;
    rs->out.file = NULL;
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(rs->temp_path, rs->output_path) != 0) {
      char why[400];
      snprintf(why, sizeof why, "%s: %s", rs->output_path, strerror(errno));
      request_release(L, rs);
      return raise_simple(L, "TransportError", "could not complete the output file %s", why);
    }
    free(rs->temp_path);
    rs->temp_path = NULL;
  }
  lua_remove(L, rs_idx);
  request_release(L, rs);
  return 1;
}

/* ---- the page iterator -------------------------------------------------------------- */

typedef struct lua_pager {
  ostack_pager pager;
  request_state *rs;     /* the in-flight (or finished) page request; uservalue 2 */
  int in_flight;         /* transfer started, not yet collected */
  int started;
  int finished;          /* no more pages to fetch */
  lua_Integer index, count; /* position in the current page (uservalue 3) */
  char *resources_key, *links_key, *id_key, *service, *microversion;
} lua_pager;

static void pager_release(lua_State *L, lua_pager *lp) {
  if (lp->rs) {
    request_release(L, lp->rs);
    lp->rs = NULL;
  }
  ostack_pager_free(&lp->pager);
  free(lp->resources_key); free(lp->links_key); free(lp->id_key); free(lp->service); free(lp->microversion);
  lp->resources_key = lp->links_key = lp->id_key = lp->service = lp->microversion = NULL;
  lp->finished = 1;
  lp->count = lp->index = 0;
}

static int pager_close(lua_State *L) {
  pager_release(L, luaL_checkudata(L, 1, PAGER_MT));
  return 0;
}

static int pager_tostring(lua_State *L) {
  lua_pager *lp = luaL_checkudata(L, 1, PAGER_MT);
  lua_pushfstring(L, "openstack.Pager (%s, %I items so far%s%s)", lp->resources_key ? lp->resources_key : "?",
                  (lua_Integer)lp->pager.seen, lp->pager.stopped ? ", stopped: " : "",
                  lp->pager.stopped ? lp->pager.stopped : "");
  return 1;
}

/* Starts the request for lp->pager.url (used for the first page and for prefetch). */
static void pager_begin(lua_State *L, int pidx, lua_pager *lp, lua_session *ls) {
  request_state *rs = new_request_state(L);
  lua_setiuservalue(L, pidx, 2); /* the pager owns the request state */
  lp->rs = rs;
  rs->call.url = lp->pager.url;
  rs->call.service = lp->service;
  rs->call.microversion = lp->microversion;
  ostack_error err;
  if (ostack_call_begin(ls->s, &rs->call, &err)) {
    request_release(L, rs);
    lp->finished = 1;
    raise_error(L, &err);
  }
  lp->in_flight = 1;
}

static const char *string_field(lua_State *L, int idx, const char *k) {
  const char *v = NULL;
  if (lua_getfield(L, idx, k) == LUA_TSTRING) v = lua_tostring(L, -1);
  lua_pop(L, 1);
  return v; /* stays alive in the page body, which is anchored while used */
}

/* Collects the page in flight: waits, retries, decodes, stores its items
 * and decides (and starts) the next one. */
static void pager_collect(lua_State *L, int pidx, lua_pager *lp, lua_session *ls) {
  request_state *rs = lp->rs;
  ostack_call *c = &rs->call;
  ostack_error err;
  for (;;) {
    ostack_http_wait(ostack_session_http(ls->s), &c->http);
    int r = ostack_call_finish(ls->s, c, &err);
    if (r == OSTACK_CALL_DONE) break;
    if (r == OSTACK_CALL_FAILED) {
      request_release(L, rs);
      lp->finished = 1;
      raise_error(L, &err);
    }
    for (double d; (d = c->wake_at - ostack_now()) > 0;) ostack_http_poll(ostack_session_http(ls->s), (int)(d * 1000) + 1);
    if (ostack_call_begin(ls->s, c, &err)) {
      request_release(L, rs);
      lp->finished = 1;
      raise_error(L, &err);
    }
  }
  lp->in_flight = 0;
  if (c->http.body_out.len == 0) {
    ostack_error e;
    ostack_error_clear(&e);
    ostack_error_set(&e, "InvalidResponse", "%s", "a list request answered with an empty body");
    response_context(c, &e);
    lp->finished = 1;
    raise_error(L, &e);
  }
  push_json_body(L, c);
  int body = lua_gettop(L);
  /* the items: body[resources_key] (a lone object counts as one item) */
  if (lp->resources_key) lua_getfield(L, body, lp->resources_key);
  else lua_pushvalue(L, body);
  int lone_object = 0;
  if (lua_istable(L, -1) && lua_rawlen(L, -1) == 0) {
    lua_pushnil(L);
    if (lua_next(L, -2)) {
      lua_pop(L, 2);
      lone_object = 1;
    }
  }
  if (lone_object) {
    lua_createtable(L, 1, 0);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 1);
  } else if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
  int items = lua_gettop(L);
  lp->count = (lua_Integer)lua_rawlen(L, items);
  lp->index = 0;

  ostack_page_info page = {0};
  page.count = lp->count;
  char idbuf[64];
  if (lp->count > 0) {
    lua_rawgeti(L, items, lp->count);
    if (lua_istable(L, -1)) {
      int t = lua_getfield(L, -1, lp->id_key);
      if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)lua_tointeger(L, -1));
        page.last_id = idbuf;
      } else if (t == LUA_TSTRING) {
        page.last_id = lua_tostring(L, -1);
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  if (lua_getfield(L, body, lp->links_key) == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      const char *rel = lua_istable(L, -1) ? string_field(L, lua_gettop(L), "rel") : NULL;
      if (rel && strcmp(rel, "next") == 0) page.links_next = string_field(L, lua_gettop(L), "href");
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  page.body_next = string_field(L, body, "next");
  char link[2048];
  if (ostack_http_header(&c->http, "link", link, sizeof link) == 0) page.link_header = link;

  /* keep the items as the pager's uservalue 3 */
  lua_pushvalue(L, items);
  lua_setiuservalue(L, pidx, 3);
  int more = ostack_pager_advance(&lp->pager, &page);
  lua_settop(L, body - 1);
  request_release(L, rs);
  lp->rs = NULL;
  if (more) {
    pager_begin(L, pidx, lp, ls); /* prefetch while Lua consumes this page */
    ostack_http_poll(ostack_session_http(ls->s), 0); /* and send it now */
  } else {
    lp->finished = 1;
  }
}

/* The iterator: yields one item at a time. */
static int pager_next(lua_State *L) {
  lua_pager *lp = luaL_checkudata(L, lua_upvalueindex(1), PAGER_MT);
  int pidx = lua_upvalueindex(1);
  lua_pushvalue(L, pidx);
  pidx = lua_gettop(L);
  lua_getiuservalue(L, pidx, 1);
  lua_session *ls = check_session(L, -1);
  lua_pop(L, 1);
  for (;;) {
    if (lp->index < lp->count) {
      if (!ostack_pager_take(&lp->pager)) {
        pager_release(L, lp);
        return 0;
      }
      lp->index++;
      /* let the prefetched page make progress now and then */
      if (lp->in_flight && (lp->index & 15) == 0) ostack_http_poll(ostack_session_http(ls->s), 0);
      lua_getiuservalue(L, pidx, 3);
      lua_rawgeti(L, -1, lp->index);
      return 1;
    }
    if (!lp->in_flight) {
      if (lp->finished || lp->started) {
        lua_pushnil(L);
        lua_setiuservalue(L, pidx, 3);
        return 0;
      }
      lp->started = 1;
      pager_begin(L, pidx, lp, ls);
    }
    pager_collect(L, pidx, lp, ls);
  }
}

static char *opt_dup(lua_State *L, int opts, const char *name, const char *dflt) {
  const char *v = opt_string(L, opts, name);
  return v ? strdup(v) : dflt ? strdup(dflt) : NULL;
}

static lua_Integer opt_int(lua_State *L, int opts, const char *name, lua_Integer dflt) {
  lua_getfield(L, opts, name);
  lua_Integer v = dflt;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || v < 0) raise_simple(L, "InvalidArgument", "option '%s' must be a non-negative integer", name);
  }
  lua_pop(L, 1);
  return v;
}

/* session:pages{service=, path=, url=, query=, microversion=, resources_key=,
 *   links_key=, id_key="id", paginated=true, limit=, max_items=} -> iterator, pager
 * The first page is fetched on the first call of the iterator. */
static int l_pages(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  check_options(L, "pages");
  lua_pager *lp = lua_newuserdatauv(L, sizeof *lp, 3);
  memset(lp, 0, sizeof *lp);
  luaL_setmetatable(L, PAGER_MT);
  int pidx = lua_gettop(L);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, pidx, 1);
  lp->service = opt_dup(L, 2, "service", NULL);
  lp->microversion = opt_dup(L, 2, "microversion", NULL);
  lp->resources_key = opt_dup(L, 2, "resources_key", NULL);
  lp->id_key = opt_dup(L, 2, "id_key", "id");
  char links[160];
  snprintf(links, sizeof links, "%s_links", lp->resources_key ? lp->resources_key : "");
  lp->links_key = opt_dup(L, 2, "links_key", links);
  lua_Integer limit = opt_int(L, 2, "limit", 0);
  lua_Integer max_items = opt_int(L, 2, "max_items", 0);
  lua_getfield(L, 2, "paginated");
  int paginated = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_pop(L, 1);

  /* the first URL: endpoint + path + query (limit joins the query); the
   * buffer belongs to a userdata, so a bad query value cannot leak it */
  const char *url = opt_string(L, 2, "url");
  const char *path = opt_string(L, 2, "path");
  if (!url && !lp->service) return raise_simple(L, "InvalidArgument", "%s", "pages needs 'url' or 'service'");
  ostack_endpoint ep;
  ostack_error err;
  if (lp->service && ostack_session_endpoint(ls->s, lp->service, &ep, &err)) return raise_error(L, &err);
  ostack_buf *first = ostack_lua_new_buffer(L);
  if (url) ostack_buf_addstr(first, url);
  else ostack_url_join(first, ep.url, path ? path : "");
  if (lua_getfield(L, 2, "query") == LUA_TTABLE) add_query(L, lua_gettop(L), first);
  lua_pop(L, 1);
  if (limit > 0) {
    char lim[32];
    snprintf(lim, sizeof lim, "%lld", (long long)limit);
    ostack_buf have;
    ostack_buf_init(&have);
    if (ostack_url_query_param(first->data, "limit", &have) != 0) ostack_url_add_query(first, "limit", lim);
    ostack_buf_free(&have);
  }
  int rc = ostack_pager_init(&lp->pager, first->data, lp->service ? ep.root : NULL, limit, max_items, paginated);
  ostack_buf_free(first);
  lua_pop(L, 1);
  if (rc) return luaL_error(L, "out of memory");
  lua_pushvalue(L, pidx);
  lua_pushcclosure(L, pager_next, 1);
  lua_pushvalue(L, pidx);
  return 2;
}

/* ---- small utilities -------------------------------------------------------------- */

static int l_sleep(lua_State *L) {
  double secs = luaL_checknumber(L, 1);
  if (secs > 0) {
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
  }
  return 0;
}

static int l_now(lua_State *L) {
  lua_pushnumber(L, ostack_now());
  return 1;
}

static int l_json_decode(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  ostack_json_error jerr;
  if (ostack_lua_json_decode(L, text, n, &jerr))
    return raise_simple(L, "InvalidArgument", "invalid JSON: %s", jerr.message);
  return 1;
}

static int l_json_encode(lua_State *L) {
  int n = ostack_lua_json_encode_fn(L);
  if (n == 2) return raise_simple(L, "InvalidArgument", "%s", lua_tostring(L, -1));
  return n;
}

static int l_redact_json(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  ostack_buf out;
  ostack_buf_init(&out);
  ostack_json_redact(text, n, &out);
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  ostack_buf_free(&out);
  return 1;
}

/* core.request_ready(req): true when a yielded request can be resumed. */
static int l_request_ready(lua_State *L) {
  request_state *rs = luaL_checkudata(L, 1, "openstack.Request");
  int ready = rs->waiting_retry ? ostack_now() >= rs->call.wake_at : (rs->call.http.done || !rs->call.http.easy);
  lua_pushboolean(L, ready);
  if (rs->waiting_retry) {
    lua_pushnumber(L, rs->call.wake_at);
    return 2;
  }
  return 1;
}

/* session:poll(timeout_seconds): runs transfers until one finishes or the
 * timeout passes; returns the number still running. */
static int l_poll(lua_State *L) {
  lua_session *ls = check_session(L, 1);
  double t = luaL_optnumber(L, 2, 0);
  lua_pushinteger(L, ostack_http_poll(ostack_session_http(ls->s), (int)(t * 1000)));
  return 1;
}

/* core.file_mode(path): the permission bits (an integer), or nil. */
static int l_file_mode(lua_State *L) {
  struct stat st;
  if (stat(luaL_checkstring(L, 1), &st) != 0) return 0;
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  return 1;
}

/* The host program's log sink (embedding API), or nil. */
static int l_host_log(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "openstack.host_log");
  return 1;
}

static const luaL_Reg session_methods[] = {
  {"request", l_request},     {"pages", l_pages},       {"authenticate", l_authenticate},
  {"token_info", l_token_info}, {"catalog", l_catalog}, {"endpoint", l_endpoint},
  {"poll", l_poll}, {"close", l_session_close}, {NULL, NULL}};

static const luaL_Reg core_functions[] = {
  {"session", l_session},          {"sleep", l_sleep},           {"now", l_now},
  {"json_decode", l_json_decode},  {"json_encode", l_json_encode}, {"json_array", ostack_lua_json_array_fn},
  {"json_object", ostack_lua_json_object_fn}, {"redact_json", l_redact_json}, {"host_log", l_host_log}, {"request_ready", l_request_ready}, {"file_mode", l_file_mode},
  {NULL, NULL}};

int luaopen_openstack_core(lua_State *L) {
  curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted by libcurl; idempotent for us */
  ostack_lua_json_setup(L);
  /* errors are built by openstack.errors, the one definition of their shape */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "openstack.errors");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  lua_setfield(L, LUA_REGISTRYINDEX, ERRORS_NEW_KEY);
  lua_pop(L, 1);

  if (luaL_newmetatable(L, SESSION_MT)) {
    luaL_newlib(L, session_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_session_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_session_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_session_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, PAGER_MT)) {
    lua_pushcfunction(L, pager_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, pager_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, pager_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);

  luaL_newlib(L, core_functions);
  lua_getfield(L, LUA_REGISTRYINDEX, OSTACK_JSON_NULL_KEY);
  lua_setfield(L, -2, "null");
  luaL_getmetatable(L, OSTACK_JSON_ARRAY_MT);
  lua_setfield(L, -2, "array_mt");
  luaL_getmetatable(L, OSTACK_JSON_OBJECT_MT);
  lua_setfield(L, -2, "object_mt");
  lua_pushliteral(L, OSTACK_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
