/*
 * azl_url.c - URL helpers for Lua: format_url (PipelineClient.format_url), quote/unquote,
 * parse. The rules live in src/core/azc_url.c.
 */
#include <string.h>

#include "azc_url.h"
#include "azl.h"

/* Lookup into the Lua table kept at stack index 3 during azc_url_format. Values are read with
 * lua_tolstring on the table's own strings (numbers converted on a copy kept on the stack). */
typedef struct {
  lua_State *L;
  int idx;
} lookup_ctx;

static const char *lookup(void *ud, const char *name, size_t name_len, size_t *out_len) {
  lookup_ctx *c = ud;
  lua_State *L = c->L;
  const char *v;
  lua_pushlstring(L, name, name_len);
  lua_rawget(L, c->idx);
  if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
    lua_pop(L, 1);
    return NULL;
  }
  /* the value stays on the stack (anchored) until format_url returns */
  v = lua_tolstring(L, -1, out_len);
  return v;
}

/* native.format_url(base_url, template, args) -> url; raises ValueError-kind error objects */
static int l_format_url(lua_State *L) {
  const char *base = luaL_checkstring(L, 1);
  const char *tmpl = luaL_checkstring(L, 2);
  lookup_ctx c;
  azc_buf out = {0};
  azc_error err;
  azc_code rc;
  if (lua_isnoneornil(L, 3)) {
    lua_settop(L, 2);
    lua_newtable(L);
  }
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  c.L = L;
  c.idx = 3;
  rc = azc_url_format(base, tmpl, lookup, &c, &out, &err);
  if (rc != AZC_OK) {
    azc_buf_free(&out);
    azl_push_error(L, &err);
    return lua_error(L);
  }
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  azc_buf_free(&out);
  return 1;
}

static int l_quote(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *safe = luaL_optstring(L, 2, "/");
  azc_buf out = {0};
  if (azc_url_quote(s, n, safe, &out) != AZC_OK)
    return luaL_error(L, "out of memory");
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  azc_buf_free(&out);
  return 1;
}

static int l_unquote(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  azc_buf out = {0};
  if (azc_url_unquote(s, n, lua_toboolean(L, 2), &out) != AZC_OK)
    return luaL_error(L, "out of memory");
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  azc_buf_free(&out);
  return 1;
}

static void set_slice(lua_State *L, const char *name, azc_slice s) {
  if (!s.present)
    return;
  lua_pushlstring(L, s.ptr ? s.ptr : "", s.len);
  lua_setfield(L, -2, name);
}

/* native.url_parse(url) -> {scheme=, userinfo=, host=, port=, path=, query=, fragment=} | nil, err */
static int l_url_parse(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  azc_url u;
  if (azc_url_parse(s, n, &u) != AZC_OK)
    return azl_push_code(L, AZC_ERR_VALUE, "malformed URL");
  lua_createtable(L, 0, 7);
  set_slice(L, "scheme", u.scheme);
  set_slice(L, "userinfo", u.userinfo);
  set_slice(L, "host", u.host);
  set_slice(L, "port", u.port);
  set_slice(L, "path", u.path);
  set_slice(L, "query", u.query);
  set_slice(L, "fragment", u.fragment);
  return 1;
}

void azl_url_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"format_url", l_format_url},
                                 {"quote", l_quote},
                                 {"unquote", l_unquote},
                                 {"url_parse", l_url_parse},
                                 {NULL, NULL}};
  azl_setfuncs(L, fns, 0);
}
