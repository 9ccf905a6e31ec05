/* Growable byte buffer: the one way the core accumulates bytes. */
#ifndef OSTACK_BUF_H
#define OSTACK_BUF_H

#include <stddef.h>

typedef struct ostack_buf {
  char *data;   /* always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
} ostack_buf;

void ostack_buf_init(ostack_buf *b);
void ostack_buf_free(ostack_buf *b);
void ostack_buf_reset(ostack_buf *b);
/* Returns 0 on success, -1 when out of memory (the buffer is unchanged). */
int ostack_buf_reserve(ostack_buf *b, size_t extra);
int ostack_buf_add(ostack_buf *b, const void *p, size_t n);
int ostack_buf_addstr(ostack_buf *b, const char *s);
int ostack_buf_addc(ostack_buf *b, char c);
int ostack_buf_printf(ostack_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Overwrite the contents with zeros before freeing: for buffers that held secrets. */
void ostack_buf_wipe(ostack_buf *b);

#endif
