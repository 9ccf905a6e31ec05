/* URL building and resolution. */
#include "url.h"

#include <ctype.h>
#include <string.h>

int ostack_url_escape(ostack_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      if (ostack_buf_addc(out, (char)c)) return -1;
    } else {
      char t[3] = {'%', hex[c >> 4], hex[c & 15]};
      if (ostack_buf_add(out, t, 3)) return -1;
    }
  }
  return 0;
}

int ostack_url_add_query(ostack_buf *out, const char *name, const char *value) {
  char sep = (out->data && memchr(out->data, '?', out->len)) ? '&' : '?';
  if (ostack_buf_addc(out, sep) || ostack_url_escape(out, name, strlen(name)) ||
      ostack_buf_addc(out, '=') || ostack_url_escape(out, value, strlen(value)))
    return -1;
  return 0;
}

int ostack_url_join(ostack_buf *out, const char *base, const char *path) {
  size_t bl = strlen(base);
  while (bl > 0 && base[bl - 1] == '/') bl--;
  while (*path == '/') path++;
  if (ostack_buf_add(out, base, bl) || ostack_buf_addc(out, '/')) return -1;
  return ostack_buf_addstr(out, path);
}

size_t ostack_url_origin_len(const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return 0;
  for (const char *s = url; s < p; s++)
    if (!isalpha((unsigned char)*s)) return 0;
  p += 3;
  p += strcspn(p, "/?#");
  return (size_t)(p - url);
}

int ostack_url_resolve(ostack_buf *out, const char *base, const char *ref) {
  if (ostack_url_origin_len(ref)) return ostack_buf_addstr(out, ref);
  size_t origin = ostack_url_origin_len(base);
  if (ref[0] == '/') {
    if (ostack_buf_add(out, base, origin)) return -1;
    return ostack_buf_addstr(out, ref);
  }
  /* relative: replace the last path segment of base (without its query) */
  size_t end = origin + strcspn(base + origin, "?#");
  size_t cut = end;
  while (cut > origin && base[cut - 1] != '/') cut--;
  if (cut == origin) {
    if (ostack_buf_add(out, base, origin) || ostack_buf_addc(out, '/')) return -1;
  } else if (ostack_buf_add(out, base, cut)) {
    return -1;
  }
  return ostack_buf_addstr(out, ref);
}

static int is_version_segment(const char *s, size_t n) {
  if (n < 2 || (s[0] != 'v' && s[0] != 'V') || !isdigit((unsigned char)s[1])) return 0;
  int dots = 0;
  for (size_t i = 1; i < n; i++) {
    if (s[i] == '.') { if (++dots > 1) return 0; }
    else if (!isdigit((unsigned char)s[i])) return 0;
  }
  return 1;
}

int ostack_url_root(ostack_buf *out, const char *endpoint, char *version, size_t vsize) {
  size_t origin = ostack_url_origin_len(endpoint);
  size_t end = origin + strcspn(endpoint + origin, "?#");
  if (version && vsize) version[0] = '\0';
  size_t i = origin;
  while (i < end) {
    while (i < end && endpoint[i] == '/') i++;
    size_t seg = i;
    while (i < end && endpoint[i] != '/') i++;
    if (i > seg && is_version_segment(endpoint + seg, i - seg)) {
      if (version && vsize) {
        size_t n = i - seg < vsize - 1 ? i - seg : vsize - 1;
        memcpy(version, endpoint + seg, n);
        version[n] = '\0';
      }
      if (ostack_buf_add(out, endpoint, seg)) return -1;
      return 0;
    }
  }
  if (ostack_buf_add(out, endpoint, end)) return -1;
  if (!out->len || out->data[out->len - 1] != '/') return ostack_buf_addc(out, '/');
  return 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int ostack_url_query_param(const char *url, const char *name, ostack_buf *out) {
  const char *q = strchr(url, '?');
  size_t nl = strlen(name);
  while (q) {
    q++;
    size_t plen = strcspn(q, "&#");
    const char *eq = memchr(q, '=', plen);
    size_t kl = eq ? (size_t)(eq - q) : plen;
    if (kl == nl && memcmp(q, name, nl) == 0) {
      const char *v = eq ? eq + 1 : q + plen;
      const char *vend = q + plen;
      for (; v < vend; v++) {
        int h, l;
        if (*v == '%' && vend - v >= 3 && (h = hexval(v[1])) >= 0 && (l = hexval(v[2])) >= 0) {
          ostack_buf_addc(out, (char)(h * 16 + l));
          v += 2;
        } else {
          ostack_buf_addc(out, *v == '+' ? ' ' : *v);
        }
      }
      return 0;
    }
    q = q[plen] == '&' ? q + plen : NULL;
  }
  return -1;
}
