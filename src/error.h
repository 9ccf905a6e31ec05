/* Structured errors of the core: what failed, where, and the service's own
 * words for it, ready to become a Lua error object or to be read by a host. */
#ifndef OSTACK_ERROR_H
#define OSTACK_ERROR_H

#include <stddef.h>

typedef struct ostack_error {
  char class_name[32];   /* e.g. "NotFound", "TransportError" (see lua/openstack/errors.lua) */
  long status;           /* HTTP status, 0 when none */
  char message[512];
  char request_id[128];
  char method[16];
  char url[512];
  char reason[64];       /* short machine-readable cause: "timeout", "connect", "tls", ... */
  int retries;           /* retries spent before giving up */
  double retry_after;    /* seconds the service asked to wait, 0 if none */
} ostack_error;

void ostack_error_clear(ostack_error *e);
/* Starts a new error (clearing every field) with a class and message. */
void ostack_error_set(ostack_error *e, const char *class_name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* HTTP status -> class name, the same table as errors.lua. */
const char *ostack_error_class_for_status(long status);

/* Extracts the human message from an error response body: Nova/Cinder
 * {"itemNotFound": {"message": ...}}, Keystone {"error": {"message": ...}},
 * Neutron {"NeutronError": {...}}, Placement {"errors": [{"detail": ...}]},
 * Glance's text or HTML pages. Writes at most outsize-1 bytes. */
void ostack_error_body_message(const char *body, size_t len, const char *content_type,
                               char *out, size_t outsize);

#endif
