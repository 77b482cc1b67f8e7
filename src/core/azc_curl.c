/*
 * azc_curl.c - the native CurlTransport (synchronous driving of a curl multi handle).
 *
 * Ownership: a transport is referenced by its users and by every live transfer, so closing or
 * unreferencing it while a response is still streaming is safe; the multi and share handles are
 * released when the transport is closed and the last transfer has ended. A transfer is referenced
 * by the caller's handle and by the response body source it feeds.
 *
 * Callbacks only move bytes between C buffers and set flags; everything else (error
 * classification, timeouts, pausing) happens in the driving loop, outside curl callbacks.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "azc_curl.h"

#include <curl/curl.h>
#if LIBCURL_VERSION_NUM < 0x075000
#error "azc_curl.c needs libcurl >= 7.80 (CURLOPT_PREREQFUNCTION)"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 8                     /* idle easy handles kept per transport */
#define HIGH_WATER_MIN (64 * 1024)     /* stream buffer bound: max(block_size * 4, this) */
#define NO_CONNECT_TIMEOUT 0x7fffffffL /* curl treats 0 as "its default", not "none" */

/* A byte queue: appended at the end, consumed from `off` (no memmove per read). */
typedef struct fifo {
  azc_buf b;
  size_t off;
} fifo;

struct azc_curl {
  int refs;
  int closed;
  size_t live; /* transfers alive, each holding a reference */
  CURLM *multi;
  CURLSH *share;
  CURL *pool[POOL_MAX];
  unsigned char pool_plain[POOL_MAX]; /* the handle still holds the plain-GET setup */
  size_t npool;
  azc_curl_config cfg; /* strings owned */
  /* proxy settings read from the environment once, when the transport is created (a running
   * Lua program cannot change its environment; requests rereads it on every call) */
  char *env_http_proxy, *env_https_proxy, *env_no_proxy;
};

struct azc_xfer {
  int refs; /* the caller's handle + the response's body source */
  azc_curl *t;
  CURL *easy; /* NULL once the transfer ended (handle back in the pool) */
  azc_request *req;
  struct curl_slist *hdr_list; /* nodes and strings in the one block hdr_block */
  char *hdr_block;
  int stream;
  size_t high_water;
  long read_timeout_ms;

  /* request body */
  azc_body_kind kind;
  fifo feed;
  int feed_eof;
  int64_t fed_sent;
  int read_paused, need_body;
  azc_code body_rc; /* a body reader's failure */

  int plain; /* set up as a plain GET with the transport's settings (the handle can skip reset) */

  /* response head */
  int in_head, head_status, headers_done, source_set;
  azc_response *resp; /* owned until azc_xfer_response hands it out */

  /* response body */
  fifo body;
  int write_paused;

  unsigned long activity; /* bumped by callbacks: the idle timer restarts when it changes */
  int connected;          /* a connection was established (the request may have been sent) */
  int done, failed;
  azc_code cb_rc; /* set by a callback that aborted the transfer; message in err */
  azc_error err;
  char errbuf[CURL_ERROR_SIZE];
};

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t fifo_avail(const fifo *f) { return f->b.len - f->off; }

static void fifo_consume(fifo *f, size_t n) {
  f->off += n;
  if (f->off >= f->b.len) {
    f->off = f->b.len = 0;
  } else if (f->off > 65536 && f->off > f->b.len / 2) {
    azc_buf_consume(&f->b, f->off); /* compact now and then, amortised */
    f->off = 0;
  }
}

static char *dup_opt(const char *s) { return s ? azc__strndup(s, strlen(s)) : NULL; }

static int is_ws(char c) { return c == ' ' || c == '\t'; }

/* Name of a CURLcode for error records; unknown codes get "CURLE_<n>". */
#define D10(p)                                                                                     \
  "CURLE_" #p "0", "CURLE_" #p "1", "CURLE_" #p "2", "CURLE_" #p "3", "CURLE_" #p "4",             \
      "CURLE_" #p "5", "CURLE_" #p "6", "CURLE_" #p "7", "CURLE_" #p "8", "CURLE_" #p "9"
static const char *const numbered[] = {D10(),  D10(1), D10(2), D10(3),  D10(4),  D10(5), D10(6),
                                       D10(7), D10(8), D10(9), D10(10), D10(11), D10(12)};
