/*
 * azc_url.c - URL splitting and composing, percent-encoding, and azure-core's query rules
 * (format_parameters); format_url is in azc_url_format.c.
 *
 * Splitting follows Python's urllib.parse.urlsplit (what azure-core calls everywhere), so that
 * "is this absolute", "what is the query" and "where does the base path end" get the answers
 * azure-core gets: the scheme is the text before the first ':' when it is a valid scheme, the
 * authority (netloc) exists only after "//", the fragment is cut at the first '#' and the query
 * at the first '?' before it. Leading control characters and spaces are skipped as urlsplit does;
 * its removal of tabs and newlines anywhere in the URL is not reproduced (slices cannot skip
 * bytes).
 */
#include "azc_url_internal.h"

#include <stdlib.h>
#include <string.h>


static int is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

int azc__url_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int hex_val(unsigned char c) {
  if (azc__url_is_digit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

azc_slice azc__url_slice(const char *p, size_t len) {
  azc_slice s;
  s.ptr = p;
  s.len = len;
  s.present = 1;
  return s;
}

const char *azc__url_find_byte(const char *p, size_t len, char c) {
  return len ? memchr(p, c, len) : NULL;
}

const char *azc__url_find_last_byte(const char *p, size_t len, char c) {
  while (len--)
    if (p[len] == c)
      return p + len;
  return NULL;
}

/* Dotted IPv4 as Python's ipaddress accepts it: four decimal octets <= 255, no leading zeros. */
static int valid_ipv4(const char *s, size_t n) {
  size_t i = 0;
  int octets = 0;
  while (octets < 4) {
    size_t start = i;
    unsigned v = 0;
    while (i < n && azc__url_is_digit((unsigned char)s[i]) && i - start < 3)
      v = v * 10 + (unsigned)(s[i++] - '0');
    if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
      return 0;
    octets++;
    if (octets < 4) {
      if (i >= n || s[i] != '.')
        return 0;
      i++;
    }
  }
  return i == n;
}

/*
 * An IPv6 literal as Python's ipaddress accepts it: 1-4 hex digits per group, at most one "::"
 * standing for at least one group, an optional trailing dotted IPv4, an optional non-empty
 * "%zone".
 */
static int valid_ipv6(const char *s, size_t n) {
  const char *pct;
  size_t i = 0, groups = 0;
  int dbl = 0;
  if ((pct = azc__url_find_byte(s, n, '%')) != NULL) {
    size_t zone = n - (size_t)(pct - s) - 1;
    if (zone == 0 || azc__url_find_byte(pct + 1, zone, '%'))
      return 0;
    n = (size_t)(pct - s);
  }
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    dbl = 1;
    i = 2;
    if (i == n)
      return 1;
  }
  for (;;) {
    size_t start = i;
    while (i < n && hex_val((unsigned char)s[i]) >= 0)
      i++;
    if (i < n && s[i] == '.') {
      if (!valid_ipv4(s + start, n - start))
        return 0;
      groups += 2;
      break;
    }
    if (i == start || i - start > 4)
      return 0;
    groups++;
    if (i == n)
      break;
    if (s[i] != ':' || ++i == n)
      return 0;
    if (s[i] == ':') {
      if (dbl)
        return 0;
      dbl = 1;
      if (++i == n)
        break;
    }
  }
  return dbl ? groups < 8 : groups == 8;
}

/* urllib.parse._check_bracketed_host: IPvFuture "v<hex>.<any>", or an IPv6 (not IPv4) address. */
static int check_bracketed_host(const char *s, size_t n) {
  size_t i;
  if (n && s[0] == 'v') {
    for (i = 1; i < n && hex_val((unsigned char)s[i]) >= 0; i++)
      ;
    return i > 1 && i + 1 < n && s[i] == '.' ? NETLOC_OK : NETLOC_BAD_FUTURE;
  }
  if (valid_ipv4(s, n))
    return NETLOC_IPV4_IN_BRACKETS;
  return valid_ipv6(s, n) ? NETLOC_OK : NETLOC_BAD_HOST;
}

/*
 * urlsplit's bracket checks (_check_bracketed_netloc): '[' and ']' come together, the bracket
 * opens the host part (after the last '@'), only ":port" may follow it, and the host checks out.
 */
static int check_netloc(azc_slice nl, azc_slice *out_host) {
  const char *at, *hp, *end = nl.ptr + nl.len, *open;
  int has_open = azc__url_find_byte(nl.ptr, nl.len, '[') != NULL;
  if (has_open != (azc__url_find_byte(nl.ptr, nl.len, ']') != NULL))
    return NETLOC_BAD_BRACKETS;
  if (!has_open)
    return NETLOC_OK;
  at = azc__url_find_last_byte(nl.ptr, nl.len, '@');
  hp = at ? at + 1 : nl.ptr;
  open = azc__url_find_byte(hp, (size_t)(end - hp), '[');
  if (open) {
    const char *close = azc__url_find_byte(open, (size_t)(end - open), ']');
    if (open != hp || (close && close + 1 < end && close[1] != ':'))
      return NETLOC_BAD_BRACKETS;
    *out_host = azc__url_slice(hp + 1, (size_t)((close ? close : end) - hp - 1));
  } else { /* brackets only in the userinfo: Python still checks the host */
    const char *colon = azc__url_find_byte(hp, (size_t)(end - hp), ':');
    *out_host = azc__url_slice(hp, (size_t)((colon ? colon : end) - hp));
  }
  return check_bracketed_host(out_host->ptr, out_host->len);
}

/* The ValueError urlsplit raises for a netloc check_netloc refused. */
azc_code azc__url_split_error(const url_split *s, azc_error *out_err) {
  switch (s->verdict) {
  case NETLOC_BAD_HOST:
    return azc_error_set(out_err, AZC_ERR_VALUE,
                         "'%.*s' does not appear to be an IPv4 or IPv6 address",
                         s->bad_host.len > 400 ? 400 : (int)s->bad_host.len, s->bad_host.ptr);
  case NETLOC_IPV4_IN_BRACKETS:
    return azc_error_set(out_err, AZC_ERR_VALUE, "An IPv4 address cannot be in brackets");
  case NETLOC_BAD_FUTURE:
    return azc_error_set(out_err, AZC_ERR_VALUE, "IPvFuture address is invalid");
  default:
    return azc_error_set(out_err, AZC_ERR_VALUE, "Invalid IPv6 URL");
  }
}

/* urlsplit. @return AZC_OK or AZC_ERR_VALUE (the netloc's brackets are malformed). */
azc_code azc__url_split_url(const char *u, size_t len, url_split *out) {
  const char *colon, *p, *end, *hash, *q;
  memset(out, 0, sizeof *out);
  /* Like urlsplit (WHATWG), leading C0 controls and spaces are not part of the URL. */
  while (len && (unsigned char)*u <= 0x20) {
    u++;
    len--;
  }
  p = u;
  end = u + len;
  colon = azc__url_find_byte(u, len, ':');
  if (colon && colon > u && is_alpha((unsigned char)u[0])) {
    const char *c;
    for (c = u; c < colon; c++) {
      unsigned char ch = (unsigned char)*c;
      if (!is_alpha(ch) && !azc__url_is_digit(ch) && ch != '+' && ch != '-' && ch != '.')
        break;
    }
    if (c == colon) {
      out->scheme = azc__url_slice(u, (size_t)(colon - u));
      p = colon + 1;
    }
  }
  if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
    const char *n = p + 2;
    while (n < end && *n != '/' && *n != '?' && *n != '#')
      n++;
    out->netloc = azc__url_slice(p + 2, (size_t)(n - p - 2));
    p = n;
    out->verdict = check_netloc(out->netloc, &out->bad_host);
    if (out->verdict != NETLOC_OK)
      return AZC_ERR_VALUE;
  }
  hash = azc__url_find_byte(p, (size_t)(end - p), '#');
  if (hash) {
    out->fragment = azc__url_slice(hash + 1, (size_t)(end - hash - 1));
    end = hash;
  }
  q = azc__url_find_byte(p, (size_t)(end - p), '?');
  if (q) {
    out->query = azc__url_slice(q + 1, (size_t)(end - q - 1));
    end = q;
  }
  out->path = azc__url_slice(p, (size_t)(end - p));
  return AZC_OK;
}

