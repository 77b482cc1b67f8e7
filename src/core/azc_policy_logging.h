/*
 * azc_policy_logging.h - NetworkTraceLoggingPolicy (BEHAVIOR.md §4.11) and HttpLoggingPolicy
 * (§4.12). Both are on every request's path and almost always silent, so the decision to log
 * costs one integer test: the host keeps each policy told whether its logger would write a
 * record at the policy's level (azc_logging_policy_set_enabled; "maybe" is fine, the host checks
 * again). Only when a record is written is it formatted, redacted, and handed to the policy's
 * emit callback.
 *
 * Records never show a secret: header values outside `allowed_header_names` and query values
 * outside `allowed_query_params` are `REDACTED` (azc_redact.h). NetworkTraceLoggingPolicy
 * redacts too, unlike azure-core (which writes every header at DEBUG): an Authorization header,
 * a SAS signature or a cookie must not reach a log at any level.
 */
#ifndef AZC_POLICY_LOGGING_H
#define AZC_POLICY_LOGGING_H

#include "azc_pipeline.h"
#include "azc_redact.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Log levels (Python's numbers). */
enum {
  AZC_LOG_NOTSET = 0,
  AZC_LOG_DEBUG = 10,
  AZC_LOG_INFO = 20,
  AZC_LOG_WARNING = 30,
  AZC_LOG_ERROR = 40,
  AZC_LOG_CRITICAL = 50
};

/** @brief The loggers azure-core's policies write to. */
#define AZC_NETWORK_TRACE_LOGGER "azure.core.pipeline.policies._universal"
#define AZC_HTTP_LOGGING_LOGGER "azure.core.pipeline.policies.http_logging_policy"
/** @brief Environment variable: when set and non-empty, HttpLoggingPolicy writes one record per
 * line (read each time a record is written, as azure-core does). */
#define AZC_MULTI_RECORD_ENV "AZURE_SDK_LOGGING_MULTIRECORD"

/**
 * @brief Where a record goes. Called synchronously from a policy hook (so azc_run_host(run) is
 * the host of the step in progress); @p logger is the logger's name, @p text the record (not
 * NUL-terminated). Must not fail the request: it returns nothing.
 */
typedef void (*azc_log_emit_fn)(void *ud, azc_run *run, const char *logger, int level,
                                const char *text, size_t len);

/** @brief The vtables (class names "NetworkTraceLoggingPolicy", "HttpLoggingPolicy"). */
extern const azc_policy_vtable azc_network_trace_policy_vt;
extern const azc_policy_vtable azc_http_logging_policy_vt;

/**
 * @brief Settings of both logging policies. Start from azc_logging_config_default(); strings
 * and lists are copied by the constructors.
 */
typedef struct azc_logging_config {
  azc_log_emit_fn emit; /**< NULL: records are dropped */
  void *emit_ud;
  const char *logger; /**< HttpLoggingPolicy's logger name; NULL: AZC_HTTP_LOGGING_LOGGER */
  int level;          /**< HttpLoggingPolicy's record level (`http_logging_level`), default INFO */
  int logging_enable; /**< NetworkTraceLoggingPolicy's default for the `logging_enable` option */
  const char *const *allowed_header_names; /**< NULL: the defaults (azc_redact.h) */
  size_t n_allowed_header_names;
  const char *const *allowed_query_params; /**< NULL: the defaults */
  size_t n_allowed_query_params;
} azc_logging_config;

/** @brief Defaults: no emit callback, HTTP logger at INFO, logging_enable off, default lists. */
azc_logging_config azc_logging_config_default(void);

/**
 * @brief New NetworkTraceLoggingPolicy (refcount 1): DEBUG records on AZC_NETWORK_TRACE_LOGGER
 * when the per-call option `logging_enable` (popped; default cfg->logging_enable) is on. The
 * decision is kept in the run's context (AZC_CTX_LOGGING_ENABLE) for the response.
 * @return the policy, or NULL with @p out_err filled.
 */
azc_policy *azc_network_trace_policy_new(const azc_logging_config *cfg, azc_error *out_err);

/**
 * @brief New HttpLoggingPolicy (refcount 1): one record per request and per response (one per
 * line when AZC_MULTI_RECORD_ENV is set), at cfg->level, on cfg->logger or on the logger named
 * by the per-call option `logger` (popped).
 * @return the policy, or NULL with @p out_err filled.
 */
azc_policy *azc_http_logging_policy_new(const azc_logging_config *cfg, azc_error *out_err);

/**
 * @brief Tell a logging policy whether its own logger would write a record at the policy's
 * level (new policies: off). A per-call `logger` always counts as "maybe": its records go to the
 * emit callback, which decides.
 */
void azc_logging_policy_set_enabled(azc_policy *p, int on);
/** @brief What azc_logging_policy_set_enabled last said (0 for other policies). */
int azc_logging_policy_enabled(const azc_policy *p);
/** @brief The policy's header allow-list (mutable; borrowed), or NULL for other policies. */
azc_allowlist *azc_logging_policy_headers(azc_policy *p);
/** @brief The policy's query allow-list (mutable; borrowed), or NULL for other policies. */
azc_allowlist *azc_logging_policy_query_params(azc_policy *p);
/** @brief HttpLoggingPolicy's logger name (NetworkTraceLoggingPolicy: its fixed logger). */
const char *azc_logging_policy_logger(const azc_policy *p);
/** @brief The level of the policy's records (DEBUG for NetworkTraceLoggingPolicy). */
int azc_logging_policy_level(const azc_policy *p);
/** @brief NetworkTraceLoggingPolicy's `enable_http_logger` (the logging_enable default). */
int azc_network_trace_policy_logging_enable(const azc_policy *p);
/** @brief Set NetworkTraceLoggingPolicy's `enable_http_logger`. */
void azc_network_trace_policy_set_logging_enable(azc_policy *p, int on);

/** @brief Record styles of azc_logging_format_request / _response. */
typedef enum azc_log_style {
  AZC_LOG_STYLE_HTTP = 1,   /**< HttpLoggingPolicy's lines */
  AZC_LOG_STYLE_NETWORK = 2 /**< NetworkTraceLoggingPolicy's lines (bodies included) */
} azc_log_style;

/**
 * @brief Append the request record of @p style for @p req to @p out (lines joined by '\n'),
 * redacted with @p headers and @p query.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_logging_format_request(azc_buf *out, azc_log_style style, azc_request *req,
                                    const azc_allowlist *headers, const azc_allowlist *query);
/**
 * @brief Append the response record of @p style for @p resp. @p stream: the call's `stream`
 * option (NetworkTraceLoggingPolicy then does not show the body).
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_logging_format_response(azc_buf *out, azc_log_style style, azc_response *resp,
                                     int stream, const azc_allowlist *headers);

#ifdef __cplusplus
}
#endif
#endif
