/*
 * azl_policy_custom_hook.c - the Lua class of CustomHookPolicy (BEHAVIOR.md §4.10) and its host
 * callback. The constructor's hooks live in the policy userdata's uservalue (read back through
 * the getters raw_request_hook / raw_response_hook); per-call hooks stay in the caller's options
 * table. The callback calls the Lua helper azure/core/pipeline/policies/custom_hook.lua
 * installs, which runs the hook with the run's PipelineRequest / PipelineResponse.
 *
 * A policy without hooks in a call without hooks never calls Lua: the native fast path keeps
 * running. Otherwise the run is promoted to a PipelineRun first (azl_host_run), so the hooks get
 * the same context and response objects a general-path run gives.
 */
#include "azc_policy_custom_hook.h"
#include "azl.h"

#define CUSTOM_HOOK_MT "azure.core.CustomHookPolicy"

/* Registry key of custom_hook.lua's helper(run, slot, stage, which, store) -> nil | error. */
static const char *const HELPER_KEY = "azure.core.native.custom_hook_helper";

static azc_code hook_host(void *host, azc_run *run, azc_policy *self, int hook, int which,
                          int store, azc_error *out_err) {
  azl_host *h = host;
  lua_State *L;
  int top;
  (void)self;
  if (!h || !h->L)
    return AZC_OK;
  if (which == AZC_CUSTOM_HOOK_NONE && !h->run_idx)
    return AZC_OK; /* only a hook to remember in a context nobody shows (fast path) */
  L = h->L;
  top = azl_host_helper_begin(h, run, HELPER_KEY, "azure.core.pipeline.policies.custom_hook", 4,
                              out_err);
  if (top < 0)
    return out_err->code;
  lua_pushinteger(L, (lua_Integer)azc_run_slot(run));
  lua_pushstring(L, hook == AZC_HOOK_ON_REQUEST ? "request" : "response");
  lua_pushinteger(L, which);
  lua_pushboolean(L, store);
  return azl_host_helper_call(h, run, top, 4, out_err);
}

/* A hook value: nil/false (none), or something callable. */
static int check_hook(lua_State *L, int idx, const char *name) {
  int t = lua_type(L, idx);
  if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, idx)))
    return 0;
  if (t != LUA_TFUNCTION && !luaL_getmetafield(L, idx, "__call"))
    luaL_error(L, "option '%s' must be a function, got %s", name, lua_typename(L, t));
  if (t != LUA_TFUNCTION)
    lua_pop(L, 1);
  return 1;
}

/* CustomHookPolicy_new({raw_request_hook = fn, raw_response_hook = fn}) */
static int l_new(lua_State *L) {
  int has_req, has_resp;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_isnil(L, 1)) {
    lua_pushnil(L);
    lua_pushnil(L);
  } else {
    lua_getfield(L, 1, "raw_request_hook");  /* 2 */
    lua_getfield(L, 1, "raw_response_hook"); /* 3 */
  }
  has_req = check_hook(L, 2, "raw_request_hook");
  has_resp = check_hook(L, 3, "raw_response_hook");
  p = azc_custom_hook_policy_new(has_req, has_resp, hook_host);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, CUSTOM_HOOK_MT); /* 4 */
  if (has_req) {
    lua_pushvalue(L, 2);
    azl_uservalue_set(L, 4, "raw_request_hook");
  }
  if (has_resp) {
    lua_pushvalue(L, 3);
    azl_uservalue_set(L, 4, "raw_response_hook");
  }
  return 1;
}

static int g_request_hook(lua_State *L) {
  azl_uservalue_field(L, 1, "raw_request_hook");
  return 1;
}

static int g_response_hook(lua_State *L) {
  azl_uservalue_field(L, 1, "raw_response_hook");
  return 1;
}

/* native._set_custom_hook_helper(fn) */
static int l_set_helper(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, HELPER_KEY);
  return 0;
}

void azl_policy_custom_hook_open(lua_State *L) {
  static const luaL_Reg getters[] = {
      {"raw_request_hook", g_request_hook}, {"raw_response_hook", g_response_hook}, {NULL, NULL}};
  static const luaL_Reg fns[] = {
      {"CustomHookPolicy_new", l_new}, {"_set_custom_hook_helper", l_set_helper}, {NULL, NULL}};
  azl_policy_class(L, CUSTOM_HOOK_MT, getters, NULL);
  azl_setfuncs(L, fns, 0);
}
