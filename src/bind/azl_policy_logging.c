/*
 * azl_policy_logging.c - the Lua classes of NetworkTraceLoggingPolicy, HttpLoggingPolicy
 * (BEHAVIOR.md §4.11-4.12) and DistributedTracingPolicy (§4.13), their allow-list objects, and
 * the two callbacks through which these native policies reach Lua: records go to the emitter
 * azure/core/logging.lua installs, span work to the handler azure/core/tracing.lua installs.
 *
 * Both callbacks run inside a policy hook, with the lua_State of the step in progress
 * (azc_run_host); each does its Lua work in a protected call, so a failing handler, a missing
 * module or even a memory error can never unwind through the pipeline machine: logging and
 * tracing never fail a request.
 *
 * Whether a policy calls Lua at all is decided in C: logging.lua tells each logging policy
 * whether its logger would write a record (policy:_set_enabled), tracing.lua tells each tracing
 * policy whether an implementation may be configured (policy:_set_active). Both modules keep
 * their policies in weak tables and are loaded by the constructors below.
 */
#include <stdlib.h>
#include <string.h>

#include "azc_policy_logging.h"
#include "azc_policy_tracing.h"
#include "azc_redact.h"
#include "azl.h"

#define NETWORK_MT "azure.core.NetworkTraceLoggingPolicy"
#define HTTP_LOG_MT "azure.core.HttpLoggingPolicy"
#define TRACING_MT "azure.core.DistributedTracingPolicy"
#define ALLOWLIST_MT "azure.core.AllowList"

/* Registry keys: the Lua functions the callbacks call (set once by the Lua modules), and a table
 * with weak values mapping each tracing policy (light userdata) to its Lua settings, which the
 * policy's userdata keeps alive in its uservalue. */
static const char *const EMITTER_KEY = "azure.core.native.log_emitter";
static const char *const TRACER_KEY = "azure.core.native.trace_handler";
static const char *const TRACE_CONFIGS_KEY = "azure.core.native.trace_configs";

/* ---- calling Lua from a policy hook ------------------------------------------------------- */

typedef struct emit_args {
  const char *logger;
  int level;
  const char *text;
  size_t len;
} emit_args;

static int emit_protected(lua_State *L) {
  emit_args *a = lua_touserdata(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, EMITTER_KEY);
  if (!lua_isfunction(L, -1))
    return 0; /* azure.core.logging never installed it: nobody can want the record */
  lua_pushstring(L, a->logger);
  lua_pushinteger(L, a->level);
  lua_pushlstring(L, a->text, a->len);
  lua_call(L, 3, 0);
  return 0;
}

/* azc_log_emit_fn: the record goes to logging.lua's emitter(logger_name, level, text), which
 * checks the logger once more and calls the handlers. */
static void log_sink(void *ud, azc_run *run, const char *logger, int level, const char *text,
                     size_t len) {
  azl_host *h = azc_run_host(run);
  emit_args a;
  lua_State *L;
  int top;
  (void)ud;
  if (!h || !h->L)
    return; /* stepped by a C host: no Lua to give the record to */
  L = h->L;
  top = lua_gettop(L);
  if (!lua_checkstack(L, 8))
    return;
  a.logger = logger;
  a.level = level;
  a.text = text;
  a.len = len;
  lua_pushcfunction(L, emit_protected);
  lua_pushlightuserdata(L, &a);
  (void)lua_pcall(L, 1, 0, 0); /* the emitter reports its own failures; nothing may escape */
  lua_settop(L, top);
}

typedef struct trace_args {
  azc_run *run;
  azc_policy *p;
  azc_trace_event ev;
  void *key;
} trace_args;

/* Push the error object the run carries: the host's own object (kept in the run userdata at
 * @p run_idx, 0: none) when it has one, else a new one. */
static void push_run_error(lua_State *L, int run_idx, const azc_error *e) {
  if (e->host_ref && run_idx) {
    if (azl_uservalue_field(L, run_idx, "errors") == LUA_TTABLE) {
      lua_rawgeti(L, -1, e->host_ref);
      lua_remove(L, -2);
      if (!lua_isnil(L, -1))
        return;
    }
    lua_pop(L, 1);
  }
  azl_push_error(L, e); /* nil, err */
  lua_remove(L, -2);
}

/* Called as trace_protected(args, run userdata|nil, options|nil): the handler's arguments are
 * event, key, request, response|nil, error|nil, resend count, default span name, the policy's
 * settings, the caller's options table|nil. (Stack indexes of the host refer to the frame that
 * stepped the run, so trace_sink passes those values in.) */
