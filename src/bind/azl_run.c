/*
 * azl_run.c - PipelineRun userdata: one azc_run and the Lua values it needs while it lives (the
 * request object, the caller's options table, the Lua context, the host error objects behind
 * azc_error records). The Lua driver calls run:step()/resume*() from Lua (so a Lua transport,
 * credential or send policy may yield); SansIO hooks written in Lua, POLICY_SEND and TOKEN are
 * carried out through the host callbacks here, with the lua_State of the current call (never
 * stored).
 */
#include <string.h>

#include "azc_driver.h"
#include "azl.h"

#define AZL_RUN_MT "azure.core.PipelineRun"
static const azl_type run_type = {AZL_RUN_MT};

/* Registry keys of the Lua helpers installed by azure/core/pipeline/init.lua (set once). */
static const char *const HOOK_CALLER_KEY = "azure.core.native.hook_caller";
static const char *const POLICY_SENDER_KEY = "azure.core.native.policy_sender";
static const char *const ERROR_KIND_KEY = "azure.core.native.error_kind";
static const char *const TOKEN_GETTER_KEY = "azure.core.native.token_getter";

static azl_run_box *check_run(lua_State *L, int idx) {
  azl_run_box *b = azl_box_check(L, idx, &run_type);
  if (!b->run)
    luaL_error(L, "PipelineRun is finished");
  return b;
}


/* ---- host errors ------------------------------------------------------------------------ */

/* Keep the Lua error object at @p idx in the run's uservalue and describe it in @p out: its
 * kind (mapped by the Lua helper error_kind to a core code name) decides how native policies
 * treat it (retry counters, never-retried kinds); host_ref brings the object back later. */
static void host_error_record(lua_State *L, int run_idx, int idx, azc_error *out) {
  int ref, i;
  const char *kind = "HostError", *msg;
  idx = azl_absindex(L, idx);
  azc_error_set(out, AZC_ERR_HOST, "%s", "host error");
  lua_getfield(L, LUA_REGISTRYINDEX, ERROR_KIND_KEY);
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 1, 2, 0) == LUA_OK) {
      if (lua_type(L, -2) == LUA_TSTRING)
        kind = lua_tostring(L, -2);
      msg = lua_tostring(L, -1);
      if (msg)
        azc_error_set(out, AZC_ERR_HOST, "%s", msg);
    } else {
      lua_pushnil(L);
    }
  } else {
    lua_pushnil(L);
    lua_pushnil(L);
  }
  for (i = 1; i < AZC_ERR__COUNT; i++)
    if (strcmp(azc_code_name((azc_code)i), kind) == 0)
      out->code = (azc_code)i;
  lua_pop(L, 2);
  /* curl details of transport errors from a Lua transport are kept on the object itself */
  if (azl_uservalue_field(L, run_idx, "errors") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    azl_uservalue_set(L, run_idx, "errors");
  }
  ref = (int)azl_rawlen(L, -1) + 1;
  lua_pushvalue(L, idx);
  lua_rawseti(L, -2, ref);
  lua_pop(L, 1);
  out->host_ref = ref;
}

/* Push the error object for @p e: the host's own object when it has one, else a new one. */
void azl_run_push_error_object(lua_State *L, int run_idx, const azc_error *e) {
  if (e->host_ref) {
    azl_uservalue_field(L, run_idx, "errors");
    if (lua_istable(L, -1)) {
      lua_rawgeti(L, -1, e->host_ref);
      lua_remove(L, -2);
      if (!lua_isnil(L, -1))
        return;
    }
    lua_pop(L, 1);
  }
  azl_push_error(L, e);
  lua_remove(L, -2); /* azl_push_error pushes nil, err */
}

/* ---- PipelineRun ------------------------------------------------------------------------ */

azl_run_box *azl_run_push(lua_State *L, azc_run *run) {
  azl_run_box *b = azl_box_new(L, &run_type, sizeof *b, 1);
  b->run = run;
  b->shown = 0;
  azl_new_uservalue(L, -1);
  return b;
}

