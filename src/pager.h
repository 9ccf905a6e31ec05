/* The pagination engine: decides, page after page, where the next page is.
 * The rules (Nova/Cinder "<resources>_links", Glance "next", an RFC 5988
 * Link header, marker/limit) and the guards that stop it (empty page,
 * max_items, a repeated link or marker) are tables of data, tried in order.
 * It does no I/O: the caller fetches pages and reports what each held. */
#ifndef OSTACK_PAGER_H
#define OSTACK_PAGER_H

typedef struct ostack_page_info {
  long long count;          /* items on the page just read */
  const char *last_id;      /* id (marker) of its last item, or NULL */
  const char *links_next;   /* href of rel=next in "<resources>_links" */
  const char *body_next;    /* Glance's top-level "next" */
  const char *link_header;  /* the response's Link header, raw */
} ostack_page_info;

typedef struct ostack_pager {
  char *url;             /* the page to fetch now (owned) */
  char *root;            /* service root that Glance's "/v2/..." links hang from */
  long long limit;       /* page size the caller asked for; 0: the server's */
  long long max_items;   /* stop after this many items; 0: no cap */
  long long seen;        /* items handed out so far */
  int paginated;         /* 0: exactly one request */
  char *prev_marker;
  const char *stopped;   /* why iteration ended (static string), NULL while going */
} ostack_pager;

int ostack_pager_init(ostack_pager *p, const char *first_url, const char *root, long long limit,
                      long long max_items, int paginated);
void ostack_pager_free(ostack_pager *p);
/* After a page: 1 and p->url updated when there is a next page, else 0 and
 * p->stopped says why. */
int ostack_pager_advance(ostack_pager *p, const ostack_page_info *page);
/* Counts one item handed out; 0 once max_items is reached (stop yielding). */
int ostack_pager_take(ostack_pager *p);
/* Extracts the rel="next" target from an RFC 5988 Link header into out. */
int ostack_pager_link_header_next(const char *header, char *out, unsigned long outsize);

#endif
