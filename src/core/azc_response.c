/*
 * azc_response.c - HTTP response and its body: complete, pulled from a C source, or fed.
 *
 * Invariants: `raw` holds raw (still encoded) bytes received but not yet decoded or handed out;
 * `dec` holds decoded bytes not yet handed out; `content` is the whole decoded body once
 * `is_read`. A stream is consumed once iteration reached its end; a body read into memory can be
 * served again from `content` by the binding.
 */
#include "azc_response.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A response is one allocation in the common case: its reason phrase and a head of up to
 * HEAD_INLINE bytes live inside it, and the header map is made only when somebody reads the
 * headers in a way the raw lines cannot answer. */
enum { REASON_INLINE = 32, HEAD_INLINE = 448 };

struct azc_response {
  int refs;
  int status;
  char *reason; /* reason_inline, or its own block when longer */
  char *url;
  azc_headers *headers; /* NULL until the raw head is parsed or a header is set */
  azc_request *request;

  azc_body_source source; /* pull == NULL: no C source */
  int has_source;
  int fed;       /* bytes arrive through azc_response_feed */
  int input_eof; /* no more raw bytes will arrive */
  int out_eof;   /* everything was handed out */
  int started;   /* iteration started (stream no longer re-readable) */
  int consumed;  /* iterated to the end */
  int is_read;
  int closed;

  /* header lines not yet parsed, each ended by '\n': head_inline, or a block once longer */
  char *head;
  size_t head_len, head_cap;
  int head_pending; /* head holds lines not yet in `headers` */

  azc_decoder *decoder;
  int decoder_done;
  azc_buf raw;
  azc_buf dec;
  azc_buf content;
  /* last, and not zeroed by azc_response_new: keep them last */
  char reason_inline[REASON_INLINE];
  char head_inline[HEAD_INLINE];
};

azc_response *azc_response_new(int status, const char *reason, azc_request *request) {
  /* the inline reason and head (two thirds of the block) are written before they are read:
   * zeroing them would only touch cache lines a short response never uses */
  azc_response *r = malloc(sizeof *r);
  if (!r)
    return NULL;
  memset(r, 0, offsetof(azc_response, reason_inline));
  r->reason_inline[0] = '\0';
  r->refs = 1;
  r->status = status;
  r->reason = r->reason_inline;
  r->head = r->head_inline;
  r->head_cap = sizeof r->head_inline;
  if (reason && azc_response_set_reason(r, reason, strlen(reason)) != AZC_OK) {
    azc_response_unref(r);
    return NULL;
  }
  r->request = azc_request_ref(request);
  /* no body until one is given: an empty complete body */
  r->input_eof = 1;
  return r;
}

azc_response *azc_response_ref(azc_response *r) {
  if (r)
    r->refs++;
  return r;
}

static void release_source(azc_response *r) {
  if (r->has_source) {
    r->has_source = 0;
    if (r->source.close)
      r->source.close(r->source.self);
  }
}

static void drop_head(azc_response *r) {
  if (r->head != r->head_inline)
    free(r->head);
  r->head = r->head_inline;
  r->head_cap = sizeof r->head_inline;
  r->head_len = 0;
}

void azc_response_unref(azc_response *r) {
  if (!r || --r->refs > 0)
    return;
  release_source(r);
  azc_decoder_free(r->decoder);
  azc_buf_free(&r->raw);
  azc_buf_free(&r->dec);
  azc_buf_free(&r->content);
  drop_head(r);
  azc_headers_unref(r->headers);
  azc_request_unref(r->request);
  azc__free_inline_string(r->reason, r->reason_inline);
  free(r->url);
  free(r);
}

int azc_response_status(const azc_response *r) { return r->status; }
const char *azc_response_reason(const azc_response *r) { return r->reason; }

azc_code azc_response_set_reason(azc_response *r, const char *reason, size_t len) {
  return azc__set_inline_string(&r->reason, r->reason_inline, sizeof r->reason_inline, reason,
                                len);
}

static int is_ws(char c) { return c == ' ' || c == '\t'; }

azc_code azc_response_add_header_line(azc_response *r, const char *line, size_t len) {
  if (len >= r->head_cap - r->head_len) {
    size_t cap = r->head_cap;
    char *p;
    if (len > SIZE_MAX / 4 - r->head_len)
      return AZC_ERR_NOMEM;
    while (cap - r->head_len <= len)
      cap *= 2;
    if (!(p = azc__grow_inline(r->head, r->head_inline, r->head_len, cap)))
      return AZC_ERR_NOMEM;
    r->head = p;
    r->head_cap = cap;
  }
  memcpy(r->head + r->head_len, line, len);
  r->head[r->head_len + len] = '\n';
  r->head_len += len + 1;
  r->head_pending = 1;
  return AZC_OK;
}

