/*
 * test_decode.c - Content-Encoding decoders: round trips through zlib, brotli and zstd encoders,
 * 1-byte chunking, multi-coding chains, corrupt and truncated input, identity.
 * Links -lz -lbrotlidec -lbrotlienc -lzstd.
 */
#include "azc_decode.h"
#include "ctest.h"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#define TEXT_LEN 150000

static char text[TEXT_LEN];

/* Deterministic, compressible but not trivial text; bigger than several decode steps. */
static void make_text(void) {
  static const char *const words[] = {"azure",     "core ", "lua ",   "blob\n", "queue",
                                      "{\"a\":1}", "zstd ", "brotli", "gzip ",  "deflate "};
  unsigned long x = 12345;
  size_t i = 0;
  while (i < TEXT_LEN) {
    const char *w;
    x = x * 1103515245ul + 12345ul;
    w = words[(x >> 16) % 10];
    while (*w && i < TEXT_LEN)
      text[i++] = *w++;
    if (((x >> 8) & 7) == 0 && i < TEXT_LEN)
      text[i++] = (char)('A' + (x >> 20) % 26);
  }
}

/* zlib-family compression: window_bits 31 = gzip, 15 = zlib, -15 = raw deflate. */
static void zcompress(int window_bits, const char *data, size_t len, azc_buf *out) {
  z_stream z;
  unsigned char chunk[4096];
  int rc;
  memset(&z, 0, sizeof z);
  rc = deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  CHECK_INT(rc, Z_OK);
  z.next_in = (Bytef *)(uintptr_t)data;
  z.avail_in = (uInt)len;
  do {
    z.next_out = chunk;
    z.avail_out = sizeof chunk;
    rc = deflate(&z, Z_FINISH);
    azc_buf_append(out, chunk, sizeof chunk - z.avail_out);
  } while (rc == Z_OK);
  CHECK_INT(rc, Z_STREAM_END);
  deflateEnd(&z);
}

static void brcompress(const char *data, size_t len, azc_buf *out) {
  size_t n = BrotliEncoderMaxCompressedSize(len);
  int ok;
  azc_buf_reserve(out, n);
  ok = BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len,
                             (const uint8_t *)data, &n, (uint8_t *)out->data + out->len);
  CHECK(ok);
  out->len += n;
}

static void zstdcompress(const char *data, size_t len, azc_buf *out) {
  size_t n = ZSTD_compressBound(len), r;
  azc_buf_reserve(out, n);
  r = ZSTD_compress(out->data + out->len, n, data, len, 3);
  CHECK(!ZSTD_isError(r));
  out->len += r;
}

/* Apply one coding by name; used to build chains. */
static void encode(const char *coding, const char *data, size_t len, azc_buf *out) {
  if (strcmp(coding, "gzip") == 0)
    zcompress(31, data, len, out);
  else if (strcmp(coding, "deflate") == 0)
    zcompress(15, data, len, out);
  else if (strcmp(coding, "raw") == 0)
    zcompress(-15, data, len, out);
  else if (strcmp(coding, "br") == 0)
    brcompress(data, len, out);
  else if (strcmp(coding, "zstd") == 0)
    zstdcompress(data, len, out);
}

/*
 * Decode @p len bytes with Content-Encoding @p enc, writing @p chunk bytes at a time, then
 * finish. Returns the first failing code; the decoded bytes are in @p out.
 */
static azc_code decode_all(const char *enc, const char *data, size_t len, size_t chunk,
                           azc_buf *out, azc_error *err) {
  azc_decoder *dec = NULL;
  azc_code rc = azc_decoder_new(enc, &dec, err);
  size_t off = 0;
  if (rc != AZC_OK)
    return rc;
  while (rc == AZC_OK && off < len) {
    size_t n = len - off < chunk ? len - off : chunk;
    rc = azc_decoder_write(dec, data + off, n, out, err);
    off += n;
  }
  if (rc == AZC_OK)
    rc = azc_decoder_finish(dec, out, err);
  azc_decoder_free(dec);
  return rc;
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Round trip @p enc_list (encoder names, applied in order) under header @p header. */
static void round_trip(const char *header, const char *const *codings, size_t ncodings) {
  static const size_t chunks[] = {1, 7, 4096, TEXT_LEN * 2};
  azc_buf cur = {0};
  size_t i;
  azc_buf_append(&cur, text, TEXT_LEN);
  for (i = 0; i < ncodings; i++) {
    azc_buf next = {0};
    encode(codings[i], cur.data, cur.len, &next);
    azc_buf_free(&cur);
    cur = next;
  }
  for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
    azc_buf out = {0};
    azc_error err;
    azc_error_clear(&err);
    CHECK_INT(decode_all(header, cur.data, cur.len, chunks[i], &out, &err), AZC_OK);
    CHECK_STR(err.message, "");
    CHECK_INT(out.len, TEXT_LEN);
    CHECK(out.len == TEXT_LEN && memcmp(out.data, text, TEXT_LEN) == 0);
    azc_buf_free(&out);
  }
  azc_buf_free(&cur);
}

