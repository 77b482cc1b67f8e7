/*
 * azl_policy_retry.c - the Lua class of RetryPolicy (BEHAVIOR.md §4.7). The behaviour is in
 * src/core/azc_policy_retry.c; this file turns an option table into a config and exposes
 * azure-core's attributes and helper methods.
 */
#include <math.h>
#include <string.h>

#include "azc_policy_retry.h"
#include "azc_retry_after.h"
#include "azl.h"

#define RETRY_MT "azure.core.RetryPolicy"

static const azc_retry_config *box_config(lua_State *L) {
  azc_policy *p = azl_policy_test(L, 1);
  const azc_retry_config *c = p ? azc_retry_policy_config(p) : NULL;
  if (!c)
    luaL_error(L, "bad self: RetryPolicy expected");
  return c;
}

/* An integer option (counters); raises for fractions and values outside int. */
static int opt_int(lua_State *L, int tbl, const char *field, int *out) {
  double d;
  if (!azl_opt_number(L, tbl, field, &d))
    return 0;
  if (d != floor(d) || d < -2147483647.0 || d > 2147483647.0)
    luaL_error(L, "option '%s' must be an integer", field);
  *out = (int)d;
  return 1;
}

/* RetryPolicy_new(opts) */
static int l_retry_new(lua_State *L) {
  azc_retry_config c;
  const char *mode;
  const char **methods;
  int *codes;
  long n;
  azc_policy *p;
  lua_settop(L, 1);
  if (!lua_isnil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  azc_retry_config_init(&c);
  opt_int(L, 1, "retry_total", &c.total);
  opt_int(L, 1, "retry_connect", &c.connect);
  opt_int(L, 1, "retry_read", &c.read);
  opt_int(L, 1, "retry_status", &c.status);
  azl_opt_number(L, 1, "retry_backoff_factor", &c.backoff_factor);
  azl_opt_number(L, 1, "retry_backoff_max", &c.backoff_max);
  azl_opt_number(L, 1, "retry_jitter_factor", &c.jitter_factor);
  azl_opt_number(L, 1, "timeout", &c.timeout);
  if (azl_opt_string(L, 1, "retry_mode", &mode)) {
    /* RetryMode is a case-insensitive enum in azure-core */
    if (azc__ieq(mode, strlen(mode), "exponential", 11))
      c.mode = AZC_RETRY_MODE_EXPONENTIAL;
    else if (azc__ieq(mode, strlen(mode), "fixed", 5))
      c.mode = AZC_RETRY_MODE_FIXED;
    else
      return luaL_error(L, "option 'retry_mode' must be 'exponential' or 'fixed', got '%s'", mode);
  }
  n = azl_opt_strings(L, 1, "retry_on_methods", &methods);
  if (n >= 0) {
    c.retry_on_methods = methods;
    c.n_retry_on_methods = (size_t)n;
  }
  n = azl_opt_ints(L, 1, "retry_on_status_codes", &codes);
  if (n >= 0) {
    c.retry_on_status_codes = codes;
    c.n_retry_on_status_codes = (size_t)n;
  }
  p = azc_retry_policy_new(&c); /* copies the lists: the scratch buffers may go */
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, RETRY_MT);
  return 1;
}

/* ---- fields (azure-core's attribute names) ------------------------------------------------ */

/* Whole numbers as integers (azure-core's defaults 120 and 604800 are ints). */
static void push_num(lua_State *L, double d) {
  if (d == floor(d) && fabs(d) < 9007199254740992.0)
    lua_pushinteger(L, (lua_Integer)d);
  else
    lua_pushnumber(L, d);
}

