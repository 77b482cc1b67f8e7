/*
 * azc_policy_cleanup.h - SensitiveHeaderCleanupPolicy (BEHAVIOR.md §4.14, azure-core 1.27+,
 * newest behaviour): after a redirect to another domain, the credentials headers are removed
 * from every later request of the call, after the authentication policy has (re)added them.
 *
 * The cross-domain mark is the run's context flag AZC_CTX_INSECURE_DOMAIN_CHANGE, set by
 * RedirectPolicy. It is never an option, so it can never reach a transport, with or without
 * this policy in the pipeline.
 */
#ifndef AZC_POLICY_CLEANUP_H
#define AZC_POLICY_CLEANUP_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The SensitiveHeaderCleanupPolicy vtable (class name "SensitiveHeaderCleanupPolicy"). */
extern const azc_policy_vtable azc_cleanup_policy_vt;

/**
 * @brief New SensitiveHeaderCleanupPolicy (refcount 1).
 * @param blocked_headers the headers removed after a cross-domain redirect (copied; compared
 *        case-insensitively); NULL: the default, "Authorization" and
 *        "x-ms-authorization-auxiliary". A list given replaces the default (it may be empty).
 * @param n_blocked number of entries of @p blocked_headers.
 * @param disable_redirect_cleanup non-zero: never remove anything.
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_cleanup_policy_new(const char *const *blocked_headers, size_t n_blocked,
                                   int disable_redirect_cleanup);

/**
 * @brief The blocked headers of a SensitiveHeaderCleanupPolicy (borrowed, valid while the
 * policy lives). @return the list (*out_n entries), or NULL when @p p is not that policy.
 */
const char *const *azc_cleanup_policy_headers(const azc_policy *p, size_t *out_n);

/** @brief 1 when cleanup is disabled, 0 when enabled, -1 when @p p is not that policy. */
int azc_cleanup_policy_disabled(const azc_policy *p);

#ifdef __cplusplus
}
#endif
#endif
