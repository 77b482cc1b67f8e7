/*
 * azl_request.c - HttpRequest userdata over azc_request. Native fields (method, url, headers,
 * content, query) are read and written through __index/__newindex; methods come from the
 * metatable's __methods table (C functions here, Lua ones added by azure/core/rest.lua); any
 * other key is a free-form attribute kept in the uservalue's `attrs` table.
 */
#include <stdlib.h>
#include <string.h>

#include "azc_url.h"
#include "azl.h"

typedef struct {
  const azl_type *type;
  azc_request *r;
} request_box;

static const azl_type azl_request_type = {AZL_REQUEST_MT};

azc_request *azl_request_test(lua_State *L, int idx) {
  request_box *b = azl_box_test(L, idx, &azl_request_type);
  return b ? b->r : NULL;
}

azc_request *azl_request_check(lua_State *L, int idx) {
  request_box *b = azl_box_check(L, idx, &azl_request_type);
  return b->r;
}

void azl_request_push(lua_State *L, azc_request *r) {
  request_box *b;
  b = azl_box_new_counted(L, &azl_request_type, sizeof *b, 1, azc_request_footprint(r));
  b->r = r;
  azl_new_uservalue(L, -1);
}

int azl_request_is_fed(lua_State *L, int idx) {
  azc_request *r = azl_request_check(L, idx);
  return azc_request_body_kind(r) == AZC_BODY_FEED;
}

/* rest.HttpRequest.new calls native.request_new first, so its argument errors are raised here,
 * located at HttpRequest.new's caller (level 2), as error(msg, 2) there would. */
static int new_arg_error(lua_State *L, const char *what, int idx) {
  luaL_where(L, 2);
  lua_pushfstring(L, "HttpRequest.new: %s must be a string, got %s", what, luaL_typename(L, idx));
  lua_concat(L, 2);
  return lua_error(L);
}

static int l_new(lua_State *L) {
  const char *method, *url;
  azc_request *r;
  if (lua_type(L, 1) != LUA_TSTRING)
    return new_arg_error(L, "method", 1);
  if (lua_type(L, 2) != LUA_TSTRING)
    return new_arg_error(L, "url", 2);
  method = lua_tostring(L, 1);
  url = lua_tostring(L, 2);
  r = azc_request_new(method, url);
  if (!r)
    return luaL_error(L, "out of memory");
  azl_request_push(L, r);
  return 1;
}

static void push_query(lua_State *L, azc_request *r) {
  const char *url = azc_request_url(r);
  size_t pos = 0, len = strlen(url);
  azc_query_pair p;
  lua_newtable(L);
  while (azc_url_query_next(url, len, &pos, &p)) {
    lua_pushlstring(L, p.key.ptr ? p.key.ptr : "", p.key.len);
    lua_pushlstring(L, p.value.ptr ? p.value.ptr : "", p.value.len);
    lua_rawset(L, -3);
  }
}

static void push_headers(lua_State *L, int self, azc_request *r) {
  if (azl_uservalue_field(L, self, "headers") == LUA_TNIL) {
    lua_pop(L, 1);
    azl_headers_push(L, azc_request_headers(r));
    lua_pushvalue(L, -1);
    azl_uservalue_set(L, self, "headers");
  }
}