static int trace_protected(lua_State *L) {
  trace_args *a = lua_touserdata(L, 1);
  azc_request *req = azc_run_request(a->run);
  azc_response *resp;
  const azc_error *err;
  azc_buf name = {0};
  int req_idx;
  lua_settop(L, 3);
  lua_getfield(L, LUA_REGISTRYINDEX, TRACER_KEY);
  if (!lua_isfunction(L, -1))
    return 0;
  lua_pushstring(L, a->ev == AZC_TRACE_START ? "start" : "end");
  lua_pushlightuserdata(L, a->key);
  /* a new userdata sharing the core request: header changes reach the request being sent */
  azl_request_push(L, azc_request_ref(req));
  req_idx = lua_gettop(L);
  resp = a->ev == AZC_TRACE_END ? azc_run_response(a->run) : NULL;
  err = a->ev == AZC_TRACE_END ? azc_run_error(a->run) : NULL;
  if (resp)
    azl_response_push(L, azc_response_ref(resp), req_idx);
  else
    lua_pushnil(L);
  if (err)
    push_run_error(L, lua_isnil(L, 2) ? 0 : 2, err);
  else
    lua_pushnil(L);
  lua_pushinteger(L, (lua_Integer)azc_run_history_count(a->run));
  if (azc_tracing_span_name(&name, azc_request_url(req)) != AZC_OK) {
    azc_buf_free(&name);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, name.data ? name.data : "/", name.len);
  azc_buf_free(&name);
  lua_getfield(L, LUA_REGISTRYINDEX, TRACE_CONFIGS_KEY);
  if (lua_istable(L, -1)) {
    lua_pushlightuserdata(L, a->p);
    lua_rawget(L, -2);
    lua_remove(L, -2);
  }
  lua_pushvalue(L, 3);
  lua_call(L, 9, 1);
  return 1;
}

/* azc_trace_fn: span work in tracing.lua's handler. */
static int trace_sink(void *ud, azc_run *run, azc_policy *p, azc_trace_event ev, void *key) {
  azl_host *h = azc_run_host(run);
  trace_args a;
  lua_State *L;
  int top, started = 0;
  (void)ud;
  if (!h || !h->L)
    return 0;
  L = h->L;
  top = lua_gettop(L);
  if (!lua_checkstack(L, 16))
    return 0;
  a.run = run;
  a.p = p;
  a.ev = ev;
  a.key = key;
  lua_pushcfunction(L, trace_protected);
  lua_pushlightuserdata(L, &a);
  if (h->run_idx)
    lua_pushvalue(L, h->run_idx);
  else
    lua_pushnil(L);
  if (h->opts_idx)
    lua_pushvalue(L, h->opts_idx);
  else if (h->run_idx)
    azl_uservalue_field(L, h->run_idx, "options");
  else
    lua_pushnil(L);
  /* the handler reports its own failures as warnings; whatever escapes is dropped here */
  if (lua_pcall(L, 3, 1, 0) == LUA_OK)
    started = lua_toboolean(L, -1);
  lua_settop(L, top);
  return started;
}

/* require(module)[fn](policy at @p idx): the Lua module adopts a new policy. Raises on failure
 * (the constructor then fails, as a misuse would). */
static void adopt(lua_State *L, int idx, const char *module, const char *fn) {
  idx = azl_absindex(L, idx);
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  lua_call(L, 1, 1);
  lua_getfield(L, -1, fn);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
}

/* ---- levels and lists ------------------------------------------------------------------- */

static const struct {
  const char *name;
  int level;
} LEVELS[] = {{"critical", AZC_LOG_CRITICAL}, {"fatal", AZC_LOG_CRITICAL}, {"error", AZC_LOG_ERROR},
              {"warning", AZC_LOG_WARNING},   {"warn", AZC_LOG_WARNING},   {"info", AZC_LOG_INFO},
              {"debug", AZC_LOG_DEBUG},       {"notset", AZC_LOG_NOTSET}};

static int check_level(lua_State *L, int idx, const char *what) {
  size_t i, n;
  const char *s;
  if (lua_type(L, idx) == LUA_TNUMBER)
    return (int)lua_tointeger(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING)
    return luaL_error(L, "%s must be a level name or number", what);
  s = lua_tolstring(L, idx, &n);
  for (i = 0; i < sizeof LEVELS / sizeof LEVELS[0]; i++)
    if (azc__ieq(s, n, LEVELS[i].name, strlen(LEVELS[i].name)))
      return LEVELS[i].level;
  return luaL_error(L, "%s: unknown level '%s'", what, s);
}

