/*
 * azl_curl.c - CurlTransport and CurlTransfer userdata. `_send` runs a whole transfer in C
 * (bodies that C can read itself); `_start` returns a transfer that the Lua side advances with
 * run/feed when the body is a Lua reader, so the reader is only ever called from Lua.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "azl.h"

typedef struct {
  const azl_type *type;
  azc_curl *t;
} curl_box;

typedef struct {
  const azl_type *type;
  azc_xfer *x;
} xfer_box;

static const azl_type curl_type = {AZL_CURL_MT}, xfer_type = {AZL_XFER_MT};

static azc_curl *check_open(lua_State *L, int idx) {
  curl_box *b = azl_box_check(L, idx, &curl_type);
  if (!b->t)
    luaL_error(L, "CurlTransport is closed");
  return b->t;
}

azc_curl *azl_curl_check(lua_State *L, int idx) { return check_open(L, idx); }

azc_curl *azl_curl_test(lua_State *L, int idx) {
  curl_box *b = azl_box_test(L, idx, &curl_type);
  return b ? b->t : NULL;
}

static long seconds_ms(lua_State *L, int idx, const char *name) {
  lua_Number s;
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "%s must be a number of seconds, got %s", name, luaL_typename(L, idx));
  s = lua_tonumber(L, idx);
  if (s < 0)
    luaL_error(L, "%s must not be negative", name);
  return (long)(s * 1000.0 + 0.5);
}

/* connection_verify = true | false | "/ca.pem" */
static void read_verify(lua_State *L, int idx, int *out_verify, const char **out_ca) {
  if (lua_isboolean(L, idx)) {
    *out_verify = lua_toboolean(L, idx);
  } else if (lua_type(L, idx) == LUA_TSTRING) {
    *out_verify = 1;
    *out_ca = lua_tostring(L, idx);
  } else {
    luaL_error(L, "connection_verify must be a boolean or a CA file path");
  }
}

/* connection_cert = "/both.pem" | {"/cert.pem", "/key.pem"} */
static void read_cert(lua_State *L, int idx, const char **out_cert, const char **out_key) {
  idx = azl_absindex(L, idx);
  if (lua_type(L, idx) == LUA_TSTRING) {
    *out_cert = lua_tostring(L, idx);
  } else if (lua_istable(L, idx)) {
    lua_rawgeti(L, idx, 1);
    lua_rawgeti(L, idx, 2);
    *out_cert = lua_tostring(L, -2);
    *out_key = lua_tostring(L, -1);
    lua_pop(L, 2); /* still referenced from the table */
    if (!*out_cert)
      luaL_error(L, "connection_cert must be a path or {cert_path, key_path}");
  } else {
    luaL_error(L, "connection_cert must be a path or {cert_path, key_path}");
  }
}

static void read_proxies(lua_State *L, int idx, const char **http, const char **https,
                         const char **no_proxy) {
  idx = azl_absindex(L, idx);
  if (!lua_istable(L, idx))
    luaL_error(L, "proxies must be a table {http = url, https = url}");
  lua_getfield(L, idx, "http");
  *http = lua_tostring(L, -1);
  lua_getfield(L, idx, "https");
  *https = lua_tostring(L, -1);
  lua_getfield(L, idx, "no_proxy");
  *no_proxy = lua_tostring(L, -1);
  lua_pop(L, 3); /* the strings stay referenced from the proxies table */
}

int azl_send_option(lua_State *L, const char *k, int vidx, azc_send_options *o) {
  if (strcmp(k, "stream") == 0)
    o->stream = lua_toboolean(L, vidx);
  else if (strcmp(k, "connection_timeout") == 0)
    o->connection_timeout_ms = seconds_ms(L, vidx, k);
  else if (strcmp(k, "read_timeout") == 0)
    o->read_timeout_ms = seconds_ms(L, vidx, k);
  else if (strcmp(k, "connection_verify") == 0)
    read_verify(L, vidx, &o->verify, &o->ca_file);
  else if (strcmp(k, "connection_cert") == 0)
    read_cert(L, vidx, &o->cert_file, &o->key_file);
  else if (strcmp(k, "proxies") == 0) {
    o->has_proxies = 1;
    read_proxies(L, vidx, &o->http_proxy, &o->https_proxy, &o->no_proxy);
  } else
    return 0;
  return 1;
}

