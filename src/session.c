/* Session: auth, catalog, discovery, microversion headers, retries. */
#define _GNU_SOURCE /* timegm */
#include "session.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "json.h"
#include "ostack.h"
#include "token_cache.h"
#include "url.h"

/* ---- configuration --------------------------------------------------------- */

enum {
  CFG_AUTH_TYPE, CFG_AUTH_URL, CFG_USERNAME, CFG_USER_ID, CFG_PASSWORD, CFG_USER_DOMAIN_NAME,
  CFG_USER_DOMAIN_ID, CFG_PROJECT_NAME, CFG_PROJECT_ID, CFG_PROJECT_DOMAIN_NAME,
  CFG_PROJECT_DOMAIN_ID, CFG_DOMAIN_NAME, CFG_DOMAIN_ID, CFG_DEFAULT_DOMAIN, CFG_TOKEN,
  CFG_APP_CRED_ID, CFG_APP_CRED_SECRET, CFG_APP_CRED_NAME, CFG_REGION_NAME, CFG_INTERFACE,
  CFG_IDENTITY_API_VERSION, CFG_CACERT, CFG_CERT, CFG_KEY, CFG_VERIFY, CFG_INSECURE,
  CFG_API_TIMEOUT, CFG_CONNECT_TIMEOUT, CFG_LOW_SPEED_TIME, CFG_LOW_SPEED_LIMIT,
  CFG_CONNECT_RETRIES, CFG_STATUS_CODE_RETRIES, CFG_RETRIABLE_STATUS_CODES,
  CFG_RETRY_BACKOFF_BASE, CFG_RETRY_BACKOFF_CAP, CFG_RETRY_AFTER_CAP, CFG_MAX_JSON_BODY,
  CFG_USER_AGENT, CFG_DEBUG, CFG_ENDPOINT, CFG_MAX_CONCURRENCY, CFG_TOKEN_CACHE, CFG_TOKEN_CACHE_DIR,
  CFG_COUNT
};

static const struct { const char *name; int slot; } config_keys[] = {
  {"auth_type", CFG_AUTH_TYPE}, {"auth_url", CFG_AUTH_URL}, {"username", CFG_USERNAME},
  {"user_id", CFG_USER_ID}, {"password", CFG_PASSWORD}, {"user_domain_name", CFG_USER_DOMAIN_NAME},
  {"user_domain_id", CFG_USER_DOMAIN_ID}, {"project_name", CFG_PROJECT_NAME},
  {"tenant_name", CFG_PROJECT_NAME}, {"project_id", CFG_PROJECT_ID}, {"tenant_id", CFG_PROJECT_ID},
  {"project_domain_name", CFG_PROJECT_DOMAIN_NAME}, {"project_domain_id", CFG_PROJECT_DOMAIN_ID},
  {"domain_name", CFG_DOMAIN_NAME}, {"domain_id", CFG_DOMAIN_ID},
  {"default_domain", CFG_DEFAULT_DOMAIN}, {"token", CFG_TOKEN},
  {"application_credential_id", CFG_APP_CRED_ID},
  {"application_credential_secret", CFG_APP_CRED_SECRET},
  {"application_credential_name", CFG_APP_CRED_NAME}, {"region_name", CFG_REGION_NAME},
  {"interface", CFG_INTERFACE}, {"identity_api_version", CFG_IDENTITY_API_VERSION},
  {"cacert", CFG_CACERT}, {"cert", CFG_CERT}, {"key", CFG_KEY}, {"verify", CFG_VERIFY},
  {"insecure", CFG_INSECURE}, {"api_timeout", CFG_API_TIMEOUT}, {"timeout", CFG_API_TIMEOUT},
  {"connect_timeout", CFG_CONNECT_TIMEOUT}, {"low_speed_time", CFG_LOW_SPEED_TIME},
  {"low_speed_limit", CFG_LOW_SPEED_LIMIT}, {"connect_retries", CFG_CONNECT_RETRIES},
  {"status_code_retries", CFG_STATUS_CODE_RETRIES},
  {"retriable_status_codes", CFG_RETRIABLE_STATUS_CODES},
  {"retry_backoff_base", CFG_RETRY_BACKOFF_BASE}, {"retry_backoff_cap", CFG_RETRY_BACKOFF_CAP},
  {"retry_after_cap", CFG_RETRY_AFTER_CAP}, {"max_json_body", CFG_MAX_JSON_BODY},
  {"user_agent", CFG_USER_AGENT}, {"debug", CFG_DEBUG}, {"endpoint", CFG_ENDPOINT},
  {"max_concurrency", CFG_MAX_CONCURRENCY}, {"token_cache", CFG_TOKEN_CACHE},
  {"token_cache_dir", CFG_TOKEN_CACHE_DIR},
};

typedef struct service_setting {
  char *service;  /* canonical type */
  char *value;
} service_setting;

#define MAX_SERVICE_SETTINGS 32

struct ostack_config {
  char *s[CFG_COUNT];
  service_setting overrides[MAX_SERVICE_SETTINGS];
  int noverrides;
  ostack_log_fn log;
  void *log_ud;
};

/* The service types the SDK knows, with the catalog types that stand for
 * them (tried in order) and how each names its microversion. */
static const struct service_type {
  const char *type;
  const char *aliases[7];
  const char *microversion_name;   /* in "OpenStack-API-Version: <name> X.Y" */
  const char *legacy_header;       /* sent alongside, for older services */
  int base_is_root;                /* request paths carry the version (/v2/...) */
} service_types[] = {
  {"compute", {"compute", NULL}, "compute", "X-OpenStack-Nova-API-Version", 0},
  {"block-storage", {"block-storage", "volumev3", "volumev2", "volume", "block-store", "block_storage", NULL},
   "volume", NULL, 0},
  {"image", {"image", NULL}, NULL, NULL, 1},
  {"identity", {"identity", NULL}, "identity", NULL, 0},
  {"network", {"network", NULL}, NULL, NULL, 0},
  {"placement", {"placement", NULL}, "placement", NULL, 0},
  {"object-store", {"object-store", NULL}, NULL, NULL, 0},
};

static const struct service_type *find_service_type(const char *name) {
  char norm[64];
  size_t n = strlen(name);
  if (n >= sizeof norm) return NULL;
  for (size_t i = 0; i <= n; i++) norm[i] = name[i] == '_' ? '-' : name[i];
  for (size_t i = 0; i < sizeof service_types / sizeof *service_types; i++)
    for (const char *const *a = service_types[i].aliases; *a; a++)
      if (strcmp(*a, norm) == 0 || strcmp(*a, name) == 0) return &service_types[i];
  if (strcmp(norm, "block-store") == 0 || strcmp(norm, "volume") == 0) return &service_types[1];
  return NULL;
}

ostack_config *ostack_config_new(void) { return calloc(1, sizeof(ostack_config)); }

static void free_secret(char *s) {
  if (!s) return;
  volatile char *p = s;
  while (*p) *p++ = 0;
  free(s);
}

void ostack_config_free(ostack_config *cfg) {
  if (!cfg) return;
  for (int i = 0; i < CFG_COUNT; i++) free_secret(cfg->s[i]);
  for (int i = 0; i < cfg->noverrides; i++) {
    free(cfg->overrides[i].service);
    free(cfg->overrides[i].value);
  }
  free(cfg);
}

void ostack_config_set_log(ostack_config *cfg, ostack_log_fn fn, void *ud) {
  cfg->log = fn;
  cfg->log_ud = ud;
}

static int set_override(ostack_config *cfg, const char *service, size_t n, const char *value) {
  char name[64];
  if (n >= sizeof name) return -1;
  memcpy(name, service, n);
  name[n] = '\0';
  const struct service_type *t = find_service_type(name);
  const char *canon = t ? t->type : name;
  for (int i = 0; i < cfg->noverrides; i++)
    if (strcmp(cfg->overrides[i].service, canon) == 0) {
      free(cfg->overrides[i].value);
      cfg->overrides[i].value = strdup(value);
      return 0;
    }
  if (cfg->noverrides == MAX_SERVICE_SETTINGS) return -1;
  cfg->overrides[cfg->noverrides].service = strdup(canon);
  cfg->overrides[cfg->noverrides].value = strdup(value);
  cfg->noverrides++;
  return 0;
}