/* Read `field` (a list of strings) from the options table at @p opts into @p list: replace it
 * when @p replace, else add to it. */
static void read_names(lua_State *L, int opts, const char *field, azc_allowlist *list,
                       int replace) {
  const char **names;
  long n = azl_opt_strings(L, opts, field, &names), i;
  if (n < 0)
    return;
  if (replace)
    azc_allowlist_clear(list);
  for (i = 0; i < n; i++)
    if (azc_allowlist_add(list, names[i], strlen(names[i])) != AZC_OK)
      luaL_error(L, "out of memory");
  lua_pop(L, 2);
}

static azc_policy *box_policy(lua_State *L) {
  azc_policy *p = azl_policy_test(L, 1);
  if (!p)
    luaL_error(L, "bad self: a native policy expected");
  return p;
}

static void read_lists(lua_State *L, int opts, azc_policy *p) {
  read_names(L, opts, "allowed_header_names", azc_logging_policy_headers(p), 1);
  read_names(L, opts, "additional_allowed_header_names", azc_logging_policy_headers(p), 0);
  read_names(L, opts, "allowed_query_params", azc_logging_policy_query_params(p), 1);
  read_names(L, opts, "additional_allowed_query_params", azc_logging_policy_query_params(p), 0);
}

/* ---- NetworkTraceLoggingPolicy / HttpLoggingPolicy ------------------------------------------ */

/* NetworkTraceLoggingPolicy_new(opts): logging_enable, and the allow-list options. */
static int l_network_new(lua_State *L) {
  azc_logging_config c = azc_logging_config_default();
  azc_error e;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_isnil(L, 1)) {
    lua_getfield(L, 1, "logging_enable");
    c.logging_enable = lua_toboolean(L, -1); /* any truthy value, as Python's `if` */
    lua_pop(L, 1);
  }
  c.emit = log_sink;
  if (!(p = azc_network_trace_policy_new(&c, &e)))
    return luaL_error(L, "%s", e.message);
  azl_policy_push(L, p, NETWORK_MT); /* index 2: owns the policy if reading the lists raises */
  read_lists(L, 1, p);
  adopt(L, 2, "azure.core.logging", "_adopt_policy");
  return 1;
}

/* HttpLoggingPolicy_new(opts): logger (a logger or its name), http_logging_level, and the
 * allow-list options. */
static int l_http_new(lua_State *L) {
  azc_logging_config c = azc_logging_config_default();
  azc_error e;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "logger"); /* index 2 */
    if (lua_istable(L, 2)) {
      lua_getfield(L, 2, "name");
      lua_replace(L, 2);
    }
    if (!lua_isnil(L, 2) && lua_type(L, 2) != LUA_TSTRING)
      return luaL_error(L, "option 'logger' must be a logger from azure.core.logging");
    c.logger = lua_tostring(L, 2);
    lua_getfield(L, 1, "http_logging_level");
    if (!lua_isnil(L, -1))
      c.level = check_level(L, -1, "option 'http_logging_level'");
    lua_pop(L, 1);
  }
  c.emit = log_sink;
  if (!(p = azc_http_logging_policy_new(&c, &e)))
    return luaL_error(L, "%s", e.message);
  azl_policy_push(L, p, HTTP_LOG_MT);
  read_lists(L, 1, p);
  adopt(L, -1, "azure.core.logging", "_adopt_policy");
  return 1;
}

/* The policy's lists as live AllowList objects (edits change what the policy redacts). */
typedef struct allow_box {
  azc_policy *p; /* one reference: the list lives inside the policy */
  int query;
} allow_box;

static azc_allowlist *check_allow(lua_State *L, int idx) {
  allow_box *b = luaL_checkudata(L, idx, ALLOWLIST_MT);
  return b->query ? azc_logging_policy_query_params(b->p) : azc_logging_policy_headers(b->p);
}

static void push_allow(lua_State *L, azc_policy *p, int query) {
  allow_box *b = azl_newuserdata(L, sizeof *b);
  b->p = azc_policy_ref(p);
  b->query = query;
  azl_setmetatable(L, ALLOWLIST_MT);
}

static int g_headers(lua_State *L) {
  push_allow(L, box_policy(L), 0);
  return 1;
}

static int g_query(lua_State *L) {
  push_allow(L, box_policy(L), 1);
  return 1;
}

