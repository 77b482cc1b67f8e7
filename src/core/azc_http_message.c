/*
 * azc_http_message.c - an HTTP response embedded in a multipart/mixed part, read as
 * http.client reads one: LF-terminated lines, its line and header limits, and int()'s number
 * syntax, since those decide which inputs azure-core accepts; its headers follow the email rules
 * of the multipart side (azc__mp_read_headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azc_multipart_internal.h"

#define HTTP_MAXLINE 65536
#define HTTP_MAXHEADERS 100

/* ---- embedded HTTP responses (http.client rules) ------------------------------------------ */

/* readline(_MAXLINE + 1) on the part body: up to and including LF. 0 when longer than allowed. */
static int http_line(const char *p, size_t n, size_t *pos, size_t *s, size_t *e) {
  size_t lim = n - *pos > HTTP_MAXLINE + 1 ? *pos + HTTP_MAXLINE + 1 : n;
  const char *nl = memchr(p + *pos, '\n', lim - *pos);
  *s = *pos;
  *e = nl ? (size_t)(nl - p) + 1 : lim;
  *pos = *e;
  return *e - *s <= HTTP_MAXLINE;
}

static int http_blank(const char *p, size_t s, size_t e) {
  return e == s || (e - s == 1 && p[s] == '\n') || (e - s == 2 && p[s] == '\r' && p[s + 1] == '\n');
}

/* _read_headers: lines up to a blank one (or the end), at most 100 counting that one. */
static azc_code http_header_lines(const char *p, size_t n, size_t *pos, azc_error *err) {
  size_t count = 0, s, e;
  for (;;) {
    if (!http_line(p, n, pos, &s, &e))
      return azc_error_set(err, AZC_ERR_DECODE, "embedded response: header line too long");
    if (++count > HTTP_MAXHEADERS)
      return azc_error_set(err, AZC_ERR_DECODE, "embedded response: got more than %d headers",
                           HTTP_MAXHEADERS);
    if (http_blank(p, s, e))
      return AZC_OK;
  }
}

/* _read_status: "version status [reason]" split on whitespace; reason stripped. The version
 * token is [*out_vs, *out_ve): begin() checks it only for the final (non-100) response. */
static azc_code http_status(const char *p, size_t s, size_t e, int *out_status, size_t *out_vs,
                            size_t *out_ve, size_t *out_rs, size_t *out_re, azc_error *err) {
  size_t vs, ve, ss, se, i = s;
  uint64_t v;
  int neg;
  char ex[256];
  while (i < e && azc__mp_latin1_ws((unsigned char)p[i]))
    i++;
  vs = i;
  while (i < e && !azc__mp_latin1_ws((unsigned char)p[i]))
    i++;
  ve = i;
  while (i < e && azc__mp_latin1_ws((unsigned char)p[i]))
    i++;
  ss = i;
  while (i < e && !azc__mp_latin1_ws((unsigned char)p[i]))
    i++;
  se = i;
  while (i < e && azc__mp_latin1_ws((unsigned char)p[i]))
    i++;
  *out_rs = i;
  while (e > i && azc__mp_latin1_ws((unsigned char)p[e - 1]))
    e--;
  *out_re = e;
  *out_vs = vs;
  *out_ve = ve;
  if (ss == se || ve - vs < 5 || memcmp(p + vs, "HTTP/", 5) != 0 ||
      !azc__mp_py_int(p + ss, se - ss, 10, 1, &neg, &v) || neg || v < 100 || v > 999)
    return azc_error_set(err, AZC_ERR_DECODE, "embedded response: bad status line '%s'",
                         azc__mp_excerpt(p + s, e - s, ex, sizeof ex));
  *out_status = (int)v;
  return AZC_OK;
}

static azc_code incomplete(azc_error *err, size_t got, const char *what) {
  return azc_error_set(err, AZC_ERR_DECODE,
                       "embedded response: incomplete body (%zu bytes read, %s)", got, what);
}

/* _read_chunked: size lines (hex, ';' extensions cut), each chunk followed by two bytes that are
 * skipped unchecked, a zero size ends it, then trailer lines up to a blank one. */
static azc_code http_chunked(const char *p, size_t n, size_t pos, azc_buf *out, azc_error *err) {
  int first = 1;
  for (;;) {
    size_t s, e, cut;
    uint64_t size;
    int neg;
    const char *semi;
    if (!first) {
      if (n - pos < 2)
        return incomplete(err, out->len, "chunk end missing");
      pos += 2;
    }
    first = 0;
    if (!http_line(p, n, &pos, &s, &e))
      return azc_error_set(err, AZC_ERR_DECODE, "embedded response: chunk size line too long");
    semi = memchr(p + s, ';', e - s);
    cut = semi ? (size_t)(semi - p) : e;
    if (!azc__mp_py_int(p + s, cut - s, 16, 0, &neg, &size) || neg)
      return incomplete(err, out->len, "bad chunk size");
    if (size == 0)
      break;
    if (size > n - pos)
      return incomplete(err, out->len, "chunk shorter than its size");
    if (azc_buf_append(out, p + pos, (size_t)size) != AZC_OK)
      return azc_error_set(err, AZC_ERR_NOMEM, "out of memory");
    pos += (size_t)size;
  }
  for (;;) {
    size_t s, e;
    if (!http_line(p, n, &pos, &s, &e))
      return azc_error_set(err, AZC_ERR_DECODE, "embedded response: trailer line too long");
    if (http_blank(p, s, e))
      return AZC_OK;
  }
}

