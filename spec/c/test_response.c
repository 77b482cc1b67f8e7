/* Unit tests for azc_response: complete, fed and decoded bodies, read-once rules. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "azc_response.h"
#include "ctest.h"

static void test_content(void) {
  azc_response *r = azc_response_new(200, "OK", NULL);
  azc_read_state st;
  size_t n;
  CHECK_INT(azc_response_status(r), 200);
  CHECK_STR(azc_response_reason(r), "OK");
  CHECK(azc_response_content(r, &n) == NULL);
  CHECK_INT(azc_response_set_body(r, "hello", 5), AZC_OK);
  CHECK_INT(azc_response_read(r, &st, NULL), AZC_OK);
  CHECK_STR(azc_response_content(r, &n), "hello");
  CHECK(azc_response_is_read(r));
  azc_response_close(r);
  azc_response_close(r);
  CHECK(azc_response_is_closed(r));
  CHECK_STR(azc_response_content(r, &n), "hello"); /* read content survives close */
  azc_response_unref(r);
}

/* Reason and head live inside the response until they outgrow it; the header map is made
 * only when the headers are read. */
static void test_inline_reason_and_head(void) {
  azc_response *r = azc_response_new(200, NULL, NULL);
  char line[200];
  size_t n, i;
  CHECK_STR(azc_response_reason(r), "");
  CHECK(azc_response_header(r, "Server", 6, &n) == NULL);
  CHECK_INT(azc_response_set_reason(r, "A reason phrase well beyond thirty-two bytes", 44),
            AZC_OK);
  CHECK_STR(azc_response_reason(r), "A reason phrase well beyond thirty-two bytes");
  CHECK_INT(azc_response_set_reason(r, azc_response_reason(r) + 2, 6), AZC_OK); /* from itself */
  CHECK_STR(azc_response_reason(r), "reason");
  CHECK_INT(azc_response_set_reason(r, azc_response_reason(r) + 1, 3), AZC_OK); /* overlapping */
  CHECK_STR(azc_response_reason(r), "eas");
  /* 12 lines of ~100 bytes: the head moves from the response to its own block on the way */
  for (i = 0; i < 12; i++) {
    int len = snprintf(line, sizeof line, "X-Header-%02u: %090u", (unsigned)i, (unsigned)i);
    CHECK_INT(azc_response_add_header_line(r, line, (size_t)len), AZC_OK);
  }
  CHECK_INT(azc_response_add_header_line(r, "Content-Type: text/plain", 24), AZC_OK);
  CHECK(memcmp(azc_response_header_peek(r, "content-type", 12, &n), "text/plain", 10) == 0);
  CHECK_INT(n, 10);
  CHECK_INT(azc_headers_count(azc_response_headers(r)), 13);
  CHECK_STR(azc_response_header(r, "x-header-11", 11, &n),
            "000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            "000000011");
  azc_response_unref(r);
  /* no head lines at all: reading the headers gives an empty map */
  r = azc_response_new(204, "No Content", NULL);
  CHECK(azc_response_headers(r) != NULL);
  CHECK_INT(azc_headers_count(azc_response_headers(r)), 0);
  azc_response_unref(r);
}

/* A complete body handed over by buffer swap: the response owns the bytes, the buffer is left
 * empty and reusable. */
static void test_adopt_body(void) {
  azc_response *r = azc_response_new(200, "OK", NULL);
  azc_buf b = {0};
  azc_read_state st;
  size_t n;
  CHECK_INT(azc_buf_append(&b, "hello", 5), AZC_OK);
  azc_response_adopt_body(r, &b);
  CHECK_INT(b.len, 0);
  CHECK_INT(azc_buf_append(&b, "other", 5), AZC_OK); /* the caller's buffer stays usable */
  CHECK_INT(azc_response_read(r, &st, NULL), AZC_OK);
  CHECK_STR(azc_response_content(r, &n), "hello");
  CHECK_INT(n, 5);
  azc_buf_free(&b);
  azc_response_unref(r);
}

/* The one-block cache: a block comes back with the prefix asked for zeroed (the rest as it was
 * left), big enough, and is kept only once. */
static void test_block_cache(void) {
  azc__block_cache c = {0};
  size_t got = 0;
  unsigned char *a = azc__cache_take(&c, 100, 100, &got), *b;
  size_t i, zero = 1;
  CHECK(a != NULL);
  CHECK(got >= 100);
  for (i = 0; i < 100; i++)
    zero &= a[i] == 0;
  CHECK(zero);
  memset(a, 0xAB, got);
  azc__cache_give(&c, a, got);
  b = azc__cache_take(&c, 64, 40, &got); /* smaller fits in the kept block */
  CHECK(b != NULL);
  CHECK(got >= 64);
  for (i = 0; i < 40; i++)
    zero &= b[i] == 0;
  CHECK(zero);
  if (b == a) /* not under ASan, whose builds keep no block */
    CHECK(b[40] == 0xAB); /* past the prefix: left alone */
  a = azc__cache_take(&c, 100, 0, &got); /* cache empty now: a fresh block */
  CHECK(a != NULL && a != b);
  azc__cache_give(&c, a, got);
  azc__cache_give(&c, b, 64); /* one slot: this one is freed */
  azc__cache_clear(&c);
  azc__cache_clear(&c);
  CHECK(c.block == NULL);
}

static void test_fed_stream(void) {
  azc_response *r = azc_response_new(200, NULL, NULL);
  azc_buf out = {0};
  azc_read_state st;
  azc_error err;
  azc_response_set_fed(r);
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_OK);
  CHECK_INT(st, AZC_READ_NEED_INPUT);
  azc_response_feed(r, "abcdef", 6, 0);
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_OK);
  CHECK_INT(st, AZC_READ_DATA);
  CHECK_INT(out.len, 4);
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_OK);
  CHECK_INT(out.len, 6);
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_OK);
  CHECK_INT(st, AZC_READ_NEED_INPUT);
  azc_response_feed(r, NULL, 0, 1);
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_OK);
  CHECK_INT(st, AZC_READ_EOF);
  CHECK(azc_response_is_stream_consumed(r));
  CHECK_INT(azc_response_next(r, 0, 4, &out, &st, &err), AZC_ERR_STREAM_CONSUMED);
  CHECK_INT(azc_response_read(r, &st, &err), AZC_ERR_STREAM_CONSUMED);
  azc_buf_free(&out);
  azc_response_unref(r);
}

