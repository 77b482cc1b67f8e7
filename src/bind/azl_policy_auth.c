/*
 * azl_policy_auth.c - Lua classes for credentials and authentication policies (BEHAVIOR.md §4.8,
 * §4.9, §5): the key, named-key and SAS credential holders, AzureKeyCredentialPolicy,
 * AzureSasCredentialPolicy and BearerTokenCredentialPolicy. The behaviour is in the core
 * (azc_policy_key.c, azc_policy_bearer.c); lua/azure/core/credentials.lua validates arguments with
 * azure-core's messages, and lua/azure/core/pipeline/policies/authentication.lua adds the bearer
 * policy's Lua methods (its TOKEN steps, authorize_request, on_challenge).
 *
 * A bearer policy keeps its Lua credential (and an optional Lua on_challenge) in its uservalue: the
 * driver's token helper reads them through the `credential` and `on_challenge` fields.
 */
#include <string.h>

#include "azc_policy_bearer.h"
#include "azc_policy_key.h"
#include "azc_retry_after.h"
#include "azl.h"

#define KEY_CRED_MT "azure.core.AzureKeyCredential"
#define NAMED_CRED_MT "azure.core.AzureNamedKeyCredential"
#define SAS_CRED_MT "azure.core.AzureSasCredential"
#define KEY_POLICY_MT "azure.core.AzureKeyCredentialPolicy"
#define SAS_POLICY_MT "azure.core.AzureSasCredentialPolicy"
#define BEARER_MT "azure.core.BearerTokenCredentialPolicy"

/* Raise the azure.core.exceptions object of @p code (azure-core raises TypeError/ValueError from
 * these constructors; the object carries that kind). */
static int raise_kind(lua_State *L, azc_code code, const char *msg) {
  azl_push_code(L, code, msg);
  return lua_error(L);
}

/* ---- credential holders ------------------------------------------------------------------ */

typedef struct cred_box {
  azc_key_credential *c;
} cred_box;

static const char *const CRED_MTS[] = {KEY_CRED_MT, NAMED_CRED_MT, SAS_CRED_MT};

/* The holder behind a credential userdata of metatable @p mt (any of the three when NULL). */
static azc_key_credential *cred_test(lua_State *L, int idx, const char *mt) {
  size_t i;
  for (i = 0; i < sizeof CRED_MTS / sizeof CRED_MTS[0]; i++) {
    cred_box *b;
    if (mt && strcmp(mt, CRED_MTS[i]) != 0)
      continue;
    b = azl_testudata(L, idx, CRED_MTS[i]);
    if (b)
      return b->c;
  }
  return NULL;
}

static const char *cred_mt_of(lua_State *L, int idx) {
  size_t i;
  for (i = 0; i < sizeof CRED_MTS / sizeof CRED_MTS[0]; i++)
    if (azl_testudata(L, idx, CRED_MTS[i]))
      return CRED_MTS[i];
  return NULL;
}

