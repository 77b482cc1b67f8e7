/*
 * azl_pipeline.c - Pipeline and PipelineRun userdata.
 *
 * A Pipeline holds the core pipeline; its uservalue keeps the Lua policy objects (indexed by
 * slot + 1) so the GC traces them. A PipelineRun wraps one azc_run; its uservalue keeps the
 * Lua values the run needs while it lives: the request object, the caller's options table,
 * the Lua context, and the host error objects that stand behind azc_error records (host_ref).
 *
 * Two drivers use the same run: the Lua driver calls run:step()/resume*() from Lua (so a Lua
 * transport, credential or send policy may yield), and pipeline:_send_native() runs the whole
 * loop in C (azc_drive). SansIO hooks written in Lua are called from azc_run_step through
 * host_hook below, with the lua_State of the current call (never stored).
 */
#include <string.h>

#include "azc_driver.h"
#include "azl.h"

#define AZL_PIPELINE_MT "azure.core.NativePipeline"
#define AZL_RUN_MT "azure.core.PipelineRun"

/* Registry keys of the Lua helpers installed by azure/core/pipeline/init.lua (set once). */
static const char *const HOOK_CALLER_KEY = "azure.core.native.hook_caller";
static const char *const POLICY_SENDER_KEY = "azure.core.native.policy_sender";
static const char *const ERROR_KIND_KEY = "azure.core.native.error_kind";
static const char *const TOKEN_GETTER_KEY = "azure.core.native.token_getter";

typedef struct {
  azc_pipeline *pl;
  int all_native; /* no Lua policy: a run calls no Lua, so it needs no Lua object */
} pipeline_box;

typedef struct {
  azc_run *run;
  int shown; /* Lua code can see the run's context (azl_host_context_shown) */
} run_box;

/* What a host callback needs during one call into the core: never kept beyond it (azl.h). */
typedef azl_host host_ctx;

static pipeline_box *check_pipeline(lua_State *L, int idx) {
  pipeline_box *b = luaL_checkudata(L, idx, AZL_PIPELINE_MT);
  if (!b->pl)
    luaL_error(L, "Pipeline is closed");
  return b;
}

