/* azc_crypto: SHA-256 (FIPS 180-4 examples), HMAC-SHA256 (RFC 4231), Base64 (RFC 4648 §10). */
#include <string.h>

#include "azc_crypto.h"
#include "azc_retry_after.h"
#include "ctest.h"

static const char *hex(const unsigned char *d, size_t n) {
  static char out[2 * 64 + 1];
  size_t i;
  for (i = 0; i < n && i < 64; i++)
    sprintf(out + 2 * i, "%02x", d[i]);
  out[2 * i] = '\0';
  return out;
}

static void test_sha256(void) {
  unsigned char md[AZC_SHA256_LEN];
  CHECK_INT(azc_crypto_sha256("", 0, md), AZC_OK);
  CHECK_STR(hex(md, 32), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_INT(azc_crypto_sha256(NULL, 0, md), AZC_OK);
  CHECK_STR(hex(md, 32), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_INT(azc_crypto_sha256("abc", 3, md), AZC_OK);
  CHECK_STR(hex(md, 32), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_INT(azc_crypto_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, md),
            AZC_OK);
  CHECK_STR(hex(md, 32), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_hmac(void) {
  unsigned char mac[AZC_SHA256_LEN], key[131];
  /* RFC 4231 test case 1 */
  memset(key, 0x0b, 20);
  CHECK_INT(azc_crypto_hmac_sha256(key, 20, "Hi There", 8, mac), AZC_OK);
  CHECK_STR(hex(mac, 32), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  /* test case 2 */
  CHECK_INT(azc_crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), AZC_OK);
  CHECK_STR(hex(mac, 32), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  /* test case 6: a key longer than the block size */
  memset(key, 0xaa, 131);
  CHECK_INT(azc_crypto_hmac_sha256(
                key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac),
            AZC_OK);
  CHECK_STR(hex(mac, 32), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  /* empty key and data */
  CHECK_INT(azc_crypto_hmac_sha256(NULL, 0, NULL, 0, mac), AZC_OK);
  CHECK_STR(hex(mac, 32), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static const char *enc(const char *s, size_t n, int url) {
  static char out[128];
  azc_buf b = {0};
  CHECK_INT(azc_base64_encode(s, n, url, &b), AZC_OK);
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

/* decoded text, or "ERR" */
static const char *dec(const char *s, int url) {
  static char out[128];
  azc_buf b = {0};
  azc_error e;
  if (azc_base64_decode(s, strlen(s), url, &b, &e) != AZC_OK) {
    CHECK_INT(e.code, AZC_ERR_VALUE);
    azc_buf_free(&b);
    return "ERR";
  }
  snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static void test_base64(void) {
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  size_t i;
  for (i = 0; i < 7; i++) {
    CHECK_STR(enc(plain[i], strlen(plain[i]), 0), std[i]);
    CHECK_STR(enc(plain[i], strlen(plain[i]), 1), url[i]);
    CHECK_STR(dec(std[i], 0), plain[i]);
    CHECK_STR(dec(url[i], 1), plain[i]);
    CHECK_STR(dec(std[i], 1), plain[i]); /* padding is optional for base64url */
  }
  CHECK_STR(enc("\xfb\xff\xbf", 3, 0), "+/+/");
  CHECK_STR(enc("\xfb\xff\xbf", 3, 1), "-_-_");
  CHECK_STR(dec("-_-_", 0), "ERR");
  CHECK_STR(dec("+/+/", 1), "ERR");
  CHECK_STR(dec("Zm8", 0), "ERR");   /* standard: padding required */
  CHECK_STR(dec("Zm9vY", 1), "ERR"); /* a lone trailing character */
  CHECK_STR(dec("Zg=", 1), "ERR");   /* padding that does not complete the quantum */
  CHECK_STR(dec("Zg===", 0), "ERR");
  CHECK_STR(dec("Z===", 0), "ERR");
  CHECK_STR(dec("Zm 9v", 0), "ERR"); /* whitespace */
  CHECK_STR(dec("Zm=v", 0), "ERR");  /* padding inside */
  CHECK_STR(dec("Zh==", 0), "f");    /* unused bits are ignored, as Python does */
}

static void test_equal_and_date(void) {
  char d[AZC_HTTP_DATE_LEN + 1];
  CHECK(azc_crypto_equal("abc", 3, "abc", 3));
  CHECK(!azc_crypto_equal("abc", 3, "abd", 3));
  CHECK(!azc_crypto_equal("abc", 3, "ab", 2));
  CHECK(azc_crypto_equal(NULL, 0, NULL, 0));
  /* the RFC 1123 formatter signing policies use */
  CHECK_INT(azc_http_date_format(784111777, d), AZC_HTTP_DATE_LEN);
  CHECK_STR(d, "Sun, 06 Nov 1994 08:49:37 GMT");
}

int main(void) {
  CTEST_RUN(test_sha256);
  CTEST_RUN(test_hmac);
  CTEST_RUN(test_base64);
  CTEST_RUN(test_equal_and_date);
  CTEST_END();
}
