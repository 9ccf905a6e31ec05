/* JSON for the core: one streaming (SAX) parser that feeds a sink, a small
 * tree for the session's own documents (tokens, catalogs, version lists,
 * error bodies), and a writer with string escaping and secret redaction.
 * The Lua binding decodes response bodies through the same parser straight
 * into Lua values (lua_json.c), so every body is parsed exactly once. */
#ifndef OSTACK_JSON_H
#define OSTACK_JSON_H

#include <stddef.h>

#include "buf.h"

#define OSTACK_JSON_MAX_DEPTH 512

typedef struct ostack_json_error {
  size_t offset;       /* byte offset of the problem in the input */
  char message[160];
} ostack_json_error;

/* Callbacks return 0 to go on; anything else stops the parse with that code.
 * String pointers are valid only during the call; strings are valid UTF-8. */
typedef struct ostack_json_sink {
  int (*null_value)(void *ud);
  int (*boolean)(void *ud, int value);
  int (*integer)(void *ud, long long value);
  int (*number)(void *ud, double value);
  int (*string)(void *ud, const char *s, size_t len);
  int (*key)(void *ud, const char *s, size_t len);
  int (*array_begin)(void *ud);
  int (*array_end)(void *ud);
  int (*object_begin)(void *ud);
  int (*object_end)(void *ud);
} ostack_json_sink;

/* Parses exactly one JSON value (surrounded by optional whitespace).
 * Returns 0 on success, -1 on a syntax error (err filled), or the nonzero
 * code a sink callback returned. */
int ostack_json_parse(const char *text, size_t len, const ostack_json_sink *sink, void *ud,
                      ostack_json_error *err);

typedef enum {
  OSTACK_JSON_NULL, OSTACK_JSON_BOOL, OSTACK_JSON_INT, OSTACK_JSON_NUMBER,
  OSTACK_JSON_STRING, OSTACK_JSON_ARRAY, OSTACK_JSON_OBJECT
} ostack_json_type;

typedef struct ostack_json ostack_json;
struct ostack_json {
  ostack_json_type type;
  char *key;                 /* member name inside an object, else NULL */
  char *str;                 /* OSTACK_JSON_STRING (NUL-terminated) */
  size_t len;                /* string length, or child count for containers */
  long long i;
  double n;
  int b;
  ostack_json *child, *last, *next, *parent;
};

/* Parses into a tree owned by the caller (free with ostack_json_free). */
ostack_json *ostack_json_parse_tree(const char *text, size_t len, ostack_json_error *err);
void ostack_json_free(ostack_json *v);
/* Lookups that tolerate NULL and wrong types, returning NULL. */
const ostack_json *ostack_json_get(const ostack_json *object, const char *key);
const ostack_json *ostack_json_path(const ostack_json *v, const char *dotted);
const char *ostack_json_str(const ostack_json *v);

/* The shortest %g text that reads back as exactly d. */
void ostack_json_format_double(double d, char *out, size_t n);

/* Appends s as a quoted, escaped JSON string. */
int ostack_json_write_string(ostack_buf *out, const char *s, size_t len);

/* True for member names whose values are secrets (password, secret, token,
 * adminPass, ...): the one list used for redaction everywhere. */
int ostack_json_is_secret_key(const char *key, size_t len);

/* Re-emits a JSON document compactly with the values of secret keys
 * replaced by "***". Non-JSON input yields a placeholder naming its size. */
void ostack_json_redact(const char *text, size_t len, ostack_buf *out);

#endif
