/* Pagination rules and guards, as data. */
#include "pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "url.h"

typedef int (*next_rule_fn)(const ostack_pager *p, const ostack_page_info *page, ostack_buf *next);

static int from_links(const ostack_pager *p, const ostack_page_info *page, ostack_buf *next) {
  if (!page->links_next || !*page->links_next) return 0;
  return ostack_url_resolve(next, p->url, page->links_next) == 0;
}

/* Glance: "/v2/images?marker=X" hangs from the service root, which may have
 * a path of its own (http://host/image); other forms resolve normally. */
static int from_body_next(const ostack_pager *p, const ostack_page_info *page, ostack_buf *next) {
  const char *n = page->body_next;
  if (!n || !*n) return 0;
  if (n[0] == '/' && p->root) return ostack_url_join(next, p->root, n) == 0;
  return ostack_url_resolve(next, p->url, n) == 0;
}

static int from_link_header(const ostack_pager *p, const ostack_page_info *page, ostack_buf *next) {
  char target[2048];
  if (!page->link_header || ostack_pager_link_header_next(page->link_header, target, sizeof target))
    return 0;
  return ostack_url_resolve(next, p->url, target) == 0;
}

/* Marker fallback: only when the caller set a page size and the page was
 * full, so a short last page costs no extra request. */
static int from_marker(const ostack_pager *p, const ostack_page_info *page, ostack_buf *next) {
  if (p->limit <= 0 || page->count < p->limit || !page->last_id) return 0;
  const char *q = strchr(p->url, '?');
  ostack_buf_add(next, p->url, q ? (size_t)(q - p->url) : strlen(p->url));
  while (q && *q) {
    q++;
    size_t n = strcspn(q, "&");
    if (!(n >= 7 && strncmp(q, "marker=", 7) == 0) && !(n >= 6 && strncmp(q, "limit=", 6) == 0) && n) {
      ostack_buf_addc(next, memchr(next->data, '?', next->len) ? '&' : '?');
      ostack_buf_add(next, q, n);
    }
    q += n;
  }
  char lim[32];
  snprintf(lim, sizeof lim, "%lld", p->limit);
  ostack_url_add_query(next, "limit", lim);
  ostack_url_add_query(next, "marker", page->last_id);
  return 1;
}

static const struct {
  const char *name;
  next_rule_fn find;
} next_rules[] = {
  {"links", from_links},
  {"body-next", from_body_next},
  {"link-header", from_link_header},
  {"marker", from_marker},
};

int ostack_pager_init(ostack_pager *p, const char *first_url, const char *root, long long limit,
                      long long max_items, int paginated) {
  memset(p, 0, sizeof *p);
  p->url = strdup(first_url);
  p->root = root ? strdup(root) : NULL;
  p->limit = limit;
  p->max_items = max_items;
  p->paginated = paginated;
  return p->url && (!root || p->root) ? 0 : -1;
}

void ostack_pager_free(ostack_pager *p) {
  free(p->url);
  free(p->root);
  free(p->prev_marker);
  p->url = p->root = p->prev_marker = NULL;
}

int ostack_pager_take(ostack_pager *p) {
  if (p->max_items > 0 && p->seen >= p->max_items) {
    p->stopped = "max_items reached";
    return 0;
  }
  p->seen++;
  return 1;
}

static int stop(ostack_pager *p, const char *why) {
  p->stopped = why;
  return 0;
}

int ostack_pager_advance(ostack_pager *p, const ostack_page_info *page) {
  if (page->count == 0) return stop(p, "empty page");
  if (!p->paginated) return stop(p, "not paginated");
  /* the caller will have had enough once this page is handed out */
  if (p->max_items > 0 && p->seen + page->count >= p->max_items) return stop(p, "max_items reached");
  ostack_buf next;
  ostack_buf_init(&next);
  size_t i, nrules = sizeof next_rules / sizeof *next_rules;
  for (i = 0; i < nrules; i++) {
    ostack_buf_reset(&next);
    if (next_rules[i].find(p, page, &next) && next.len) break;
  }
  if (i == nrules) {
    ostack_buf_free(&next);
    return stop(p, "no next page");
  }
  /* guards: a service that hands back the same page forever must not loop us */
  if (strcmp(next.data, p->url) == 0) {
    ostack_buf_free(&next);
    return stop(p, "repeated link");
  }
  ostack_buf marker;
  ostack_buf_init(&marker);
  if (ostack_url_query_param(next.data, "marker", &marker) == 0 && marker.data) {
    if (p->prev_marker && strcmp(p->prev_marker, marker.data) == 0) {
      ostack_buf_free(&marker);
      ostack_buf_free(&next);
      return stop(p, "repeated marker");
    }
    free(p->prev_marker);
    p->prev_marker = strdup(marker.data);
  }
  ostack_buf_free(&marker);
  free(p->url);
  p->url = next.data; /* ownership moves to the pager */
  return 1;
}

int ostack_pager_link_header_next(const char *h, char *out, unsigned long outsize) {
  while (h && *h) {
    const char *lt = strchr(h, '<');
    if (!lt) return -1;
    const char *gt = strchr(lt, '>');
    if (!gt) return -1;
    const char *end = gt + 1;
    /* parameters run to the next ',' that is outside quotes */
    int quoted = 0;
    while (*end && (quoted || *end != ',')) {
      if (*end == '"') quoted = !quoted;
      end++;
    }
    for (const char *s = gt + 1; s + 3 <= end; s++) {
      if (strncasecmp(s, "rel", 3) != 0) continue;
      const char *v = s + 3;
      while (v < end && (*v == ' ' || *v == '=' || *v == '"')) v++;
      while (v < end) {
        size_t wl = 0;
        while (v + wl < end && v[wl] != ' ' && v[wl] != '"' && v[wl] != ';') wl++;
        if (wl == 4 && strncasecmp(v, "next", 4) == 0) {
          size_t n = (size_t)(gt - lt - 1);
          if (n >= outsize) return -1;
          memcpy(out, lt + 1, n);
          out[n] = '\0';
          return 0;
        }
        if (wl == 0 || v[wl] != ' ') break;
        v += wl + 1;
      }
    }
    h = *end ? end + 1 : end;
  }
  return -1;
}
