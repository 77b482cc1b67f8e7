/*
 * azc_common.c - error records and byte buffers.
 */
#include "azc_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[AZC_ERR__COUNT] = {
    "OK",
    "MemoryError",
    "TypeError",
    "ValueError",
    "IOError",
    "ServiceRequestError",
    "ServiceRequestTimeoutError",
    "ServiceResponseError",
    "ServiceResponseTimeoutError",
    "DecodeError",
    "IncompleteReadError",
    "StreamConsumedError",
    "StreamClosedError",
    "ResponseNotReadError",
    "ClosedError",
    "AzureError",
    "HttpResponseError",
    "ClientAuthenticationError",
    "TooManyRedirectsError",
    "HostError",
};

const char *azc_code_name(azc_code code) {
  if ((int)code < 0 || code >= AZC_ERR__COUNT)
    return "AzureError";
  return code_names[code];
}

azc_code azc_error_set(azc_error *out_err, azc_code code, const char *fmt, ...) {
  if (out_err) {
    va_list ap;
    out_err->code = code;
    out_err->curl_code = 0;
    out_err->curl_name = "";
    out_err->host_ref = 0;
    va_start(ap, fmt);
    vsnprintf(out_err->message, sizeof out_err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

void azc_error_clear(azc_error *out_err) {
  if (out_err) {
    out_err->code = AZC_OK;
    out_err->curl_code = 0;
    out_err->curl_name = "";
    out_err->host_ref = 0;
    out_err->message[0] = '\0';
  }
}

azc_code azc_buf_reserve(azc_buf *ref_buf, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > SIZE_MAX - ref_buf->len - 1)
    return AZC_ERR_NOMEM;
  need = ref_buf->len + extra + 1; /* +1 keeps room for the terminating NUL */
  if (need <= ref_buf->cap)
    return AZC_OK;
  cap = ref_buf->cap ? ref_buf->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  p = realloc(ref_buf->data, cap);
  if (!p)
    return AZC_ERR_NOMEM;
  ref_buf->data = p;
  ref_buf->cap = cap;
  return AZC_OK;
}

azc_code azc_buf_append(azc_buf *ref_buf, const void *data, size_t len) {
  if (azc_buf_reserve(ref_buf, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  if (len)
    memcpy(ref_buf->data + ref_buf->len, data, len);
  ref_buf->len += len;
  ref_buf->data[ref_buf->len] = '\0';
  return AZC_OK;
}

azc_code azc_buf_puts(azc_buf *ref_buf, const char *s) {
  return azc_buf_append(ref_buf, s, strlen(s));
}

azc_code azc_buf_printf(azc_buf *ref_buf, const char *fmt, ...) {
  va_list ap;
  int n;
  char small[256];
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return AZC_ERR_VALUE;
  if ((size_t)n < sizeof small)
    return azc_buf_append(ref_buf, small, (size_t)n);
  if (azc_buf_reserve(ref_buf, (size_t)n) != AZC_OK)
    return AZC_ERR_NOMEM;
  va_start(ap, fmt);
  vsnprintf(ref_buf->data + ref_buf->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  ref_buf->len += (size_t)n;
  return AZC_OK;
}

void azc_buf_consume(azc_buf *ref_buf, size_t n) {
  if (n >= ref_buf->len) {
    ref_buf->len = 0;
  } else {
    memmove(ref_buf->data, ref_buf->data + n, ref_buf->len - n);
    ref_buf->len -= n;
  }
  if (ref_buf->data)
    ref_buf->data[ref_buf->len] = '\0';
}

void azc_buf_free(azc_buf *ref_buf) {
  free(ref_buf->data);
  ref_buf->data = NULL;
  ref_buf->len = ref_buf->cap = 0;
}

int azc__ieq(const char *a, size_t alen, const char *b, size_t blen) {
  size_t i;
  if (alen != blen)
    return 0;
  for (i = 0; i < alen; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x == y)
      continue; /* the usual case: names are mostly written alike */
    x |= 0x20;  /* equal ignoring case only when both fold to the same letter */
    if (x != (y | 0x20) || x < 'a' || x > 'z')
      return 0;
  }
  return 1;
}

char *azc__strndup(const char *s, size_t len) {
  char *p = malloc(len + 1);
  if (!p)
    return NULL;
  if (len)
    memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

azc_code azc__set_inline_string(char **ref_field, char *inline_buf, size_t inline_cap,
                                const char *s, size_t len) {
  char *p = inline_buf;
  if (len >= inline_cap && !(p = azc__strndup(s, len)))
    return AZC_ERR_NOMEM;
  if (p == inline_buf) {
    memmove(p, s, len);
    p[len] = '\0';
  }
  if (*ref_field != p)
    azc__free_inline_string(*ref_field, inline_buf);
  *ref_field = p;
  return AZC_OK;
}

void azc__free_inline_string(char *field, char *inline_buf) {
  if (field != inline_buf)
    free(field);
}

void *azc__zalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (p)
    memset(p, 0, size);
  return p;
}

void *azc__grow_inline(void *cur, void *inline_buf, size_t used, size_t size) {
  void *p;
  if (cur != inline_buf)
    return realloc(cur, size);
  if ((p = malloc(size)) != NULL && used)
    memcpy(p, inline_buf, used);
  return p;
}

#if defined(__SANITIZE_ADDRESS__) && !defined(AZC_NO_BLOCK_CACHE)
#define AZC_NO_BLOCK_CACHE 1
#endif

void *azc__cache_take(azc__block_cache *c, size_t size, size_t zero_len, size_t *out_size) {
  void *p;
  if (zero_len > size)
    zero_len = size;
#ifndef AZC_NO_BLOCK_CACHE
  if (c->block && c->size >= size) {
    p = c->block;
    *out_size = c->size;
    c->block = NULL;
    memset(p, 0, zero_len);
    return p;
  }
#else
  (void)c;
#endif
  p = malloc(size ? size : 1);
  if (p)
    memset(p, 0, zero_len);
  *out_size = size;
  return p;
}

void azc__cache_give(azc__block_cache *c, void *block, size_t size) {
#ifndef AZC_NO_BLOCK_CACHE
  if (block && !c->block) {
    c->block = block;
    c->size = size;
    return;
  }
#else
  (void)c;
  (void)size;
#endif
  free(block);
}

void azc__cache_clear(azc__block_cache *c) {
  free(c->block);
  c->block = NULL;
  c->size = 0;
}
