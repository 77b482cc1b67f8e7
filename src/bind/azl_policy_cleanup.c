/*
 * azl_policy_cleanup.c - the Lua class of SensitiveHeaderCleanupPolicy (BEHAVIOR.md §4.14). The
 * behaviour is in src/core/azc_policy_cleanup.c.
 */
#include "azc_policy_cleanup.h"
#include "azl.h"

#define CLEANUP_MT "azure.core.SensitiveHeaderCleanupPolicy"

/* SensitiveHeaderCleanupPolicy_new({blocked_redirect_headers = {...},
 *                                   disable_redirect_cleanup = bool}) */
static int l_new(lua_State *L) {
  const char **headers = NULL;
  long n = -1;
  int disabled = 0;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    azl_opt_bool(L, 1, "disable_redirect_cleanup", &disabled);
    n = azl_opt_strings(L, 1, "blocked_redirect_headers", &headers); /* list + scratch stay */
  }
  /* a given list replaces the default, even an empty one */
  p = azc_cleanup_policy_new(n >= 0 ? headers : NULL, n >= 0 ? (size_t)n : 0, disabled);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, CLEANUP_MT);
  return 1;
}

static azc_policy *box_policy(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  if (!b || !b->p)
    luaL_error(L, "policy is closed");
  return b->p;
}

/* policy.blocked_redirect_headers: a copy of the list */
static int g_headers(lua_State *L) {
  size_t i, n = 0;
  const char *const *h = azc_cleanup_policy_headers(box_policy(L), &n);
  lua_createtable(L, (int)n, 0);
  for (i = 0; h && i < n; i++) {
    lua_pushstring(L, h[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int g_disabled(lua_State *L) {
  lua_pushboolean(L, azc_cleanup_policy_disabled(box_policy(L)) == 1);
  return 1;
}

void azl_policy_cleanup_open(lua_State *L) {
  static const luaL_Reg getters[] = {{"blocked_redirect_headers", g_headers},
                                     {"disable_redirect_cleanup", g_disabled},
                                     {NULL, NULL}};
  azl_policy_class(L, CLEANUP_MT, getters, NULL);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "SensitiveHeaderCleanupPolicy_new");
}