/* clang-format off */
#define N(c) {c, #c}
static const struct {
  CURLcode code;
  const char *name;
} names[] = {
    N(CURLE_OK), N(CURLE_UNSUPPORTED_PROTOCOL), N(CURLE_FAILED_INIT), N(CURLE_URL_MALFORMAT),
    N(CURLE_COULDNT_RESOLVE_PROXY), N(CURLE_COULDNT_RESOLVE_HOST), N(CURLE_COULDNT_CONNECT),
    N(CURLE_WEIRD_SERVER_REPLY), N(CURLE_HTTP2), N(CURLE_PARTIAL_FILE), N(CURLE_WRITE_ERROR),
    N(CURLE_UPLOAD_FAILED), N(CURLE_READ_ERROR), N(CURLE_OUT_OF_MEMORY),
    N(CURLE_OPERATION_TIMEDOUT), N(CURLE_RANGE_ERROR), N(CURLE_SSL_CONNECT_ERROR),
    N(CURLE_ABORTED_BY_CALLBACK), N(CURLE_BAD_FUNCTION_ARGUMENT), N(CURLE_TOO_MANY_REDIRECTS),
    N(CURLE_GOT_NOTHING), N(CURLE_SSL_ENGINE_NOTFOUND), N(CURLE_SEND_ERROR), N(CURLE_RECV_ERROR),
    N(CURLE_SSL_CERTPROBLEM), N(CURLE_SSL_CIPHER), N(CURLE_PEER_FAILED_VERIFICATION),
    N(CURLE_BAD_CONTENT_ENCODING), N(CURLE_SEND_FAIL_REWIND), N(CURLE_LOGIN_DENIED),
    N(CURLE_SSL_CACERT_BADFILE), N(CURLE_SSL_SHUTDOWN_FAILED), N(CURLE_AGAIN),
    N(CURLE_SSL_CRL_BADFILE), N(CURLE_SSL_ISSUER_ERROR), N(CURLE_HTTP2_STREAM),
    N(CURLE_SSL_PINNEDPUBKEYNOTMATCH), N(CURLE_SSL_INVALIDCERTSTATUS), N(CURLE_HTTP3),
    N(CURLE_PROXY), N(CURLE_SSL_CLIENTCERT)};
#undef N
/* clang-format on */

static const char *curl_name(CURLcode c) {
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].code == c)
      return names[i].name;
  if ((size_t)c < sizeof numbered / sizeof numbered[0])
    return numbered[c];
  return "CURLE_UNKNOWN";
}

/* ---- the transport ---------------------------------------------------------------------- */

void azc_curl_config_init(azc_curl_config *out_cfg) {
  memset(out_cfg, 0, sizeof *out_cfg);
  out_cfg->connection_timeout_ms = 300000;
  out_cfg->read_timeout_ms = 300000;
  out_cfg->verify = 1;
  out_cfg->use_env_settings = 1;
  out_cfg->block_size = 4096;
}

void azc_send_options_init(azc_send_options *out_opts) {
  memset(out_opts, 0, sizeof *out_opts);
  out_opts->connection_timeout_ms = -1;
  out_opts->read_timeout_ms = -1;
  out_opts->verify = -1;
}

static char *env_proxy(const char *lower, const char *upper);

static void free_cfg(azc_curl_config *c) {
  free((char *)c->ca_file);
  free((char *)c->cert_file);
  free((char *)c->key_file);
  free((char *)c->http_proxy);
  free((char *)c->https_proxy);
  free((char *)c->no_proxy);
}

/* The multi and share handles go last: after every easy handle that used them. */
static void release_handles(azc_curl *t) {
  while (t->npool)
    curl_easy_cleanup(t->pool[--t->npool]);
  if (t->live)
    return;
  free(t->env_http_proxy);
  free(t->env_https_proxy);
  free(t->env_no_proxy);
  t->env_http_proxy = t->env_https_proxy = t->env_no_proxy = NULL;
  if (t->multi)
    curl_multi_cleanup(t->multi);
  if (t->share)
    curl_share_cleanup(t->share);
  t->multi = NULL;
  t->share = NULL;
}

azc_curl *azc_curl_new(const azc_curl_config *cfg, azc_error *out_err) {
  static int global_done;
  azc_curl_config defaults;
  azc_curl *t;
  if (!cfg) {
    azc_curl_config_init(&defaults);
    cfg = &defaults;
  }
  if (cfg->connection_timeout_ms < 0 || cfg->read_timeout_ms < 0 || cfg->block_size == 0) {
    azc_error_set(out_err, AZC_ERR_VALUE, "timeouts must be >= 0 and block_size > 0");
    return NULL;
  }
  if (!global_done) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      azc_error_set(out_err, AZC_ERR_NOMEM, "curl_global_init failed");
      return NULL;
    }
    global_done = 1;
  }
  t = calloc(1, sizeof *t);
  if (!t) {
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  t->refs = 1;
  t->cfg = *cfg;
  t->cfg.ca_file = dup_opt(cfg->ca_file);
  t->cfg.cert_file = dup_opt(cfg->cert_file);
  t->cfg.key_file = dup_opt(cfg->key_file);
  t->cfg.http_proxy = dup_opt(cfg->http_proxy);
  t->cfg.https_proxy = dup_opt(cfg->https_proxy);
  t->cfg.no_proxy = dup_opt(cfg->no_proxy);
  t->multi = curl_multi_init();
  t->share = curl_share_init();
  if (cfg->use_env_settings) {
    t->env_http_proxy = env_proxy("http_proxy", "HTTP_PROXY");
    t->env_https_proxy = env_proxy("https_proxy", "HTTPS_PROXY");
    t->env_no_proxy = env_proxy("no_proxy", "NO_PROXY");
  }
  if (!t->multi || !t->share || (cfg->ca_file && !t->cfg.ca_file) ||
      (cfg->cert_file && !t->cfg.cert_file) || (cfg->key_file && !t->cfg.key_file) ||
      (cfg->http_proxy && !t->cfg.http_proxy) || (cfg->https_proxy && !t->cfg.https_proxy) ||
      (cfg->no_proxy && !t->cfg.no_proxy)) {
    azc_curl_unref(t);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  /* Connections live in the multi handle's cache; the share adds DNS, TLS sessions, cookies. */
  curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  return t;
}

azc_curl *azc_curl_ref(azc_curl *t) {
  if (t)
    t->refs++;
  return t;
}

void azc_curl_close(azc_curl *t) {
  if (!t || t->closed)
    return;
  t->closed = 1;
  release_handles(t);
}

void azc_curl_unref(azc_curl *t) {
  if (!t || --t->refs > 0)
    return;
  t->closed = 1;
  release_handles(t); /* live == 0 here: every transfer holds a reference */
  free_cfg(&t->cfg);
  free(t);
}

size_t azc_curl_block_size(const azc_curl *t) { return t->cfg.block_size; }
long azc_curl_connection_timeout_ms(const azc_curl *t) { return t->cfg.connection_timeout_ms; }

/* libcurl 7.88's reset drops the list of cookie files without freeing it: free it first */
static void easy_reset(CURL *e) {
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, (char *)NULL);
  curl_easy_reset(e);
}