static run_box *check_run(lua_State *L, int idx) {
  run_box *b = luaL_checkudata(L, idx, AZL_RUN_MT);
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
static void push_error_object(lua_State *L, int run_idx, const azc_error *e) {
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

/* ---- options ---------------------------------------------------------------------------- */

/* Keys whose value is a string (numbers are converted). */
static int string_key(int key) {
  return key == AZC_OPT_REQUEST_ID || key == AZC_OPT_USER_AGENT ||
         key == AZC_OPT_RESPONSE_ENCODING || key == AZC_OPT_PROXIES_HTTP ||
         key == AZC_OPT_PROXIES_HTTPS || key == AZC_OPT_PROXIES_NO_PROXY;
}

/* Keys whose value stays with the host (a Lua function): the core records "given". */
static int host_key(int key) {
  return key == AZC_OPT_RAW_REQUEST_HOOK || key == AZC_OPT_RAW_RESPONSE_HOOK;
}

static void set_option(lua_State *L, azc_options *o, int key, int vidx) {
  int t = lua_type(L, vidx);
  azc_code rc = AZC_OK;
  const char *name = azc_opt_name((azc_opt)key);
  if (t == LUA_TBOOLEAN && !lua_toboolean(L, vidx) && key != AZC_OPT_STREAM &&
      key != AZC_OPT_PERMIT_REDIRECTS && key != AZC_OPT_USER_AGENT_OVERWRITE &&
      key != AZC_OPT_ENFORCE_HTTPS) {
    rc = azc_options_set_none(o, (azc_opt)key); /* false is azure-core's explicit None */
  } else if (key == AZC_OPT_STREAM || key == AZC_OPT_PERMIT_REDIRECTS ||
             key == AZC_OPT_USER_AGENT_OVERWRITE || key == AZC_OPT_ENFORCE_HTTPS ||
             key == AZC_OPT_LOGGING_ENABLE) {
    rc = azc_options_set_bool(o, (azc_opt)key, lua_toboolean(L, vidx));
  } else if (key == AZC_OPT_LOGGER) {
    /* a logger from azure.core.logging, or a logger's name: the core keeps the name */
    if (t == LUA_TTABLE) {
      lua_getfield(L, vidx, "name");
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "option 'logger' must be a logger from azure.core.logging");
    } else if (t == LUA_TSTRING) {
      lua_pushvalue(L, vidx);
    } else {
      luaL_error(L, "option 'logger' must be a logger, got %s", lua_typename(L, t));
    }
    rc = azc_options_set_string(o, (azc_opt)key, lua_tostring(L, -1), azl_rawlen(L, -1));
    lua_pop(L, 1);
  } else if (host_key(key)) {
    rc = azc_options_set_bool(o, (azc_opt)key, 1); /* the function stays in the caller's table */
  } else if (string_key(key)) {
    size_t n;
    const char *s;
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
      luaL_error(L, "option '%s' must be a string, got %s", name, lua_typename(L, t));
    s = lua_tolstring(L, vidx, &n);
    rc = azc_options_set_string(o, (azc_opt)key, s, n);
  } else if (key == AZC_OPT_HEADERS) {
    azc_headers *h;
    if (t != LUA_TTABLE && !azl_headers_test(L, vidx))
      luaL_error(L, "option 'headers' must be a table, got %s", lua_typename(L, t));
    h = azc_headers_new();
    if (!h)
      luaL_error(L, "out of memory");
    rc = azc_options_set_headers(o, AZC_OPT_HEADERS, h);
    azc_headers_unref(h); /* the options hold it now; filling may raise: nothing leaks */
    azl_headers_fill(L, vidx, h);
  } else if (key == AZC_OPT_RETRY_ON_METHODS) {
    luaL_Buffer b;
    size_t i, n;
    if (t != LUA_TTABLE)
      luaL_error(L, "option 'retry_on_methods' must be a list of methods");
    n = azl_rawlen(L, vidx);
    luaL_buffinit(L, &b);
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, vidx, (int)i);
      if (i > 1)
        luaL_addchar(&b, ',');
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    rc = azc_options_set_string(o, (azc_opt)key, lua_tostring(L, -1), azl_rawlen(L, -1));
    lua_pop(L, 1);
  } else {
    if (t != LUA_TNUMBER)
      luaL_error(L, "option '%s' must be a number, got %s", name, lua_typename(L, t));
    rc = azc_options_set_number(o, (azc_opt)key, (double)lua_tonumber(L, vidx));
  }
  if (rc != AZC_OK)
    luaL_error(L, "out of memory");
}

/* Check the types of the known keys of the options table at @p idx without allocating, so a
 * misuse raises before anything needs freeing. */
static void check_options(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx))
    return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t n;
      const char *k = lua_tolstring(L, -2, &n);
      int key = azc_opt_lookup(k, n), t = lua_type(L, -1);
      const char *want = NULL;
      if (key < 0 || key == AZC_OPT_STREAM || key == AZC_OPT_PERMIT_REDIRECTS ||
          key == AZC_OPT_USER_AGENT_OVERWRITE || key == AZC_OPT_ENFORCE_HTTPS ||
          key == AZC_OPT_LOGGING_ENABLE || host_key(key) ||
          (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
        want = NULL;
      else if (key == AZC_OPT_LOGGER && t == LUA_TTABLE) {
        lua_getfield(L, -1, "name"); /* a logger from azure.core.logging has a string name */
        want = lua_type(L, -1) == LUA_TSTRING ? NULL : "a logger from azure.core.logging";
        lua_pop(L, 1);
      } else if (key == AZC_OPT_LOGGER)
        want = t == LUA_TSTRING ? NULL : "a logger";
      else if (string_key(key))
        want = (t == LUA_TSTRING || t == LUA_TNUMBER) ? NULL : "a string";
      else if (key == AZC_OPT_HEADERS || key == AZC_OPT_RETRY_ON_METHODS)
        want = t == LUA_TTABLE ? NULL : "a table";
      else
        want = t == LUA_TNUMBER ? NULL : "a number";
      if (want)
        luaL_error(L, "option '%s' must be %s, got %s", k, want, lua_typename(L, t));
    }
    lua_pop(L, 1);
  }
}

/* Fill the core options from the Lua table at @p idx (only keys the core knows). */
static void read_options(lua_State *L, int idx, azc_options *o, int stream_default_false) {
  if (!lua_isnoneornil(L, idx)) {
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (lua_type(L, -2) == LUA_TSTRING) {
        size_t n;
        const char *k = lua_tolstring(L, -2, &n);
        int key = azc_opt_lookup(k, n);
        if (key >= 0)
          set_option(L, o, key, lua_gettop(L));
      }
      lua_pop(L, 1);
    }
  }
  if (stream_default_false && !azc_options_has(o, AZC_OPT_STREAM))
    azc_options_set_bool(o, AZC_OPT_STREAM, 0);
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

