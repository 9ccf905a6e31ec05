/* Growable byte buffer. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ostack_buf_init(ostack_buf *b) { b->data = NULL; b->len = b->cap = 0; }

void ostack_buf_free(ostack_buf *b) {
  free(b->data);
  ostack_buf_init(b);
}

void ostack_buf_reset(ostack_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void ostack_buf_wipe(ostack_buf *b) {
  if (b->data) {
    volatile char *p = b->data;
    for (size_t i = 0; i < b->cap; i++) p[i] = 0;
  }
  ostack_buf_free(b);
}

int ostack_buf_reserve(ostack_buf *b, size_t extra) {
  if (extra > (size_t)-1 - b->len - 1) return -1;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  char *p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int ostack_buf_add(ostack_buf *b, const void *p, size_t n) {
  if (ostack_buf_reserve(b, n)) return -1;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int ostack_buf_addstr(ostack_buf *b, const char *s) { return ostack_buf_add(b, s, strlen(s)); }

int ostack_buf_addc(ostack_buf *b, char c) { return ostack_buf_add(b, &c, 1); }

int ostack_buf_printf(ostack_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || ostack_buf_reserve(b, (size_t)n)) return -1;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}