azc_code azc_url_parse(const char *url, size_t len, azc_url *out_url) {
  url_split s;
  if (!out_url || (!url && len))
    return AZC_ERR_ARG;
  memset(out_url, 0, sizeof *out_url);
  if (azc__url_split_url(url, len, &s) != AZC_OK)
    return AZC_ERR_VALUE;
  out_url->scheme = s.scheme;
  out_url->path = s.path;
  out_url->query = s.query;
  out_url->fragment = s.fragment;
  if (s.netloc.present) {
    const char *at = azc__url_find_last_byte(s.netloc.ptr, s.netloc.len, '@');
    const char *hp = at ? at + 1 : s.netloc.ptr, *end = s.netloc.ptr + s.netloc.len, *colon;
    if (at)
      out_url->userinfo = azc__url_slice(s.netloc.ptr, (size_t)(at - s.netloc.ptr));
    if (hp < end && *hp == '[') {
      /* ']' may be missing here when the userinfo holds it, as in Python */
      const char *close = azc__url_find_byte(hp, (size_t)(end - hp), ']');
      out_url->host = azc__url_slice(hp + 1, (size_t)((close ? close : end) - hp - 1));
      colon = close && close + 1 < end ? close + 1 : NULL;
    } else {
      colon = azc__url_find_byte(hp, (size_t)(end - hp), ':');
      out_url->host = azc__url_slice(hp, (size_t)((colon ? colon : end) - hp));
    }
    if (colon) {
      const char *d;
      unsigned long v = 0;
      out_url->port = azc__url_slice(colon + 1, (size_t)(end - colon - 1));
      for (d = colon + 1; d < end; d++) {
        if (!azc__url_is_digit((unsigned char)*d) || (v = v * 10 + (unsigned long)(*d - '0')) > 65535) {
          memset(out_url, 0, sizeof *out_url);
          return AZC_ERR_VALUE;
        }
      }
    }
  }
  return AZC_OK;
}

