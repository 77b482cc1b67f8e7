/*
 * azc_policy_custom_hook.h - CustomHookPolicy (BEHAVIOR.md §4.10): user callbacks on the raw
 * request and the raw response, given to the constructor or per call (`raw_request_hook`,
 * `raw_response_hook`; a per-call hook replaces the constructor's).
 *
 * Hooks are host values (Lua functions): the core keeps only whether they exist and decides
 * which one runs; the host callback runs it. Per-call hooks appear in the options as
 * AZC_OPT_RAW_REQUEST_HOOK / AZC_OPT_RAW_RESPONSE_HOOK holding a boolean "given" (the host
 * keeps the values). A policy with no hook, in a call with none, costs two option lookups.
 */
#ifndef AZC_POLICY_CUSTOM_HOOK_H
#define AZC_POLICY_CUSTOM_HOOK_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The CustomHookPolicy vtable (class name "CustomHookPolicy"). */
extern const azc_policy_vtable azc_custom_hook_policy_vt;

/** @brief Which hook a host call runs (the `which` argument of azc_custom_hook_host_fn). */
enum {
  AZC_CUSTOM_HOOK_NONE = 0,     /**< none: only store the per-call response hook */
  AZC_CUSTOM_HOOK_PER_CALL = 1, /**< the per-call hook (raw_request_hook / raw_response_hook) */
  AZC_CUSTOM_HOOK_POLICY = 2    /**< the constructor's hook */
};

/**
 * @brief The host's part, run synchronously from the hook (with azc_run_host as @p host).
 * On request (@p hook AZC_HOOK_ON_REQUEST): run hook @p which on the pipeline request; a
 * per-call request hook is also stored in the host's context (`raw_request_hook`); when
 * @p store_response is set, the per-call `raw_response_hook` is stored in the context (it was
 * popped from the options now). On response: run hook @p which on the pipeline response (the
 * per-call one is the one stored in the context).
 * @return AZC_OK, or the hook's failure filled in @p out_err (the call fails with it).
 */
typedef azc_code (*azc_custom_hook_host_fn)(void *host, azc_run *run, azc_policy *self, int hook,
                                            int which, int store_response, azc_error *out_err);

/**
 * @brief New CustomHookPolicy (refcount 1).
 * @param has_request_hook non-zero when the constructor was given a raw_request_hook.
 * @param has_response_hook non-zero when it was given a raw_response_hook.
 * @param host_fn the host's part (NULL: hooks are never run).
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_custom_hook_policy_new(int has_request_hook, int has_response_hook,
                                       azc_custom_hook_host_fn host_fn);

#ifdef __cplusplus
}
#endif
#endif
