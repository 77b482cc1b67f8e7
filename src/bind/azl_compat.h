/*
 * azl_compat.h - the few Lua C API differences between 5.1/LuaJIT, 5.2, 5.3 and 5.4 that the
 * binding uses, papered over in one place (our own shim; no lua-compat-5.3).
 */
#ifndef AZL_COMPAT_H
#define AZL_COMPAT_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 502
/* 5.1 / LuaJIT */
#ifndef LUA_OK
#define LUA_OK 0
#endif
#define azl_rawlen(L, i) lua_objlen((L), (i))
#define azl_setuservalue(L, i) lua_setfenv((L), (i))
#define azl_getuservalue(L, i) lua_getfenv((L), (i))
#define azl_newlib(L, l) (lua_newtable(L), azl_setfuncs((L), (l), 0))
#define azl_setmetatable(L, t) (luaL_getmetatable((L), (t)), lua_setmetatable((L), -2))
void azl_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
void *azl_testudata(lua_State *L, int i, const char *tname);
int azl_absindex(lua_State *L, int i);
#else
#define azl_rawlen(L, i) lua_rawlen((L), (i))
#define azl_setuservalue(L, i) lua_setuservalue((L), (i))
#define azl_getuservalue(L, i) ((void)lua_getuservalue((L), (i)))
#define azl_newlib(L, l) luaL_newlib((L), (l))
#define azl_setmetatable(L, t) luaL_setmetatable((L), (t))
#define azl_setfuncs(L, l, n) luaL_setfuncs((L), (l), (n))
#define azl_testudata(L, i, t) luaL_testudata((L), (i), (t))
#define azl_absindex(L, i) lua_absindex((L), (i))
#endif

/* luaL_newmetatable sets __name from 5.3 on; the facades test it, so set it on 5.1/5.2 too. */
#if LUA_VERSION_NUM < 503
#define azl_newmetatable(L, n)                                                                     \
  (luaL_newmetatable((L), (n)) ? (lua_pushstring((L), (n)), lua_setfield((L), -2, "__name"), 1)  \
                               : 0)
#else
#define azl_newmetatable(L, n) luaL_newmetatable((L), (n))
#endif

#if LUA_VERSION_NUM >= 504
#define azl_newuserdata(L, sz) lua_newuserdatauv((L), (sz), 1)
#else
#define azl_newuserdata(L, sz) lua_newuserdata((L), (sz))
#endif

/* lua_Integer is 64-bit on 5.3+, but a double-backed ptrdiff_t on 5.1: integers up to 2^53 are
 * exact there, enough for every length and status this binding moves. */
#if LUA_VERSION_NUM >= 503
#define azl_isinteger(L, i) lua_isinteger((L), (i))
#else
int azl_isinteger(lua_State *L, int i);
#endif

#endif
