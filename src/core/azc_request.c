/*
 * azc_request.c - HTTP request: method, URL, headers and the body sources.
 */
#include "azc_request.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "azc_url.h"

/* A streamed body may be shared by a request and its history copies: it is refcounted
 * separately so the file or reader is released exactly once. */
typedef struct body_stream {
  int refs;
  azc_body_kind kind;
  FILE *file;
  int owned;
  long start; /* file offset to rewind to; -1 when not seekable */
  azc_read_fn read;
  azc_rewind_fn rewind;
  azc_free_fn free_ud;
  void *ud;
} body_stream;

struct azc_request {
  int refs;
  char *method;
  char *url;
  azc_headers *headers;
  azc_body_kind kind;
  char *bytes; /* AZC_BODY_BYTES */
  size_t bytes_len;
  size_t bytes_pos; /* read position for azc_request_read_body */
  int64_t length;   /* announced length for streams, -1 unknown */
  body_stream *stream;
  /* A request is one allocation: the method and the URL it was made with live here, and move
   * to their own blocks only when replaced by longer ones. */
  char method_inline[16];
  size_t url_cap; /* bytes in url_inline */
  char url_inline[];
};

static void stream_unref(body_stream *s) {
  if (!s || --s->refs > 0)
    return;
  if (s->kind == AZC_BODY_FILE && s->owned && s->file)
    fclose(s->file);
  if (s->kind == AZC_BODY_CALLBACK && s->free_ud)
    s->free_ud(s->ud);
  free(s);
}

azc_request *azc_request_new(const char *method, const char *url) {
  azc_request *r;
  size_t ulen;
  if (!method || !url)
    return NULL;
  ulen = strlen(url);
  r = azc__zalloc(sizeof *r + ulen + 1);
  if (!r)
    return NULL;
  r->refs = 1;
  r->url_cap = ulen + 1;
  r->headers = azc_headers_new();
  if (!r->headers || azc_request_set_method(r, method) != AZC_OK ||
      azc__set_inline_string(&r->url, r->url_inline, r->url_cap, url, ulen) != AZC_OK) {
    azc_request_unref(r);
    return NULL;
  }
  return r;
}

azc_request *azc_request_ref(azc_request *r) {
  if (r)
    r->refs++;
  return r;
}

void azc_request_clear_body(azc_request *r) {
  free(r->bytes);
  r->bytes = NULL;
  r->bytes_len = r->bytes_pos = 0;
  stream_unref(r->stream);
  r->stream = NULL;
  r->kind = AZC_BODY_NONE;
  r->length = 0;
}

void azc_request_unref(azc_request *r) {
  if (!r || --r->refs > 0)
    return;
  azc_request_clear_body(r);
  azc__free_inline_string(r->method, r->method_inline);
  azc__free_inline_string(r->url, r->url_inline);
  azc_headers_unref(r->headers);
  free(r);
}

azc_request *azc_request_copy(const azc_request *r) {
  azc_request *c = azc_request_new(r->method, r->url);
  if (!c)
    return NULL;
  azc_headers_unref(c->headers);
  c->headers = azc_headers_copy(r->headers);
  if (!c->headers) {
    azc_request_unref(c);
    return NULL;
  }
  c->kind = r->kind;
  c->length = r->length;
  if (r->kind == AZC_BODY_BYTES) {
    c->bytes = azc__strndup(r->bytes, r->bytes_len);
    if (!c->bytes) {
      c->kind = AZC_BODY_NONE;
      azc_request_unref(c);
      return NULL;
    }
    c->bytes_len = r->bytes_len;
  } else if (r->stream) {
    c->stream = r->stream;
    c->stream->refs++;
  }
  return c;
}

const char *azc_request_method(const azc_request *r) { return r->method; }

azc_code azc_request_set_method(azc_request *r, const char *method) {
  return azc__set_inline_string(&r->method, r->method_inline, sizeof r->method_inline, method,
                                strlen(method));
}

const char *azc_request_url(const azc_request *r) { return r->url; }

azc_code azc_request_set_url(azc_request *r, const char *url, size_t len) {
  return azc__set_inline_string(&r->url, r->url_inline, r->url_cap, url, len);
}

azc_headers *azc_request_headers(azc_request *r) { return r->headers; }

azc_body_kind azc_request_body_kind(const azc_request *r) { return r->kind; }

int64_t azc_request_body_length(const azc_request *r) {
  if (r->kind == AZC_BODY_NONE)
    return 0;
  if (r->kind == AZC_BODY_BYTES)
    return (int64_t)r->bytes_len;
  return r->length;
}

size_t azc_request_footprint(const azc_request *r) {
  size_t n;
  if (!r)
    return 0;
  n = sizeof *r + r->url_cap + azc_headers_footprint(r->headers) + r->bytes_len;
  if (r->method != r->method_inline)
    n += strlen(r->method) + 1;
  if (r->url != r->url_inline)
    n += strlen(r->url) + 1;
  return n;
}

