/*
 * azc_url.c - URL splitting and composing, percent-encoding, and azure-core's query and
 * format_url rules.
 *
 * Splitting follows Python's urllib.parse.urlsplit (what azure-core calls everywhere), so that
 * "is this absolute", "what is the query" and "where does the base path end" get the answers
 * azure-core gets: the scheme is the text before the first ':' when it is a valid scheme, the
 * authority (netloc) exists only after "//", the fragment is cut at the first '#' and the query
 * at the first '?' before it. Leading control characters and spaces are skipped as urlsplit does;
 * its removal of tabs and newlines anywhere in the URL is not reproduced (slices cannot skip
 * bytes).
 */
#include "azc_url.h"

#include <stdlib.h>
#include <string.h>

/* urlsplit's verdicts on a netloc holding brackets, with Python's messages. */
enum {
  NETLOC_OK,
  NETLOC_BAD_BRACKETS,
  NETLOC_BAD_HOST,
  NETLOC_IPV4_IN_BRACKETS,
  NETLOC_BAD_FUTURE
};

typedef struct url_split {
  azc_slice scheme, netloc, path, query, fragment;
  int verdict;        /* NETLOC_* */
  azc_slice bad_host; /* the host that failed the check, for the message */
} url_split;

static int is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int hex_val(unsigned char c) {
  if (is_digit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static azc_slice slice(const char *p, size_t len) {
  azc_slice s;
  s.ptr = p;
  s.len = len;
  s.present = 1;
  return s;
}

static const char *find_byte(const char *p, size_t len, char c) {
  return len ? memchr(p, c, len) : NULL;
}

static const char *find_last_byte(const char *p, size_t len, char c) {
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
    while (i < n && is_digit((unsigned char)s[i]) && i - start < 3)
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
  if ((pct = find_byte(s, n, '%')) != NULL) {
    size_t zone = n - (size_t)(pct - s) - 1;
    if (zone == 0 || find_byte(pct + 1, zone, '%'))
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
  int has_open = find_byte(nl.ptr, nl.len, '[') != NULL;
  if (has_open != (find_byte(nl.ptr, nl.len, ']') != NULL))
    return NETLOC_BAD_BRACKETS;
  if (!has_open)
    return NETLOC_OK;
  at = find_last_byte(nl.ptr, nl.len, '@');
  hp = at ? at + 1 : nl.ptr;
  open = find_byte(hp, (size_t)(end - hp), '[');
  if (open) {
    const char *close = find_byte(open, (size_t)(end - open), ']');
    if (open != hp || (close && close + 1 < end && close[1] != ':'))
      return NETLOC_BAD_BRACKETS;
    *out_host = slice(hp + 1, (size_t)((close ? close : end) - hp - 1));
  } else { /* brackets only in the userinfo: Python still checks the host */
    const char *colon = find_byte(hp, (size_t)(end - hp), ':');
    *out_host = slice(hp, (size_t)((colon ? colon : end) - hp));
  }
  return check_bracketed_host(out_host->ptr, out_host->len);
}

/* The ValueError urlsplit raises for a netloc check_netloc refused. */
static azc_code split_error(const url_split *s, azc_error *out_err) {
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
static azc_code split_url(const char *u, size_t len, url_split *out) {
  const char *colon, *p, *end, *hash, *q;
  memset(out, 0, sizeof *out);
  /* Like urlsplit (WHATWG), leading C0 controls and spaces are not part of the URL. */
  while (len && (unsigned char)*u <= 0x20) {
    u++;
    len--;
  }
  p = u;
  end = u + len;
  colon = find_byte(u, len, ':');
  if (colon && colon > u && is_alpha((unsigned char)u[0])) {
    const char *c;
    for (c = u; c < colon; c++) {
      unsigned char ch = (unsigned char)*c;
      if (!is_alpha(ch) && !is_digit(ch) && ch != '+' && ch != '-' && ch != '.')
        break;
    }
    if (c == colon) {
      out->scheme = slice(u, (size_t)(colon - u));
      p = colon + 1;
    }
  }
  if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
    const char *n = p + 2;
    while (n < end && *n != '/' && *n != '?' && *n != '#')
      n++;
    out->netloc = slice(p + 2, (size_t)(n - p - 2));
    p = n;
    out->verdict = check_netloc(out->netloc, &out->bad_host);
    if (out->verdict != NETLOC_OK)
      return AZC_ERR_VALUE;
  }
  hash = find_byte(p, (size_t)(end - p), '#');
  if (hash) {
    out->fragment = slice(hash + 1, (size_t)(end - hash - 1));
    end = hash;
  }
  q = find_byte(p, (size_t)(end - p), '?');
  if (q) {
    out->query = slice(q + 1, (size_t)(end - q - 1));
    end = q;
  }
  out->path = slice(p, (size_t)(end - p));
  return AZC_OK;
}

azc_code azc_url_parse(const char *url, size_t len, azc_url *out_url) {
  url_split s;
  if (!out_url || (!url && len))
    return AZC_ERR_ARG;
  memset(out_url, 0, sizeof *out_url);
  if (split_url(url, len, &s) != AZC_OK)
    return AZC_ERR_VALUE;
  out_url->scheme = s.scheme;
  out_url->path = s.path;
  out_url->query = s.query;
  out_url->fragment = s.fragment;
  if (s.netloc.present) {
    const char *at = find_last_byte(s.netloc.ptr, s.netloc.len, '@');
    const char *hp = at ? at + 1 : s.netloc.ptr, *end = s.netloc.ptr + s.netloc.len, *colon;
    if (at)
      out_url->userinfo = slice(s.netloc.ptr, (size_t)(at - s.netloc.ptr));
    if (hp < end && *hp == '[') {
      /* ']' may be missing here when the userinfo holds it, as in Python */
      const char *close = find_byte(hp, (size_t)(end - hp), ']');
      out_url->host = slice(hp + 1, (size_t)((close ? close : end) - hp - 1));
      colon = close && close + 1 < end ? close + 1 : NULL;
    } else {
      colon = find_byte(hp, (size_t)(end - hp), ':');
      out_url->host = slice(hp, (size_t)((colon ? colon : end) - hp));
    }
    if (colon) {
      const char *d;
      unsigned long v = 0;
      out_url->port = slice(colon + 1, (size_t)(end - colon - 1));
      for (d = colon + 1; d < end; d++) {
        if (!is_digit((unsigned char)*d) || (v = v * 10 + (unsigned long)(*d - '0')) > 65535) {
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
  if (split_url(url, len, &s) != AZC_OK)
    return 0;
  return s.scheme.len > 0 && s.netloc.len > 0;
}

/* Undo partial output after a failure. */
static void truncate_to(azc_buf *b, size_t mark) {
  if (b->data) {
    b->len = mark;
    b->data[mark] = '\0';
  }
}

static azc_code put_slice(azc_buf *b, azc_slice s) {
  return s.len ? azc_buf_append(b, s.ptr, s.len) : AZC_OK;
}

azc_code azc_url_compose(const azc_url *url, azc_buf *ref_out) {
  size_t mark;
  int fail = 0;
  if (!url || !ref_out)
    return AZC_ERR_ARG;
  mark = ref_out->len;
  if (url->scheme.present) {
    fail |= put_slice(ref_out, url->scheme) != AZC_OK;
    fail |= azc_buf_append(ref_out, ":", 1) != AZC_OK;
  }
  if (url->host.present || url->userinfo.present || url->port.present) {
    int brackets = find_byte(url->host.ptr, url->host.len, ':') != NULL;
    fail |= azc_buf_append(ref_out, "//", 2) != AZC_OK;
    if (url->userinfo.present) {
      fail |= put_slice(ref_out, url->userinfo) != AZC_OK;
      fail |= azc_buf_append(ref_out, "@", 1) != AZC_OK;
    }
    fail |= brackets && azc_buf_append(ref_out, "[", 1) != AZC_OK;
    fail |= put_slice(ref_out, url->host) != AZC_OK;
    fail |= brackets && azc_buf_append(ref_out, "]", 1) != AZC_OK;
    if (url->port.present) {
      fail |= azc_buf_append(ref_out, ":", 1) != AZC_OK;
      fail |= put_slice(ref_out, url->port) != AZC_OK;
    }
    /* With an authority the path must be empty or absolute, or the host would swallow it. */
    if (url->path.len && url->path.ptr[0] != '/')
      fail |= azc_buf_append(ref_out, "/", 1) != AZC_OK;
  }
  fail |= put_slice(ref_out, url->path) != AZC_OK;
  if (url->query.present) {
    fail |= azc_buf_append(ref_out, "?", 1) != AZC_OK;
    fail |= put_slice(ref_out, url->query) != AZC_OK;
  }
  if (url->fragment.present) {
    fail |= azc_buf_append(ref_out, "#", 1) != AZC_OK;
    fail |= put_slice(ref_out, url->fragment) != AZC_OK;
  }
  if (fail) {
    truncate_to(ref_out, mark);
    return AZC_ERR_NOMEM;
  }
  return AZC_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Percent-encoding                                                                            */

static int is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
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
    const char *hash = find_byte(url, len, '#');
    size_t qend = hash ? (size_t)(hash - url) : len;
    const char *q = find_byte(url, qend, '?');
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
  eq = find_byte(url + start, i - start, '=');
  out_pair->key = slice(url + start, (size_t)((eq ? eq : url + i) - (url + start)));
  if (eq) {
    out_pair->value = slice(eq + 1, (size_t)(url + i - eq - 1));
  } else {
    out_pair->value = slice(url + i, 0);
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

static int key_len_for_message(size_t len) { return len > 400 ? 400 : (int)len; }

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
  if (split_url(url, len, &s) != AZC_OK)
    return split_error(&s, out_err);
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
        truncate_to(ref_out, mark);
        rc = azc_error_set(out_err, AZC_ERR_VALUE, "Query parameter %.*s cannot be None",
                           key_len_for_message(e->key_len), e->key ? e->key : "");
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
    truncate_to(ref_out, mark);
    rc = azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  }
done:
  free(d.ents);
  free(d.index);
  free(next);
  return rc;
}

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
                           key_len_for_message(j - i - 2), name);
    }
    for (k = 0; k < name_len; k++)
      if (name[k] == '.' || name[k] == '[')
        return azc_error_set(out_err, AZC_ERR_VALUE,
                             "Unsupported url template field '{%.*s}': only {name} is supported",
                             key_len_for_message(name_len), name);
    for (k = 0; k < name_len && is_digit((unsigned char)name[k]); k++)
      ;
    if (k == name_len) { /* "{}" or "{0}": positional, and format_url passes none */
      while (name_len > 1 && name[0] == '0') {
        name++;
        name_len--;
      }
      return azc_error_set(out_err, AZC_ERR_VALUE,
                           "Replacement index %.*s out of range for positional args tuple",
                           name_len ? key_len_for_message(name_len) : 1, name_len ? name : "0");
    }
    v = lookup(ud, name, name_len, &vlen);
    if (!v) {
      *out_missing = slice(name, name_len);
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
  const char *q = find_byte(stub, slen, '?');
  if (q) {
    stub_query = slice(q + 1, (size_t)(stub + slen - q - 1));
    slen = (size_t)(q - stub);
  }
  if (split_url(base, blen, &s) != AZC_OK)
    return split_error(&s, out_err);
  path = s.path;
  if (scheme_in(s.scheme, uses_params) && find_byte(path.ptr, path.len, ';')) {
    const char *slash = find_last_byte(path.ptr, path.len, '/');
    const char *from = slash ? slash : path.ptr;
    const char *semi = find_byte(from, (size_t)(path.ptr + path.len - from), ';');
    if (semi) {
      params = slice(semi + 1, (size_t)(path.ptr + path.len - semi - 1));
      path.len = (size_t)(semi - path.ptr);
    }
  }
  while (path.len && path.ptr[path.len - 1] == '/')
    path.len--;
  fail |= put_slice(&np, path) != AZC_OK;
  fail |= azc_buf_append(&np, "/", 1) != AZC_OK;
  fail |= azc_buf_append(&np, stub, slen) != AZC_OK;
  if (params.len) {
    fail |= azc_buf_append(&np, ";", 1) != AZC_OK;
    fail |= put_slice(&np, params) != AZC_OK;
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
    fail |= put_slice(ref_out, s.netloc) != AZC_OK;
    if (np.data[0] != '/')
      fail |= azc_buf_append(ref_out, "/", 1) != AZC_OK;
  }
  fail |= azc_buf_append(ref_out, np.data, np.len) != AZC_OK;
  if (s.query.len || stub_query.len) {
    fail |= azc_buf_append(ref_out, "?", 1) != AZC_OK;
    fail |= put_slice(ref_out, s.query) != AZC_OK;
    if (s.query.len && stub_query.len)
      fail |= azc_buf_append(ref_out, "&", 1) != AZC_OK;
    fail |= put_slice(ref_out, stub_query) != AZC_OK;
  }
  if (s.fragment.len) {
    fail |= azc_buf_append(ref_out, "#", 1) != AZC_OK;
    fail |= put_slice(ref_out, s.fragment) != AZC_OK;
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
                       key_len_for_message(missing.len), missing.ptr);
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
                         key_len_for_message(name.len), name.data);
      goto done;
    }
  }
  if (res.len == 0) { /* nothing left of the template: the formatted base URL */
    rc = format_base(base_url, lookup, ud, ref_out, out_err);
  } else {
    url_split s;
    size_t lead = 0;
    if (split_url(res.data, res.len, &s) != AZC_OK) {
      rc = split_error(&s, out_err);
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
    truncate_to(ref_out, mark);
  azc_buf_free(&cur);
  azc_buf_free(&res);
  azc_buf_free(&base);
  azc_buf_free(&name);
  return rc;
}
