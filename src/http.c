/* HTTP transport: libcurl multi + share, reused easy handles, streaming. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDLE_HANDLES 16

struct ostack_http {
  CURLM *multi;
  CURLSH *share;
  CURL *idle[IDLE_HANDLES];
  int nidle;
  int running;
  ostack_http_options opt;
  char *cacert, *cert, *key, *user_agent; /* owned copies of opt's strings */
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void ostack_http_configure(ostack_http *pool, const ostack_http_options *opt) {
  free(pool->cacert); free(pool->cert); free(pool->key); free(pool->user_agent);
  pool->opt = *opt;
  pool->opt.cacert = pool->cacert = dup_or_null(opt->cacert);
  pool->opt.cert = pool->cert = dup_or_null(opt->cert);
  pool->opt.key = pool->key = dup_or_null(opt->key);
  pool->opt.user_agent = pool->user_agent = dup_or_null(opt->user_agent);
  curl_multi_setopt(pool->multi, CURLMOPT_MAX_HOST_CONNECTIONS, opt->max_connections);
}

ostack_http *ostack_http_new(const ostack_http_options *opt) {
  ostack_http *pool = calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->multi = curl_multi_init();
  pool->share = curl_share_init();
  if (!pool->multi || !pool->share) {
    ostack_http_free(pool);
    return NULL;
  }
  curl_share_setopt(pool->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(pool->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS, 32L);
  ostack_http_configure(pool, opt);
  return pool;
}

void ostack_http_free(ostack_http *pool) {
  if (!pool) return;
  for (int i = 0; i < pool->nidle; i++) curl_easy_cleanup(pool->idle[i]);
  if (pool->multi) curl_multi_cleanup(pool->multi);
  if (pool->share) curl_share_cleanup(pool->share);
  free(pool->cacert); free(pool->cert); free(pool->key); free(pool->user_agent);
  free(pool);
}

void ostack_http_request_init(ostack_http_request *req) {
  memset(req, 0, sizeof *req);
  ostack_buf_init(&req->headers_raw);
  ostack_buf_init(&req->body_out);
}

void ostack_http_request_cleanup(ostack_http_request *req) {
  ostack_buf_free(&req->headers_raw);
  ostack_buf_free(&req->body_out);
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  ostack_http_request *req = ud;
  size_t len = size * n;
  /* a new status line starts a new response (redirects, 100 Continue) */
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) ostack_buf_reset(&req->headers_raw);
  else if (ostack_buf_add(&req->headers_raw, data, len)) return 0;
  return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  ostack_http_request *req = ud;
  size_t len = size * n;
  if (req->writer) {
    long status = 0;
    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
    /* error bodies are kept for the error message, never written to the sink */
    if (status < 300) {
      if (req->writer(req->writer_ud, data, len)) {
        req->aborted_by_sink = 1;
        return CURL_WRITEFUNC_ERROR;
      }
      req->bytes_to_sink += (long long)len;
      return len;
    }
  }
  if (req->max_body && req->body_out.len + len > req->max_body) {
    req->body_too_large = 1;
    return CURL_WRITEFUNC_ERROR;
  }
  return ostack_buf_add(&req->body_out, data, len) ? CURL_WRITEFUNC_ERROR : len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
  ostack_http_request *req = ud;
  size_t got = req->reader(req->reader_ud, buf, size * n);
  if (got == (size_t)-1) {
    req->aborted_by_sink = 1;
    return CURL_READFUNC_ABORT;
  }
  req->bytes_uploaded += (long long)got;
  return got;
}

static size_t on_read_file(char *buf, size_t size, size_t n, void *ud) {
  ostack_http_request *req = ud;
  size_t got = fread(buf, 1, size * n, req->body_file);
  if (got == 0 && ferror(req->body_file)) return CURL_READFUNC_ABORT;
  req->bytes_uploaded += (long long)got;
  return got;
}

static CURL *take_handle(ostack_http *pool) {
  if (pool->nidle > 0) {
    CURL *e = pool->idle[--pool->nidle];
    curl_easy_reset(e);
    return e;
  }
  return curl_easy_init();
}

static void return_handle(ostack_http *pool, CURL *e) {
  if (pool->nidle < IDLE_HANDLES) pool->idle[pool->nidle++] = e;
  else curl_easy_cleanup(e);
}

int ostack_http_start(ostack_http *pool, ostack_http_request *req) {
  const ostack_http_options *o = &pool->opt;
  ostack_buf_reset(&req->headers_raw);
  ostack_buf_reset(&req->body_out);
  req->status = 0;
  req->curl_code = CURLE_OK;
  req->errbuf[0] = '\0';
  req->aborted_by_sink = req->body_too_large = req->done = req->connected = 0;
  req->bytes_uploaded = req->bytes_to_sink = 0;
  CURL *e = take_handle(pool);
  if (!e) {
    snprintf(req->errbuf, sizeof req->errbuf, "out of memory");
    return -1;
  }
  req->easy = e;
  req->pool = pool;
  curl_easy_setopt(e, CURLOPT_PRIVATE, req);
  curl_easy_setopt(e, CURLOPT_URL, req->url);
  curl_easy_setopt(e, CURLOPT_SHARE, pool->share);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
  if (o->user_agent) curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
  if (o->connect_timeout_ms > 0) curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  long total = req->timeout_ms > 0 ? req->timeout_ms : o->timeout_ms;
  if (total > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total);
  if (o->low_speed_seconds > 0) {
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes > 0 ? o->low_speed_bytes : 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds);
  }
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);
  if (o->cacert) curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
  if (o->cert) curl_easy_setopt(e, CURLOPT_SSLCERT, o->cert);
  if (o->key) curl_easy_setopt(e, CURLOPT_SSLKEY, o->key);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
  if (req->fresh_connection) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  /* bulk transfers (image data) in larger pieces: fewer callbacks and syscalls */
  if (req->writer) curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
  if (req->body_file || req->reader) curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);

  const char *m = req->method ? req->method : "GET";
  int has_body = req->body || req->body_file || req->reader;
  if (strcmp(m, "GET") == 0 && !has_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (!has_body && (strcmp(m, "DELETE") == 0 || strcmp(m, "GET") == 0)) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
  } else {
    if (strcmp(m, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
    if (req->body_file) {
      rewind(req->body_file);
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read_file);
      curl_easy_setopt(e, CURLOPT_READDATA, req);
      curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_file_size);
    } else if (req->reader) {
      curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(e, CURLOPT_READDATA, req);
    } else {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
  }
  CURLMcode mc = curl_multi_add_handle(pool->multi, e);
  if (mc != CURLM_OK) {
    snprintf(req->errbuf, sizeof req->errbuf, "%s", curl_multi_strerror(mc));
    return_handle(pool, e);
    req->easy = NULL;
    return -1;
  }
  pool->running++;
  return 0;
}

