/*
 * azl_options.c - per-call options: the keys the core knows are read from the caller's Lua
 * table into an azc_options (azure-core's keyword arguments); every other key stays in the
 * table, for a Lua transport or Lua policies.
 */
#include <string.h>

#include "azl.h"

/* ---- options ---------------------------------------------------------------------------- */

/* Keys whose value is a string (numbers are converted). */
static int string_key(int key) {
  return key == AZC_OPT_REQUEST_ID || key == AZC_OPT_USER_AGENT ||
         key == AZC_OPT_RESPONSE_ENCODING || key == AZC_OPT_PROXIES_HTTP ||
         key == AZC_OPT_PROXIES_HTTPS || key == AZC_OPT_PROXIES_NO_PROXY;
}

/* Keys whose value stays with the host (a Lua function): the core records "given". */
int azl_options_host_key(int key) {
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
  } else if (azl_options_host_key(key)) {
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
void azl_options_check(lua_State *L, int idx) {
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
          key == AZC_OPT_LOGGING_ENABLE || azl_options_host_key(key) ||
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
void azl_options_read(lua_State *L, int idx, azc_options *o, int stream_default_false) {
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