/* run:sub(slot, request) -> PipelineRun over the slots after `slot`, sharing context/options */
static int l_run_sub(lua_State *L) {
  azl_run_box *parent = check_run(L, 1);
  size_t slot = (size_t)luaL_checkinteger(L, 2);
  azc_request *req = azl_request_check(L, 3);
  azl_run_box *rb = azl_run_push(L, NULL);
  rb->run = azc_run_new_sub(parent->run, slot, req);
  if (!rb->run)
    return luaL_error(L, "out of memory");
  azl_uservalue_field(L, 1, "pipeline");
  azl_uservalue_set(L, -2, "pipeline");
  lua_pushvalue(L, 3);
  azl_uservalue_set(L, -2, "request");
  azl_uservalue_field(L, 1, "options");
  azl_uservalue_set(L, -2, "options");
  rb->shown = azl_uservalue_field(L, 1, "context") != LUA_TNIL; /* pushed in any case */
  rb->shown = rb->shown || parent->shown;
  azl_uservalue_set(L, -2, "context");
  lua_pushvalue(L, 1); /* the root keeps errors recorded by sub-runs reachable */
  azl_uservalue_set(L, -2, "parent");
  return 1;
}

/* Push the request object for the run's current request: the caller's object when it is
 * still the same core request, else a new userdata sharing it. */
static void push_run_request(lua_State *L, int run_idx, azc_run *run) {
  azc_request *cur = azc_run_request(run);
  azl_uservalue_field(L, run_idx, "request");
  if (azl_request_test(L, -1) == cur)
    return;
  lua_pop(L, 1);
  azl_request_push(L, azc_request_ref(cur));
  lua_pushvalue(L, -1);
  azl_uservalue_set(L, run_idx, "request");
}

static int l_run_request(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  push_run_request(L, 1, b->run);
  return 1;
}

/* run:step() -> "send" | "sleep", seconds | "policy_send", slot | "token", slot | "done" */
static int l_run_step(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azl_host h;
  azc_step st;
  h.L = L;
  h.run_idx = 1;
  h.opts_idx = 0;
  h.lazy_idx = 0;
  st = azc_run_step(b->run, &h);
  switch (st.kind) {
  case AZC_STEP_SEND:
    lua_pushliteral(L, "send");
    return 1;
  case AZC_STEP_SLEEP:
    lua_pushliteral(L, "sleep");
    lua_pushnumber(L, st.seconds);
    return 2;
  case AZC_STEP_POLICY_SEND:
    lua_pushliteral(L, "policy_send");
    lua_pushinteger(L, (lua_Integer)st.slot);
    return 2;
  case AZC_STEP_TOKEN:
    lua_pushliteral(L, "token");
    lua_pushinteger(L, (lua_Integer)st.slot);
    return 2;
  default:
    lua_pushliteral(L, "done");
    return 1;
  }
}

/* run:resume(response) | run:resume(nil, err) | run:resume() after sleep */
static int l_run_resume(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3)) {
    azc_run_resume(b->run);
    return 0;
  }
  if (!lua_isnil(L, 2)) {
    azc_response *r = azl_response_check(L, 2);
    azc_run_resume_response(b->run, azc_response_ref(r));
    /* the Lua object for this response is returned to the caller at the end */
    lua_pushvalue(L, 2);
    azl_uservalue_set(L, 1, "response");
  } else {
    azc_error e;
    host_error_record(L, 1, 3, &e);
    azc_run_resume_error(b->run, &e);
  }
  return 0;
}

/* Push the response object for the run's current/final response. */
void azl_run_push_response(lua_State *L, int run_idx, azc_response *r) {
  azl_uservalue_field(L, run_idx, "response");
  if (lua_type(L, -1) == LUA_TUSERDATA && azl_response_check(L, -1) == r)
    return;
  lua_pop(L, 1);
  push_run_request(L, run_idx, ((azl_run_box *)lua_touserdata(L, run_idx))->run);
  azl_response_push(L, azc_response_ref(r), -1);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  azl_uservalue_set(L, run_idx, "response");
}

