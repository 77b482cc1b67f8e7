/*
 * azc_pipeline.h - the pipeline as a sans-I/O state machine (DESIGN.md §2.1).
 *
 * A pipeline is an ordered array of policy slots plus a transport. `azc_run_new` starts a Run;
 * the Run advances through native policies by itself and stops with a *step* whenever it needs
 * something that involves I/O, waiting, or host code that may yield:
 *
 *   SEND          the driver sends azc_run_request() through the transport, then resumes with
 *                 the response (azc_run_resume_response) or the error (azc_run_resume_error)
 *   SLEEP         the driver waits azc_step.seconds through the transport's sleep, then resumes
 *   POLICY_SEND   host policy `slot` owns the call to the rest of the chain: the driver calls its
 *                 send(); the policy's `next` runs a sub-run from slot + 1 (azc_run_new_sub)
 *   TOKEN         native policy `slot` needs a token: the driver asks that policy's credential
 *                 for azc_run_token_request(), then azc_run_resume_token (or resume_error);
 *                 the hook that asked runs again and finds it with azc_run_token
 *   DONE          azc_run_take_response / azc_run_error give the outcome
 *
 * Native policies implement on_request / on_response / on_exception and answer with an action:
 * continue, resend from this slot after a delay (retry, redirect), or fail. Per-run policy state
 * lives in the Run (each policy declares its state size), so one pipeline serves many concurrent
 * runs. Host SansIO hooks (Lua) are called synchronously through the pipeline's host hook
 * callback; they must not yield.
 */
#ifndef AZC_PIPELINE_H
#define AZC_PIPELINE_H

#include "azc_common.h"
#include "azc_options.h"
#include "azc_request.h"
#include "azc_response.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct azc_run azc_run;
typedef struct azc_policy azc_policy;
typedef struct azc_pipeline azc_pipeline;

/** @brief What a native policy asks the machine to do next. */
typedef enum azc_action_kind {
  AZC_ACTION_CONTINUE = 0, /**< go on (down after on_request, up after on_response/exception) */
  AZC_ACTION_RESEND,       /**< wait `delay` seconds, then run slots after this one again */
  AZC_ACTION_FAIL,         /**< stop with the error the policy filled */
  AZC_ACTION_TOKEN         /**< the policy asked for a token (azc_run_request_token): the run
                                hands TOKEN to its driver, then calls the same hook again */
} azc_action_kind;

/**
 * @brief Returned by an on_request hook that called azc_run_request_token: the run hands TOKEN
 * to its driver and calls the same on_request again once the token (or an error) is in.
 */
#define AZC_PENDING_TOKEN ((azc_code)1000)

/** @brief What a policy asks its credential for (BEHAVIOR §4.8). Strings are copied. */
typedef struct azc_token_request {
  const char *const *scopes;
  size_t n_scopes;
  const char *claims;    /**< NULL: not given */
  const char *tenant_id; /**< NULL: not given */
  int enable_cae;        /**< -1: not given, else 0/1 */
} azc_token_request;

/** @brief A token delivered by the driver (strings owned by the run until the next request). */
typedef struct azc_token {
  const char *token;
  double expires_on;  /**< Unix seconds */
  double refresh_on;  /**< Unix seconds, 0 when the credential gave none */
  const char *token_type; /**< "Bearer" unless the credential said otherwise */
} azc_token;

/** @brief A policy's answer. */
typedef struct azc_action {
  azc_action_kind kind;
  double delay; /**< seconds, for RESEND */
} azc_action;

/**
 * @brief The behaviour of a native policy. Every hook is optional (NULL: continue).
 * `state` points to `state_size` zeroed bytes owned by the run for this slot; `run_start` is
 * called once per run before anything else (to capture options), `run_end` once at the end.
 */
typedef struct azc_policy_vtable {
  const char *name;  /**< class name, e.g. "RetryPolicy" */
  size_t state_size; /**< per-run state bytes */
  azc_code (*run_start)(azc_policy *self, azc_run *run, void *state, azc_error *out_err);
  azc_code (*on_request)(azc_policy *self, azc_run *run, void *state, azc_error *out_err);
  azc_action (*on_response)(azc_policy *self, azc_run *run, void *state, azc_error *out_err);
  azc_action (*on_exception)(azc_policy *self, azc_run *run, void *state, azc_error *out_err);
  void (*run_end)(azc_policy *self, azc_run *run, void *state);
  void (*destroy)(azc_policy *self); /**< free `self->impl` */
} azc_policy_vtable;

