/*
 * azc_curl.h - the native CurlTransport. One transport owns a curl multi handle, a share handle
 * (DNS cache, TLS sessions, cookies: an in-memory jar per transport) and a pool of easy handles,
 * so keep-alive and TLS resumption work across requests. A send is a transfer (azc_xfer) that
 * is advanced by azc_xfer_run until it needs something from the caller (body bytes for a fed
 * body) or the response headers have arrived. curl callbacks only move bytes between C buffers:
 * they never call out of the core, so a Lua binding never runs inside a curl callback.
 */
#ifndef AZC_CURL_H
#define AZC_CURL_H

#include "azc_common.h"
#include "azc_request.h"
#include "azc_response.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque, reference-counted transport. */
typedef struct azc_curl azc_curl;
/** @brief Opaque in-flight transfer. */
typedef struct azc_xfer azc_xfer;

/**
 * @brief Connection settings (BEHAVIOR §1.5 defaults). Zero-initialise, then call
 * azc_curl_config_init to get the defaults, then override. Strings are copied by azc_curl_new.
 */
typedef struct azc_curl_config {
  long connection_timeout_ms; /**< connect (incl. TLS) timeout; default 300000; 0 = none */
  long read_timeout_ms;       /**< max idle time between bytes once connected; default 300000 */
  int verify;                 /**< verify the server certificate; default 1 */
  const char *ca_file;        /**< CA bundle path (verify with this CA), or NULL */
  const char *cert_file;      /**< client certificate PEM (may also hold the key), or NULL */
  const char *key_file;       /**< client key PEM, or NULL */
  const char *http_proxy;     /**< proxy for http:// URLs, or NULL */
  const char *https_proxy;    /**< proxy for https:// URLs, or NULL */
  const char *no_proxy;       /**< hosts bypassing the proxy (NO_PROXY syntax), or NULL */
  int use_env_settings;       /**< read HTTP_PROXY/HTTPS_PROXY/NO_PROXY (either case); default 1 */
  int http2;                  /**< offer HTTP/2 over TLS (ALPN); default 0 */
  size_t block_size;          /**< default read chunk (connection_data_block_size); 4096 */
} azc_curl_config;

/** @brief Fill @p out_cfg with the defaults. */
void azc_curl_config_init(azc_curl_config *out_cfg);

/**
 * @brief Per-send overrides (azure-core's per-call transport kwargs). Zero-initialise with
 * azc_send_options_init: every field then means "the transport's setting".
 */
typedef struct azc_send_options {
  int stream;                 /**< 1: return after headers, body pulled on demand */
  long connection_timeout_ms; /**< -1: transport's */
  long read_timeout_ms;       /**< -1: transport's */
  int verify;                 /**< -1: transport's */
  const char *ca_file;        /**< NULL: transport's */
  const char *cert_file;      /**< NULL: transport's */
  const char *key_file;       /**< NULL: transport's */
  int has_proxies;            /**< 1: the three proxy fields below replace the transport's */
  const char *http_proxy;
  const char *https_proxy;
  const char *no_proxy;
} azc_send_options;

/** @brief Fill @p out_opts with "use the transport's settings" (stream = 0). */
void azc_send_options_init(azc_send_options *out_opts);

/**
 * @brief New transport. @return NULL on failure with @p out_err filled (AZC_ERR_NOMEM, or
 * AZC_ERR_VALUE for an unusable setting).
 */
azc_curl *azc_curl_new(const azc_curl_config *cfg, azc_error *out_err);
/** @brief Take a reference. */
azc_curl *azc_curl_ref(azc_curl *t);
/** @brief Drop a reference; at zero the transport is closed and freed. */
void azc_curl_unref(azc_curl *t);
/**
 * @brief Close: release pooled connections and handles. Idempotent. Transfers still alive
 * keep what they need until they end; a send on a closed transport fails with AZC_ERR_CLOSED.
 */
void azc_curl_close(azc_curl *t);
/** @brief The transport's configured connection timeout in milliseconds (0: none). */
long azc_curl_connection_timeout_ms(const azc_curl *t);
/** @brief The transport's configured block size. */
size_t azc_curl_block_size(const azc_curl *t);

/**
 * @brief Send @p req and wait for the response (the synchronous path). With opts->stream == 0
 * the whole body is read before returning. The request body must not be a FEED body.
 * @param[out] out_resp the response (caller owns one reference).
 * @return AZC_OK, or a classified transport error (BEHAVIOR §6.1): AZC_ERR_SERVICE_REQUEST (not
 * sent: DNS, refused, TLS handshake, proxy), AZC_ERR_SERVICE_REQUEST_TIMEOUT (connect timeout),
 * AZC_ERR_SERVICE_RESPONSE (sent, then reset or truncated), AZC_ERR_SERVICE_RESPONSE_TIMEOUT
 * (read timeout). The error carries the curl code and name.
 */
azc_code azc_curl_send(azc_curl *t, azc_request *req, const azc_send_options *opts,
                       azc_response **out_resp, azc_error *out_err);

/** @brief States of a transfer reported by azc_xfer_run. */
typedef enum azc_xfer_state {
  AZC_XFER_NEED_BODY = 1, /**< a FEED body needs azc_xfer_feed before the transfer can go on */
  AZC_XFER_RESPONSE,      /**< headers are in: azc_xfer_response returns the response */
  AZC_XFER_FAILED         /**< the transfer failed; the error was filled */
} azc_xfer_state;

/**
 * @brief Start a transfer for @p req (any body kind, FEED included).
 * @return AZC_OK with *out_xfer, or an error (AZC_ERR_CLOSED on a closed transport).
 */
azc_code azc_curl_start(azc_curl *t, azc_request *req, const azc_send_options *opts,
                        azc_xfer **out_xfer, azc_error *out_err);
/** @brief Advance the transfer (blocking) until it needs body bytes, has headers, or fails. */
azc_xfer_state azc_xfer_run(azc_xfer *x, azc_error *out_err);
/**
 * @brief Push body bytes for a FEED body; @p eof non-zero marks the end of the body. The bytes
 * are copied. @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_xfer_feed(azc_xfer *x, const char *data, size_t len, int eof);
/**
 * @brief After AZC_XFER_RESPONSE: the response (caller gets one reference). Its body is a stream
 * fed by this transfer; the response keeps the transfer alive until closed or read to the end.
 */
azc_response *azc_xfer_response(azc_xfer *x);
/** @brief Abandon/free the caller's handle on the transfer (the response may still own it). */
void azc_xfer_free(azc_xfer *x);

#ifdef __cplusplus
}
#endif
#endif
