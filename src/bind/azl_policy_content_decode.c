/*
 * azl_policy_content_decode.c - the Lua class of ContentDecodePolicy (BEHAVIOR.md §4.5), the
 * native helpers its Lua module uses (mime type, JSON syntax check), and the policy's host
 * callback: it calls the Lua helper azure/core/pipeline/policies/content_decode.lua installs,
 * which builds the value into the run's context or returns the DecodeError.
 *
 * A value is only built for a context Lua code can see (azl_host_context_shown: Pipeline:run's
 * runs, runs whose context a Lua policy touched); otherwise the callback returns at once unless
 * the core says only Lua can decide (XML, an encoding, an unread or invalid body). On the fast
 * path the run is then promoted to a PipelineRun first (azl_host_run), so the error object
 * carries the same response the caller would see.
 */
#include <string.h>

#include "azc_json.h"
#include "azc_policy_content_decode.h"
#include "azl.h"

#define CONTENT_DECODE_MT "azure.core.ContentDecodePolicy"

/* Registry key of content_decode.lua's helper(run, stage, encoding) -> nil | error object. */
static const char *const HELPER_KEY = "azure.core.native.content_decode_helper";

static azc_code decode_host(void *host, azc_run *run, azc_policy *self, int hook, int required,
                            const char *encoding, azc_error *out_err) {
  azl_host *h = host;
  lua_State *L;
  int top;
  (void)self;
  if (!h || !h->L)
    return AZC_OK;
  if (!required && !azl_host_context_shown(h))
    return AZC_OK; /* no Lua code can see the context: nothing to build */
  L = h->L;
  top = azl_host_helper_begin(h, run, HELPER_KEY, "azure.core.pipeline.policies.content_decode",
                              2, out_err);
  if (top < 0)
    return out_err->code;
  lua_pushstring(L, hook == AZC_HOOK_ON_REQUEST ? "request" : "response");
  if (encoding)
    lua_pushstring(L, encoding);
  else
    lua_pushnil(L);
  return azl_host_helper_call(h, run, top, 2, out_err);
}

/* ContentDecodePolicy_new(response_encoding | {response_encoding = ...} | nil) */
static int l_new(lua_State *L) {
  const char *enc = NULL;
  size_t n = 0;
  azc_policy *p;
  lua_settop(L, 1);
  if (lua_istable(L, 1))
    lua_getfield(L, 1, "response_encoding"); /* 2; keeps the string alive */
  else if (!lua_isnil(L, 1) && lua_type(L, 1) != LUA_TSTRING)
    return luaL_error(L,
                      "ContentDecodePolicy.new: expected an encoding or an options table, "
                      "got %s",
                      luaL_typename(L, 1));
  if (lua_type(L, -1) == LUA_TSTRING)
    enc = lua_tolstring(L, -1, &n);
  else if (lua_toboolean(L, -1))
    return luaL_error(L, "option 'response_encoding' must be a string, got %s",
                      luaL_typename(L, -1));
  if (enc && strlen(enc) != n)
    return luaL_error(L, "option 'response_encoding' must not contain NUL bytes");
  p = azc_content_decode_policy_new(enc, decode_host);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, CONTENT_DECODE_MT);
  return 1;
}

static int g_response_encoding(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  const char *e = b && b->p ? azc_content_decode_policy_encoding(b->p) : NULL;
  if (e)
    lua_pushstring(L, e);
  else
    lua_pushnil(L);
  return 1;
}

/* native.content_decode_mime(content_type|nil) -> mime type as azure-core derives it */
static int l_mime(lua_State *L) {
  size_t n = 0;
  const char *ct = luaL_optlstring(L, 1, NULL, &n);
  azc_buf b = {0};
  if (azc_content_decode_mime(ct, n, &b) != AZC_OK) {
    azc_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, b.data ? b.data : "", b.len);
  azc_buf_free(&b);
  return 1;
}

/* native.content_decode_mime_kind(mime) -> "json" | "xml" | "text" | "other" */
static int l_mime_kind(lua_State *L) {
  size_t n;
  const char *m = luaL_checklstring(L, 1, &n);
  switch (azc_content_decode_mime_kind(m, n)) {
  case AZC_MIME_JSON:
    lua_pushliteral(L, "json");
    break;
  case AZC_MIME_XML:
    lua_pushliteral(L, "xml");
    break;
  case AZC_MIME_TEXT:
    lua_pushliteral(L, "text");
    break;
  default:
    lua_pushliteral(L, "other");
    break;
  }
  return 1;
}

/* native.json_check(text) -> true | false, message (json.loads' rules and message) */
static int l_json_check(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  azc_error e;
  if (azc_json_check(s, n, &e) == AZC_OK) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, e.message);
  return 2;
}

/* native._set_content_decode_helper(fn) */
static int l_set_helper(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, HELPER_KEY);
  return 0;
}

void azl_policy_content_decode_open(lua_State *L) {
  static const luaL_Reg getters[] = {{"response_encoding", g_response_encoding}, {NULL, NULL}};
  static const luaL_Reg fns[] = {
      {"ContentDecodePolicy_new", l_new},           {"content_decode_mime", l_mime},
      {"content_decode_mime_kind", l_mime_kind},    {"json_check", l_json_check},
      {"_set_content_decode_helper", l_set_helper}, {NULL, NULL}};
  azl_policy_class(L, CONTENT_DECODE_MT, getters, NULL);
  azl_setfuncs(L, fns, 0);
}
