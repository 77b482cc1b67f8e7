/*
 * azc_multipart.c - multipart/mixed batch responses (see azc_multipart.h for the rules).
 *
 * The MIME side follows Python's email feed parser (compat32), which azure-core uses: the input
 * is read line by line through a stack of "false end of input" matchers, one per open multipart
 * (its boundary line), so an outer boundary ends every inner part. Positions stand in for the
 * feed parser's line queue: "unreading" a line is resetting the position to its start. The
 * responses embedded in parts are parsed in azc_http_message.c.
 *
 * Work is linear in the input per nesting level: every line is split once per read (a line is
 * read at most twice) and compared with at most AZC_MULTIPART_MAX_DEPTH boundaries; recursion
 * is bounded by the same depth.
 */
#include "azc_multipart_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct azc_multipart {
  azc_headers *headers;
  char ctype[128]; /* main/sub, lower-cased; longer types are kept truncated (never matched) */
  int is_multipart;
  azc_buf body;
  azc_multipart **parts;
  size_t nparts, cap;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* Python str.strip()/split() whitespace for text decoded as ASCII + surrogateescape (email). */
static int email_ws(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* The same for text decoded as ISO-8859-1 (http.client's status line): adds NEL and NBSP. */
int azc__mp_latin1_ws(unsigned char c) { return email_ws(c) || c == 0x85 || c == 0xa0; }

/* int()'s own whitespace: ASCII space and \t..\r; for str input also NEL and NBSP. */
static int int_ws(unsigned char c, int str_input) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (str_input && (c == 0x85 || c == 0xa0));
}

static unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* End of the line starting at @p i: past its CRLF, CR or LF, or @p n. */
static size_t line_end(const char *p, size_t n, size_t i) {
  while (i < n) {
    if (p[i] == '\n')
      return i + 1;
    if (p[i] == '\r')
      return (i + 1 < n && p[i + 1] == '\n') ? i + 2 : i + 1;
    i++;
  }
  return n;
}

/* Length of the line terminator at the end of [p, p + n): 2, 1 or 0. */
static size_t eol_len(const char *p, size_t n) {
  if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
    return 2;
  if (n >= 1 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
    return 1;
  return 0;
}

/* Printable excerpt of bytes for error messages (at most 60 bytes, others as \xHH). */
const char *azc__mp_excerpt(const char *p, size_t n, char *out, size_t cap) {
  size_t i, o = 0;
  for (i = 0; i < n && i < 60 && o + 5 < cap; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out[o++] = (char)c;
    } else {
      static const char hex[] = "0123456789abcdef";
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  if (i < n && o + 4 < cap) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}

/*
 * Python's int() on a field: int_ws around, an optional sign, for base 16 an optional 0x prefix
 * (an underscore may follow it), digits with single underscores between them. Values beyond
 * 2^62 saturate there (every caller treats them as "too large for the input").
 * @return 1 with *out, 0 when not a number.
 */
int azc__mp_py_int(const char *p, size_t n, int base, int str_input, int *out_neg, uint64_t *out) {
  size_t i = 0;
  uint64_t v = 0;
  int neg = 0, digits = 0, last_us = 0;
  const uint64_t cap = (uint64_t)1 << 62;
  while (i < n && int_ws((unsigned char)p[i], str_input))
    i++;
  while (n > i && int_ws((unsigned char)p[n - 1], str_input))
    n--;
  if (i < n && (p[i] == '+' || p[i] == '-'))
    neg = p[i++] == '-';
  if (base == 16 && i + 1 < n && p[i] == '0' && lower((unsigned char)p[i + 1]) == 'x') {
    i += 2;
    if (i < n && p[i] == '_') /* "0x_1f" is allowed */
      i++;
    if (i >= n) /* "0x" alone is not */
      return 0;
  }
  for (; i < n; i++) {
    int d;
    if (p[i] == '_') {
      if (!digits || last_us)
        return 0;
      last_us = 1;
      continue;
    }
    d = base == 16 ? hexval((unsigned char)p[i]) : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
    if (d < 0)
      return 0;
    v = v >= cap / (uint64_t)base ? cap : v * (uint64_t)base + (uint64_t)d;
    digits = 1;
    last_us = 0;
  }
  if (!digits || last_us)
    return 0;
  *out_neg = neg && v != 0;
  *out = v;
  return 1;
}

/* Python's email.utils.unquote of [p, p + n), appended to @p out. */
static azc_code unquote(const char *p, size_t n, azc_buf *out) {
  size_t i;
  azc_buf tmp = {0};
  azc_code rc;
  if (n > 1 && p[0] == '"' && p[n - 1] == '"') {
    /* s[1:-1].replace('\\\\', '\\').replace('\\"', '"'): two left-to-right passes */
    for (i = 1; i + 1 < n; i++) {
      if (p[i] == '\\' && i + 2 < n && p[i + 1] == '\\') {
        rc = azc_buf_append(&tmp, "\\", 1);
        i++;
      } else {
        rc = azc_buf_append(&tmp, p + i, 1);
      }
      if (rc != AZC_OK)
        goto fail;
    }
    for (i = 0; i < tmp.len; i++) {
      if (tmp.data[i] == '\\' && i + 1 < tmp.len && tmp.data[i + 1] == '"') {
        rc = azc_buf_append(out, "\"", 1);
        i++;
      } else {
        rc = azc_buf_append(out, tmp.data + i, 1);
      }
      if (rc != AZC_OK)
        goto fail;
    }
    azc_buf_free(&tmp);
    return AZC_OK;
  }
  if (n > 1 && p[0] == '<' && p[n - 1] == '>')
    return azc_buf_append(out, p + 1, n - 2);
  return azc_buf_append(out, p, n);
fail:
  azc_buf_free(&tmp);
  return rc;
}

int azc_multipart_boundary(const char *ct, size_t len, azc_buf *ref_out) {
  /* email.message._parseparam: split at ';' outside double quotes (a quote counts unless it
   * follows a backslash), then each "name=value" trimmed; the first name equal to "boundary"
   * (case-insensitively) wins. Quote counts are kept incrementally: no rescans. */
  size_t pos = 0;
  if (!ct)
    return 0;
  while (pos <= len) {
    size_t start = pos, end = pos, quotes = 0, escaped = 0, i, eq, a, b;
    int found;
    /* find this segment's end */
    for (i = start; i < len; i++) {
      if (ct[i] == ';' && i > start && (quotes - escaped) % 2 == 0)
        break;
      if (ct[i] == ';' && i == start)
        break;
      if (ct[i] == '"') {
        quotes++;
        if (i > start && ct[i - 1] == '\\')
          escaped++;
      }
    }
    end = i;
    /* the segment [start, end): name = before the first '=', trimmed */
    for (eq = start; eq < end && ct[eq] != '='; eq++)
      ;
    a = start;
    b = eq;
    while (a < b && email_ws((unsigned char)ct[a]))
      a++;
    while (b > a && email_ws((unsigned char)ct[b - 1]))
      b--;
    found = azc__ieq(ct + a, b - a, "boundary", 8);
    if (found) {
      azc_buf once = {0};
      size_t vs = eq < end ? eq + 1 : end, ve = end, k;
      int rc;
      while (vs < ve && email_ws((unsigned char)ct[vs]))
        vs++;
      while (ve > vs && email_ws((unsigned char)ct[ve - 1]))
        ve--;
      /* decode_params/get_param unquote once, collapse_rfc2231_value once more */
      rc = unquote(ct + vs, ve - vs, &once) == AZC_OK &&
           unquote(once.data ? once.data : "", once.len, ref_out) == AZC_OK;
      azc_buf_free(&once);
      if (!rc)
        return -1;
      k = ref_out->len;
      while (k > 0 && email_ws((unsigned char)ref_out->data[k - 1]))
        k--;
      ref_out->len = k;
      if (ref_out->data)
        ref_out->data[k] = '\0';
      return 1;
    }
    if (end >= len)
      break;
    pos = end + 1;
  }
  return 0;
}

/* Message.get_content_type: the value before ';', trimmed, lower-cased, exactly one '/'. */
static void content_type_of(const char *v, size_t n, const char *dflt, char *out, size_t cap) {
  size_t a = 0, b, i, slashes = 0;
  if (!v) {
    snprintf(out, cap, "%s", dflt);
    return;
  }
  for (b = 0; b < n && v[b] != ';'; b++)
    ;
  while (a < b && email_ws((unsigned char)v[a]))
    a++;
  while (b > a && email_ws((unsigned char)v[b - 1]))
    b--;
  for (i = a; i < b; i++)
    slashes += v[i] == '/';
  if (slashes != 1) {
    snprintf(out, cap, "%s", "text/plain");
    return;
  }
  /* a NUL byte is kept as '?': the type must still differ from "application/http" */
  for (i = 0; a + i < b && i + 1 < cap; i++)
    out[i] = v[a + i] ? (char)lower((unsigned char)v[a + i]) : '?';
  out[i] = '\0';
}

/* ---- header blocks (email rules) ---------------------------------------------------------- */


/* The feed parser's boundary regex: sep ("--" boundary), optional "--", [ \t]*, then the line
 * terminator or the end. @p out_close (may be NULL) receives whether "--" followed. */
static int boundary_line(const char *l, size_t n, const char *sep, size_t seplen, int *out_close) {
  size_t i = seplen;
  int close = 0;
  if (n < seplen || memcmp(l, sep, seplen) != 0)
    return 0;
  if (i + 2 <= n && l[i] == '-' && l[i + 1] == '-') {
    close = 1;
    i += 2;
  }
  while (i < n && (l[i] == ' ' || l[i] == '\t'))
    i++;
  if (i < n && l[i] == '\r' && i + 1 < n && l[i + 1] == '\n')
    i += 2;
  else if (i < n && (l[i] == '\r' || l[i] == '\n'))
    i++;
  if (i != n)
    return 0;
  if (out_close)
    *out_close = close;
  return 1;
}

/* Read the next line into [*s, *e); 0 at the end or at a line an open multipart's boundary
 * matches (left unread, as the feed parser's false EOF). */
static int rd_line(mime_in *in, size_t *s, size_t *e) {
  size_t i, end;
  if (in->pos >= in->n)
    return 0;
  end = line_end(in->p, in->n, in->pos);
  for (i = in->nsep; i-- > 0;)
    if (boundary_line(in->p + in->pos, end - in->pos, in->sep[i], in->seplen[i], NULL))
      return 0;
  *s = in->pos;
  *e = end;
  in->pos = end;
  return 1;
}

/* headerRE: "From ", or [\x21-\x39\x3b-\x7e]* then ':', or a leading space/tab. */
static int header_like(const char *l, size_t n) {
  size_t i;
  if (n >= 5 && memcmp(l, "From ", 5) == 0)
    return 1;
  if (n >= 1 && (l[0] == ' ' || l[0] == '\t'))
    return 1;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)l[i];
    if (c == ':')
      return 1;
    if (c < 0x21 || c > 0x7e)
      return 0;
  }
  return 0;
}


void azc__mp_sink_free(header_sink *hs) {
  azc_headers_unref(hs->claimed);
  azc_buf_free(&hs->cap[0]);
  azc_buf_free(&hs->cap[1]);
  azc_buf_free(&hs->value);
}

/* header_source_parse: value = first line after ':' without leading spaces/tabs, plus the
 * continuation lines; trailing CR/LF removed. Line breaks inside are dropped (unfolding) since
 * header maps hold single-line values; a value with a NUL byte cannot be stored in a map and is
 * left out of it. */
static azc_code emit_header(header_sink *hs, const char *p, size_t hstart, size_t hend) {
  size_t colon = hstart, i, e, k;
  int nul = 0;
  azc_code rc = AZC_OK;
  while (p[colon] != ':')
    colon++;
  hs->value.len = 0;
  i = colon + 1;
  while (i < hend && (p[i] == ' ' || p[i] == '\t'))
    i++;
  for (e = hend; e > i && (p[e - 1] == '\r' || p[e - 1] == '\n'); e--)
    ;
  if ((rc = azc_buf_append(&hs->value, "", 0)) != AZC_OK)
    return rc;
  for (; i < e && rc == AZC_OK; i++) {
    if (p[i] == '\r' || p[i] == '\n')
      continue;
    nul |= p[i] == '\0';
    rc = azc_buf_append(&hs->value, p + i, 1);
  }
  for (k = 0; k < 2 && rc == AZC_OK; k++) {
    if (hs->cap_name[k] && !hs->have[k] &&
        azc__ieq(p + hstart, colon - hstart, hs->cap_name[k], strlen(hs->cap_name[k]))) {
      hs->have[k] = 1;
      rc = azc_buf_append(&hs->cap[k], hs->value.data, hs->value.len);
    }
  }
  if (rc != AZC_OK)
    return rc;
  if (nul) {
    /* Message.get would return this value: a later one must not stand in for it */
    if (hs->first && !azc_headers_get(hs->first, p + hstart, colon - hstart, NULL)) {
      if (!hs->claimed && !(hs->claimed = azc_headers_new()))
        return AZC_ERR_NOMEM;
      rc = azc_headers_set(hs->claimed, p + hstart, colon - hstart, "", 0);
    }
    return rc == AZC_ERR_VALUE ? AZC_OK : rc;
  }
  if (hs->first && !azc_headers_get(hs->first, p + hstart, colon - hstart, NULL) &&
      !(hs->claimed && azc_headers_get(hs->claimed, p + hstart, colon - hstart, NULL))) {
    rc = azc_headers_set(hs->first, p + hstart, colon - hstart, hs->value.data, hs->value.len);
    if (rc == AZC_ERR_VALUE)
      rc = AZC_OK;
  }
  if (rc == AZC_OK && hs->last) {
    rc = azc_headers_set(hs->last, p + hstart, colon - hstart, hs->value.data, hs->value.len);
    if (rc == AZC_ERR_VALUE)
      rc = AZC_OK;
  }
  return rc;
}

/*
 * Read a header section from @p in (feed parser's _parsegen + _parse_headers): header-like lines
 * until a blank line (consumed) or another line (left unread). Afterwards in->pos is where the
 * body starts. A "From " line last in the section is given back to the body: when a blank line
 * was consumed after it, [*out_pre_s, *out_pre_e) is that line, to be put before the body.
 */
azc_code azc__mp_read_headers(mime_in *in, header_sink *hs, size_t *out_pre_s, size_t *out_pre_e) {
  size_t start = in->pos, hend = in->pos, nlines = 0, s, e, lineno;
  size_t cur_s = 0, cur_e = 0; /* the header being collected (first line .. last continuation) */
  int have = 0, blank = 0;
  azc_code rc;
  *out_pre_s = *out_pre_e = 0;
  while (rd_line(in, &s, &e)) {
    if (!header_like(in->p + s, e - s)) {
      if (in->p[s] == '\r' || in->p[s] == '\n')
        blank = 1; /* the separator: thrown away */
      else
        in->pos = s;
      break;
    }
    hend = e;
    nlines++;
  }
  for (s = start, lineno = 0; s < hend; s = e, lineno++) {
    e = line_end(in->p, hend, s);
    if (in->p[s] == ' ' || in->p[s] == '\t') {
      if (have)
        cur_e = e; /* a continuation; one with nothing to continue is dropped */
      continue;
    }
    if (have) {
      if ((rc = emit_header(hs, in->p, cur_s, cur_e)) != AZC_OK)
        return rc;
      have = 0;
    }
    if (e - s >= 5 && memcmp(in->p + s, "From ", 5) == 0) {
      if (lineno != 0 && lineno == nlines - 1) {
        /* probably the body's first line: give it back */
        if (blank) {
          *out_pre_s = s;
          *out_pre_e = e;
        } else {
          in->pos = s;
        }
        return AZC_OK;
      }
      continue; /* the envelope line, or a misplaced one: ignored */
    }
    if (in->p[s] == ':')
      continue; /* no name: dropped */
    cur_s = s;
    cur_e = e;
    have = 1;
  }
  if (have)
    return emit_header(hs, in->p, cur_s, cur_e);
  return AZC_OK;
}

/* ---- the MIME tree ------------------------------------------------------------------------ */

static azc_multipart *node_new(void) {
  azc_multipart *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->headers = azc_headers_new();
  if (!m->headers) {
    free(m);
    return NULL;
  }
  return m;
}

static void node_free(azc_multipart *m) {
  size_t i;
  if (!m)
    return;
  for (i = 0; i < m->nparts; i++)
    node_free(m->parts[i]);
  free(m->parts);
  azc_headers_unref(m->headers);
  azc_buf_free(&m->body);
  free(m);
}

static azc_code node_add(azc_multipart *m, azc_multipart *child) {
  if (m->nparts == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 4;
    azc_multipart **p = realloc(m->parts, cap * sizeof *p);
    if (!p)
      return AZC_ERR_NOMEM;
    m->parts = p;
    m->cap = cap;
  }
  m->parts[m->nparts++] = child;
  return AZC_OK;
}

/* get_payload(decode=True) for base64: non-alphabet bytes skipped, a completing '=' ends the
 * data, an incomplete last group decoded as far as it goes; a single dangling character makes
 * Python give up and return the text with its line breaks removed. */
static azc_code decode_base64(const char *p, size_t n, azc_buf *out) {
  static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, quad = 0, pads = 0;
  unsigned acc = 0;
  azc_code rc = AZC_OK;
  for (i = 0; i < n && rc == AZC_OK; i++) {
    const char *f;
    unsigned char c = (unsigned char)p[i];
    if (c == '=') {
      if (quad >= 2 && quad + ++pads >= 4)
        return AZC_OK;
      continue;
    }
    f = c ? memchr(alpha, c, 64) : NULL;
    if (!f)
      continue;
    pads = 0;
    acc = (acc << 6) | (unsigned)(f - alpha);
    if (quad == 1) {
      unsigned char b = (unsigned char)((acc >> 4) & 0xff);
      rc = azc_buf_append(out, &b, 1);
    } else if (quad == 2) {
      unsigned char b = (unsigned char)((acc >> 2) & 0xff);
      rc = azc_buf_append(out, &b, 1);
    } else if (quad == 3) {
      unsigned char b = (unsigned char)(acc & 0xff);
      rc = azc_buf_append(out, &b, 1);
    }
    quad = (quad + 1) & 3;
  }
  if (rc == AZC_OK && quad == 1) {
    out->len = 0;
    for (i = 0; i < n && rc == AZC_OK; i++)
      if (p[i] != '\r' && p[i] != '\n')
        rc = azc_buf_append(out, p + i, 1);
  }
  return rc;
}

/* binascii.a2b_qp: "=XX" hex escapes, "=" + line end a soft break, "==" one '=', others kept. */
static azc_code decode_qp(const char *p, size_t n, azc_buf *out) {
  size_t i = 0;
  azc_code rc = AZC_OK;
  while (i < n && rc == AZC_OK) {
    if (p[i] != '=') {
      rc = azc_buf_append(out, p + i, 1);
      i++;
      continue;
    }
    if (++i >= n)
      break;
    if (p[i] == '\n' || p[i] == '\r') {
      if (p[i] != '\n')
        while (i < n && p[i] != '\n')
          i++;
      if (i < n)
        i++;
    } else if (p[i] == '=') {
      rc = azc_buf_append(out, "=", 1);
      i++;
    } else if (i + 1 < n && hexval((unsigned char)p[i]) >= 0 &&
               hexval((unsigned char)p[i + 1]) >= 0) {
      unsigned char b =
          (unsigned char)(hexval((unsigned char)p[i]) * 16 + hexval((unsigned char)p[i + 1]));
      rc = azc_buf_append(out, &b, 1);
      i += 2;
    } else {
      rc = azc_buf_append(out, "=", 1);
    }
  }
  return rc;
}

/* Store a leaf's body: @p pre (a given-back "From " line) then [s, e), one trailing line end
 * dropped when @p strip (it belongs to the next boundary), decoded per the transfer encoding. */
static azc_code set_leaf_body(azc_multipart *m, const azc_buf *cte, const char *pre, size_t pre_len,
                              const char *p, size_t s, size_t e, int strip) {
  azc_buf raw = {0};
  azc_code rc = azc_buf_append(&raw, pre ? pre : "", pre_len);
  if (rc == AZC_OK)
    rc = azc_buf_append(&raw, p + s, e - s);
  if (rc != AZC_OK) {
    azc_buf_free(&raw);
    return rc;
  }
  if (strip)
    raw.len -= eol_len(raw.data, raw.len);
  if (cte && azc__ieq(cte->data, cte->len, "base64", 6)) {
    rc = decode_base64(raw.data, raw.len, &m->body);
  } else if (cte && azc__ieq(cte->data, cte->len, "quoted-printable", 16)) {
    rc = decode_qp(raw.data, raw.len, &m->body);
  } else {
    rc = azc_buf_append(&m->body, raw.data, raw.len);
  }
  azc_buf_free(&raw);
  if (rc == AZC_OK && !m->body.data)
    rc = azc_buf_append(&m->body, "", 0);
  return rc;
}

/* Skip to the end of the current input (the next false EOF): what the parser reads but drops. */
static void drain(mime_in *in) {
  size_t s, e;
  while (rd_line(in, &s, &e))
    ;
}

static azc_code parse_part(mime_in *in, azc_multipart *m, const char *dflt, int depth,
                           azc_error *err);

/* The body of @p m, whose headers are set: a multipart's parts, or a leaf's bytes. */
static azc_code parse_content(mime_in *in, azc_multipart *m, int depth, const char *ctype_value,
                              size_t ctype_len, const azc_buf *cte, size_t pre_s, size_t pre_e,
                              int is_root, azc_error *err) {
  size_t body_start = in->pos, pre_end = 0, s, e;
  azc_buf sep = {0};
  int capturing = 1, closed = 0, rb;
  azc_code rc = AZC_OK;
  const char *child_dflt;

  if (strncmp(m->ctype, "multipart/", 10) != 0) {
    drain(in);
    return set_leaf_body(m, cte, in->p + pre_s, pre_e - pre_s, in->p, body_start, in->pos,
                         !is_root);
  }
  rc = azc_buf_append(&sep, "--", 2);
  rb = rc == AZC_OK ? azc_multipart_boundary(ctype_value, ctype_len, &sep) : -1;
  if (rb < 0) {
    azc_buf_free(&sep);
    return azc_error_set(err, AZC_ERR_NOMEM, "out of memory");
  }
  if (rb == 0) {
    azc_buf_free(&sep);
    drain(in);
    if (is_root)
      return azc_error_set(err, AZC_ERR_DECODE,
                           "multipart body: the Content-Type has no boundary parameter");
    return set_leaf_body(m, cte, in->p + pre_s, pre_e - pre_s, in->p, body_start, in->pos, 0);
  }
  if (depth > AZC_MULTIPART_MAX_DEPTH) {
    azc_buf_free(&sep);
    return azc_error_set(err, AZC_ERR_DECODE, "multipart body: nested deeper than %d levels",
                         AZC_MULTIPART_MAX_DEPTH);
  }
  child_dflt = strcmp(m->ctype, "multipart/digest") == 0 ? "message/rfc822" : "text/plain";
  while (rc == AZC_OK && rd_line(in, &s, &e)) {
    int close = 0;
    azc_multipart *child;
    if (!boundary_line(in->p + s, e - s, sep.data, sep.len, &close)) {
      continue; /* preamble (the parser never sees other lines here) */
    }
    if (close) {
      closed = 1;
      pre_end = s;
      break;
    }
    if (capturing) {
      capturing = 0;
      in->pos = s; /* read it again as the first delimiter */
      continue;
    }
    /* a run of boundary lines delimits no empty parts */
    while (rd_line(in, &s, &e)) {
      if (!boundary_line(in->p + s, e - s, sep.data, sep.len, NULL)) {
        in->pos = s;
        break;
      }
    }
    child = node_new();
    if (!child) {
      rc = azc_error_set(err, AZC_ERR_NOMEM, "out of memory");
      break;
    }
    if ((rc = node_add(m, child)) != AZC_OK) {
      node_free(child);
      rc = azc_error_set(err, AZC_ERR_NOMEM, "out of memory");
      break;
    }
    in->sep[in->nsep] = sep.data;
    in->seplen[in->nsep] = sep.len;
    in->nsep++;
    rc = parse_part(in, child, child_dflt, depth + 1, err);
    in->nsep--;
  }
  /* a missing close delimiter is tolerated, as in Python: the parts so far are kept */
  if (rc == AZC_OK) {
    if (!closed)
      pre_end = in->pos;
    drain(in); /* the epilogue */
    if (capturing) {
      if (is_root) {
        rc = azc_error_set(err, AZC_ERR_DECODE,
                           "multipart body: the first boundary line '--%s' was not found",
                           sep.data + 2);
      } else {
        /* the parser keeps the preamble as the payload of a defective multipart */
        rc = set_leaf_body(m, cte, in->p + pre_s, pre_e - pre_s, in->p, body_start, pre_end, 0);
      }
    } else {
      m->is_multipart = 1;
    }
  }
  azc_buf_free(&sep);
  return rc;
}

static azc_code parse_part(mime_in *in, azc_multipart *m, const char *dflt, int depth,
                           azc_error *err) {
  header_sink hs;
  size_t pre_s, pre_e;
  azc_code rc;
  memset(&hs, 0, sizeof hs);
  hs.first = m->headers;
  hs.cap_name[0] = "Content-Type";
  hs.cap_name[1] = "Content-Transfer-Encoding";
  rc = azc__mp_read_headers(in, &hs, &pre_s, &pre_e);
  if (rc != AZC_OK) {
    azc__mp_sink_free(&hs);
    return azc_error_set(err, rc, "out of memory");
  }
  content_type_of(hs.have[0] ? hs.cap[0].data : NULL, hs.cap[0].len, dflt, m->ctype,
                  sizeof m->ctype);
  rc = parse_content(in, m, depth, hs.cap[0].data, hs.cap[0].len, hs.have[1] ? &hs.cap[1] : NULL,
                     pre_s, pre_e, 0, err);
  azc__mp_sink_free(&hs);
  return rc;
}

/* A content type holding a line break: parse "Content-Type: <value>" CRLF CRLF <body> as one
 * message, exactly as azure-core hands it to the email parser (what follows the break may end
 * the headers, or start the body). Real header values never get here. */
static azc_code parse_with_header_text(const char *ct, size_t ct_len, const char *body,
                                       size_t body_len, azc_multipart *root, azc_error *err) {
  azc_buf text = {0};
  header_sink hs;
  mime_in in;
  size_t pre_s, pre_e;
  azc_code rc;
  memset(&hs, 0, sizeof hs);
  if (azc_buf_puts(&text, "Content-Type: ") != AZC_OK ||
      azc_buf_append(&text, ct, ct_len) != AZC_OK || azc_buf_puts(&text, "\r\n\r\n") != AZC_OK ||
      azc_buf_append(&text, body, body_len) != AZC_OK) {
    azc_buf_free(&text);
    return azc_error_set(err, AZC_ERR_NOMEM, "out of memory");
  }
  memset(&in, 0, sizeof in);
  in.p = text.data;
  in.n = text.len;
  hs.first = root->headers;
  hs.cap_name[0] = "Content-Type";
  rc = azc__mp_read_headers(&in, &hs, &pre_s, &pre_e);
  if (rc != AZC_OK) {
    rc = azc_error_set(err, rc, "out of memory");
  } else {
    content_type_of(hs.have[0] ? hs.cap[0].data : NULL, hs.cap[0].len, "text/plain", root->ctype,
                    sizeof root->ctype);
    if (strncmp(root->ctype, "multipart/", 10) != 0)
      rc =
          azc_error_set(err, AZC_ERR_DECODE, "multipart body: the content type is %s", root->ctype);
    else
      rc = parse_content(&in, root, 1, hs.cap[0].data, hs.cap[0].len, NULL, pre_s, pre_e, 1, err);
  }
  azc__mp_sink_free(&hs);
  azc_buf_free(&text);
  return rc;
}

azc_code azc_multipart_parse(const char *content_type, size_t ct_len, const char *body,
                             size_t body_len, azc_multipart **out_root, azc_error *out_err) {
  mime_in in;
  azc_multipart *root;
  azc_code rc;
  size_t a = 0;
  *out_root = NULL;
  if (!content_type)
    return azc_error_set(out_err, AZC_ERR_ARG, "multipart body: no content type");
  if (!body) {
    body = "";
    body_len = 0;
  }
  root = node_new();
  if (!root)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  if (memchr(content_type, '\r', ct_len) || memchr(content_type, '\n', ct_len)) {
    rc = parse_with_header_text(content_type, ct_len, body, body_len, root, out_err);
    if (rc != AZC_OK) {
      node_free(root);
      return rc;
    }
    *out_root = root;
    return AZC_OK;
  }
  /* "Content-Type: <value>" parsed as a header line: leading spaces/tabs dropped */
  while (a < ct_len && (content_type[a] == ' ' || content_type[a] == '\t'))
    a++;
  rc = azc_headers_set(root->headers, "Content-Type", 12, content_type + a, ct_len - a);
  if (rc == AZC_ERR_NOMEM) {
    node_free(root);
    return azc_error_set(out_err, rc, "out of memory");
  }
  content_type_of(content_type + a, ct_len - a, "text/plain", root->ctype, sizeof root->ctype);
  if (strncmp(root->ctype, "multipart/", 10) != 0) {
    azc_error_set(out_err, AZC_ERR_DECODE, "multipart body: the content type is %s", root->ctype);
    node_free(root);
    return AZC_ERR_DECODE;
  }
  memset(&in, 0, sizeof in);
  in.p = body;
  in.n = body_len;
  rc = parse_content(&in, root, 1, content_type + a, ct_len - a, NULL, 0, 0, 1, out_err);
  if (rc != AZC_OK) {
    node_free(root);
    return rc;
  }
  *out_root = root;
  return AZC_OK;
}

void azc_multipart_free(azc_multipart *root) { node_free(root); }

int azc_multipart_is_multipart(const azc_multipart *m) { return m ? m->is_multipart : 0; }

size_t azc_multipart_count(const azc_multipart *m) { return m ? m->nparts : 0; }

const azc_multipart *azc_multipart_part(const azc_multipart *m, size_t i) {
  return m && i < m->nparts ? m->parts[i] : NULL;
}

const char *azc_multipart_content_type(const azc_multipart *m) { return m ? m->ctype : ""; }

const azc_headers *azc_multipart_headers(const azc_multipart *m) { return m ? m->headers : NULL; }

const char *azc_multipart_body(const azc_multipart *m, size_t *out_len) {
  if (out_len)
    *out_len = m && m->body.data ? m->body.len : 0;
  return m && m->body.data ? m->body.data : "";
}
