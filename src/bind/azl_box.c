/*
 * azl_box.c - typed userdata ("boxes") for the objects on the per-request path.
 *
 * luaL_checkudata finds the expected metatable by name: it interns the name and searches the
 * registry, about 300 instructions, and a request crosses such a check eight to ten times (the
 * pipeline, the request, the transport, each response field read, close, both finalizers). A
 * box instead starts with the address of its type's static descriptor, so a check is a type test,
 * a length test and one compare. The metatable is still registered under the type's name (so
 * __name is set and the Lua facades can compare it), and also under the descriptor's address,
 * where making a box finds it with one raw lookup.
 */
#include "azl.h"

typedef struct box_head {
  const azl_type *type;
} box_head;

int azl_box_metatable(lua_State *L, const azl_type *t) {
  if (!azl_newmetatable(L, t->name))
    return 0;
  lua_pushlightuserdata(L, (void *)t);
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 1;
}

void azl_box_methods(lua_State *L, const azl_type *t) {
  lua_pushlightuserdata(L, (void *)&t->methods_key);
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_setfield(L, -2, "__methods");
}

void *azl_box_new(lua_State *L, const azl_type *t, size_t size, int nuv) {
  box_head *b;
#if LUA_VERSION_NUM >= 504
  b = lua_newuserdatauv(L, size, nuv);
#else
  (void)nuv;
  b = lua_newuserdata(L, size);
#endif
  b->type = t;
  lua_pushlightuserdata(L, (void *)t);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_setmetatable(L, -2);
  return b;
}

void *azl_box_test(lua_State *L, int idx, const azl_type *t) {
  box_head *b;
  if (lua_type(L, idx) != LUA_TUSERDATA || azl_rawlen(L, idx) < sizeof *b)
    return NULL;
  b = lua_touserdata(L, idx);
  return b->type == t ? b : NULL;
}

void *azl_box_check(lua_State *L, int idx, const azl_type *t) {
  void *b = azl_box_test(L, idx, t);
  if (!b)
    luaL_argerror(L, idx,
                  lua_pushfstring(L, "%s expected, got %s", t->name, luaL_typename(L, idx)));
  return b;
}

int azl_box_method(lua_State *L, const azl_type *t, int key_idx) {
  key_idx = azl_absindex(L, key_idx);
  lua_pushlightuserdata(L, (void *)&t->methods_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
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