/* run:result() -> HttpResponse | nil, err (after "done") */
static int l_run_result(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  const azc_error *e = azc_run_error(b->run);
  azc_response *r;
  if (e) {
    lua_pushnil(L);
    azl_run_push_error_object(L, 1, e);
    return 2;
  }
  r = azc_run_take_response(b->run);
  if (!r)
    return luaL_error(L, "PipelineRun:result() called before the run is done");
  azl_run_push_response(L, 1, r);
  azc_response_unref(r);
  return 1;
}

/* run:transport_options() -> table: the caller's options minus popped keys, with the core's
 * current values for the keys it knows (a policy may have changed connection_timeout). */
static int l_run_transport_options(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azc_options *o = azc_run_options(b->run);
  int i;
  lua_newtable(L);
  if (azl_uservalue_field(L, 1, "options") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      int key = -1;
      if (lua_type(L, -2) == LUA_TSTRING) {
        size_t n;
        const char *k = lua_tolstring(L, -2, &n);
        key = azc_opt_lookup(k, n);
      }
      if (key < 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -5);
      } else {
        lua_pop(L, 1);
      }
    }
  }
  lua_pop(L, 1);
  for (i = 0; i < AZC_OPT__COUNT; i++) {
    const azc_optval *v = azc_options_get(o, (azc_opt)i);
    if (!v || i == AZC_OPT_HEADERS || i == AZC_OPT_PROXIES_HTTP || i == AZC_OPT_PROXIES_HTTPS ||
        i == AZC_OPT_PROXIES_NO_PROXY)
      continue;
    if (azl_options_host_key(i)) { /* not consumed by a policy: the caller's value itself */
      if (azl_uservalue_field(L, 1, "options") == LUA_TTABLE)
        lua_getfield(L, -1, azc_opt_name((azc_opt)i));
      else
        lua_pushnil(L);
      lua_remove(L, -2);
      lua_setfield(L, -2, azc_opt_name((azc_opt)i));
      continue;
    }
    switch (v->type) {
    case AZC_OPTV_NONE:
      lua_pushboolean(L, 0);
      break;
    case AZC_OPTV_BOOL:
      lua_pushboolean(L, v->b);
      break;
    case AZC_OPTV_NUMBER:
      lua_pushnumber(L, v->num);
      break;
    case AZC_OPTV_STRING:
      lua_pushstring(L, v->str);
      break;
    default:
      continue;
    }
    lua_setfield(L, -2, azc_opt_name((azc_opt)i));
  }
  /* a ProxyPolicy's proxies, as the `proxies` table transports read, unless the caller gave
   * `proxies` (azure-core: the policy only fills a missing `proxies`) */
  lua_getfield(L, -1, "proxies");
  if (lua_isnil(L, -1)) {
    static const azc_opt pk[3] = {AZC_OPT_PROXIES_HTTP, AZC_OPT_PROXIES_HTTPS,
                                  AZC_OPT_PROXIES_NO_PROXY};
    static const char *const pn[3] = {"http", "https", "no_proxy"};
    int any = 0;
    lua_pop(L, 1);
    lua_createtable(L, 0, 3);
    for (i = 0; i < 3; i++) {
      const azc_optval *v = azc_options_get(o, pk[i]);
      if (v && v->type == AZC_OPTV_STRING) {
        lua_pushstring(L, v->str);
        lua_setfield(L, -2, pn[i]);
        any = 1;
      }
    }
    if (any)
      lua_setfield(L, -2, "proxies");
    else
      lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
  return 1;
}

/* Push the run's history: a list of {http_request=, http_response=, error=}. @p run_idx is the
 * stack index of the run's userdata (for host error objects), or 0 when it has none. */
