/*
 * azc_redact.c - allow-list redaction of header and query values (BEHAVIOR.md §4.12).
 *
 * Everything here runs only when a record is actually written, so it favours being obviously
 * right over being fast: allow-lists are short arrays scanned linearly.
 */
#include "azc_redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const azc_redact_default_headers[] = {"x-ms-request-id",
                                                  "x-ms-client-request-id",
                                                  "x-ms-return-client-request-id",
                                                  "x-ms-error-code",
                                                  "traceparent",
                                                  "Accept",
                                                  "Cache-Control",
                                                  "Connection",
                                                  "Content-Length",
                                                  "Content-Type",
                                                  "Date",
                                                  "ETag",
                                                  "Expires",
                                                  "If-Match",
                                                  "If-Modified-Since",
                                                  "If-None-Match",
                                                  "If-Unmodified-Since",
                                                  "Last-Modified",
                                                  "Pragma",
                                                  "Request-Id",
                                                  "Retry-After",
                                                  "Server",
                                                  "Transfer-Encoding",
                                                  "User-Agent",
                                                  "WWW-Authenticate",
                                                  "x-vss-e2eid",
                                                  "x-msedge-ref"};
const size_t azc_redact_n_default_headers =
    sizeof azc_redact_default_headers / sizeof azc_redact_default_headers[0];

const char *const azc_redact_default_query_params[] = {"api-version"};
const size_t azc_redact_n_default_query_params =
    sizeof azc_redact_default_query_params / sizeof azc_redact_default_query_params[0];

typedef struct entry {
  char *name;
  size_t len;
} entry;

struct azc_allowlist {
  entry *v;
  size_t n, cap;
};

azc_allowlist *azc_allowlist_new(void) { return calloc(1, sizeof(azc_allowlist)); }

azc_allowlist *azc_allowlist_from(const char *const *names, size_t n) {
  azc_allowlist *a = azc_allowlist_new();
  size_t i;
  if (!a)
    return NULL;
  for (i = 0; i < n; i++) {
    if (names[i] && azc_allowlist_add(a, names[i], strlen(names[i])) != AZC_OK) {
      azc_allowlist_free(a);
      return NULL;
    }
  }
  return a;
}

void azc_allowlist_clear(azc_allowlist *a) {
  size_t i;
  if (!a)
    return;
  for (i = 0; i < a->n; i++)
    free(a->v[i].name);
  a->n = 0;
}

void azc_allowlist_free(azc_allowlist *a) {
  if (!a)
    return;
  azc_allowlist_clear(a);
  free(a->v);
  free(a);
}

static long find(const azc_allowlist *a, const char *name, size_t len) {
  size_t i;
  if (!a || !name)
    return -1;
  for (i = 0; i < a->n; i++)
    if (azc__ieq(a->v[i].name, a->v[i].len, name, len))
      return (long)i;
  return -1;
}

azc_code azc_allowlist_add(azc_allowlist *a, const char *name, size_t len) {
  char *copy;
  if (!a || (!name && len))
    return AZC_ERR_ARG;
  if (find(a, name ? name : "", len) >= 0)
    return AZC_OK;
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 32;
    entry *v = realloc(a->v, cap * sizeof *v);
    if (!v)
      return AZC_ERR_NOMEM;
    a->v = v;
    a->cap = cap;
  }
  if (!(copy = azc__strndup(name ? name : "", len)))
    return AZC_ERR_NOMEM;
  a->v[a->n].name = copy;
  a->v[a->n].len = len;
  a->n++;
  return AZC_OK;
}

int azc_allowlist_remove(azc_allowlist *a, const char *name, size_t len) {
  long i = find(a, name, len);
  if (i < 0)
    return 0;
  free(a->v[i].name);
  memmove(&a->v[i], &a->v[i + 1], (a->n - (size_t)i - 1) * sizeof *a->v);
  a->n--;
  return 1;
}

int azc_allowlist_contains(const azc_allowlist *a, const char *name, size_t len) {
  return find(a, name, len) >= 0;
}

size_t azc_allowlist_count(const azc_allowlist *a) { return a ? a->n : 0; }

