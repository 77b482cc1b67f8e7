/* Unit tests for azc_retry_after: Retry-After values, HTTP-date parsing and formatting, and
 * robustness against arbitrary bytes (run under ASan/UBSan). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "azc_retry_after.h"
#include "ctest.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* Parse from an exactly sized heap copy, so a read past the end is caught by ASan. */
static int parse_date(const char *s, double *out) {
  size_t n = strlen(s);
  char *copy = malloc(n ? n : 1);
  int ok;
  memcpy(copy, s, n);
  ok = azc_http_date_parse(copy, n, out);
  free(copy);
  return ok;
}

static int parse_value(const char *s, double now, double *out) {
  size_t n = strlen(s);
  char *copy = malloc(n ? n : 1);
  int ok;
  memcpy(copy, s, n);
  ok = azc_retry_after_parse(copy, n, now, out);
  free(copy);
  return ok;
}

static void test_numbers(void) {
  static const struct {
    const char *in;
    double want;
  } ok[] = {{"5", 5},
            {"0.9", 0.9},
            {" 7 ", 7},
            {"+3", 3},
            {"-5", 0},
            {"1e1", 10},
            {".5", 0.5},
            {"5.", 5},
            {"0", 0},
            {"-0", 0},
            {"2.5E-1", 0.25},
            {"\t12\r\n", 12},
            {"000000000000000000000000042", 42},
            {"0.000000000000000000000000001", 1e-27},
            {"123456789012345678901234", 1.2345678901234568e23}};
  static const char *const bad[] = {"",    " ",     "abc",   "5s",  "0x10", "inf",
                                    "nan", "1e400", "1.2.3", "--1", "+",    ".",
                                    "e5",  "1e",    "1e+",   "1 2", "1,5",  "\xd9\xa1"};
  size_t i;
  for (i = 0; i < sizeof ok / sizeof *ok; i++) {
    double v = -1;
    CHECK(parse_value(ok[i].in, 0, &v));
    if (!(fabs(v - ok[i].want) <= 1e-12 * fabs(ok[i].want)))
      fprintf(stderr, "  value '%s' gave %.17g want %.17g\n", ok[i].in, v, ok[i].want);
    CHECK(fabs(v - ok[i].want) <= 1e-12 * fabs(ok[i].want));
  }
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    double v = -1;
    if (parse_value(bad[i], 0, &v))
      fprintf(stderr, "  accepted '%s'\n", bad[i]);
    CHECK(!parse_value(bad[i], 0, &v));
  }
  CHECK(!azc_retry_after_parse(NULL, 0, 0, NULL));
}

static void test_dates(void) {
  static const struct {
    const char *in;
    double want;
  } ok[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
      {"Sun Nov  6 08:49:37 1994", 784111777},
      {"Sun Nov 06 08:49:37 1994", 784111777},
      {"06 Nov 1994 08:49:37 GMT", 784111777},
      {"sun, 06 nov 1994 08:49:37 gmt", 784111777},
      {"  Sun,  6 Nov 1994 08:49:37 GMT  ", 784111777},
      {"Sun, 06 Nov 1994 09:49:37 +0100", 784111777},
      {"Sun, 06 Nov 1994 07:49:37 -0100", 784111777},
      {"Sun, 06 Nov 1994 08:49:37 UTC", 784111777},
      {"Sun, 06 Nov 94 08:49:37 GMT", 784111777},
      {"Fri, 1 Oct 2100 00:00:00 GMT", 4126032000.0},
      {"Sunday, 06-Nov-68 08:49:37 GMT", 3119417377.0},
      {"Sunday, 06-Nov-69 08:49:37 GMT", -4806623},
      {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799.0},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
      {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777}, /* weekday not checked, as Python */
  };
  static const char *const bad[] = {
      "",
      "   ",
      "Sun, 31 Feb 2020 00:00:00 GMT",
      "Mon, 29 Feb 1900 00:00:00 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 06 Nov 1994 08:49:37 EST",
      "Sun, 06 Nov 1994 08:49:37 GMT x",
      "Foo, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 199 08:49:37 GMT",
      "Sun, 06 Nov 19940 08:49:37 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 06 Xyz 1994 08:49:37 GMT",
      "Sun, 006 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:4:37 GMT",
      "Sun, 06 Nov 1994 08:49 GMT",
      "Sun, 06 Nov 1994 08:49:37 +01",
      "Sun, 06 Nov 1994 08:49:37 +2400",
      "Sunday, 06-Nov-94 08:49:37",
      "Sunday 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov  6 08:49:37 1994 GMT",
      "Sunday Nov  6 08:49:37 1994",
      "Sun,06 Nov 1994 08:49:37GMT",
      "1994-11-06T08:49:37Z",
      "Sun, 06 Nov 1994 08:49:37 GMT\n",
  };
  size_t i;
  double v;
  for (i = 0; i < sizeof ok / sizeof *ok; i++) {
    v = 12345;
    if (!parse_date(ok[i].in, &v) || !NEAR(v, ok[i].want))
      fprintf(stderr, "  date '%s' -> %.0f\n", ok[i].in, v);
    CHECK(parse_date(ok[i].in, &v) && NEAR(v, ok[i].want));
  }
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (parse_date(bad[i], &v))
      fprintf(stderr, "  accepted date '%s'\n", bad[i]);
    CHECK(!parse_date(bad[i], &v));
  }
  CHECK(!azc_http_date_parse(NULL, 0, &v));
  CHECK(azc_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, NULL)); /* out may be NULL */
  /* leap second: accepted, lands on the next minute */
  CHECK(parse_date("Sun, 06 Nov 1994 08:49:60 GMT", &v) && NEAR(v, 784111800));
}

