/* JSON parser (SAX), tree, writer and redaction for the core. */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
  const unsigned char *p, *end, *start;
  const ostack_json_sink *sink;
  void *ud;
  ostack_json_error *err;
  ostack_buf scratch; /* unescaped strings */
  int depth;
} parser;

static int fail(parser *ps, const char *msg) {
  if (ps->err) {
    ps->err->offset = (size_t)(ps->p - ps->start);
    snprintf(ps->err->message, sizeof ps->err->message, "%s at byte %zu", msg, ps->err->offset);
  }
  return -1;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static int utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  if (c < 0xE0) return (end - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
    if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogate */
    return 3;
  }
  if (c < 0xF5) {
    if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
    return 4;
  }
  return 0;
}

static int add_utf8(ostack_buf *b, unsigned long cp) {
  char t[4];
  size_t n;
  if (cp < 0x80) { t[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { t[0] = (char)(0xC0 | (cp >> 6)); t[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    t[0] = (char)(0xE0 | (cp >> 12)); t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    t[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    t[0] = (char)(0xF0 | (cp >> 18)); t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    t[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  return ostack_buf_add(b, t, n);
}

static int hex4(const unsigned char *p, unsigned long *out) {
  unsigned long v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  *out = v;
  return 0;
}

/* Parses a string at ps->p (which points at the opening quote). On success
 * the out-parameters point either into the input (no escapes) or into ps->scratch. */
static int parse_string(parser *ps, const char **s, size_t *n) {
  const unsigned char *p = ++ps->p, *end = ps->end;
  /* fast path: plain ASCII without escapes */
  while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
  if (p < end && *p == '"') {
    *s = (const char *)ps->p;
    *n = (size_t)(p - ps->p);
    ps->p = p + 1;
    return 0;
  }
  ostack_buf *b = &ps->scratch;
  ostack_buf_reset(b);
  if (ostack_buf_add(b, ps->p, (size_t)(p - ps->p))) return fail(ps, "out of memory");
  while (p < end) {
    unsigned c = *p;
    if (c == '"') {
      *s = b->data ? b->data : "";
      *n = b->len;
      ps->p = p + 1;
      return 0;
    }
    if (c < 0x20) { ps->p = p; return fail(ps, "control character in string"); }
    if (c == '\\') {
      if (end - p < 2) break;
      unsigned e = p[1];
      char ch = 0;
      switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
          unsigned long cp, lo;
          if (end - p < 6 || hex4(p + 2, &cp)) { ps->p = p; return fail(ps, "invalid \\u escape"); }
          p += 6;
          if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
              hex4(p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD; /* a lone surrogate cannot be UTF-8; keep the text readable */
          }
          if (add_utf8(b, cp)) return fail(ps, "out of memory");
          continue;
        }
        default: ps->p = p; return fail(ps, "invalid escape in string");
      }
      if (ostack_buf_addc(b, ch)) return fail(ps, "out of memory");
      p += 2;
      continue;
    }
    int l = utf8_len(p, end);
    if (!l) { ps->p = p; return fail(ps, "invalid UTF-8 in string"); }
    if (ostack_buf_add(b, p, (size_t)l)) return fail(ps, "out of memory");
    p += l;
  }
  ps->p = end;
  return fail(ps, "unterminated string");
}

static int parse_number(parser *ps) {
  const unsigned char *p = ps->p, *end = ps->end, *s = p;
  int neg = 0, is_float = 0;
  if (p < end && *p == '-') { neg = 1; p++; }
  if (p >= end || *p < '0' || *p > '9') return fail(ps, "invalid number");
  if (*p == '0') p++;
  else while (p < end && *p >= '0' && *p <= '9') p++;
  const unsigned char *int_end = p;
  if (p < end && *p == '.') {
    is_float = 1;
    p++;
    if (p >= end || *p < '0' || *p > '9') { ps->p = p; return fail(ps, "invalid number"); }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    is_float = 1;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || *p < '0' || *p > '9') { ps->p = p; return fail(ps, "invalid number"); }
    while (p < end && *p >= '0' && *p <= '9') p++;
  }
  ps->p = p;
  if (!is_float) {
    /* accumulate negatively so that LLONG_MIN fits */
    long long v = 0;
    int overflow = 0;
    for (const unsigned char *d = s + neg; d < int_end; d++) {
      int digit = *d - '0';
      if (v < (-9223372036854775807LL - 1 + digit) / 10) { overflow = 1; break; }
      v = v * 10 - digit;
    }
    if (!overflow && (neg || v != (-9223372036854775807LL - 1)))
      return ps->sink->integer ? ps->sink->integer(ps->ud, neg ? v : -v) : 0;
  }
  char tmp[128];
  size_t n = (size_t)(p - s);
  if (n >= sizeof tmp) {
    /* absurdly long numbers: only their value matters, which strtod can take from a prefix */
    n = sizeof tmp - 1;
  }
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  double d = strtod(tmp, NULL);
  return ps->sink->number ? ps->sink->number(ps->ud, d) : 0;
}

static int literal(parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "invalid literal");
  ps->p += n;
  return 0;
}

#define EMIT(cb, ...) do { if (ps->sink->cb) { int rc_ = ps->sink->cb(__VA_ARGS__); if (rc_) return rc_; } } while (0)

static int parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end of input");
  int rc;
  switch (*ps->p) {
    case '{': {
      if (++ps->depth > OSTACK_JSON_MAX_DEPTH) return fail(ps, "nesting too deep");
      ps->p++;
      EMIT(object_begin, ps->ud);
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == '}') { ps->p++; ps->depth--; EMIT(object_end, ps->ud); return 0; }
      for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string key");
        const char *k;
        size_t kn;
        if ((rc = parse_string(ps, &k, &kn))) return rc;
        EMIT(key, ps->ud, k, kn);
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return fail(ps, "expected ':'");
        ps->p++;
        if ((rc = parse_value(ps))) return rc;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == '}') { ps->p++; break; }
        return fail(ps, "expected ',' or '}'");
      }
      ps->depth--;
      EMIT(object_end, ps->ud);
      return 0;
    }
    case '[': {
      if (++ps->depth > OSTACK_JSON_MAX_DEPTH) return fail(ps, "nesting too deep");
      ps->p++;
      EMIT(array_begin, ps->ud);
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ']') { ps->p++; ps->depth--; EMIT(array_end, ps->ud); return 0; }
      for (;;) {
        if ((rc = parse_value(ps))) return rc;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == ']') { ps->p++; break; }
        return fail(ps, "expected ',' or ']'");
      }
      ps->depth--;
      EMIT(array_end, ps->ud);
      return 0;
    }
    case '"': {
      const char *s;
      size_t n;
      if ((rc = parse_string(ps, &s, &n))) return rc;
      EMIT(string, ps->ud, s, n);
      return 0;
    }
    case 't': if ((rc = literal(ps, "true", 4))) return rc; EMIT(boolean, ps->ud, 1); return 0;
    case 'f': if ((rc = literal(ps, "false", 5))) return rc; EMIT(boolean, ps->ud, 0); return 0;
    case 'n': if ((rc = literal(ps, "null", 4))) return rc; EMIT(null_value, ps->ud); return 0;
    default:
      if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps);
      return fail(ps, "unexpected character");
  }
}

