/*
 * azc_curl_easy.c - one easy handle of the curl transport: its callbacks, which only move bytes
 * between C buffers and set flags (never anything that could re-enter a host language), and the
 * options that set it up for a transfer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azc_curl_internal.h"

static int is_ws(char c) { return c == ' ' || c == '\t'; }

/* ---- curl callbacks: bytes and flags only ----------------------------------------------- */

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
  azc_xfer *x = ud;
  size_t cap = size * n, got = 0;
  if (x->kind == AZC_BODY_FEED) {
    size_t avail = azc__fifo_avail(&x->feed);
    if (avail == 0) {
      if (x->feed_eof)
        return 0;
      x->read_paused = x->need_body = 1;
      return CURL_READFUNC_PAUSE;
    }
    got = avail < cap ? avail : cap;
    memcpy(buf, x->feed.b.data + x->feed.off, got);
    azc__fifo_consume(&x->feed, got);
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
  if (x->stream && azc__fifo_avail(&x->body) >= x->high_water) {
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
char *azc__curl_env_proxy(const char *lower, const char *upper) {
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

/* Request headers, minus curl defaults azure-core would not send (curl's default Accept, any
 * type, stays: requests sends the same). The curl_slist nodes and their strings are laid out in
 * one allocation (curl only reads the list), instead of two allocations per line with
 * curl_slist_append. */
static azc_code build_headers(azc_xfer *x, int posting) {
  azc_headers *h = azc_request_headers(x->req);
  size_t it = 0, nl, vl, lines = 0, bytes = 0, i;
  const char *name, *value;
  const char *extra[3];
  size_t nextra = 0;
  struct curl_slist *nodes;
  char *text;
  while (azc_headers_next(h, &it, &name, &nl, &value, &vl)) {
    lines++;
    bytes += nl + 2 + vl + 1;
  }
  /* libcurl only adds "Expect: 100-continue" to uploads; for a request without a body the
   * suppressing entry would just lengthen every header lookup libcurl makes */
  if (x->kind != AZC_BODY_NONE && !azc_headers_get(h, "Expect", 6, NULL))
    extra[nextra++] = "Expect:";
  if (posting && !azc_headers_get(h, "Content-Type", 12, NULL))
    extra[nextra++] = "Content-Type:";
  if (!azc_headers_get(h, "Accept-Encoding", 15, NULL))
    extra[nextra++] = "Accept-Encoding: " AZC_DECODE_ACCEPT_ENCODING; /* no per-request format */
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
int azc__curl_is_plain(azc_request *req, const azc_send_options *o) {
  const char *m = azc_request_method(req);
  return azc__ieq(m, strlen(m), "GET", 3) && azc_request_body_kind(req) == AZC_BODY_NONE &&
         o->connection_timeout_ms < 0 && o->verify < 0 && !o->ca_file && !o->cert_file &&
         !o->key_file && !o->has_proxies &&
         !azc_headers_get(azc_request_headers(req), "Cookie", 6, NULL);
}

/* Only what changes per transfer, on a handle that holds the plain-GET setup. */
azc_code azc__curl_setup_plain(azc_xfer *x, azc_error *out_err) {
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

azc_code azc__curl_setup(azc_xfer *x, const azc_send_options *o, azc_error *out_err) {
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