void azl_run_push_history(lua_State *L, azc_run *run, int run_idx) {
  size_t i, n = azc_run_history_count(run);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    const azc_history_entry *h = azc_run_history(run, i);
    lua_createtable(L, 0, 3);
    azl_request_push(L, azc_request_ref(h->request));
    if (h->response) {
      azl_response_push(L, azc_response_ref(h->response), -1);
      lua_setfield(L, -3, "http_response");
    }
    lua_setfield(L, -2, "http_request");
    if (!h->response && h->error.code != AZC_OK) {
      if (run_idx) {
        azl_run_push_error_object(L, run_idx, &h->error);
      } else {
        azl_push_error(L, &h->error); /* nil, err */
        lua_remove(L, -2);
      }
      lua_setfield(L, -2, "error");
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* run:history() -> list of {http_request=, http_response=, error=} */
static int l_run_history(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azl_run_push_history(L, b->run, 1);
  return 1;
}

/* run:flag(name) -> bool, run:set_flag(name, on) */
static azc_ctx_flag flag_of(lua_State *L, int idx) {
  const char *f = luaL_checkstring(L, idx);
  if (strcmp(f, "insecure_domain_change") == 0)
    return AZC_CTX_INSECURE_DOMAIN_CHANGE;
  if (strcmp(f, "enforce_https_off") == 0)
    return AZC_CTX_ENFORCE_HTTPS_OFF;
  if (strcmp(f, "logging_enable") == 0)
    return AZC_CTX_LOGGING_ENABLE;
  luaL_argerror(L, idx, "unknown context flag");
  return AZC_CTX_LOGGING_ENABLE;
}

static int l_run_flag(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  lua_pushboolean(L, azc_run_flag(b->run, flag_of(L, 2)));
  return 1;
}

static int l_run_set_flag(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azc_run_set_flag(b->run, flag_of(L, 2), lua_toboolean(L, 3));
  return 0;
}

/* run:context() / run:set_context(t): the Lua PipelineContext (built by pipeline/init.lua) */
static int l_run_context(lua_State *L) {
  check_run(L, 1);
  azl_uservalue_field(L, 1, "context");
  return 1;
}

static int l_run_set_context(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  lua_settop(L, 2);
  if (!lua_isnil(L, 2))
    b->shown = 1; /* Lua code made a context: it may look at it */
  azl_uservalue_set(L, 1, "context");
  return 0;
}

/* run:options() -> the caller's options table (or nil) */
static int l_run_options(lua_State *L) {
  check_run(L, 1);
  azl_uservalue_field(L, 1, "options");
  return 1;
}

/* run:popped(name) -> true when a native policy consumed that option */
static int l_run_popped(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  int key = azc_opt_lookup(k, n);
  const azc_optval *v = key >= 0 ? azc_options_given(azc_run_options(b->run), (azc_opt)key) : NULL;
  lua_pushboolean(L, v && v->type != AZC_OPTV_ABSENT && v->popped);
  return 1;
}

/* run:policy(slot) -> the Lua policy object at that slot */
static int l_run_policy(lua_State *L) {
  check_run(L, 1);
  azl_uservalue_field(L, 1, "pipeline");
  azl_uservalue_field(L, -1, "policies");
  lua_rawgeti(L, -1, (int)luaL_checkinteger(L, 2) + 1);
  return 1;
}

/* run:current_response() -> the response the walk carries (nil while it carries an error) */
static int l_run_current_response(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azc_response *r = azc_run_response(b->run);
  if (!r)
    return 0;
  azl_run_push_response(L, 1, r);
  return 1;
}

/* run:current_error() -> the error object the walk carries, or nil */
static int l_run_current_error(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  const azc_error *e = azc_run_error(b->run);
  if (!e)
    return 0;
  azl_run_push_error_object(L, 1, e);
  return 1;
}

static int l_run_close(lua_State *L) {
  azl_run_box *b = azl_box_check(L, 1, &run_type);
  if (b->run) {
    azc_run_free(b->run);
    b->run = NULL;
  }
  return 0;
}

/* ---- host callbacks --------------------------------------------------------------------- */

/* SansIO hook of a Lua policy, called from azc_run_step: the Lua helper hook_caller(run, slot,
 * hook_name) builds the PipelineRequest/Response and calls the hook; it runs in a protected
 * call, and a hook that tries to yield gets a clear error (it cannot: we are inside C). */
azc_code azl_run_host_hook(void *host, azc_run *run, azc_policy *p, int hook, azc_error *out_err) {
  azl_host *h = host;
  lua_State *L;
  const char *name = hook == AZC_HOOK_ON_REQUEST    ? "on_request"
                     : hook == AZC_HOOK_ON_RESPONSE ? "on_response"
                                                    : "on_exception";
  int status;
  (void)run;
  if (!h || !h->run_idx)
    return azc_error_set(out_err, AZC_ERR_ARG, "a Lua hook needs the Lua driver or binding");
  L = h->L;
  lua_getfield(L, LUA_REGISTRYINDEX, HOOK_CALLER_KEY);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return azc_error_set(out_err, AZC_ERR_ARG, "azure.core.pipeline is not loaded");
  }
  lua_pushvalue(L, h->run_idx);
  lua_pushinteger(L, p->host_id);
  lua_pushstring(L, name);
  status = lua_pcall(L, 3, 1, 0);
  if (status == LUA_OK && lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return AZC_OK;
  }
  /* the helper returns the (wrapped) error object, or a raw error came out of pcall */
  host_error_record(L, h->run_idx, -1, out_err);
  lua_pop(L, 1);
  return out_err->code == AZC_OK ? AZC_ERR_HOST : out_err->code;
}

/* POLICY_SEND from the native driver: the Lua helper policy_sender(run, slot) runs the Lua
 * policy's send (whose next:send drives a sub-run natively) and returns response | nil, err. */
static azc_code host_policy_send(void *host, azc_run *run, size_t slot, azc_response **out_resp,
                                 azc_error *out_err) {
  azl_host *h = host;
  lua_State *L = h->L;
  (void)run;
  lua_getfield(L, LUA_REGISTRYINDEX, POLICY_SENDER_KEY);
  lua_pushvalue(L, h->run_idx);
  lua_pushinteger(L, (lua_Integer)slot);
  if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
    host_error_record(L, h->run_idx, -1, out_err);
    lua_pop(L, 1);
    return out_err->code;
  }
  if (!lua_isnil(L, -2)) {
    *out_resp = azc_response_ref(azl_response_check(L, -2));
    lua_pushvalue(L, -2);
    azl_uservalue_set(L, h->run_idx, "response");
    lua_pop(L, 2);
    return AZC_OK;
  }
  host_error_record(L, h->run_idx, -1, out_err);
  lua_pop(L, 2);
  return out_err->code;
}