int ostack_config_set(ostack_config *cfg, const char *key, const char *value) {
  if (strncmp(key, "auth.", 5) == 0) key += 5;
  static const char suffix[] = "_endpoint_override";
  size_t kl = strlen(key), sl = sizeof suffix - 1;
  if (kl > sl && strcmp(key + kl - sl, suffix) == 0) return set_override(cfg, key, kl - sl, value);
  for (size_t i = 0; i < sizeof config_keys / sizeof *config_keys; i++) {
    if (strcmp(config_keys[i].name, key) == 0) {
      int slot = config_keys[i].slot;
      free_secret(cfg->s[slot]);
      cfg->s[slot] = value ? strdup(value) : NULL;
      return 0;
    }
  }
  return -1;
}

static const char *cfg_get(const ostack_config *cfg, int slot) {
  const char *v = cfg->s[slot];
  return v && *v ? v : NULL;
}

static int cfg_true(const char *v) {
  return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0);
}

static double cfg_number(const ostack_config *cfg, int slot, double dflt) {
  const char *v = cfg_get(cfg, slot);
  if (!v) return dflt;
  char *end;
  double d = strtod(v, &end);
  return end == v ? dflt : d;
}

/* ---- session state ----------------------------------------------------------- */

typedef struct catalog_entry {
  char *type, *name, *interface, *region, *url;
} catalog_entry;

typedef struct endpoint_cache {
  char *service;
  ostack_endpoint ep;       /* strings below are owned here */
  char *url, *catalog_url, *root, *api_version, *min_mv, *max_mv;
} endpoint_cache;

#define MAX_RETRIABLE 16

struct ostack_session {
  ostack_config *cfg;
  ostack_http *http;
  ostack_log_fn log;
  void *log_ud;
  int debug;
  int tracing;            /* debug, or a trace file */
  const char *trace_file; /* OSTACK_TRACE_FILE, or NULL */
  /* retry policy (see the rules table below) */
  int connect_retries, status_code_retries;
  long retriable[MAX_RETRIABLE];
  int nretriable;
  double backoff_base, backoff_cap, retry_after_cap;
  size_t max_json_body;
  /* auth state */
  ostack_buf token;
  time_t expires_at;
  int generation;
  int authenticating;
  char *user_id, *user_name, *project_id, *project_name, *domain_id;
  catalog_entry *catalog;
  size_t ncatalog;
  endpoint_cache *endpoints;
  size_t nendpoints;
  unsigned long long rng;
  /* on-disk token cache (token_cache.c); empty path: off */
  char cache_path[1100];
  int cache_tried;
};

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

/* The trace goes to the debug sink when debug is on, and is appended to the
 * file named by OSTACK_TRACE_FILE in any case (audits: the test command
 * greps a whole run's trace for its secrets). Lines are redacted already. */
void ostack_session_log(ostack_session *s, const char *fmt, ...) {
  if (!s->tracing) return;
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (s->trace_file) {
    FILE *f = fopen(s->trace_file, "a");
    if (f) {
      fprintf(f, "%s\n", line);
      fclose(f);
    }
  }
  if (!s->debug) return;
  if (s->log) s->log(s->log_ud, line);
  else fprintf(stderr, "[openstack] %s\n", line);
}

int ostack_session_debug(const ostack_session *s) { return s->tracing; }

