/* libFuzzer: the pagination link parser and rules. Input: the current URL,
 * a Link header, a links href, a Glance next and a last id, NUL-separated;
 * the first byte sets count and limit. */
#include <string.h>

#include "pager.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char buf[8192];
  if (size < 1 || size >= sizeof buf) return 0;
  unsigned char knobs = data[0];
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  const char *parts[5] = {buf, "", "", "", ""};
  size_t n = 1;
  for (size_t i = 0; i + 1 < size && n < 5; i++)
    if (buf[i] == '\0') parts[n++] = buf + i + 1;
  char target[2048];
  ostack_pager_link_header_next(parts[1], target, sizeof target);
  ostack_pager p;
  if (ostack_pager_init(&p, parts[0][0] ? parts[0] : "http://h/x", "http://h/root/", knobs & 7, knobs >> 6, 1))
    return 0;
  ostack_page_info page = {(long long)(knobs >> 3 & 7), parts[4][0] ? parts[4] : NULL,
                           parts[2][0] ? parts[2] : NULL, parts[3][0] ? parts[3] : NULL, parts[1]};
  for (int round = 0; round < 4 && ostack_pager_advance(&p, &page); round++) ostack_pager_take(&p);
  ostack_pager_free(&p);
  return 0;
}