/* TOKEN from the native driver: the Lua helper token_getter(run, slot) asks the policy's
 * credential (it may not yield here: use the Lua driver for credentials that do I/O through
 * cosockets) and resumes the run itself through run:resume_token, or returns nil, err. */
static azc_code host_token(void *host, azc_run *run, size_t slot, azc_error *out_err) {
  azl_host *h = host;
  lua_State *L = h->L;
  (void)run;
  lua_getfield(L, LUA_REGISTRYINDEX, TOKEN_GETTER_KEY);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    return azc_error_set(out_err, AZC_ERR_ARG, "no token getter installed");
  }
  lua_pushvalue(L, h->run_idx);
  lua_pushinteger(L, (lua_Integer)slot);
  if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
    host_error_record(L, h->run_idx, -1, out_err);
    lua_pop(L, 1);
    return out_err->code;
  }
  if (lua_toboolean(L, -2)) {
    lua_pop(L, 2);
    return AZC_OK;
  }
  host_error_record(L, h->run_idx, -1, out_err);
  lua_pop(L, 2);
  return out_err->code == AZC_OK ? AZC_ERR_HOST : out_err->code;
}

/* run:token_request() -> {scopes = {...}, claims=, tenant_id=, enable_cae=} | nil */
static int l_run_token_request(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  const azc_token_request *tr = azc_run_token_request(b->run);
  size_t i;
  if (!tr)
    return 0;
  lua_createtable(L, 0, 4);
  lua_createtable(L, (int)tr->n_scopes, 0);
  for (i = 0; i < tr->n_scopes; i++) {
    lua_pushstring(L, tr->scopes[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "scopes");
  if (tr->claims) {
    lua_pushstring(L, tr->claims);
    lua_setfield(L, -2, "claims");
  }
  if (tr->tenant_id) {
    lua_pushstring(L, tr->tenant_id);
    lua_setfield(L, -2, "tenant_id");
  }
  if (tr->enable_cae >= 0) {
    lua_pushboolean(L, tr->enable_cae);
    lua_setfield(L, -2, "enable_cae");
  }
  return 1;
}

/* run:resume_token(token, expires_on, refresh_on|nil, token_type|nil) */
static int l_run_resume_token(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  size_t n;
  const char *tok = luaL_checklstring(L, 2, &n);
  double exp = (double)luaL_checknumber(L, 3);
  double ref = (double)luaL_optnumber(L, 4, 0);
  const char *type = luaL_optstring(L, 5, "Bearer");
  azc_run_resume_token(b->run, tok, n, exp, ref, type);
  return 0;
}

/* run:_drive_native(transport, base_options_table) -> HttpResponse | nil, err
 * The whole loop in C (azc_drive). Options the core does not know (connection_verify,
 * connection_cert, proxies) are read once from the caller's table. */
static int l_run_drive_native(lua_State *L) {
  azl_run_box *b = check_run(L, 1);
  azc_curl *t = azl_curl_check(L, 2);
  azc_send_options base;
  azc_driver_host dh;
  azl_host h;
  azc_response *resp = NULL;
  azc_error e;
  azl_uservalue_field(L, 1, "options"); /* index 3: kept on the stack: base borrows its strings */
  azl_send_options_read(L, lua_istable(L, 3) ? 3 : 0, &base);
  h.L = L;
  h.run_idx = 1;
  h.opts_idx = 0;
  h.lazy_idx = 0;
  dh.host = &h;
  dh.policy_send = host_policy_send;
  dh.token = host_token;
  if (azc_drive(b->run, t, &base, &dh, &resp, &e) != AZC_OK) {
    lua_pushnil(L);
    azl_run_push_error_object(L, 1, &e);
    return 2;
  }
  azl_run_push_response(L, 1, resp);
  azc_response_unref(resp);
  return 1;
}

/* ---- fast-path runs that need Lua objects after all -------------------------------------- */

/* The fast path creates no PipelineRun userdata. When a native policy needs Lua objects during
 * such a run (a hook called with a PipelineRequest, an error object carrying the response),
 * azl_host_run wraps the run in one and registers it with the Lua driver as Pipeline:run does,
 * so from then on the run is a general-path run. The userdata only borrows the run:
 * l_pipeline_send_native frees it and empties the box (fast_finish). */
typedef struct promote_args {
  azc_run *run;
} promote_args;

/* (args, pipeline, request, options, transport) -> PipelineRun */
static int promote_protected(lua_State *L) {
  promote_args *a = lua_touserdata(L, 1);
  azl_run_box *b = azl_run_push(L, NULL); /* 6 */
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, 6, "pipeline");
  lua_pushvalue(L, 3);
  azl_uservalue_set(L, 6, "request");
  if (lua_istable(L, 4)) {
    lua_pushvalue(L, 4);
    azl_uservalue_set(L, 6, "options");
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_getfield(L, -1, "azure.core.pipeline.driver");
  lua_getfield(L, -1, "register");
  lua_pushvalue(L, 6);
  lua_pushvalue(L, 5);
  lua_pushliteral(L, "native");
  lua_call(L, 3, 0);
  lua_pop(L, 2);
  b->run = a->run; /* last: after a failure above, the run stays with its owner only */
  return 1;
}

int azl_host_run(azl_host *h, azc_run *run) {
  lua_State *L = h->L;
  promote_args a;
  int i;
  if (h->run_idx)
    return h->run_idx;
  if (!h->lazy_idx || !lua_checkstack(L, 8))
    return 0;
  a.run = run;
  lua_pushcfunction(L, promote_protected);
  lua_pushlightuserdata(L, &a);
  for (i = 0; i < 4; i++)
    lua_pushvalue(L, h->lazy_idx + i);
  if (lua_pcall(L, 5, 1, 0) != LUA_OK) {
    lua_pop(L, 1);
    return 0;
  }
  h->run_idx = lua_gettop(L); /* stays there until the fast path returns */
  return h->run_idx;
}

int azl_host_context_shown(azl_host *h) {
  return h->run_idx && ((azl_run_box *)lua_touserdata(h->L, h->run_idx))->shown;
}

void azl_host_error(azl_host *h, azc_run *run, int idx, azc_error *out_err) {
  lua_State *L = h->L;
  idx = azl_absindex(L, idx); /* before azl_host_run may push the run */
  if (azl_host_run(h, run)) {
    host_error_record(L, h->run_idx, idx, out_err);
  } else {
    const char *msg = lua_tostring(L, idx);
    azc_error_set(out_err, AZC_ERR_HOST, "%s", msg ? msg : "host error");
  }
  if (out_err->code == AZC_OK)
    out_err->code = AZC_ERR_HOST;
}

/* native.set_pipeline_helpers(hook_caller, policy_sender, error_kind, token_getter) */
static int l_set_helpers(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TFUNCTION);
    lua_pushvalue(L, 4);
    lua_setfield(L, LUA_REGISTRYINDEX, TOKEN_GETTER_KEY);
  }
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, HOOK_CALLER_KEY);
  lua_pushvalue(L, 2);
  lua_setfield(L, LUA_REGISTRYINDEX, POLICY_SENDER_KEY);
  lua_pushvalue(L, 3);
  lua_setfield(L, LUA_REGISTRYINDEX, ERROR_KIND_KEY);
  return 0;
}


