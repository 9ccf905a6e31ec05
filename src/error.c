/* Structured errors and the parser for services' error bodies. */
#include "error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "json.h"

void ostack_error_clear(ostack_error *e) { memset(e, 0, sizeof *e); }

void ostack_error_set(ostack_error *e, const char *class_name, const char *fmt, ...) {
  ostack_error_clear(e); /* a new error: nothing of an earlier one may linger */
  snprintf(e->class_name, sizeof e->class_name, "%s", class_name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
}

const char *ostack_error_class_for_status(long status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "PayloadTooLarge";
    case 429: return "RateLimited";
    case 501: return "NotImplemented";
    case 503: return "ServiceUnavailable";
    default: return status >= 500 ? "ServerError" : "HttpError";
  }
}

/* Collapses runs of whitespace and appends to out (bounded). */
static void append_text(ostack_buf *out, const char *s, size_t n, size_t limit) {
  int space = out->len > 0 && out->data[out->len - 1] != ' ';
  for (size_t i = 0; i < n && out->len < limit; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isspace(c)) { space = out->len > 0; continue; }
    if (space) { ostack_buf_addc(out, ' '); space = 0; }
    ostack_buf_addc(out, (char)c);
  }
}

static void add_message(ostack_buf *out, const char *msg, size_t limit) {
  if (!msg || !*msg) return;
  if (out->len) ostack_buf_addstr(out, "; ");
  append_text(out, msg, strlen(msg), limit);
}

/* JSON shapes: every top-level object's "message" (Nova, Cinder, Keystone,
 * Neutron), a top-level "message"/"faultstring", Placement's errors list. */
static int json_message(const char *body, size_t len, ostack_buf *out, size_t limit) {
  ostack_json *doc = ostack_json_parse_tree(body, len, NULL);
  if (!doc) return 0;
  if (doc->type == OSTACK_JSON_OBJECT) {
    add_message(out, ostack_json_str(ostack_json_get(doc, "message")), limit);
    add_message(out, ostack_json_str(ostack_json_get(doc, "faultstring")), limit);
    for (const ostack_json *c = doc->child; c; c = c->next) {
      if (c->type == OSTACK_JSON_OBJECT) {
        add_message(out, ostack_json_str(ostack_json_get(c, "message")), limit);
        add_message(out, ostack_json_str(ostack_json_get(c, "detail")), limit);
      } else if (c->type == OSTACK_JSON_ARRAY && strcmp(c->key, "errors") == 0) {
        for (const ostack_json *e = c->child; e; e = e->next) {
          const char *d = ostack_json_str(ostack_json_get(e, "detail"));
          add_message(out, d ? d : ostack_json_str(ostack_json_get(e, "title")), limit);
        }
      }
    }
  } else if (doc->type == OSTACK_JSON_STRING) {
    add_message(out, doc->str, limit);
  }
  ostack_json_free(doc);
  return out->len > 0;
}

/* HTML: the text between tags, non-empty lines joined with ": ". */
static void html_message(const char *body, size_t len, ostack_buf *out, size_t limit) {
  int in_tag = 0, skip = 0;
  ostack_buf line;
  ostack_buf_init(&line);
  for (size_t i = 0; i <= len && out->len < limit; i++) {
    char c = i < len ? body[i] : '\n';
    if (in_tag) {
      if (c == '>') in_tag = 0;
      continue;
    }
    if (c == '<') {
      in_tag = 1;
      /* <title> duplicates <h1> in webob pages; <style>/<script> are not text */
      skip = (len - i > 6 && (strncasecmp(body + i, "<title", 6) == 0 || strncasecmp(body + i, "<style", 6) == 0 ||
                              strncasecmp(body + i, "<scrip", 6) == 0));
      if (len - i > 2 && body[i + 1] == '/') skip = 0;
      c = '\n';
    } else if (skip) {
      continue;
    }
    if (c == '\n') {
      ostack_buf t;
      ostack_buf_init(&t);
      append_text(&t, line.data ? line.data : "", line.len, limit);
      if (t.len) {
        if (out->len) ostack_buf_addstr(out, ": ");
        ostack_buf_add(out, t.data, t.len);
      }
      ostack_buf_free(&t);
      ostack_buf_reset(&line);
    } else {
      ostack_buf_addc(&line, c);
    }
  }
  ostack_buf_free(&line);
}

void ostack_error_body_message(const char *body, size_t len, const char *content_type, char *out,
                               size_t outsize) {
  if (!outsize) return;
  out[0] = '\0';
  if (!body || !len) return;
  ostack_buf b;
  ostack_buf_init(&b);
  size_t limit = outsize - 1;
  int is_html = (content_type && strstr(content_type, "html")) ||
                (len > 0 && (body[0] == '<'));
  if (!json_message(body, len, &b, limit)) {
    ostack_buf_reset(&b);
    if (is_html) html_message(body, len, &b, limit);
    else append_text(&b, body, len, limit);
  }
  if (b.len > limit) b.len = limit;
  if (b.data) {
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
  }
  ostack_buf_free(&b);
}
