/*
 * azl_main.c - luaopen_azure_core_native: the module table, the error factory, helpers shared
 * by the binding sections.
 */
#include <curl/curl.h>
#include <string.h>

#include "azl.h"

/* Registry key of exceptions.from_native: taken once when the module opens and kept for the
 * life of the state (the module is never unloaded while its functions are reachable). */
static const char *const ERRFACTORY_KEY = "azure.core.native.errfactory";

int azl_push_error(lua_State *L, const azc_error *err) {
  lua_pushnil(L);
  lua_getfield(L, LUA_REGISTRYINDEX, ERRFACTORY_KEY);
  if (lua_isfunction(L, -1)) {
    lua_pushstring(L, azc_code_name(err->code));
    lua_pushstring(L, err->message);
    if (err->curl_code) {
      lua_pushinteger(L, err->curl_code);
      lua_pushstring(L, err->curl_name ? err->curl_name : "");
    } else {
      lua_pushnil(L);
      lua_pushnil(L);
    }
    if (lua_pcall(L, 4, 1, 0) == LUA_OK)
      return 2;
  }
  lua_pop(L, 1);
  lua_pushfstring(L, "%s: %s", azc_code_name(err->code), err->message);
  return 2;
}

int azl_push_code(lua_State *L, azc_code code, const char *msg) {
  azc_error e;
  azc_error_set(&e, code, "%s", msg);
  return azl_push_error(L, &e);
}

/* Uservalue tables are created on first write: most requests and responses never need one.
 * Lua 5.1 gives a new userdata the running function's environment (the globals), so there a
 * shared empty table stands for "none" (it is never written to). */
#if LUA_VERSION_NUM < 502
static const char *const EMPTY_KEY = "azure.core.native.empty";
static int is_shared_empty(lua_State *L, int idx) {
  int same;
  idx = azl_absindex(L, idx);
  lua_getfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);
  same = lua_rawequal(L, -1, idx);
  lua_pop(L, 1);
  return same;
}
#endif

void azl_new_uservalue(lua_State *L, int idx) {
#if LUA_VERSION_NUM < 502
  idx = azl_absindex(L, idx);
  lua_getfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);
  }
  azl_setuservalue(L, idx);
#else
  (void)L;
  (void)idx;
#endif
}

int azl_uservalue_field(lua_State *L, int idx, const char *key) {
  idx = azl_absindex(L, idx);
  azl_getuservalue(L, idx);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNIL;
  }
  lua_getfield(L, -1, key);
  lua_remove(L, -2);
  return lua_type(L, -1);
}

void azl_uservalue_set(lua_State *L, int idx, const char *key) {
  idx = azl_absindex(L, idx);
  azl_getuservalue(L, idx);
#if LUA_VERSION_NUM < 502
  if (!lua_istable(L, -1) || is_shared_empty(L, -1)) {
#else
  if (!lua_istable(L, -1)) {
#endif
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    azl_setuservalue(L, idx);
  }
  lua_insert(L, -2);
  lua_setfield(L, -2, key);
  lua_pop(L, 1);
}

void azl_attr_set(lua_State *L, int idx, int k, int v) {
  idx = azl_absindex(L, idx);
  k = azl_absindex(L, k);
  v = azl_absindex(L, v);
  if (azl_uservalue_field(L, idx, "attrs") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    azl_uservalue_set(L, idx, "attrs");
  }
  lua_pushvalue(L, k);
  lua_pushvalue(L, v);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

int azl_methods_lookup(lua_State *L, const char *mt, int key_idx) {
  key_idx = azl_absindex(L, key_idx);
  luaL_getmetatable(L, mt);
  lua_getfield(L, -1, "__methods");
  lua_remove(L, -2);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNIL;
  }
  lua_pushvalue(L, key_idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  return lua_type(L, -1);
}

/* native.set_methods(type_name, table): the Lua facade supplies the methods written in Lua
 * (text, json, iter_bytes, ...) that a userdata's __index falls back to. */
static int l_set_methods(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_getmetatable(L, name);
  if (!lua_istable(L, -1))
    return luaL_argerror(L, 1, "unknown type");
  /* merged into the table that already holds the C methods */
  lua_getfield(L, -1, "__methods");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
  }
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  return 0;
}

/* native.set_error_factory(fn): exceptions.from_native, called to build error objects. */
static int l_set_error_factory(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, ERRFACTORY_KEY);
  return 0;
}

static int l_curl_version(lua_State *L) {
  lua_pushstring(L, curl_version());
  return 1;
}

int luaopen_azure_core_native(lua_State *L);
int luaopen_azure_core_native(lua_State *L) {
  static const luaL_Reg fns[] = {{"set_methods", l_set_methods},
                                 {"set_error_factory", l_set_error_factory},
                                 {"curl_version", l_curl_version},
                                 {NULL, NULL}};
  /* libcurl's global init is not thread-safe in 7.88: do it once here, at load time. */
  static int curl_ready;
  if (!curl_ready) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ready = 1;
  }
  azl_gc_open(L);
  azl_newlib(L, fns);
  lua_pushliteral(L, "0.1.0");
  lua_setfield(L, -2, "VERSION");
  azl_headers_open(L);
  azl_request_open(L);
  azl_response_open(L);
  azl_curl_open(L);
  azl_url_open(L);
  azl_multipart_open(L);
  azl_pipeline_open(L);
  azl_policy_open_all(L);
  azl_crypto_open(L);
  /* The error factory: exceptions.lua is pure Lua, so requiring it here cannot recurse. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "azure.core.exceptions");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
    lua_getfield(L, -1, "from_native");
    if (lua_isfunction(L, -1))
      lua_setfield(L, LUA_REGISTRYINDEX, ERRFACTORY_KEY);
    else
      lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 1;
}