double ostack_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double random_unit(ostack_session *s) {
  /* xorshift64*: jitter only needs to be cheap and uncorrelated between clients */
  s->rng ^= s->rng >> 12;
  s->rng ^= s->rng << 25;
  s->rng ^= s->rng >> 27;
  return (double)((s->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void clear_catalog(ostack_session *s) {
  for (size_t i = 0; i < s->ncatalog; i++) {
    catalog_entry *e = &s->catalog[i];
    free(e->type); free(e->name); free(e->interface); free(e->region); free(e->url);
  }
  free(s->catalog);
  s->catalog = NULL;
  s->ncatalog = 0;
}

static void clear_endpoints(ostack_session *s) {
  for (size_t i = 0; i < s->nendpoints; i++) {
    endpoint_cache *c = &s->endpoints[i];
    free(c->service); free(c->url); free(c->catalog_url); free(c->root);
    free(c->api_version); free(c->min_mv); free(c->max_mv);
  }
  free(s->endpoints);
  s->endpoints = NULL;
  s->nendpoints = 0;
}

static void clear_identity(ostack_session *s) {
  free(s->user_id); free(s->user_name); free(s->project_id); free(s->project_name); free(s->domain_id);
  s->user_id = s->user_name = s->project_id = s->project_name = s->domain_id = NULL;
}

static ostack_config *config_copy(const ostack_config *src) {
  ostack_config *c = ostack_config_new();
  if (!c) return NULL;
  for (int i = 0; i < CFG_COUNT; i++) c->s[i] = xstrdup(src->s[i]);
  for (int i = 0; i < src->noverrides; i++) {
    c->overrides[i].service = xstrdup(src->overrides[i].service);
    c->overrides[i].value = xstrdup(src->overrides[i].value);
  }
  c->noverrides = src->noverrides;
  c->log = src->log;
  c->log_ud = src->log_ud;
  return c;
}

static const char *auth_type(const ostack_session *s) {
  const char *t = cfg_get(s->cfg, CFG_AUTH_TYPE);
  return t ? t : "password";
}

static int auth_is_none(const ostack_session *s) {
  const char *t = auth_type(s);
  return strcmp(t, "none") == 0 || strcmp(t, "noauth") == 0;
}

ostack_session *ostack_session_new(const ostack_config *cfg, ostack_error *err) {
  ostack_session *s = calloc(1, sizeof *s);
  if (!s || !(s->cfg = config_copy(cfg))) {
    free(s);
    ostack_error_set(err, "OpenStackError", "out of memory");
    return NULL;
  }
  ostack_buf_init(&s->token);
  s->log = cfg->log;
  s->log_ud = cfg->log_ud;
  s->debug = cfg_true(cfg_get(s->cfg, CFG_DEBUG));
  s->trace_file = getenv("OSTACK_TRACE_FILE");
  if (s->trace_file && !*s->trace_file) s->trace_file = NULL;
  s->tracing = s->debug || s->trace_file;
  /* defaults documented in the README's failure-behaviour section */
  s->connect_retries = (int)cfg_number(s->cfg, CFG_CONNECT_RETRIES, 3);
  s->status_code_retries = (int)cfg_number(s->cfg, CFG_STATUS_CODE_RETRIES, 3);
  s->backoff_base = cfg_number(s->cfg, CFG_RETRY_BACKOFF_BASE, 0.5);
  s->backoff_cap = cfg_number(s->cfg, CFG_RETRY_BACKOFF_CAP, 30);
  s->retry_after_cap = cfg_number(s->cfg, CFG_RETRY_AFTER_CAP, 60);
  s->max_json_body = (size_t)cfg_number(s->cfg, CFG_MAX_JSON_BODY, 256.0 * 1024 * 1024);
  const char *codes = cfg_get(s->cfg, CFG_RETRIABLE_STATUS_CODES);
  if (!codes) codes = "429,502,503,504";
  for (const char *p = codes; *p && s->nretriable < MAX_RETRIABLE;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) { p++; continue; }
    s->retriable[s->nretriable++] = v;
    p = end;
  }
  s->rng = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32) ^ (unsigned long long)(size_t)s;
  if (!s->rng) s->rng = 88172645463325252ULL;

  const char *verify = cfg_get(s->cfg, CFG_VERIFY);
  int insecure = cfg_true(cfg_get(s->cfg, CFG_INSECURE)) ||
                 (verify && (strcasecmp(verify, "false") == 0 || strcmp(verify, "0") == 0));
  char ua[128];
  /* curl_version() would initialise LDAP and SASL plugins (~2 ms); the
   * version record does not */
  snprintf(ua, sizeof ua, "ostack-lua/%s libcurl/%s", OSTACK_VERSION, curl_version_info(CURLVERSION_NOW)->version);
  const char *user_ua = cfg_get(s->cfg, CFG_USER_AGENT);
  char full_ua[256];
  snprintf(full_ua, sizeof full_ua, "%s%s%s", user_ua ? user_ua : "", user_ua ? " " : "", ua);
  ostack_http_options o = {0};
  o.connect_timeout_ms = (long)(cfg_number(s->cfg, CFG_CONNECT_TIMEOUT, 10) * 1000);
  o.timeout_ms = (long)(cfg_number(s->cfg, CFG_API_TIMEOUT, 0) * 1000);
  o.low_speed_seconds = (long)cfg_number(s->cfg, CFG_LOW_SPEED_TIME, 60);
  o.low_speed_bytes = (long)cfg_number(s->cfg, CFG_LOW_SPEED_LIMIT, 1);
  o.verify = !insecure;
  o.cacert = cfg_get(s->cfg, CFG_CACERT);
  o.cert = cfg_get(s->cfg, CFG_CERT);
  o.key = cfg_get(s->cfg, CFG_KEY);
  o.user_agent = full_ua;
  o.max_connections = (long)cfg_number(s->cfg, CFG_MAX_CONCURRENCY, 0);
  s->http = ostack_http_new(&o);
  if (!s->http) {
    ostack_session_free(s);
    ostack_error_set(err, "TransportError", "could not initialise libcurl");
    return NULL;
  }
  if (insecure)
    ostack_session_log(s, "WARNING: TLS verification is off (insecure=true): the peer is not authenticated");
  if (cfg_true(cfg_get(s->cfg, CFG_TOKEN_CACHE)) && !auth_is_none(s)) {
    /* everything that selects the token and catalog; the secrets too (as
     * keystoneauth does), so a wrong password never rides on a cached
     * token: they only enter the SHA-256, never the file */
    static const int key_slots[] = {CFG_AUTH_TYPE, CFG_AUTH_URL, CFG_USERNAME, CFG_USER_ID, CFG_USER_DOMAIN_NAME,
                                    CFG_USER_DOMAIN_ID, CFG_PROJECT_NAME, CFG_PROJECT_ID, CFG_PROJECT_DOMAIN_NAME,
                                    CFG_PROJECT_DOMAIN_ID, CFG_DOMAIN_NAME, CFG_DOMAIN_ID, CFG_APP_CRED_ID,
                                    CFG_APP_CRED_NAME, CFG_REGION_NAME, CFG_INTERFACE, CFG_IDENTITY_API_VERSION,
                                    CFG_PASSWORD, CFG_TOKEN, CFG_APP_CRED_SECRET};
    ostack_buf key;
    ostack_buf_init(&key);
    for (size_t i = 0; i < sizeof key_slots / sizeof *key_slots; i++)
      ostack_buf_printf(&key, "%s\n", cfg_get(s->cfg, key_slots[i]) ? cfg_get(s->cfg, key_slots[i]) : "");
    if (ostack_token_cache_path(cfg_get(s->cfg, CFG_TOKEN_CACHE_DIR), key.data, s->cache_path, sizeof s->cache_path))
      s->cache_path[0] = '\0';
    ostack_buf_wipe(&key);
  }
  return s;
}

void ostack_session_free(ostack_session *s) {
  if (!s) return;
  ostack_http_free(s->http);
  ostack_buf_wipe(&s->token);
  clear_catalog(s);
  clear_endpoints(s);
  clear_identity(s);
  ostack_config_free(s->cfg);
  free(s);
}

ostack_http *ostack_session_http(ostack_session *s) { return s->http; }

void ostack_session_token_info(const ostack_session *s, ostack_token_info *out) {
  out->expires_at = s->expires_at;
  out->user_id = s->user_id;
  out->user_name = s->user_name;
  out->project_id = s->project_id;
  out->project_name = s->project_name;
  out->domain_id = s->domain_id;
  out->auth_url = cfg_get(s->cfg, CFG_AUTH_URL);
  out->generation = s->generation;
}

int ostack_session_catalog_entry(const ostack_session *s, size_t i, const char **type, const char **name,
                                 const char **interface, const char **region, const char **url) {
  if (i >= s->ncatalog) return -1;
  const catalog_entry *e = &s->catalog[i];
  *type = e->type; *name = e->name; *interface = e->interface; *region = e->region; *url = e->url;
  return 0;
}

/* ---- calls ------------------------------------------------------------------- */

void ostack_call_init(ostack_call *c) {
  memset(c, 0, sizeof *c);
  ostack_http_request_init(&c->http);
  c->authenticated = 1;
}

static void wipe_headers(struct curl_slist *h) {
  /* the token travels in these strings: do not leave it in freed memory */
  for (struct curl_slist *p = h; p; p = p->next) {
    volatile char *d = p->data;
    while (*d) *d++ = 0;
  }
  curl_slist_free_all(h);
}

void ostack_call_cleanup(ostack_call *c) {
  if (c->http.easy && c->http.pool) ostack_http_cancel(c->http.pool, &c->http);
  ostack_http_request_cleanup(&c->http);
  wipe_headers(c->sent_headers);
  c->sent_headers = NULL;
  free(c->resolved_url);
  c->resolved_url = NULL;
}

static const char *call_method(const ostack_call *c) { return c->method ? c->method : "GET"; }

static int is_idempotent(const ostack_call *c) {
  const char *m = call_method(c);
  return strcmp(m, "POST") != 0 && strcmp(m, "PATCH") != 0;
}

static void fill_request_id(const ostack_call *c, char *out, size_t n) {
  if (ostack_http_header(&c->http, "x-openstack-request-id", out, n) &&
      ostack_http_header(&c->http, "x-compute-request-id", out, n) &&
      ostack_http_header(&c->http, "x-request-id", out, n))
    out[0] = '\0';
}

static void error_context(const ostack_call *c, ostack_error *err) {
  snprintf(err->method, sizeof err->method, "%s", call_method(c));
  snprintf(err->url, sizeof err->url, "%s", c->resolved_url ? c->resolved_url : "");
  err->retries = c->retries;
}

void ostack_session_response_error(const ostack_call *c, ostack_error *err) {
  ostack_error_clear(err);
  char ctype[128] = "";
  ostack_http_header(&c->http, "content-type", ctype, sizeof ctype);
  char msg[sizeof err->message];
  ostack_error_body_message(c->http.body_out.data, c->http.body_out.len, ctype, msg, sizeof msg);
  ostack_error_set(err, ostack_error_class_for_status(c->http.status), "%s",
                   msg[0] ? msg : "the service answered with an error and no message");
  err->status = c->http.status;
  fill_request_id(c, err->request_id, sizeof err->request_id);
  error_context(c, err);
}

static void transport_error(ostack_session *s, const ostack_call *c, ostack_error *err) {
  const ostack_http_request *h = &c->http;
  const char *reason = ostack_http_failure_reason(h);
  ostack_error_clear(err);
  if (h->body_too_large) {
    ostack_error_set(err, "InvalidResponse", "response body exceeds the cap of %zu bytes (max_json_body)",
                     c->max_body ? c->max_body : s->max_json_body);
  } else if (strcmp(reason, "timeout-connect") == 0) {
    ostack_error_set(err, "TransportError", "timed out connecting (connect_timeout): %s", h->errbuf);
  } else if (strcmp(reason, "timeout-low-speed") == 0) {
    ostack_error_set(err, "TransportError", "transfer stalled below the low-speed limit (low_speed_time): %s",
                     h->errbuf);
  } else if (strcmp(reason, "timeout-total") == 0) {
    ostack_error_set(err, "TransportError", "request exceeded the total timeout (api_timeout): %s", h->errbuf);
  } else if (strcmp(reason, "tls") == 0) {
    ostack_error_set(err, "TransportError",
                     "TLS verification failed: %s (name the server's CA with cacert, or set insecure=true)",
                     h->errbuf);
  } else {
    ostack_error_set(err, "TransportError", "%s", h->errbuf[0] ? h->errbuf : reason);
  }
  snprintf(err->reason, sizeof err->reason, "%s", reason);
  error_context(c, err);
}

static int append_header(struct curl_slist **list, const char *fmt, ...) {
  char line[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  struct curl_slist *n = curl_slist_append(*list, line);
  if (!n) return -1;
  *list = n;
  return 0;
}

static void log_request(ostack_session *s, const ostack_call *c) {
  if (!s->tracing) return;
  ostack_buf line;
  ostack_buf_init(&line);
  ostack_buf_printf(&line, "REQ %s %s", call_method(c), c->resolved_url);
  for (struct curl_slist *h = c->sent_headers; h; h = h->next) {
    const char *colon = strchr(h->data, ':');
    size_t n = colon ? (size_t)(colon - h->data) : strlen(h->data);
    if (colon && colon[1] == '\0') continue; /* "Name:" removes a header */
    if (ostack_json_is_secret_key(h->data, n) || strncasecmp(h->data, "X-Auth-Token", n) == 0)
      ostack_buf_printf(&line, " -H '%.*s: ***'", (int)n, h->data);
    else
      ostack_buf_printf(&line, " -H '%s'", h->data);
  }
  if (c->body && c->body_len) {
    ostack_buf_addstr(&line, " -d '");
    ostack_json_redact(c->body, c->body_len, &line);
    ostack_buf_addc(&line, '\'');
  } else if (c->body_file || c->reader) {
    ostack_buf_addstr(&line, " -d <streamed body>");
  }
  ostack_session_log(s, "%s", line.data);
  ostack_buf_free(&line);
}

static void log_response(ostack_session *s, const ostack_call *c) {
  if (!s->tracing) return;
  char rid[128];
  fill_request_id(c, rid, sizeof rid);
  const ostack_http_request *h = &c->http;
  if (h->curl_code != CURLE_OK && !h->status) {
    ostack_session_log(s, "RESP %s %s failed after %.1f ms: %s", call_method(c), c->resolved_url,
                       h->elapsed * 1000, ostack_http_failure_reason(h));
    return;
  }
  ostack_buf line;
  ostack_buf_init(&line);
  ostack_buf_printf(&line, "RESP %ld %s %s %.1f ms%s%s", h->status, call_method(c), c->resolved_url,
                    h->elapsed * 1000, rid[0] ? " request-id=" : "", rid);
  if (h->body_out.len && h->body_out.len <= 8192) {
    ostack_buf_addstr(&line, " body: ");
    ostack_json_redact(h->body_out.data, h->body_out.len, &line);
  } else if (h->body_out.len) {
    ostack_buf_printf(&line, " body: <%zu bytes>", h->body_out.len);
  }
  ostack_session_log(s, "%s", line.data);
  ostack_buf_free(&line);
}

static int ensure_token(ostack_session *s, ostack_error *err) {
  if (auth_is_none(s)) return 0;
  if (s->token.len && (s->expires_at == 0 || time(NULL) < s->expires_at - 120)) return 0;
  return ostack_session_authenticate(s, 1, err);
}

int ostack_call_begin(ostack_session *s, ostack_call *c, ostack_error *err) {
  ostack_error_clear(err);
  if (c->authenticated && !s->authenticating && ensure_token(s, err)) return -1;
  if (!c->resolved_url) {
    ostack_buf url;
    ostack_buf_init(&url);
    if (c->url) {
      ostack_buf_addstr(&url, c->url);
    } else {
      ostack_endpoint ep;
      if (ostack_session_endpoint(s, c->service, &ep, err)) return -1;
      ostack_url_join(&url, ep.url, c->path ? c->path : "");
    }
    c->resolved_url = url.data;
  }
  wipe_headers(c->sent_headers);
  c->sent_headers = NULL;
  for (struct curl_slist *h = c->headers; h; h = h->next) append_header(&c->sent_headers, "%s", h->data);
  int has_body = c->body || c->body_file || c->reader;
  if (has_body) append_header(&c->sent_headers, "Content-Type: %s", c->content_type ? c->content_type : "application/json");
  else append_header(&c->sent_headers, "Content-Type:"); /* no form-encoded default on an empty PUT/POST */
  /* curl sends "Name;" as an empty header ("Name:" would drop it) */
  if (c->accept && !*c->accept) append_header(&c->sent_headers, "Accept;");
  else append_header(&c->sent_headers, "Accept: %s", c->accept ? c->accept : "application/json");
  append_header(&c->sent_headers, "Expect:"); /* no 100-continue round trip for uploads */
  if (c->microversion && c->service) {
    const struct service_type *t = find_service_type(c->service);
    if (t && t->microversion_name)
      append_header(&c->sent_headers, "OpenStack-API-Version: %s %s", t->microversion_name, c->microversion);
    if (t && t->legacy_header) append_header(&c->sent_headers, "%s: %s", t->legacy_header, c->microversion);
  }
  if (c->authenticated && s->token.len) append_header(&c->sent_headers, "X-Auth-Token: %s", s->token.data);
  c->token_generation = s->generation;

  ostack_http_request *h = &c->http;
  h->method = call_method(c);
  h->url = c->resolved_url;
  h->headers = c->sent_headers;
  h->body = c->body;
  h->body_len = c->body_len;
  h->body_file = c->body_file;
  h->body_file_size = c->body_file_size;
  h->reader = c->reader;
  h->reader_ud = c->reader_ud;
  h->writer = c->writer;
  h->writer_ud = c->writer_ud;
  h->max_body = c->max_body ? c->max_body : s->max_json_body;
  /* libcurl silently resends a request whose reused connection died before
   * any answer; for a POST that may already have been acted on, so those
   * always go over a fresh connection */
  h->fresh_connection = !is_idempotent(c);
  log_request(s, c);
  if (ostack_http_start(s->http, h)) {
    ostack_error_set(err, "TransportError", "could not start the request: %s", h->errbuf);
    error_context(c, err);
    return -1;
  }
  return 0;
}

/* ---- retry rules --------------------------------------------------------------- */

typedef enum {
  OUTCOME_OK, OUTCOME_UNAUTHORIZED, OUTCOME_NOT_SENT, OUTCOME_TRANSPORT, OUTCOME_RATE_LIMITED,
  OUTCOME_RETRIABLE_STATUS, OUTCOME_ERROR, OUTCOME_FATAL
} outcome;

typedef enum { BUDGET_REAUTH, BUDGET_CONNECT, BUDGET_STATUS } budget;

/* What happened -> whether and how to try again. A 429 proves the request
 * was refused unprocessed, so even a POST may be resent; any other answer or
 * a failure after the request left may have changed something, so only
 * idempotent methods are retried then. */
static const struct retry_rule {
  outcome when;
  budget counter;
  int idempotent_only;
  int honour_retry_after;
} retry_rules[] = {
  {OUTCOME_UNAUTHORIZED, BUDGET_REAUTH, 0, 0},
  {OUTCOME_NOT_SENT, BUDGET_CONNECT, 0, 0},
  {OUTCOME_TRANSPORT, BUDGET_CONNECT, 1, 0},
  {OUTCOME_RATE_LIMITED, BUDGET_STATUS, 0, 1},
  {OUTCOME_RETRIABLE_STATUS, BUDGET_STATUS, 1, 1},
};

static outcome classify(const ostack_session *s, const ostack_call *c) {
  const ostack_http_request *h = &c->http;
  if (h->curl_code != CURLE_OK) {
    /* a certificate problem does not go away by asking again */
    if (h->body_too_large || h->aborted_by_sink || strcmp(ostack_http_failure_reason(h), "tls") == 0)
      return OUTCOME_FATAL;
    return ostack_http_failed_before_sending(h) ? OUTCOME_NOT_SENT : OUTCOME_TRANSPORT;
  }
  if (h->status < 400) return OUTCOME_OK;
  if (h->status == 401 && c->authenticated && !auth_is_none(s)) return OUTCOME_UNAUTHORIZED;
  for (int i = 0; i < s->nretriable; i++)
    if (s->retriable[i] == h->status) return h->status == 429 ? OUTCOME_RATE_LIMITED : OUTCOME_RETRIABLE_STATUS;
  return OUTCOME_ERROR;
}

static double retry_after_seconds(const ostack_call *c) {
  char v[128];
  if (ostack_http_header(&c->http, "retry-after", v, sizeof v)) return -1;
  char *end;
  double secs = strtod(v, &end);
  if (end != v && *end == '\0') return secs < 0 ? 0 : secs;
  time_t when = curl_getdate(v, NULL);
  if (when == -1) return -1;
  double d = difftime(when, time(NULL));
  return d < 0 ? 0 : d;
}

/* A retry must be able to send the body again and must not hand the
 * response sink a second copy of bytes it already has. */
static int body_rewindable(const ostack_call *c) {
  return (!c->reader || c->http.bytes_uploaded == 0) && (!c->writer || c->http.bytes_to_sink == 0);
}

int ostack_call_finish(ostack_session *s, ostack_call *c, ostack_error *err) {
  log_response(s, c);
  outcome o = classify(s, c);
  if (o == OUTCOME_OK) return OSTACK_CALL_DONE;
  if (o == OUTCOME_UNAUTHORIZED) {
    if (!c->reauthed) {
      c->reauthed = 1;
      /* one re-authentication serves every call that held the old token */
      if (c->token_generation == s->generation) {
        ostack_session_log(s, "token rejected (401): re-authenticating once");
        ostack_error e2;
        if (ostack_session_authenticate(s, 1, &e2)) {
          *err = e2;
          return OSTACK_CALL_FAILED;
        }
      }
      c->wake_at = ostack_now();
      c->retries++;
      c->last_reason = "401";
      return OSTACK_CALL_RETRY;
    }
    ostack_session_response_error(c, err);
    snprintf(err->message + strlen(err->message), sizeof err->message - strlen(err->message),
             " (still unauthorized after re-authenticating)");
    return OSTACK_CALL_FAILED;
  }
  const struct retry_rule *rule = NULL;
  for (size_t i = 0; i < sizeof retry_rules / sizeof *retry_rules; i++)
    if (retry_rules[i].when == o) rule = &retry_rules[i];
  int *tries = rule && rule->counter == BUDGET_CONNECT ? &c->connect_tries : &c->status_tries;
  int budget = rule && rule->counter == BUDGET_CONNECT ? s->connect_retries : s->status_code_retries;
  int allowed = rule && *tries < budget && (!rule->idempotent_only || is_idempotent(c)) && body_rewindable(c);
  if (!allowed) {
    if (c->http.curl_code != CURLE_OK) transport_error(s, c, err);
    else ostack_session_response_error(c, err);
    double ra = retry_after_seconds(c);
    if (ra >= 0) err->retry_after = ra;
    if (c->retries && c->last_reason && !err->reason[0])
      snprintf(err->reason, sizeof err->reason, "%s", c->last_reason);
    return OSTACK_CALL_FAILED;
  }
  (*tries)++;
  double delay = s->backoff_base * (double)(1u << (*tries - 1 < 16 ? *tries - 1 : 16));
  if (delay > s->backoff_cap) delay = s->backoff_cap;
  delay *= 0.5 + 0.5 * random_unit(s); /* jitter keeps many clients from retrying in step */
  if (rule->honour_retry_after) {
    double ra = retry_after_seconds(c);
    if (ra >= 0) delay = ra < s->retry_after_cap ? ra : s->retry_after_cap;
  }
  c->retries++;
  c->last_reason = c->http.curl_code != CURLE_OK ? ostack_http_failure_reason(&c->http) : "status";
  ostack_session_log(s, "retry %d of %s %s in %.2f s (%s%s%ld)", c->retries, call_method(c), c->resolved_url, delay,
                     c->last_reason, c->http.status ? " " : "", c->http.status);
  c->wake_at = ostack_now() + delay;
  return OSTACK_CALL_RETRY;
}

int ostack_session_request(ostack_session *s, ostack_call *c, ostack_error *err) {
  if (ostack_call_begin(s, c, err)) return -1;
  for (;;) {
    ostack_http_wait(s->http, &c->http);
    int r = ostack_call_finish(s, c, err);
    if (r == OSTACK_CALL_DONE) return 0;
    if (r == OSTACK_CALL_FAILED) return -1;
    for (double d; (d = c->wake_at - ostack_now()) > 0;) ostack_http_poll(s->http, (int)(d * 1000) + 1);
    if (ostack_call_begin(s, c, err)) return -1;
  }
}

/* ---- authentication ------------------------------------------------------------ */

static time_t parse_iso8601(const char *s) {
  if (!s) return 0;
  struct tm tm = {0};
  int y, mo, d, h, mi, sec;
  if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
  tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d;
  tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = sec;
  time_t t = timegm(&tm);
  const char *tz = s + 19;
  while (*tz == '.' || isdigit((unsigned char)*tz)) tz++;
  int oh, om;
  if ((*tz == '+' || *tz == '-') && sscanf(tz + 1, "%d:%d", &oh, &om) == 2)
    t -= (*tz == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  return t;
}

static void add_json_member(ostack_buf *b, const char *key, const char *value, int *first) {
  if (!*first) ostack_buf_addc(b, ',');
  *first = 0;
  ostack_json_write_string(b, key, strlen(key));
  ostack_buf_addc(b, ':');
  ostack_json_write_string(b, value, strlen(value));
}

/* {"name":..,"domain":{"id"|"name":..}} or {"id":..} */
static void add_named(ostack_buf *b, const char *id, const char *name, const char *dom_id,
                      const char *dom_name, const char *dflt_domain) {
  int first = 1;
  ostack_buf_addc(b, '{');
  if (id) {
    add_json_member(b, "id", id, &first);
  } else {
    add_json_member(b, "name", name ? name : "", &first);
    ostack_buf_addstr(b, ",\"domain\":{");
    int f2 = 1;
    if (dom_id) add_json_member(b, "id", dom_id, &f2);
    else if (dom_name) add_json_member(b, "name", dom_name, &f2);
    else add_json_member(b, "id", dflt_domain, &f2);
    ostack_buf_addc(b, '}');
  }
  ostack_buf_addc(b, '}');
}

static void v3_scope(const ostack_session *s, ostack_buf *b) {
  const ostack_config *c = s->cfg;
  const char *dflt = cfg_get(c, CFG_DEFAULT_DOMAIN) ? cfg_get(c, CFG_DEFAULT_DOMAIN) : "default";
  if (cfg_get(c, CFG_PROJECT_ID) || cfg_get(c, CFG_PROJECT_NAME)) {
    ostack_buf_addstr(b, ",\"scope\":{\"project\":");
    add_named(b, cfg_get(c, CFG_PROJECT_ID), cfg_get(c, CFG_PROJECT_NAME), cfg_get(c, CFG_PROJECT_DOMAIN_ID),
              cfg_get(c, CFG_PROJECT_DOMAIN_NAME), dflt);
    ostack_buf_addc(b, '}');
  } else if (cfg_get(c, CFG_DOMAIN_ID) || cfg_get(c, CFG_DOMAIN_NAME)) {
    ostack_buf_addstr(b, ",\"scope\":{\"domain\":{");
    int first = 1;
    if (cfg_get(c, CFG_DOMAIN_ID)) add_json_member(b, "id", cfg_get(c, CFG_DOMAIN_ID), &first);
    else add_json_member(b, "name", cfg_get(c, CFG_DOMAIN_NAME), &first);
    ostack_buf_addstr(b, "}}");
  }
}

static int is_v2(const ostack_session *s) {
  const char *t = auth_type(s);
  const char *v = cfg_get(s->cfg, CFG_IDENTITY_API_VERSION);
  const char *u = cfg_get(s->cfg, CFG_AUTH_URL);
  size_t ul = u ? strlen(u) : 0;
  while (ul && u[ul - 1] == '/') ul--;
  return strcmp(t, "v2password") == 0 || strcmp(t, "v2token") == 0 || (v && v[0] == '2') ||
         (ul >= 5 && strncmp(u + ul - 5, "/v2.0", 5) == 0);
}

/* Builds the token request; returns the URL (owned) or NULL with err set. */
static char *auth_request(ostack_session *s, ostack_buf *body, ostack_error *err) {
  const ostack_config *c = s->cfg;
  const char *t = auth_type(s);
  const char *auth_url = cfg_get(c, CFG_AUTH_URL);
  if (!auth_url) {
    ostack_error_set(err, "ConfigError", "auth_url is required for auth_type '%s'", t);
    return NULL;
  }
  char version[16];
  ostack_buf root, url;
  ostack_buf_init(&root);
  ostack_buf_init(&url);
  ostack_url_root(&root, auth_url, version, sizeof version);
  int first = 1;
  if (is_v2(s)) {
    ostack_url_join(&url, version[0] ? auth_url : root.data, version[0] ? "tokens" : "v2.0/tokens");
    ostack_buf_addstr(body, "{\"auth\":{");
    if (cfg_get(c, CFG_TOKEN)) {
      ostack_buf_addstr(body, "\"token\":{");
      add_json_member(body, "id", cfg_get(c, CFG_TOKEN), &first);
      ostack_buf_addc(body, '}');
    } else {
      ostack_buf_addstr(body, "\"passwordCredentials\":{");
      add_json_member(body, "username", cfg_get(c, CFG_USERNAME) ? cfg_get(c, CFG_USERNAME) : "", &first);
      add_json_member(body, "password", cfg_get(c, CFG_PASSWORD) ? cfg_get(c, CFG_PASSWORD) : "", &first);
      ostack_buf_addc(body, '}');
    }
    first = 0;
    if (cfg_get(c, CFG_PROJECT_ID)) add_json_member(body, "tenantId", cfg_get(c, CFG_PROJECT_ID), &first);
    else if (cfg_get(c, CFG_PROJECT_NAME)) add_json_member(body, "tenantName", cfg_get(c, CFG_PROJECT_NAME), &first);
    ostack_buf_addstr(body, "}}");
  } else {
    ostack_url_join(&url, version[0] ? auth_url : root.data, version[0] ? "auth/tokens" : "v3/auth/tokens");
    const char *dflt = cfg_get(c, CFG_DEFAULT_DOMAIN) ? cfg_get(c, CFG_DEFAULT_DOMAIN) : "default";
    ostack_buf_addstr(body, "{\"auth\":{\"identity\":{");
    if (strcmp(t, "v3applicationcredential") == 0 || strcmp(t, "applicationcredential") == 0) {
      if (!cfg_get(c, CFG_APP_CRED_SECRET) || (!cfg_get(c, CFG_APP_CRED_ID) && !cfg_get(c, CFG_APP_CRED_NAME))) {
        ostack_error_set(err, "ConfigError",
                         "auth_type '%s' needs application_credential_secret and application_credential_id "
                         "(or application_credential_name with the user)", t);
        goto fail;
      }
      ostack_buf_addstr(body, "\"methods\":[\"application_credential\"],\"application_credential\":{");
      if (cfg_get(c, CFG_APP_CRED_ID)) {
        add_json_member(body, "id", cfg_get(c, CFG_APP_CRED_ID), &first);
      } else {
        add_json_member(body, "name", cfg_get(c, CFG_APP_CRED_NAME), &first);
        ostack_buf_addstr(body, ",\"user\":");
        add_named(body, cfg_get(c, CFG_USER_ID), cfg_get(c, CFG_USERNAME), cfg_get(c, CFG_USER_DOMAIN_ID),
                  cfg_get(c, CFG_USER_DOMAIN_NAME), dflt);
      }
      add_json_member(body, "secret", cfg_get(c, CFG_APP_CRED_SECRET), &first);
      ostack_buf_addstr(body, "}}");
    } else if (strcmp(t, "v3token") == 0 || strcmp(t, "token") == 0) {
      if (!cfg_get(c, CFG_TOKEN)) {
        ostack_error_set(err, "ConfigError", "auth_type '%s' needs token", t);
        goto fail;
      }
      ostack_buf_addstr(body, "\"methods\":[\"token\"],\"token\":{");
      add_json_member(body, "id", cfg_get(c, CFG_TOKEN), &first);
      ostack_buf_addstr(body, "}}");
      v3_scope(s, body);
    } else if (strcmp(t, "password") == 0 || strcmp(t, "v3password") == 0) {
      if (!cfg_get(c, CFG_USERNAME) && !cfg_get(c, CFG_USER_ID)) {
        ostack_error_set(err, "ConfigError", "auth_type '%s' needs username or user_id", t);
        goto fail;
      }
      ostack_buf_addstr(body, "\"methods\":[\"password\"],\"password\":{\"user\":");
      /* the password goes inside the user object */
      ostack_buf user;
      ostack_buf_init(&user);
      add_named(&user, cfg_get(c, CFG_USER_ID), cfg_get(c, CFG_USERNAME), cfg_get(c, CFG_USER_DOMAIN_ID),
                cfg_get(c, CFG_USER_DOMAIN_NAME), dflt);
      ostack_buf_add(body, user.data, user.len - 1);
      ostack_buf_free(&user);
      ostack_buf_addstr(body, ",\"password\":");
      const char *pw = cfg_get(c, CFG_PASSWORD) ? cfg_get(c, CFG_PASSWORD) : "";
      ostack_json_write_string(body, pw, strlen(pw));
      ostack_buf_addstr(body, "}}}");
      v3_scope(s, body);
    } else {
      ostack_error_set(err, "ConfigError",
                       "unknown auth_type '%s' (expected password, v3password, v2password, token, v3token, "
                       "v3applicationcredential or none)", t);
      goto fail;
    }
    ostack_buf_addstr(body, "}}");
  }
  ostack_buf_free(&root);
  return url.data;
fail:
  ostack_buf_free(&root);
  ostack_buf_free(&url);
  return NULL;
}

static void set_str(char **dst, const char *v) {
  free(*dst);
  *dst = xstrdup(v);
}

static int add_catalog_entry(ostack_session *s, const char *type, const char *name, const char *iface,
                             const char *region, const char *url) {
  if (!type || !url) return 0;
  catalog_entry *n = realloc(s->catalog, (s->ncatalog + 1) * sizeof *n);
  if (!n) return -1;
  s->catalog = n;
  catalog_entry *e = &n[s->ncatalog++];
  e->type = xstrdup(type); e->name = xstrdup(name ? name : "");
  e->interface = xstrdup(iface); e->region = xstrdup(region ? region : ""); e->url = xstrdup(url);
  return 0;
}

static void load_v3(ostack_session *s, const ostack_json *doc) {
  const ostack_json *tok = ostack_json_get(doc, "token");
  s->expires_at = parse_iso8601(ostack_json_str(ostack_json_get(tok, "expires_at")));
  set_str(&s->user_id, ostack_json_str(ostack_json_path(tok, "user.id")));
  set_str(&s->user_name, ostack_json_str(ostack_json_path(tok, "user.name")));
  set_str(&s->project_id, ostack_json_str(ostack_json_path(tok, "project.id")));
  set_str(&s->project_name, ostack_json_str(ostack_json_path(tok, "project.name")));
  set_str(&s->domain_id, ostack_json_str(ostack_json_path(tok, "domain.id")));
  const ostack_json *cat = ostack_json_get(tok, "catalog");
  for (const ostack_json *svc = cat ? cat->child : NULL; svc; svc = svc->next) {
    const ostack_json *eps = ostack_json_get(svc, "endpoints");
    for (const ostack_json *e = eps ? eps->child : NULL; e; e = e->next) {
      const char *region = ostack_json_str(ostack_json_get(e, "region_id"));
      if (!region) region = ostack_json_str(ostack_json_get(e, "region"));
      add_catalog_entry(s, ostack_json_str(ostack_json_get(svc, "type")), ostack_json_str(ostack_json_get(svc, "name")),
                        ostack_json_str(ostack_json_get(e, "interface")), region,
                        ostack_json_str(ostack_json_get(e, "url")));
    }
  }
}

static void load_v2(ostack_session *s, const ostack_json *doc) {
  const ostack_json *access = ostack_json_get(doc, "access");
  const char *id = ostack_json_str(ostack_json_path(access, "token.id"));
  ostack_buf_wipe(&s->token);
  if (id) ostack_buf_addstr(&s->token, id);
  s->expires_at = parse_iso8601(ostack_json_str(ostack_json_path(access, "token.expires")));
  set_str(&s->project_id, ostack_json_str(ostack_json_path(access, "token.tenant.id")));
  set_str(&s->project_name, ostack_json_str(ostack_json_path(access, "token.tenant.name")));
  set_str(&s->user_id, ostack_json_str(ostack_json_path(access, "user.id")));
  set_str(&s->user_name, ostack_json_str(ostack_json_path(access, "user.name")));
  static const struct { const char *key, *iface; } kinds[] = {
    {"publicURL", "public"}, {"internalURL", "internal"}, {"adminURL", "admin"}};
  const ostack_json *cat = ostack_json_get(access, "serviceCatalog");
  for (const ostack_json *svc = cat ? cat->child : NULL; svc; svc = svc->next) {
    const ostack_json *eps = ostack_json_get(svc, "endpoints");
    for (const ostack_json *e = eps ? eps->child : NULL; e; e = e->next)
      for (size_t k = 0; k < 3; k++)
        add_catalog_entry(s, ostack_json_str(ostack_json_get(svc, "type")), ostack_json_str(ostack_json_get(svc, "name")),
                          kinds[k].iface, ostack_json_str(ostack_json_get(e, "region")),
                          ostack_json_str(ostack_json_get(e, kinds[k].key)));
  }
}

/* ---- the on-disk token and discovery cache ------------------------------------ */

static void json_field(ostack_buf *b, const char *key, const char *value) {
  ostack_json_write_string(b, key, strlen(key));
  ostack_buf_addc(b, ':');
  if (value) ostack_json_write_string(b, value, strlen(value));
  else ostack_buf_addstr(b, "null");
  ostack_buf_addc(b, ',');
}

static void json_array_of(ostack_buf *b, const char *const *values, size_t n) {
  ostack_buf_addc(b, '[');
  for (size_t i = 0; i < n; i++) {
    if (i) ostack_buf_addc(b, ',');
    ostack_json_write_string(b, values[i] ? values[i] : "", values[i] ? strlen(values[i]) : 0);
  }
  ostack_buf_addc(b, ']');
}

static void save_cache(ostack_session *s) {
  if (!s->cache_path[0] || !s->token.len) return;
  ostack_buf b;
  ostack_buf_init(&b);
  ostack_buf_addc(&b, '{');
  json_field(&b, "token", s->token.data);
  ostack_buf_printf(&b, "\"expires_at\":%lld,", (long long)s->expires_at);
  json_field(&b, "user_id", s->user_id);
  json_field(&b, "user_name", s->user_name);
  json_field(&b, "project_id", s->project_id);
  json_field(&b, "project_name", s->project_name);
  json_field(&b, "domain_id", s->domain_id);
  ostack_buf_addstr(&b, "\"catalog\":[");
  for (size_t i = 0; i < s->ncatalog; i++) {
    const catalog_entry *e = &s->catalog[i];
    const char *v[] = {e->type, e->name, e->interface, e->region, e->url};
    if (i) ostack_buf_addc(&b, ',');
    json_array_of(&b, v, 5);
  }
  ostack_buf_addstr(&b, "],\"endpoints\":[");
  for (size_t i = 0; i < s->nendpoints; i++) {
    const endpoint_cache *e = &s->endpoints[i];
    const char *v[] = {e->service, e->catalog_url, e->root, e->api_version, e->min_mv, e->max_mv, e->url};
    if (i) ostack_buf_addc(&b, ',');
    json_array_of(&b, v, 7);
  }
  ostack_buf_addstr(&b, "]}");
  if (ostack_token_cache_write(s->cache_path, b.data, b.len))
    ostack_session_log(s, "could not write the token cache");
  ostack_buf_wipe(&b);
}

static const char *nth_str(const ostack_json *arr, int n) {
  const ostack_json *v = arr ? arr->child : NULL;
  while (v && n-- > 0) v = v->next;
  return ostack_json_str(v);
}

/* Loads a cached token that is good for more than 2 minutes. */
static int load_cache(ostack_session *s) {
  ostack_buf b;
  ostack_buf_init(&b);
  if (ostack_token_cache_read(s->cache_path, &b)) {
    ostack_buf_free(&b);
    return -1;
  }
  ostack_json *doc = ostack_json_parse_tree(b.data, b.len, NULL);
  ostack_buf_wipe(&b);
  const ostack_json *exp = ostack_json_get(doc, "expires_at");
  const char *token = ostack_json_str(ostack_json_get(doc, "token"));
  if (!doc || !exp || exp->type != OSTACK_JSON_INT || !token || time(NULL) >= (time_t)exp->i - 120) {
    ostack_json_free(doc);
    return -1;
  }
  ostack_buf_wipe(&s->token);
  ostack_buf_addstr(&s->token, token);
  s->expires_at = (time_t)exp->i;
  clear_catalog(s);
  clear_identity(s);
  set_str(&s->user_id, ostack_json_str(ostack_json_get(doc, "user_id")));
  set_str(&s->user_name, ostack_json_str(ostack_json_get(doc, "user_name")));
  set_str(&s->project_id, ostack_json_str(ostack_json_get(doc, "project_id")));
  set_str(&s->project_name, ostack_json_str(ostack_json_get(doc, "project_name")));
  set_str(&s->domain_id, ostack_json_str(ostack_json_get(doc, "domain_id")));
  const ostack_json *cat = ostack_json_get(doc, "catalog");
  for (const ostack_json *e = cat ? cat->child : NULL; e; e = e->next)
    add_catalog_entry(s, nth_str(e, 0), nth_str(e, 1), nth_str(e, 2), nth_str(e, 3), nth_str(e, 4));
  const ostack_json *eps = ostack_json_get(doc, "endpoints");
  for (const ostack_json *e = eps ? eps->child : NULL; e; e = e->next) {
    if (!nth_str(e, 6)) continue;
    endpoint_cache *n = realloc(s->endpoints, (s->nendpoints + 1) * sizeof *n);
    if (!n) break;
    s->endpoints = n;
    endpoint_cache *ec = &n[s->nendpoints++];
    memset(ec, 0, sizeof *ec);
    ec->service = xstrdup(nth_str(e, 0)); ec->catalog_url = xstrdup(nth_str(e, 1)); ec->root = xstrdup(nth_str(e, 2));
    ec->api_version = xstrdup(nth_str(e, 3)); ec->min_mv = xstrdup(nth_str(e, 4)); ec->max_mv = xstrdup(nth_str(e, 5));
    ec->url = xstrdup(nth_str(e, 6));
    ec->ep = (ostack_endpoint){ec->service, ec->url, ec->catalog_url, ec->root, ec->api_version, ec->min_mv, ec->max_mv};
  }
  ostack_json_free(doc);
  s->generation++;
  ostack_session_log(s, "using the cached token (expires at %ld) and %zu cached endpoints", (long)s->expires_at,
                     s->nendpoints);
  return 0;
}

int ostack_session_authenticate(ostack_session *s, int force, ostack_error *err) {
  ostack_error_clear(err);
  if (auth_is_none(s)) return 0;
  if (s->cache_path[0] && !s->token.len && !s->cache_tried) {
    s->cache_tried = 1;
    if (load_cache(s) == 0) return 0;
  }
  if (!force && s->token.len && (s->expires_at == 0 || time(NULL) < s->expires_at - 120)) return 0;
  ostack_buf body;
  ostack_buf_init(&body);
  char *url = auth_request(s, &body, err);
  if (!url) {
    ostack_buf_wipe(&body);
    return -1;
  }
  ostack_call c;
  ostack_call_init(&c);
  c.url = url;
  c.method = "POST";
  c.body = body.data;
  c.body_len = body.len;
  c.authenticated = 0;
  s->authenticating = 1;
  int rc = ostack_session_request(s, &c, err);
  s->authenticating = 0;
  ostack_buf_wipe(&body);
  if (rc) {
    if (err->status == 401)
      snprintf(err->message, sizeof err->message, "authentication failed at %s for user '%s': the credentials were rejected",
               url, cfg_get(s->cfg, CFG_USERNAME) ? cfg_get(s->cfg, CFG_USERNAME)
                    : cfg_get(s->cfg, CFG_USER_ID) ? cfg_get(s->cfg, CFG_USER_ID) : "?");
    free(url);
    ostack_call_cleanup(&c);
    return -1;
  }
  ostack_json_error jerr;
  ostack_json *doc = ostack_json_parse_tree(c.http.body_out.data, c.http.body_out.len, &jerr);
  if (!doc) {
    ostack_error_set(err, "InvalidResponse", "the identity service answered with invalid JSON: %s", jerr.message);
    err->status = c.http.status;
    error_context(&c, err);
    free(url);
    ostack_call_cleanup(&c);
    return -1;
  }
  /* discovered endpoints stay: a renewed token rarely moves the services */
  clear_catalog(s);
  clear_identity(s);
  if (is_v2(s)) {
    load_v2(s, doc);
  } else {
    char tok[8192];
    ostack_buf_wipe(&s->token);
    if (ostack_http_header(&c.http, "x-subject-token", tok, sizeof tok) == 0) {
      ostack_buf_addstr(&s->token, tok);
      memset(tok, 0, sizeof tok);
    }
    load_v3(s, doc);
  }
  ostack_json_free(doc);
  int ok = s->token.len > 0;
  if (!ok) {
    ostack_error_set(err, "InvalidResponse", "the identity service returned no token");
    error_context(&c, err);
  } else {
    s->generation++;
    save_cache(s);
    ostack_session_log(s, "authenticated as %s, project %s; token expires at %ld, %zu catalog endpoints",
                       s->user_name ? s->user_name : s->user_id ? s->user_id : "?",
                       s->project_name ? s->project_name : s->project_id ? s->project_id : "(unscoped)",
                       (long)s->expires_at, s->ncatalog);
  }
  free(url);
  ostack_call_cleanup(&c);
  return ok ? 0 : -1;
}

/* ---- endpoints and discovery --------------------------------------------------- */

static const char *interface_name(const ostack_session *s) {
  const char *i = cfg_get(s->cfg, CFG_INTERFACE);
  if (!i) return "public";
  if (strncmp(i, "public", 6) == 0) return "public";
  if (strncmp(i, "internal", 8) == 0) return "internal";
  if (strncmp(i, "admin", 5) == 0) return "admin";
  return i;
}

/* Replaces %(project_id)s, $(project_id)s and {project_id} in an override. */
static char *expand_template(const ostack_session *s, const char *tpl) {
  static const char *const forms[] = {"%(project_id)s", "$(project_id)s", "{project_id}", "%(tenant_id)s",
                                      "$(tenant_id)s"};
  ostack_buf out;
  ostack_buf_init(&out);
  ostack_buf_addstr(&out, "");
  for (const char *p = tpl; *p;) {
    size_t i;
    for (i = 0; i < sizeof forms / sizeof *forms; i++)
      if (strncmp(p, forms[i], strlen(forms[i])) == 0) break;
    if (i < sizeof forms / sizeof *forms) {
      ostack_buf_addstr(&out, s->project_id ? s->project_id : "");
      p += strlen(forms[i]);
    } else {
      ostack_buf_addc(&out, *p++);
    }
  }
  return out.data;
}

static char *find_catalog_url(ostack_session *s, const struct service_type *t, const char *name,
                              ostack_error *err) {
  const char *iface = interface_name(s);
  const char *region = cfg_get(s->cfg, CFG_REGION_NAME);
  const char *const single[] = {name, NULL};
  const char *const *aliases = t ? t->aliases : single;
  for (const char *const *a = aliases; *a; a++)
    for (size_t i = 0; i < s->ncatalog; i++) {
      const catalog_entry *e = &s->catalog[i];
      if (strcmp(e->type, *a) == 0 && e->interface && strcmp(e->interface, iface) == 0 &&
          (!region || strcmp(e->region, region) == 0))
        return strdup(e->url);
    }
  ostack_buf types;
  ostack_buf_init(&types);
  ostack_buf_addstr(&types, "");
  for (size_t i = 0; i < s->ncatalog; i++) {
    size_t j;
    for (j = 0; j < i; j++)
      if (strcmp(s->catalog[j].type, s->catalog[i].type) == 0) break;
    if (j == i) ostack_buf_printf(&types, "%s%s", types.len ? ", " : "", s->catalog[i].type);
  }
  ostack_error_set(err, "EndpointNotFound",
                   "no '%s' endpoint with interface '%s'%s%s in the service catalog (it has: %s); "
                   "set %s_endpoint_override to name one",
                   t ? t->type : name, iface, region ? " in region " : "", region ? region : "",
                   types.len ? types.data : "nothing", t ? t->aliases[0] : name);
  ostack_buf_free(&types);
  return NULL;
}

static int version_major(const char *id) {
  while (*id && !isdigit((unsigned char)*id)) id++;
  return atoi(id);
}

static int compare_versions(const char *a, const char *b) {
  while (*a && !isdigit((unsigned char)*a)) a++;
  while (*b && !isdigit((unsigned char)*b)) b++;
  int amaj = atoi(a), bmaj = atoi(b);
  if (amaj != bmaj) return amaj < bmaj ? -1 : 1;
  const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
  int amin = ad ? atoi(ad + 1) : 0, bmin = bd ? atoi(bd + 1) : 0;
  return amin < bmin ? -1 : amin > bmin;
}

/* Reads the unversioned root's version document and picks the entry that
 * matches the endpoint's version (or, for Glance's root, the newest CURRENT). */
static void discover(ostack_session *s, endpoint_cache *ec, const struct service_type *t) {
  ostack_call c;
  ostack_call_init(&c);
  c.url = ec->root;
  c.authenticated = 0;
  c.ok_300 = 1;
  ostack_error err;
  int saved = s->connect_retries;
  s->connect_retries = 0; /* a missing document is not worth waiting for */
  int rc = ostack_session_request(s, &c, &err);
  s->connect_retries = saved;
  if (rc && c.http.status != 300) {
    ostack_session_log(s, "version discovery at %s failed: %s", ec->root, err.message);
    ostack_call_cleanup(&c);
    return;
  }
  ostack_json *doc = ostack_json_parse_tree(c.http.body_out.data, c.http.body_out.len, NULL);
  const ostack_json *list = ostack_json_get(doc, "versions");
  if (list && list->type == OSTACK_JSON_OBJECT) list = ostack_json_get(list, "values"); /* Keystone */
  const ostack_json *single = ostack_json_get(doc, "version");
  const ostack_json *best = NULL;
  const char *want = ec->api_version;
  for (const ostack_json *v = list ? list->child : single; v; v = list ? v->next : NULL) {
    const char *id = ostack_json_str(ostack_json_get(v, "id"));
    const char *status = ostack_json_str(ostack_json_get(v, "status"));
    if (!id) continue;
    if (want && *want) {
      if (strcasecmp(id, want) == 0) { best = v; break; }
      if (version_major(id) == version_major(want) &&
          (!best || (status && strcasecmp(status, "CURRENT") == 0)))
        best = v;
    } else if (status && (strcasecmp(status, "CURRENT") == 0 || strcasecmp(status, "SUPPORTED") == 0)) {
      if (!best || compare_versions(ostack_json_str(ostack_json_get(best, "id")), id) < 0) best = v;
    }
    if (!list) break;
  }
  if (best) {
    /* Placement says max_version where Nova and Cinder say version */
    const char *max = ostack_json_str(ostack_json_get(best, "version"));
    if (!max || !*max) max = ostack_json_str(ostack_json_get(best, "max_version"));
    const char *min = ostack_json_str(ostack_json_get(best, "min_version"));
    set_str(&ec->max_mv, max ? max : "");
    set_str(&ec->min_mv, min ? min : "");
    if (!want || !*want) set_str(&ec->api_version, ostack_json_str(ostack_json_get(best, "id")));
  } else {
    ostack_session_log(s, "version discovery at %s: no usable version document", ec->root);
  }
  (void)t;
  ostack_json_free(doc);
  ostack_call_cleanup(&c);
}

static const char *override_for(const ostack_session *s, const char *canon) {
  for (int i = 0; i < s->cfg->noverrides; i++)
    if (strcmp(s->cfg->overrides[i].service, canon) == 0) return s->cfg->overrides[i].value;
  return NULL;
}

int ostack_session_endpoint(ostack_session *s, const char *service, ostack_endpoint *out, ostack_error *err) {
  if (!service) {
    ostack_error_set(err, "InvalidArgument", "a service type or an absolute url is required");
    return -1;
  }
  const struct service_type *t = find_service_type(service);
  const char *canon = t ? t->type : service;
  /* authenticating first may bring the endpoints from the token cache */
  if (!auth_is_none(s) && !s->authenticating && ensure_token(s, err)) return -1;
  for (size_t i = 0; i < s->nendpoints; i++)
    if (strcmp(s->endpoints[i].service, canon) == 0) {
      *out = s->endpoints[i].ep;
      return 0;
    }
  char *catalog_url = NULL;
  const char *ovr = override_for(s, canon);
  if (ovr) {
    catalog_url = expand_template(s, ovr);
  } else if (auth_is_none(s)) {
    const char *generic = cfg_get(s->cfg, CFG_ENDPOINT);
    if (!generic) {
      ostack_error_set(err, "EndpointNotFound",
                       "auth_type 'none' has no catalog: set %s_endpoint_override for the '%s' service",
                       t ? t->aliases[0] : service, canon);
      return -1;
    }
    catalog_url = expand_template(s, generic);
  } else {
    if (!(catalog_url = find_catalog_url(s, t, service, err))) return -1;
  }
  endpoint_cache *n = realloc(s->endpoints, (s->nendpoints + 1) * sizeof *n);
  if (!n) {
    free(catalog_url);
    ostack_error_set(err, "OpenStackError", "out of memory");
    return -1;
  }
  s->endpoints = n;
  endpoint_cache *ec = &n[s->nendpoints];
  memset(ec, 0, sizeof *ec);
  ec->service = strdup(canon);
  ec->catalog_url = catalog_url;
  char version[32];
  ostack_buf root;
  ostack_buf_init(&root);
  ostack_url_root(&root, catalog_url, version, sizeof version);
  ec->root = root.data;
  ec->api_version = strdup(version);
  ec->min_mv = strdup("");
  ec->max_mv = strdup("");
  discover(s, ec, t);
  /* Glance's request paths carry /v2 themselves, so they hang from the root */
  ec->url = strdup(t && t->base_is_root ? ec->root : catalog_url);
  ec->ep.service_type = ec->service;
  ec->ep.url = ec->url;
  ec->ep.catalog_url = ec->catalog_url;
  ec->ep.root = ec->root;
  ec->ep.api_version = ec->api_version;
  ec->ep.min_microversion = ec->min_mv;
  ec->ep.max_microversion = ec->max_mv;
  s->nendpoints++;
  *out = ec->ep;
  save_cache(s);
  return 0;
}
