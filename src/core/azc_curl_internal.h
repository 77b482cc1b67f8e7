/*
 * azc_curl_internal.h - what the curl transport's files share; not a public header.
 *   azc_curl.c        the transport: handles, pool, driving, the body source, transfers
 *   azc_curl_easy.c   one easy handle: its callbacks (bytes and flags only) and its options
 *   azc_curl_error.c  CURLcode names and the "was it sent?" classification (BEHAVIOR §6.1)
 */
#ifndef AZC_CURL_INTERNAL_H
#define AZC_CURL_INTERNAL_H

#include <curl/curl.h>

#include "azc_curl.h"

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
  azc__block_cache xfer_cache; /* the last finished transfer's block, for the next one */
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
  /* last, and not zeroed when a transfer starts (azc__cache_take): keep them last */
  azc_error err;
  char errbuf[CURL_ERROR_SIZE];
};

static inline size_t azc__fifo_avail(const fifo *f) { return f->b.len - f->off; }
/** @brief Drop @p n consumed bytes from the front (compacting now and then). */
void azc__fifo_consume(fifo *f, size_t n);

/** @brief "CURLE_COULDNT_CONNECT" etc.; "CURLE_<n>" for codes without a name here. */
const char *azc__curl_name(CURLcode c);
/** @brief The error code for curl result @p c of transfer @p x (BEHAVIOR §6.1). */
azc_code azc__curl_classify(const azc_xfer *x, CURLcode c);
/** @brief 1 for a plain GET: no body, no Cookie header, no per-call transport override. */
int azc__curl_is_plain(azc_request *req, const azc_send_options *o);
/** @brief Configure x->easy for the transfer (from libcurl's defaults). */
azc_code azc__curl_setup(azc_xfer *x, const azc_send_options *o, azc_error *out_err);
/** @brief Only the per-transfer options, on a handle that keeps the plain-GET setup. */
azc_code azc__curl_setup_plain(azc_xfer *x, azc_error *out_err);
/** @brief A proxy variable as Python's getproxies_environment reads it (copy, or NULL). */
char *azc__curl_env_proxy(const char *lower, const char *upper);

#endif
