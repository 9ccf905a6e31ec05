/* HTTP transport on libcurl: one pool per connection object (a curl multi
 * handle whose connection cache keeps connections alive, plus a share handle
 * for DNS and TLS sessions, plus idle easy handles for reuse). Every
 * transfer, single or concurrent, runs through the multi handle, so
 * prefetching and concurrency need no second code path. */
#ifndef OSTACK_HTTP_H
#define OSTACK_HTTP_H

#include <stdio.h>

#include <curl/curl.h>

#include "buf.h"

typedef struct ostack_http_options {
  long connect_timeout_ms;   /* 0: curl's default (300 s) */
  long timeout_ms;           /* whole transfer; 0: none */
  long low_speed_bytes;      /* abort when slower than this ... */
  long low_speed_seconds;    /* ... for this long; 0: never */
  int verify;                /* TLS peer and host verification */
  const char *cacert, *cert, *key;
  const char *user_agent;
  long max_connections;      /* concurrent transfers per host; 0: unlimited */
} ostack_http_options;

typedef struct ostack_http ostack_http;

/* A body source for uploads: called until it returns 0 (end). On failure it
 * returns (size_t)-1 and the transfer is aborted (never longjmp out). */
typedef size_t (*ostack_read_fn)(void *ud, char *buf, size_t size);
/* A body sink for downloads: returns 0 to go on, nonzero to abort. */
typedef int (*ostack_write_fn)(void *ud, const char *data, size_t size);

typedef struct ostack_http_request {
  /* request: set by the caller */
  const char *method;
  const char *url;
  struct curl_slist *headers;  /* owned by the caller */
  const char *body;            /* in-memory body, body_len bytes */
  size_t body_len;
  FILE *body_file;             /* or a file (rewound for each attempt) */
  long long body_file_size;
  ostack_read_fn reader;       /* or a stream of unknown size (chunked) */
  void *reader_ud;
  ostack_write_fn writer;      /* response body sink; NULL: buffer in body */
  void *writer_ud;
  size_t max_body;             /* cap on a buffered body; 0: unlimited */
  long timeout_ms;             /* overrides the pool's total timeout when > 0 */
  int fresh_connection;        /* do not reuse a pooled connection */
  /* response: filled by the transport */
  long status;
  ostack_buf headers_raw;      /* "Name: value\r\n" lines of the final response */
  ostack_buf body_out;
  CURLcode curl_code;
  char errbuf[CURL_ERROR_SIZE];
  int aborted_by_sink;         /* the writer or reader asked to stop */
  int body_too_large;
  double elapsed;              /* seconds */
  long long bytes_uploaded;
  long long bytes_to_sink;     /* response bytes handed to the writer */
  int connected;               /* a connection was established */
  int done;
  /* private */
  CURL *easy;
  ostack_http *pool;
  void *user;                  /* free for the layer above */
} ostack_http_request;

ostack_http *ostack_http_new(const ostack_http_options *opt);
void ostack_http_free(ostack_http *pool);
/* Changes the options of an existing pool (later transfers use them). */
void ostack_http_configure(ostack_http *pool, const ostack_http_options *opt);

void ostack_http_request_init(ostack_http_request *req);
/* Releases the response buffers (the request may be started again). */
void ostack_http_request_cleanup(ostack_http_request *req);

/* Starts a transfer; returns 0, or -1 if it could not be started (errbuf says why). */
int ostack_http_start(ostack_http *pool, ostack_http_request *req);
/* Runs transfers for up to timeout_ms; marks finished requests done.
 * Returns the number of transfers still running. */
int ostack_http_poll(ostack_http *pool, int timeout_ms);
/* Runs transfers until req is done. */
void ostack_http_wait(ostack_http *pool, ostack_http_request *req);
/* Aborts a running transfer (its connection is not reused). */
void ostack_http_cancel(ostack_http *pool, ostack_http_request *req);
/* Number of transfers in flight. */
int ostack_http_running(const ostack_http *pool);

/* Value of a response header (case-insensitive name) copied to out; -1 if absent. */
int ostack_http_header(const ostack_http_request *req, const char *name, char *out, size_t outsize);
/* Short description of the failure kind: "connect", "timeout-connect",
 * "timeout-total", "timeout-low-speed", "tls", "dns", "reset", "send", ... */
const char *ostack_http_failure_reason(const ostack_http_request *req);
/* True when the failure proves the request never reached the server. */
int ostack_http_failed_before_sending(const ostack_http_request *req);

#endif
