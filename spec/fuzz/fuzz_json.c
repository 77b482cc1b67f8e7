/*
 * fuzz_json.c - libFuzzer target for what ContentDecodePolicy reads from the network in C: the
 * JSON syntax check (src/core/azc_json.c), the mime type of a Content-Type value and the
 * in-place header lookup (azc_response_header_peek).
 *
 * Input: a Content-Type value up to the first LF, then the body. Besides memory safety it checks
 * that the check is a pure function (same answer twice), that a refusal always names a position
 * inside the text, and that a peeked header equals the parsed one. Build with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -Isrc/core \
 *     spec/fuzz/fuzz_json.c src/core/azc_*.c -lcurl -lssl -lcrypto -lz -lbrotlidec -lzstd -lm
 * or with any C compiler and spec/fuzz/fuzz_main.c instead of -fsanitize=fuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azc_json.h"
#include "azc_policy_content_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data, *nl = memchr(s, '\n', size);
  size_t ctl = nl ? (size_t)(nl - s) : 0, bl = nl ? size - ctl - 1 : size;
  const char *body = nl ? nl + 1 : s;
  azc_error e1, e2;
  azc_code r1 = azc_json_check(body, bl, &e1), r2 = azc_json_check(body, bl, &e2);
  azc_buf mime = {0};
  azc_response *resp;
  if (r1 != r2 || (r1 != AZC_OK && strcmp(e1.message, e2.message) != 0))
    abort();
  if (r1 != AZC_OK) {
    /* "...: line L column C (char P)" with P at most the text's length */
    const char *p = strstr(e1.message, "(char ");
    unsigned long pos;
    if (!p || sscanf(p, "(char %lu)", &pos) != 1 || pos > bl)
      abort();
  }
  if (azc_content_decode_mime(nl ? s : NULL, ctl, &mime) == AZC_OK)
    (void)azc_content_decode_mime_kind(mime.data ? mime.data : "", mime.len);
  azc_buf_free(&mime);
  /* the Content-Type line, and the body's lines, as raw response header lines */
  resp = azc_response_new(200, "OK", NULL);
  if (resp) {
    const char *p = s, *end = s + size;
    size_t a = 0, b = 0;
    const char *va, *vb;
    char *copy;
    while (p < end) {
      const char *eol = memchr(p, '\n', (size_t)(end - p));
      if (!eol)
        eol = end;
      azc_response_add_header_line(resp, p, (size_t)(eol - p));
      p = eol + 1;
    }
    va = azc_response_header_peek(resp, "Content-Type", 12, &a);
    copy = va ? malloc(a + 1) : NULL;
    if (copy)
      memcpy(copy, va, a);
    vb = azc_response_header(resp, "Content-Type", 12, &b);
    if ((va == NULL) != (vb == NULL) || (copy && (a != b || memcmp(copy, vb, a) != 0)))
      abort();
    free(copy);
    azc_response_unref(resp);
  }
  return 0;
}
