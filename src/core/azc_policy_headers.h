/*
 * azc_policy_headers.h - HeadersPolicy (BEHAVIOR.md §4.1): a SansIO policy that writes a fixed
 * set of headers onto every request, then the per-call option `headers` (popped) over them.
 */
#ifndef AZC_POLICY_HEADERS_H
#define AZC_POLICY_HEADERS_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The HeadersPolicy vtable (class name "HeadersPolicy"); identifies the policy kind. */
extern const azc_policy_vtable azc_headers_policy_vt;

/**
 * @brief New HeadersPolicy (refcount 1) whose headers are a copy of @p base.
 * @param base the base headers (copied; NULL: none). A caller merging azure-core's `headers=`
 *        keyword writes those into azc_headers_policy_headers() afterwards.
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_headers_policy_new(const azc_headers *base);

/**
 * @brief Add (or replace) one header sent with every request (azure-core `add_header`).
 * Names compare case-insensitively, unlike azure-core's plain dict: adding "a" after "A"
 * replaces it, which sends the same request azure-core's dict would.
 * @param p a HeadersPolicy.
 * @return AZC_OK, AZC_ERR_NOMEM, AZC_ERR_VALUE for an empty name or CR/LF/NUL, AZC_ERR_ARG when
 *         @p p is not a HeadersPolicy.
 */
azc_code azc_headers_policy_add_header(azc_policy *p, const char *name, size_t name_len,
                                       const char *value, size_t value_len);

/**
 * @brief The policy's headers (borrowed: valid while the policy lives). Writing to them changes
 * what later requests get.
 * @return the headers, or NULL when @p p is not a HeadersPolicy.
 */
azc_headers *azc_headers_policy_headers(azc_policy *p);

#ifdef __cplusplus
}
#endif
#endif