static void test_format(void) {
  char out[30];
  double v;
  long long t;
  unsigned seed = 12345;
  int i;
  CHECK_INT(azc_http_date_format(784111777, out), AZC_HTTP_DATE_LEN);
  CHECK_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK_INT(azc_http_date_format(784111777.9, out), 29); /* fraction dropped */
  CHECK_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
  azc_http_date_format(0, out);
  CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
  azc_http_date_format(-1, out);
  CHECK_STR(out, "Wed, 31 Dec 1969 23:59:59 GMT");
  azc_http_date_format(-0.5, out);
  CHECK_STR(out, "Wed, 31 Dec 1969 23:59:59 GMT");
  azc_http_date_format(951782400, out);
  CHECK_STR(out, "Tue, 29 Feb 2000 00:00:00 GMT");
  azc_http_date_format(253402300799.0, out);
  CHECK_STR(out, "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK_INT(azc_http_date_format(253402300800.0, out), 0);
  CHECK_STR(out, "");
  CHECK_INT(azc_http_date_format(NAN, out), 0);
  CHECK_INT(azc_http_date_format(INFINITY, out), 0);
  CHECK_INT(azc_http_date_format(-1e20, out), 0);
  CHECK_INT(azc_http_date_format(-62167219200.0, out), 29); /* 0000-01-01 */
  CHECK_STR(out, "Sat, 01 Jan 0000 00:00:00 GMT");
  /* round trip over years 0000..9999 */
  for (i = 0; i < 20000; i++) {
    seed = seed * 1103515245u + 12345u;
    t = (long long)(((double)seed / 4294967296.0) * 315537897599.0) - 62167219200LL;
    CHECK_INT(azc_http_date_format((double)t, out), 29);
    v = 0;
    if (!azc_http_date_parse(out, strlen(out), &v) || v != (double)t) {
      fprintf(stderr, "  round trip %lld -> %s -> %.0f\n", t, out, v);
      CHECK(0);
      break;
    }
  }
}

static azc_headers *hdrs(const char *n1, const char *v1, const char *n2, const char *v2) {
  azc_headers *h = azc_headers_new();
  if (n1)
    azc_headers_set(h, n1, strlen(n1), v1, strlen(v1));
  if (n2)
    azc_headers_set(h, n2, strlen(n2), v2, strlen(v2));
  return h;
}

static void test_headers(void) {
  azc_headers *h;
  double s = -1;
  CHECK(!azc_retry_after(NULL, 0, &s));
  h = hdrs(NULL, NULL, NULL, NULL);
  CHECK(!azc_retry_after(h, 0, &s));
  azc_headers_unref(h);
  h = hdrs("Retry-After", "5", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 5));
  azc_headers_unref(h);
  h = hdrs("RETRY-AFTER", "0.9", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 0.9));
  azc_headers_unref(h);
  h = hdrs("retry-after-ms", "250", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 0.25));
  azc_headers_unref(h);
  h = hdrs("x-ms-retry-after-ms", "1500", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 1.5));
  azc_headers_unref(h);
  /* retry-after wins over the ms headers; retry-after-ms over x-ms-retry-after-ms */
  h = hdrs("retry-after-ms", "100", "Retry-After", "2");
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 2));
  azc_headers_unref(h);
  h = hdrs("x-ms-retry-after-ms", "100", "retry-after-ms", "300");
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 0.3));
  azc_headers_unref(h);
  /* an empty or unreadable retry-after falls through to the ms headers */
  h = hdrs("Retry-After", "", "retry-after-ms", "400");
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 0.4));
  azc_headers_unref(h);
  h = hdrs("Retry-After", "soon", "retry-after-ms", "400");
  CHECK(azc_retry_after(h, 0, &s) && NEAR(s, 0.4));
  azc_headers_unref(h);
  h = hdrs("Retry-After", "soon", NULL, NULL);
  CHECK(!azc_retry_after(h, 0, &s));
  azc_headers_unref(h);
  /* zero and negative values are values (0): the caller then uses its backoff */
  h = hdrs("Retry-After", "0", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && s == 0);
  azc_headers_unref(h);
  h = hdrs("Retry-After", "-3", NULL, NULL);
  CHECK(azc_retry_after(h, 0, &s) && s == 0);
  azc_headers_unref(h);
  /* HTTP-dates, relative to now; in the past -> 0; in an ms header -> / 1000 */
  h = hdrs("Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT", NULL, NULL);
  CHECK(azc_retry_after(h, 784111777, &s) && NEAR(s, 10));
  CHECK(azc_retry_after(h, 784111777.5, &s) && NEAR(s, 9.5));
  CHECK(azc_retry_after(h, 784111800, &s) && s == 0);
  CHECK(azc_retry_after(h, 784111777, NULL));
  azc_headers_unref(h);
  h = hdrs("retry-after-ms", "Sun, 06 Nov 1994 08:49:47 GMT", NULL, NULL);
  CHECK(azc_retry_after(h, 784111777, &s) && NEAR(s, 0.01));
  azc_headers_unref(h);
  h = hdrs("Retry-After", " Fri, 1 Oct 2100 00:00:00 GMT ", NULL, NULL);
  CHECK(azc_retry_after(h, 4126031000.0, &s) && NEAR(s, 1000));
  azc_headers_unref(h);
}

