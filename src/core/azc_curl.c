/*
 * azc_curl.c - the native CurlTransport: its handles and easy-handle pool, the driving of the
 * multi handle, the response body source, transfers. An easy handle's callbacks and options are
 * in azc_curl_easy.c, error names and classification in azc_curl_error.c.
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

#include "azc_curl_internal.h"

#include <curl/curl.h>
#if LIBCURL_VERSION_NUM < 0x075000
#error "azc_curl.c needs libcurl >= 7.80 (CURLOPT_PREREQFUNCTION)"
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


void azc__fifo_consume(fifo *f, size_t n) {
  f->off += n;
  if (f->off >= f->b.len) {
    f->off = f->b.len = 0;
  } else if (f->off > 65536 && f->off > f->b.len / 2) {
    azc_buf_consume(&f->b, f->off); /* compact now and then, amortised */
    f->off = 0;
  }
}

static char *dup_opt(const char *s) { return s ? azc__strndup(s, strlen(s)) : NULL; }


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
    t->env_http_proxy = azc__curl_env_proxy("http_proxy", "HTTP_PROXY");
    t->env_https_proxy = azc__curl_env_proxy("https_proxy", "HTTPS_PROXY");
    t->env_no_proxy = azc__curl_env_proxy("no_proxy", "NO_PROXY");
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
  azc__cache_clear(&t->xfer_cache);
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

static void set_curl_err(azc_xfer *x, azc_code code, CURLcode c, const char *msg) {
  azc_error_set(&x->err, code, "%s", msg);
  x->err.curl_code = (int)c;
  x->err.curl_name = azc__curl_name(c);
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
    x->err.curl_name = azc__curl_name(c);
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
    set_curl_err(x, azc__curl_classify(x, c), c, msg);
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
  return azc__fifo_avail(&x->body) > 0;
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
    size_t avail = azc__fifo_avail(&x->body);
    if (avail) {
      size_t n = max && max < avail ? max : avail;
      if (azc_buf_append(ref_out, x->body.b.data + x->body.off, n) != AZC_OK)
        return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      azc__fifo_consume(&x->body, n);
      *out_eof = x->done && !x->failed && azc__fifo_avail(&x->body) == 0;
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
  azc__cache_give(&t->xfer_cache, x, sizeof *x);
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
  size_t got;
  if (!t || !req || !out_xfer)
    return azc_error_set(out_err, AZC_ERR_ARG, "azc_curl_start: NULL argument");
  *out_xfer = NULL;
  if (t->closed)
    return azc_error_set(out_err, AZC_ERR_CLOSED, "the transport is closed");
  if (!opts) {
    azc_send_options_init(&defaults);
    opts = &defaults;
  }
  /* err and errbuf, a third of the block, close the struct: cleared here, not zeroed */
  x = azc__cache_take(&t->xfer_cache, sizeof *x, offsetof(azc_xfer, err), &got);
  if (!x)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  azc_error_clear(&x->err);
  x->errbuf[0] = '\0';
  x->refs = 1;
  x->t = azc_curl_ref(t);
  t->live++;
  x->req = azc_request_ref(req);
  x->kind = azc_request_body_kind(req);
  x->stream = opts->stream;
  x->high_water = t->cfg.block_size * 4 > HIGH_WATER_MIN ? t->cfg.block_size * 4 : HIGH_WATER_MIN;
  rto = opts->read_timeout_ms >= 0 ? opts->read_timeout_ms : t->cfg.read_timeout_ms;
  x->read_timeout_ms = rto;
  x->plain = azc__curl_is_plain(req, opts);
  x->easy = easy_take(t, x->plain, &was_plain);
  if (!x->easy) {
    xfer_release(x);
    return azc_error_set(out_err, AZC_ERR_NOMEM, "curl_easy_init failed");
  }
  if (was_plain && !x->plain)
    easy_reset(x->easy); /* leaving the plain-GET setup: start from libcurl's defaults */
  rc = was_plain && x->plain ? azc__curl_setup_plain(x, out_err) : azc__curl_setup(x, opts, out_err);
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
        if (x->body.off == 0) {
          azc_response_adopt_body(x->resp, &x->body.b); /* moved, not copied */
        } else {
          if (azc_response_set_body(x->resp, x->body.b.data + x->body.off,
                                    azc__fifo_avail(&x->body)) != AZC_OK) {
            azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
            return AZC_XFER_FAILED;
          }
          azc__fifo_consume(&x->body, azc__fifo_avail(&x->body));
        }
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