/* A pooled handle, preferring one that still holds the plain-GET setup when @p plain. */
static CURL *easy_take(azc_curl *t, int plain, int *out_was_plain) {
  size_t i;
  CURL *e;
  *out_was_plain = 0;
  if (!t->npool)
    return curl_easy_init();
  i = t->npool - 1;
  if (plain) {
    size_t j;
    for (j = t->npool; j-- > 0;)
      if (t->pool_plain[j]) {
        i = j;
        break;
      }
  }
  e = t->pool[i];
  *out_was_plain = t->pool_plain[i];
  t->pool[i] = t->pool[t->npool - 1];
  t->pool_plain[i] = t->pool_plain[t->npool - 1];
  t->npool--;
  return e;
}

/* Back to the pool. The multi handle keeps the connection, so the next request on the same host
 * reuses it. A handle set up as a plain GET keeps that setup (the next plain GET only changes the
 * per-transfer options); any other is reset, forgetting the transfer and its pointers. */
static void easy_put(azc_curl *t, CURL *e, int plain) {
  if (!t->closed && t->npool < POOL_MAX) {
    if (!plain)
      easy_reset(e);
    t->pool[t->npool] = e;
    t->pool_plain[t->npool] = (unsigned char)plain;
    t->npool++;
  } else {
    curl_easy_cleanup(e);
  }
}

/* ---- errors ----------------------------------------------------------------------------- */

/* BEHAVIOR §6.1: was the request sent? `connected` is set once a connection (through any proxy
 * tunnel and TLS) was ready for the request, so failures before it are "not sent". */
static azc_code classify(const azc_xfer *x, CURLcode c) {
  switch (c) {
  case CURLE_OUT_OF_MEMORY:
    return AZC_ERR_NOMEM;
  case CURLE_URL_MALFORMAT:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_PROXY:
  case CURLE_LOGIN_DENIED:
    return AZC_ERR_SERVICE_REQUEST;
  case CURLE_OPERATION_TIMEDOUT:
    return x->connected ? AZC_ERR_SERVICE_RESPONSE_TIMEOUT : AZC_ERR_SERVICE_REQUEST_TIMEOUT;
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_FAIL_REWIND:
    return AZC_ERR_SERVICE_RESPONSE;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    /* TLS 1.3 servers reject a client certificate after the client finished its handshake: the
     * alert arrives as a receive error, yet it is a handshake failure (nothing was answered). */
    if (x->connected && !x->in_head && !x->headers_done && strstr(x->errbuf, "SSL") &&
        strstr(x->errbuf, "alert"))
      return AZC_ERR_SERVICE_REQUEST;
    return x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST;
  default:
    /* malformed replies (WEIRD_SERVER_REPLY, HTTP/0.9 as UNSUPPORTED_PROTOCOL), HTTP/2 errors */
    return x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST;
  }
}

static void set_curl_err(azc_xfer *x, azc_code code, CURLcode c, const char *msg) {
  azc_error_set(&x->err, code, "%s", msg);
  x->err.curl_code = (int)c;
  x->err.curl_name = curl_name(c);
}

/* The transfer ended with curl's result @p c: record the outcome. Handle still attached. */
static void record_result(azc_xfer *x, CURLcode c) {
  if (c == CURLE_OK) {
    if (!x->headers_done) {
      x->failed = 1;
      set_curl_err(x, AZC_ERR_SERVICE_RESPONSE, CURLE_GOT_NOTHING, "no response from the server");
    }
    return;
  }
  x->failed = 1;
  if (x->cb_rc != AZC_OK) { /* a callback already explained it */
    x->err.curl_code = (int)c;
    x->err.curl_name = curl_name(c);
  } else if (x->body_rc != AZC_OK) {
    set_curl_err(x, x->body_rc, c, "reading the request body failed");
  } else {
    long connect_code = 0;
    char msg[AZC_ERROR_MESSAGE_MAX];
    const char *text = x->errbuf[0] ? x->errbuf : curl_easy_strerror(c);
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    if (!x->connected && connect_code >= 300)
      snprintf(msg, sizeof msg, "%s (proxy answered %ld)", text, connect_code);
    else
      snprintf(msg, sizeof msg, "%s", text);
    set_curl_err(x, classify(x, c), c, msg);
  }
}