int azc_url_is_absolute(const char *url, size_t len) {
  url_split s;
  if (!url && len)
    return 0;
  if (azc__url_split_url(url, len, &s) != AZC_OK)
    return 0;
  return s.scheme.len > 0 && s.netloc.len > 0;
}

/* Undo partial output after a failure. */
void azc__url_truncate_to(azc_buf *b, size_t mark) {
  if (b->data) {
    b->len = mark;
    b->data[mark] = '\0';
  }
}

azc_code azc__url_put_slice(azc_buf *b, azc_slice s) {
  return s.len ? azc_buf_append(b, s.ptr, s.len) : AZC_OK;
}

azc_code azc_url_compose(const azc_url *url, azc_buf *ref_out) {
  size_t mark;
  int fail = 0;
  if (!url || !ref_out)
    return AZC_ERR_ARG;
  mark = ref_out->len;
  if (url->scheme.present) {
    fail |= azc__url_put_slice(ref_out, url->scheme) != AZC_OK;
    fail |= azc_buf_append(ref_out, ":", 1) != AZC_OK;
  }
  if (url->host.present || url->userinfo.present || url->port.present) {
    int brackets = azc__url_find_byte(url->host.ptr, url->host.len, ':') != NULL;
    fail |= azc_buf_append(ref_out, "//", 2) != AZC_OK;
    if (url->userinfo.present) {
      fail |= azc__url_put_slice(ref_out, url->userinfo) != AZC_OK;
      fail |= azc_buf_append(ref_out, "@", 1) != AZC_OK;
    }
    fail |= brackets && azc_buf_append(ref_out, "[", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, url->host) != AZC_OK;
    fail |= brackets && azc_buf_append(ref_out, "]", 1) != AZC_OK;
    if (url->port.present) {
      fail |= azc_buf_append(ref_out, ":", 1) != AZC_OK;
      fail |= azc__url_put_slice(ref_out, url->port) != AZC_OK;
    }
    /* With an authority the path must be empty or absolute, or the host would swallow it. */
    if (url->path.len && url->path.ptr[0] != '/')
      fail |= azc_buf_append(ref_out, "/", 1) != AZC_OK;
  }
  fail |= azc__url_put_slice(ref_out, url->path) != AZC_OK;
  if (url->query.present) {
    fail |= azc_buf_append(ref_out, "?", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, url->query) != AZC_OK;
  }
  if (url->fragment.present) {
    fail |= azc_buf_append(ref_out, "#", 1) != AZC_OK;
    fail |= azc__url_put_slice(ref_out, url->fragment) != AZC_OK;
  }
  if (fail) {
    azc__url_truncate_to(ref_out, mark);
    return AZC_ERR_NOMEM;
  }
  return AZC_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Percent-encoding                                                                            */

static int is_unreserved(unsigned char c) {
  return is_alpha(c) || azc__url_is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static azc_code quote_impl(const char *s, size_t len, const char *safe, int plus,
                           azc_buf *ref_out) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char keep[128];
  size_t i;
  char *w;
  if (!ref_out || (!s && len))
    return AZC_ERR_ARG;
  if (len > (SIZE_MAX - 1) / 3 || azc_buf_reserve(ref_out, len * 3) != AZC_OK)
    return AZC_ERR_NOMEM;
  memset(keep, 0, sizeof keep);
  /* As Python does, only ASCII bytes of `safe` count. */
  for (; safe && *safe; safe++)
    if ((unsigned char)*safe < 128)
      keep[(unsigned char)*safe] = 1;
  w = ref_out->data + ref_out->len;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (plus && c == ' ') {
      *w++ = '+';
    } else if (is_unreserved(c) || (c < 128 && keep[c])) {
      *w++ = (char)c;
    } else {
      *w++ = '%';
      *w++ = hex[c >> 4];
      *w++ = hex[c & 15];
    }
  }
  ref_out->len = (size_t)(w - ref_out->data);
  ref_out->data[ref_out->len] = '\0';
  return AZC_OK;
}

