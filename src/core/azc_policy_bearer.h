/*
 * azc_policy_bearer.h - BearerTokenCredentialPolicy (BEHAVIOR.md §4.8, newest behaviour):
 * `Authorization: Bearer <token>` from a token credential, with HTTPS enforcement, a token cache
 * with azure-core's refresh rule, and the 401 claims challenge.
 *
 * The credential belongs to the host (a Lua object): the policy asks its driver for tokens through
 * the machine's TOKEN step (azc_run_request_token), so acquiring a token may do I/O and may yield.
 * How azure-core's send() maps onto the hooks:
 *
 *   on_request    pop `enforce_https` (false is kept in the run's context for retries), refuse a
 *                 non-https URL, take the cached token or ask TOKEN for a new one, set the header
 *   on_response   a 401 clears the cache; with a WWW-Authenticate header the challenge is
 *                 answered (below); when it is, the policy answers RESEND, which sends the request
 *                 once more through the slots below it. That resent response is returned as is.
 *
 * Challenges: by default the policy handles azure-core's `insufficient_claims` challenge itself
 * (azc_bearer_claims_challenge) and asks TOKEN with the decoded claims. With `host_challenge` set,
 * the host's own on_challenge decides: the policy asks TOKEN (from on_response, so the driver sees
 * the 401 as the run's current response) and the host resumes with a token whose type is
 * AZC_BEARER_CHALLENGE_HANDLED or AZC_BEARER_CHALLENGE_UNHANDLED (its value is unused).
 *
 * The cache is per policy. At most one run at a time asks for a plain (claims-free) refresh: a run
 * that needs a refresh while another run's request is in flight uses the cached token when it has
 * not expired yet, and otherwise asks too (the host's token helper shares one credential call
 * between such requests). A request in flight for more than 30 s is stale and may be replaced.
 */
#ifndef AZC_POLICY_BEARER_H
#define AZC_POLICY_BEARER_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The BearerTokenCredentialPolicy vtable (class name "BearerTokenCredentialPolicy"). */
extern const azc_policy_vtable azc_bearer_policy_vt;

/** @brief Token types the host resumes a challenge TOKEN step with (host_challenge policies). */
#define AZC_BEARER_CHALLENGE_HANDLED "azure.core.challenge.handled"
#define AZC_BEARER_CHALLENGE_UNHANDLED "azure.core.challenge.unhandled"

/** @brief Seconds before expiry at which a cached token is refreshed (azure-core's 300). */
#define AZC_BEARER_REFRESH_WINDOW 300.0

/** @brief Settings of a BearerTokenCredentialPolicy. Start from azc_bearer_config_init. */
typedef struct azc_bearer_config {
  const char *const *scopes; /**< copied */
  size_t n_scopes;
  int enable_cae;     /**< ask tokens with enable_cae=true (default 1, azure-core 2025-09) */
  int host_challenge; /**< the host answers 401 challenges (default 0: claims challenges) */
} azc_bearer_config;

/** @brief Fill @p cfg with the defaults (no scopes, enable_cae on, policy-handled challenges). */
void azc_bearer_config_init(azc_bearer_config *cfg);

/**
 * @brief New BearerTokenCredentialPolicy (refcount 1). Its `needs_host` is set: runs of its
 * pipelines need a driver with a token callback.
 * @return the policy, or NULL (AZC_ERR_NOMEM in @p out_err).
 */
azc_policy *azc_bearer_policy_new(const azc_bearer_config *cfg, azc_error *out_err);

/** @brief The scopes of a bearer policy (borrowed), or NULL for another policy. */
const char *const *azc_bearer_policy_scopes(const azc_policy *p, size_t *out_n);
/** @brief enable_cae of a bearer policy (0 for another policy). */
int azc_bearer_policy_enable_cae(const azc_policy *p);
/** @brief host_challenge of a bearer policy (0 for another policy). */
int azc_bearer_policy_host_challenge(const azc_policy *p);

/**
 * @brief The cached token: 1 and @p out filled (strings borrowed until the cache changes), or 0
 * when the cache is empty (or @p p is not a bearer policy).
 */
int azc_bearer_policy_token(const azc_policy *p, azc_token *out);
/**
 * @brief Store a token in the cache, as azure-core's authorize_request does (NULL @p token clears
 * it). @p token_type NULL means "Bearer"; @p refresh_on 0 means none.
 * @return AZC_OK, AZC_ERR_NOMEM (cache unchanged) or AZC_ERR_ARG (not a bearer policy).
 */
azc_code azc_bearer_policy_set_token(azc_policy *p, const char *token, size_t token_len,
                                     double expires_on, double refresh_on, const char *token_type);
/**
 * @brief azure-core's refresh rule for the cached token at wall-clock time @p now_unix: no token,
 * or refresh_on reached, or less than AZC_BEARER_REFRESH_WINDOW seconds left.
 */
int azc_bearer_policy_needs_token(const azc_policy *p, double now_unix);

/**
 * @brief The claims of a WWW-Authenticate header that azure-core's default on_challenge answers:
 * the header must parse as a list of RFC 7235 challenges and hold exactly one `Bearer` challenge
 * (scheme and parameter names compare case-insensitively) whose `error` parameter is
 * `insufficient_claims` and whose `claims` parameter (token or quoted string) decodes as Base64
 * (URL-safe or standard alphabet, padding optional) to non-empty UTF-8 text.
 * @param[out] ref_out the decoded claims replace its content when found.
 * @return 1 when found, 0 when the header is not such a challenge, -1 when out of memory.
 */
int azc_bearer_claims_challenge(const char *header, size_t len, azc_buf *ref_out);

#ifdef __cplusplus
}
#endif
#endif