/* Parse the pending raw lines into the header map. Continuation lines extend the previous
 * header (joined with a space); repeated names fold into "a, b" (azc_headers_add). */
static void parse_head(azc_response *r) {
  const char *p = r->head, *end = p + r->head_len;
  const char *last = NULL; /* name of the previous header line */
  size_t last_len = 0;
  if (!r->headers && !(r->headers = azc_headers_new()))
    return; /* out of memory: the lines stay pending */
  r->head_pending = 0;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)(eol - p);
    if (n && is_ws(p[0])) {
      size_t b = 0, oldlen;
      const char *old;
      azc_buf v = {0};
      while (b < n && is_ws(p[b]))
        b++;
      if (last && (old = azc_headers_get(r->headers, last, last_len, &oldlen)) != NULL &&
          azc_buf_append(&v, old, oldlen) == AZC_OK && azc_buf_append(&v, " ", 1) == AZC_OK &&
          azc_buf_append(&v, p + b, n - b) == AZC_OK)
        azc_headers_set(r->headers, last, last_len, v.data, v.len);
      azc_buf_free(&v);
    } else {
      const char *colon = memchr(p, ':', n);
      if (colon) {
        size_t nl = (size_t)(colon - p), vb = nl + 1, ve = n;
        while (nl && is_ws(p[nl - 1]))
          nl--;
        while (vb < ve && is_ws(p[vb]))
          vb++;
        while (ve > vb && is_ws(p[ve - 1]))
          ve--;
        /* a refused name or value (NUL, bare CR) is dropped */
        if (azc_headers_add(r->headers, p, nl, p + vb, ve - vb) == AZC_OK) {
          last = p;
          last_len = nl;
        } else {
          last = NULL;
        }
      } else {
        last = NULL; /* not a header line: ignored, as http.client does */
      }
    }
    p = eol + 1;
  }
  drop_head(r);
}

azc_headers *azc_response_headers(azc_response *r) {
  if (r->head_pending)
    parse_head(r);
  if (!r->headers)
    r->headers = azc_headers_new();
  return r->headers;
}

const char *azc_response_header(azc_response *r, const char *name, size_t name_len,
                                size_t *out_len) {
  if (r->head_pending) {
    /* parse only when a line starts with this name: most lookups (Content-Encoding on the
     * read path) find nothing */
    const char *p = r->head, *end = p + r->head_len;
    int present = 0;
    while (p < end && !present) {
      const char *eol = memchr(p, '\n', (size_t)(end - p));
      size_t n = (size_t)(eol - p);
      if ((n > name_len && (p[name_len] == ':' || is_ws(p[name_len])) &&
           azc__ieq(p, name_len, name, name_len)) ||
          (n && is_ws(p[0])))
        present = 1; /* a continuation line may belong to it: parse to be exact */
      p = eol + 1;
    }
    if (!present)
      return NULL;
    parse_head(r);
  }
  return azc_headers_get(r->headers, name, name_len, out_len);
}
const char *azc_response_header_peek(azc_response *r, const char *name, size_t name_len,
                                     size_t *out_len) {
  const char *p, *end, *found = NULL;
  size_t flen = 0;
  int simple = 1;
  if (!r->head_pending)
    return azc_headers_get(r->headers, name, name_len, out_len);
  p = r->head;
  end = p + r->head_len;
  /* one plain line for this name: its value is what parsing would store, so it is read in
   * place; anything else (a repeat, a continuation line, an odd byte) takes the parsing path */
  while (p < end && simple) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)(eol - p);
    if (n && is_ws(p[0])) {
      simple = 0;
    } else if (n > name_len && (p[name_len] == ':' || is_ws(p[name_len])) &&
               azc__ieq(p, name_len, name, name_len)) {
      const char *v = p + name_len, *ve = eol;
      while (v < ve && is_ws(*v))
        v++;
      if (found || v == ve || *v != ':') {
        simple = 0;
      } else {
        v++;
        while (v < ve && is_ws(*v))
          v++;
        while (ve > v && is_ws(ve[-1]))
          ve--;
        found = v;
        flen = (size_t)(ve - v);
        if (memchr(v, '\r', flen) || memchr(v, '\0', flen))
          simple = 0;
      }
    }
    p = eol + 1;
  }
  if (!simple) {
    const char *full = azc_response_header(r, name, name_len, &flen);
    if (full && out_len)
      *out_len = flen;
    return full;
  }
  if (found && out_len)
    *out_len = flen;
  return found;
}

