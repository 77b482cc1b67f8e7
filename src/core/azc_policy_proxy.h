/*
 * azc_policy_proxy.h - ProxyPolicy (BEHAVIOR.md §4.4): the policy's proxies become the call's
 * transport proxies unless the call gives its own `proxies`.
 *
 * The policy writes the run options AZC_OPT_PROXIES_HTTP / AZC_OPT_PROXIES_HTTPS /
 * AZC_OPT_PROXIES_NO_PROXY (never popped: they are for the transport). azc_driver_send_options
 * turns them into the send's proxies unless the caller's per-call `proxies` table is there (it
 * wins, as azure-core's `"proxies" not in options` test makes it win); the Lua driver hands them to
 * a Lua transport as a `proxies` table.
 */
#ifndef AZC_POLICY_PROXY_H
#define AZC_POLICY_PROXY_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The ProxyPolicy vtable (class name "ProxyPolicy"). */
extern const azc_policy_vtable azc_proxy_policy_vt;

/**
 * @brief New ProxyPolicy (refcount 1). Each argument is copied; NULL (or "") leaves it out.
 * A policy without any of the three does nothing (azure-core: an empty proxies dict).
 * @param http_proxy proxy URL for http:// requests.
 * @param https_proxy proxy URL for https:// requests.
 * @param no_proxy hosts that bypass the proxy (NO_PROXY syntax).
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_proxy_policy_new(const char *http_proxy, const char *https_proxy,
                                 const char *no_proxy);

/**
 * @brief The proxies of a ProxyPolicy (borrowed; NULL entries are absent).
 * @return AZC_OK, or AZC_ERR_ARG when @p p is not a ProxyPolicy.
 */
azc_code azc_proxy_policy_proxies(const azc_policy *p, const char **out_http,
                                  const char **out_https, const char **out_no_proxy);

#ifdef __cplusplus
}
#endif
#endif