azc_code azc_url_quote(const char *s, size_t len, const char *safe, azc_buf *ref_out) {
  return quote_impl(s, len, safe, 0, ref_out);
}

azc_code azc_url_quote_plus(const char *s, size_t len, const char *safe, azc_buf *ref_out) {
  return quote_impl(s, len, safe, 1, ref_out);
}

azc_code azc_url_unquote(const char *s, size_t len, int plus, azc_buf *ref_out) {
  size_t i;
  char *w;
  if (!ref_out || (!s && len))
    return AZC_ERR_ARG;
  if (azc_buf_reserve(ref_out, len) != AZC_OK)
    return AZC_ERR_NOMEM;
  w = ref_out->data + ref_out->len;
  for (i = 0; i < len; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = hex_val((unsigned char)s[i + 1])) >= 0 &&
        (lo = hex_val((unsigned char)s[i + 2])) >= 0) {
      *w++ = (char)(hi << 4 | lo);
      i += 2;
    } else if (plus && s[i] == '+') {
      *w++ = ' ';
    } else {
      *w++ = s[i];
    }
  }
  ref_out->len = (size_t)(w - ref_out->data);
  ref_out->data[ref_out->len] = '\0';
  return AZC_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* HttpRequest.query and format_parameters (BEHAVIOR §1.1)                                    */

int azc_url_query_next(const char *url, size_t len, size_t *ref_pos, azc_query_pair *out_pair) {
  size_t start, i;
  const char *eq;
  if (!ref_pos || !out_pair || (!url && len) || *ref_pos == SIZE_MAX)
    return 0;
  if (*ref_pos == 0) {
    /* The fragment is cut first, so a '?' after the first '#' does not start a query. */
    const char *hash = azc__url_find_byte(url, len, '#');
    size_t qend = hash ? (size_t)(hash - url) : len;
    const char *q = azc__url_find_byte(url, qend, '?');
    if (!q || (size_t)(q - url) + 1 == qend) { /* no query, or an empty one: no pairs */
      *ref_pos = SIZE_MAX;
      return 0;
    }
    start = (size_t)(q - url) + 1;
  } else {
    start = *ref_pos - 1; /* positions are stored + 1 so that 0 can mean "not started" */
    if (start > len) {
      *ref_pos = SIZE_MAX;
      return 0;
    }
  }
  for (i = start; i < len && url[i] != '&' && url[i] != '#'; i++)
    ;
  eq = azc__url_find_byte(url + start, i - start, '=');
  out_pair->key = azc__url_slice(url + start, (size_t)((eq ? eq : url + i) - (url + start)));
  if (eq) {
    out_pair->value = azc__url_slice(eq + 1, (size_t)(url + i - eq - 1));
  } else {
    out_pair->value = azc__url_slice(url + i, 0);
    out_pair->value.present = 0;
  }
  *ref_pos = (i < len && url[i] == '&') ? i + 2 : SIZE_MAX;
  return 1;
}

#define NO_PARAM SIZE_MAX

/* One key of format_parameters' merged dict, in dict (first insertion) order. */
typedef struct qentry {
  const char *key;
  size_t key_len;
  uint32_t hash;
  size_t first_param, last_param; /* chain through next[] of the params with this key */
  int from_url;                   /* the URL's value replaced the parameters' */
  azc_slice url_value;
} qentry;

typedef struct qdict {
  qentry *ents;
  size_t n;
  size_t *index; /* open addressing, entry position + 1, 0 = empty */
  size_t mask;
} qdict;

static uint32_t bytes_hash(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 16777619u;
  }
  return h;
}

/* The entry for @p key, appended when absent (capacity was reserved by the caller). */
static qentry *qdict_upsert(qdict *d, const char *key, size_t key_len) {
  uint32_t h = bytes_hash(key, key_len);
  size_t i = h & d->mask;
  qentry *e;
  while (d->index[i]) {
    e = &d->ents[d->index[i] - 1];
    if (e->hash == h && e->key_len == key_len && (!key_len || !memcmp(e->key, key, key_len)))
      return e;
    i = (i + 1) & d->mask;
  }
  e = &d->ents[d->n];
  memset(e, 0, sizeof *e);
  e->key = key;
  e->key_len = key_len;
  e->hash = h;
  e->first_param = e->last_param = NO_PARAM;
  d->index[i] = ++d->n;
  return e;
}

