/* libFuzzer: the parser for services' error bodies (JSON shapes, HTML, text). */
#include "error.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  static const char *types[] = {"application/json", "text/html; charset=UTF-8", "text/plain", NULL};
  char out[512];
  ostack_error_body_message((const char *)data, size, types[size % 4], out, sizeof out);
  char tiny[8];
  ostack_error_body_message((const char *)data, size, types[(size + 1) % 4], tiny, sizeof tiny);
  return 0;
}
