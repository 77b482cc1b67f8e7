/*
 * azc_json.c - JSON syntax check following CPython's json scanner (Modules/_json.c) step by
 * step, so that a body is refused exactly where json.loads refuses it, with the same message
 * and position. Nothing is allocated: the check is cheap enough for every response.
 */
#include "azc_json.h"

#include <string.h>

typedef struct jp {
  const char *s;
  size_t n;
  const char *msg; /* the failure, with its byte position */
  size_t pos;
  int depth;
  size_t lone; /* first lone surrogate escape ('u' position), (size_t)-1 when none */
} jp;

#define IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

static int fail(jp *p, const char *msg, size_t pos) {
  p->msg = msg;
  p->pos = pos;
  return -1;
}

static size_t skip_ws(const jp *p, size_t i) {
  while (i < p->n && IS_WS(p->s[i]))
    i++;
  return i;
}

static int hex4(const char *h, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = h[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

static int scan_value(jp *p, size_t idx, size_t *next);

/* Bytes that end a run of plain string characters: controls, '"' and '\\'. */
static const unsigned char string_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

/* scanstring_unicode: @p i is just after the opening quote. */
static int scan_string(jp *p, size_t i, size_t *next) {
  size_t begin = i - 1, len = p->n;
  for (;;) {
    unsigned char c = 0;
    while (i < len && !string_stop[(unsigned char)p->s[i]])
      i++;
    if (i < len) {
      c = (unsigned char)p->s[i];
      if (c <= 0x1f)
        return fail(p, "Invalid control character at", i);
    }
    if (i >= len)
      return fail(p, "Unterminated string starting at", begin);
    i++; /* past the quote or the backslash */
    if (c == '"') {
      *next = i;
      return 0;
    }
    if (i == len)
      return fail(p, "Unterminated string starting at", begin);
    c = (unsigned char)p->s[i];
    if (c != 'u') {
      if (!strchr("\"\\/bfnrt", c) || c == '\0')
        return fail(p, "Invalid \\escape", i - 1);
      i++;
      continue;
    }
    {
      unsigned cp, lo;
      size_t u = i; /* the 'u' */
      i++;
      if (i + 4 >= len || !hex4(p->s + i, &cp))
        return fail(p, "Invalid \\uXXXX escape", u);
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (i + 6 < len && p->s[i] == '\\' && p->s[i + 1] == 'u') {
          if (!hex4(p->s + i + 2, &lo))
            return fail(p, "Invalid \\uXXXX escape", i + 1);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            i += 6;
            continue;
          }
        }
        /* Python keeps a lone surrogate, a Lua string cannot (azc_json.h): refused once the
         * rest of the text has passed every rule of json.loads */
        if (p->lone == (size_t)-1)
          p->lone = u;
      } else if (cp >= 0xdc00 && cp <= 0xdfff && p->lone == (size_t)-1) {
        p->lone = u;
      }
    }
  }
}

/* _match_number_unicode: the longest prefix that is a number; nothing is "Expecting value". */
static int scan_number(jp *p, size_t idx, size_t *next) {
  const char *s = p->s;
  size_t start = idx, end_idx = p->n - 1;
  if (s[idx] == '-') {
    idx++;
    if (idx > end_idx)
      return fail(p, "Expecting value", start);
  }
  if (s[idx] >= '1' && s[idx] <= '9') {
    idx++;
    while (idx <= end_idx && IS_DIGIT(s[idx]))
      idx++;
  } else if (s[idx] == '0') {
    idx++;
  } else {
    return fail(p, "Expecting value", start);
  }
  if (idx < end_idx && s[idx] == '.' && IS_DIGIT(s[idx + 1])) {
    idx += 2;
    while (idx <= end_idx && IS_DIGIT(s[idx]))
      idx++;
  }
  if (idx < end_idx && (s[idx] == 'e' || s[idx] == 'E')) {
    size_t e_start = idx;
    idx++;
    if (idx < end_idx && (s[idx] == '-' || s[idx] == '+'))
      idx++;
    while (idx <= end_idx && IS_DIGIT(s[idx]))
      idx++;
    if (!IS_DIGIT(s[idx - 1]))
      idx = e_start; /* no exponent digits: backtrack */
  }
  *next = idx;
  return 0;
}

static int enter(jp *p, size_t idx, const char *what) {
  if (++p->depth > AZC_JSON_MAX_DEPTH)
    return fail(p, what, idx);
  return 0;
}

