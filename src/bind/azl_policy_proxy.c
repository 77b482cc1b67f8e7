/*
 * azl_policy_proxy.c - the Lua class of ProxyPolicy (BEHAVIOR.md §4.4). The behaviour is in
 * src/core/azc_policy_proxy.c (and azc_driver_send_options); this file reads the proxies table.
 */
#include <string.h>

#include "azc_policy_proxy.h"
#include "azl.h"

#define PROXY_MT "azure.core.ProxyPolicy"

/* ProxyPolicy_new(proxies) or ProxyPolicy_new({proxies = proxies, ...}); proxies is
 * {http = url, https = url, no_proxy = hosts} (what the transports' `proxies` option takes). A
 * table with none of those keys and no `proxies` is an options table without proxies. */
static int l_new(lua_State *L) {
  const char *v[3] = {NULL, NULL, NULL};
  static const char *const names[3] = {"http", "https", "no_proxy"};
  azc_policy *p;
  int i;
  lua_settop(L, 1);
  if (lua_istable(L, 1)) {
    int known = 0;
    lua_getfield(L, 1, "proxies");
    for (i = 0; i < 3; i++) {
      lua_getfield(L, 1, names[i]);
      known = known || !lua_isnil(L, -1);
      lua_pop(L, 1);
    }
    /* the options form: {proxies = ...}, or an options table without proxies (a client's
     * options) when none of the proxies keys is there */
    if (!lua_isnil(L, -1) || !known)
      lua_replace(L, 1);
    else
      lua_pop(L, 1);
  }
  if (lua_istable(L, 1)) {
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
      for (i = 0; k && i < 3 && strcmp(k, names[i]) != 0; i++)
        ;
      if (!k || i == 3)
        return luaL_error(L, "ProxyPolicy: unsupported proxies key '%s' (http, https, no_proxy)",
                          k ? k : luaL_typename(L, -2));
      if (lua_type(L, -1) != LUA_TSTRING && lua_toboolean(L, -1))
        return luaL_error(L, "ProxyPolicy: proxies.%s must be a string, got %s", k,
                          luaL_typename(L, -1));
      lua_pop(L, 1);
    }
    for (i = 0; i < 3; i++) {
      lua_getfield(L, 1, names[i]); /* the table keeps the strings alive */
      if (lua_type(L, -1) == LUA_TSTRING) {
        v[i] = lua_tostring(L, -1);
        if (strlen(v[i]) != azl_rawlen(L, -1))
          return luaL_error(L, "ProxyPolicy: proxies.%s must not contain NUL bytes", names[i]);
      }
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, 1) && !(lua_isboolean(L, 1) && !lua_toboolean(L, 1))) {
    return luaL_error(L, "ProxyPolicy.new: proxies must be a table, got %s", luaL_typename(L, 1));
  }
  p = azc_proxy_policy_new(v[0], v[1], v[2]);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, PROXY_MT);
  return 1;
}

/* policy.proxies: a copy of the table, or nil when the policy has none */
static int g_proxies(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  const char *v[3];
  static const char *const names[3] = {"http", "https", "no_proxy"};
  int i;
  if (!b || !b->p || azc_proxy_policy_proxies(b->p, &v[0], &v[1], &v[2]) != AZC_OK ||
      (!v[0] && !v[1] && !v[2]))
    return 0;
  lua_createtable(L, 0, 3);
  for (i = 0; i < 3; i++) {
    if (v[i]) {
      lua_pushstring(L, v[i]);
      lua_setfield(L, -2, names[i]);
    }
  }
  return 1;
}

void azl_policy_proxy_open(lua_State *L) {
  static const luaL_Reg getters[] = {{"proxies", g_proxies}, {NULL, NULL}};
  azl_policy_class(L, PROXY_MT, getters, NULL);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "ProxyPolicy_new");
}