/* Arbitrary bytes: no crash, no UB (ASan/UBSan), results in range. */
static void test_fuzz(void) {
  static const char alphabet[] = "0123456789 ,:-+.eESunMoTuWdThFrSaJnFbMrApMyJlAgSpOcNvDcGMTUZ\t";
  unsigned seed = 987654321u;
  int i, j;
  for (i = 0; i < 200000; i++) {
    size_t n, k;
    char *buf;
    double v;
    seed = seed * 1664525u + 1013904223u;
    n = (seed >> 8) % 40;
    buf = malloc(n ? n : 1);
    for (k = 0; k < n; k++) {
      seed = seed * 1664525u + 1013904223u;
      if ((seed >> 30) == 0)
        buf[k] = (char)(seed >> 12); /* any byte */
      else
        buf[k] = alphabet[(seed >> 12) % (sizeof alphabet - 1)];
    }
    if (azc_http_date_parse(buf, n, &v))
      CHECK(isfinite(v));
    if (azc_retry_after_parse(buf, n, 1e9, &v))
      CHECK(isfinite(v) && v >= 0);
    free(buf);
  }
  /* mutations of valid dates */
  for (j = 0; j < 3; j++) {
    static const char *const base[3] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                        "Sunday, 06-Nov-94 08:49:37 GMT",
                                        "Sun Nov  6 08:49:37 1994"};
    size_t n = strlen(base[j]), k;
    for (i = 0; i < 20000; i++) {
      char *buf = malloc(n);
      double v;
      memcpy(buf, base[j], n);
      seed = seed * 1664525u + 1013904223u;
      buf[(seed >> 8) % n] = (char)(seed >> 16);
      seed = seed * 1664525u + 1013904223u;
      k = (seed >> 8) % (n + 1); /* also truncations */
      if (azc_http_date_parse(buf, k, &v))
        CHECK(isfinite(v));
      free(buf);
    }
  }
}

int main(void) {
  CTEST_RUN(test_numbers);
  CTEST_RUN(test_dates);
  CTEST_RUN(test_format);
  CTEST_RUN(test_headers);
  CTEST_RUN(test_fuzz);
  CTEST_END();
}
