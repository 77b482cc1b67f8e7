/*
 * azl_headers.c - Headers userdata: a case-insensitive view over a core azc_headers shared with
 * the request or response that owns it (one reference per userdata).
 */
#include <string.h>

#include "azl.h"

typedef struct {
  const azl_type *type;
  azc_headers *h;
} headers_box;

static const azl_type azl_headers_type = {AZL_HEADERS_MT};

static azc_headers *check(lua_State *L, int idx) {
  headers_box *b = azl_box_check(L, idx, &azl_headers_type);
  return b->h;
}

azc_headers *azl_headers_test(lua_State *L, int idx) {
  headers_box *b = azl_box_test(L, idx, &azl_headers_type);
  return b ? b->h : NULL;
}

void azl_headers_push(lua_State *L, azc_headers *h) {
  headers_box *b = azl_box_new(L, &azl_headers_type, sizeof *b, 1);
  b->h = azc_headers_ref(h);
}

static void set_one(lua_State *L, azc_headers *h, int kidx, int vidx) {
  size_t nl, vl;
  const char *n, *v;
  azc_code rc;
  if (lua_type(L, kidx) != LUA_TSTRING)
    luaL_error(L, "header names must be strings, got %s", luaL_typename(L, kidx));
  n = lua_tolstring(L, kidx, &nl);
  if (lua_isnil(L, vidx) || (lua_isboolean(L, vidx) && !lua_toboolean(L, vidx))) {
    azc_headers_remove(h, n, nl);
    return;
  }
  if (lua_type(L, vidx) != LUA_TSTRING && lua_type(L, vidx) != LUA_TNUMBER)
    luaL_error(L, "header '%s' must be a string, got %s", n, luaL_typename(L, vidx));
  lua_pushvalue(L, vidx);
  v = lua_tolstring(L, -1, &vl); /* numbers converted on a copy, not in the caller's table */
  rc = azc_headers_set(h, n, nl, v, vl);
  lua_pop(L, 1);
  if (rc == AZC_ERR_VALUE)
    luaL_error(L, "invalid header '%s': empty name, or CR/LF/NUL in name or value", n);
  if (rc != AZC_OK)
    luaL_error(L, "out of memory");
}

void azl_headers_fill(lua_State *L, int idx, azc_headers *h) {
  azc_headers *src;
  idx = azl_absindex(L, idx);
  if (lua_isnoneornil(L, idx))
    return;
  if ((src = azl_headers_test(L, idx)) != NULL) {
    size_t it = 0, nl, vl;
    const char *n, *v;
    while (azc_headers_next(src, &it, &n, &nl, &v, &vl))
      if (azc_headers_set(h, n, nl, v, vl) != AZC_OK)
        luaL_error(L, "out of memory");
    return;
  }
  if (!lua_istable(L, idx))
    luaL_error(L, "headers must be a table, got %s", luaL_typename(L, idx));
  /* a table with an `items` method (utils.CaseInsensitiveDict) keeps its order */
  lua_getfield(L, idx, "items");
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, idx);
    lua_call(L, 1, 3); /* generic-for triple: f, s, control */
    for (;;) {
      lua_pushvalue(L, -3);
      lua_pushvalue(L, -3);
      lua_pushvalue(L, -3);
      lua_call(L, 2, 2);
      if (lua_isnil(L, -2)) {
        lua_pop(L, 5);
        break;
      }
      set_one(L, h, -2, -1);
      lua_pop(L, 1);
      lua_replace(L, -2); /* new control value */
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    set_one(L, h, -2, -1);
    lua_pop(L, 1);
  }
}

static int l_get(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t nl, vl;
  const char *n = luaL_checklstring(L, 2, &nl);
  const char *v = azc_headers_get(h, n, nl, &vl);
  if (v)
    lua_pushlstring(L, v, vl);
  else
    lua_pushvalue(L, 3);
  return 1;
}

static int l_pop(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t nl, vl;
  const char *n = luaL_checklstring(L, 2, &nl);
  const char *v = azc_headers_get(h, n, nl, &vl);
  if (v) {
    lua_pushlstring(L, v, vl);
    azc_headers_remove(h, n, nl);
  } else {
    lua_pushvalue(L, 3);
  }
  return 1;
}

static int items_iter(lua_State *L) {
  azc_headers *h = check(L, lua_upvalueindex(1));
  size_t it = (size_t)lua_tointeger(L, lua_upvalueindex(2)), nl, vl;
  const char *n, *v;
  if (!azc_headers_next(h, &it, &n, &nl, &v, &vl))
    return 0;
  lua_pushinteger(L, (lua_Integer)it);
  lua_replace(L, lua_upvalueindex(2));
  if (lua_toboolean(L, lua_upvalueindex(3))) {
    char small[128];
    size_t i;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (i = 0; i < nl; i++) {
      char c = n[i];
      small[0] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
      luaL_addchar(&b, small[0]);
    }
    luaL_pushresult(&b);
  } else {
    lua_pushlstring(L, n, nl);
  }
  lua_pushlstring(L, v, vl);
  return 2;
}

