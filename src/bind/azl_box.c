/*
 * azl_box.c - typed userdata ("boxes") for the objects on the per-request path.
 *
 * luaL_checkudata finds the expected metatable by name: it interns the name and searches the
 * registry, about 300 instructions, and a request crosses such a check eight to ten times (the
 * pipeline, the request, the transport, each response field read, close, both finalizers). A
 * box instead starts with the address of its type's static descriptor, so a check is a type test,
 * a length test and one compare. The metatable is still registered under the type's name (so
 * __name is set and the Lua facades can compare it), and also under the descriptor's address,
 * where making a box finds it with one raw lookup. A type's __index closure holds its methods
 * table as an upvalue, so a method call (res:close()) looks nothing up in the registry.
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
  azl_gc_push_state(L); /* mt[1]: the collector record, for azl_box_new_counted */
  lua_rawseti(L, -2, 1);
  return 1;
}

void azl_box_methods(lua_State *L, lua_CFunction index) {
  if (index) {
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, index, 1); /* the methods as its upvalue: see azl_box_method */
    lua_setfield(L, -3, "__index");
  }
  lua_setfield(L, -2, "__methods");
}

static void *make(lua_State *L, const azl_type *t, size_t size, int nuv, int counted,
                  size_t footprint) {
  box_head *b;
  lua_pushlightuserdata(L, (void *)t);
  lua_rawget(L, LUA_REGISTRYINDEX); /* the metatable */
  if (counted) {
    /* before the box exists: a collection this asks for cannot see (and promote) it */
    void *st;
    lua_rawgeti(L, -1, 1);
    st = azl_gc_state_at(L, -1); /* checked: a script can replace mt[1] */
    lua_pop(L, 1);
    azl_gc_account_with(L, st, footprint);
  }
#if LUA_VERSION_NUM >= 504
  b = lua_newuserdatauv(L, size, nuv);
#else
  (void)nuv;
  b = lua_newuserdata(L, size);
#endif
  b->type = t;
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  return b;
}

void *azl_box_new(lua_State *L, const azl_type *t, size_t size, int nuv) {
  return make(L, t, size, nuv, 0, 0);
}

void *azl_box_new_counted(lua_State *L, const azl_type *t, size_t size, int nuv,
                          size_t footprint) {
  return make(L, t, size, nuv, 1, footprint);
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

int azl_box_method(lua_State *L, int key_idx) {
  lua_pushvalue(L, key_idx);
  lua_rawget(L, lua_upvalueindex(1));
  return lua_type(L, -1);
}
