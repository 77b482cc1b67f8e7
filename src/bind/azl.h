/*
 * azl.h - internal interface of the Lua binding (src/bind). Every C object Lua can see is a
 * full userdata holding one reference to its core object; the Lua values it needs (cached
 * wrappers, a Lua body reader, free-form attributes) live in its uservalue table, so the GC
 * traces them and no registry reference is needed.
 */
#ifndef AZL_H
#define AZL_H

#include "azc_common.h"
#include "azc_curl.h"
#include "azc_headers.h"
#include "azc_pipeline.h"
#include "azc_request.h"
#include "azc_response.h"
#include "azl_compat.h"

#define AZL_HEADERS_MT "azure.core.Headers"
#define AZL_REQUEST_MT "azure.core.HttpRequest"
#define AZL_RESPONSE_MT "azure.core.HttpResponse"
#define AZL_CURL_MT "azure.core.CurlTransport"
#define AZL_XFER_MT "azure.core.CurlTransfer"

/* azl_box.c: typed userdata ("boxes") for the types on the per-request path. A box struct's
 * first member is `const azl_type *type`; checking one compares that word, where
 * luaL_checkudata looks the metatable up by name (see azl_box.c). One static descriptor per
 * type, its metatable registered under both the name and the descriptor. */
typedef struct azl_type {
  const char *name; /* the metatable's registry name and __name */
} azl_type;
/* Make the type's metatable (left on the stack); 0, and the existing one, when it exists. */
int azl_box_metatable(lua_State *L, const azl_type *t);
/* With the metatable at -2 and a methods table at -1: the table becomes the type's __methods
 * (what native.set_methods extends) and, with @p index, __index is that function closed over the
 * table (azl_box_method reads it); pops the table. */
void azl_box_methods(lua_State *L, lua_CFunction index);
/* Push a new box of @p size bytes (its type word set, the rest unset) with the type's
 * metatable; @p nuv user values on Lua 5.4, the one uservalue slot elsewhere. */
void *azl_box_new(lua_State *L, const azl_type *t, size_t size, int nuv);
/* azl_box_new for an object owning @p footprint bytes of C memory: counted first with
 * azl_gc_account, through the record the metatable keeps (no second registry lookup). */
void *azl_box_new_counted(lua_State *L, const azl_type *t, size_t size, int nuv,
                          size_t footprint);
/* The box at @p idx when it is of type @p t, else NULL (test) or an argument error (check). */
void *azl_box_test(lua_State *L, int idx, const azl_type *t);
void *azl_box_check(lua_State *L, int idx, const azl_type *t);
/* In an __index made by azl_box_methods: push the method named by the key at @p key_idx (nil
 * when none); returns its type. */
int azl_box_method(lua_State *L, int key_idx);

/* Module sections, each registering its functions into the module table at the stack top. */
void azl_headers_open(lua_State *L);
void azl_request_open(lua_State *L);
void azl_response_open(lua_State *L);
void azl_curl_open(lua_State *L);
void azl_url_open(lua_State *L);
void azl_multipart_open(lua_State *L);
void azl_pipeline_open(lua_State *L);

/* azl_gc.c: count the C bytes a new Lua object keeps alive, when large, as collector debt (see
 * the file). Call before pushing the object; azl_gc_open makes the per-state accumulator. */
void azl_gc_open(lua_State *L);
void azl_gc_account(lua_State *L, size_t bytes);
/* The same with the per-state record already at hand (azl_gc_push_state pushes it; NULL: no-op);
 * box metatables keep it, see azl_box_new_counted. */
void azl_gc_push_state(lua_State *L);
/* The record at @p idx, or NULL when that value is not one (Lua code can reach a copy). */
void *azl_gc_state_at(lua_State *L, int idx);
void azl_gc_account_with(lua_State *L, void *state, size_t bytes);