/* Detach from the multi handle: an unfinished transfer's connection is closed by curl. */
static void detach(azc_xfer *x) {
  if (x->easy) {
    curl_multi_remove_handle(x->t->multi, x->easy);
    easy_put(x->t, x->easy, x->plain && !x->failed);
    x->easy = NULL;
  }
  x->done = 1;
}

static void fail_now(azc_xfer *x, azc_code code, CURLcode c, const char *msg) {
  if (!x->done) {
    x->failed = 1;
    set_curl_err(x, code, c, msg);
    detach(x);
  }
}

/* ---- curl callbacks: bytes and flags only ----------------------------------------------- */

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
  azc_xfer *x = ud;
  size_t cap = size * n, got = 0;
  if (x->kind == AZC_BODY_FEED) {
    size_t avail = fifo_avail(&x->feed);
    if (avail == 0) {
      if (x->feed_eof)
        return 0;
      x->read_paused = x->need_body = 1;
      return CURL_READFUNC_PAUSE;
    }
    got = avail < cap ? avail : cap;
    memcpy(buf, x->feed.b.data + x->feed.off, got);
    fifo_consume(&x->feed, got);
    x->fed_sent += (int64_t)got;
  } else {
    azc_code rc = azc_request_read_body(x->req, buf, cap, &got);
    if (rc != AZC_OK) {
      x->body_rc = rc;
      return CURL_READFUNC_ABORT;
    }
  }
  x->activity++;
  return got;
}

/* curl rewinds when it resends on a fresh connection (a reused one had been closed). */
static int on_seek(void *ud, curl_off_t off, int origin) {
  azc_xfer *x = ud;
  if (off != 0 || origin != SEEK_SET)
    return CURL_SEEKFUNC_CANTSEEK;
  if (x->kind == AZC_BODY_FEED)
    return x->fed_sent == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
  if (!azc_request_can_rewind(x->req))
    return CURL_SEEKFUNC_CANTSEEK;
  return azc_request_rewind(x->req, NULL) == AZC_OK ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port) {
  azc_xfer *x = ud;
  (void)ip, (void)local_ip, (void)port, (void)local_port;
  x->connected = 1;
  x->activity++;
  return CURL_PREREQFUNC_OK;
}

static int parse_status(const char *p, size_t n, int *out_status, size_t *out_reason) {
  size_t i = 5;
  if (n < 10 || memcmp(p, "HTTP/", 5) != 0) /* "HTTP/2 200" */
    return 0;
  while (i < n && p[i] != ' ')
    i++;
  while (i < n && p[i] == ' ')
    i++;
  if (i + 3 > n || p[i] < '1' || p[i] > '9' || p[i + 1] < '0' || p[i + 1] > '9' || p[i + 2] < '0' ||
      p[i + 2] > '9' || (i + 3 < n && p[i + 3] != ' '))
    return 0;
  *out_status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
  *out_reason = i + 3 < n ? i + 4 : n;
  return 1;
}

static size_t head_fail(azc_xfer *x, azc_code code, const char *msg) {
  x->cb_rc = code;
  azc_error_set(&x->err, code, "%s", msg);
  return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
}

static size_t on_header(char *p, size_t size, size_t count, void *ud) {
  azc_xfer *x = ud;
  size_t len = size * count, n = len, r;
  x->activity++;
  if (x->headers_done)
    return len; /* trailers */
  while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
    n--;
  if (!x->in_head) {
    int status;
    if (n == 0)
      return len;
    if (!parse_status(p, n, &status, &r))
      return head_fail(x, AZC_ERR_SERVICE_RESPONSE, "malformed HTTP status line");
    x->in_head = 1;
    x->head_status = status;
    if (status < 200)
      return len; /* interim response: ignored until its blank line */
    azc_response_unref(x->resp);
    while (n > r && is_ws(p[n - 1]))
      n--;
    x->resp = azc_response_new(status, NULL, x->req);
    if (!x->resp || azc_response_set_reason(x->resp, p + r, n > r ? n - r : 0) != AZC_OK)
      return head_fail(x, AZC_ERR_NOMEM, "out of memory");
    return len;
  }
  if (n == 0) { /* end of a head */
    x->in_head = 0;
    if (x->head_status >= 200) {
      char *url = NULL;
      x->headers_done = 1;
      /* stored only when it differs: the response falls back to its request's URL */
      if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url &&
          strcmp(url, azc_request_url(x->req)) != 0 && azc_response_set_url(x->resp, url) != AZC_OK)
        return head_fail(x, AZC_ERR_NOMEM, "out of memory");
    }
    return len;
  }
  if (x->head_status < 200)
    return len;
  /* kept raw: parsed only if somebody reads the headers (azc_response_headers) */
  if (azc_response_add_header_line(x->resp, p, n) != AZC_OK)
    return head_fail(x, AZC_ERR_NOMEM, "out of memory");
  return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud) {
  azc_xfer *x = ud;
  size_t len = size * n;
  /* Back-pressure: a stream keeps at most ~high_water bytes; curl holds the rest. */
  if (x->stream && fifo_avail(&x->body) >= x->high_water) {
    x->write_paused = 1;
    return CURL_WRITEFUNC_PAUSE;
  }
  if (azc_buf_append(&x->body.b, p, len) != AZC_OK)
    return head_fail(x, AZC_ERR_NOMEM, "out of memory");
  x->activity++;
  return len;
}