static int l_index(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t kl;
  const char *k = lua_tolstring(L, 2, &kl);
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  switch (k[0]) {
  case 'm':
    if (strcmp(k, "method") == 0) {
      lua_pushstring(L, azc_request_method(r));
      return 1;
    }
    break;
  case 'u':
    if (strcmp(k, "url") == 0) {
      lua_pushstring(L, azc_request_url(r));
      return 1;
    }
    break;
  case 'h':
    if (strcmp(k, "headers") == 0) {
      push_headers(L, 1, r);
      return 1;
    }
    break;
  case 'q':
    if (strcmp(k, "query") == 0) {
      push_query(L, r);
      return 1;
    }
    break;
  case 'c':
    if (strcmp(k, "content") == 0) {
      size_t n;
      const char *bytes = azc_request_body_bytes(r, &n);
      if (bytes)
        lua_pushlstring(L, bytes, n);
      else
        azl_uservalue_field(L, 1, "content"); /* a Lua reader or file, or nil */
      return 1;
    }
    break;
  default:
    break;
  }
  if (azl_box_method(L, 2) != LUA_TNIL)
    return 1;
  lua_pop(L, 1);
  if (azl_uservalue_field(L, 1, "attrs") == LUA_TTABLE) {
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  return 0;
}

static int l_newindex(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "method") == 0) {
    if (azc_request_set_method(r, luaL_checkstring(L, 3)) != AZC_OK)
      return luaL_error(L, "out of memory");
  } else if (strcmp(k, "url") == 0) {
    size_t n;
    const char *u = luaL_checklstring(L, 3, &n);
    if (azc_request_set_url(r, u, n) != AZC_OK)
      return luaL_error(L, "out of memory");
  } else if (strcmp(k, "headers") == 0) {
    azc_headers *h = azc_request_headers(r);
    if (azl_headers_test(L, 3) == h)
      return 0;
    azc_headers_clear(h);
    azl_headers_fill(L, 3, h);
  } else if (strcmp(k, "content") == 0 || strcmp(k, "query") == 0) {
    return luaL_error(L, "HttpRequest.%s is read-only: use the set_*_body methods", k);
  } else {
    azl_attr_set(L, 1, 2, 3);
  }
  return 0;
}

/* After a set_*_body: the cached `content` string is stale, and a byte copy of the body is C
 * memory the collector should know about (azl_gc.c). */
static void forget_content(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  if (azc_request_body_kind(r) == AZC_BODY_BYTES)
    azl_gc_account(L, (size_t)azc_request_body_length(r));
  lua_pushnil(L);
  azl_uservalue_set(L, 1, "content");
}

/* req:set_bytes_body(s): Content-Length only when non-empty (BEHAVIOR §1.1) */
static int l_set_bytes_body(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  azc_code rc = azc_request_set_body_bytes(r, s, n);
  if (rc == AZC_OK && n) {
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    rc = azc_headers_set(azc_request_headers(r), "Content-Length", 14, num, strlen(num));
  }
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  forget_content(L);
  return 0;
}

static int l_set_text_body(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (azc_request_set_body_text(r, s, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  forget_content(L);
  return 0;
}

/* req:_set_json_text(s): the JSON text encoded by rest.lua */
static int l_set_json_text(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (azc_request_set_body_json(r, s, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  forget_content(L);
  return 0;
}

/* req:_set_reader(fn, length|nil): a Lua reader, fed by the driver (never called from C). */
static int l_set_reader(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  int64_t length = -1;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (!lua_isnoneornil(L, 3))
    length = (int64_t)luaL_checknumber(L, 3);
  if (azc_request_set_body_feed(r, length) != AZC_OK)
    return luaL_error(L, "out of memory");
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, 1, "content");
  return 0;
}

/* req:_set_file(fh): a Lua file handle, streamed by C from its current offset. The handle stays
 * referenced from the uservalue so the GC cannot close the FILE* under the transfer. */
static int l_set_file(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  /* luaL_Stream (5.2+) and LuaJIT/5.1's FILE** both start with the FILE pointer */
  FILE **fp = luaL_checkudata(L, 2, LUA_FILEHANDLE);
  if (!*fp)
    return luaL_argerror(L, 2, "attempt to use a closed file");
  if (azc_request_set_body_file(r, *fp, 0) != AZC_OK)
    return luaL_error(L, "out of memory");
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, 1, "content");
  return 0;
}

/* Gather {name, value, filename, content_type} entries from the list at idx. */
static azc_form_field *read_fields(lua_State *L, int idx, size_t *out_n, int multipart) {
  size_t n = azl_rawlen(L, idx), i;
  azc_form_field *f = lua_newuserdata(L, (n ? n : 1) * sizeof *f); /* freed by the GC */
  memset(f, 0, (n ? n : 1) * sizeof *f);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (int)i + 1);
    if (!lua_istable(L, -1))
      luaL_error(L, "form field %d must be a table", (int)i + 1);
    lua_rawgeti(L, -1, 1);
    f[i].name = luaL_checklstring(L, -1, &f[i].name_len);
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 2);
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
      f[i].value = lua_tolstring(L, -1, &f[i].value_len);
    lua_pop(L, 1);
    if (multipart) {
      lua_rawgeti(L, -1, 3);
      f[i].filename = lua_tostring(L, -1);
      lua_pop(L, 1);
      lua_rawgeti(L, -1, 4);
      f[i].content_type = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1); /* strings stay alive: they are referenced from the list */
  }
  *out_n = n;
  return f;
}

