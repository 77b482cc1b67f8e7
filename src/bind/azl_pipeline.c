/*
 * azl_pipeline.c - Pipeline userdata. It holds the core pipeline; its uservalue keeps the Lua
 * policy objects (indexed by slot + 1) so the GC traces them. pipeline:_run_new starts a
 * PipelineRun (azl_run.c) for the Lua driver; pipeline:_send_native is the fast path: a run of
 * native policies over the curl transport driven entirely in C (azc_drive), with no Lua object
 * unless a policy needs one.
 */
#include <string.h>

#include "azc_driver.h"
#include "azl.h"

#define AZL_PIPELINE_MT "azure.core.NativePipeline"

typedef struct {
  const azl_type *type;
  azc_pipeline *pl;
  int all_native; /* no Lua policy: a run calls no Lua, so it needs no Lua object */
} pipeline_box;

static const azl_type pipeline_type = {AZL_PIPELINE_MT};


static pipeline_box *check_pipeline(lua_State *L, int idx) {
  pipeline_box *b = azl_box_check(L, idx, &pipeline_type);
  if (!b->pl)
    luaL_error(L, "Pipeline is closed");
  return b;
}


/* ---- Pipeline --------------------------------------------------------------------------- */

static int hook_bits(lua_State *L, int idx) {
  int bits = 0;
  idx = azl_absindex(L, idx);
  lua_getfield(L, idx, "on_request");
  if (lua_isfunction(L, -1))
    bits |= AZC_HOOK_ON_REQUEST;
  lua_getfield(L, idx, "on_response");
  if (lua_isfunction(L, -1))
    bits |= AZC_HOOK_ON_RESPONSE;
  lua_getfield(L, idx, "on_exception");
  if (lua_isfunction(L, -1))
    bits |= AZC_HOOK_ON_EXCEPTION;
  lua_pop(L, 3);
  return bits;
}


/* native.pipeline_new(list, n): list entries are native policy userdata or Lua policy tables;
 * nil entries (up to n) are skipped. */
static int l_pipeline_new(lua_State *L) {
  int n, i, slot = 0;
  pipeline_box *b;
  azc_policy **arr;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)luaL_optinteger(L, 2, (lua_Integer)azl_rawlen(L, 1));
  lua_settop(L, 2);
  b = azl_box_new(L, &pipeline_type, sizeof *b, 1); /* index 3 */
  b->pl = NULL;
  b->all_native = 1;
  azl_new_uservalue(L, -1);
  lua_newtable(L); /* index 4: Lua policies by slot */
  arr = lua_newuserdata(L, (size_t)(n > 0 ? n : 1) * sizeof *arr); /* index 5, GC-owned */
  for (i = 1; i <= n; i++) {
    azc_policy *p;
    lua_rawgeti(L, 1, i);
    if (lua_isnil(L, -1) || (lua_isboolean(L, -1) && !lua_toboolean(L, -1))) {
      lua_pop(L, 1);
      continue;
    }
    p = azl_policy_test(L, -1);
    if (p) {
      azc_policy_ref(p);
      if (p->needs_host)
        b->all_native = 0; /* its TOKEN steps need the binding's callbacks */
    } else if (lua_istable(L, -1)) {
      b->all_native = 0;
      lua_getfield(L, -1, "send");
      if (lua_isfunction(L, -1))
        p = azc_policy_new_host(AZC_HOST_SEND, 0, slot);
      else
        p = azc_policy_new_host(AZC_HOST_SANSIO, hook_bits(L, -2), slot);
      lua_pop(L, 1);
    } else {
      int j;
      for (j = 0; j < slot; j++)
        azc_policy_unref(arr[j]);
      return luaL_error(L, "policy #%d must be a policy object or table, got %s", i,
                        luaL_typename(L, -1));
    }
    if (!p) {
      int j;
      for (j = 0; j < slot; j++)
        azc_policy_unref(arr[j]);
      return luaL_error(L, "out of memory");
    }
    arr[slot] = p;
    lua_rawseti(L, 4, ++slot); /* keeps the Lua object (table or userdata) alive */
  }
  b->pl = azc_pipeline_new(arr, (size_t)slot);
  for (i = 0; i < slot; i++)
    azc_policy_unref(arr[i]); /* the pipeline holds its own references */
  if (!b->pl)
    return luaL_error(L, "out of memory");
  azc_pipeline_set_host_hook(b->pl, azl_run_host_hook);
  lua_pushvalue(L, 4);
  azl_uservalue_set(L, 3, "policies");
  lua_pushvalue(L, 3);
  return 1;
}

static int l_pipeline_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)azc_pipeline_count(check_pipeline(L, 1)->pl));
  return 1;
}

static int l_pipeline_has_host_send(lua_State *L) {
  lua_pushboolean(L, azc_pipeline_has_host_send(check_pipeline(L, 1)->pl));
  return 1;
}

/* pipeline:policy(slot0) -> the Lua object at that slot */
static int l_pipeline_policy(lua_State *L) {
  check_pipeline(L, 1);
  azl_uservalue_field(L, 1, "policies");
  lua_rawgeti(L, -1, (int)luaL_checkinteger(L, 2) + 1);
  return 1;
}

static int l_pipeline_close(lua_State *L) {
  pipeline_box *b = azl_box_check(L, 1, &pipeline_type);
  if (b->pl) {
    azc_pipeline_unref(b->pl);
    b->pl = NULL;
  }
  return 0;
}