static void test_identity(void) {
  static const char *const encs[] = {NULL, "", "identity", " Identity , identity"};
  size_t i;
  for (i = 0; i < sizeof encs / sizeof encs[0]; i++) {
    azc_decoder *dec = NULL;
    azc_buf out = {0};
    azc_error err;
    CHECK_INT(azc_decoder_new(encs[i], &dec, &err), AZC_OK);
    CHECK(dec != NULL);
    CHECK_INT(azc_decoder_is_identity(dec), 1);
    CHECK_INT(azc_decoder_write(dec, "not compressed", 14, &out, &err), AZC_OK);
    CHECK_INT(azc_decoder_write(dec, "", 0, &out, &err), AZC_OK);
    CHECK_INT(azc_decoder_finish(dec, &out, &err), AZC_OK);
    CHECK_STR(out.data, "not compressed");
    azc_buf_free(&out);
    azc_decoder_free(dec);
  }
  azc_decoder_free(NULL);
  CHECK_STR(azc_decode_accept_encoding(), "gzip, deflate, br, zstd");
}

static void test_gzip(void) {
  static const char *const c[] = {"gzip"};
  azc_decoder *dec = NULL;
  azc_error err;
  round_trip("gzip", c, 1);
  round_trip("GZip", c, 1);
  round_trip("x-gzip", c, 1);
  round_trip(" identity, gzip ", c, 1);
  CHECK_INT(azc_decoder_new("gzip", &dec, &err), AZC_OK);
  CHECK_INT(azc_decoder_is_identity(dec), 0);
  azc_decoder_free(dec);
}

static void test_gzip_members(void) {
  /* Two gzip members back to back decode to the concatenation (gzip(1) semantics). */
  azc_buf enc = {0}, out = {0};
  azc_error err;
  size_t chunk;
  zcompress(31, text, 1000, &enc);
  zcompress(31, text + 1000, TEXT_LEN - 1000, &enc);
  for (chunk = 1; chunk <= enc.len; chunk *= 97) {
    CHECK_INT(decode_all("gzip", enc.data, enc.len, chunk, &out, &err), AZC_OK);
    CHECK(out.len == TEXT_LEN && memcmp(out.data, text, TEXT_LEN) == 0);
    azc_buf_free(&out);
  }
  /* Trailing non-gzip bytes (padding some servers add) are ignored, as urllib3 does. */
  azc_buf_append(&enc, "\0\0\0\0", 4);
  CHECK_INT(decode_all("gzip", enc.data, enc.len, 1, &out, &err), AZC_OK);
  CHECK_INT(out.len, TEXT_LEN);
  azc_buf_free(&out);
  azc_buf_free(&enc);
}