static int g_logger(lua_State *L) {
  azc_policy *p = box_policy(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "azure.core.logging");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "get_logger");
  lua_pushstring(L, azc_logging_policy_logger(p));
  lua_call(L, 1, 1);
  return 1;
}

static int g_level(lua_State *L) {
  lua_pushinteger(L, azc_logging_policy_level(box_policy(L)));
  return 1;
}

static int g_enable_http_logger(lua_State *L) {
  lua_pushboolean(L, azc_network_trace_policy_logging_enable(box_policy(L)));
  return 1;
}

/* policy:set_logging_enable(on): azure-core's `policy.enable_http_logger = on` */
static int m_set_logging_enable(lua_State *L) {
  azc_network_trace_policy_set_logging_enable(azl_policy_check(L, 1, &azc_network_trace_policy_vt),
                                              lua_toboolean(L, 2));
  return 0;
}

/* policy:_set_enabled(on) / policy:_enabled(): the mirror logging.lua maintains */
static int m_set_enabled(lua_State *L) {
  azc_logging_policy_set_enabled(box_policy(L), lua_toboolean(L, 2));
  return 0;
}

static int m_enabled(lua_State *L) {
  lua_pushboolean(L, azc_logging_policy_enabled(box_policy(L)));
  return 1;
}

/* policy:_logger_name() */
static int m_logger_name(lua_State *L) {
  lua_pushstring(L, azc_logging_policy_logger(box_policy(L)));
  return 1;
}

/* ---- AllowList ---------------------------------------------------------------------------- */

