/*
 * azl_crypto.c - native.crypto: the signing primitives of src/core/azc_crypto.h and the HTTP-date
 * formatter of azc_retry_after.h, for policies written in Lua (lua/azure/core/crypto.lua is the
 * public facade). Arguments are byte strings; numbers are refused rather than converted, since a
 * key or a MAC input silently turned from 1 into "1" would sign the wrong bytes.
 */
#include <string.h>

#include "azc_crypto.h"
#include "azc_retry_after.h"
#include "azl.h"

static const char *check_bytes(lua_State *L, int idx, size_t *len) {
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "bad argument #%d (string expected, got %s)", idx, luaL_typename(L, idx));
  return lua_tolstring(L, idx, len);
}

static int push_digest(lua_State *L, azc_code rc, const unsigned char *d) {
  if (rc == AZC_ERR_VALUE)
    return luaL_error(L, "input too large");
  if (rc != AZC_OK)
    return luaL_error(L, "libcrypto failure");
  lua_pushlstring(L, (const char *)d, AZC_SHA256_LEN);
  return 1;
}

/* crypto.hmac_sha256(key, data) -> 32 raw bytes */
static int l_hmac_sha256(lua_State *L) {
  size_t kl, dl;
  const char *k = check_bytes(L, 1, &kl), *d = check_bytes(L, 2, &dl);
  unsigned char mac[AZC_SHA256_LEN];
  return push_digest(L, azc_crypto_hmac_sha256(k, kl, d, dl, mac), mac);
}

/* crypto.sha256(data) -> 32 raw bytes */
static int l_sha256(lua_State *L) {
  size_t dl;
  const char *d = check_bytes(L, 1, &dl);
  unsigned char md[AZC_SHA256_LEN];
  return push_digest(L, azc_crypto_sha256(d, dl, md), md);
}

static int encode(lua_State *L, int url) {
  size_t n;
  const char *s = check_bytes(L, 1, &n);
  azc_buf b = {0};
  if (azc_base64_encode(s, n, url, &b) != AZC_OK) {
    azc_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, b.data ? b.data : "", b.len);
  azc_buf_free(&b);
  return 1;
}

/* -> bytes | nil, err (a ValueError-kind error object for text that is not Base64) */
static int decode(lua_State *L, int url) {
  size_t n;
  const char *s = check_bytes(L, 1, &n);
  azc_buf b = {0};
  azc_error e;
  azc_code rc = azc_base64_decode(s, n, url, &b, &e);
  if (rc != AZC_OK) {
    azc_buf_free(&b);
    if (rc == AZC_ERR_NOMEM)
      return luaL_error(L, "out of memory");
    return azl_push_error(L, &e);
  }
  lua_pushlstring(L, b.data ? b.data : "", b.len);
  azc_buf_free(&b);
  return 1;
}

static int l_b64_encode(lua_State *L) { return encode(L, 0); }
static int l_b64_decode(lua_State *L) { return decode(L, 0); }
static int l_b64url_encode(lua_State *L) { return encode(L, 1); }
static int l_b64url_decode(lua_State *L) { return decode(L, 1); }

/* crypto.http_date([unix_seconds]) -> "Sun, 06 Nov 1994 08:49:37 GMT" (now when omitted) */
static int l_http_date(lua_State *L) {
  char out[AZC_HTTP_DATE_LEN + 1];
  double t = lua_isnoneornil(L, 1) ? azc_unix_now() : (double)luaL_checknumber(L, 1);
  if (azc_http_date_format(t, out) == 0)
    return luaL_error(L, "bad argument #1 to 'http_date' (time outside the years 0000-9999)");
  lua_pushstring(L, out);
  return 1;
}

/* crypto.equal(a, b) -> bool, in time independent of where the strings differ */
static int l_equal(lua_State *L) {
  size_t al, bl;
  const char *a = check_bytes(L, 1, &al), *b = check_bytes(L, 2, &bl);
  lua_pushboolean(L, azc_crypto_equal(a, al, b, bl));
  return 1;
}

void azl_crypto_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"hmac_sha256", l_hmac_sha256},
                                 {"sha256", l_sha256},
                                 {"base64_encode", l_b64_encode},
                                 {"base64_decode", l_b64_decode},
                                 {"base64url_encode", l_b64url_encode},
                                 {"base64url_decode", l_b64url_decode},
                                 {"http_date", l_http_date},
                                 {"equal", l_equal},
                                 {NULL, NULL}};
  azl_newlib(L, fns);
  lua_setfield(L, -2, "crypto");
}
