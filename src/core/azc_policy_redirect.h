/*
 * azc_policy_redirect.h - RedirectPolicy (BEHAVIOR.md §4.6, newest behaviour): follows 3xx
 * responses by rewriting the run's request in place and resending it, strips credentials on
 * every hop, marks cross-domain redirects for the sensitive-header cleanup policy, and fails
 * with TooManyRedirectsError past its limit.
 */
#ifndef AZC_POLICY_REDIRECT_H
#define AZC_POLICY_REDIRECT_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The RedirectPolicy vtable (class name "RedirectPolicy"); identifies the policy kind. */
extern const azc_policy_vtable azc_redirect_policy_vt;

/**
 * @brief RedirectPolicy settings. Start from azc_redirect_config_init (zero is not the default).
 * Arrays and strings are copied by azc_redirect_policy_new.
 */
typedef struct azc_redirect_config {
  int permit_redirects; /**< follow redirects at all, default 1 */
  int redirect_max;     /**< redirects followed per call, default 30 (the 31st raises) */
  /** redirect_remove_headers: removed on every hop besides Authorization (case-insensitive) */
  const char *const *redirect_remove_headers;
  size_t n_redirect_remove_headers;
  /** redirect_on_status_codes: followed besides 300 301 302 303 307 308 */
  const int *redirect_on_status_codes;
  size_t n_redirect_on_status_codes;
} azc_redirect_config;

/** @brief Fill @p cfg with azure-core's defaults (permit, 30, no extras). */
void azc_redirect_config_init(azc_redirect_config *cfg);

/**
 * @brief New RedirectPolicy (refcount 1) with a copy of @p cfg (NULL: the defaults).
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_redirect_policy_new(const azc_redirect_config *cfg);

/**
 * @brief The settings of a RedirectPolicy (borrowed, valid while the policy lives). The extra
 * header list does not include the always-removed "Authorization".
 * @return the settings, or NULL when @p p is not a RedirectPolicy.
 */
const azc_redirect_config *azc_redirect_policy_config(const azc_policy *p);

/**
 * @brief The redirect target of a response, azure-core's get_redirect_location: for 301/302
 * only when @p method is exactly "GET" or "HEAD" (azure-core compares case-sensitively); for
 * the other redirect statuses (and the extras) whatever the method. @p cfg may be NULL.
 * @return the `Location` value (borrowed from @p resp's headers), or NULL when the response is
 *         not followed (not a redirect, a 301/302 for another method, no or empty Location).
 */
const char *azc_redirect_location(const azc_redirect_config *cfg, azc_response *resp,
                                  const char *method);

/**
 * @brief The URL a redirect leads to (azure-core's increment): @p location itself when it has
 * a host (urlsplit's netloc), else `{scheme}://{netloc}/` + @p location without its leading
 * '/' characters, scheme and netloc from @p url (scheme lower-cased, as urlsplit does): the
 * whole path is replaced and the query dropped. Appends to @p ref_out.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_redirect_url(const char *url, const char *location, azc_buf *ref_out);

/**
 * @brief The lower-cased netloc (`[userinfo@]host[:port]`, as urlsplit splits it) of @p url,
 * appended to @p ref_out: the "domain" of the cross-domain rule. Empty for a URL without one.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_redirect_domain(const char *url, azc_buf *ref_out);

/** @brief Per-run state of a RedirectPolicy slot (zeroed by the machine). */
typedef struct azc_redirect_state {
  int allow;             /**< permit_redirects for this run */
  double max;            /**< redirect_max for this run */
  double remaining;      /**< redirects left in the current send (below 0: exhausted) */
  unsigned followed;     /**< hops followed in the current send */
  char *original_domain; /**< lower-cased netloc before the first send: domain_inline, or an
                              owned block when longer; NULL when redirects are off */
  char domain_inline[64]; /**< holds a typical original domain without an allocation */
} azc_redirect_state;

#ifdef __cplusplus
}
#endif
#endif