static azc_code host_hook(void *host, azc_run *run, azc_policy *p, int hook, azc_error *out_err);

/* native.pipeline_new(list, n): list entries are native policy userdata or Lua policy tables;
 * nil entries (up to n) are skipped. */
static int l_pipeline_new(lua_State *L) {
  int n, i, slot = 0;
  pipeline_box *b;
  azc_policy **arr;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)luaL_optinteger(L, 2, (lua_Integer)azl_rawlen(L, 1));
  lua_settop(L, 2);
  b = azl_newuserdata(L, sizeof *b); /* index 3 */
  b->pl = NULL;
  b->all_native = 1;
  azl_setmetatable(L, AZL_PIPELINE_MT);
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
  azc_pipeline_set_host_hook(b->pl, host_hook);
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
  pipeline_box *b = luaL_checkudata(L, 1, AZL_PIPELINE_MT);
  if (b->pl) {
    azc_pipeline_unref(b->pl);
    b->pl = NULL;
  }
  return 0;
}

/* ---- PipelineRun ------------------------------------------------------------------------ */

static run_box *push_run(lua_State *L, azc_run *run) {
  run_box *b = azl_newuserdata(L, sizeof *b);
  b->run = run;
  b->shown = 0;
  azl_setmetatable(L, AZL_RUN_MT);
  azl_new_uservalue(L, -1);
  return b;
}