static const char *check_name(lua_State *L, int idx, size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "names must be strings, got %s", luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

static int al_add(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t n;
  const char *s = check_name(L, 2, &n);
  if (azc_allowlist_add(a, s, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

static int al_discard(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t n;
  const char *s = check_name(L, 2, &n);
  lua_pushboolean(L, azc_allowlist_remove(a, s, n));
  return 1;
}

static int al_remove(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t n;
  const char *s = check_name(L, 2, &n);
  if (!azc_allowlist_remove(a, s, n))
    return luaL_error(L, "'%s' is not in the list", s);
  return 0;
}

static int al_contains(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t n;
  const char *s = check_name(L, 2, &n);
  lua_pushboolean(L, azc_allowlist_contains(a, s, n));
  return 1;
}

static int al_clear(lua_State *L) {
  azc_allowlist_clear(check_allow(L, 1));
  return 0;
}

/* list:items() -> a plain list of the names, in insertion order */
static int al_items(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t i, n = azc_allowlist_count(a), len;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    const char *s = azc_allowlist_name(a, i, &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int al_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)azc_allowlist_count(check_allow(L, 1)));
  return 1;
}

static int al_next(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  size_t i = 0, n = azc_allowlist_count(a), len;
  if (!lua_isnil(L, 2)) {
    size_t kl;
    const char *k = check_name(L, 2, &kl);
    while (i < n) {
      const char *s = azc_allowlist_name(a, i++, &len);
      if (len == kl && memcmp(s, k, len) == 0)
        break;
    }
  }
  if (i >= n)
    return 0;
  {
    const char *s = azc_allowlist_name(a, i, &len);
    lua_pushlstring(L, s, len);
    lua_pushboolean(L, 1);
  }
  return 2;
}

/* pairs(list): name -> true */
static int al_pairs(lua_State *L) {
  check_allow(L, 1);
  lua_pushcfunction(L, al_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

static int al_gc(lua_State *L) {
  allow_box *b = luaL_checkudata(L, 1, ALLOWLIST_MT);
  if (b->p) {
    azc_policy_unref(b->p);
    b->p = NULL;
  }
  return 0;
}

static int al_tostring(lua_State *L) {
  azc_allowlist *a = check_allow(L, 1);
  luaL_Buffer buf;
  size_t i, n = azc_allowlist_count(a), len;
  luaL_buffinit(L, &buf);
  luaL_addstring(&buf, "AllowList{");
  for (i = 0; i < n; i++) {
    const char *s = azc_allowlist_name(a, i, &len);
    if (i)
      luaL_addstring(&buf, ", ");
    luaL_addlstring(&buf, s, len);
  }
  luaL_addstring(&buf, "}");
  luaL_pushresult(&buf);
  return 1;
}

/* ---- DistributedTracingPolicy ----------------------------------------------------------- */

/* DistributedTracingPolicy_new(opts): network_span_namer (function), tracing_attributes
 * (table). They stay Lua values, kept in the userdata's uservalue and found by the callback
 * through the weak registry table. */
static int l_tracing_new(lua_State *L) {
  azc_error e;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "network_span_namer");
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      return luaL_error(L, "option 'network_span_namer' must be a function");
    lua_getfield(L, 1, "tracing_attributes");
    if (!lua_isnil(L, -1) && !lua_istable(L, -1))
      return luaL_error(L, "option 'tracing_attributes' must be a table");
    lua_pop(L, 2);
  }
  if (!(p = azc_tracing_policy_new(trace_sink, NULL, &e)))
    return luaL_error(L, "%s", e.message);
  azl_policy_push(L, p, TRACING_MT); /* index 2 */
  lua_createtable(L, 0, 2);          /* index 3: the settings the handler reads */
  if (!lua_isnil(L, 1)) {
    lua_getfield(L, 1, "network_span_namer");
    lua_setfield(L, 3, "network_span_namer");
    lua_getfield(L, 1, "tracing_attributes");
    lua_setfield(L, 3, "tracing_attributes");
  }
  lua_pushvalue(L, 3);
  azl_uservalue_set(L, 2, "config"); /* anchors the settings for the registry's weak value */
  lua_getfield(L, LUA_REGISTRYINDEX, TRACE_CONFIGS_KEY);
  lua_pushlightuserdata(L, p);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  lua_settop(L, 2);
  adopt(L, 2, "azure.core.tracing", "_adopt_policy");
  return 1;
}

static int m_set_active(lua_State *L) {
  azc_tracing_policy_set_active(azl_policy_check(L, 1, &azc_tracing_policy_vt),
                                lua_toboolean(L, 2));
  return 0;
}

static int m_active(lua_State *L) {
  lua_pushboolean(L, azc_tracing_policy_active(azl_policy_check(L, 1, &azc_tracing_policy_vt)));
  return 1;
}

static int g_tracing_attributes(lua_State *L) {
  box_policy(L);
  if (azl_uservalue_field(L, 1, "config") == LUA_TTABLE)
    lua_getfield(L, -1, "tracing_attributes");
  return 1;
}

static int g_span_namer(lua_State *L) {
  box_policy(L);
  if (azl_uservalue_field(L, 1, "config") == LUA_TTABLE)
    lua_getfield(L, -1, "network_span_namer");
  return 1;
}

/* ---- module functions ------------------------------------------------------------------- */

static int l_set_emitter(lua_State *L) {
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, EMITTER_KEY);
  return 0;
}

static int l_set_tracer(lua_State *L) {
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, TRACER_KEY);
  return 0;
}

/* An allow-list from the value at @p idx: an AllowList, a list of names, or nil (@p defaults).
 * The result is freed by the caller unless *out_borrowed. */
static azc_allowlist *arg_list(lua_State *L, int idx, const char *const *defaults, size_t n,
                               int *out_borrowed) {
  azc_allowlist *a;
  *out_borrowed = 0;
  if (lua_isnoneornil(L, idx))
    a = azc_allowlist_from(defaults, n);
  else if (azl_testudata(L, idx, ALLOWLIST_MT)) {
    *out_borrowed = 1;
    return check_allow(L, idx);
  } else {
    size_t i, len = (luaL_checktype(L, idx, LUA_TTABLE), azl_rawlen(L, idx));
    for (i = 1; i <= len; i++) { /* check before allocating */
      lua_rawgeti(L, idx, (int)i);
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "allow-lists are lists of strings");
      lua_pop(L, 1);
    }
    a = azc_allowlist_new();
    for (i = 1; a && i <= len; i++) {
      size_t sl;
      const char *s;
      lua_rawgeti(L, idx, (int)i);
      s = lua_tolstring(L, -1, &sl);
      if (azc_allowlist_add(a, s, sl) != AZC_OK) {
        azc_allowlist_free(a);
        a = NULL;
      }
      lua_pop(L, 1);
    }
  }
  if (!a)
    luaL_error(L, "out of memory");
  return a;
}