/* _parse_object_unicode: @p idx is just after '{'. */
static int scan_object(jp *p, size_t idx, size_t *next) {
  size_t end_idx = p->n - 1, nx;
  if (enter(p, idx - 1,
            "maximum recursion depth exceeded while decoding a JSON object from a unicode "
            "string"))
    return -1;
  idx = skip_ws(p, idx);
  if (idx > end_idx || p->s[idx] != '}') {
    for (;;) {
      if (idx > end_idx || p->s[idx] != '"')
        return fail(p, "Expecting property name enclosed in double quotes", idx);
      if (scan_string(p, idx + 1, &nx))
        return -1;
      idx = skip_ws(p, nx);
      if (idx > end_idx || p->s[idx] != ':')
        return fail(p, "Expecting ':' delimiter", idx);
      idx = skip_ws(p, idx + 1);
      if (scan_value(p, idx, &nx))
        return -1;
      idx = skip_ws(p, nx);
      if (idx <= end_idx && p->s[idx] == '}')
        break;
      if (idx > end_idx || p->s[idx] != ',')
        return fail(p, "Expecting ',' delimiter", idx);
      idx = skip_ws(p, idx + 1);
    }
  }
  p->depth--;
  *next = idx + 1;
  return 0;
}

/* _parse_array_unicode: @p idx is just after '['. */
static int scan_array(jp *p, size_t idx, size_t *next) {
  size_t end_idx = p->n - 1, nx;
  if (enter(p, idx - 1,
            "maximum recursion depth exceeded while decoding a JSON array from a unicode "
            "string"))
    return -1;
  idx = skip_ws(p, idx);
  if (idx > end_idx || p->s[idx] != ']') {
    for (;;) {
      if (scan_value(p, idx, &nx))
        return -1;
      idx = skip_ws(p, nx);
      if (idx <= end_idx && p->s[idx] == ']')
        break;
      if (idx > end_idx || p->s[idx] != ',')
        return fail(p, "Expecting ',' delimiter", idx);
      idx = skip_ws(p, idx + 1);
    }
  }
  p->depth--;
  *next = idx + 1;
  return 0;
}

static int word(const jp *p, size_t idx, const char *w, size_t wl) {
  /* CPython tests `idx + wl - 1 < length` before comparing: the same as fitting */
  return idx + wl <= p->n && memcmp(p->s + idx, w, wl) == 0;
}

/* The literal words CPython's scanner accepts (NaN and the infinities included). */
static const struct {
  const char *w;
  size_t len;
} literals[] = {{"null", 4}, {"true", 4}, {"false", 5}, {"NaN", 3}, {"Infinity", 8},
                {"-Infinity", 9}};

/* scan_once_unicode */
static int scan_value(jp *p, size_t idx, size_t *next) {
  size_t i;
  if (idx >= p->n)
    return fail(p, "Expecting value", idx);
  switch (p->s[idx]) {
  case '"':
    return scan_string(p, idx + 1, next);
  case '{':
    return scan_object(p, idx + 1, next);
  case '[':
    return scan_array(p, idx + 1, next);
  default:
    break;
  }
  for (i = 0; i < sizeof literals / sizeof literals[0]; i++)
    if (p->s[idx] == literals[i].w[0] && word(p, idx, literals[i].w, literals[i].len)) {
      *next = idx + literals[i].len;
      return 0;
    }
  return scan_number(p, idx, next);
}

/* Code points before byte @p pos (UTF-8 continuation bytes do not count). */
static size_t chars_before(const char *s, size_t pos) {
  size_t i, c = 0;
  for (i = 0; i < pos; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80)
      c++;
  return c;
}

azc_code azc_json_check(const char *s, size_t n, azc_error *out_err) {
  jp p;
  size_t idx, end;
  int rc;
  memset(&p, 0, sizeof p);
  p.s = s ? s : "";
  p.n = s ? n : 0;
  p.lone = (size_t)-1;
  if (p.n >= 3 && memcmp(p.s, "\xef\xbb\xbf", 3) == 0) {
    rc = fail(&p, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
  } else {
    idx = skip_ws(&p, 0);
    rc = scan_value(&p, idx, &end);
    if (rc == 0) {
      end = skip_ws(&p, end);
      if (end != p.n)
        rc = fail(&p, "Extra data", end);
      else if (p.lone != (size_t)-1)
        rc = fail(&p, "Lone surrogate in \\uXXXX escape", p.lone);
    }
  }
  if (rc == 0)
    return AZC_OK;
  {
    /* json.JSONDecodeError: "%s: line %d column %d (char %d)" */
    size_t line = 1, nl = (size_t)-1, i, cpos = chars_before(p.s, p.pos), col;
    for (i = 0; i < p.pos; i++)
      if (p.s[i] == '\n') {
        line++;
        nl = i;
      }
    col = nl == (size_t)-1 ? cpos + 1 : cpos - chars_before(p.s, nl);
    return azc_error_set(out_err, AZC_ERR_DECODE, "%s: line %lu column %lu (char %lu)", p.msg,
                         (unsigned long)line, (unsigned long)col, (unsigned long)cpos);
  }
}
