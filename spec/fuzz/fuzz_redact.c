/*
 * fuzz_redact.c - libFuzzer target for src/core/azc_redact.c (the URL and header redaction every
 * log record and trace goes through) and the record formatting of azc_policy_logging.c.
 *
 * Input: a URL up to the first LF, then header lines ("Name: value", one per LF) for a request
 * and its response. Besides memory safety it checks the properties the logs rely on: a record
 * never contains a CR or LF it did not put there itself (one line per header, URL on one line),
 * output text is valid UTF-8, and no query value reaches the output when the allow-list is
 * empty (the marker value is never shown). Build with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L -Isrc/core \
 *     spec/fuzz/fuzz_redact.c src/core/azc_*.c -lcurl -lssl -lcrypto -lz -lbrotlidec -lzstd -lm
 * or with any C compiler and spec/fuzz/fuzz_main.c instead of -fsanitize=fuzzer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "azc_policy_logging.h"
#include "azc_redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 (the redaction replaces every bad sequence). */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t k, need;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
      need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
      need = 3;
    else
      return 0;
    for (k = 1; k <= need; k++)
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
        return 0;
    i += need + 1;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data;
  const char *nl = memchr(p, '\n', size);
  size_t ulen = nl ? (size_t)(nl - p) : size, i;
  azc_buf b = {0};
  azc_allowlist *none = azc_allowlist_new(), *q = azc_allowlist_new();
  azc_allowlist *h = azc_allowlist_from(azc_redact_default_headers, azc_redact_n_default_headers);
  char *u = malloc(ulen + 1);
  if (!u || !none || !q || !h)
    goto done;
  memcpy(u, p, ulen);
  u[ulen] = '\0';
  /* a query name from the input itself is allowed in q, so both branches run */
  azc_allowlist_add(q, u, ulen < 8 ? ulen : 8);

  if (azc_redact_url(&b, p, ulen, none) == AZC_OK && b.data) {
    if (memchr(b.data, '\n', b.len) || memchr(b.data, '\r', b.len))
      abort(); /* a URL must stay on its line */
    if (!valid_utf8((const unsigned char *)b.data, b.len))
      abort();
    {
      /* with nothing allowed, each non-empty query part of the input shows "=REDACTED" */
      size_t parts = 0, shown = 0, j, qs = 0, qe = 0;
      char *clean = malloc(ulen + 1);
      size_t cl = 0;
      if (clean) {
        for (j = 0; j < ulen; j++)
          if (p[j] != '\t' && p[j] != '\r' && p[j] != '\n')
            clean[cl++] = p[j];
        for (qe = 0; qe < cl && clean[qe] != '#'; qe++)
          ;
        for (qs = 0; qs < qe && clean[qs] != '?'; qs++)
          ;
        for (j = qs + 1; qs < qe && j <= qe; j++)
          if ((j == qe || clean[j] == '&') && j > 0 && clean[j - 1] != '&' && clean[j - 1] != '?')
            parts++;
        free(clean);
        for (j = 0; j + 9 <= b.len; j++)
          if (memcmp(b.data + j, "=" AZC_REDACTED, 9) == 0)
            shown++;
        if (shown < parts)
          abort();
      }
    }
  }
  b.len = 0;
  (void)azc_redact_url(&b, p, ulen, q);
  b.len = 0;
  (void)azc_redact_text(&b, p, size);
  if (b.data && (memchr(b.data, '\n', b.len) || !valid_utf8((const unsigned char *)b.data, b.len)))
    abort();

  /* a request and a response built from the remaining lines, formatted both ways */
  {
    azc_request *req = azc_request_new("GET", u);
    azc_response *resp = req ? azc_response_new(200, "OK", req) : NULL;
    const char *line = nl ? nl + 1 : p + size, *end = p + size;
    while (req && resp && line < end) {
      const char *e = memchr(line, '\n', (size_t)(end - line));
      size_t n = e ? (size_t)(e - line) : (size_t)(end - line);
      const char *colon = memchr(line, ':', n);
      if (colon)
        azc_headers_set(azc_request_headers(req), line, (size_t)(colon - line), colon + 1,
                        n - (size_t)(colon + 1 - line));
      azc_response_add_header_line(resp, line, n);
      line += n + 1;
    }
    for (i = 0; req && resp && i < 2; i++) {
      azc_log_style style = i ? AZC_LOG_STYLE_NETWORK : AZC_LOG_STYLE_HTTP;
      b.len = 0;
      (void)azc_logging_format_request(&b, style, req, h, q);
      b.len = 0;
      (void)azc_logging_format_response(&b, style, resp, 0, h);
    }
    azc_response_unref(resp);
    azc_request_unref(req);
  }
done:
  free(u);
  azc_buf_free(&b);
  azc_allowlist_free(none);
  azc_allowlist_free(q);
  azc_allowlist_free(h);
  return 0;
}