void azl_run_open(lua_State *L) {
  static const luaL_Reg rmethods[] = {{"step", l_run_step},
                                      {"resume", l_run_resume},
                                      {"request", l_run_request},
                                      {"result", l_run_result},
                                      {"sub", l_run_sub},
                                      {"transport_options", l_run_transport_options},
                                      {"history", l_run_history},
                                      {"flag", l_run_flag},
                                      {"set_flag", l_run_set_flag},
                                      {"context", l_run_context},
                                      {"set_context", l_run_set_context},
                                      {"options", l_run_options},
                                      {"popped", l_run_popped},
                                      {"_drive_native", l_run_drive_native},
                                      {"policy", l_run_policy},
                                      {"current_response", l_run_current_response},
                                      {"current_error", l_run_current_error},
                                      {"token_request", l_run_token_request},
                                      {"resume_token", l_run_resume_token},
                                      {"close", l_run_close},
                                      {NULL, NULL}};
  azl_box_metatable(L, &run_type);
  azl_newlib(L, rmethods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_run_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_run_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_set_helpers);
  lua_setfield(L, -2, "set_pipeline_helpers");
}

/* ---- calling a policy's Lua helper ------------------------------------------------------- */

int azl_host_helper_begin(azl_host *h, azc_run *run, const char *helper_key, const char *module,
                          int nargs, azc_error *out_err) {
  lua_State *L = h->L;
  int ri = azl_host_run(h, run), top;
  if (!ri) {
    azc_error_set(out_err, AZC_ERR_ARG, "%s: no Lua pipeline run", module);
    return -1;
  }
  top = lua_gettop(L);
  if (!lua_checkstack(L, nargs + 3)) {
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return -1;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, helper_key);
  if (!lua_isfunction(L, -1)) {
    lua_settop(L, top);
    azc_error_set(out_err, AZC_ERR_ARG, "%s is not loaded", module);
    return -1;
  }
  lua_pushvalue(L, ri);
  return top;
}

azc_code azl_host_helper_call(azl_host *h, azc_run *run, int top, int nargs, azc_error *out_err) {
  lua_State *L = h->L;
  /* the helpers catch what they call; a raise here is a bug or a memory error: still reported */
  if (lua_pcall(L, nargs + 1, 1, 0) != LUA_OK || !lua_isnil(L, -1)) {
    azl_host_error(h, run, -1, out_err);
    lua_settop(L, top);
    return out_err->code;
  }
  lua_settop(L, top);
  return AZC_OK;
}
