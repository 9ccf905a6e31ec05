/* URL building: query encoding, joining paths, resolving links, and finding
 * a service's unversioned root. Pure string work, no I/O. */
#ifndef OSTACK_URL_H
#define OSTACK_URL_H

#include <stddef.h>

#include "buf.h"

/* Percent-encodes everything but RFC 3986 unreserved characters. */
int ostack_url_escape(ostack_buf *out, const char *s, size_t len);
/* Appends "name=value" to a URL held in out, with '?' or '&' as needed. */
int ostack_url_add_query(ostack_buf *out, const char *name, const char *value);
/* base + "/" + path, with exactly one slash between them. */
int ostack_url_join(ostack_buf *out, const char *base, const char *path);
/* Resolves a link as a browser would: absolute, host-relative or relative. */
int ostack_url_resolve(ostack_buf *out, const char *base, const char *ref);
/* Length of "scheme://authority" at the start of url, 0 if not absolute. */
size_t ostack_url_origin_len(const char *url);
/* The endpoint with its version segment (v2.1, v3, v2.0 ...) and anything
 * after it removed: http://h:8774/v2.1/abc -> http://h:8774/ . Returns the
 * version segment found (without slashes) in version (may be empty). */
int ostack_url_root(ostack_buf *out, const char *endpoint, char *version, size_t vsize);
/* Value of query parameter name in url (decoded), or -1 when absent. */
int ostack_url_query_param(const char *url, const char *name, ostack_buf *out);

#endif