/* azl_run.c: the PipelineRun userdata (opened by azl_pipeline_open). */
typedef struct azl_run_box {
  const azl_type *type;
  azc_run *run;
  int shown; /* Lua code can see the run's context (azl_host_context_shown) */
} azl_run_box;
void azl_run_open(lua_State *L);
/* Push a new PipelineRun userdata owning @p run (may be NULL, set later). */
azl_run_box *azl_run_push(lua_State *L, azc_run *run);
/* Push the error object for @p e (the host's own object when it stands behind it). */
void azl_run_push_error_object(lua_State *L, int run_idx, const azc_error *e);
/* Push the run's history list ({http_request=, http_response=, error=}); run_idx may be 0. */
void azl_run_push_history(lua_State *L, azc_run *run, int run_idx);
/* Push the response object for @p r (the one the run's hooks saw when there is one). */
void azl_run_push_response(lua_State *L, int run_idx, azc_response *r);
/* The pipeline's host hook: calls a Lua SansIO hook for a run (azc_host_hook_fn). */
azc_code azl_run_host_hook(void *host, azc_run *run, azc_policy *p, int hook, azc_error *out_err);

/* azl_options.c: per-call options. Fills the core options from the table at @p idx (nil: none;
 * stream defaults to false when asked) and, with @p send, the transport's own keys too, in one
 * pass when no value needs an allocation. A misuse raises before anything is allocated. With
 * @p send (the native fast path, whose options live on the C stack) per-call headers raise:
 * their values are checked while copied, so they are read only into a run's own options. */
void azl_options_read(lua_State *L, int idx, azc_options *o, azc_send_options *send,
                      int stream_default_false);
/* 1 for keys whose value stays with the host (hook functions): the core keeps only "given". */
int azl_options_host_key(int key);
void azl_policy_open_all(lua_State *L);
void azl_policy_basic_open(lua_State *L);
void azl_policy_retry_open(lua_State *L);
void azl_policy_redirect_open(lua_State *L);
void azl_policy_content_decode_open(lua_State *L);
void azl_policy_custom_hook_open(lua_State *L);
void azl_policy_proxy_open(lua_State *L);
void azl_policy_cleanup_open(lua_State *L);
void azl_policy_logging_open(lua_State *L);
void azl_policy_auth_open(lua_State *L);
void azl_crypto_open(lua_State *L);

/* The host pointer the binding gives azc_run_step (azc_run_host): valid during one call into
 * the core, never kept. @p run_idx is the stack index of the PipelineRun userdata (0 on the
 * native fast path, which has none); @p opts_idx that of the caller's options table (0: read it
 * from the run's uservalue, or none). */
typedef struct azl_host {
  lua_State *L;
  int run_idx;
  int opts_idx;
  int lazy_idx; /* fast path: index of (pipeline, request, options, transport) for azl_host_run */
} azl_host;
/* The stack index of the run's PipelineRun userdata; on the fast path it is created on first
 * need (and h->run_idx set), so the run continues as a general-path run. 0 when impossible. */
int azl_host_run(azl_host *h, azc_run *run);
/* 1 when Lua code can see the run's context: the run has a Lua context already (a Lua policy or
 * hook touched it), or Pipeline:run will return it; 0 on the fast path and for send_request's
 * runs that no Lua code touched. Native policies skip building context values nobody sees. */
int azl_host_context_shown(azl_host *h);
/* Record the Lua error value at @p idx as the run's error object (kept by the PipelineRun, so
 * it surfaces as is) and describe it in @p out_err (code from its kind, never AZC_OK). */
void azl_host_error(azl_host *h, azc_run *run, int idx, azc_error *out_err);
/* Calling a native policy's Lua helper (registered in the registry at @p helper_key by the Lua
 * module @p module): begin pushes the helper and the run's userdata (promoting a fast-path run)
 * and returns the stack top to restore, or -1 with @p out_err filled; the caller pushes its
 * @p nargs arguments; call runs it: nil back is success, anything else is the error object. */
int azl_host_helper_begin(azl_host *h, azc_run *run, const char *helper_key, const char *module,
                          int nargs, azc_error *out_err);
azc_code azl_host_helper_call(azl_host *h, azc_run *run, int top, int nargs, azc_error *out_err);

/* Push `nil, err` where err is the azure.core.exceptions object for @p err; returns 2. */
int azl_push_error(lua_State *L, const azc_error *err);
/* Same for a bare code with a message. */
int azl_push_code(lua_State *L, azc_code code, const char *msg);

/* Push a Headers userdata sharing @p h (takes a reference). @p readonly forbids writes. */
void azl_headers_push(lua_State *L, azc_headers *h);
/* The core headers behind the Headers userdata at @p idx, or NULL. */
azc_headers *azl_headers_test(lua_State *L, int idx);
/* Fill @p h from a Lua table ({name = value} or a Headers userdata) at @p idx; raises on misuse. */
void azl_headers_fill(lua_State *L, int idx, azc_headers *h);