void azl_send_options_read(lua_State *L, int idx, azc_send_options *o) {
  azc_send_options_init(o);
  if (idx == 0 || lua_isnoneornil(L, idx))
    return;
  idx = azl_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  /* one pass over the (usually tiny) table; values stay referenced from it */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING)
      azl_send_option(L, lua_tostring(L, -2), lua_gettop(L), o);
    lua_pop(L, 1);
  }
}

/* native.curl_new(config) */
static int l_new(lua_State *L) {
  azc_curl_config cfg;
  azc_error err;
  azc_curl *t;
  curl_box *b;
  azc_curl_config_init(&cfg);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "connection_timeout");
    if (!lua_isnil(L, -1))
      cfg.connection_timeout_ms = seconds_ms(L, -1, "connection_timeout");
    lua_getfield(L, 1, "read_timeout");
    if (!lua_isnil(L, -1))
      cfg.read_timeout_ms = seconds_ms(L, -1, "read_timeout");
    lua_getfield(L, 1, "connection_verify");
    if (!lua_isnil(L, -1))
      read_verify(L, -1, &cfg.verify, &cfg.ca_file);
    lua_getfield(L, 1, "connection_cert");
    if (!lua_isnil(L, -1))
      read_cert(L, -1, &cfg.cert_file, &cfg.key_file);
    lua_getfield(L, 1, "proxies");
    if (!lua_isnil(L, -1))
      read_proxies(L, -1, &cfg.http_proxy, &cfg.https_proxy, &cfg.no_proxy);
    lua_getfield(L, 1, "use_env_settings");
    if (!lua_isnil(L, -1))
      cfg.use_env_settings = lua_toboolean(L, -1);
    lua_getfield(L, 1, "http2");
    cfg.http2 = lua_toboolean(L, -1);
    lua_getfield(L, 1, "connection_data_block_size");
    if (!lua_isnil(L, -1)) {
      lua_Integer n = luaL_checkinteger(L, -1);
      if (n <= 0)
        return luaL_error(L, "connection_data_block_size must be positive");
      cfg.block_size = (size_t)n;
    }
    /* the strings are copied by azc_curl_new while they are still on the stack */
  }
  t = azc_curl_new(&cfg, &err);
  if (!t)
    return azl_push_error(L, &err);
  b = azl_box_new(L, &curl_type, sizeof *b, 1);
  b->t = t;
  azl_new_uservalue(L, -1);
  return 1;
}

/* transport:_send(request, options) -> HttpResponse | nil, err */
static int l_send(lua_State *L) {
  azc_curl *t = check_open(L, 1);
  azc_request *req = azl_request_check(L, 2);
  azc_send_options o;
  azc_response *resp = NULL;
  azc_error err;
  azl_send_options_read(L, 3, &o);
  if (azc_request_body_kind(req) == AZC_BODY_FEED)
    return luaL_error(L, "a request with a Lua reader body must be sent with _start");
  if (azc_curl_send(t, req, &o, &resp, &err) != AZC_OK)
    return azl_push_error(L, &err);
  azl_response_push(L, resp, 2);
  return 1;
}

/* transport:_check_options(options): raise on a misused option, as sending would */
static int l_check_options(lua_State *L) {
  azc_send_options o;
  check_open(L, 1);
  azl_send_options_read(L, 2, &o);
  return 0;
}

/* transport:_start(request, options) -> CurlTransfer | nil, err */
static int l_start(lua_State *L) {
  azc_curl *t = check_open(L, 1);
  azc_request *req = azl_request_check(L, 2);
  azc_send_options o;
  azc_error err;
  azc_xfer *x = NULL;
  xfer_box *b;
  azl_send_options_read(L, 3, &o);
  b = azl_box_new(L, &xfer_type, sizeof *b, 1); /* allocated first: no leak if this raises */
  b->x = NULL;
  azl_new_uservalue(L, -1);
  if (azc_curl_start(t, req, &o, &x, &err) != AZC_OK)
    return azl_push_error(L, &err);
  b->x = x;
  lua_pushvalue(L, 2);
  azl_uservalue_set(L, -2, "request"); /* the response built later answers this object */
  return 1;
}

