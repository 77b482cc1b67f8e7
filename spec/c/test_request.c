/* Unit tests for azc_request: methods, URL, bodies and rewind. */
#include <stdio.h>
#include <string.h>

#include "azc_request.h"
#include "ctest.h"

static void test_basics(void) {
  azc_request *r = azc_request_new("get", "https://x/y");
  CHECK(r != NULL);
  CHECK_STR(azc_request_method(r), "get");
  CHECK_STR(azc_request_url(r), "https://x/y");
  CHECK_INT(azc_request_set_url(r, "https://z/?a=1", 14), AZC_OK);
  CHECK_STR(azc_request_url(r), "https://z/?a=1");
  CHECK_INT(azc_request_set_method(r, "POST"), AZC_OK);
  CHECK_STR(azc_request_method(r), "POST");
  CHECK_INT(azc_request_body_kind(r), AZC_BODY_NONE);
  CHECK_INT(azc_request_body_length(r), 0);
  CHECK(azc_request_can_rewind(r));
  CHECK(azc_request_new(NULL, "x") == NULL);
  azc_request_unref(r);
}

/* The method and URL a request is made with live inside it; longer replacements get their own
 * blocks, and a value may be set from a pointer into the current one. */
static void test_inline_strings(void) {
  static const char long_url[] = "https://an-account.blob.core.windows.net/a-container/a/much/"
                                 "longer/path/than/the/first?comp=list&restype=container";
  azc_request *r = azc_request_new("GET", "https://x/abc");
  CHECK_INT(azc_request_set_url(r, azc_request_url(r) + 1, 12), AZC_OK); /* overlapping */
  CHECK_STR(azc_request_url(r), "ttps://x/abc");
  CHECK_INT(azc_request_set_url(r, long_url, strlen(long_url)), AZC_OK);
  CHECK_STR(azc_request_url(r), long_url);
  CHECK_INT(azc_request_set_url(r, azc_request_url(r), 8), AZC_OK); /* from the block, fits */
  CHECK_STR(azc_request_url(r), "https://");
  CHECK_INT(azc_request_set_method(r, "VERY-LONG-EXTENSION-METHOD"), AZC_OK);
  CHECK_STR(azc_request_method(r), "VERY-LONG-EXTENSION-METHOD");
  CHECK_INT(azc_request_set_method(r, azc_request_method(r) + 20), AZC_OK);
  CHECK_STR(azc_request_method(r), "METHOD");
  azc_request_unref(r);
  r = azc_request_new("A-METHOD-LONGER-THAN-SIXTEEN", "");
  CHECK(r != NULL);
  CHECK_STR(azc_request_method(r), "A-METHOD-LONGER-THAN-SIXTEEN");
  CHECK_STR(azc_request_url(r), "");
  CHECK_INT(azc_request_set_url(r, "http://a/", 9), AZC_OK);
  CHECK_STR(azc_request_url(r), "http://a/");
  azc_request_unref(r);
}

/* azc__zalloc hands out zeroed blocks even when malloc recycles a dirty one (glibc's per-thread
 * cache returns the block just freed), and a block for size 0. */
static void test_zeroed_blocks(void) {
  unsigned char *dirty = malloc(200), *z;
  size_t i, nonzero = 0;
  azc_request *r;
  CHECK(dirty != NULL);
  memset(dirty, 0xAB, 200);
  free(dirty);
  z = azc__zalloc(200);
  CHECK(z != NULL);
  for (i = 0; i < 200; i++)
    nonzero += z[i] != 0;
  CHECK_INT(nonzero, 0);
  free(z);
  z = azc__zalloc(0);
  CHECK(z != NULL);
  free(z);
  /* a request made from a recycled block starts with no body and no length */
  r = azc_request_new("GET", "http://a/");
  azc_request_unref(r);
  r = azc_request_new("GET", "http://a/");
  CHECK_INT(azc_request_body_kind(r), AZC_BODY_NONE);
  azc_request_unref(r);
}

static void test_json_and_text(void) {
  azc_request *r = azc_request_new("POST", "http://a/");
  size_t n;
  CHECK_INT(azc_request_set_body_json(r, "{\"a\":1}", 7), AZC_OK);
  CHECK_STR(azc_headers_get(azc_request_headers(r), "content-type", 12, NULL), "application/json");
  CHECK_STR(azc_headers_get(azc_request_headers(r), "content-length", 14, NULL), "7");
  CHECK_STR(azc_request_body_bytes(r, &n), "{\"a\":1}");
  CHECK_INT(n, 7);
  azc_request_unref(r);
  r = azc_request_new("POST", "http://a/");
  CHECK_INT(azc_request_set_body_text(r, "", 0), AZC_OK);
  CHECK(azc_headers_get(azc_request_headers(r), "content-length", 14, NULL) == NULL);
  CHECK_STR(azc_headers_get(azc_request_headers(r), "content-type", 12, NULL), "text/plain");
  azc_request_unref(r);
}

static void test_form(void) {
  azc_request *r = azc_request_new("POST", "http://a/");
  azc_form_field f[3];
  memset(f, 0, sizeof f);
  f[0].name = "a b";
  f[0].name_len = 3;
  f[0].value = "x&y=z";
  f[0].value_len = 5;
  f[1].name = "dropped";
  f[1].name_len = 7;
  f[1].value = NULL;
  f[2].name = "c";
  f[2].name_len = 1;
  f[2].value = "\xc3\xa9";
  f[2].value_len = 2;
  CHECK_INT(azc_request_set_body_form(r, f, 3), AZC_OK);
  CHECK_STR(azc_request_body_bytes(r, NULL), "a+b=x%26y%3Dz&c=%C3%A9");
  CHECK_STR(azc_headers_get(azc_request_headers(r), "Content-Type", 12, NULL),
            "application/x-www-form-urlencoded");
  azc_request_unref(r);
}