static const char *check_plain(lua_State *L, int idx, size_t *len, const char *what) {
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "%s must be a string, got %s", what, luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

/* native.key_credential_new(kind, a[, b]): kind "key" | "sas" (a = the secret) or "named" (a =
 * name, b = key). Arguments were validated by credentials.lua. */
static int l_cred_new(lua_State *L) {
  const char *kind = luaL_checkstring(L, 1);
  const char *mt, *name = NULL, *key;
  size_t nl = 0, kl;
  cred_box *b;
  if (strcmp(kind, "named") == 0) {
    mt = NAMED_CRED_MT;
    name = check_plain(L, 2, &nl, "name");
    key = check_plain(L, 3, &kl, "key");
  } else {
    mt = strcmp(kind, "sas") == 0 ? SAS_CRED_MT : KEY_CRED_MT;
    key = check_plain(L, 2, &kl, "key");
  }
  b = azl_newuserdata(L, sizeof *b);
  b->c = NULL;
  azl_setmetatable(L, mt);
  b->c = azc_key_credential_new(name, nl, key, kl);
  if (!b->c)
    return luaL_error(L, "out of memory");
  return 1;
}

static cred_box *check_cred(lua_State *L) {
  cred_box *b = NULL;
  size_t i;
  for (i = 0; i < sizeof CRED_MTS / sizeof CRED_MTS[0] && !b; i++)
    b = azl_testudata(L, 1, CRED_MTS[i]);
  if (!b || !b->c)
    luaL_error(L, "bad self: credential expected");
  return b;
}

/* cred:_set(secret) or named:_set(name, key): the new values, validated by credentials.lua */
static int m_cred_set(lua_State *L) {
  cred_box *b = check_cred(L);
  size_t nl = 0, kl;
  const char *name = NULL, *key;
  if (azl_testudata(L, 1, NAMED_CRED_MT)) {
    name = check_plain(L, 2, &nl, "name");
    key = check_plain(L, 3, &kl, "key");
  } else {
    key = check_plain(L, 2, &kl, "key");
  }
  if (azc_key_credential_update(b->c, name, nl, key, kl) != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* __index: the kind's field (key / signature / named_key), then the methods. */
static int cred_index(lua_State *L) {
  cred_box *b = check_cred(L);
  const char *mt = cred_mt_of(L, 1);
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  size_t len;
  const char *v;
  if (k) {
    if ((strcmp(mt, KEY_CRED_MT) == 0 && strcmp(k, "key") == 0) ||
        (strcmp(mt, SAS_CRED_MT) == 0 && strcmp(k, "signature") == 0)) {
      v = azc_key_credential_key(b->c, &len);
      lua_pushlstring(L, v, len);
      return 1;
    }
    if (strcmp(mt, NAMED_CRED_MT) == 0 && strcmp(k, "named_key") == 0) {
      lua_createtable(L, 0, 2);
      v = azc_key_credential_name(b->c, &len);
      lua_pushlstring(L, v ? v : "", len);
      lua_setfield(L, -2, "name");
      v = azc_key_credential_key(b->c, &len);
      lua_pushlstring(L, v, len);
      lua_setfield(L, -2, "key");
      return 1;
    }
  }
  return azl_methods_lookup(L, mt, 2) == LUA_TNIL ? 0 : 1;
}

static int cred_newindex(lua_State *L) {
  return luaL_error(L, "credential fields are read-only (use update())");
}

static int cred_gc(lua_State *L) {
  cred_box *b = NULL;
  size_t i;
  for (i = 0; i < sizeof CRED_MTS / sizeof CRED_MTS[0] && !b; i++)
    b = azl_testudata(L, 1, CRED_MTS[i]);
  if (b && b->c) {
    azc_key_credential_unref(b->c);
    b->c = NULL;
  }
  return 0;
}

/* Never the secret: tostring() ends up in logs. */
static int cred_tostring(lua_State *L) {
  const char *mt = cred_mt_of(L, 1);
  lua_pushfstring(L, "<%s>", mt ? mt + sizeof "azure.core." - 1 : "credential");
  return 1;
}

static void cred_class(lua_State *L, const char *mt) {
  static const luaL_Reg meta[] = {{"__index", cred_index},
                                  {"__newindex", cred_newindex},
                                  {"__gc", cred_gc},
                                  {"__tostring", cred_tostring},
                                  {NULL, NULL}};
  static const luaL_Reg methods[] = {{"_set", m_cred_set}, {NULL, NULL}};
  azl_newmetatable(L, mt);
  azl_setfuncs(L, meta, 0);
  azl_newlib(L, methods);
  lua_setfield(L, -2, "__methods"); /* native.set_methods adds update() from credentials.lua */
  lua_pop(L, 1);
}

/* ---- AzureKeyCredentialPolicy / AzureSasCredentialPolicy -------------------------------- */

static azc_policy *box_policy(lua_State *L) {
  azl_policy_box *b = lua_touserdata(L, 1);
  if (!b || !b->p)
    luaL_error(L, "policy is closed");
  return b->p;
}

/* AzureKeyCredentialPolicy_new(credential, name, {prefix = s}) */
static int l_key_policy_new(lua_State *L) {
  azc_key_credential *c;
  const char *name, *prefix = NULL;
  size_t nl;
  azc_policy *p;
  azc_error e;
  lua_settop(L, 3);
  c = cred_test(L, 1, KEY_CRED_MT);
  if (!c)
    return raise_kind(L, AZC_ERR_ARG,
                      "String is not a supported credential input type. Use an "
                      "instance of AzureKeyCredential.");
  if (!lua_toboolean(L, 2) || (lua_type(L, 2) == LUA_TSTRING && azl_rawlen(L, 2) == 0))
    return raise_kind(L, AZC_ERR_VALUE, "name can not be None or empty");
  if (lua_type(L, 2) != LUA_TSTRING)
    return raise_kind(L, AZC_ERR_ARG, "name must be a string.");
  name = lua_tolstring(L, 2, &nl);
  if (strlen(name) != nl)
    return raise_kind(L, AZC_ERR_VALUE, "name must not contain NUL bytes");
  if (!lua_isnil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    azl_opt_string(L, 3, "prefix", &prefix); /* kept alive by the options table */
  }
  p = azc_key_policy_new(c, name, prefix, &e);
  if (!p) {
    if (e.code == AZC_ERR_NOMEM)
      return luaL_error(L, "out of memory");
    return raise_kind(L, e.code, e.message);
  }
  azl_policy_push(L, p, KEY_POLICY_MT);
  lua_pushvalue(L, 1);
  azl_uservalue_set(L, -2, "credential");
  return 1;
}

/* AzureSasCredentialPolicy_new(credential) */
static int l_sas_policy_new(lua_State *L) {
  azc_key_credential *c;
  azc_policy *p;
  azc_error e;
  lua_settop(L, 1);
  if (!lua_toboolean(L, 1))
    return raise_kind(L, AZC_ERR_VALUE, "credential can not be None");
  c = cred_test(L, 1, SAS_CRED_MT);
  if (!c)
    return raise_kind(L, AZC_ERR_ARG, "credential must be an AzureSasCredential");
  p = azc_sas_policy_new(c, &e);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, SAS_POLICY_MT);
  lua_pushvalue(L, 1);
  azl_uservalue_set(L, -2, "credential");
  return 1;
}

static int g_credential(lua_State *L) {
  box_policy(L);
  azl_uservalue_field(L, 1, "credential");
  return 1;
}

static int g_key_name(lua_State *L) {
  lua_pushstring(L, azc_key_policy_name(box_policy(L)));
  return 1;
}

static int g_key_prefix(lua_State *L) {
  const char *s = azc_key_policy_prefix(box_policy(L));
  if (!s || !*s)
    return 0;
  lua_pushstring(L, s);
  return 1;
}

/* ---- BearerTokenCredentialPolicy --------------------------------------------------------- */

static int has_function(lua_State *L, int idx, const char *field) {
  int t;
  lua_getfield(L, idx, field);
  t = lua_type(L, -1);
  lua_pop(L, 1);
  return t == LUA_TFUNCTION;
}

/* BearerTokenCredentialPolicy_new(credential, scopes, {enable_cae = b, on_challenge = fn}) */
static int l_bearer_new(lua_State *L) {
  azc_bearer_config cfg;
  const char **scopes;
  size_t n = 0, i;
  azc_policy *p;
  azc_error e;
  int t;
  lua_settop(L, 3);
  t = lua_type(L, 1);
  if ((t != LUA_TTABLE && t != LUA_TUSERDATA) ||
      !(has_function(L, 1, "get_token") || has_function(L, 1, "get_token_info")))
    return raise_kind(L, AZC_ERR_ARG,
                      "BearerTokenCredentialPolicy: the credential must have "
                      "get_token or get_token_info");
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 1);
    lua_replace(L, 2);
  } else if (lua_isnil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  } else if (!lua_istable(L, 2)) {
    return luaL_error(L,
                      "BearerTokenCredentialPolicy: scopes must be a string or a list of "
                      "strings, got %s",
                      luaL_typename(L, 2));
  }
  if (!lua_isnil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  n = azl_rawlen(L, 2);
  /* scratch array, collected with the stack; the strings stay referenced by the list */
  scopes = lua_newuserdata(L, (n ? n : 1) * sizeof *scopes); /* index 4 */
  for (i = 0; i < n; i++) {
    size_t len;
    lua_rawgeti(L, 2, (int)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "BearerTokenCredentialPolicy: scopes must be strings");
    scopes[i] = lua_tolstring(L, -1, &len);
    if (strlen(scopes[i]) != len)
      return luaL_error(L, "BearerTokenCredentialPolicy: scopes must not contain NUL bytes");
    lua_pop(L, 1);
  }
  azc_bearer_config_init(&cfg);
  cfg.scopes = scopes;
  cfg.n_scopes = n;
  azl_opt_bool(L, 3, "enable_cae", &cfg.enable_cae);
  if (!lua_isnil(L, 3)) {
    lua_getfield(L, 3, "on_challenge"); /* index 5 */
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      return luaL_error(L, "option 'on_challenge' must be a function, got %s",
                        luaL_typename(L, -1));
    cfg.host_challenge = lua_isfunction(L, -1);
  } else {
    lua_pushnil(L);
  }
  p = azc_bearer_policy_new(&cfg, &e);
  if (!p)
    return luaL_error(L, "out of memory");
  azl_policy_push(L, p, BEARER_MT);
  lua_pushvalue(L, 1);
  azl_uservalue_set(L, -2, "credential");
  if (cfg.host_challenge) {
    lua_pushvalue(L, 5);
    azl_uservalue_set(L, -2, "on_challenge");
  }
  return 1;
}

static int g_scopes(lua_State *L) {
  size_t n, i;
  const char *const *s = azc_bearer_policy_scopes(box_policy(L), &n);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, s[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int g_enable_cae(lua_State *L) {
  lua_pushboolean(L, azc_bearer_policy_enable_cae(box_policy(L)));
  return 1;
}

/* policy._token: {token=, expires_on=, refresh_on=, token_type=} or nil (azure-core's _token) */
static int g_token(lua_State *L) {
  azc_token t;
  if (!azc_bearer_policy_token(box_policy(L), &t))
    return 0;
  lua_createtable(L, 0, 4);
  lua_pushstring(L, t.token);
  lua_setfield(L, -2, "token");
  lua_pushnumber(L, t.expires_on);
  lua_setfield(L, -2, "expires_on");
  if (t.refresh_on > 0) {
    lua_pushnumber(L, t.refresh_on);
    lua_setfield(L, -2, "refresh_on");
  }
  lua_pushstring(L, t.token_type);
  lua_setfield(L, -2, "token_type");
  return 1;
}

/* policy.on_challenge: the function given to the constructor, else the default (Lua) method */
static int g_on_challenge(lua_State *L) {
  box_policy(L);
  if (azl_uservalue_field(L, 1, "on_challenge") == LUA_TFUNCTION)
    return 1;
  lua_pop(L, 1);
  lua_pushliteral(L, "_default_on_challenge");
  azl_methods_lookup(L, BEARER_MT, -1);
  return 1;
}

static int g_host_challenge(lua_State *L) {
  lua_pushboolean(L, azc_bearer_policy_host_challenge(box_policy(L)));
  return 1;
}

/* policy:_set_token(token, expires_on, refresh_on|nil, token_type|nil); nil token clears */
static int m_set_token(lua_State *L) {
  azc_policy *p = azl_policy_check(L, 1, &azc_bearer_policy_vt);
  azc_code rc;
  if (lua_isnoneornil(L, 2)) {
    rc = azc_bearer_policy_set_token(p, NULL, 0, 0, 0, NULL);
  } else {
    size_t n;
    const char *tok = luaL_checklstring(L, 2, &n);
    double exp = (double)luaL_checknumber(L, 3);
    double ref = (double)luaL_optnumber(L, 4, 0);
    const char *type = luaL_optstring(L, 5, NULL);
    rc = azc_bearer_policy_set_token(p, tok, n, exp, ref, type);
  }
  if (rc != AZC_OK)
    return luaL_error(L, "out of memory");
  return 0;
}

/* policy:_needs_token([now]) -> bool: azure-core's refresh rule for the cached token */
static int m_needs_token(lua_State *L) {
  azc_policy *p = azl_policy_check(L, 1, &azc_bearer_policy_vt);
  double now = lua_isnoneornil(L, 2) ? azc_unix_now() : (double)luaL_checknumber(L, 2);
  lua_pushboolean(L, azc_bearer_policy_needs_token(p, now));
  return 1;
}

/* BearerTokenCredentialPolicy.claims_challenge(www_authenticate) -> claims | nil: the decoded
 * claims of an insufficient_claims challenge (the parser the native default handler uses) */
static int l_claims_challenge(lua_State *L) {
  size_t n;
  const char *h = luaL_checklstring(L, lua_gettop(L) >= 2 ? 2 : 1, &n);
  azc_buf b = {0};
  int r = azc_bearer_claims_challenge(h, n, &b);
  if (r < 0) {
    azc_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  if (r == 0) {
    azc_buf_free(&b);
    return 0;
  }
  lua_pushlstring(L, b.data, b.len);
  azc_buf_free(&b);
  return 1;
}

void azl_policy_auth_open(lua_State *L) {
  static const luaL_Reg key_get[] = {
      {"credential", g_credential}, {"name", g_key_name}, {"prefix", g_key_prefix}, {NULL, NULL}};
  static const luaL_Reg sas_get[] = {{"credential", g_credential}, {NULL, NULL}};
  static const luaL_Reg bearer_get[] = {{"credential", g_credential},
                                        {"scopes", g_scopes},
                                        {"enable_cae", g_enable_cae},
                                        {"_token", g_token},
                                        {"on_challenge", g_on_challenge},
                                        {"_host_challenge", g_host_challenge},
                                        {NULL, NULL}};
  static const luaL_Reg bearer_m[] = {{"_set_token", m_set_token},
                                      {"_needs_token", m_needs_token},
                                      {"_claims_challenge", l_claims_challenge},
                                      {NULL, NULL}};
  static const luaL_Reg fns[] = {{"key_credential_new", l_cred_new},
                                 {"AzureKeyCredentialPolicy_new", l_key_policy_new},
                                 {"AzureSasCredentialPolicy_new", l_sas_policy_new},
                                 {"BearerTokenCredentialPolicy_new", l_bearer_new},
                                 {"bearer_claims_challenge", l_claims_challenge},
                                 {NULL, NULL}};
  size_t i;
  for (i = 0; i < sizeof CRED_MTS / sizeof CRED_MTS[0]; i++)
    cred_class(L, CRED_MTS[i]);
  azl_policy_class(L, KEY_POLICY_MT, key_get, NULL);
  azl_policy_class(L, SAS_POLICY_MT, sas_get, NULL);
  azl_policy_class(L, BEARER_MT, bearer_get, bearer_m);
  azl_setfuncs(L, fns, 0);
}
