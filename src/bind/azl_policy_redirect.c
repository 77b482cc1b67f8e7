/*
 * azl_policy_redirect.c - the Lua class of RedirectPolicy (BEHAVIOR.md §4.6). The behaviour is
 * in src/core/azc_policy_redirect.c; this file turns an option table into a config and exposes
 * azure-core's attributes.
 */
#include <math.h>
#include <string.h>

#include "azc_policy_redirect.h"
#include "azl.h"

#define REDIRECT_MT "azure.core.RedirectPolicy"

static const azc_redirect_config *box_config(lua_State *L) {
  azc_policy *p = azl_policy_test(L, 1);
  const azc_redirect_config *c = p ? azc_redirect_policy_config(p) : NULL;
  if (!c)
    luaL_error(L, "bad self: RedirectPolicy expected");
  return c;
}

/* RedirectPolicy_new(opts) */
static int l_redirect_new(lua_State *L) {
  azc_redirect_config c;
  const char **headers;
  int *codes;
  double max;
  long n;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  azc_redirect_config_init(&c);
  azl_opt_bool(L, 1, "permit_redirects", &c.permit_redirects);
  if (azl_opt_number(L, 1, "redirect_max", &max)) {
    if (max != floor(max) || max < -2147483647.0 || max > 2147483647.0)
      return luaL_error(L, "option 'redirect_max' must be an integer");
    c.redirect_max = (int)max;
  }
  n = azl_opt_strings(L, 1, "redirect_remove_headers", &headers);
  if (n >= 0) {
    c.redirect_remove_headers = headers;
    c.n_redirect_remove_headers = (size_t)n;
  }
  n = azl_opt_ints(L, 1, "redirect_on_status_codes", &codes);
  if (n >= 0) {
    c.redirect_on_status_codes = codes;
    c.n_redirect_on_status_codes = (size_t)n;
  }
  p = azc_redirect_policy_new(&c); /* copies the lists */
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, REDIRECT_MT);
  return 1;
}

static int g_allow(lua_State *L) {
  lua_pushboolean(L, box_config(L)->permit_redirects);
  return 1;
}

static int g_max_redirects(lua_State *L) {
  lua_pushinteger(L, box_config(L)->redirect_max);
  return 1;
}

/* policy:get_redirect_location(response) -> location | false: whether the policy would follow
 * this response (HttpResponse or PipelineResponse), for the method of the request it answers. */
static int m_get_redirect_location(lua_State *L) {
  const azc_redirect_config *c = box_config(L);
  azc_response *resp;
  azc_request *req;
  const char *loc;
  lua_settop(L, 2);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "http_response");
    lua_replace(L, 2);
  }
  resp = azl_response_check(L, 2);
  req = azc_response_request(resp);
  loc = azc_redirect_location(c, resp, req ? azc_request_method(req) : "");
  if (loc)
    lua_pushstring(L, loc);
  else
    lua_pushboolean(L, 0);
  return 1;
}

void azl_policy_redirect_open(lua_State *L) {
  static const luaL_Reg getters[] = {
      {"allow", g_allow}, {"max_redirects", g_max_redirects}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"get_redirect_location", m_get_redirect_location},
                                     {NULL, NULL}};
  static const luaL_Reg fns[] = {{"RedirectPolicy_new", l_redirect_new}, {NULL, NULL}};
  azl_policy_class(L, REDIRECT_MT, getters, methods);
  azl_setfuncs(L, fns, 0);
}