const char *azc_request_body_bytes(const azc_request *r, size_t *out_len) {
  if (r->kind != AZC_BODY_BYTES) {
    if (out_len)
      *out_len = 0;
    return NULL;
  }
  if (out_len)
    *out_len = r->bytes_len;
  return r->bytes ? r->bytes : "";
}

azc_code azc_request_set_body_bytes(azc_request *r, const char *data, size_t len) {
  char *copy = azc__strndup(data ? data : "", data ? len : 0);
  if (!copy)
    return AZC_ERR_NOMEM;
  azc_request_clear_body(r);
  r->kind = AZC_BODY_BYTES;
  r->bytes = copy;
  r->bytes_len = data ? len : 0;
  return AZC_OK;
}

static body_stream *new_stream(azc_request *r, azc_body_kind kind, int64_t length) {
  body_stream *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->refs = 1;
  s->kind = kind;
  s->start = -1;
  azc_request_clear_body(r);
  r->kind = kind;
  r->stream = s;
  r->length = length;
  return s;
}

azc_code azc_request_set_body_file(azc_request *r, FILE *f, int owned) {
  struct stat st;
  int64_t length = -1;
  long pos;
  body_stream *s;
  if (!f)
    return AZC_ERR_ARG;
  pos = ftell(f);
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && pos >= 0)
    length = (int64_t)st.st_size - pos;
  s = new_stream(r, AZC_BODY_FILE, length < 0 ? -1 : length);
  if (!s)
    return AZC_ERR_NOMEM;
  s->file = f;
  s->owned = owned;
  s->start = S_ISREG(st.st_mode) ? pos : -1;
  return AZC_OK;
}

azc_code azc_request_set_body_reader(azc_request *r, azc_read_fn read, azc_rewind_fn rewind,
                                     azc_free_fn free_ud, void *ud, int64_t length) {
  body_stream *s;
  if (!read)
    return AZC_ERR_ARG;
  s = new_stream(r, AZC_BODY_CALLBACK, length);
  if (!s)
    return AZC_ERR_NOMEM;
  s->read = read;
  s->rewind = rewind;
  s->free_ud = free_ud;
  s->ud = ud;
  return AZC_OK;
}

azc_code azc_request_set_body_feed(azc_request *r, int64_t length) {
  return new_stream(r, AZC_BODY_FEED, length) ? AZC_OK : AZC_ERR_NOMEM;
}

static azc_code set_typed_bytes(azc_request *r, const char *data, size_t len, const char *ctype,
                                int length_when_empty) {
  azc_code rc = azc_request_set_body_bytes(r, data, len);
  char num[32];
  if (rc != AZC_OK)
    return rc;
  if (ctype && !azc_headers_get(r->headers, "Content-Type", 12, NULL)) {
    rc = azc_headers_set(r->headers, "Content-Type", 12, ctype, strlen(ctype));
    if (rc != AZC_OK)
      return rc;
  }
  if (len || length_when_empty) {
    snprintf(num, sizeof num, "%zu", len);
    rc = azc_headers_set(r->headers, "Content-Length", 14, num, strlen(num));
  }
  return rc;
}

azc_code azc_request_set_body_json(azc_request *r, const char *json, size_t len) {
  return set_typed_bytes(r, json, len, "application/json", 1);
}

azc_code azc_request_set_body_text(azc_request *r, const char *text, size_t len) {
  return set_typed_bytes(r, text, len, "text/plain", 0);
}

azc_code azc_request_set_body_form(azc_request *r, const azc_form_field *fields, size_t n) {
  azc_buf b = {0};
  size_t i;
  int first = 1;
  azc_code rc = azc_buf_reserve(&b, 0);
  for (i = 0; rc == AZC_OK && i < n; i++) {
    if (!fields[i].value)
      continue; /* azure-core drops None values from form data */
    if (!first)
      rc = azc_buf_append(&b, "&", 1);
    first = 0;
    if (rc == AZC_OK)
      rc = azc_url_quote_plus(fields[i].name, fields[i].name_len, "", &b);
    if (rc == AZC_OK)
      rc = azc_buf_append(&b, "=", 1);
    if (rc == AZC_OK)
      rc = azc_url_quote_plus(fields[i].value, fields[i].value_len, "", &b);
  }
  if (rc == AZC_OK) {
    /* the form content type replaces any earlier one: this body defines it */
    azc_headers_remove(r->headers, "Content-Type", 12);
    rc = set_typed_bytes(r, b.data, b.len, "application/x-www-form-urlencoded", 1);
  }
  azc_buf_free(&b);
  return rc;
}

static void random_boundary(char *out, size_t cap) {
  static unsigned long counter;
  unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)clock() << 16) ^ ++counter;
  unsigned long y = (unsigned long)(size_t)out ^ (x * 2654435761UL);
  snprintf(out, cap, "azcore%08lx%08lx%04lx", x & 0xffffffffUL, y & 0xffffffffUL,
           counter & 0xffffUL);
}

