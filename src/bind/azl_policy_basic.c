/*
 * azl_policy_basic.c - Lua classes for the per-call header policies: HeadersPolicy,
 * RequestIdPolicy and UserAgentPolicy (BEHAVIOR.md §4.1-4.3). The behaviour is in the core;
 * this file only turns option tables into configs and exposes the getters and methods.
 */
#include <stdio.h>
#include <string.h>

#include "azc_policy_headers.h"
#include "azc_policy_request_id.h"
#include "azc_policy_user_agent.h"
#include "azl.h"

#define HEADERS_MT "azure.core.HeadersPolicy"
#define REQUEST_ID_MT "azure.core.RequestIdPolicy"
#define USER_AGENT_MT "azure.core.UserAgentPolicy"

/* The C string of the string or number at @p idx; raises on other types and embedded NULs (the
 * core takes C strings, which would silently cut them). Numbers are converted in place. */
static const char *check_text(lua_State *L, int idx, const char *what) {
  size_t n;
  const char *s;
  int t = lua_type(L, idx);
  if (t != LUA_TSTRING && t != LUA_TNUMBER)
    luaL_error(L, "%s must be a string, got %s", what, lua_typename(L, t));
  s = lua_tolstring(L, idx, &n);
  if (strlen(s) != n)
    luaL_error(L, "%s must not contain NUL bytes", what);
  return s;
}

/* Like azl_opt_string, plus the NUL check. The string stays valid while the table holds it. */
static int opt_text(lua_State *L, int tbl, const char *field, const char **out) {
  const char *s;
  if (!azl_opt_string(L, tbl, field, &s))
    return 0;
  lua_getfield(L, tbl, field);
  if (azl_rawlen(L, -1) != strlen(s))
    luaL_error(L, "option '%s' must not contain NUL bytes", field);
  lua_pop(L, 1);
  *out = s;
  return 1;
}

static azc_policy *box_policy(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  if (!b || !b->p)
    luaL_error(L, "policy is closed");
  return b->p;
}

/* ---- HeadersPolicy ------------------------------------------------------------------------ */

/* HeadersPolicy_new(base_headers, opts): base headers, then opts.headers merged over them. */
static int l_headers_new(lua_State *L) {
  azc_policy *p;
  azc_headers *h;
  lua_settop(L, 2);
  if (!lua_isnil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  p = azc_headers_policy_new(NULL);
  if (!p)
    return luaL_error(L, "out of memory");
  /* pushed before filling: the fills may raise, and the userdata then frees the policy */
  azl_policy_push(L, p, HEADERS_MT);
  h = azc_headers_policy_headers(p);
  if (lua_toboolean(L, 1))
    azl_headers_fill(L, 1, h);
  if (!lua_isnil(L, 2)) {
    lua_getfield(L, 2, "headers");
    if (lua_toboolean(L, -1))
      azl_headers_fill(L, -1, h);
    lua_pop(L, 1);
  }
  return 1;
}

/* policy.headers: a plain table copy (edits go through add_header). */
static int g_headers(lua_State *L) {
  azc_headers *h = azc_headers_policy_headers(box_policy(L));
  size_t it = 0, nl, vl;
  const char *n, *v;
  lua_newtable(L);
  while (h && azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    lua_pushlstring(L, n, nl);
    lua_pushlstring(L, v, vl);
    lua_rawset(L, -3);
  }
  return 1;
}

static int m_add_header(lua_State *L) {
  azc_policy *p = azl_policy_check(L, 1, &azc_headers_policy_vt);
  size_t nl, vl;
  const char *n, *v;
  azc_code rc;
  if (lua_type(L, 2) != LUA_TSTRING)
    return luaL_error(L, "header names must be strings, got %s", luaL_typename(L, 2));
  n = lua_tolstring(L, 2, &nl);
  if (lua_type(L, 3) != LUA_TSTRING && lua_type(L, 3) != LUA_TNUMBER)
    return luaL_error(L, "header '%s' must be a string, got %s", n, luaL_typename(L, 3));
  v = lua_tolstring(L, 3, &vl);
  rc = azc_headers_policy_add_header(p, n, nl, v, vl);
  if (rc == AZC_ERR_VALUE)
    return luaL_error(L, "invalid header '%s': empty name, or CR/LF/NUL in name or value", n);
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* ---- RequestIdPolicy ---------------------------------------------------------------------- */

/* RequestIdPolicy_new(opts): request_id (string, or false for None), auto_request_id,
 * request_id_header_name. */
static int l_request_id_new(lua_State *L) {
  azc_request_id_config c = azc_request_id_config_default();
  azc_error e;
  azc_policy *p;
  int t;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "request_id");
    t = lua_type(L, -1);
    if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
      c.request_id_set = 1; /* false: azure-core's explicit None */
    } else if (t == LUA_TSTRING) {
      c.request_id_set = 1;
      c.request_id = check_text(L, -1, "option 'request_id'"); /* the table keeps it alive */
    } else if (t != LUA_TNIL) {
      return luaL_error(L, "option 'request_id' must be a string or false, got %s",
                        lua_typename(L, t));
    }
    lua_pop(L, 1);
    azl_opt_bool(L, 1, "auto_request_id", &c.auto_request_id);
    opt_text(L, 1, "request_id_header_name", &c.header_name);
  }
  p = azc_request_id_policy_new(&c, &e);
  if (!p)
    return luaL_error(L, "%s", e.message);
  azl_policy_push(L, p, REQUEST_ID_MT);
  return 1;
}