/* ---- setting up a transfer -------------------------------------------------------------- */

/* Python's getproxies_environment: the lowercase variable wins (even empty, which disables);
 * the uppercase HTTP_PROXY is ignored in a CGI context (CVE-2016-1000110). */
static char *env_proxy(const char *lower, const char *upper) {
  const char *v = getenv(lower);
  if (v)
    return *v ? azc__strndup(v, strlen(v)) : NULL;
  if (strcmp(upper, "HTTP_PROXY") == 0 && getenv("REQUEST_METHOD"))
    return NULL;
  v = getenv(upper);
  return v && *v ? azc__strndup(v, strlen(v)) : NULL;
}

static int has_header(azc_headers *h, const char *name) {
  return azc_headers_get(h, name, strlen(name), NULL) != NULL;
}

/* Request headers, minus curl defaults azure-core would not send. The curl_slist nodes and their
 * strings are laid out in one allocation (curl only reads the list), instead of two allocations
 * per line with curl_slist_append. */
static azc_code build_headers(azc_xfer *x, int posting) {
  azc_headers *h = azc_request_headers(x->req);
  size_t it = 0, nl, vl, lines = 0, bytes = 0, i;
  const char *name, *value;
  const char *extra[4];
  size_t nextra = 0;
  struct curl_slist *nodes;
  char *text;
  char ae[64];
  while (azc_headers_next(h, &it, &name, &nl, &value, &vl)) {
    lines++;
    bytes += nl + 2 + vl + 1;
  }
  if (!azc_headers_get(h, "Expect", 6, NULL))
    extra[nextra++] = "Expect:";
  if (!azc_headers_get(h, "Accept", 6, NULL))
    extra[nextra++] = "Accept:";
  if (posting && !azc_headers_get(h, "Content-Type", 12, NULL))
    extra[nextra++] = "Content-Type:";
  if (!azc_headers_get(h, "Accept-Encoding", 15, NULL)) {
    snprintf(ae, sizeof ae, "Accept-Encoding: %s", azc_decode_accept_encoding());
    extra[nextra++] = ae;
  }
  for (i = 0; i < nextra; i++)
    bytes += strlen(extra[i]) + 1;
  lines += nextra;
  if (!lines)
    return AZC_OK;
  x->hdr_block = malloc(lines * sizeof *nodes + bytes);
  if (!x->hdr_block)
    return AZC_ERR_NOMEM;
  nodes = (struct curl_slist *)(void *)x->hdr_block;
  text = x->hdr_block + lines * sizeof *nodes;
  it = 0;
  i = 0;
  while (azc_headers_next(h, &it, &name, &nl, &value, &vl)) {
    nodes[i].data = text;
    memcpy(text, name, nl);
    text += nl;
    /* "Name;" is curl's syntax for a header with an empty value ("Name:" would remove it) */
    if (vl) {
      memcpy(text, ": ", 2);
      text += 2;
      memcpy(text, value, vl);
      text += vl;
    } else {
      *text++ = ';';
    }
    *text++ = '\0';
    nodes[i].next = &nodes[i + 1];
    i++;
  }
  for (it = 0; it < nextra; it++) {
    size_t n = strlen(extra[it]) + 1;
    nodes[i].data = text;
    memcpy(text, extra[it], n);
    text += n;
    nodes[i].next = &nodes[i + 1];
    i++;
  }
  nodes[lines - 1].next = NULL;
  x->hdr_list = nodes;
  return AZC_OK;
}

