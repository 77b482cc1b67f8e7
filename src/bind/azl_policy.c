/*
 * azl_policy.c - the userdata shape shared by every native policy class, and option readers
 * for their constructors. Policy-specific fields and methods live in azl_policy_<name>.c.
 */
#include <math.h>
#include <string.h>

#include "azl.h"

static int policy_index(lua_State *L) {
  /* upvalue 1: getters table, upvalue 2: methods table */
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  if (!lua_isnil(L, -1))
    return 1;
  lua_pop(L, 1);
  /* free-form attributes set from Lua */
  if (azl_uservalue_field(L, 1, "attrs") == LUA_TTABLE) {
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  return 0;
}

static int policy_newindex(lua_State *L) {
  luaL_checkany(L, 3);
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1))
      return luaL_error(L, "policy field '%s' is read-only (use the policy's methods)",
                        lua_tostring(L, 2));
    lua_pop(L, 1);
  }
  azl_attr_set(L, 1, 2, 3);
  return 0;
}

static int policy_gc(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  if (b && b->p) {
    azc_policy_unref(b->p);
    b->p = NULL;
  }
  return 0;
}

static int policy_tostring(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  lua_pushfstring(L, "<%s %p>", b && b->p ? azc_policy_name(b->p) : "policy", (void *)b);
  return 1;
}

void azl_policy_class(lua_State *L, const char *mt, const luaL_Reg *getters,
                      const luaL_Reg *methods) {
  azl_newmetatable(L, mt);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "__azc_policy");
  lua_newtable(L);
  if (getters)
    azl_setfuncs(L, getters, 0);
  lua_newtable(L);
  if (methods)
    azl_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "__methods"); /* native.set_methods can add Lua methods */
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, policy_index, 2);
  lua_setfield(L, -4, "__index");
  lua_pop(L, 1);
  lua_pushcclosure(L, policy_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, policy_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, policy_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

void azl_policy_push(lua_State *L, azc_policy *p, const char *mt) {
  azl_policy_box *b = azl_newuserdata(L, sizeof *b);
  b->p = p;
  azl_setmetatable(L, mt);
  azl_new_uservalue(L, -1);
}

azc_policy *azl_policy_test(lua_State *L, int idx) {
  azl_policy_box *b;
  int is_policy;
  if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx))
    return NULL;
  lua_getfield(L, -1, "__azc_policy");
  is_policy = lua_toboolean(L, -1);
  lua_pop(L, 2);
  if (!is_policy)
    return NULL;
  b = lua_touserdata(L, idx);
  return b->p;
}

azc_policy *azl_policy_check(lua_State *L, int idx, const azc_policy_vtable *vt) {
  azc_policy *p = azl_policy_test(L, idx);
  if (!p || p->vt != vt)
    luaL_error(L, "bad argument #%d: %s expected", idx, vt->name);
  return p;
}

/* Push option @p field of the table at @p tbl; @return 1 when it is there (one value pushed), 0
 * when absent (nothing pushed). Raises unless it has type @p want. */
static int opt_open(lua_State *L, int tbl, const char *field, int want) {
  int t;
  if (tbl == 0 || lua_isnoneornil(L, tbl))
    return 0;
  lua_getfield(L, tbl, field);
  t = lua_type(L, -1);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != want)
    luaL_error(L, "option '%s' must be a %s, got %s", field, lua_typename(L, want),
               lua_typename(L, t));
  return 1;
}

int azl_opt_number(lua_State *L, int tbl, const char *field, double *out) {
  if (!opt_open(L, tbl, field, LUA_TNUMBER))
    return 0;
  *out = (double)lua_tonumber(L, -1);
  lua_pop(L, 1);
  return 1;
}

int azl_opt_bool(lua_State *L, int tbl, const char *field, int *out) {
  if (!opt_open(L, tbl, field, LUA_TBOOLEAN))
    return 0;
  *out = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return 1;
}

/* The string stays valid while the options table is reachable (it holds the value). */
int azl_opt_string(lua_State *L, int tbl, const char *field, const char **out) {
  if (!opt_open(L, tbl, field, LUA_TSTRING))
    return 0;
  *out = lua_tostring(L, -1);
  lua_pop(L, 1);
  return 1;
}

/* List options for constructors (see azl.h): push list option @p field of the table at @p tbl
 * and a scratch userdata of @p elem bytes per item; both stay on the stack (the strings point
 * into the list). @return the length, or -1 (nothing pushed) when absent. Raises unless it is a
 * table. */
static long list_open(lua_State *L, int tbl, const char *field, const char *what, size_t elem,
                      void **out_scratch) {
  long n;
  if (lua_isnoneornil(L, tbl))
    return -1;
  lua_getfield(L, tbl, field);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return -1;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "option '%s' must be a list of %s", field, what);
  n = (long)azl_rawlen(L, -1);
  *out_scratch = lua_newuserdata(L, elem * (size_t)(n ? n : 1));
  return n;
}

long azl_opt_strings(lua_State *L, int tbl, const char *field, const char ***out) {
  long n, i;
  void *scratch;
  const char **v;
  if ((n = list_open(L, tbl, field, "strings", sizeof *v, &scratch)) < 0)
    return -1;
  v = scratch;
  for (i = 0; i < n; i++) {
    size_t len;
    lua_rawgeti(L, -2, (int)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "option '%s' must be a list of strings", field);
    v[i] = lua_tolstring(L, -1, &len);
    if (strlen(v[i]) != len)
      luaL_error(L, "option '%s' must not contain NUL bytes", field);
    lua_pop(L, 1);
  }
  *out = v;
  return n;
}

long azl_opt_ints(lua_State *L, int tbl, const char *field, int **out) {
  long n, i;
  void *scratch;
  int *v;
  if ((n = list_open(L, tbl, field, "integers", sizeof *v, &scratch)) < 0)
    return -1;
  v = scratch;
  for (i = 0; i < n; i++) {
    double d;
    lua_rawgeti(L, -2, (int)i + 1);
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "option '%s' must be a list of integers", field);
    d = (double)lua_tonumber(L, -1);
    if (d != floor(d) || d < -2147483647.0 || d > 2147483647.0)
      luaL_error(L, "option '%s' must be a list of integers", field);
    v[i] = (int)d;
    lua_pop(L, 1);
  }
  *out = v;
  return n;
}

