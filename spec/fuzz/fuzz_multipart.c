/*
 * fuzz_multipart.c - libFuzzer target for src/core/azc_multipart.c (batch responses).
 *
 * Input: a Content-Type value up to the first LF (none: "multipart/mixed; boundary=b"), then
 * the body. Every leaf of the parsed tree is also parsed as an embedded HTTP response (with a
 * GET or a HEAD request, from the input's last byte), and so is the whole input, so both parsers
 * see arbitrary bytes. Build with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -Isrc/core \
 *     spec/fuzz/fuzz_multipart.c src/core/azc_*.c -lcurl -lssl -lcrypto -lz -lbrotlidec -lzstd -lm
 * or with any C compiler and the replay/mutation driver spec/fuzz/fuzz_main.c instead of
 * -fsanitize=fuzzer (see docs/utilities.md, "Batches").
 */
#include <stdint.h>
#include <string.h>

#include "azc_multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const azc_multipart *m, azc_request *req, size_t *budget) {
  size_t i, n = azc_multipart_count(m), len, it = 0;
  const char *body, *name, *value;
  size_t nl, vl;
  /* every accessor must be safe on every node */
  (void)azc_multipart_content_type(m);
  while (azc_headers_next(azc_multipart_headers(m), &it, &name, &nl, &value, &vl))
    ;
  body = azc_multipart_body(m, &len);
  if (!azc_multipart_is_multipart(m) && *budget > 0) {
    azc_response *r = NULL;
    (*budget)--;
    if (azc_multipart_parse_http_response(body, len, req, &r, NULL) == AZC_OK) {
      size_t cl;
      (void)azc_response_status(r);
      (void)azc_response_reason(r);
      (void)azc_response_content(r, &cl);
      azc_response_unref(r);
    }
  }
  for (i = 0; i < n; i++)
    walk(azc_multipart_part(m, i), req, budget);
  (void)azc_multipart_part(m, n); /* out of range: NULL */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char dflt[] = "multipart/mixed; boundary=b";
  const char *p = (const char *)data;
  const char *nl = size ? memchr(p, '\n', size < 512 ? size : 512) : NULL;
  const char *ct = dflt, *body = p;
  size_t ctlen = sizeof dflt - 1, blen = size, budget = 256;
  azc_request *req = azc_request_new(size && (data[size - 1] & 1) ? "HEAD" : "GET", "http://x/");
  azc_multipart *root = NULL;
  azc_response *r = NULL;
  azc_buf b = {0};
  if (!req)
    return 0;
  if (nl) {
    ct = p;
    ctlen = (size_t)(nl - p);
    body = nl + 1;
    blen = size - ctlen - 1;
  }
  if (azc_multipart_boundary(ct, ctlen, &b) >= 0)
    azc_buf_free(&b);
  if (azc_multipart_parse(ct, ctlen, body, blen, &root, NULL) == AZC_OK) {
    walk(root, req, &budget);
    azc_multipart_free(root);
  }
  if (azc_multipart_parse_http_response(p, size, size % 3 ? req : NULL, &r, NULL) == AZC_OK)
    azc_response_unref(r);
  azc_request_unref(req);
  return 0;
}