static int push_buf(lua_State *L, azc_buf *b, azc_code rc) {
  if (rc != AZC_OK) {
    azc_buf_free(b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  azc_buf_free(b);
  return 1;
}

/* native.redact_url(url [, allowed_query]) -> the URL as log records show it */
static int l_redact_url(lua_State *L) {
  size_t n;
  const char *url = luaL_checklstring(L, 1, &n);
  int borrowed;
  azc_allowlist *a =
      arg_list(L, 2, azc_redact_default_query_params, azc_redact_n_default_query_params, &borrowed);
  azc_buf b = {0};
  azc_code rc = azc_redact_url(&b, url, n, a);
  if (!borrowed)
    azc_allowlist_free(a);
  return push_buf(L, &b, rc);
}

/* native.redact_header(name, value [, allowed_headers]) -> value or "REDACTED" */
static int l_redact_header(lua_State *L) {
  size_t nl, vl;
  const char *name = luaL_checklstring(L, 1, &nl), *value = luaL_checklstring(L, 2, &vl);
  int borrowed;
  azc_allowlist *a =
      arg_list(L, 3, azc_redact_default_headers, azc_redact_n_default_headers, &borrowed);
  azc_buf b = {0};
  azc_code rc = azc_redact_header(&b, a, name, nl, value, vl);
  if (!borrowed)
    azc_allowlist_free(a);
  return push_buf(L, &b, rc);
}

/* native.tracing_span_name(url) -> the URL's path, or "/" */
static int l_span_name(lua_State *L) {
  azc_buf b = {0};
  return push_buf(L, &b, azc_tracing_span_name(&b, luaL_checkstring(L, 1)));
}

static void push_names(lua_State *L, const char *const *names, size_t n) {
  size_t i;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* native.logging_defaults() -> default header names, default query names (fresh lists) */
static int l_defaults(lua_State *L) {
  push_names(L, azc_redact_default_headers, azc_redact_n_default_headers);
  push_names(L, azc_redact_default_query_params, azc_redact_n_default_query_params);
  return 2;
}

void azl_policy_logging_open(lua_State *L) {
  static const luaL_Reg log_get[] = {{"allowed_header_names", g_headers},
                                     {"allowed_query_params", g_query},
                                     {"logger", g_logger},
                                     {"http_logging_level", g_level},
                                     {NULL, NULL}};
  static const luaL_Reg net_get[] = {{"allowed_header_names", g_headers},
                                     {"allowed_query_params", g_query},
                                     {"enable_http_logger", g_enable_http_logger},
                                     {NULL, NULL}};
  static const luaL_Reg log_m[] = {{"_set_enabled", m_set_enabled},
                                   {"_enabled", m_enabled},
                                   {"_logger_name", m_logger_name},
                                   {NULL, NULL}};
  static const luaL_Reg net_m[] = {{"_set_enabled", m_set_enabled},
                                   {"_enabled", m_enabled},
                                   {"_logger_name", m_logger_name},
                                   {"set_logging_enable", m_set_logging_enable},
                                   {NULL, NULL}};
  static const luaL_Reg tr_get[] = {{"tracing_attributes", g_tracing_attributes},
                                    {"network_span_namer", g_span_namer},
                                    {NULL, NULL}};
  static const luaL_Reg tr_m[] = {
      {"_set_active", m_set_active}, {"_active", m_active}, {NULL, NULL}};
  static const luaL_Reg al_m[] = {{"add", al_add},       {"discard", al_discard},
                                  {"remove", al_remove}, {"contains", al_contains},
                                  {"clear", al_clear},   {"items", al_items},
                                  {NULL, NULL}};
  static const luaL_Reg fns[] = {{"NetworkTraceLoggingPolicy_new", l_network_new},
                                 {"HttpLoggingPolicy_new", l_http_new},
                                 {"DistributedTracingPolicy_new", l_tracing_new},
                                 {"set_log_emitter", l_set_emitter},
                                 {"set_trace_handler", l_set_tracer},
                                 {"redact_url", l_redact_url},
                                 {"redact_header", l_redact_header},
                                 {"tracing_span_name", l_span_name},
                                 {"logging_defaults", l_defaults},
                                 {NULL, NULL}};
  azl_policy_class(L, NETWORK_MT, net_get, net_m);
  azl_policy_class(L, HTTP_LOG_MT, log_get, log_m);
  azl_policy_class(L, TRACING_MT, tr_get, tr_m);
  azl_newmetatable(L, ALLOWLIST_MT);
  azl_newlib(L, al_m);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, al_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, al_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, al_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, al_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  /* policy -> its Lua settings; weak values: the policy's userdata anchors them */
  lua_getfield(L, LUA_REGISTRYINDEX, TRACE_CONFIGS_KEY);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACE_CONFIGS_KEY);
  } else {
    lua_pop(L, 1);
  }
  azl_setfuncs(L, fns, 0);
}