/* pipeline:_run_new(request, options, stream_default_false) -> PipelineRun */
static int l_run_new(lua_State *L) {
  pipeline_box *pb = check_pipeline(L, 1);
  azc_request *req = azl_request_check(L, 2);
  azc_options o;
  azl_run_box *rb;
  lua_settop(L, 4);
  rb = azl_run_push(L, NULL); /* index 5; owns the run from here on */
  azc_options_init(&o);
  /* options are parsed into the run's own struct so a raise while parsing leaks nothing */
  rb->run = azc_run_new(pb->pl, req, &o);
  if (!rb->run)
    return luaL_error(L, "out of memory");
  azl_options_read(L, 3, azc_run_options(rb->run), NULL, lua_toboolean(L, 4));
  lua_pushvalue(L, 1);
  azl_uservalue_set(L, 5, "pipeline");
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, 5, "request");
  if (!lua_isnil(L, 3)) {
    lua_pushvalue(L, 3);
    azl_uservalue_set(L, 5, "options");
  }
  /* Pipeline:run hands the context to its caller (send_request's path passes
   * stream_default_false and returns the response only): azl_host_context_shown */
  rb->shown = !lua_toboolean(L, 4);
  return 1;
}

/* The end of a fast-path run that azl_host_run promoted: the result comes through its userdata
 * (the response object the hooks saw, the host's own error objects), then the box lets go. */
static int fast_finish(lua_State *L, azl_host *h, azc_run *run, azc_code rc, azc_response *resp,
                       const azc_error *e) {
  int ri = h->run_idx, n = 1;
  if (rc != AZC_OK) {
    lua_pushnil(L);
    azl_run_push_error_object(L, ri, e);
    if (e->code == AZC_ERR_TOO_MANY_REDIRECTS && !e->host_ref) {
      azl_run_push_history(L, run, ri);
      lua_setfield(L, -2, "history");
    }
    n = 2;
  } else {
    azl_run_push_response(L, ri, resp);
    azc_response_unref(resp);
  }
  ((azl_run_box *)lua_touserdata(L, ri))->run = NULL;
  azc_run_free(run);
  return n;
}

/* pipeline:_send_native(request, options|nil, transport, stream_default_false)
 *   -> HttpResponse | nil, err
 * The fast path for pipelines whose policies are all native over the curl transport: no Lua runs
 * during the call, so the run lives only in C. Options are checked before anything is
 * allocated; the ones that allocate (per-call headers) take the general path instead. */
static int l_pipeline_send_native(lua_State *L) {
  pipeline_box *pb = check_pipeline(L, 1);
  azc_request *req = azl_request_check(L, 2);
  azc_curl *t = azl_curl_check(L, 4);
  int stream_default_false = lua_toboolean(L, 5);
  azc_driver_host dh;
  azl_host h;
  azc_send_options base;
  azc_options o;
  azc_run *run;
  azc_response *resp = NULL;
  azc_error e;
  azc_code rc;
  if (!pb->all_native)
    return luaL_error(L, "_send_native needs a pipeline of native policies");
  lua_settop(L, 4);
  azc_options_init(&o);
  /* misuse raises here, before anything is allocated; per-call `headers` (whose values are
   * checked while they are copied) take the general path, see pipeline/init.lua. One pass
   * reads both the core's options and the transport's. */
  azl_options_read(L, 3, &o, &base, stream_default_false);
  run = azc_run_new(pb->pl, req, &o);
  if (!run) {
    azc_options_clear(&o);
    return luaL_error(L, "out of memory");
  }
  /* no run userdata here: native policies that call Lua (logging, tracing) get the state and
   * the options table; the steps that need a run object (POLICY_SEND, TOKEN) cannot occur */
  h.L = L;
  h.run_idx = 0;
  h.opts_idx = 3;
  h.lazy_idx = 1; /* pipeline, request, options, transport: what azl_host_run needs */
  dh.host = &h;
  dh.policy_send = NULL;
  dh.token = NULL;
  rc = azc_drive(run, t, &base, &dh, &resp, &e);
  if (h.run_idx) /* a policy needed Lua objects: the run got a userdata on the way */
    return fast_finish(L, &h, run, rc, resp, &e);
  if (rc != AZC_OK) {
    lua_pushnil(L);
    azl_push_error(L, &e);
    lua_remove(L, -2);
    if (e.code == AZC_ERR_TOO_MANY_REDIRECTS) {
      azl_run_push_history(L, run, 0);
      lua_setfield(L, -2, "history");
    }
    azc_run_free(run);
    return 2;
  }
  azc_run_free(run);
  azl_response_push(L, resp, 2);
  return 1;
}

static int l_pipeline_all_native(lua_State *L) {
  lua_pushboolean(L, check_pipeline(L, 1)->all_native);
  return 1;
}

void azl_pipeline_open(lua_State *L) {
  static const luaL_Reg pmethods[] = {{"_run_new", l_run_new},
                                      {"_send_native", l_pipeline_send_native},
                                      {"all_native", l_pipeline_all_native},
                                      {"count", l_pipeline_count},
                                      {"has_host_send", l_pipeline_has_host_send},
                                      {"policy", l_pipeline_policy},
                                      {"close", l_pipeline_close},
                                      {NULL, NULL}};
  azl_box_metatable(L, &pipeline_type);
  azl_newlib(L, pmethods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_pipeline_close);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_pipeline_new);
  lua_setfield(L, -2, "pipeline_new");
  azl_run_open(L);
}
