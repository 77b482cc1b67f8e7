/*
 * azl_compat.c - bodies of the 5.1/LuaJIT fallbacks declared in azl_compat.h.
 */
#include "azl_compat.h"

#if LUA_VERSION_NUM < 502
#include <math.h>

void azl_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name; l++) {
    int i;
    for (i = 0; i < nup; i++)
      lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

void *azl_testudata(lua_State *L, int i, const char *tname) {
  void *p = lua_touserdata(L, i);
  if (p == NULL || !lua_getmetatable(L, i))
    return NULL;
  luaL_getmetatable(L, tname);
  if (!lua_rawequal(L, -1, -2))
    p = NULL;
  lua_pop(L, 2);
  return p;
}

int azl_absindex(lua_State *L, int i) {
  return (i > 0 || i <= LUA_REGISTRYINDEX) ? i : lua_gettop(L) + i + 1;
}

int azl_isinteger(lua_State *L, int i) {
  lua_Number n;
  if (lua_type(L, i) != LUA_TNUMBER)
    return 0;
  n = lua_tonumber(L, i);
  return n == floor(n);
}
#elif LUA_VERSION_NUM < 503
#include <math.h>
int azl_isinteger(lua_State *L, int i) {
  lua_Number n;
  if (lua_type(L, i) != LUA_TNUMBER)
    return 0;
  n = lua_tonumber(L, i);
  return n == floor(n);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int azl_compat_unused;
#endif