#define SET(opt, val)                                                                              \
  do {                                                                                             \
    if (curl_easy_setopt(e, opt, val) != CURLE_OK)                                                 \
      return azc_error_set(out_err, AZC_ERR_VALUE, "curl rejected option %s", #opt);               \
  } while (0)

/* A plain GET: no body, no Cookie header of its own, no per-call transport override. Most API
 * calls are; their handle keeps its setup between transfers (see easy_put). */
static int is_plain(azc_request *req, const azc_send_options *o) {
  const char *m = azc_request_method(req);
  return azc__ieq(m, strlen(m), "GET", 3) && azc_request_body_kind(req) == AZC_BODY_NONE &&
         o->connection_timeout_ms < 0 && o->verify < 0 && !o->ca_file && !o->cert_file &&
         !o->key_file && !o->has_proxies &&
         !azc_headers_get(azc_request_headers(req), "Cookie", 6, NULL);
}

/* Only what changes per transfer, on a handle that holds the plain-GET setup. */
static azc_code setup_plain(azc_xfer *x, azc_error *out_err) {
  CURL *e = x->easy;
  SET(CURLOPT_URL, azc_request_url(x->req));
  SET(CURLOPT_PRIVATE, (void *)x);
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
  SET(CURLOPT_HEADERDATA, (void *)x);
  SET(CURLOPT_WRITEDATA, (void *)x);
  SET(CURLOPT_PREREQDATA, (void *)x);
  if (build_headers(x, 0) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  SET(CURLOPT_HTTPHEADER, x->hdr_list);
  return AZC_OK;
}

static azc_code setup(azc_xfer *x, const azc_send_options *o, azc_error *out_err) {
  azc_curl *t = x->t;
  const azc_curl_config *c = &t->cfg;
  CURL *e = x->easy;
  azc_headers *h = azc_request_headers(x->req);
  const char *url = azc_request_url(x->req), *src = azc_request_method(x->req);
  char method[32];
  long cto = o->connection_timeout_ms >= 0 ? o->connection_timeout_ms : c->connection_timeout_ms;
  int verify = o->verify >= 0 ? o->verify : c->verify;
  const char *ca = o->ca_file ? o->ca_file : c->ca_file;
  const char *cert = o->cert_file ? o->cert_file : c->cert_file;
  const char *key = o->cert_file ? o->key_file : c->key_file;
  const char *hp = o->has_proxies ? o->http_proxy : c->http_proxy;
  const char *sp = o->has_proxies ? o->https_proxy : c->https_proxy;
  const char *np = o->has_proxies ? o->no_proxy : c->no_proxy;
  const char *proxy;
  int https = strlen(url) >= 6 && azc__ieq(url, 6, "https:", 6);
  int is_get, is_head, posting;
  size_t i;

  /* requests upper-cases the method; so do we */
  for (i = 0; src[i] && i < sizeof method - 1; i++)
    method[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : src[i];
  method[i] = '\0';
  if (src[i] || i == 0)
    return azc_error_set(out_err, AZC_ERR_VALUE, "unusable HTTP method");
  is_get = strcmp(method, "GET") == 0;
  is_head = strcmp(method, "HEAD") == 0;

  SET(CURLOPT_URL, url);
  SET(CURLOPT_PRIVATE, (void *)x);
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
  SET(CURLOPT_SHARE, t->share);
  /* The jar: "" starts the cookie engine on the shared store. A request with its own Cookie
   * header replaces the jar's cookies, as in requests: NULL detaches this handle from the jar. */
  if (!has_header(h, "Cookie"))
    SET(CURLOPT_COOKIEFILE, "");
  else
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, (char *)NULL);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_TCP_NODELAY, 1L);
  SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  /* never h2c prior knowledge: libcurl 7.88 breaks reused h2c connections (curl #10634) */
  SET(CURLOPT_HTTP_VERSION, c->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
  SET(CURLOPT_CONNECTTIMEOUT_MS, cto > 0 ? cto : NO_CONNECT_TIMEOUT);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, (void *)x);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, (void *)x);
  SET(CURLOPT_PREREQFUNCTION, on_prereq);
  SET(CURLOPT_PREREQDATA, (void *)x);

  SET(CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  SET(CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
  SET(CURLOPT_PROXY_SSL_VERIFYPEER, verify ? 1L : 0L);
  SET(CURLOPT_PROXY_SSL_VERIFYHOST, verify ? 2L : 0L);
  if (ca) {
    SET(CURLOPT_CAINFO, ca);
    SET(CURLOPT_PROXY_CAINFO, ca);
  }
  if (cert) {
    SET(CURLOPT_SSLCERT, cert);
    SET(CURLOPT_SSLCERTTYPE, "PEM");
    if (key)
      SET(CURLOPT_SSLKEY, key);
  }

  /* Proxies: explicit for the URL's scheme, else the environment. An explicit proxy ignores the
   * environment's NO_PROXY (requests does the same). "" keeps curl off the environment. */
  proxy = https ? sp : hp;
  if (!proxy && c->use_env_settings) {
    proxy = https ? t->env_https_proxy : t->env_http_proxy;
    if (proxy && !np)
      np = t->env_no_proxy;
  }
  SET(CURLOPT_PROXY, proxy ? proxy : "");
  SET(CURLOPT_NOPROXY, np ? np : "");

  /* Body: POST semantics (with the method replaced) let any method carry a body. Without a body,
   * methods other than GET/HEAD send Content-Length: 0, as requests does. */
  posting = !is_head && (x->kind != AZC_BODY_NONE || !is_get);
  if (is_head) { /* a HEAD request sends no body */
    SET(CURLOPT_NOBODY, 1L);
  } else if (posting) {
    int64_t len = azc_request_body_length(x->req);
    SET(CURLOPT_POST, 1L);
    if (x->kind == AZC_BODY_NONE || x->kind == AZC_BODY_BYTES) {
      size_t blen = 0;
      const char *bytes = azc_request_body_bytes(x->req, &blen);
      SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
      SET(CURLOPT_POSTFIELDS, bytes ? bytes : "");
    } else {
      const char *cl = azc_headers_get(h, "Content-Length", 14, NULL);
      if (len < 0 && cl) /* the caller announced the length: do not send chunked as well */
        len = (int64_t)strtoll(cl, NULL, 10);
      SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(len < 0 ? -1 : len));
      SET(CURLOPT_READFUNCTION, on_read);
      SET(CURLOPT_READDATA, (void *)x);
      SET(CURLOPT_SEEKFUNCTION, on_seek);
      SET(CURLOPT_SEEKDATA, (void *)x);
    }
    if (strcmp(method, "POST") != 0)
      SET(CURLOPT_CUSTOMREQUEST, method);
  } /* else GET without a body: curl's default */
  if (build_headers(x, posting) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  SET(CURLOPT_HTTPHEADER, x->hdr_list);
  return AZC_OK;
}
#undef SET

/* ---- driving ---------------------------------------------------------------------------- */

static void xfer_release(azc_xfer *x);

/* Dispatch finished transfers (any transfer of this multi: several may be in flight). */
static void collect(azc_curl *t) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
    if (m->msg == CURLMSG_DONE) {
      CURLcode res = m->data.result;
      char *p = NULL;
      azc_xfer *z;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
      z = (azc_xfer *)(void *)p;
      if (z && z->easy == m->easy_handle) {
        record_result(z, res);
        detach(z); /* a finished connection goes back to the cache */
      }
    }
  }
}

