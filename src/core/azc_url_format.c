/*
 * azc_url_format.c - PipelineClient.format_url (BEHAVIOR §2.3): URL templates and the join of a
 * relative result to the base URL, as azure-core does them over urlparse/urlunparse.
 */
#include <stdlib.h>
#include <string.h>

#include "azc_url_internal.h"

/* ------------------------------------------------------------------------------------------ */
/* PipelineClient.format_url (BEHAVIOR §2.3)                                                  */

/*
 * The subset of Python's str.format that URL templates use: `{name}` fields and `{{`/`}}`
 * escapes, scanned left to right (literal, field, lookup, next literal ...) so that the first
 * problem found is the one Python reports, with its message. A field whose value is missing stops
 * the scan with AZC_ERR_VALUE and out_missing set (no message: the caller decides what a missing
 * value means). Format specs, conversions, attribute/index access and positional fields are
 * refused.
 */
static azc_code format_template(const char *t, size_t n, azc_url_lookup_fn lookup, void *ud,
                                azc_buf *out, azc_slice *out_missing, azc_error *out_err) {
  size_t i = 0;
  out_missing->present = 0;
  while (i < n) {
    size_t j, name_len, k, vlen = 0;
    const char *name, *v;
    char term;
    if ((t[i] == '{' || t[i] == '}') && i + 1 < n && t[i + 1] == t[i]) {
      if (azc_buf_append(out, t + i, 1) != AZC_OK)
        return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      i += 2;
      continue;
    }
    if (t[i] == '}')
      return azc_error_set(out_err, AZC_ERR_VALUE, "Single '}' encountered in format string");
    if (t[i] != '{') {
      for (j = i; j < n && t[j] != '{' && t[j] != '}'; j++)
        ;
      if (azc_buf_append(out, t + i, j - i) != AZC_OK)
        return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      i = j;
      continue;
    }
    if (i + 1 == n)
      return azc_error_set(out_err, AZC_ERR_VALUE, "Single '{' encountered in format string");
    /* The field, scanned as CPython's parse_field does so that syntax errors read the same. */
    name = t + i + 1;
    term = 0;
    for (j = i + 1; j < n && !term;) {
      char c = t[j++];
      if (c == '{')
        return azc_error_set(out_err, AZC_ERR_VALUE, "unexpected '{' in field name");
      if (c == '[')
        while (j < n && t[j] != ']')
          j++;
      else if (c == '}' || c == ':' || c == '!')
        term = c;
    }
    if (!term)
      return azc_error_set(out_err, AZC_ERR_VALUE, "expected '}' before end of string");
    name_len = (size_t)(t + j - 1 - name);
    if (term != '}') {
      int depth = 1;
      if (term == '!') {
        if (j >= n)
          return azc_error_set(out_err, AZC_ERR_VALUE,
                               "end of string while looking for conversion specifier");
        j++; /* the conversion character */
        if (j < n) {
          char c = t[j++];
          if (c == '}')
            depth = 0; /* "{a!r}" is complete */
          else if (c != ':')
            return azc_error_set(out_err, AZC_ERR_VALUE, "expected ':' after conversion specifier");
        }
      }
      while (depth && j < n) {
        if (t[j] == '{')
          depth++;
        else if (t[j] == '}')
          depth--;
        j++;
      }
      if (depth)
        return azc_error_set(out_err, AZC_ERR_VALUE, "unmatched '{' in format spec");
      /* Syntactically fine, but conversions and format specs are not supported. */
      return azc_error_set(out_err, AZC_ERR_VALUE,
                           "Unsupported url template field '{%.*s}': only {name} is supported",
                           azc__url_key_len_for_message(j - i - 2), name);
    }
    for (k = 0; k < name_len; k++)
      if (name[k] == '.' || name[k] == '[')
        return azc_error_set(out_err, AZC_ERR_VALUE,
                             "Unsupported url template field '{%.*s}': only {name} is supported",
                             azc__url_key_len_for_message(name_len), name);
    for (k = 0; k < name_len && azc__url_is_digit((unsigned char)name[k]); k++)
      ;
    if (k == name_len) { /* "{}" or "{0}": positional, and format_url passes none */
      while (name_len > 1 && name[0] == '0') {
        name++;
        name_len--;
      }
      return azc_error_set(out_err, AZC_ERR_VALUE,
                           "Replacement index %.*s out of range for positional args tuple",
                           name_len ? azc__url_key_len_for_message(name_len) : 1, name_len ? name : "0");
    }
    v = lookup(ud, name, name_len, &vlen);
    if (!v) {
      *out_missing = azc__url_slice(name, name_len);
      return AZC_ERR_VALUE;
    }
    if (azc_buf_append(out, v, vlen) != AZC_OK)
      return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    i = j; /* just past the field's '}' */
  }
  return AZC_OK;
}