int azc__url_key_len_for_message(size_t len) { return len > 400 ? 400 : (int)len; }

azc_code azc_url_format_parameters(const char *url, size_t len, const azc_param *params,
                                   size_t nparams, azc_buf *ref_out, azc_error *out_err) {
  url_split s;
  qdict d;
  size_t *next = NULL, base_len = len, npairs = 0, total, icap = 8, i, mark;
  int fail = 0, first = 1;
  azc_code rc = AZC_OK;
  if (!ref_out || (!url && len) || (!params && nparams))
    return azc_error_set(out_err, AZC_ERR_ARG, "invalid argument to format_parameters");
  for (i = 0; i < nparams; i++)
    if (!params[i].key && params[i].key_len)
      return azc_error_set(out_err, AZC_ERR_ARG, "invalid argument to format_parameters");
  if (azc__url_split_url(url, len, &s) != AZC_OK)
    return azc__url_split_error(&s, out_err);
  if (s.query.len) {
    /* url.partition("?")[0]: the query's '?' is the first one (scheme and netloc hold none). */
    base_len = (size_t)(s.query.ptr - 1 - url);
    npairs = 1;
    for (i = 0; i < s.query.len; i++)
      npairs += s.query.ptr[i] == '&';
  }
  memset(&d, 0, sizeof d);
  total = nparams + npairs;
  if (total < nparams || total > SIZE_MAX / 4 / sizeof(size_t) || total > SIZE_MAX / sizeof(qentry))
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  while (icap < total * 2)
    icap *= 2;
  d.ents = malloc((total ? total : 1) * sizeof *d.ents);
  d.index = calloc(icap, sizeof *d.index);
  next = malloc((nparams ? nparams : 1) * sizeof *next);
  d.mask = icap - 1;
  if (!d.ents || !d.index || !next) {
    rc = azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    goto done;
  }
  /* params is a dict in Python: a repeated key is one entry whose values form a list. */
  for (i = 0; i < nparams; i++) {
    qentry *e = qdict_upsert(&d, params[i].key, params[i].key_len);
    next[i] = NO_PARAM;
    if (e->first_param == NO_PARAM)
      e->first_param = i;
    else
      next[e->last_param] = i;
    e->last_param = i;
  }
  /* params.update(existing): the URL's value wins, the key keeps its first position. */
  if (npairs) {
    size_t pos = 0;
    azc_query_pair pair;
    while (azc_url_query_next(url, len, &pos, &pair)) {
      qentry *e = qdict_upsert(&d, pair.key.ptr, pair.key.len);
      e->from_url = 1;
      e->url_value = pair.value;
    }
  }
  mark = ref_out->len;
  fail |= azc_buf_append(ref_out, url, base_len) != AZC_OK;
  fail |= azc_buf_append(ref_out, "?", 1) != AZC_OK;
  for (i = 0; i < d.n && !fail; i++) {
    const qentry *e = &d.ents[i];
    size_t p;
    if (e->from_url) {
      fail |= !first && azc_buf_append(ref_out, "&", 1) != AZC_OK;
      fail |= azc_buf_append(ref_out, e->key, e->key_len) != AZC_OK;
      fail |= azc_buf_append(ref_out, "=", 1) != AZC_OK;
      fail |= azc_buf_append(ref_out, e->url_value.ptr, e->url_value.len) != AZC_OK;
      first = 0;
      continue;
    }
    for (p = e->first_param; p != NO_PARAM; p = next[p]) {
      if (!params[p].value) {
        azc__url_truncate_to(ref_out, mark);
        rc = azc_error_set(out_err, AZC_ERR_VALUE, "Query parameter %.*s cannot be None",
                           azc__url_key_len_for_message(e->key_len), e->key ? e->key : "");
        goto done;
      }
      fail |= !first && azc_buf_append(ref_out, "&", 1) != AZC_OK;
      fail |= azc_buf_append(ref_out, e->key, e->key_len) != AZC_OK;
      fail |= azc_buf_append(ref_out, "=", 1) != AZC_OK;
      fail |= azc_buf_append(ref_out, params[p].value, params[p].value_len) != AZC_OK;
      first = 0;
    }
  }
  if (fail) {
    azc__url_truncate_to(ref_out, mark);
    rc = azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  }
done:
  free(d.ents);
  free(d.index);
  free(next);
  return rc;
}
