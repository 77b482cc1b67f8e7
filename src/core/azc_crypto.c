/*
 * azc_crypto.c - SHA-256 and HMAC-SHA256 through libcrypto's one-shot calls (not deprecated in
 * OpenSSL 3), Base64 written here: both alphabets, strict decoding, no locale, no allocation beyond
 * the output buffer.
 */
#include "azc_crypto.h"

#include <limits.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* libcrypto wants a valid pointer even for empty input */
static const unsigned char empty_bytes[1] = {0};

azc_code azc_crypto_sha256(const void *data, size_t len, unsigned char out[AZC_SHA256_LEN]) {
  unsigned int n = 0;
  if (!EVP_Digest(len ? data : empty_bytes, len, out, &n, EVP_sha256(), NULL) ||
      n != AZC_SHA256_LEN)
    return AZC_ERR_NOMEM;
  return AZC_OK;
}

azc_code azc_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                                unsigned char out[AZC_SHA256_LEN]) {
  unsigned int n = 0;
  if (key_len > (size_t)INT_MAX)
    return AZC_ERR_VALUE;
  if (!HMAC(EVP_sha256(), key_len ? key : empty_bytes, (int)key_len,
            len ? (const unsigned char *)data : empty_bytes, len, out, &n) ||
      n != AZC_SHA256_LEN)
    return AZC_ERR_NOMEM;
  return AZC_OK;
}

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

azc_code azc_base64_encode(const void *data, size_t len, int url, azc_buf *ref_out) {
  const unsigned char *p = data;
  const char *abc = url ? url_alphabet : std_alphabet;
  size_t i, groups = (len + 2) / 3;
  char *o;
  if (groups > (SIZE_MAX - 1) / 4 || azc_buf_reserve(ref_out, groups * 4) != AZC_OK)
    return AZC_ERR_NOMEM;
  o = ref_out->data + ref_out->len;
  for (i = 0; i + 3 <= len; i += 3) {
    unsigned long v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8) | p[i + 2];
    *o++ = abc[(v >> 18) & 63];
    *o++ = abc[(v >> 12) & 63];
    *o++ = abc[(v >> 6) & 63];
    *o++ = abc[v & 63];
  }
  if (len - i == 1) {
    unsigned long v = (unsigned long)p[i] << 16;
    *o++ = abc[(v >> 18) & 63];
    *o++ = abc[(v >> 12) & 63];
    if (!url) {
      *o++ = '=';
      *o++ = '=';
    }
  } else if (len - i == 2) {
    unsigned long v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8);
    *o++ = abc[(v >> 18) & 63];
    *o++ = abc[(v >> 12) & 63];
    *o++ = abc[(v >> 6) & 63];
    if (!url)
      *o++ = '=';
  }
  ref_out->len = (size_t)(o - ref_out->data);
  ref_out->data[ref_out->len] = '\0';
  return AZC_OK;
}

/* Value of a Base64 character in the chosen alphabet, or -1. */
static int b64_value(unsigned char c, int url) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == (url ? '-' : '+'))
    return 62;
  if (c == (url ? '_' : '/'))
    return 63;
  return -1;
}

azc_code azc_base64_decode(const char *text, size_t len, int url, azc_buf *ref_out,
                           azc_error *out_err) {
  const unsigned char *s = (const unsigned char *)text;
  size_t n = len, pad = 0, i, tail;
  unsigned long v = 0;
  char *o;
  /* padding: only at the end, at most two, and (when present) completing a quantum */
  while (n > 0 && s[n - 1] == '=' && pad < 3) {
    n--;
    pad++;
  }
  if (pad > 2)
    return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: too much padding");
  if (pad > 0 && (n + pad) % 4 != 0)
    return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: incorrect padding");
  if (!url && pad == 0 && n % 4 != 0)
    return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: incorrect padding");
  tail = n % 4;
  if (tail == 1)
    return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: truncated input");
  if (pad > 0 && 4 - tail != pad)
    return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: incorrect padding");
  for (i = 0; i < n; i++)
    if (b64_value(s[i], url) < 0)
      return azc_error_set(out_err, AZC_ERR_VALUE, "invalid base64: unexpected character at %zu",
                           i);
  if (azc_buf_reserve(ref_out, n / 4 * 3 + 2) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  o = ref_out->data + ref_out->len;
  for (i = 0; i + 4 <= n; i += 4) {
    v = ((unsigned long)b64_value(s[i], url) << 18) |
        ((unsigned long)b64_value(s[i + 1], url) << 12) |
        ((unsigned long)b64_value(s[i + 2], url) << 6) | (unsigned long)b64_value(s[i + 3], url);
    *o++ = (char)((v >> 16) & 255);
    *o++ = (char)((v >> 8) & 255);
    *o++ = (char)(v & 255);
  }
  if (tail >= 2) {
    v = ((unsigned long)b64_value(s[i], url) << 18) |
        ((unsigned long)b64_value(s[i + 1], url) << 12);
    if (tail == 3)
      v |= (unsigned long)b64_value(s[i + 2], url) << 6;
    *o++ = (char)((v >> 16) & 255);
    if (tail == 3)
      *o++ = (char)((v >> 8) & 255);
  }
  ref_out->len = (size_t)(o - ref_out->data);
  ref_out->data[ref_out->len] = '\0';
  return AZC_OK;
}

int azc_crypto_equal(const void *a, size_t alen, const void *b, size_t blen) {
  const unsigned char *x = a, *y = b;
  unsigned char diff = 0;
  size_t i;
  if (alen != blen)
    return 0;
  for (i = 0; i < alen; i++)
    diff |= (unsigned char)(x[i] ^ y[i]);
  return diff == 0;
}