static int segment_has_field(const char *seg, size_t len, const char *name, size_t name_len) {
  size_t k;
  for (k = 0; k + name_len + 2 <= len; k++)
    if (seg[k] == '{' && seg[k + name_len + 1] == '}' && !memcmp(seg + k + 1, name, name_len))
      return 1;
  return 0;
}

/*
 * _format_url_section's retry step: drop every '/'-separated segment of @p ref_tmpl that
 * contains the text "{name}", in place. @return how many were dropped.
 */
static size_t drop_segments(azc_buf *ref_tmpl, const char *name, size_t name_len) {
  char *d = ref_tmpl->data;
  size_t r = 0, w = 0, dropped = 0;
  int first = 1;
  for (;;) {
    size_t e = r;
    while (e < ref_tmpl->len && d[e] != '/')
      e++;
    if (segment_has_field(d + r, e - r, name, name_len)) {
      dropped++;
    } else {
      if (!first)
        d[w++] = '/';
      memmove(d + w, d + r, e - r);
      w += e - r;
      first = 0;
    }
    if (e == ref_tmpl->len)
      break;
    r = e + 1;
  }
  ref_tmpl->len = w;
  d[w] = '\0';
  return dropped;
}

static int scheme_in(azc_slice scheme, const char *const *list) {
  for (; *list; list++)
    if (azc__ieq(scheme.ptr, scheme.len, *list, strlen(*list)))
      return 1;
  return 0;
}

/* urllib.parse.uses_params and uses_netloc (Python 3.11), which steer urlparse/urlunsplit. */
static const char *const uses_params[] = {"",      "ftp",   "hdl",  "prospero", "http", "imap",
                                          "https", "shttp", "rtsp", "rtspu",    "sip",  "sips",
                                          "mms",   "sftp",  "tel",  NULL};
static const char *const uses_netloc[] = {
    "",        "ftp",   "http",  "gopher", "nntp",     "telnet", "imap",  "wais",  "file",
    "mms",     "https", "shttp", "snews",  "prospero", "rtsp",   "rtspu", "rsync", "svn",
    "svn+ssh", "sftp",  "nfs",   "git",    "git+ssh",  "ws",     "wss",   NULL};

/*
 * azure-core's _urljoin: urlparse(base), path = path.rstrip("/") + "/" + stub, geturl(). The
 * round trip through urlparse/urlunparse is kept faithfully: the scheme comes back lower-cased,
 * ";params" of the last path segment move after the new path, an empty query or fragment
 * disappears. Newest behaviour (azure-core after 1.26): a query in the stub is split off and
 * appended to the base URL's query ("base&stub") instead of landing inside the path (1.26.3
 * gave ".../items?page=2?api-version=1").
 */
static azc_code url_join(const char *base, size_t blen, const char *stub, size_t slen,
                         azc_buf *ref_out, azc_error *out_err) {
  url_split s;
  azc_slice path, params = {NULL, 0, 0}, stub_query = {NULL, 0, 0};
  azc_buf np = {NULL, 0, 0};
  size_t i;
  int fail = 0;
  const char *q = azc__url_find_byte(stub, slen, '?');
  if (q) {
    stub_query = azc__url_slice(q + 1, (size_t)(stub + slen - q - 1));
    slen = (size_t)(q - stub);
  }
  if (azc__url_split_url(base, blen, &s) != AZC_OK)
    return azc__url_split_error(&s, out_err);
  path = s.path;
  if (scheme_in(s.scheme, uses_params) && azc__url_find_byte(path.ptr, path.len, ';')) {
    const char *slash = azc__url_find_last_byte(path.ptr, path.len, '/');
    const char *from = slash ? slash : path.ptr;
    const char *semi = azc__url_find_byte(from, (size_t)(path.ptr + path.len - from), ';');
    if (semi) {
      params = azc__url_slice(semi + 1, (size_t)(path.ptr + path.len - semi - 1));
      path.len = (size_t)(semi - path.ptr);
    }
  }
  while (path.len && path.ptr[path.len - 1] == '/')
    path.len--;
  fail |= azc__url_put_slice(&np, path) != AZC_OK;
  fail |= azc_buf_append(&np, "/", 1) != AZC_OK;
  fail |= azc_buf_append(&np, stub, slen) != AZC_OK;
  if (params.len) {
    fail |= azc_buf_append(&np, ";", 1) != AZC_OK;
    fail |= azc__url_put_slice(&np, params) != AZC_OK;
  }
  if (fail) {
    azc_buf_free(&np);
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  }
  for (i = 0; i < s.scheme.len; i++) {
    char c = s.scheme.ptr[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c + 32);
    fail |= azc_buf_append(ref_out, &c, 1) != AZC_OK;
  }
  if (s.scheme.len)
    fail |= azc_buf_append(ref_out, ":", 1) != AZC_OK;
  /* urlunsplit: "//" + netloc when there is one, or for netloc schemes (even without one). */
  if (s.netloc.len || (s.scheme.len && scheme_in(s.scheme, uses_netloc) &&
                       !(np.len >= 2 && np.data[0] == '/' && np.data[1] == '/'))) {
    fail |= azc_buf_append(ref_out, "//", 2) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, s.netloc) != AZC_OK;
    if (np.data[0] != '/')
      fail |= azc_buf_append(ref_out, "/", 1) != AZC_OK;
  }
  fail |= azc_buf_append(ref_out, np.data, np.len) != AZC_OK;
  if (s.query.len || stub_query.len) {
    fail |= azc_buf_append(ref_out, "?", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, s.query) != AZC_OK;
    if (s.query.len && stub_query.len)
      fail |= azc_buf_append(ref_out, "&", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, stub_query) != AZC_OK;
  }
  if (s.fragment.len) {
    fail |= azc_buf_append(ref_out, "#", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, s.fragment) != AZC_OK;
  }
  azc_buf_free(&np);
  return fail ? azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory") : AZC_OK;
}