/* policy:set_request_id(v): v a string, or nil/false for None. */
static int m_set_request_id(lua_State *L) {
  azc_policy *p = azl_policy_check(L, 1, &azc_request_id_policy_vt);
  const char *v = lua_toboolean(L, 2) ? check_text(L, 2, "request id") : NULL;
  azc_code rc = azc_request_id_policy_set_request_id(p, v);
  if (rc == AZC_ERR_VALUE)
    return luaL_error(L, "request id must not contain CR or LF");
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* ---- UserAgentPolicy ---------------------------------------------------------------------- */

/* UserAgentPolicy_new(opts) or UserAgentPolicy_new(base_user_agent, opts), as azure-core's
 * positional base_user_agent. */
static int l_user_agent_new(lua_State *L) {
  azc_user_agent_config c = azc_user_agent_config_default();
  char luaver[16];
  azc_error e;
  azc_policy *p;
  int opts = 1;
  lua_settop(L, 2);
  if (lua_type(L, 1) == LUA_TSTRING) {
    c.base_user_agent = check_text(L, 1, "base_user_agent");
    opts = 2;
  } else if (lua_isnil(L, 1) && !lua_isnil(L, 2)) {
    opts = 2;
  }
  if (!lua_isnil(L, opts))
    luaL_checktype(L, opts, LUA_TTABLE);
  opt_text(L, opts, "base_user_agent", &c.base_user_agent);
  opt_text(L, opts, "sdk_moniker", &c.sdk_moniker);
  opt_text(L, opts, "user_agent", &c.user_agent);
  azl_opt_bool(L, opts, "user_agent_overwrite", &c.user_agent_overwrite);
  azl_opt_bool(L, opts, "user_agent_use_env", &c.user_agent_use_env);
  /* the interpreter this module was built for: LuaJIT reports 5.1, as its _VERSION does */
  snprintf(luaver, sizeof luaver, "%d.%d", LUA_VERSION_NUM / 100, LUA_VERSION_NUM % 100);
  c.lua_version = luaver;
  p = azc_user_agent_policy_new(&c, &e);
  if (!p)
    return luaL_error(L, "%s", e.message);
  azl_policy_push(L, p, USER_AGENT_MT);
  return 1;
}

static int g_user_agent(lua_State *L) {
  azc_buf b = {0};
  if (azc_user_agent_policy_user_agent(box_policy(L), &b) != AZC_OK) {
    azc_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, b.data ? b.data : "", b.len);
  azc_buf_free(&b);
  return 1;
}

static int m_add_user_agent(lua_State *L) {
  azc_policy *p = azl_policy_check(L, 1, &azc_user_agent_policy_vt);
  azc_code rc = azc_user_agent_policy_add_user_agent(p, check_text(L, 2, "user agent"));
  if (rc == AZC_ERR_VALUE)
    return luaL_error(L, "user agent must not contain CR or LF");
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

void azl_policy_basic_open(lua_State *L) {
  static const luaL_Reg headers_get[] = {{"headers", g_headers}, {NULL, NULL}};
  static const luaL_Reg headers_m[] = {{"add_header", m_add_header}, {NULL, NULL}};
  static const luaL_Reg rid_m[] = {{"set_request_id", m_set_request_id}, {NULL, NULL}};
  static const luaL_Reg ua_get[] = {{"user_agent", g_user_agent}, {NULL, NULL}};
  static const luaL_Reg ua_m[] = {{"add_user_agent", m_add_user_agent}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"HeadersPolicy_new", l_headers_new},
                                 {"RequestIdPolicy_new", l_request_id_new},
                                 {"UserAgentPolicy_new", l_user_agent_new},
                                 {NULL, NULL}};
  azl_policy_class(L, HEADERS_MT, headers_get, headers_m);
  azl_policy_class(L, REQUEST_ID_MT, NULL, rid_m);
  azl_policy_class(L, USER_AGENT_MT, ua_get, ua_m);
  azl_setfuncs(L, fns, 0);
}