static int l_close(lua_State *L) {
  curl_box *b = azl_box_check(L, 1, &curl_type);
  if (b->t) {
    azc_curl_close(b->t);
    azc_curl_unref(b->t);
    b->t = NULL;
  }
  return 0;
}

static int l_is_closed(lua_State *L) {
  curl_box *b = azl_box_check(L, 1, &curl_type);
  lua_pushboolean(L, b->t == NULL);
  return 1;
}

static int l_block_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)azc_curl_block_size(check_open(L, 1)));
  return 1;
}

/* native.sleep(seconds): nanosleep, resumed after signals until the time is spent */
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, lua_gettop(L) >= 2 ? 2 : 1);
  struct timespec ts, rem;
  if (s <= 0)
    return 0;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
    ts = rem;
  return 0;
}

static xfer_box *check_xfer(lua_State *L, int idx) {
  xfer_box *b = azl_box_check(L, idx, &xfer_type);
  if (!b->x)
    luaL_error(L, "CurlTransfer is finished");
  return b;
}

/* xfer:run() -> "need_body" | "response" | nil, err */
static int l_xfer_run(lua_State *L) {
  xfer_box *b = check_xfer(L, 1);
  azc_error err;
  switch (azc_xfer_run(b->x, &err)) {
  case AZC_XFER_NEED_BODY:
    lua_pushliteral(L, "need_body");
    return 1;
  case AZC_XFER_RESPONSE:
    lua_pushliteral(L, "response");
    return 1;
  default:
    return azl_push_error(L, &err);
  }
}

/* xfer:feed(chunk | nil) */
static int l_xfer_feed(lua_State *L) {
  xfer_box *b = check_xfer(L, 1);
  size_t n = 0;
  const char *s = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &n);
  if (azc_xfer_feed(b->x, s, n, s == NULL) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* xfer:response() -> HttpResponse (after run() returned "response") */
static int l_xfer_response(lua_State *L) {
  xfer_box *b = check_xfer(L, 1);
  azc_response *r = azc_xfer_response(b->x);
  if (!r)
    return luaL_error(L, "no response yet");
  azl_uservalue_field(L, 1, "request");
  azl_response_push(L, r, -1);
  return 1;
}

static int l_xfer_close(lua_State *L) {
  xfer_box *b = azl_box_check(L, 1, &xfer_type);
  if (b->x) {
    azc_xfer_free(b->x);
    b->x = NULL;
  }
  return 0;
}

void azl_curl_open(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", l_close}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"_send", l_send},
                                     {"_start", l_start},
                                     {"close", l_close},
                                     {"is_closed", l_is_closed},
                                     {"block_size", l_block_size},
                                     {"sleep", l_sleep},
                                     {"_check_options", l_check_options},
                                     {NULL, NULL}};
  static const luaL_Reg xmeta[] = {{"__gc", l_xfer_close}, {"__close", l_xfer_close}, {NULL, NULL}};
  static const luaL_Reg xmethods[] = {{"run", l_xfer_run},
                                      {"feed", l_xfer_feed},
                                      {"response", l_xfer_response},
                                      {"close", l_xfer_close},
                                      {NULL, NULL}};
  azl_box_metatable(L, &curl_type);
  azl_setfuncs(L, meta, 0);
  azl_newlib(L, methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__index");
  azl_box_methods(L, NULL);
  lua_pop(L, 1);
  azl_box_metatable(L, &xfer_type);
  azl_setfuncs(L, xmeta, 0);
  azl_newlib(L, xmethods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "curl_new");
  lua_pushcfunction(L, l_sleep);
  lua_setfield(L, -2, "sleep");
}