const char *azc_allowlist_name(const azc_allowlist *a, size_t i, size_t *out_len) {
  if (!a || i >= a->n)
    return NULL;
  if (out_len)
    *out_len = a->v[i].len;
  return a->v[i].name;
}

azc_code azc_redact_header(azc_buf *out, const azc_allowlist *allowed, const char *name,
                           size_t name_len, const char *value, size_t value_len) {
  if (azc_allowlist_contains(allowed, name, name_len))
    return azc_buf_append(out, value, value_len);
  return azc_buf_puts(out, AZC_REDACTED);
}

/* ---- text ------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (1-4), or, when it is not valid, minus the
 * length of its maximal valid prefix (at least 1): Python's "replace" decoder emits one U+FFFD
 * for that prefix and goes on at the byte that broke it. */
static int utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  int need, i;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return -1;
  }
  for (i = 1; i <= need; i++) {
    if ((size_t)i >= n)
      return -i;
    if (i == 1 ? (s[i] < lo || s[i] > hi) : (s[i] < 0x80 || s[i] > 0xBF))
      return -i;
  }
  return need + 1;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

azc_code azc_redact_text(azc_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0;
  azc_code rc = AZC_OK;
  while (i < len && rc == AZC_OK) {
    unsigned char c = p[i];
    int k;
    if (c >= 0x20 && c < 0x7F) {
      i++;
      run++;
      continue;
    }
    /* flush the plain run before the special byte */
    if (run && (rc = azc_buf_append(out, s + i - run, run)) != AZC_OK)
      break;
    run = 0;
    if (c < 0x20 || c == 0x7F) {
      char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      if (c == '\n' || c == '\r' || c == '\t') {
        esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        rc = azc_buf_append(out, esc, 2);
      } else {
        rc = azc_buf_append(out, esc, 4);
      }
      i++;
      continue;
    }
    k = utf8_seq(p + i, len - i);
    if (k > 0) {
      rc = azc_buf_append(out, s + i, (size_t)k);
      i += (size_t)k;
    } else {
      rc = azc_buf_append(out, REPLACEMENT, 3);
      i += (size_t)-k;
    }
  }
  if (rc == AZC_OK && run)
    rc = azc_buf_append(out, s + len - run, run);
  return rc;
}

/* ---- URL -------------------------------------------------------------------------------- */

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* parse_qsl's unquote_plus: '+' is a space, %XX a byte (a '%' not followed by two hex digits
 * stays). Writes into @p tmp (reset first). */
static azc_code unquote_plus(azc_buf *tmp, const char *s, size_t n) {
  size_t i;
  azc_code rc = AZC_OK;
  tmp->len = 0;
  if (tmp->data)
    tmp->data[0] = '\0';
  for (i = 0; i < n && rc == AZC_OK; i++) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < n) {
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi * 16 + lo);
        i += 2;
      }
    }
    rc = azc_buf_append(tmp, &c, 1);
  }
  return rc;
}

/* One query part "name[=value]" (non-empty) into @p out as "name=value|REDACTED". */
static azc_code redact_pair(azc_buf *out, azc_buf *tmp, const char *part, size_t n,
                            const azc_allowlist *allowed) {
  const char *eq = memchr(part, '=', n);
  size_t nl = eq ? (size_t)(eq - part) : n;
  int keep;
  azc_code rc = unquote_plus(tmp, part, nl);
  if (rc != AZC_OK)
    return rc;
  keep = azc_allowlist_contains(allowed, tmp->data ? tmp->data : "", tmp->len);
  if ((rc = azc_redact_text(out, tmp->data ? tmp->data : "", tmp->len)) != AZC_OK ||
      (rc = azc_buf_append(out, "=", 1)) != AZC_OK)
    return rc;
  if (!keep)
    return azc_buf_puts(out, AZC_REDACTED);
  if (!eq)
    return AZC_OK;
  rc = unquote_plus(tmp, eq + 1, n - nl - 1);
  if (rc == AZC_OK)
    rc = azc_redact_text(out, tmp->data ? tmp->data : "", tmp->len);
  return rc;
}

