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

/* Keys whose value is a flag (any value; Lua truthiness). */
static int flag_key(int key) {
  return key == AZC_OPT_STREAM || key == AZC_OPT_PERMIT_REDIRECTS ||
         key == AZC_OPT_USER_AGENT_OVERWRITE || key == AZC_OPT_ENFORCE_HTTPS ||
         key == AZC_OPT_LOGGING_ENABLE;
}

/* Keys whose value stays with the host (a Lua function): the core records "given". */
int azl_options_host_key(int key) {
  return key == AZC_OPT_RAW_REQUEST_HOOK || key == AZC_OPT_RAW_RESPONSE_HOOK;
}

static void set_option(lua_State *L, azc_options *o, int key, int vidx) {
  int t = lua_type(L, vidx);
  azc_code rc = AZC_OK;
  const char *name = azc_opt_name((azc_opt)key);
  /* false is azure-core's explicit None; the flags other than logging_enable keep a boolean */
  if (t == LUA_TBOOLEAN && !lua_toboolean(L, vidx) &&
      (!flag_key(key) || key == AZC_OPT_LOGGING_ENABLE)) {
    rc = azc_options_set_none(o, (azc_opt)key);
  } else if (flag_key(key)) {
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

/* The type a known key's value must have, or NULL when the value is acceptable; raises nothing
 * and allocates nothing. */
static const char *bad_type(lua_State *L, int key, int vidx) {
  int t = lua_type(L, vidx);
  const char *want = NULL;
  if (flag_key(key) || azl_options_host_key(key) || (t == LUA_TBOOLEAN && !lua_toboolean(L, vidx)))
    want = NULL;
  else if (key == AZC_OPT_LOGGER && t == LUA_TTABLE) {
    lua_getfield(L, vidx, "name"); /* a logger from azure.core.logging has a string name */
    want = lua_type(L, -1) == LUA_TSTRING ? NULL : "a logger from azure.core.logging";
    lua_pop(L, 1);
  } else if (key == AZC_OPT_LOGGER)
    want = t == LUA_TSTRING ? NULL : "a logger";
  else if (string_key(key))
    want = (t == LUA_TSTRING || t == LUA_TNUMBER) ? NULL : "a string";
  else if (key == AZC_OPT_HEADERS)
    want = t == LUA_TTABLE ? NULL : "a table";
  else if (key == AZC_OPT_RETRY_ON_METHODS) {
    size_t i, n = t == LUA_TTABLE ? azl_rawlen(L, vidx) : 0;
    want = t == LUA_TTABLE ? NULL : "a list of methods";
    for (i = 1; i <= n && !want; i++) { /* each joined into one string later */
      lua_rawgeti(L, vidx, (int)i);
      if (lua_type(L, -1) != LUA_TSTRING)
        want = "a list of method names";
      lua_pop(L, 1);
    }
  } else
    want = t == LUA_TNUMBER ? NULL : "a number";
  return want;
}

/* Does storing this value allocate (a string, a header map, a method list)? */
static int allocates(lua_State *L, int key, int vidx) {
  if (lua_type(L, vidx) == LUA_TBOOLEAN && !lua_toboolean(L, vidx))
    return 0; /* None, or a false flag */
  return key == AZC_OPT_LOGGER || key == AZC_OPT_HEADERS || key == AZC_OPT_RETRY_ON_METHODS ||
         string_key(key);
}

void azl_options_read(lua_State *L, int idx, azc_options *o, azc_send_options *send,
                      int stream_default_false) {
  int deferred = 0;
  if (send)
    azc_send_options_init(send);
  if (!lua_isnoneornil(L, idx)) {
    idx = azl_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    /* First pass: every known key is checked, and what needs no allocation is stored, so a
     * misuse raises before anything is owned; the transport's keys are read on the way. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (lua_type(L, -2) == LUA_TSTRING) {
        size_t n;
        const char *k = lua_tolstring(L, -2, &n), *want;
        int key = azc_opt_lookup(k, n), v = lua_gettop(L);
        if (key >= 0) {
          if ((want = bad_type(L, key, v)) != NULL)
            luaL_error(L, "option '%s' must be %s, got %s", k, want, luaL_typename(L, v));
          if (send && key == AZC_OPT_HEADERS && allocates(L, key, v))
            luaL_error(L, "per-call headers take the general path, not _send_native");
          if (allocates(L, key, v))
            deferred = 1;
          else
            set_option(L, o, key, v);
        }
        if (send)
          azl_send_option(L, k, v, send);
      }
      lua_pop(L, 1);
    }
    /* Second pass, only when needed: the values that allocate. Only memory, or a bad value
     * inside per-call headers, raises here; headers are only read where the run owns the
     * options (l_run_new): with @p send (the fast path, options on the C stack) they raised. */
    if (deferred) {
      lua_pushnil(L);
      while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
          size_t n;
          const char *k = lua_tolstring(L, -2, &n);
          int key = azc_opt_lookup(k, n);
          if (key >= 0 && allocates(L, key, lua_gettop(L)))
            set_option(L, o, key, lua_gettop(L));
        }
        lua_pop(L, 1);
      }
    }
  }
  if (stream_default_false && !azc_options_has(o, AZC_OPT_STREAM))
    azc_options_set_bool(o, AZC_OPT_STREAM, 0);
}