static int push_items(lua_State *L, int lower) {
  check(L, 1);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  lua_pushboolean(L, lower);
  lua_pushcclosure(L, items_iter, 3);
  return 1;
}

static int l_items(lua_State *L) { return push_items(L, 0); }
static int l_lowerkey_items(lua_State *L) { return push_items(L, 1); }

static int l_keys(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t it = 0, nl, vl;
  const char *n, *v;
  lua_Integer i = 0;
  lua_createtable(L, (int)azc_headers_count(h), 0);
  while (azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    lua_pushlstring(L, n, nl);
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

static int l_copy(lua_State *L) {
  azc_headers *c = azc_headers_copy(check(L, 1));
  if (!c)
    return luaL_error(L, "out of memory");
  azl_headers_push(L, c);
  azc_headers_unref(c); /* the userdata holds its own reference */
  return 1;
}

static int l_update(lua_State *L) {
  azc_headers *h = check(L, 1);
  azl_headers_fill(L, 2, h);
  return 0;
}

static int l_to_table(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t it = 0, nl, vl;
  const char *n, *v;
  lua_createtable(L, 0, (int)azc_headers_count(h));
  while (azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    lua_pushlstring(L, n, nl);
    lua_pushlstring(L, v, vl);
    lua_rawset(L, -3);
  }
  return 1;
}

/* equals(other): same names (case-insensitive) and values; other is Headers or a table */
static int l_equals(lua_State *L) {
  azc_headers *h = check(L, 1);
  azc_headers *o = azc_headers_new();
  size_t it = 0, nl, vl, ol;
  const char *n, *v, *ov;
  int eq = 1;
  if (!o)
    return luaL_error(L, "out of memory");
  if (!lua_istable(L, 2) && !azl_headers_test(L, 2)) {
    azc_headers_unref(o);
    lua_pushboolean(L, 0);
    return 1;
  }
  azl_headers_fill(L, 2, o); /* may raise: o leaks only on API misuse with bad values */
  if (azc_headers_count(o) != azc_headers_count(h))
    eq = 0;
  while (eq && azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    ov = azc_headers_get(o, n, nl, &ol);
    if (!ov || ol != vl || memcmp(ov, v, vl) != 0)
      eq = 0;
  }
  azc_headers_unref(o);
  lua_pushboolean(L, eq);
  return 1;
}

static int l_index(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t nl, vl;
  const char *n, *v;
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  /* methods win over a header of the very same (lower-case) name */
  if (azl_box_method(L, 2) != LUA_TNIL)
    return 1;
  lua_pop(L, 1);
  n = lua_tolstring(L, 2, &nl);
  v = azc_headers_get(h, n, nl, &vl);
  if (!v)
    return 0;
  lua_pushlstring(L, v, vl);
  return 1;
}

static int l_newindex(lua_State *L) {
  azc_headers *h = check(L, 1);
  set_one(L, h, 2, 3);
  return 0;
}

static int l_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)azc_headers_count(check(L, 1)));
  return 1;
}

static int l_pairs(lua_State *L) {
  push_items(L, 0);
  lua_pushnil(L);
  lua_pushnil(L);
  return 3;
}

static int l_tostring(lua_State *L) {
  azc_headers *h = check(L, 1);
  size_t it = 0, nl, vl;
  const char *n, *v;
  int first = 1;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "Headers{");
  while (azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    if (!first)
      luaL_addstring(&b, ", ");
    first = 0;
    luaL_addlstring(&b, n, nl);
    luaL_addstring(&b, ": ");
    luaL_addlstring(&b, v, vl);
  }
  luaL_addchar(&b, '}');
  luaL_pushresult(&b);
  return 1;
}

static int l_gc(lua_State *L) {
  headers_box *b = azl_box_check(L, 1, &azl_headers_type);
  azc_headers_unref(b->h);
  b->h = NULL;
  return 0;
}

static int l_eq(lua_State *L) {
  lua_settop(L, 2);
  return l_equals(L);
}

/* native.Headers(init): a standalone header map */
static int l_new(lua_State *L) {
  azc_headers *h = azc_headers_new();
  if (!h)
    return luaL_error(L, "out of memory");
  azl_headers_push(L, h);
  azc_headers_unref(h);
  azl_headers_fill(L, 1, check(L, -1));
  return 1;
}

void azl_headers_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__newindex", l_newindex},
                                  {"__len", l_len},
                                  {"__pairs", l_pairs},
                                  {"__tostring", l_tostring},
                                  {"__gc", l_gc},
                                  {"__eq", l_eq},
                                  {NULL, NULL}};
  static const luaL_Reg fns[] = {{"get", l_get},           {"pop", l_pop},
                                 {"items", l_items},       {"lowerkey_items", l_lowerkey_items},
                                 {"keys", l_keys},         {"copy", l_copy},
                                 {"update", l_update},     {"equals", l_equals},
                                 {"to_table", l_to_table}, {NULL, NULL}};
  azl_box_metatable(L, &azl_headers_type);
  azl_setfuncs(L, meta, 0);
  azl_newlib(L, fns);
  azl_box_methods(L, l_index);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "Headers");
}
