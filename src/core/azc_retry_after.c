/*
 * azc_retry_after.c - Retry-After values and HTTP-dates.
 *
 * Our own number parser instead of strtod: strtod follows LC_NUMERIC (a host that sets a locale
 * with a decimal comma would misread "0.9") and accepts hex, "inf" and "nan", none of which a
 * delay may be. Dates are converted with the days-from-civil arithmetic (proleptic Gregorian),
 * never through mktime/timegm, which depend on the C library and the TZ variable.
 */
#include "azc_retry_after.h"

#include <math.h>
#include <string.h>
#include <time.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* Decimal number: [sign] digits [. digits] [e [sign] digits], at least one mantissa digit,
 * surrounding whitespace allowed (as Python's float()). Up to 19 significant digits are kept
 * exactly; with at most 2^53 and a power of ten up to 22 the result is correctly rounded, which
 * covers every delay a server sends. */
static int parse_number(const char *s, size_t n, double *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  size_t i = 0, end = n;
  uint64_t mant = 0;
  int sig = 0, ndig = 0, neg = 0, frac = 0;
  long exp10 = 0;
  double v;
  while (i < end && is_space(s[i]))
    i++;
  while (end > i && is_space(s[end - 1]))
    end--;
  if (i < end && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    i++;
  }
  for (;;) {
    if (i < end && is_digit(s[i])) {
      int d = s[i] - '0';
      ndig++;
      if (sig < 19) {
        mant = mant * 10 + (uint64_t)d;
        if (mant)
          sig++; /* leading zeros are not significant */
        if (frac)
          exp10--;
      } else if (!frac) {
        exp10++; /* integer digit beyond what we keep: scale instead */
      }
      i++;
    } else if (i < end && s[i] == '.' && !frac) {
      frac = 1;
      i++;
    } else {
      break;
    }
  }
  if (ndig == 0)
    return 0;
  if (i < end && (s[i] == 'e' || s[i] == 'E')) {
    long e = 0;
    int eneg = 0, edig = 0;
    i++;
    if (i < end && (s[i] == '+' || s[i] == '-')) {
      eneg = s[i] == '-';
      i++;
    }
    for (; i < end && is_digit(s[i]); i++, edig++)
      if (e < 100000) /* bounded: 1e99999 is infinite anyway, and e must not overflow */
        e = e * 10 + (s[i] - '0');
    if (!edig)
      return 0;
    exp10 += eneg ? -e : e;
  }
  if (i != end)
    return 0;
  v = (double)mant;
  if (mant == 0 || exp10 == 0)
    ; /* exact already */
  else if (mant <= ((uint64_t)1 << 53) && exp10 > 0 && exp10 <= 22)
    v *= p10[exp10];
  else if (mant <= ((uint64_t)1 << 53) && exp10 < 0 && exp10 >= -22)
    v /= p10[-exp10];
  else if (exp10 < 0)
    v /= pow(10.0, (double)-exp10);
  else
    v *= pow(10.0, (double)exp10);
  if (!isfinite(v))
    return 0;
  *out = neg ? -v : v;
  return 1;
}

/* ---- calendar ----------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d) {
  long long era;
  long long yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d) {
  long long era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(long long y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return dim[m - 1];
}

/* ---- HTTP-date parsing -------------------------------------------------------------------- */

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const wday_short[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const wday_long[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};

typedef struct cursor {
  const char *s;
  size_t n, i;
} cursor;

static int at(const cursor *c, char ch) { return c->i < c->n && c->s[c->i] == ch; }

static size_t skip_blanks(cursor *c) {
  size_t start = c->i;
  while (c->i < c->n && is_blank(c->s[c->i]))
    c->i++;
  return c->i - start;
}

/* A run of letters; *out_len 0 when none. */
static const char *word(cursor *c, size_t *out_len) {
  const char *w = c->s + c->i;
  size_t start = c->i;
  while (c->i < c->n && is_alpha(c->s[c->i]))
    c->i++;
  *out_len = c->i - start;
  return w;
}

/* A run of min..max digits (a longer run fails); *out_count the digits read. */
static int digits(cursor *c, int min, int max, int *out_val, int *out_count) {
  int v = 0, k = 0;
  while (c->i < c->n && is_digit(c->s[c->i])) {
    if (k == max)
      return 0;
    v = v * 10 + (c->s[c->i] - '0');
    c->i++;
    k++;
  }
  if (k < min)
    return 0;
  *out_val = v;
  if (out_count)
    *out_count = k;
  return 1;
}

static int lookup(const char *w, size_t len, const char *const *names, int count) {
  int k;
  for (k = 0; k < count; k++)
    if (azc__ieq(w, len, names[k], strlen(names[k])))
      return k;
  return -1;
}

static int month(cursor *c, int *out_m) {
  size_t len;
  const char *w = word(c, &len);
  int k = lookup(w, len, month_names, 12);
  if (k < 0)
    return 0;
  *out_m = k + 1;
  return 1;
}

static int year(cursor *c, long long *out_y) {
  int v, k;
  if (!digits(c, 2, 4, &v, &k) || k == 3)
    return 0;
  if (k == 2)
    v += v > 68 ? 1900 : 2000; /* Python's email.utils rule */
  *out_y = v;
  return 1;
}

static int clock_time(cursor *c, int *hh, int *mi, int *ss) {
  if (!digits(c, 1, 2, hh, NULL) || !at(c, ':'))
    return 0;
  c->i++;
  if (!digits(c, 2, 2, mi, NULL) || !at(c, ':'))
    return 0;
  c->i++;
  return digits(c, 2, 2, ss, NULL);
}

/* GMT, UT, UTC, Z, or +hhmm / -hhmm; *out_off seconds east of UTC. */
static int zone(cursor *c, long *out_off) {
  if (at(c, '+') || at(c, '-')) {
    int neg = at(c, '-'), v;
    c->i++;
    if (!digits(c, 4, 4, &v, NULL) || v / 100 > 23 || v % 100 > 59)
      return 0;
    *out_off = (long)(v / 100 * 3600 + v % 100 * 60) * (neg ? -1 : 1);
    return 1;
  } else {
    size_t len;
    const char *w = word(c, &len);
    if (azc__ieq(w, len, "GMT", 3) || azc__ieq(w, len, "UTC", 3) || azc__ieq(w, len, "UT", 2) ||
        azc__ieq(w, len, "Z", 1)) {
      *out_off = 0;
      return 1;
    }
    return 0;
  }
}

int azc_http_date_parse(const char *s, size_t len, double *out_unix) {
  cursor c;
  long long y = 0;
  int mo = 0, d = 0, hh = 0, mi = 0, ss = 0;
  long off = 0;
  c.s = s;
  c.n = s ? len : 0;
  c.i = 0;
  skip_blanks(&c);
  if (c.i < c.n && is_alpha(c.s[c.i])) {
    size_t wl;
    const char *w = word(&c, &wl);
    int is_short = lookup(w, wl, wday_short, 7) >= 0;
    if (at(&c, ',')) {
      /* RFC 1123 or RFC 850, told apart by the '-' after the day */
      size_t save;
      if (!is_short && lookup(w, wl, wday_long, 7) < 0)
        return 0;
      c.i++;
      skip_blanks(&c);
      save = c.i;
      if (digits(&c, 1, 2, &d, NULL) && at(&c, '-')) {
        c.i++;
        if (!month(&c, &mo) || !at(&c, '-'))
          return 0;
        c.i++;
        if (!year(&c, &y) || !skip_blanks(&c) || !clock_time(&c, &hh, &mi, &ss) ||
            !skip_blanks(&c) || !zone(&c, &off))
          return 0;
        goto done;
      }
      c.i = save;
    } else {
      /* asctime: "Sun Nov  6 08:49:37 1994" */
      if (!is_short || !skip_blanks(&c) || !month(&c, &mo) || !skip_blanks(&c) ||
          !digits(&c, 1, 2, &d, NULL) || !skip_blanks(&c) || !clock_time(&c, &hh, &mi, &ss) ||
          !skip_blanks(&c))
        return 0;
      {
        int v, k;
        if (!digits(&c, 4, 4, &v, &k))
          return 0;
        y = v;
      }
      goto done;
    }
  }
  /* RFC 1123 body (the weekday is optional, as in RFC 822) */
  if (!digits(&c, 1, 2, &d, NULL) || !skip_blanks(&c) || !month(&c, &mo) || !skip_blanks(&c) ||
      !year(&c, &y) || !skip_blanks(&c) || !clock_time(&c, &hh, &mi, &ss) || !skip_blanks(&c) ||
      !zone(&c, &off))
    return 0;
done:
  skip_blanks(&c);
  if (c.i != c.n)
    return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23 || mi > 59 || ss > 60)
    return 0;
  if (out_unix)
    *out_unix = (double)(days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off);
  return 1;
}

/* ---- HTTP-date formatting ----------------------------------------------------------------- */

static void put2(char *p, int v) {
  p[0] = (char)('0' + v / 10 % 10);
  p[1] = (char)('0' + v % 10);
}

int azc_http_date_format(double unix_time, char out[30]) {
  static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const mn[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  double lo = (double)days_from_civil(0, 1, 1) * 86400.0;
  double hi = (double)days_from_civil(10000, 1, 1) * 86400.0;
  long long t, days, rem, y;
  int m, d, w;
  out[0] = '\0';
  if (!isfinite(unix_time))
    return 0;
  unix_time = floor(unix_time);
  if (unix_time < lo || unix_time >= hi)
    return 0;
  t = (long long)unix_time;
  days = t / 86400;
  rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  civil_from_days(days, &y, &m, &d);
  w = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
  memcpy(out, wd[w], 3);
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, d);
  out[7] = ' ';
  memcpy(out + 8, mn[m - 1], 3);
  out[11] = ' ';
  put2(out + 12, (int)(y / 100));
  put2(out + 14, (int)(y % 100));
  out[16] = ' ';
  put2(out + 17, (int)(rem / 3600));
  out[19] = ':';
  put2(out + 20, (int)(rem / 60 % 60));
  out[22] = ':';
  put2(out + 23, (int)(rem % 60));
  memcpy(out + 25, " GMT", 5); /* with the NUL */
  return AZC_HTTP_DATE_LEN;
}

/* ---- Retry-After ------------------------------------------------------------------------- */

double azc_unix_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int azc_retry_after_parse(const char *value, size_t len, double now_unix, double *out_seconds) {
  double v;
  if (!value)
    return 0;
  if (!parse_number(value, len, &v)) {
    double when;
    size_t i = 0, end = len;
    /* HTTP-dates are matched on the value with its surrounding whitespace removed */
    while (i < end && is_space(value[i]))
      i++;
    while (end > i && is_space(value[end - 1]))
      end--;
    if (!azc_http_date_parse(value + i, end - i, &when))
      return 0;
    v = when - now_unix;
    if (!isfinite(v))
      return 0;
  }
  if (!(v > 0))
    v = 0; /* max(0, delay); also turns -0 into 0 */
  if (out_seconds)
    *out_seconds = v;
  return 1;
}

int azc_retry_after(const azc_headers *h, double now_unix, double *out_seconds) {
  static const char *const names[3] = {"retry-after", "retry-after-ms", "x-ms-retry-after-ms"};
  int k;
  if (!h)
    return 0;
  for (k = 0; k < 3; k++) {
    size_t vl = 0;
    const char *v = azc_headers_get(h, names[k], strlen(names[k]), &vl);
    double sec;
    if (!v || vl == 0)
      continue; /* azure-core tests truthiness: an empty value counts as absent */
    if (!azc_retry_after_parse(v, vl, now_unix, &sec))
      continue;
    if (out_seconds)
      *out_seconds = k ? sec / 1000.0 : sec;
    return 1;
  }
  return 0;
}