static void finish(ostack_http *pool, CURL *e, CURLcode code) {
  ostack_http_request *req = NULL;
  curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
  curl_multi_remove_handle(pool->multi, e);
  pool->running--;
  if (!req) { curl_easy_cleanup(e); return; }
  req->curl_code = code;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
  curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &req->elapsed);
  /* pretransfer is reached once a connection (new or reused) is ready to
   * carry the request: before it, the server cannot have seen anything */
  curl_off_t pretransfer = 0;
  curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
  req->connected = pretransfer > 0 || code == CURLE_OK || req->status > 0;
  if (code != CURLE_OK && !req->errbuf[0]) snprintf(req->errbuf, sizeof req->errbuf, "%s", curl_easy_strerror(code));
  req->easy = NULL;
  req->done = 1;
  return_handle(pool, e);
}

/* Marks finished transfers done; returns how many finished. */
static int collect_finished(ostack_http *pool) {
  CURLMsg *msg;
  int left, n = 0;
  while ((msg = curl_multi_info_read(pool->multi, &left)))
    if (msg->msg == CURLMSG_DONE) {
      finish(pool, msg->easy_handle, msg->data.result);
      n++;
    }
  return n;
}

int ostack_http_poll(ostack_http *pool, int timeout_ms) {
  int still = 0;
  curl_multi_perform(pool->multi, &still);
  if (!collect_finished(pool) && timeout_ms > 0) {
    /* waits for activity or the timeout, also with nothing in flight, so a
     * caller waiting out a backoff does not spin */
    curl_multi_poll(pool->multi, NULL, 0, timeout_ms, NULL);
    curl_multi_perform(pool->multi, &still);
    collect_finished(pool);
  }
  return pool->running;
}

void ostack_http_wait(ostack_http *pool, ostack_http_request *req) {
  while (!req->done && req->easy) ostack_http_poll(pool, 1000);
}

void ostack_http_cancel(ostack_http *pool, ostack_http_request *req) {
  if (!req->easy) return;
  CURL *e = req->easy;
  curl_multi_remove_handle(pool->multi, e);
  pool->running--;
  /* a half-read response leaves the connection unusable: do not reuse the handle */
  curl_easy_cleanup(e);
  req->easy = NULL;
  req->done = 1;
  req->curl_code = CURLE_ABORTED_BY_CALLBACK;
  snprintf(req->errbuf, sizeof req->errbuf, "cancelled");
}

int ostack_http_running(const ostack_http *pool) { return pool->running; }

int ostack_http_header(const ostack_http_request *req, const char *name, char *out, size_t outsize) {
  const char *p = req->headers_raw.data;
  if (!p) return -1;
  size_t nl = strlen(name);
  int found = -1;
  while (*p) {
    const char *eol = strstr(p, "\r\n");
    size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
    if (linelen > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
      const char *v = p + nl + 1;
      while (*v == ' ' || *v == '\t') v++;
      size_t vl = (size_t)(p + linelen - v);
      while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      if (outsize) {
        size_t n = vl < outsize - 1 ? vl : outsize - 1;
        memcpy(out, v, n);
        out[n] = '\0';
      }
      found = 0; /* keep going: the last occurrence wins */
    }
    p += linelen + (eol ? 2 : 0);
  }
  return found;
}

const char *ostack_http_failure_reason(const ostack_http_request *req) {
  if (req->aborted_by_sink) return "aborted";
  if (req->body_too_large) return "body-too-large";
  switch (req->curl_code) {
    case CURLE_OK: return "ok";
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: return "dns";
    case CURLE_COULDNT_CONNECT: return "connect";
    case CURLE_OPERATION_TIMEDOUT:
      if (!req->connected) return "timeout-connect";
      if (strstr(req->errbuf, "too slow")) return "timeout-low-speed";
      return "timeout-total";
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_CIPHER: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return "tls";
    case CURLE_GOT_NOTHING: return "empty-reply";
    case CURLE_RECV_ERROR: case CURLE_PARTIAL_FILE: return "reset";
    case CURLE_SEND_ERROR: return "send";
    case CURLE_READ_ERROR: case CURLE_ABORTED_BY_CALLBACK: return "aborted";
    default: return "transport";
  }
}

int ostack_http_failed_before_sending(const ostack_http_request *req) {
  switch (req->curl_code) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_CONNECT:
      return 1;
    case CURLE_OPERATION_TIMEDOUT: return !req->connected;
    default: return 0;
  }
}
