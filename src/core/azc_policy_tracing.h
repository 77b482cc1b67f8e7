/*
 * azc_policy_tracing.h - DistributedTracingPolicy (BEHAVIOR.md §4.13). Spans are the host's
 * business (a tracing implementation lives in the host's language); this policy only decides,
 * per run, whether to ask the host, and when. Tracing is off unless the host switched the policy
 * on (azc_tracing_policy_set_active): then a silent run costs one integer test, as the common
 * case must. When on, the policy calls its callback with START before the request goes down
 * (the host names and starts a span, adds trace headers to the request) and with END when the
 * response or the error comes back up (the host records attributes and ends the span).
 */
#ifndef AZC_POLICY_TRACING_H
#define AZC_POLICY_TRACING_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Events of the tracing callback. */
typedef enum azc_trace_event { AZC_TRACE_START = 1, AZC_TRACE_END = 2 } azc_trace_event;

/**
 * @brief The host's span work, called synchronously from the policy's hooks (azc_run_host(run)
 * is the host of the step in progress). @p key identifies this run's span between START and
 * END (unique while the run lives). At END, azc_run_response(run) or azc_run_error(run) says how
 * the call ended. Failures are the host's to report: tracing never fails a request.
 * @return for START, 1 when a span was started (END will follow), else 0; ignored for END.
 */
typedef int (*azc_trace_fn)(void *ud, azc_run *run, azc_policy *p, azc_trace_event ev, void *key);

/** @brief The DistributedTracingPolicy vtable (class name "DistributedTracingPolicy"). */
extern const azc_policy_vtable azc_tracing_policy_vt;

/**
 * @brief New DistributedTracingPolicy (refcount 1), inactive.
 * @return NULL when out of memory (@p out_err filled).
 */
azc_policy *azc_tracing_policy_new(azc_trace_fn fn, void *ud, azc_error *out_err);
/** @brief Switch the policy on or off (on: a tracing implementation may be configured). */
void azc_tracing_policy_set_active(azc_policy *p, int on);
/** @brief 1 when the policy is on. */
int azc_tracing_policy_active(const azc_policy *p);

/**
 * @brief Append the default span name for @p url: its path as urlparse reads it (no query,
 * fragment or `;params`), or "/" when empty.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_tracing_span_name(azc_buf *out, const char *url);

#ifdef __cplusplus
}
#endif
#endif