/** @brief A policy object. Native policies fill `vt` and `impl`; host policies use `host_*`. */
struct azc_policy {
  int refs;
  const azc_policy_vtable *vt; /**< NULL for host (Lua) policies */
  void *impl;                  /**< the native policy's settings */
  int host_kind;               /**< AZC_HOST_SANSIO or AZC_HOST_SEND for host policies */
  int host_hooks;              /**< AZC_HOOK_* bits the host policy implements */
  int host_id;                 /**< the host's handle for the policy (e.g. its Lua slot) */
  int needs_host;              /**< a native policy that asks its driver for host work (TOKEN):
                                    runs of its pipeline need a driver with host callbacks */
};

/** @brief Host policy kinds. */
enum { AZC_HOST_SANSIO = 1, AZC_HOST_SEND = 2 };
/** @brief Host SansIO hook bits, and the `hook` argument of azc_host_hook_fn. */
enum { AZC_HOOK_ON_REQUEST = 1, AZC_HOOK_ON_RESPONSE = 2, AZC_HOOK_ON_EXCEPTION = 4 };

/** @brief New native policy (refcount 1) with @p vt and settings @p impl (owned). */
azc_policy *azc_policy_new(const azc_policy_vtable *vt, void *impl);
/** @brief New host policy (refcount 1). */
azc_policy *azc_policy_new_host(int host_kind, int hooks, int host_id);
/** @brief Take a reference. */
azc_policy *azc_policy_ref(azc_policy *p);
/** @brief Drop a reference; destroys at zero. */
void azc_policy_unref(azc_policy *p);
/** @brief The class name ("RetryPolicy"), or "HostPolicy". */
const char *azc_policy_name(const azc_policy *p);

/**
 * @brief Host callback for SansIO hooks: call hook @p hook of host policy @p p for @p run.
 * @p host is the pointer given to azc_run_step (never stored by the core). On failure fill
 * @p out_err and return its code: the machine treats it as the hook raising.
 */
typedef azc_code (*azc_host_hook_fn)(void *host, azc_run *run, azc_policy *p, int hook,
                                     azc_error *out_err);

/** @brief New pipeline over @p n policies (NULL entries skipped; references taken). A pipeline
 * is used from one thread at a time (it keeps the last finished run's block for the next run);
 * any number of runs may be in flight on it. */
azc_pipeline *azc_pipeline_new(azc_policy *const *policies, size_t n);
/** @brief Take a reference. */
azc_pipeline *azc_pipeline_ref(azc_pipeline *p);
/** @brief Drop a reference. */
void azc_pipeline_unref(azc_pipeline *p);
/** @brief Number of slots. */
size_t azc_pipeline_count(const azc_pipeline *p);
/** @brief Policy at @p i (borrowed). */
azc_policy *azc_pipeline_policy(const azc_pipeline *p, size_t i);
/** @brief Install the host hook callback (used for every host SansIO policy). */
void azc_pipeline_set_host_hook(azc_pipeline *p, azc_host_hook_fn fn);
/** @brief 1 when a host SEND policy is present (the host must drive the run). */
int azc_pipeline_has_host_send(const azc_pipeline *p);

/** @brief Kinds of steps a run hands its driver. */
typedef enum azc_step_kind {
  AZC_STEP_SEND = 1,
  AZC_STEP_SLEEP,
  AZC_STEP_POLICY_SEND,
  AZC_STEP_TOKEN,
  AZC_STEP_DONE
} azc_step_kind;

/** @brief A step: its kind and parameters. */
typedef struct azc_step {
  azc_step_kind kind;
  double seconds; /**< SLEEP */
  size_t slot;    /**< POLICY_SEND and TOKEN: the policy's slot */
} azc_step;

/**
 * @brief Start a run of @p pl for @p req with @p opts (moved into the run: the caller's struct is
 * re-initialised). Slots [0, n) are run.
 * @return the run, or NULL when out of memory.
 */
azc_run *azc_run_new(azc_pipeline *pl, azc_request *req, azc_options *opts);
/**
 * @brief A sub-run for a host SEND policy at @p parent's slot: runs slots [slot + 1, n) with
 * @p req, sharing the parent's options and context (history, flags).
 */
azc_run *azc_run_new_sub(azc_run *parent, size_t slot, azc_request *req);
/** @brief Free a run (and what it still holds). */
void azc_run_free(azc_run *run);

/**
 * @brief Advance until the next step. Host SansIO hooks are called from here through the
 * pipeline's hook callback with @p host.
 */
azc_step azc_run_step(azc_run *run, void *host);
/** @brief Resume after SEND or POLICY_SEND with a response (the run takes the reference). */
void azc_run_resume_response(azc_run *run, azc_response *resp);
/** @brief Resume after SEND, POLICY_SEND or TOKEN with an error (for TOKEN the hook that asked
 * runs again and finds it with azc_run_token_error). */