/* Format the base URL; there a missing placeholder is an error, not a segment to drop. */
static azc_code format_base(const char *base_url, azc_url_lookup_fn lookup, void *ud, azc_buf *out,
                            azc_error *out_err) {
  azc_slice missing;
  azc_code rc = format_template(base_url, strlen(base_url), lookup, ud, out, &missing, out_err);
  if (rc != AZC_OK && missing.present)
    rc = azc_error_set(out_err, AZC_ERR_VALUE,
                       "The value provided for the url part %.*s was incorrect, and resulted in "
                       "an invalid url",
                       azc__url_key_len_for_message(missing.len), missing.ptr);
  return rc;
}

azc_code azc_url_format(const char *base_url, const char *tmpl, azc_url_lookup_fn lookup, void *ud,
                        azc_buf *ref_out, azc_error *out_err) {
  azc_buf cur = {NULL, 0, 0}, res = {NULL, 0, 0}, base = {NULL, 0, 0}, name = {NULL, 0, 0};
  azc_code rc;
  size_t mark, rounds;
  if (!base_url || !tmpl || !lookup || !ref_out)
    return azc_error_set(out_err, AZC_ERR_ARG, "invalid argument to format_url");
  mark = ref_out->len;
  if (azc_buf_puts(&cur, tmpl) != AZC_OK || azc_buf_reserve(&res, 0) != AZC_OK) {
    rc = azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    goto done;
  }
  /* Each round drops at least one segment, so there are at most (number of '/') + 2 rounds. */
  for (rounds = 0;; rounds++) {
    azc_slice missing;
    res.len = 0;
    rc = format_template(cur.data, cur.len, lookup, ud, &res, &missing, out_err);
    if (rc == AZC_OK)
      break;
    if (!missing.present)
      goto done;
    name.len = 0;
    if (azc_buf_append(&name, missing.ptr, missing.len) != AZC_OK) {
      rc = azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      goto done;
    }
    if (!drop_segments(&cur, name.data, name.len) || rounds > cur.len + 2) {
      /* "{a/b}" spans two segments: Python loops forever here. */
      rc = azc_error_set(out_err, AZC_ERR_VALUE,
                         "No value for url template field {%.*s}, which spans a '/' and cannot be "
                         "removed",
                         azc__url_key_len_for_message(name.len), name.data);
      goto done;
    }
  }
  if (res.len == 0) { /* nothing left of the template: the formatted base URL */
    rc = format_base(base_url, lookup, ud, ref_out, out_err);
  } else {
    url_split s;
    size_t lead = 0;
    if (azc__url_split_url(res.data, res.len, &s) != AZC_OK) {
      rc = azc__url_split_error(&s, out_err);
      goto done;
    }
    if (s.scheme.len && s.netloc.len) {
      rc = azc_buf_append(ref_out, res.data, res.len) != AZC_OK
               ? azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory")
               : AZC_OK;
      goto done;
    }
    while (lead < res.len && res.data[lead] == '/')
      lead++;
    rc = format_base(base_url, lookup, ud, &base, out_err);
    if (rc != AZC_OK)
      goto done;
    while (base.len && base.data[base.len - 1] == '/')
      base.len--;
    rc = url_join(base.data ? base.data : "", base.len, res.data + lead, res.len - lead, ref_out,
                  out_err);
  }
done:
  if (rc != AZC_OK)
    azc__url_truncate_to(ref_out, mark);
  azc_buf_free(&cur);
  azc_buf_free(&res);
  azc_buf_free(&base);
  azc_buf_free(&name);
  return rc;
}