enum { WANT_HEAD, WANT_BODY };

static int satisfied(const azc_xfer *x, int want) {
  if (x->done)
    return 1;
  if (want == WANT_HEAD)
    return x->headers_done || x->need_body;
  return fifo_avail(&x->body) > 0;
}

static void set_pause(azc_xfer *x) {
  if (x->easy)
    curl_easy_pause(x->easy,
                    (x->write_paused ? CURLPAUSE_RECV : 0) | (x->read_paused ? CURLPAUSE_SEND : 0));
}

/* Run the multi handle until @p x has what @p want asks for, or ended. The read timeout is the
 * idle time between bytes while we wait here; time spent by the caller between calls is not
 * server idleness, so the clock starts anew on entry. */
static void drive(azc_xfer *x, int want) {
  azc_curl *t = x->t;
  int64_t last = now_ms();
  unsigned long seen = x->activity;
  while (!satisfied(x, want)) {
    int running = 0;
    long wait_ms = 1000;
    int64_t now;
    CURLMcode mc = curl_multi_perform(t->multi, &running);
    if (mc == CURLM_OK)
      collect(t);
    if (satisfied(x, want))
      return;
    if (mc != CURLM_OK) {
      fail_now(x, x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST,
               CURLE_FAILED_INIT, curl_multi_strerror(mc));
      return;
    }
    now = now_ms();
    if (x->activity != seen) {
      seen = x->activity;
      last = now;
    }
    if (x->read_timeout_ms > 0 && x->connected) {
      int64_t idle = now - last;
      char msg[96];
      if (idle >= x->read_timeout_ms) {
        snprintf(msg, sizeof msg, "Read timed out: no data for %ld ms", x->read_timeout_ms);
        fail_now(x, AZC_ERR_SERVICE_RESPONSE_TIMEOUT, CURLE_OPERATION_TIMEDOUT, msg);
        return;
      }
      if (x->read_timeout_ms - idle < wait_ms)
        wait_ms = (long)(x->read_timeout_ms - idle);
    }
    mc = curl_multi_poll(t->multi, NULL, 0, (int)wait_ms, NULL);
    if (mc != CURLM_OK) {
      fail_now(x, x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST,
               CURLE_FAILED_INIT, curl_multi_strerror(mc));
      return;
    }
  }
}

/* ---- the response body source ----------------------------------------------------------- */

static azc_code src_pull(void *self, size_t max, azc_buf *ref_out, int *out_eof,
                         azc_error *out_err) {
  azc_xfer *x = self;
  *out_eof = 0;
  for (;;) {
    size_t avail = fifo_avail(&x->body);
    if (avail) {
      size_t n = max && max < avail ? max : avail;
      if (azc_buf_append(ref_out, x->body.b.data + x->body.off, n) != AZC_OK)
        return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      fifo_consume(&x->body, n);
      *out_eof = x->done && !x->failed && fifo_avail(&x->body) == 0;
      return AZC_OK;
    }
    if (x->done) {
      if (x->failed) { /* never an end of body: truncation and timeouts are errors */
        if (out_err)
          *out_err = x->err;
        return x->err.code;
      }
      *out_eof = 1;
      return AZC_OK;
    }
    if (x->write_paused) { /* drained: let curl deliver again */
      x->write_paused = 0;
      x->activity++;
      set_pause(x);
      continue;
    }
    drive(x, WANT_BODY);
  }
}

static void src_close(void *self) {
  azc_xfer *x = self;
  if (!x->done)
    detach(x); /* closed before the end: curl discards the connection */
  xfer_release(x);
}

/* ---- transfers -------------------------------------------------------------------------- */

static void xfer_release(azc_xfer *x) {
  azc_curl *t;
  if (--x->refs > 0)
    return;
  t = x->t;
  detach(x);
  free(x->hdr_block); /* the list lives in it */
  x->hdr_block = NULL;
  x->hdr_list = NULL;
  azc_buf_free(&x->feed.b);
  azc_buf_free(&x->body.b);
  azc_response_unref(x->resp);
  azc_request_unref(x->req);
  free(x);
  t->live--;
  if (t->closed)
    release_handles(t);
  azc_curl_unref(t);
}