/* pipeline:_run_new(request, options, stream_default_false) -> PipelineRun */
static int l_run_new(lua_State *L) {
  pipeline_box *pb = check_pipeline(L, 1);
  azc_request *req = azl_request_check(L, 2);
  azc_options o;
  run_box *rb;
  lua_settop(L, 4);
  rb = push_run(L, NULL); /* index 5; owns the run from here on */
  azc_options_init(&o);
  /* options are parsed into the run's own struct so a raise while parsing leaks nothing */
  rb->run = azc_run_new(pb->pl, req, &o);
  if (!rb->run)
    return luaL_error(L, "out of memory");
  read_options(L, 3, azc_run_options(rb->run), lua_toboolean(L, 4));
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

/* run:sub(slot, request) -> PipelineRun over the slots after `slot`, sharing context/options */
static int l_run_sub(lua_State *L) {
  run_box *parent = check_run(L, 1);
  size_t slot = (size_t)luaL_checkinteger(L, 2);
  azc_request *req = azl_request_check(L, 3);
  run_box *rb = push_run(L, NULL);
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
  run_box *b = check_run(L, 1);
  push_run_request(L, 1, b->run);
  return 1;
}

/* run:step() -> "send" | "sleep", seconds | "policy_send", slot | "token", slot | "done" */
static int l_run_step(lua_State *L) {
  run_box *b = check_run(L, 1);
  host_ctx h;
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
  run_box *b = check_run(L, 1);
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
static void push_run_response(lua_State *L, int run_idx, azc_response *r) {
  azl_uservalue_field(L, run_idx, "response");
  if (lua_type(L, -1) == LUA_TUSERDATA && azl_response_check(L, -1) == r)
    return;
  lua_pop(L, 1);
  push_run_request(L, run_idx, ((run_box *)lua_touserdata(L, run_idx))->run);
  azl_response_push(L, azc_response_ref(r), -1);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  azl_uservalue_set(L, run_idx, "response");
}

/* run:result() -> HttpResponse | nil, err (after "done") */
static int l_run_result(lua_State *L) {
  run_box *b = check_run(L, 1);
  const azc_error *e = azc_run_error(b->run);
  azc_response *r;
  if (e) {
    lua_pushnil(L);
    push_error_object(L, 1, e);
    return 2;
  }
  r = azc_run_take_response(b->run);
  if (!r)
    return luaL_error(L, "PipelineRun:result() called before the run is done");
  push_run_response(L, 1, r);
  azc_response_unref(r);
  return 1;
}

/* run:transport_options() -> table: the caller's options minus popped keys, with the core's
 * current values for the keys it knows (a policy may have changed connection_timeout). */
static int l_run_transport_options(lua_State *L) {
  run_box *b = check_run(L, 1);
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
    if (host_key(i)) { /* not consumed by a policy: the caller's value itself */
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
static void push_history(lua_State *L, azc_run *run, int run_idx) {
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
        push_error_object(L, run_idx, &h->error);
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
  run_box *b = check_run(L, 1);
  push_history(L, b->run, 1);
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
  run_box *b = check_run(L, 1);
  lua_pushboolean(L, azc_run_flag(b->run, flag_of(L, 2)));
  return 1;
}

static int l_run_set_flag(lua_State *L) {
  run_box *b = check_run(L, 1);
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
  run_box *b = check_run(L, 1);
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
  run_box *b = check_run(L, 1);
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  int key = azc_opt_lookup(k, n);
  azc_options *o = azc_run_options(b->run);
  lua_pushboolean(L, key >= 0 && o->v[key].type != AZC_OPTV_ABSENT && o->v[key].popped);
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
  run_box *b = check_run(L, 1);
  azc_response *r = azc_run_response(b->run);
  if (!r)
    return 0;
  push_run_response(L, 1, r);
  return 1;
}

/* run:current_error() -> the error object the walk carries, or nil */
static int l_run_current_error(lua_State *L) {
  run_box *b = check_run(L, 1);
  const azc_error *e = azc_run_error(b->run);
  if (!e)
    return 0;
  push_error_object(L, 1, e);
  return 1;
}

static int l_run_close(lua_State *L) {
  run_box *b = luaL_checkudata(L, 1, AZL_RUN_MT);
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
static azc_code host_hook(void *host, azc_run *run, azc_policy *p, int hook, azc_error *out_err) {
  host_ctx *h = host;
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
  host_ctx *h = host;
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
  host_ctx *h = host;
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
  run_box *b = check_run(L, 1);
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
  run_box *b = check_run(L, 1);
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
  run_box *b = check_run(L, 1);
  azc_curl *t = azl_curl_check(L, 2);
  azc_send_options base;
  azc_driver_host dh;
  host_ctx h;
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
    push_error_object(L, 1, &e);
    return 2;
  }
  push_run_response(L, 1, resp);
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
  run_box *b = push_run(L, NULL); /* 6 */
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
  return h->run_idx && ((run_box *)lua_touserdata(h->L, h->run_idx))->shown;
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

/* The end of a fast-path run that azl_host_run promoted: the result comes through its userdata
 * (the response object the hooks saw, the host's own error objects), then the box lets go. */
static int fast_finish(lua_State *L, azl_host *h, azc_run *run, azc_code rc, azc_response *resp,
                       const azc_error *e) {
  int ri = h->run_idx, n = 1;
  if (rc != AZC_OK) {
    lua_pushnil(L);
    push_error_object(L, ri, e);
    if (e->code == AZC_ERR_TOO_MANY_REDIRECTS && !e->host_ref) {
      push_history(L, run, ri);
      lua_setfield(L, -2, "history");
    }
    n = 2;
  } else {
    push_run_response(L, ri, resp);
    azc_response_unref(resp);
  }
  ((run_box *)lua_touserdata(L, ri))->run = NULL;
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
  host_ctx h;
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
   * checked while they are copied) take the general path, see pipeline/init.lua */
  check_options(L, 3);
  azl_send_options_read(L, lua_istable(L, 3) ? 3 : 0, &base);
  read_options(L, 3, &o, stream_default_false);
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
      push_history(L, run, 0);
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

void azl_pipeline_open(lua_State *L) {
  static const luaL_Reg pmethods[] = {{"_run_new", l_run_new},
                                      {"_send_native", l_pipeline_send_native},
                                      {"all_native", l_pipeline_all_native},
                                      {"count", l_pipeline_count},
                                      {"has_host_send", l_pipeline_has_host_send},
                                      {"policy", l_pipeline_policy},
                                      {"close", l_pipeline_close},
                                      {NULL, NULL}};
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
  azl_newmetatable(L, AZL_PIPELINE_MT);
  azl_newlib(L, pmethods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_pipeline_close);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  azl_newmetatable(L, AZL_RUN_MT);
  azl_newlib(L, rmethods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_run_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_run_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_pipeline_new);
  lua_setfield(L, -2, "pipeline_new");
  lua_pushcfunction(L, l_set_helpers);
  lua_setfield(L, -2, "set_pipeline_helpers");
}