/* Quote a header parameter value: backslash and double quote escaped, CR/LF dropped. */
static azc_code put_quoted(azc_buf *b, const char *s) {
  azc_code rc = azc_buf_append(b, "\"", 1);
  for (; rc == AZC_OK && *s; s++) {
    if (*s == '\r' || *s == '\n')
      continue;
    if (*s == '"' || *s == '\\')
      rc = azc_buf_append(b, "\\", 1);
    if (rc == AZC_OK)
      rc = azc_buf_append(b, s, 1);
  }
  return rc == AZC_OK ? azc_buf_append(b, "\"", 1) : rc;
}

azc_code azc_request_set_body_multipart(azc_request *r, const azc_form_field *fields, size_t n,
                                        const char *boundary) {
  azc_buf b = {0};
  char gen[64], ctype[128];
  size_t i;
  azc_code rc = AZC_OK;
  if (!boundary) {
    random_boundary(gen, sizeof gen);
    boundary = gen;
  }
  if (strlen(boundary) > 70 || strpbrk(boundary, "\r\n\""))
    return AZC_ERR_VALUE;
  for (i = 0; rc == AZC_OK && i < n; i++) {
    const azc_form_field *f = &fields[i];
    if (!f->value)
      continue;
    rc = azc_buf_printf(&b, "--%s\r\nContent-Disposition: form-data; name=", boundary);
    if (rc == AZC_OK) {
      char *name = azc__strndup(f->name, f->name_len);
      rc = name ? put_quoted(&b, name) : AZC_ERR_NOMEM;
      free(name);
    }
    if (rc == AZC_OK && f->filename) {
      rc = azc_buf_puts(&b, "; filename=");
      if (rc == AZC_OK)
        rc = put_quoted(&b, f->filename);
    }
    if (rc == AZC_OK && (f->content_type || f->filename))
      rc = azc_buf_printf(&b, "\r\nContent-Type: %s",
                          f->content_type ? f->content_type : "application/octet-stream");
    if (rc == AZC_OK)
      rc = azc_buf_append(&b, "\r\n\r\n", 4);
    if (rc == AZC_OK)
      rc = azc_buf_append(&b, f->value, f->value_len);
    if (rc == AZC_OK)
      rc = azc_buf_append(&b, "\r\n", 2);
  }
  if (rc == AZC_OK)
    rc = azc_buf_printf(&b, "--%s--\r\n", boundary);
  if (rc == AZC_OK) {
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
    azc_headers_remove(r->headers, "Content-Type", 12);
    rc = set_typed_bytes(r, b.data, b.len, ctype, 1);
  }
  azc_buf_free(&b);
  return rc;
}

int azc_request_can_rewind(const azc_request *r) {
  if (r->kind == AZC_BODY_NONE || r->kind == AZC_BODY_BYTES)
    return 1;
  if (r->kind == AZC_BODY_FILE)
    return r->stream->start >= 0;
  if (r->kind == AZC_BODY_CALLBACK)
    return r->stream->rewind != NULL;
  return 0;
}

azc_code azc_request_rewind(azc_request *r, azc_error *out_err) {
  switch (r->kind) {
  case AZC_BODY_NONE:
    return AZC_OK;
  case AZC_BODY_BYTES:
    r->bytes_pos = 0;
    return AZC_OK;
  case AZC_BODY_FILE:
    if (r->stream->start >= 0 && fseek(r->stream->file, r->stream->start, SEEK_SET) == 0)
      return AZC_OK;
    break;
  case AZC_BODY_CALLBACK:
    if (r->stream->rewind && r->stream->rewind(r->stream->ud) == AZC_OK)
      return AZC_OK;
    break;
  case AZC_BODY_FEED:
    break;
  }
  return azc_error_set(out_err, AZC_ERR_VALUE, "the request body cannot be rewound");
}

azc_code azc_request_read_body(azc_request *r, char *buf, size_t cap, size_t *out_n) {
  size_t n;
  *out_n = 0;
  switch (r->kind) {
  case AZC_BODY_NONE:
    return AZC_OK;
  case AZC_BODY_BYTES:
    n = r->bytes_len - r->bytes_pos;
    if (n > cap)
      n = cap;
    if (n)
      memcpy(buf, r->bytes + r->bytes_pos, n);
    r->bytes_pos += n;
    *out_n = n;
    return AZC_OK;
  case AZC_BODY_FILE:
    n = fread(buf, 1, cap, r->stream->file);
    if (n == 0 && ferror(r->stream->file))
      return AZC_ERR_IO;
    *out_n = n;
    return AZC_OK;
  case AZC_BODY_CALLBACK:
    return r->stream->read(r->stream->ud, buf, cap, out_n);
  case AZC_BODY_FEED:
    break;
  }
  return AZC_ERR_ARG;
}
