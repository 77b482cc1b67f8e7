/*
 * azl_response.c - HttpResponse userdata over azc_response. The body is pulled by small native
 * steps (_read, _next, _feed) so that a Lua body reader is always called from Lua code in
 * azure/core/rest.lua, where it may yield; the C side never calls it.
 */
#include <string.h>
#include <strings.h>

#include "azl.h"

typedef struct {
  const azl_type *type;
  azc_response *r;
} response_box;

static const azl_type azl_response_type = {AZL_RESPONSE_MT};

azc_response *azl_response_check(lua_State *L, int idx) {
  response_box *b = azl_box_check(L, idx, &azl_response_type);
  if (!b->r)
    luaL_error(L, "HttpResponse has been released");
  return b->r;
}

void azl_response_push(lua_State *L, azc_response *r, int req_idx) {
  response_box *b;
  if (req_idx)
    req_idx = azl_absindex(L, req_idx);
  /* user value 1: the lazily made table (headers, attrs, ...); 2: the request, so a response
   * costs no table unless one is needed */
  b = azl_box_new_counted(L, &azl_response_type, sizeof *b, 2, azc_response_footprint(r));
  b->r = r;
#if LUA_VERSION_NUM >= 504
  if (req_idx) {
    lua_pushvalue(L, req_idx);
    lua_setiuservalue(L, -2, 2);
  }
#else
  azl_new_uservalue(L, -1);
  if (req_idx) {
    lua_pushvalue(L, req_idx);
    azl_uservalue_set(L, -2, "request");
  }
#endif
}

/* native.response_new(status, reason, request_ud|nil) */
static int l_new(lua_State *L) {
  int status = (int)luaL_checkinteger(L, 1);
  const char *reason = luaL_optstring(L, 2, "");
  azc_request *req = lua_isnoneornil(L, 3) ? NULL : azl_request_check(L, 3);
  azc_response *r = azc_response_new(status, reason, req);
  if (!r)
    return luaL_error(L, "out of memory");
  azl_response_push(L, r, req ? 3 : 0);
  return 1;
}