static int l_set_form(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n;
  azc_form_field *f;
  luaL_checktype(L, 2, LUA_TTABLE);
  f = read_fields(L, 2, &n, 0);
  if (azc_request_set_body_form(r, f, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  forget_content(L);
  return 0;
}

static int l_set_multipart(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n;
  azc_form_field *f;
  const char *boundary = luaL_optstring(L, 3, NULL);
  azc_code rc;
  luaL_checktype(L, 2, LUA_TTABLE);
  f = read_fields(L, 2, &n, 1);
  rc = azc_request_set_body_multipart(r, f, n, boundary);
  if (rc == AZC_ERR_VALUE)
    return luaL_argerror(L, 3, "invalid multipart boundary");
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  forget_content(L);
  return 0;
}

/* req:_format_parameters({k1, v1, k2, v2, ...}); v == false is azure-core's None */
static int l_format_parameters(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  size_t n, i;
  azc_param *p;
  azc_buf out = {0};
  azc_error err;
  const char *url = azc_request_url(r);
  azc_code rc;
  luaL_checktype(L, 2, LUA_TTABLE);
  n = azl_rawlen(L, 2) / 2;
  p = lua_newuserdata(L, (n ? n : 1) * sizeof *p);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (int)(2 * i + 1));
    lua_rawgeti(L, 2, (int)(2 * i + 2));
    p[i].key = luaL_checklstring(L, -2, &p[i].key_len);
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
      p[i].value = lua_tolstring(L, -1, &p[i].value_len);
    } else {
      p[i].value = NULL;
      p[i].value_len = 0;
    }
    lua_pop(L, 2); /* the strings are still referenced from the argument list */
  }
  rc = azc_url_format_parameters(url, strlen(url), p, n, &out, &err);
  if (rc == AZC_OK)
    rc = azc_request_set_url(r, out.data ? out.data : "", out.len);
  azc_buf_free(&out);
  if (rc == AZC_ERR_VALUE) {
    azl_push_error(L, &err);
    return lua_error(L); /* azure-core raises ValueError here */
  }
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

static int l_can_rewind(lua_State *L) {
  lua_pushboolean(L, azc_request_can_rewind(azl_request_check(L, 1)));
  return 1;
}

static int l_body_kind(lua_State *L) {
  static const char *const kinds[] = {"none", "bytes", "file", "callback", "feed"};
  lua_pushstring(L, kinds[azc_request_body_kind(azl_request_check(L, 1))]);
  return 1;
}

static int l_copy(lua_State *L) {
  azc_request *c = azc_request_copy(azl_request_check(L, 1));
  if (!c)
    return luaL_error(L, "out of memory");
  azl_request_push(L, c);
  /* a streamed body is shared: keep its Lua reader/file reachable from the copy too */
  azl_uservalue_field(L, 1, "content");
  azl_uservalue_set(L, -2, "content");
  return 1;
}

static int l_tostring(lua_State *L) {
  azc_request *r = azl_request_check(L, 1);
  lua_pushfstring(L, "<HttpRequest [%s], url: '%s'>", azc_request_method(r), azc_request_url(r));
  return 1;
}

static int l_gc(lua_State *L) {
  request_box *b = azl_box_check(L, 1, &azl_request_type);
  azc_request_unref(b->r);
  b->r = NULL;
  return 0;
}

void azl_request_open(lua_State *L) {
  static const luaL_Reg meta[] = {
      {"__newindex", l_newindex}, {"__tostring", l_tostring}, {"__gc", l_gc}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"set_bytes_body", l_set_bytes_body},
                                     {"set_text_body", l_set_text_body},
                                     {"_set_json_text", l_set_json_text},
                                     {"_set_reader", l_set_reader},
                                     {"_set_file", l_set_file},
                                     {"_set_form", l_set_form},
                                     {"_set_multipart", l_set_multipart},
                                     {"_format_parameters", l_format_parameters},
                                     {"can_rewind", l_can_rewind},
                                     {"_body_kind", l_body_kind},
                                     {"copy", l_copy},
                                     {NULL, NULL}};
  azl_box_metatable(L, &azl_request_type);
  azl_setfuncs(L, meta, 0);
  azl_newlib(L, methods);
  azl_box_methods(L, l_index);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "request_new");
}