int ostack_json_parse(const char *text, size_t len, const ostack_json_sink *sink, void *ud,
                      ostack_json_error *err) {
  parser ps = {(const unsigned char *)text, (const unsigned char *)text + len,
               (const unsigned char *)text, sink, ud, err, {0}, 0};
  ostack_buf_init(&ps.scratch);
  int rc = text ? parse_value(&ps) : fail(&ps, "no input");
  if (rc == 0) {
    skip_ws(&ps);
    if (ps.p != ps.end) rc = fail(&ps, "trailing data after JSON value");
  }
  ostack_buf_free(&ps.scratch);
  return rc;
}

/* ---- tree ---------------------------------------------------------------- */

typedef struct tree_builder {
  ostack_json *root, *cur; /* cur: the open container */
  char *pending_key;
  int oom;
} tree_builder;

static ostack_json *tree_add(tree_builder *tb, ostack_json_type type) {
  ostack_json *v = calloc(1, sizeof *v);
  if (!v) { tb->oom = 1; return NULL; }
  v->type = type;
  v->key = tb->pending_key;
  tb->pending_key = NULL;
  if (!tb->cur) {
    tb->root = v;
  } else {
    v->parent = tb->cur;
    if (tb->cur->last) tb->cur->last->next = v; else tb->cur->child = v;
    tb->cur->last = v;
    tb->cur->len++;
  }
  return v;
}