static void test_gzip_decoded_and_raw(void) {
  const char *text = "hello hello hello hello hello";
  unsigned char gz[256];
  z_stream z;
  azc_response *r;
  azc_buf out = {0};
  azc_read_state st;
  size_t gzlen, n;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)text;
  z.avail_in = (uInt)strlen(text);
  z.next_out = gz;
  z.avail_out = sizeof gz;
  deflate(&z, Z_FINISH);
  gzlen = sizeof gz - z.avail_out;
  deflateEnd(&z);

  r = azc_response_new(200, "OK", NULL);
  azc_headers_set(azc_response_headers(r), "Content-Encoding", 16, "gzip", 4);
  azc_response_set_body(r, (const char *)gz, gzlen);
  CHECK_INT(azc_response_read(r, &st, NULL), AZC_OK);
  CHECK_STR(azc_response_content(r, &n), text);
  azc_response_unref(r);

  r = azc_response_new(200, "OK", NULL);
  azc_headers_set(azc_response_headers(r), "Content-Encoding", 16, "gzip", 4);
  azc_response_set_body(r, (const char *)gz, gzlen);
  while (azc_response_next(r, 1, 7, &out, &st, NULL) == AZC_OK && st == AZC_READ_DATA)
    ;
  CHECK_INT(out.len, gzlen);
  CHECK(memcmp(out.data, gz, gzlen) == 0);
  azc_buf_free(&out);
  azc_response_unref(r);
}

static void test_corrupt_gzip(void) {
  azc_response *r = azc_response_new(200, "OK", NULL);
  azc_read_state st;
  azc_error err;
  azc_headers_set(azc_response_headers(r), "Content-Encoding", 16, "gzip", 4);
  azc_response_set_body(r, "not gzip at all", 15);
  CHECK_INT(azc_response_read(r, &st, &err), AZC_ERR_DECODE);
  CHECK_INT(err.code, AZC_ERR_DECODE);
  azc_response_unref(r);
}

static void test_closed_stream(void) {
  azc_response *r = azc_response_new(200, "OK", NULL);
  azc_buf out = {0};
  azc_read_state st;
  azc_response_set_fed(r);
  azc_response_close(r);
  CHECK_INT(azc_response_next(r, 0, 10, &out, &st, NULL), AZC_ERR_STREAM_CLOSED);
  CHECK_INT(azc_response_read(r, &st, NULL), AZC_ERR_STREAM_CLOSED);
  azc_response_unref(r);
}

int main(void) {
  CTEST_RUN(test_content);
  CTEST_RUN(test_inline_reason_and_head);
  CTEST_RUN(test_adopt_body);
  CTEST_RUN(test_block_cache);
  CTEST_RUN(test_fed_stream);
  CTEST_RUN(test_gzip_decoded_and_raw);
  CTEST_RUN(test_corrupt_gzip);
  CTEST_RUN(test_closed_stream);
  CTEST_END();
}