azc_code azc_multipart_parse_http_response(const char *data, size_t len, azc_request *request,
                                           azc_response **out_resp, azc_error *out_err) {
  size_t pos = 0, s, e, rs, re, vs, ve, hstart, pre_s, pre_e;
  int status = 0, chunked = 0, is_head;
  char ex[256];
  header_sink hs;
  mime_in in;
  azc_response *r = NULL;
  azc_buf body = {0};
  azc_code rc;
  *out_resp = NULL;
  if (!data) {
    data = "";
    len = 0;
  }
  /* interim "100 Continue" responses are skipped */
  for (;;) {
    if (!http_line(data, len, &pos, &s, &e))
      return azc_error_set(out_err, AZC_ERR_DECODE, "embedded response: status line too long");
    if (s == e)
      return azc_error_set(out_err, AZC_ERR_DECODE, "embedded response: no status line");
    rc = http_status(data, s, e, &status, &vs, &ve, &rs, &re, out_err);
    if (rc != AZC_OK)
      return rc;
    if (status != 100)
      break;
    if ((rc = http_header_lines(data, len, &pos, out_err)) != AZC_OK)
      return rc;
  }
  if (!((ve - vs == 8 &&
         (memcmp(data + vs, "HTTP/1.0", 8) == 0 || memcmp(data + vs, "HTTP/0.9", 8) == 0)) ||
        (ve - vs >= 7 && memcmp(data + vs, "HTTP/1.", 7) == 0)))
    return azc_error_set(out_err, AZC_ERR_DECODE, "embedded response: unknown protocol '%s'",
                         azc__mp_excerpt(data + vs, ve - vs, ex, sizeof ex));
  hstart = pos;
  if ((rc = http_header_lines(data, len, &pos, out_err)) != AZC_OK)
    return rc;
  memset(&hs, 0, sizeof hs);
  r = azc_response_new(status, NULL, request);
  if (!r || azc_response_set_reason(r, data + rs, re - rs) != AZC_OK)
    goto nomem;
  /* the header block is parsed as an email header section (http.client.parse_headers) */
  memset(&in, 0, sizeof in);
  in.p = data;
  in.n = pos;
  in.pos = hstart;
  hs.last = azc_response_headers(r);
  if (!hs.last)
    goto nomem;
  hs.cap_name[0] = "Transfer-Encoding";
  hs.cap_name[1] = "Content-Length";
  rc = azc__mp_read_headers(&in, &hs, &pre_s, &pre_e);
  if (rc != AZC_OK)
    goto nomem;
  chunked = hs.have[0] && azc__ieq(hs.cap[0].data, hs.cap[0].len, "chunked", 7);
  is_head = request && strcmp(azc_request_method(request), "HEAD") == 0;
  if (is_head) {
    rc = AZC_OK;
  } else if (chunked) {
    rc = http_chunked(data, len, pos, &body, out_err);
  } else {
    uint64_t clen = 0;
    int neg = 0, have_len = 0;
    if (hs.have[1] && hs.cap[1].len && azc__mp_py_int(hs.cap[1].data, hs.cap[1].len, 10, 1, &neg, &clen) &&
        !neg)
      have_len = 1;
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
      have_len = 1;
      clen = 0;
    }
    if (!have_len) {
      rc = azc_buf_append(&body, data + pos, len - pos);
    } else if (clen > len - pos) {
      rc = incomplete(out_err, len - pos, "shorter than its Content-Length");
    } else {
      rc = azc_buf_append(&body, data + pos, (size_t)clen);
    }
    if (rc == AZC_ERR_NOMEM)
      goto nomem;
  }
  if (rc == AZC_OK)
    rc = azc_response_set_content(r, body.data ? body.data : "", body.len);
  if (rc == AZC_ERR_NOMEM)
    goto nomem;
  azc_buf_free(&body);
  azc__mp_sink_free(&hs);
  if (rc != AZC_OK) {
    azc_response_unref(r);
    return rc;
  }
  *out_resp = r;
  return AZC_OK;
nomem:
  azc_buf_free(&body);
  azc__mp_sink_free(&hs);
  azc_response_unref(r);
  return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
}