/* The part before the query (scheme://netloc/path) with a user-info password redacted; text
 * escaped like every other part of a record. */
static azc_code append_base(azc_buf *out, const char *s, size_t n) {
  size_t i = 0, host, end, at = (size_t)-1, colon = (size_t)-1;
  /* scheme: letters, digits, + - . up to ':' (urlsplit), then "//" starts the netloc */
  while (i < n && s[i] != ':' && s[i] != '/')
    i++;
  if (i < n && s[i] == ':' && i > 0) {
    /* urlsplit lower-cases a scheme made of scheme characters only */
    size_t j;
    for (j = 0; j < i && (isalnum((unsigned char)s[j]) || (s[j] && strchr("+-.", s[j]))); j++)
      ;
    if (j == i) {
      azc_code rc = AZC_OK;
      for (j = 0; j < i && rc == AZC_OK; j++) {
        char c = (char)tolower((unsigned char)s[j]);
        rc = azc_buf_append(out, &c, 1);
      }
      if (rc != AZC_OK)
        return rc;
      s += i;
      n -= i;
      i = 0;
    }
  }
  if (i >= n || s[i] != ':' || i + 2 >= n || s[i + 1] != '/' || s[i + 2] != '/')
    return azc_redact_text(out, s, n);
  host = i + 3;
  for (end = host; end < n && s[end] != '/'; end++)
    if (s[end] == '@')
      at = end; /* rpartition: the last '@' ends the user-info */
  if (at == (size_t)-1)
    return azc_redact_text(out, s, n);
  for (i = host; i < at; i++)
    if (s[i] == ':') {
      colon = i;
      break;
    }
  if (colon == (size_t)-1)
    return azc_redact_text(out, s, n);
  {
    azc_code rc = azc_redact_text(out, s, colon + 1);
    if (rc == AZC_OK)
      rc = azc_buf_puts(out, AZC_REDACTED);
    if (rc == AZC_OK)
      rc = azc_redact_text(out, s + at, n - at);
    return rc;
  }
}

azc_code azc_redact_url(azc_buf *out, const char *url, size_t len,
                        const azc_allowlist *allowed_query) {
  azc_buf clean = {0}, tmp = {0};
  const char *s, *hash, *q;
  size_t n, i, base_len, qlen, frag_len = 0, start;
  int first = 1;
  azc_code rc = AZC_OK;
  /* urlsplit drops every TAB, CR and LF before parsing */
  if (memchr(url, '\t', len) || memchr(url, '\r', len) || memchr(url, '\n', len)) {
    for (i = 0; i < len && rc == AZC_OK; i++)
      if (url[i] != '\t' && url[i] != '\r' && url[i] != '\n')
        rc = azc_buf_append(&clean, url + i, 1);
    if (rc != AZC_OK) {
      azc_buf_free(&clean);
      return rc;
    }
    s = clean.data ? clean.data : "";
    n = clean.len;
  } else {
    s = url;
    n = len;
  }
  hash = memchr(s, '#', n);
  if (hash) {
    frag_len = n - (size_t)(hash - s) - 1;
    n = (size_t)(hash - s);
  }
  q = memchr(s, '?', n);
  base_len = q ? (size_t)(q - s) : n;
  qlen = q ? n - base_len - 1 : 0;
  rc = append_base(out, s, base_len);
  /* the query, pair by pair; '?' is written before the first pair that survives */
  for (start = 0; q && rc == AZC_OK && start <= qlen;) {
    const char *part = q + 1 + start;
    const char *amp = memchr(part, '&', qlen - start);
    size_t plen = amp ? (size_t)(amp - part) : qlen - start;
    if (plen) {
      rc = azc_buf_append(out, first ? "?" : "&", 1);
      first = 0;
      if (rc == AZC_OK)
        rc = redact_pair(out, &tmp, part, plen, allowed_query);
    }
    start += plen + 1;
  }
  if (rc == AZC_OK && frag_len) {
    rc = azc_buf_append(out, "#", 1);
    if (rc == AZC_OK)
      rc = azc_redact_text(out, hash + 1, frag_len);
  }
  azc_buf_free(&tmp);
  azc_buf_free(&clean);
  return rc;
}