/* Requests: push a new userdata owning one reference to @p r. */
void azl_request_push(lua_State *L, azc_request *r);
azc_request *azl_request_check(lua_State *L, int idx);
azc_request *azl_request_test(lua_State *L, int idx);
/* 1 when the request at @p idx has a Lua reader body (the driver must feed it). */
int azl_request_is_fed(lua_State *L, int idx);

/* Responses: push a new userdata for @p r (takes over one reference); @p req_idx is the stack
 * index of the HttpRequest userdata it answers (0: none), kept in the uservalue. */
void azl_response_push(lua_State *L, azc_response *r, int req_idx);
azc_response *azl_response_check(lua_State *L, int idx);

/* The curl transport at @p idx (raises unless it is an open CurlTransport). */
azc_curl *azl_curl_check(lua_State *L, int idx);
/* The curl transport at @p idx, or NULL when the value is not an open CurlTransport. */
azc_curl *azl_curl_test(lua_State *L, int idx);

/* Per-call transport options read from the Lua options table at @p idx (0: none). String
 * fields point into Lua strings reachable from that table: valid while it is on the stack. */
void azl_send_options_read(lua_State *L, int idx, azc_send_options *out_opts);
/* Store option @p k (value at @p vidx) when it is one of the transport's; returns 1 if it was.
 * Raises on a bad value; string values stay referenced from the caller's table. */
int azl_send_option(lua_State *L, const char *k, int vidx, azc_send_options *o);

/* Native policies. Every native policy class has its own metatable (named
 * "azure.core.<ClassName>") created with azl_policy_class, whose userdata is an azl_policy_box.
 * Its __index serves the class's field getters and methods; fields are read from the C
 * settings, so Lua sees what the core uses. */
typedef struct azl_policy_box {
  azc_policy *p;
} azl_policy_box;
/* Create metatable @p mt for a policy class: @p getters (name -> C function(box_ud) returning
 * the field value) and @p methods; __gc/__tostring are shared. Leaves nothing on the stack. */
void azl_policy_class(lua_State *L, const char *mt, const luaL_Reg *getters,
                      const luaL_Reg *methods);
/* Push a new userdata for @p p (takes over one reference) with metatable @p mt. */
void azl_policy_push(lua_State *L, azc_policy *p, const char *mt);
/* The native policy at @p idx, or NULL when the value is not a native policy userdata. */
azc_policy *azl_policy_test(lua_State *L, int idx);
/* Like azl_policy_test but raises unless the policy's vtable is @p vt. */
azc_policy *azl_policy_check(lua_State *L, int idx, const azc_policy_vtable *vt);
/* Option readers for constructors: return 1 and set *out when the field is present. Raise with
 * a clear message naming the field when it has the wrong type. */
int azl_opt_number(lua_State *L, int tbl, const char *field, double *out);
int azl_opt_bool(lua_State *L, int tbl, const char *field, int *out);
int azl_opt_string(lua_State *L, int tbl, const char *field, const char **out);
/* List options: a list of strings / of integers read into a scratch array; the list and the
 * scratch userdata are left on the stack (pop 2 when done). @return the count, -1 when absent;
 * raises when the list holds anything else. */
long azl_opt_strings(lua_State *L, int tbl, const char *field, const char ***out);
long azl_opt_ints(lua_State *L, int tbl, const char *field, int **out);

/* Generic helpers. */
int azl_uservalue_field(lua_State *L, int idx, const char *key); /* pushes value, returns type */
void azl_uservalue_set(lua_State *L, int idx, const char *key);  /* pops value into uservalue */
void azl_new_uservalue(lua_State *L, int idx);                   /* fresh table as uservalue */
/* Store the free-form attribute key (stack index @p k) = value (@p v) of the userdata at @p idx
 * in its uservalue's `attrs` table, created on first use. */
void azl_attr_set(lua_State *L, int idx, int k, int v);
/* Look @p key up in the Lua methods table of metatable @p mt, by name (for the types that are not
 * boxes, see azl_box.c); pushes it. */
int azl_methods_lookup(lua_State *L, const char *mt, int key_idx);

#endif