static int g_total(lua_State *L) {
  lua_pushinteger(L, box_config(L)->total);
  return 1;
}
static int g_connect(lua_State *L) {
  lua_pushinteger(L, box_config(L)->connect);
  return 1;
}
static int g_read(lua_State *L) {
  lua_pushinteger(L, box_config(L)->read);
  return 1;
}
static int g_status(lua_State *L) {
  lua_pushinteger(L, box_config(L)->status);
  return 1;
}
static int g_backoff_factor(lua_State *L) {
  push_num(L, box_config(L)->backoff_factor);
  return 1;
}
static int g_backoff_max(lua_State *L) {
  push_num(L, box_config(L)->backoff_max);
  return 1;
}
static int g_jitter_factor(lua_State *L) {
  push_num(L, box_config(L)->jitter_factor);
  return 1;
}
static int g_timeout(lua_State *L) {
  push_num(L, box_config(L)->timeout);
  return 1;
}
static int g_retry_mode(lua_State *L) {
  lua_pushstring(L, box_config(L)->mode == AZC_RETRY_MODE_FIXED ? "fixed" : "exponential");
  return 1;
}

/* ---- methods ------------------------------------------------------------------------------ */

/* policy:parse_retry_after(value) -> seconds | nil. azure-core raises for a value that is
 * neither a number nor an HTTP-date; here it is nil. */
static int m_parse_retry_after(lua_State *L) {
  size_t len;
  const char *s;
  double sec;
  box_config(L);
  s = luaL_checklstring(L, 2, &len);
  if (!azc_retry_after_parse(s, len, azc_unix_now(), &sec))
    return 0;
  lua_pushnumber(L, sec);
  return 1;
}

/* policy:get_retry_after(response) -> seconds | nil; the response may be an HttpResponse or a
 * PipelineResponse (a table with http_response). */
static int m_get_retry_after(lua_State *L) {
  azc_response *resp;
  double sec;
  box_config(L);
  lua_settop(L, 2);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "http_response");
    lua_replace(L, 2);
  }
  resp = azl_response_check(L, 2);
  if (!azc_retry_after(azc_response_headers(resp), azc_unix_now(), &sec))
    return 0;
  lua_pushnumber(L, sec);
  return 1;
}

/* policy:get_backoff_time(n) -> seconds, n being the number of history entries; or
 * policy:get_backoff_time(settings) with azure-core's settings table (history, backoff,
 * max_backoff). Jittered as the policy would sleep. */
static int m_get_backoff_time(lua_State *L) {
  const azc_retry_config *c = box_config(L);
  double factor = c->backoff_factor, max = c->backoff_max, n;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "history");
    n = lua_istable(L, -1) ? (double)azl_rawlen(L, -1) : 0;
    lua_pop(L, 1);
    azl_opt_number(L, 2, "backoff", &factor);
    azl_opt_number(L, 2, "max_backoff", &max);
  } else {
    n = (double)luaL_checknumber(L, 2);
    if (n != floor(n))
      return luaL_argerror(L, 2, "an integer expected");
  }
  lua_pushnumber(L, azc_retry_backoff_time(c->mode, factor, max, c->jitter_factor,
                                           n > 0 ? (size_t)(n < 1e9 ? n : 1e9) : 0));
  return 1;
}

void azl_policy_retry_open(lua_State *L) {
  static const luaL_Reg getters[] = {{"total_retries", g_total},
                                     {"connect_retries", g_connect},
                                     {"read_retries", g_read},
                                     {"status_retries", g_status},
                                     {"backoff_factor", g_backoff_factor},
                                     {"backoff_max", g_backoff_max},
                                     {"jitter_factor", g_jitter_factor},
                                     {"timeout", g_timeout},
                                     {"retry_mode", g_retry_mode},
                                     {NULL, NULL}};
  static const luaL_Reg methods[] = {{"parse_retry_after", m_parse_retry_after},
                                     {"get_retry_after", m_get_retry_after},
                                     {"get_backoff_time", m_get_backoff_time},
                                     {NULL, NULL}};
  static const luaL_Reg fns[] = {{"RetryPolicy_new", l_retry_new}, {NULL, NULL}};
  azl_policy_class(L, RETRY_MT, getters, methods);
  azl_setfuncs(L, fns, 0);
}