/* The charset parameter of a Content-Type value, lower-cased, into buf ("" when none). */
static void charset_of(const char *ct, char *buf, size_t cap) {
  const char *p = ct;
  buf[0] = '\0';
  while (p && (p = strchr(p, ';')) != NULL) {
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    if (strncasecmp(p, "charset=", 8) == 0) {
      size_t i = 0;
      p += 8;
      if (*p == '"')
        p++;
      while (*p && *p != '"' && *p != ';' && *p != ' ' && i + 1 < cap) {
        char c = *p++;
        buf[i++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
      }
      buf[i] = '\0';
      return;
    }
  }
}

static int l_index(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  const char *k;
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  k = lua_tostring(L, 2);
  switch (k[0]) {
  case 's':
    if (strcmp(k, "status_code") == 0) {
      lua_pushinteger(L, azc_response_status(r));
      return 1;
    }
    break;
  case 'r':
    if (strcmp(k, "reason") == 0) {
      lua_pushstring(L, azc_response_reason(r));
      return 1;
    }
    if (strcmp(k, "request") == 0) {
#if LUA_VERSION_NUM >= 504
      lua_getiuservalue(L, 1, 2);
#else
      azl_uservalue_field(L, 1, "request");
#endif
      return 1;
    }
    break;
  case 'h':
    if (strcmp(k, "headers") == 0) {
      if (azl_uservalue_field(L, 1, "headers") == LUA_TNIL) {
        azc_headers *h = azc_response_headers(r);
        lua_pop(L, 1);
        if (!h)
          return luaL_error(L, "out of memory");
        azl_headers_push(L, h);
        lua_pushvalue(L, -1);
        azl_uservalue_set(L, 1, "headers");
      }
      return 1;
    }
    break;
  case 'u':
    if (strcmp(k, "url") == 0) {
      lua_pushstring(L, azc_response_url(r));
      return 1;
    }
    break;
  case 'c':
    if (strcmp(k, "content") == 0) {
      size_t n;
      const char *c = azc_response_content(r, &n);
      if (!c) {
        azc_request *q = azc_response_request(r);
        azc_error e;
        azc_error_set(&e, AZC_ERR_NOT_READ,
                      "You have not read in the bytes for the response from request "
                      "<HttpRequest [%s], url: '%s'>. Call .read() on the response first.",
                      q ? azc_request_method(q) : "", q ? azc_request_url(q) : "");
        azl_push_error(L, &e);
        return lua_error(L); /* API.md: raises ResponseNotReadError */
      }
      lua_pushlstring(L, c, n);
      return 1;
    }
    if (strcmp(k, "content_type") == 0) {
      const char *ct = azc_headers_get(azc_response_headers(r), "Content-Type", 12, NULL);
      if (ct)
        lua_pushstring(L, ct);
      else
        lua_pushnil(L);
      return 1;
    }
    break;
  case 'e':
    if (strcmp(k, "encoding") == 0) {
      char cs[64];
      const char *ct = azc_headers_get(azc_response_headers(r), "Content-Type", 12, NULL);
      if (azl_uservalue_field(L, 1, "encoding") != LUA_TNIL)
        return 1;
      charset_of(ct, cs, sizeof cs);
      if (cs[0])
        lua_pushstring(L, cs);
      else
        lua_pushnil(L);
      return 1;
    }
    break;
  case 'i':
    if (strcmp(k, "is_closed") == 0) {
      lua_pushboolean(L, azc_response_is_closed(r));
      return 1;
    }
    if (strcmp(k, "is_stream_consumed") == 0) {
      lua_pushboolean(L, azc_response_is_stream_consumed(r));
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
  azc_response *r = azl_response_check(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "reason") == 0) {
    size_t n;
    const char *s = luaL_checklstring(L, 3, &n);
    if (azc_response_set_reason(r, s, n) != AZC_OK)
      return luaL_error(L, "out of memory");
  } else if (strcmp(k, "encoding") == 0) {
    lua_pushvalue(L, 3);
    azl_uservalue_set(L, 1, "encoding");
  } else if (strcmp(k, "request") == 0 || strcmp(k, "headers") == 0 ||
             strcmp(k, "status_code") == 0 || strcmp(k, "content") == 0 ||
             strcmp(k, "url") == 0 || strcmp(k, "is_closed") == 0 ||
             strcmp(k, "is_stream_consumed") == 0 || strcmp(k, "content_type") == 0) {
    return luaL_error(L, "HttpResponse.%s is read-only", k);
  } else {
    azl_attr_set(L, 1, 2, 3);
  }
  return 0;
}

/* res:_set_content(s): an already-decoded body (HttpResponse.new{content=...}) */
static int l_set_content(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (azc_response_set_content(r, s, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* res:_set_raw_body(s): a raw body still encoded as Content-Encoding says */
static int l_set_raw_body(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (azc_response_set_body(r, s, n) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* res:_set_stream(fn): body chunks come from a Lua reader that rest.lua calls */
static int l_set_stream(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  azc_response_set_fed(r);
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, 1, "stream");
  return 0;
}

/* res:_stream_fn() -> the Lua reader, or nil */
static int l_stream_fn(lua_State *L) {
  azl_response_check(L, 1);
  azl_uservalue_field(L, 1, "stream");
  return 1;
}

/* res:_feed(chunk|nil): nil marks the end of the body */
static int l_feed(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  size_t n = 0;
  const char *s = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &n);
  if (azc_response_feed(r, s, n, s == NULL) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* res:_read() -> content | true (feed me) | nil, err */
static int l_read(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  azc_read_state st;
  azc_error err;
  size_t n;
  const char *c;
  int was_read = azc_response_is_read(r);
  if (azc_response_read(r, &st, &err) != AZC_OK)
    return azl_push_error(L, &err);
  if (st == AZC_READ_NEED_INPUT) {
    lua_pushboolean(L, 1);
    return 1;
  }
  c = azc_response_content(r, &n);
  if (!was_read)
    azl_gc_account(L, n); /* the body now buffered in C (azl_gc.c) */
  lua_pushlstring(L, c ? c : "", n);
  return 1;
}

/* res:_next(raw, max) -> chunk | false (end) | true (feed me) | nil, err */
static int l_next(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  int raw = lua_toboolean(L, 2);
  lua_Integer max = luaL_optinteger(L, 3, 4096);
  azc_buf out = {0};
  azc_read_state st;
  azc_error err;
  azc_code rc;
  if (max <= 0)
    return luaL_argerror(L, 3, "chunk size must be positive");
  rc = azc_response_next(r, raw, (size_t)max, &out, &st, &err);
  if (rc != AZC_OK) {
    azc_buf_free(&out);
    return azl_push_error(L, &err);
  }
  if (st == AZC_READ_DATA)
    lua_pushlstring(L, out.data ? out.data : "", out.len);
  else
    lua_pushboolean(L, st == AZC_READ_NEED_INPUT);
  azc_buf_free(&out);
  return 1;
}

static int l_is_read(lua_State *L) {
  lua_pushboolean(L, azc_response_is_read(azl_response_check(L, 1)));
  return 1;
}

/* close, __gc and __close share this: releases the stream once; the core object itself is
 * released only by __gc (a closed response keeps its status, headers and read content). */
static int l_close(lua_State *L) {
  response_box *b = azl_box_check(L, 1, &azl_response_type);
  if (b->r)
    azc_response_close(b->r);
  return 0;
}

static int l_gc(lua_State *L) {
  response_box *b = azl_box_check(L, 1, &azl_response_type);
  if (b->r) {
    azc_response_close(b->r);
    azc_response_unref(b->r);
    b->r = NULL;
  }
  return 0;
}

static int l_tostring(lua_State *L) {
  azc_response *r = azl_response_check(L, 1);
  const char *ct = azc_headers_get(azc_response_headers(r), "Content-Type", 12, NULL);
  if (ct)
    lua_pushfstring(L, "<HttpResponse: %d %s, Content-Type: %s>", azc_response_status(r),
                    azc_response_reason(r), ct);
  else
    lua_pushfstring(L, "<HttpResponse: %d %s>", azc_response_status(r), azc_response_reason(r));
  return 1;
}

void azl_response_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__newindex", l_newindex},
                                  {"__tostring", l_tostring},
                                  {"__gc", l_gc},
                                  {"__close", l_close},
                                  {NULL, NULL}};
  static const luaL_Reg methods[] = {{"close", l_close},
                                     {"_set_content", l_set_content},
                                     {"_set_raw_body", l_set_raw_body},
                                     {"_set_stream", l_set_stream},
                                     {"_stream_fn", l_stream_fn},
                                     {"_feed", l_feed},
                                     {"_read", l_read},
                                     {"_next", l_next},
                                     {"_is_read", l_is_read},
                                     {NULL, NULL}};
  azl_box_metatable(L, &azl_response_type);
  azl_setfuncs(L, meta, 0);
  azl_newlib(L, methods);
  azl_box_methods(L, l_index);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "response_new");
}