static int tb_null(void *ud) { return tree_add(ud, OSTACK_JSON_NULL) ? 0 : 1; }
static int tb_bool(void *ud, int b) {
  ostack_json *v = tree_add(ud, OSTACK_JSON_BOOL);
  if (!v) return 1;
  v->b = b;
  return 0;
}
static int tb_int(void *ud, long long i) {
  ostack_json *v = tree_add(ud, OSTACK_JSON_INT);
  if (!v) return 1;
  v->i = i;
  v->n = (double)i;
  return 0;
}
static int tb_num(void *ud, double n) {
  ostack_json *v = tree_add(ud, OSTACK_JSON_NUMBER);
  if (!v) return 1;
  v->n = n;
  v->i = (long long)n;
  return 0;
}
static int tb_str(void *ud, const char *s, size_t n) {
  ostack_json *v = tree_add(ud, OSTACK_JSON_STRING);
  if (!v || !(v->str = malloc(n + 1))) return 1;
  memcpy(v->str, s, n);
  v->str[n] = '\0';
  v->len = n;
  return 0;
}
static int tb_key(void *ud, const char *s, size_t n) {
  tree_builder *tb = ud;
  free(tb->pending_key);
  if (!(tb->pending_key = malloc(n + 1))) return 1;
  memcpy(tb->pending_key, s, n);
  tb->pending_key[n] = '\0';
  return 0;
}
static int tb_open(tree_builder *tb, ostack_json_type t) {
  ostack_json *v = tree_add(tb, t);
  if (!v) return 1;
  tb->cur = v;
  return 0;
}
static int tb_arr(void *ud) { return tb_open(ud, OSTACK_JSON_ARRAY); }
static int tb_obj(void *ud) { return tb_open(ud, OSTACK_JSON_OBJECT); }
static int tb_close(void *ud) {
  tree_builder *tb = ud;
  tb->cur = tb->cur->parent;
  return 0;
}

static const ostack_json_sink tree_sink = {tb_null, tb_bool, tb_int, tb_num, tb_str,
                                           tb_key, tb_arr, tb_close, tb_obj, tb_close};

ostack_json *ostack_json_parse_tree(const char *text, size_t len, ostack_json_error *err) {
  tree_builder tb = {0};
  int rc = ostack_json_parse(text, len, &tree_sink, &tb, err);
  free(tb.pending_key);
  if (rc) {
    if (rc > 0 && err) snprintf(err->message, sizeof err->message, "out of memory");
    ostack_json_free(tb.root);
    return NULL;
  }
  return tb.root;
}

void ostack_json_free(ostack_json *v) {
  while (v) {
    ostack_json *next = v->next;
    ostack_json_free(v->child);
    free(v->key);
    free(v->str);
    free(v);
    v = next;
  }
}

const ostack_json *ostack_json_get(const ostack_json *o, const char *key) {
  if (!o || o->type != OSTACK_JSON_OBJECT) return NULL;
  const ostack_json *found = NULL;
  for (const ostack_json *c = o->child; c; c = c->next)
    if (strcmp(c->key, key) == 0) found = c; /* the last duplicate wins, as in the Lua decoder */
  return found;
}

const ostack_json *ostack_json_path(const ostack_json *v, const char *dotted) {
  char part[128];
  while (v && *dotted) {
    size_t n = strcspn(dotted, ".");
    if (n >= sizeof part) return NULL;
    memcpy(part, dotted, n);
    part[n] = '\0';
    v = ostack_json_get(v, part);
    dotted += n + (dotted[n] == '.');
  }
  return v;
}

const char *ostack_json_str(const ostack_json *v) {
  return v && v->type == OSTACK_JSON_STRING ? v->str : NULL;
}

/* ---- writer -------------------------------------------------------------- */

void ostack_json_format_double(double d, char *out, size_t n) {
  /* the shortest text that reads back as the same double: 0.1, not 0.10000000000000001 */
  for (int precision = 15; precision <= 17; precision++) {
    snprintf(out, n, "%.*g", precision, d);
    if (strtod(out, NULL) == d) return;
  }
}

int ostack_json_write_string(ostack_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  if (ostack_buf_reserve(out, len + 2)) return -1;
  ostack_buf_addc(out, '"');
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') { run++; continue; }
    if (run && ostack_buf_add(out, s + i - run, run)) return -1;
    run = 0;
    char esc[6] = {'\\', 0};
    size_t n = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      default:
        esc[1] = 'u'; esc[2] = '0'; esc[3] = '0'; esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
        n = 6;
    }
    if (ostack_buf_add(out, esc, n)) return -1;
  }
  if (run && ostack_buf_add(out, s + len - run, run)) return -1;
  return ostack_buf_addc(out, '"');
}

