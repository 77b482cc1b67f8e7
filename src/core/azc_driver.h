/*
 * azc_driver.h - the native driver: carries out a run's steps in C (SEND through the curl
 * transport, SLEEP with nanosleep) and asks its host only for what the host owns (host SEND
 * policies, tokens). It decides nothing: every decision is the run's.
 */
#ifndef AZC_DRIVER_H
#define AZC_DRIVER_H

#include "azc_curl.h"
#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief What the host provides to the native driver. Any callback may be NULL. */
typedef struct azc_driver_host {
  void *host; /**< passed to every callback and to azc_run_step (for host hooks) */
  /** POLICY_SEND: run host policy `slot`; give its response (one reference) or an error. */
  azc_code (*policy_send)(void *host, azc_run *run, size_t slot, azc_response **out_resp,
                          azc_error *out_err);
  /** TOKEN: ask the credential of native policy `slot` for azc_run_token_request(run); on
   * success call azc_run_resume_token and return AZC_OK, else fill the error (the driver
   * resumes the run with it). */
  azc_code (*token)(void *host, azc_run *run, size_t slot, azc_error *out_err);
} azc_driver_host;

/**
 * @brief Drive @p run to its end over @p transport. Per SEND the transport options are
 * @p base (may be NULL) updated from the run's options: `stream`, and `connection_timeout` /
 * `read_timeout` when present and not popped.
 * @param[out] out_resp the final response (one reference) when AZC_OK.
 * @return AZC_OK, or the run's error (filled in @p out_err).
 */
azc_code azc_drive(azc_run *run, azc_curl *transport, const azc_send_options *base,
                   const azc_driver_host *host, azc_response **out_resp, azc_error *out_err);

/** @brief Sleep @p seconds (nanosleep, resumed after signals). */
void azc_sleep(double seconds);

/**
 * @brief The transport options for the run's next SEND: @p base (or defaults) with `stream`,
 * `connection_timeout` and `read_timeout` taken from the run's unpopped options, and the proxies
 * a ProxyPolicy put in the options (AZC_OPT_PROXIES_HTTP, _HTTPS, _NO_PROXY) unless @p base has
 * proxies of its own (the caller's per-call `proxies`). Shared by the native driver and the
 * Lua binding so both drivers send with the same options.
 */
void azc_driver_send_options(azc_run *run, const azc_send_options *base, azc_send_options *out);

#ifdef __cplusplus
}
#endif
#endif
