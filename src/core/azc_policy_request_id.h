/*
 * azc_policy_request_id.h - RequestIdPolicy (BEHAVIOR.md §4.2): sets the client request id
 * header (default "x-ms-client-request-id") from the per-call option `request_id` (popped), the
 * policy's own value, or a generated UUID.
 */
#ifndef AZC_POLICY_REQUEST_ID_H
#define AZC_POLICY_REQUEST_ID_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The default request id header name. */
#define AZC_REQUEST_ID_HEADER "x-ms-client-request-id"

/** @brief The RequestIdPolicy vtable (class name "RequestIdPolicy"). */
extern const azc_policy_vtable azc_request_id_policy_vt;

/**
 * @brief RequestIdPolicy settings. Start from azc_request_id_config_default(): zero is not the
 * default (auto_request_id defaults to 1).
 */
typedef struct azc_request_id_config {
  int request_id_set;      /**< 0: request_id not given (azure-core's _Unset) */
  const char *request_id;  /**< when request_id_set: the value, or NULL for an explicit None */
  int auto_request_id;     /**< generate an id when nothing else applies (default 1) */
  const char *header_name; /**< NULL: AZC_REQUEST_ID_HEADER */
} azc_request_id_config;

/** @brief The defaults: request id unset, auto_request_id on, the default header name. */
azc_request_id_config azc_request_id_config_default(void);

/**
 * @brief New RequestIdPolicy (refcount 1). Strings are copied.
 * @return the policy, or NULL with @p out_err filled: AZC_ERR_VALUE for an empty header name or
 *         CR/LF/NUL in the name or the value, AZC_ERR_NOMEM.
 */
azc_policy *azc_request_id_policy_new(const azc_request_id_config *cfg, azc_error *out_err);

/**
 * @brief Replace the policy-level request id (azure-core `set_request_id`).
 * @param value the id (copied), or NULL for None (then no header unless the call gives one).
 * @return AZC_OK, AZC_ERR_NOMEM, AZC_ERR_VALUE (CR/LF in @p value), AZC_ERR_ARG when @p p is not
 *         a RequestIdPolicy.
 */
azc_code azc_request_id_policy_set_request_id(azc_policy *p, const char *value);

/**
 * @brief Write a new random (version 4) UUID, lower-case, 36 characters plus a NUL, into @p out.
 * The generator is a fast PRNG seeded once per thread (and again after fork) from /dev/urandom:
 * ids are unique, not secret.
 */
void azc_uuid4(char out[37]);

#ifdef __cplusplus
}
#endif
#endif