azc_request *azc_response_request(azc_response *r) { return r->request; }

const char *azc_response_url(const azc_response *r) {
  if (r->url)
    return r->url;
  return r->request ? azc_request_url(r->request) : "";
}

azc_code azc_response_set_url(azc_response *r, const char *url) {
  char *p = azc__strndup(url, strlen(url));
  if (!p)
    return AZC_ERR_NOMEM;
  free(r->url);
  r->url = p;
  return AZC_OK;
}

azc_code azc_response_set_body(azc_response *r, const char *data, size_t len) {
  r->raw.len = 0;
  if (azc_buf_append(&r->raw, data, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  r->input_eof = 1;
  return AZC_OK;
}

void azc_response_adopt_body(azc_response *r, azc_buf *ref_buf) {
  azc_buf t = r->raw;
  r->raw = *ref_buf;
  t.len = 0;
  if (t.data)
    t.data[0] = '\0';
  *ref_buf = t;
  r->input_eof = 1;
}

azc_code azc_response_set_content(azc_response *r, const char *data, size_t len) {
  r->content.len = 0;
  if (azc_buf_append(&r->content, data, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  r->input_eof = r->out_eof = 1;
  r->is_read = 1;
  return AZC_OK;
}

void azc_response_set_source(azc_response *r, const azc_body_source *src) {
  release_source(r);
  r->source = *src;
  r->has_source = 1;
  r->input_eof = 0;
}

void azc_response_set_fed(azc_response *r) {
  r->fed = 1;
  r->input_eof = 0;
}

azc_code azc_response_feed(azc_response *r, const char *data, size_t len, int eof) {
  if (len && azc_buf_append(&r->raw, data, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  if (eof)
    r->input_eof = 1;
  return AZC_OK;
}

/* Make sure raw bytes are available or input ended. NEED_INPUT for a dry fed body. */
static azc_code fill_raw(azc_response *r, size_t max, azc_read_state *out_state,
                         azc_error *out_err) {
  *out_state = AZC_READ_DATA;
  while (r->raw.len == 0 && !r->input_eof) {
    if (r->has_source) {
      int eof = 0;
      azc_code rc = r->source.pull(r->source.self, max, &r->raw, &eof, out_err);
      if (rc != AZC_OK)
        return rc;
      if (eof) {
        r->input_eof = 1;
        release_source(r); /* finished: the connection can go back to the pool now */
      }
    } else if (r->fed) {
      *out_state = AZC_READ_NEED_INPUT;
      return AZC_OK;
    } else {
      r->input_eof = 1;
    }
  }
  return AZC_OK;
}

static azc_code ensure_decoder(azc_response *r, azc_error *out_err) {
  if (!r->decoder) {
    const char *ce = azc_response_header(r, "Content-Encoding", 16, NULL);
    return azc_decoder_new(ce, &r->decoder, out_err);
  }
  return AZC_OK;
}

/* Hand out up to max bytes of `from`, appending to `out`. */
static void hand_out(azc_buf *from, size_t max, azc_buf *out, azc_code *rc) {
  size_t n = from->len < max ? from->len : max;
  *rc = azc_buf_append(out, from->data, n);
  if (*rc == AZC_OK)
    azc_buf_consume(from, n);
}

/* azure-core's stream error messages name the request (BEHAVIOR §6.7). */
static azc_code stream_error(const azc_response *r, azc_code code, azc_error *out_err) {
  const char *m = r->request ? azc_request_method(r->request) : "";
  const char *u = r->request ? azc_request_url(r->request) : "";
  if (code == AZC_ERR_STREAM_CLOSED)
    return azc_error_set(out_err, code,
                         "The content for response from request <HttpRequest [%s], url: '%s'> "
                         "can no longer be read or streamed, since the response has already "
                         "been closed.",
                         m, u);
  return azc_error_set(out_err, code,
                       "You are attempting to read or stream the content from request "
                       "<HttpRequest [%s], url: '%s'>. You have likely already consumed this "
                       "stream, so it can not be accessed anymore.",
                       m, u);
}

azc_code azc_response_next(azc_response *r, int raw, size_t max, azc_buf *ref_out,
                           azc_read_state *out_state, azc_error *out_err) {
  azc_code rc;
  *out_state = AZC_READ_EOF;
  if (max == 0)
    max = 4096;
  if (r->closed && !r->out_eof)
    return stream_error(r, AZC_ERR_STREAM_CLOSED, out_err);
  if (r->consumed || (r->is_read && !r->started))
    return stream_error(r, AZC_ERR_STREAM_CONSUMED, out_err);
  r->started = 1;
  for (;;) {
    if (!raw && r->dec.len) {
      hand_out(&r->dec, max, ref_out, &rc);
      *out_state = AZC_READ_DATA;
      return rc;
    }
    rc = fill_raw(r, max, out_state, out_err);
    if (rc != AZC_OK || *out_state == AZC_READ_NEED_INPUT)
      return rc;
    if (r->raw.len) {
      if (raw) {
        hand_out(&r->raw, max, ref_out, &rc);
        *out_state = AZC_READ_DATA;
        return rc;
      }
      if ((rc = ensure_decoder(r, out_err)) != AZC_OK)
        return rc;
      rc = azc_decoder_write(r->decoder, r->raw.data, r->raw.len, &r->dec, out_err);
      r->raw.len = 0;
      if (rc != AZC_OK)
        return rc;
      continue;
    }
    /* input ended */
    if (!raw && !r->decoder_done && r->decoder) {
      r->decoder_done = 1;
      rc = azc_decoder_finish(r->decoder, &r->dec, out_err);
      if (rc != AZC_OK)
        return rc;
      continue;
    }
    r->out_eof = 1;
    r->consumed = 1;
    *out_state = AZC_READ_EOF;
    return AZC_OK;
  }
}

azc_code azc_response_read(azc_response *r, azc_read_state *out_state, azc_error *out_err) {
  azc_code rc;
  *out_state = AZC_READ_EOF;
  if (r->is_read)
    return AZC_OK;
  if (r->closed)
    return stream_error(r, AZC_ERR_STREAM_CLOSED, out_err);
  if (r->consumed)
    return stream_error(r, AZC_ERR_STREAM_CONSUMED, out_err);
  for (;;) {
    /* fast path: an identity body already complete in memory is moved, not copied */
    if (r->input_eof && !r->has_source && r->dec.len == 0 && r->content.len == 0 && !r->decoder) {
      const char *ce = azc_response_header(r, "Content-Encoding", 16, NULL);
      if (!ce || !*ce || azc__ieq(ce, strlen(ce), "identity", 8)) {
        azc_buf t = r->content;
        r->content = r->raw;
        r->raw = t;
        r->raw.len = 0;
        break;
      }
    }
    rc = azc_response_next(r, 0, 1u << 20, &r->content, out_state, out_err);
    r->started = 0; /* reading into memory keeps the body re-readable */
    if (rc != AZC_OK)
      return rc;
    if (*out_state == AZC_READ_NEED_INPUT)
      return AZC_OK;
    if (*out_state == AZC_READ_EOF)
      break;
  }
  if (r->content.data == NULL && azc_buf_reserve(&r->content, 0) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  r->is_read = 1;
  r->consumed = 0;
  r->out_eof = 1;
  r->input_eof = 1;
  *out_state = AZC_READ_EOF;
  release_source(r);
  return AZC_OK;
}

const char *azc_response_content(const azc_response *r, size_t *out_len) {
  if (!r->is_read) {
    if (out_len)
      *out_len = 0;
    return NULL;
  }
  if (out_len)
    *out_len = r->content.len;
  return r->content.data ? r->content.data : "";
}

int azc_response_is_read(const azc_response *r) { return r->is_read; }

size_t azc_response_footprint(const azc_response *r) {
  size_t n;
  if (!r)
    return 0;
  n = sizeof *r + azc_headers_footprint(r->headers) + r->raw.cap + r->dec.cap + r->content.cap;
  if (r->head != r->head_inline)
    n += r->head_cap;
  if (r->reason != r->reason_inline)
    n += strlen(r->reason) + 1;
  if (r->url)
    n += strlen(r->url) + 1;
  return n;
}

int azc_response_is_stream_consumed(const azc_response *r) {
  return r->consumed || r->started || r->is_read;
}
int azc_response_is_closed(const azc_response *r) { return r->closed; }

void azc_response_close(azc_response *r) {
  if (r->closed)
    return;
  r->closed = 1;
  release_source(r);
  azc_buf_free(&r->raw);
  azc_buf_free(&r->dec);
}