void azc_run_resume_error(azc_run *run, const azc_error *err);
/** @brief Resume after SLEEP. */
void azc_run_resume(azc_run *run);
/**
 * @brief Resume after TOKEN with the credential's token (strings copied). The hook that asked
 * is called again and reads it with azc_run_token.
 */
void azc_run_resume_token(azc_run *run, const char *token, size_t token_len, double expires_on,
                          double refresh_on, const char *token_type);

/**
 * @brief From a policy hook: ask the driver for a token (then return AZC_PENDING_TOKEN from
 * on_request, or an AZC_ACTION_TOKEN action from on_response / on_exception).
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_run_request_token(azc_run *run, const azc_token_request *tr);
/** @brief For the driver at a TOKEN step: what to ask for; NULL when no token is wanted. */
const azc_token_request *azc_run_token_request(const azc_run *run);
/**
 * @brief For the policy hook called again after TOKEN: the delivered token, or NULL when the
 * credential failed (azc_run_token_error then says why). Each delivery is read once: the next
 * call returns NULL.
 */
const azc_token *azc_run_token(azc_run *run);
/** @brief The credential's failure delivered at the last TOKEN step, or NULL. */
const azc_error *azc_run_token_error(const azc_run *run);

/** @brief The request the run is working on (borrowed). */
azc_request *azc_run_request(azc_run *run);
/** @brief Replace the current request (reference taken). */
void azc_run_set_request(azc_run *run, azc_request *req);
/** @brief The current response (borrowed; NULL when going up with an error). */
azc_response *azc_run_response(azc_run *run);
/** @brief Replace the current response (reference taken; NULL to drop). */
void azc_run_set_response(azc_run *run, azc_response *resp);
/** @brief After DONE: take the response (caller owns it), or NULL on error. */
azc_response *azc_run_take_response(azc_run *run);
/** @brief The current error (when going up with one, or after DONE failed); NULL otherwise. */
const azc_error *azc_run_error(const azc_run *run);
/** @brief Replace the current error (going up). */
void azc_run_set_error(azc_run *run, const azc_error *err);
/** @brief The run's options. */
azc_options *azc_run_options(azc_run *run);
/** @brief The pipeline (borrowed). */
azc_pipeline *azc_run_pipeline(azc_run *run);
/** @brief The slot being executed (for host hooks) */
size_t azc_run_slot(const azc_run *run);
/**
 * @brief The host pointer given to the azc_run_step call in progress (NULL outside a step).
 * For native policies that call back into their host on their own (logging and tracing policies
 * hand records and spans to Lua through callbacks of their own, with this pointer).
 */
void *azc_run_host(const azc_run *run);

/** @brief One retry/redirect history entry: the request as sent and its response or error. */
typedef struct azc_history_entry {
  azc_request *request;   /**< a copy of the request as sent */
  azc_response *response; /**< NULL when the attempt failed */
  azc_error error;        /**< code AZC_OK when there is a response */
} azc_history_entry;

/** @brief Append to the shared history (references taken; @p err may be NULL). */
azc_code azc_run_history_add(azc_run *run, azc_request *req, azc_response *resp,
                             const azc_error *err);
/** @brief Number of history entries of this run's context. */
size_t azc_run_history_count(const azc_run *run);
/** @brief History entry @p i (borrowed). */
const azc_history_entry *azc_run_history(const azc_run *run, size_t i);

/** @brief Context flags native policies share (azure-core context keys). */
typedef enum azc_ctx_flag {
  AZC_CTX_INSECURE_DOMAIN_CHANGE = 1, /**< set by RedirectPolicy, read by the cleanup policy */
  AZC_CTX_ENFORCE_HTTPS_OFF = 2,      /**< bearer policy: enforce_https=false kept for retries */
  AZC_CTX_LOGGING_ENABLE = 4
} azc_ctx_flag;

/** @brief Set or clear a context flag. */
void azc_run_set_flag(azc_run *run, azc_ctx_flag flag, int on);
/** @brief Read a context flag. */
int azc_run_flag(const azc_run *run, azc_ctx_flag flag);

/**
 * @brief Tell the run its transport's connection timeout in seconds (default 300): RetryPolicy
 * only lowers `connection_timeout` below it when the remaining budget is smaller (§4.7).
 */
void azc_run_set_transport_connection_timeout(azc_run *run, double seconds);
/** @brief The transport's connection timeout as told to the run (300 unless set). */
double azc_run_transport_connection_timeout(const azc_run *run);

/** @brief Monotonic clock in seconds (the machine's clock, shared by policies). */
double azc_now(void);
/** @brief Uniform random number in [0, 1) for jitter. */
double azc_random(void);

#ifdef __cplusplus
}
#endif
#endif