int ostack_json_is_secret_key(const char *key, size_t len) {
  static const char *const words[] = {"password", "secret", "adminpass", "passwd",
                                      "private_key", "auth_key"};
  char low[64];
  if (len >= sizeof low) len = sizeof low - 1;
  for (size_t i = 0; i < len; i++) low[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
  low[len] = '\0';
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strstr(low, words[i])) return 1;
  /* "token": a string value is the token itself; an object (Keystone's
   * {"token": {"id": ...}}) keeps its catalog visible and hides its "id". */
  if (strstr(low, "token")) return 2;
  return 0;
}

typedef struct redactor {
  ostack_buf *out;
  unsigned char first[OSTACK_JSON_MAX_DEPTH + 2];
  int depth;
  int after_key;
  int secret_depth;  /* depth at which a secret container opened; 0 = none */
  int token_depth;   /* depth of a {"token": {...}} object, whose "id" is secret */
  int key_is_secret; /* 1 secret, 2 token-like (see ostack_json_is_secret_key) */
} redactor;

static int rd_sep(redactor *r) {
  if (r->after_key) { r->after_key = 0; return 0; }
  if (r->depth > 0) {
    if (!r->first[r->depth]) ostack_buf_addc(r->out, ',');
    r->first[r->depth] = 0;
  }
  return 0;
}
static int rd_scalar(redactor *r, const char *text, size_t n) {
  rd_sep(r);
  int hide = r->key_is_secret || r->secret_depth;
  r->key_is_secret = 0;
  return hide ? ostack_buf_addstr(r->out, "\"***\"") : ostack_buf_add(r->out, text, n);
}
static int rd_null(void *ud) { return rd_scalar(ud, "null", 4); }
static int rd_bool(void *ud, int b) { return rd_scalar(ud, b ? "true" : "false", b ? 4 : 5); }
static int rd_int(void *ud, long long i) {
  char t[32];
  int n = snprintf(t, sizeof t, "%lld", i);
  return rd_scalar(ud, t, (size_t)n);
}
static int rd_num(void *ud, double d) {
  char t[40];
  ostack_json_format_double(d, t, sizeof t);
  return rd_scalar(ud, t, strlen(t));
}
static int rd_str(void *ud, const char *s, size_t n) {
  redactor *r = ud;
  if (r->key_is_secret || r->secret_depth) return rd_scalar(r, NULL, 0);
  rd_sep(r);
  return ostack_json_write_string(r->out, s, n);
}
static int rd_key(void *ud, const char *s, size_t n) {
  redactor *r = ud;
  rd_sep(r);
  ostack_json_write_string(r->out, s, n);
  ostack_buf_addc(r->out, ':');
  r->after_key = 1;
  r->key_is_secret = ostack_json_is_secret_key(s, n);
  if (r->token_depth && r->token_depth == r->depth && n == 2 && memcmp(s, "id", 2) == 0)
    r->key_is_secret = 1;
  return 0;
}
static int rd_open(redactor *r, char c) {
  rd_sep(r);
  r->depth++;
  r->first[r->depth] = 1;
  /* an object under a secret-looking key ({"password": {"user": ...}})
   * stays readable: its own secret members are hidden one by one; a list
   * under such a key is hidden whole */
  if (r->key_is_secret == 1 && c == '[' && !r->secret_depth) r->secret_depth = r->depth;
  if (r->key_is_secret == 2 && c == '{' && !r->token_depth) r->token_depth = r->depth;
  r->key_is_secret = 0;
  return ostack_buf_addc(r->out, c);
}
static int rd_close(redactor *r, char c) {
  if (r->secret_depth == r->depth) r->secret_depth = 0;
  if (r->token_depth == r->depth) r->token_depth = 0;
  r->depth--;
  return ostack_buf_addc(r->out, c);
}
static int rd_arr(void *ud) { return rd_open(ud, '['); }
static int rd_arr_end(void *ud) { return rd_close(ud, ']'); }
static int rd_obj(void *ud) { return rd_open(ud, '{'); }
static int rd_obj_end(void *ud) { return rd_close(ud, '}'); }

static const ostack_json_sink redact_sink = {rd_null, rd_bool, rd_int, rd_num, rd_str,
                                             rd_key, rd_arr, rd_arr_end, rd_obj, rd_obj_end};

void ostack_json_redact(const char *text, size_t len, ostack_buf *out) {
  redactor r;
  memset(&r, 0, sizeof r);
  r.out = out;
  size_t mark = out->len;
  if (ostack_json_parse(text, len, &redact_sink, &r, NULL) != 0) {
    out->len = mark;
    if (out->data) out->data[mark] = '\0';
    ostack_buf_printf(out, "<%zu bytes, not JSON>", len);
  }
}