azc_code azc_curl_start(azc_curl *t, azc_request *req, const azc_send_options *opts,
                        azc_xfer **out_xfer, azc_error *out_err) {
  azc_send_options defaults;
  azc_xfer *x;
  azc_code rc;
  long rto;
  int was_plain = 0;
  if (!t || !req || !out_xfer)
    return azc_error_set(out_err, AZC_ERR_ARG, "azc_curl_start: NULL argument");
  *out_xfer = NULL;
  if (t->closed)
    return azc_error_set(out_err, AZC_ERR_CLOSED, "the transport is closed");
  if (!opts) {
    azc_send_options_init(&defaults);
    opts = &defaults;
  }
  x = calloc(1, sizeof *x);
  if (!x)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  x->refs = 1;
  x->t = azc_curl_ref(t);
  t->live++;
  x->req = azc_request_ref(req);
  x->kind = azc_request_body_kind(req);
  x->stream = opts->stream;
  x->high_water = t->cfg.block_size * 4 > HIGH_WATER_MIN ? t->cfg.block_size * 4 : HIGH_WATER_MIN;
  rto = opts->read_timeout_ms >= 0 ? opts->read_timeout_ms : t->cfg.read_timeout_ms;
  x->read_timeout_ms = rto;
  x->plain = is_plain(req, opts);
  x->easy = easy_take(t, x->plain, &was_plain);
  if (!x->easy) {
    xfer_release(x);
    return azc_error_set(out_err, AZC_ERR_NOMEM, "curl_easy_init failed");
  }
  if (was_plain && !x->plain)
    easy_reset(x->easy); /* leaving the plain-GET setup: start from libcurl's defaults */
  rc = was_plain && x->plain ? setup_plain(x, out_err) : setup(x, opts, out_err);
  if (rc == AZC_OK && curl_multi_add_handle(t->multi, x->easy) != CURLM_OK)
    rc = azc_error_set(out_err, AZC_ERR_NOMEM, "curl_multi_add_handle failed");
  if (rc != AZC_OK) {
    easy_put(t, x->easy, 0); /* not in the multi */
    x->easy = NULL;
    xfer_release(x);
    return rc;
  }
  *out_xfer = x;
  return AZC_OK;
}

azc_xfer_state azc_xfer_run(azc_xfer *x, azc_error *out_err) {
  if (!x->headers_done)
    drive(x, WANT_HEAD);
  if (x->headers_done) {
    if (!x->source_set && x->resp) {
      x->source_set = 1;
      if (x->done && !x->failed) {
        /* complete already (small bodies): hand over the bytes, no source needed */
        if (azc_response_set_body(x->resp, x->body.b.data + x->body.off, fifo_avail(&x->body)) !=
            AZC_OK) {
          azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
          return AZC_XFER_FAILED;
        }
        fifo_consume(&x->body, fifo_avail(&x->body));
      } else {
        azc_body_source src;
        src.pull = src_pull;
        src.close = src_close;
        src.self = x;
        x->refs++; /* the response's source */
        azc_response_set_source(x->resp, &src);
      }
    }
    return AZC_XFER_RESPONSE;
  }
  if (x->done) {
    if (out_err)
      *out_err = x->err;
    return AZC_XFER_FAILED;
  }
  return AZC_XFER_NEED_BODY;
}

azc_code azc_xfer_feed(azc_xfer *x, const char *data, size_t len, int eof) {
  if (x->kind != AZC_BODY_FEED)
    return AZC_ERR_ARG;
  if (len && azc_buf_append(&x->feed.b, data, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  if (eof)
    x->feed_eof = 1;
  if (!len && !eof)
    return AZC_OK; /* nothing new: still waiting for body bytes */
  x->need_body = 0;
  if (x->read_paused) {
    x->read_paused = 0;
    x->activity++;
    set_pause(x);
  }
  return AZC_OK;
}

azc_response *azc_xfer_response(azc_xfer *x) {
  azc_response *r;
  if (!x->headers_done || !x->source_set)
    return NULL;
  r = x->resp; /* the caller takes over our reference */
  x->resp = NULL;
  return r;
}

void azc_xfer_free(azc_xfer *x) {
  azc_response *r;
  if (!x)
    return;
  /* Unref our response first: its source may hold the other reference on x. */
  r = x->resp;
  x->resp = NULL;
  x->refs++;
  azc_response_unref(r);
  x->refs--;
  xfer_release(x);
}

azc_code azc_curl_send(azc_curl *t, azc_request *req, const azc_send_options *opts,
                       azc_response **out_resp, azc_error *out_err) {
  azc_xfer *x = NULL;
  azc_response *resp;
  azc_read_state st;
  azc_code rc;
  azc_error local;
  if (!out_err)
    out_err = &local;
  if (!out_resp)
    return azc_error_set(out_err, AZC_ERR_ARG, "azc_curl_send: NULL out_resp");
  *out_resp = NULL;
  if (req && azc_request_body_kind(req) == AZC_BODY_FEED)
    return azc_error_set(out_err, AZC_ERR_ARG, "azc_curl_send cannot send a fed body");
  rc = azc_curl_start(t, req, opts, &x, out_err);
  if (rc != AZC_OK)
    return rc;
  switch (azc_xfer_run(x, out_err)) {
  case AZC_XFER_RESPONSE:
    break;
  case AZC_XFER_FAILED:
    azc_xfer_free(x);
    return out_err->code;
  default: /* NEED_BODY cannot happen without a fed body */
    azc_xfer_free(x);
    return azc_error_set(out_err, AZC_ERR_ARG, "the request body needs feeding");
  }
  resp = azc_xfer_response(x);
  azc_xfer_free(x);
  if (!opts || !opts->stream) {
    rc = azc_response_read(resp, &st, out_err);
    if (rc != AZC_OK) {
      azc_response_unref(resp);
      return rc;
    }
    azc_response_close(resp); /* as azure-core: read() then close() for non-stream responses */
  }
  *out_resp = resp;
  return AZC_OK;
}
