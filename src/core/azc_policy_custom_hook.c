/*
 * azc_policy_custom_hook.c - CustomHookPolicy, azure-core's rules exactly:
 *  - on_request pops `raw_request_hook`: when given it runs (and is stored in the context),
 *    otherwise the constructor's hook runs. The option is popped once per call, so a request
 *    that is resent below this policy runs the constructor's hook from then on, as in azure-core.
 *  - on_request pops `raw_response_hook` into the context; on_response runs the context's hook,
 *    else the constructor's. The context lasts for the whole call (retries included).
 */
#include "azc_policy_custom_hook.h"

#include <stdlib.h>

typedef struct hook_impl {
  int has_request, has_response;
  azc_custom_hook_host_fn host_fn;
} hook_impl;

/* Python truthiness of a hook option: the host stores a boolean "given" (false: None) */
static int given(const azc_optval *v) { return v && v->type == AZC_OPTV_BOOL && v->b; }

static azc_code hook_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const hook_impl *im = self->impl;
  azc_options *o = azc_run_options(run);
  void *host = azc_run_host(run);
  int which = AZC_CUSTOM_HOOK_NONE, store;
  (void)state;
  if (given(azc_options_pop(o, AZC_OPT_RAW_REQUEST_HOOK)))
    which = AZC_CUSTOM_HOOK_PER_CALL;
  else if (im->has_request)
    which = AZC_CUSTOM_HOOK_POLICY;
  store = given(azc_options_pop(o, AZC_OPT_RAW_RESPONSE_HOOK));
  if ((which == AZC_CUSTOM_HOOK_NONE && !store) || !im->host_fn || !host)
    return AZC_OK;
  return im->host_fn(host, run, self, AZC_HOOK_ON_REQUEST, which, store, out_err);
}

static azc_action hook_on_response(azc_policy *self, azc_run *run, void *state,
                                   azc_error *out_err) {
  const hook_impl *im = self->impl;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  const azc_optval *v = azc_options_given(azc_run_options(run), AZC_OPT_RAW_RESPONSE_HOOK);
  void *host = azc_run_host(run);
  int which = AZC_CUSTOM_HOOK_NONE;
  (void)state;
  /* popped by on_request into the context, which every attempt of the call shares */
  if (given(v))
    which = AZC_CUSTOM_HOOK_PER_CALL;
  else if (im->has_response)
    which = AZC_CUSTOM_HOOK_POLICY;
  if (which == AZC_CUSTOM_HOOK_NONE || !im->host_fn || !host)
    return a;
  if (im->host_fn(host, run, self, AZC_HOOK_ON_RESPONSE, which, 0, out_err) != AZC_OK)
    a.kind = AZC_ACTION_FAIL;
  return a;
}

static void hook_destroy(azc_policy *self) { free(self->impl); }

const azc_policy_vtable azc_custom_hook_policy_vt = {
    "CustomHookPolicy", 0, NULL, hook_on_request, hook_on_response, NULL, NULL, hook_destroy};

azc_policy *azc_custom_hook_policy_new(int has_request_hook, int has_response_hook,
                                       azc_custom_hook_host_fn host_fn) {
  hook_impl *im = calloc(1, sizeof *im);
  azc_policy *p;
  if (!im)
    return NULL;
  im->has_request = has_request_hook != 0;
  im->has_response = has_response_hook != 0;
  im->host_fn = host_fn;
  p = azc_policy_new(&azc_custom_hook_policy_vt, im);
  if (!p)
    free(im);
  return p;
}
