/*
 * azc_policy_retry.h - RetryPolicy (BEHAVIOR.md §4.7, newest behaviour): resends a request after
 * retryable statuses and transport errors, with jittered exponential (or fixed) backoff, the
 * server's Retry-After, per-category retry budgets and an overall timeout for the call.
 *
 * In the machine (azc_pipeline.h) the policy's loop is spread over its hooks: `on_request` starts
 * a send (counters from the settings, the timeout budget, the first attempt's checks);
 * `on_response` / `on_exception` decide whether the outcome is retried and, when it is, prepare
 * the next attempt and answer RESEND with the sleep as the delay. The machine re-runs only the
 * slots below on a RESEND, so the checks azure-core makes at the top of each loop iteration are
 * made when the resend is decided, with the sleep counted as already elapsed (see
 * azc_retry_state).
 */
#ifndef AZC_POLICY_RETRY_H
#define AZC_POLICY_RETRY_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The RetryPolicy vtable (class name "RetryPolicy"); identifies the policy kind. */
extern const azc_policy_vtable azc_retry_policy_vt;

/** @brief The transport's default connection timeout (BEHAVIOR §1.5), used by the budget rule. */

/** @brief Backoff shapes (azure-core RetryMode; the Lua names are case-insensitive). */
typedef enum azc_retry_mode {
  AZC_RETRY_MODE_EXPONENTIAL = 0, /**< factor * 2^(n-1) */
  AZC_RETRY_MODE_FIXED            /**< factor */
} azc_retry_mode;

/**
 * @brief RetryPolicy settings. Start from azc_retry_config_init (zero is not the default).
 * Arrays are copied by azc_retry_policy_new.
 */
typedef struct azc_retry_config {
  int total;             /**< retry_total, default 10 */
  int connect;           /**< retry_connect, default 3 */
  int read;              /**< retry_read, default 3 */
  int status;            /**< retry_status, default 3 */
  double backoff_factor; /**< retry_backoff_factor, default 0.8 s */
  double backoff_max;    /**< retry_backoff_max, default 120 s (honoured, azure-core #42444) */
  double jitter_factor;  /**< retry_jitter_factor, default 0.2; 0 gives exact delays */
  double timeout;        /**< timeout: the budget of a whole call, default 604800 s (7 days) */
  azc_retry_mode mode;   /**< retry_mode, default exponential */
  /** retry_on_methods; NULL: HEAD GET PUT DELETE OPTIONS TRACE. Non-NULL with a count of 0 is
   * the empty set. Compared with the upper-cased request method, ignoring case. */
  const char *const *retry_on_methods;
  size_t n_retry_on_methods;
  /** retry_on_status_codes: retried in addition to 408 429 500 502 503 504 506..998 */
  const int *retry_on_status_codes;
  size_t n_retry_on_status_codes;
} azc_retry_config;

/** @brief Fill @p cfg with azure-core's defaults. */
void azc_retry_config_init(azc_retry_config *cfg);

/**
 * @brief New RetryPolicy (refcount 1) with a copy of @p cfg (NULL: the defaults). An unknown
 * mode is taken as exponential.
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_retry_policy_new(const azc_retry_config *cfg);

/**
 * @brief The settings of a RetryPolicy (borrowed, valid while the policy lives). Its
 * `retry_on_methods` is never NULL: the default set is filled in.
 * @return the settings, or NULL when @p p is not a RetryPolicy.
 */
const azc_retry_config *azc_retry_policy_config(const azc_policy *p);

/**
 * @brief The backoff before the retry that follows the @p n -th history entry of a send
 * (newest azure-core): 0 when @p n is 0, else @p factor * 2^(n-1) (exponential) or @p factor
 * (fixed), capped at @p max, then multiplied by (1 + u) with u uniform in [-jitter, +jitter]
 * (azc_random), floored at 0. With @p jitter 0 the result is exact.
 */
double azc_retry_backoff_time(azc_retry_mode mode, double factor, double max, double jitter,
                              size_t n);

/** @brief 1 when @p status is retried by status for the policy's settings (before the method
 * gate and the Retry-After rule): 408, 429, 500, 502, 503, 504, 506..998 or an extra code. */
int azc_retry_status_retryable(const azc_retry_config *cfg, int status);

/**
 * @brief Per-run state of a RetryPolicy slot (the machine allocates `sizeof` of it, zeroed).
 * Public so tests and tools can inspect a run; policies never share it.
 *
 * Timeout accounting: `remaining` is the budget at the start of the current attempt. When a
 * retry is decided, remaining -= (time since attempt_start) + the sleep; if that leaves nothing
 * the call fails at once with the timeout error the next attempt would raise, instead of
 * sleeping first (BEHAVIOR §4.7: never "sleep then immediately time out"). `attempt_start` is
 * then set to the end of the planned sleep, so a sleep that took longer or shorter than asked
 * is charged at the next decision: the budget is real (monotonic) time.
 */
typedef struct azc_retry_state {
  /* settings for this run: the policy's, with the per-call options applied */
  double total_setting, connect_setting, read_setting, status_setting;
  double backoff_factor, backoff_max, jitter_factor, timeout;
  const char *methods_csv; /**< per-call retry_on_methods (in the run's options) or NULL */
  int methods_from_options;
  /* the current send */
  double total, connect, read, status; /**< retries left per category */
  size_t history;                      /**< entries this send recorded (drives the backoff) */
  unsigned attempts;                   /**< attempts started in this send */
  double attempt_start;                /**< azc_now() at the start of the current attempt */
  double remaining;                    /**< budget at the start of the current attempt */
  int response_side; /**< last failure was response-side: picks the timeout error's kind */
  double last_delay; /**< the delay of the last RESEND */
} azc_retry_state;

#ifdef __cplusplus
}
#endif
#endif
