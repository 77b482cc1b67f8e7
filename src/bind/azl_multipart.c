/*
 * azl_multipart.c - multipart/mixed batch responses for Lua (azure/core/multipart.lua). The
 * parsing rules live in src/core/azc_multipart.c; this file turns a parsed tree into plain Lua
 * tables and embedded HTTP responses into HttpResponse userdata.
 */
#include "azc_multipart.h"
#include "azl.h"

#define AZL_MPTREE_MT "azure.core.MultipartTree"

/* The parsed tree lives in a userdata box while Lua tables are built from it, so an error
 * raised by Lua (out of memory) mid-way still frees it through __gc. */
typedef struct {
  azc_multipart *root;
} tree_box;

static int tree_gc(lua_State *L) {
  tree_box *b = luaL_checkudata(L, 1, AZL_MPTREE_MT);
  azc_multipart_free(b->root);
  b->root = NULL;
  return 0;
}

/* Push {content_type=, headers=Headers, body=string | parts={...}} for @p m. */
static void push_entity(lua_State *L, const azc_multipart *m) {
  azc_headers *h;
  luaL_checkstack(L, 8, "multipart nesting");
  lua_createtable(L, 0, 4);
  lua_pushstring(L, azc_multipart_content_type(m));
  lua_setfield(L, -2, "content_type");
  h = azc_headers_copy(azc_multipart_headers(m));
  if (!h)
    luaL_error(L, "out of memory");
  azl_headers_push(L, h); /* takes its own reference */
  azc_headers_unref(h);
  lua_setfield(L, -2, "headers");
  if (azc_multipart_is_multipart(m)) {
    size_t i, n = azc_multipart_count(m);
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) {
      push_entity(L, azc_multipart_part(m, i));
      lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "parts");
  } else {
    size_t len;
    const char *body = azc_multipart_body(m, &len);
    lua_pushlstring(L, body, len);
    lua_setfield(L, -2, "body");
  }
}

/* native.multipart_parse(content_type, body) -> tree | nil, err (DecodeError kind) */
static int l_parse(lua_State *L) {
  size_t ctl, bl;
  const char *ct = luaL_checklstring(L, 1, &ctl);
  const char *body = luaL_checklstring(L, 2, &bl);
  azc_error err;
  tree_box *b = azl_newuserdata(L, sizeof *b);
  b->root = NULL;
  azl_setmetatable(L, AZL_MPTREE_MT);
  if (azc_multipart_parse(ct, ctl, body, bl, &b->root, &err) != AZC_OK)
    return azl_push_error(L, &err);
  push_entity(L, b->root);
  azc_multipart_free(b->root);
  b->root = NULL;
  return 1;
}

/* native.multipart_http_response(bytes, request|nil) -> HttpResponse | nil, err */
static int l_http_response(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  azc_request *req = lua_isnoneornil(L, 2) ? NULL : azl_request_check(L, 2);
  azc_response *r;
  azc_error err;
  if (azc_multipart_parse_http_response(data, len, req, &r, &err) != AZC_OK)
    return azl_push_error(L, &err);
  azl_response_push(L, r, req ? 2 : 0); /* the userdata owns the reference from here on */
  return 1;
}

void azl_multipart_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"multipart_parse", l_parse},
                                 {"multipart_http_response", l_http_response},
                                 {NULL, NULL}};
  azl_newmetatable(L, AZL_MPTREE_MT);
  lua_pushcfunction(L, tree_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  azl_setfuncs(L, fns, 0);
}
