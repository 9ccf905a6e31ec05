/* The session: authentication (Keystone v3 password / token / application
 * credential, v2.0 password, none), the service catalog and endpoint
 * selection, version discovery, microversion headers, retries with backoff
 * and the single shared re-authentication on 401. One session per
 * connection object; it owns its HTTP pool and all its state. */
#ifndef OSTACK_SESSION_H
#define OSTACK_SESSION_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "http.h"

typedef struct ostack_config ostack_config;
typedef struct ostack_session ostack_session;

/* Log sink for the debug trace: lines arrive already redacted. */
typedef void (*ostack_log_fn)(void *ud, const char *line);

ostack_config *ostack_config_new(void);
void ostack_config_free(ostack_config *cfg);
/* Sets one option by its openstacksdk name ("auth_url", "username",
 * "region_name", "interface", "verify", "api_timeout", "connect_retries",
 * "compute_endpoint_override", "retriable_status_codes" (comma list), ...).
 * "auth." prefixes are accepted. Returns 0, or -1 for an unknown key. */
int ostack_config_set(ostack_config *cfg, const char *key, const char *value);
void ostack_config_set_log(ostack_config *cfg, ostack_log_fn fn, void *ud);

ostack_session *ostack_session_new(const ostack_config *cfg, ostack_error *err);
void ostack_session_free(ostack_session *s);
ostack_http *ostack_session_http(ostack_session *s);

/* Gets a token now (force: even if the current one is still good). */
int ostack_session_authenticate(ostack_session *s, int force, ostack_error *err);

typedef struct ostack_token_info {
  time_t expires_at;        /* 0 when unknown or no auth */
  const char *user_id, *user_name, *project_id, *project_name, *domain_id;
  const char *auth_url;
  int generation;           /* increments at every (re)authentication */
} ostack_token_info;
void ostack_session_token_info(const ostack_session *s, ostack_token_info *out);

typedef struct ostack_endpoint {
  const char *service_type;  /* canonical type, e.g. "block-storage" */
  const char *url;           /* base that request paths are joined to */
  const char *catalog_url;   /* as the catalog (or override) gave it */
  const char *root;          /* unversioned root */
  const char *api_version;   /* e.g. "v2.1", "v3", "v2" ("" when unknown) */
  const char *min_microversion, *max_microversion; /* "" when none */
} ostack_endpoint;
/* Resolves and (once) discovers a service's endpoint. */
int ostack_session_endpoint(ostack_session *s, const char *service, ostack_endpoint *out, ostack_error *err);

/* Iterates the catalog: returns 0 and fills the fields for entry i, -1 past the end. */
int ostack_session_catalog_entry(const ostack_session *s, size_t i, const char **type, const char **name,
                                 const char **interface, const char **region, const char **url);

typedef struct ostack_call {
  /* where: an absolute url, or service + path (path may carry a query) */
  const char *url;
  const char *service;
  const char *path;
  const char *method;
  const char *microversion;        /* sent with the service's header(s) */
  struct curl_slist *headers;      /* extra headers, owned by the caller */
  const char *content_type;        /* for a body; NULL: application/json */
  const char *accept;              /* NULL: application/json; "" sends an empty Accept */
  const char *body;                /* in-memory body */
  size_t body_len;
  FILE *body_file;                 /* or a file of known size */
  long long body_file_size;
  ostack_read_fn reader;           /* or a stream */
  void *reader_ud;
  ostack_write_fn writer;          /* stream the response body here */
  void *writer_ud;
  size_t max_body;                 /* cap for a buffered response; 0: session default */
  int authenticated;               /* 0: send no token (version documents) */
  int ok_300;                      /* 300 Multiple Choices is a success (discovery) */
  /* results */
  ostack_http_request http;        /* status, headers_raw, body_out */
  char *resolved_url;              /* the URL actually requested (owned) */
  int retries;                     /* retries spent */
  /* private */
  struct curl_slist *sent_headers;
  int token_generation;
  int reauthed;
  int connect_tries, status_tries;
  double wake_at;                  /* monotonic seconds; a retry waits until then */
  const char *last_reason;
} ostack_call;

void ostack_call_init(ostack_call *c);
void ostack_call_cleanup(ostack_call *c);

/* Runs a call to completion with retries. Returns 0 when the service
 * answered < 400 (or 300 with ok_300), else -1 with err filled. */
int ostack_session_request(ostack_session *s, ostack_call *c, ostack_error *err);

/* The same in steps, so that many calls can run at once on one pool:
 * begin starts the first attempt; after its transfer is done, finish
 * returns OSTACK_CALL_DONE, OSTACK_CALL_FAILED (err set) or
 * OSTACK_CALL_RETRY (begin it again at or after c->wake_at). */
enum { OSTACK_CALL_DONE = 0, OSTACK_CALL_FAILED = 1, OSTACK_CALL_RETRY = 2 };
int ostack_call_begin(ostack_session *s, ostack_call *c, ostack_error *err);
int ostack_call_finish(ostack_session *s, ostack_call *c, ostack_error *err);
double ostack_now(void);

/* Fills err from a finished call's response (class, status, message,
 * request id, method, url). */
void ostack_session_response_error(const ostack_call *c, ostack_error *err);

/* Emits a line on the debug trace, if one is on. */
void ostack_session_log(ostack_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int ostack_session_debug(const ostack_session *s);

#endif