static void test_multipart(void) {
  azc_request *r = azc_request_new("POST", "http://a/");
  azc_form_field f[2];
  memset(f, 0, sizeof f);
  f[0].name = "field";
  f[0].name_len = 5;
  f[0].value = "v";
  f[0].value_len = 1;
  f[1].name = "file";
  f[1].name_len = 4;
  f[1].value = "data";
  f[1].value_len = 4;
  f[1].filename = "a\"b.txt";
  CHECK_INT(azc_request_set_body_multipart(r, f, 2, "XX"), AZC_OK);
  CHECK_STR(azc_request_body_bytes(r, NULL),
            "--XX\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nv\r\n"
            "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\\\"b.txt\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\ndata\r\n--XX--\r\n");
  CHECK_STR(azc_headers_get(azc_request_headers(r), "Content-Type", 12, NULL),
            "multipart/form-data; boundary=XX");
  CHECK_INT(azc_request_set_body_multipart(r, f, 2, "bad\r\nboundary"), AZC_ERR_VALUE);
  azc_request_unref(r);
}

static void test_file_body_rewinds(void) {
  azc_request *r = azc_request_new("PUT", "http://a/");
  FILE *f = tmpfile();
  char buf[16];
  size_t n;
  fputs("0123456789", f);
  fseek(f, 2, SEEK_SET);
  CHECK_INT(azc_request_set_body_file(r, f, 1), AZC_OK);
  CHECK_INT(azc_request_body_length(r), 8);
  CHECK(azc_request_can_rewind(r));
  CHECK_INT(azc_request_read_body(r, buf, sizeof buf, &n), AZC_OK);
  CHECK_INT(n, 8);
  CHECK(memcmp(buf, "23456789", 8) == 0);
  CHECK_INT(azc_request_rewind(r, NULL), AZC_OK);
  CHECK_INT(azc_request_read_body(r, buf, 3, &n), AZC_OK);
  CHECK(n == 3 && memcmp(buf, "234", 3) == 0);
  azc_request_unref(r); /* closes the owned file */
}

typedef struct {
  int pos, rewinds, freed;
} reader_state;

static azc_code read_digits(void *ud, char *buf, size_t cap, size_t *out_n) {
  reader_state *s = ud;
  *out_n = 0;
  if (s->pos < 5 && cap > 0) {
    buf[0] = (char)('0' + s->pos++);
    *out_n = 1;
  }
  return AZC_OK;
}

static azc_code rewind_digits(void *ud) {
  reader_state *s = ud;
  s->pos = 0;
  s->rewinds++;
  return AZC_OK;
}

static void free_digits(void *ud) { ((reader_state *)ud)->freed++; }

static void test_reader_and_copy(void) {
  reader_state s = {0, 0, 0};
  azc_request *r = azc_request_new("PUT", "http://a/"), *c;
  azc_error err;
  char buf[8];
  size_t n;
  CHECK_INT(azc_request_set_body_reader(r, read_digits, NULL, free_digits, &s, -1), AZC_OK);
  CHECK(!azc_request_can_rewind(r));
  CHECK_INT(azc_request_rewind(r, &err), AZC_ERR_VALUE);
  CHECK_INT(azc_request_body_length(r), -1);
  CHECK_INT(azc_request_set_body_reader(r, read_digits, rewind_digits, free_digits, &s, 5),
            AZC_OK);
  CHECK_INT(s.freed, 1); /* the replaced reader was released */
  CHECK(azc_request_can_rewind(r));
  CHECK_INT(azc_request_read_body(r, buf, 8, &n), AZC_OK);
  CHECK_INT(azc_request_rewind(r, NULL), AZC_OK);
  CHECK_INT(s.rewinds, 1);
  azc_headers_set(azc_request_headers(r), "X", 1, "1", 1);
  c = azc_request_copy(r); /* shares the stream */
  azc_headers_set(azc_request_headers(c), "X", 1, "2", 1);
  CHECK_STR(azc_headers_get(azc_request_headers(r), "X", 1, NULL), "1");
  azc_request_unref(r);
  CHECK_INT(s.freed, 1);
  azc_request_unref(c);
  CHECK_INT(s.freed, 2);
}

static void test_feed(void) {
  azc_request *r = azc_request_new("PUT", "http://a/");
  CHECK_INT(azc_request_set_body_feed(r, 10), AZC_OK);
  CHECK_INT(azc_request_body_kind(r), AZC_BODY_FEED);
  CHECK_INT(azc_request_body_length(r), 10);
  CHECK(!azc_request_can_rewind(r));
  azc_request_unref(r);
}

int main(void) {
  CTEST_RUN(test_basics);
  CTEST_RUN(test_inline_strings);
  CTEST_RUN(test_zeroed_blocks);
  CTEST_RUN(test_json_and_text);
  CTEST_RUN(test_form);
  CTEST_RUN(test_multipart);
  CTEST_RUN(test_file_body_rewinds);
  CTEST_RUN(test_reader_and_copy);
  CTEST_RUN(test_feed);
  CTEST_END();
}