static void test_gzip_second_member_truncated(void) {
  azc_buf enc = {0}, out = {0};
  azc_error err;
  zcompress(31, text, 1000, &enc);
  zcompress(31, text + 1000, 5000, &enc);
  CHECK_INT(decode_all("gzip", enc.data, enc.len - 10, 3, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "truncated gzip data: the compressed stream ended early");
  azc_buf_free(&out);
  /* only the magic of a second member: the member is truncated */
  azc_buf_free(&enc);
  zcompress(31, text, 1000, &enc);
  azc_buf_append(&enc, "\x1f\x8b", 2);
  CHECK_INT(decode_all("gzip", enc.data, enc.len, 1, &out, &err), AZC_ERR_DECODE);
  CHECK(contains(err.message, "truncated gzip"));
  azc_buf_free(&out);
  azc_buf_free(&enc);
}

static void test_deflate(void) {
  static const char *const zlib_wrapped[] = {"deflate"};
  static const char *const raw[] = {"raw"};
  round_trip("deflate", zlib_wrapped, 1);
  round_trip("deflate", raw, 1);
  round_trip("DEFLATE", raw, 1);
}

static void test_deflate_small(void) {
  /* Streams shorter than the 2-byte sniff window and empty payloads. */
  azc_buf enc = {0}, out = {0};
  azc_error err;
  zcompress(-15, "", 0, &enc);
  CHECK_INT(decode_all("deflate", enc.data, enc.len, 1, &out, &err), AZC_OK);
  CHECK_INT(out.len, 0);
  azc_buf_free(&enc);
  azc_buf_free(&out);
  zcompress(15, "x", 1, &enc);
  CHECK_INT(decode_all("deflate", enc.data, enc.len, 1, &out, &err), AZC_OK);
  CHECK_STR(out.data, "x");
  azc_buf_free(&enc);
  azc_buf_free(&out);
  /* a single byte can never be a complete deflate stream */
  CHECK_INT(decode_all("deflate", "\x78", 1, 1, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "truncated deflate data: the compressed stream ended early");
  azc_buf_free(&out);
}

static void test_brotli(void) {
  static const char *const c[] = {"br"};
  round_trip("br", c, 1);
  round_trip("BR", c, 1);
}

static void test_zstd(void) {
  static const char *const c[] = {"zstd"};
  azc_buf enc = {0}, out = {0};
  azc_error err;
  round_trip("zstd", c, 1);
  /* concatenated frames */
  zstdcompress(text, 5000, &enc);
  zstdcompress(text + 5000, TEXT_LEN - 5000, &enc);
  CHECK_INT(decode_all("zstd", enc.data, enc.len, 5, &out, &err), AZC_OK);
  CHECK(out.len == TEXT_LEN && memcmp(out.data, text, TEXT_LEN) == 0);
  azc_buf_free(&out);
  azc_buf_free(&enc);
}

static void test_chains(void) {
  static const char *const gz_br[] = {"gzip", "br"};
  static const char *const three[] = {"deflate", "zstd", "gzip"};
  static const char *const raw_br_zstd[] = {"raw", "br", "zstd"};
  static const char *const twice[] = {"gzip", "gzip"};
  round_trip("gzip, br", gz_br, 2);
  round_trip("gzip,br", gz_br, 2);
  round_trip("deflate, zstd, gzip", three, 3);
  round_trip("deflate , identity, br,zstd", raw_br_zstd, 3);
  round_trip("gzip, gzip", twice, 2);
}

static void test_chain_order_matters(void) {
  /* gzip then br, but labelled "br, gzip": the gzip stage sees brotli data */
  azc_buf a = {0}, b = {0}, out = {0};
  azc_error err;
  zcompress(31, text, 2000, &a);
  brcompress(a.data, a.len, &b);
  CHECK_INT(decode_all("br, gzip", b.data, b.len, 64, &out, &err), AZC_ERR_DECODE);
  CHECK(contains(err.message, "corrupt gzip data"));
  azc_buf_free(&a);
  azc_buf_free(&b);
  azc_buf_free(&out);
}

static void test_unknown(void) {
  azc_decoder *dec = (azc_decoder *)&dec; /* must be reset to NULL */
  azc_error err;
  CHECK_INT(azc_decoder_new("compress", &dec, &err), AZC_ERR_DECODE);
  CHECK(dec == NULL);
  CHECK_INT(err.code, AZC_ERR_DECODE);
  CHECK_STR(err.message, "unsupported content encoding: compress");
  CHECK_INT(azc_decoder_new("gzip, snappy , br", &dec, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "unsupported content encoding: snappy");
  CHECK_INT(azc_decoder_new("gzip, gzip, gzip, gzip, gzip, gzip, gzip, gzip, gzip", &dec, &err),
            AZC_ERR_DECODE);
  CHECK(contains(err.message, "more than 8 codings"));
  CHECK_INT(azc_decoder_new(", ,gzip,,", &dec, &err), AZC_OK);
  CHECK_INT(azc_decoder_is_identity(dec), 0);
  azc_decoder_free(dec);
}

static void test_corrupt(void) {
  static const char garbage[] = "this is certainly not compressed data, not at all";
  azc_buf enc = {0}, out = {0};
  azc_error err;

  CHECK_INT(decode_all("gzip", garbage, sizeof garbage - 1, 4096, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt gzip data: incorrect header check");
  azc_buf_free(&out);

  CHECK_INT(decode_all("br", garbage, sizeof garbage - 1, 4096, &out, &err), AZC_ERR_DECODE);
  CHECK(contains(err.message, "corrupt br data: "));
  azc_buf_free(&out);

  CHECK_INT(decode_all("zstd", garbage, sizeof garbage - 1, 4096, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt zstd data: Unknown frame descriptor");
  azc_buf_free(&out);

  /* gzip with a damaged CRC: all data decodes, the trailer check fails */
  zcompress(31, text, 3000, &enc);
  enc.data[enc.len - 6] ^= 0x55;
  CHECK_INT(decode_all("gzip", enc.data, enc.len, 1, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt gzip data: incorrect data check");
  azc_buf_free(&out);
  azc_buf_free(&enc);

  /* zlib-wrapped deflate with a damaged Adler-32 */
  zcompress(15, text, 3000, &enc);
  enc.data[enc.len - 1] ^= 0x01;
  CHECK_INT(decode_all("deflate", enc.data, enc.len, 4096, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt deflate data: incorrect data check");
  azc_buf_free(&out);
  azc_buf_free(&enc);

  /* raw deflate with an invalid block type (BTYPE 11) */
  CHECK_INT(decode_all("deflate", "\x07\x00\x00\x00", 4, 1, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt deflate data: invalid block type");
  azc_buf_free(&out);

  /* corrupt brotli: damage the middle of a real stream */
  brcompress(text, 20000, &enc);
  memset(enc.data + enc.len / 2, 0xff, 16);
  CHECK_INT(decode_all("br", enc.data, enc.len, 100, &out, &err), AZC_ERR_DECODE);
  CHECK(contains(err.message, "br data"));
  azc_buf_free(&out);
  azc_buf_free(&enc);

  /* data after the end of a brotli stream */
  brcompress(text, 100, &enc);
  azc_buf_append(&enc, "xx", 2);
  CHECK_INT(decode_all("br", enc.data, enc.len, 4096, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "corrupt br data: unexpected data after the end of the stream");
  azc_buf_free(&out);
  azc_buf_free(&enc);
}

static void test_failed_decoder_stays_failed(void) {
  azc_decoder *dec = NULL;
  azc_buf out = {0};
  azc_error err;
  CHECK_INT(azc_decoder_new("gzip", &dec, &err), AZC_OK);
  CHECK_INT(azc_decoder_write(dec, "garbage!", 8, &out, &err), AZC_ERR_DECODE);
  CHECK_INT(azc_decoder_write(dec, "more", 4, &out, &err), AZC_ERR_DECODE);
  CHECK_INT(azc_decoder_finish(dec, &out, &err), AZC_ERR_DECODE);
  azc_decoder_free(dec);
  azc_buf_free(&out);
}

static void test_truncated(void) {
  static const char *const codings[] = {"gzip", "deflate", "raw", "br", "zstd"};
  static const char *const headers[] = {"gzip", "deflate", "deflate", "br", "zstd"};
  static const char *const names[] = {"gzip", "deflate", "deflate", "br", "zstd"};
  size_t i;
  for (i = 0; i < 5; i++) {
    azc_buf enc = {0}, out = {0};
    azc_error err;
    char want[128];
    encode(codings[i], text, TEXT_LEN, &enc);
    snprintf(want, sizeof want, "truncated %s data: the compressed stream ended early", names[i]);
    /* cut in the middle and just before the end */
    CHECK_INT(decode_all(headers[i], enc.data, enc.len / 2, 333, &out, &err), AZC_ERR_DECODE);
    CHECK_STR(err.message, want);
    CHECK(out.len < TEXT_LEN);
    azc_buf_free(&out);
    CHECK_INT(decode_all(headers[i], enc.data, enc.len - 1, 1, &out, &err), AZC_ERR_DECODE);
    CHECK_STR(err.message, want);
    azc_buf_free(&out);
    azc_buf_free(&enc);
  }
}

static void test_truncated_inner(void) {
  /* the outer gzip is complete, the brotli stream inside it is cut */
  azc_buf a = {0}, b = {0}, out = {0};
  azc_error err;
  brcompress(text, 50000, &a);
  zcompress(31, a.data, a.len - 3, &b);
  CHECK_INT(decode_all("br, gzip", b.data, b.len, 1000, &out, &err), AZC_ERR_DECODE);
  CHECK_STR(err.message, "truncated br data: the compressed stream ended early");
  azc_buf_free(&a);
  azc_buf_free(&b);
  azc_buf_free(&out);
}

static void test_empty_body(void) {
  /* HEAD and 204 responses may carry Content-Encoding with no body at all */
  static const char *const encs[] = {"gzip", "deflate", "br", "zstd", "gzip, br"};
  size_t i;
  for (i = 0; i < 5; i++) {
    azc_buf out = {0};
    azc_error err;
    CHECK_INT(decode_all(encs[i], "", 0, 1, &out, &err), AZC_OK);
    CHECK_INT(out.len, 0);
    azc_buf_free(&out);
  }
}

static void test_large_expansion(void) {
  /* 8 MiB of zeros compress to a few KiB; one write must decode it all, in steps */
  size_t big = 8u << 20;
  char *zeros = calloc(1, big);
  azc_buf enc = {0}, out = {0};
  azc_error err;
  size_t i;
  int all_zero = 1;
  CHECK(zeros != NULL);
  if (!zeros)
    return;
  zcompress(31, zeros, big, &enc);
  CHECK(enc.len < 64 * 1024);
  azc_error_clear(&err);
  CHECK_INT(decode_all("gzip", enc.data, enc.len, enc.len, &out, &err), AZC_OK);
  CHECK_INT(out.len, big);
  for (i = 0; i < out.len; i++)
    all_zero &= out.data[i] == 0;
  CHECK(all_zero);
  azc_buf_free(&out);
  azc_buf_free(&enc);
  zstdcompress(zeros, big, &enc);
  CHECK_INT(decode_all("zstd", enc.data, enc.len, 17, &out, &err), AZC_OK);
  CHECK_STR(err.message, "");
  CHECK_INT(out.len, big);
  azc_buf_free(&out);
  azc_buf_free(&enc);
  brcompress(zeros, big, &enc);
  CHECK_INT(decode_all("br", enc.data, enc.len, enc.len, &out, &err), AZC_OK);
  CHECK_INT(out.len, big);
  azc_buf_free(&out);
  azc_buf_free(&enc);
  free(zeros);
}

static void test_write_after_finish(void) {
  azc_decoder *dec = NULL;
  azc_buf out = {0};
  azc_error err;
  CHECK_INT(azc_decoder_new("identity", &dec, &err), AZC_OK);
  CHECK_INT(azc_decoder_finish(dec, &out, &err), AZC_OK);
  CHECK_INT(azc_decoder_finish(dec, &out, &err), AZC_OK);
  CHECK_INT(azc_decoder_write(dec, "x", 1, &out, &err), AZC_ERR_ARG);
  azc_decoder_free(dec);
  azc_buf_free(&out);
}

int main(void) {
  make_text();
  CTEST_RUN(test_identity);
  CTEST_RUN(test_gzip);
  CTEST_RUN(test_gzip_members);
  CTEST_RUN(test_gzip_second_member_truncated);
  CTEST_RUN(test_deflate);
  CTEST_RUN(test_deflate_small);
  CTEST_RUN(test_brotli);
  CTEST_RUN(test_zstd);
  CTEST_RUN(test_chains);
  CTEST_RUN(test_chain_order_matters);
  CTEST_RUN(test_unknown);
  CTEST_RUN(test_corrupt);
  CTEST_RUN(test_failed_decoder_stays_failed);
  CTEST_RUN(test_truncated);
  CTEST_RUN(test_truncated_inner);
  CTEST_RUN(test_empty_body);
  CTEST_RUN(test_large_expansion);
  CTEST_RUN(test_write_after_finish);
  CTEST_END();
}
