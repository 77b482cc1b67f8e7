/*
 * test_url.c - azc_url: urlsplit-compatible parsing, composing, percent-encoding, and the
 * azure-core rules for HttpRequest.query / format_parameters (BEHAVIOR §1.1) and
 * PipelineClient.format_url (§2.3). Expected values were checked against azure-core 1.26.3
 * (Debian python3-azure) and Python 3.11's urllib.parse.
 */
#include "azc_url.h"
#include "ctest.h"

#include <string.h>

/* A slice as a C string (static buffers, rotated), or "(absent)". */
static const char *sl(azc_slice s) {
  static char bufs[8][256];
  static int k;
  char *b = bufs[k++ & 7];
  size_t n;
  if (!s.present)
    return s.len ? "(absent with length!)" : "(absent)";
  n = s.len < 255 ? s.len : 255;
  memcpy(b, s.ptr, n);
  b[n] = '\0';
  return b;
}

static azc_code parse(const char *u, azc_url *out) { return azc_url_parse(u, strlen(u), out); }

/* parse + compose must give the input back. */
static const char *roundtrip(const char *u) {
  static char out[512];
  azc_url p;
  azc_buf b = {0};
  if (parse(u, &p) != AZC_OK)
    return "(parse error)";
  if (azc_url_compose(&p, &b) != AZC_OK)
    return "(compose error)";
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static void test_parse_full(void) {
  azc_url u;
  CHECK_INT(parse("https://user:pw@example.com:8443/a/b%20c?x=1&y=2#frag", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "https");
  CHECK_STR(sl(u.userinfo), "user:pw");
  CHECK_STR(sl(u.host), "example.com");
  CHECK_STR(sl(u.port), "8443");
  CHECK_STR(sl(u.path), "/a/b%20c");
  CHECK_STR(sl(u.query), "x=1&y=2");
  CHECK_STR(sl(u.fragment), "frag");

  CHECK_INT(parse("http://host", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "http");
  CHECK_STR(sl(u.host), "host");
  CHECK_STR(sl(u.userinfo), "(absent)");
  CHECK_STR(sl(u.port), "(absent)");
  CHECK_STR(sl(u.path), "");
  CHECK_STR(sl(u.query), "(absent)");
  CHECK_STR(sl(u.fragment), "(absent)");

  /* Scheme keeps its case; the host too. */
  CHECK_INT(parse("HTTPS://Host.Example/X", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "HTTPS");
  CHECK_STR(sl(u.host), "Host.Example");
}

static void test_parse_query_fragment_edges(void) {
  azc_url u;
  /* Empty query and fragment are present. */
  CHECK_INT(parse("https://h/p?#", &u), AZC_OK);
  CHECK_STR(sl(u.query), "");
  CHECK_STR(sl(u.fragment), "");
  /* The fragment is cut first: a '?' after '#' belongs to the fragment. */
  CHECK_INT(parse("https://h/p#f?x=1", &u), AZC_OK);
  CHECK_STR(sl(u.path), "/p");
  CHECK_STR(sl(u.query), "(absent)");
  CHECK_STR(sl(u.fragment), "f?x=1");
  /* Only the first '?' starts the query. */
  CHECK_INT(parse("https://h/p?a=1?b=2#x#y", &u), AZC_OK);
  CHECK_STR(sl(u.query), "a=1?b=2");
  CHECK_STR(sl(u.fragment), "x#y");
  /* The authority ends at '?' and '#' as well as '/'. */
  CHECK_INT(parse("https://h?q", &u), AZC_OK);
  CHECK_STR(sl(u.host), "h");
  CHECK_STR(sl(u.path), "");
  CHECK_STR(sl(u.query), "q");
  CHECK_INT(parse("https://h#f", &u), AZC_OK);
  CHECK_STR(sl(u.host), "h");
  CHECK_STR(sl(u.fragment), "f");
  /* '=' and '&' in the query are not special to the parser. */
  CHECK_INT(parse("https://h/?a==b&&", &u), AZC_OK);
  CHECK_STR(sl(u.query), "a==b&&");
}

static void test_parse_ipv6_and_ports(void) {
  azc_url u;
  CHECK_INT(parse("http://[::1]:8080/x", &u), AZC_OK);
  CHECK_STR(sl(u.host), "::1");
  CHECK_STR(sl(u.port), "8080");
  CHECK_STR(sl(u.path), "/x");
  CHECK_INT(parse("http://[2001:db8::7]/", &u), AZC_OK);
  CHECK_STR(sl(u.host), "2001:db8::7");
  CHECK_STR(sl(u.port), "(absent)");
  CHECK_INT(parse("http://u@[fe80::1%25eth0]:1", &u), AZC_OK);
  CHECK_STR(sl(u.userinfo), "u");
  CHECK_STR(sl(u.host), "fe80::1%25eth0");
  CHECK_STR(sl(u.port), "1");
  CHECK_INT(parse("http://[::ffff:192.0.2.1]", &u), AZC_OK);
  CHECK_STR(sl(u.host), "::ffff:192.0.2.1");
  CHECK_INT(parse("http://[1:2:3:4:5:6:7:8]", &u), AZC_OK);
  CHECK_INT(parse("http://[::]", &u), AZC_OK);
  CHECK_INT(parse("http://[v1.fe]/", &u), AZC_OK);
  CHECK_STR(sl(u.host), "v1.fe");
  /* Ports: empty allowed, 0..65535, digits only. */
  CHECK_INT(parse("http://h:/x", &u), AZC_OK);
  CHECK_STR(sl(u.port), "");
  CHECK_INT(parse("http://h:0", &u), AZC_OK);
  CHECK_INT(parse("http://h:65535", &u), AZC_OK);
  CHECK_STR(sl(u.port), "65535");
  CHECK_INT(parse("http://h:00080", &u), AZC_OK);
  CHECK_INT(parse("http://h:65536", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://h:99999999999999999999", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://h:abc", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://h:80:90", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://h:-1", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[::1]:x", &u), AZC_ERR_VALUE);
  CHECK_STR(sl(u.host), "(absent)"); /* zeroed on error */
  /* Brackets ("Invalid IPv6 URL" in Python). */
  CHECK_INT(parse("http://[::1/x", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://::1]/x", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[::1]x/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://a[::1]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[zz::1]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[1.2.3.4]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[1:2:3:4:5:6:7:8:9]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[1:2:3:4:5:6:7]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[1::2::3]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[12345::]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[:1::]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[1::]/", &u), AZC_OK);
  CHECK_INT(parse("http://[1:2:3:4:5:6:7::]/", &u), AZC_OK);
  CHECK_INT(parse("http://[1:2:3:4:5:6:7:8::]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[::1%]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[::1.2.3.04]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[::1.2.3.256]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[v1]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[u@h]/", &u), AZC_ERR_VALUE);
  /* Python's odd corners: a ']' in the userinfo pairs with the host's '['. */
  CHECK_INT(parse("http://]@[::1", &u), AZC_OK);
  CHECK_STR(sl(u.userinfo), "]");
  CHECK_STR(sl(u.host), "::1");
  CHECK_STR(sl(u.port), "(absent)");
  CHECK_INT(parse("//[x]@v1.a/p", &u), AZC_OK);
  CHECK_STR(sl(u.host), "v1.a");
  CHECK_INT(parse("http://[::1]]/", &u), AZC_ERR_VALUE);
  CHECK_INT(parse("http://[a]@h/", &u), AZC_ERR_VALUE);
  /* Brackets outside the authority are just path/query text. */
  CHECK_INT(parse("http://h/[x]?a=[1", &u), AZC_OK);
  CHECK_STR(sl(u.path), "/[x]");
}

static void test_parse_userinfo(void) {
  azc_url u;
  /* Userinfo ends at the last '@' (Python's rpartition). */
  CHECK_INT(parse("https://a@b@h/p", &u), AZC_OK);
  CHECK_STR(sl(u.userinfo), "a@b");
  CHECK_STR(sl(u.host), "h");
  CHECK_INT(parse("https://@h", &u), AZC_OK);
  CHECK_STR(sl(u.userinfo), "");
  CHECK_STR(sl(u.host), "h");
  CHECK_INT(parse("https://user:p:w@h:1", &u), AZC_OK);
  CHECK_STR(sl(u.userinfo), "user:p:w");
  CHECK_STR(sl(u.port), "1");
}

static void test_parse_relative_and_schemes(void) {
  azc_url u;
  CHECK_INT(parse("/a/b?c=d#e", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_STR(sl(u.host), "(absent)");
  CHECK_STR(sl(u.path), "/a/b");
  CHECK_STR(sl(u.query), "c=d");
  CHECK_STR(sl(u.fragment), "e");
  CHECK_INT(parse("", &u), AZC_OK);
  CHECK_STR(sl(u.path), "");
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_INT(azc_url_parse(NULL, 0, &u), AZC_OK);
  CHECK_INT(azc_url_parse(NULL, 3, &u), AZC_ERR_ARG);
  CHECK_INT(azc_url_parse("x", 1, NULL), AZC_ERR_ARG);
  /* Network-path reference: an authority without a scheme. */
  CHECK_INT(parse("//h:1/x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_STR(sl(u.host), "h");
  CHECK_STR(sl(u.port), "1");
  /* urlsplit's scheme rule: text before the first ':' if it is a valid scheme. */
  CHECK_INT(parse("localhost:8080/x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "localhost");
  CHECK_STR(sl(u.path), "8080/x");
  CHECK_INT(parse("mailto:a@b", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "mailto");
  CHECK_STR(sl(u.host), "(absent)");
  CHECK_STR(sl(u.path), "a@b");
  CHECK_INT(parse("svn+ssh://h/x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "svn+ssh");
  CHECK_INT(parse("1a:x", &u), AZC_OK); /* must start with a letter */
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_STR(sl(u.path), "1a:x");
  CHECK_INT(parse(":x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_INT(parse("a_b:x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_INT(parse("/p:x", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "(absent)");
  CHECK_STR(sl(u.path), "/p:x");
  CHECK_INT(parse("file:///etc/x", &u), AZC_OK);
  CHECK_STR(sl(u.host), "");
  CHECK_STR(sl(u.path), "/etc/x");
  /* Leading C0 controls and spaces are skipped; trailing ones are kept. */
  CHECK_INT(parse("  \x1fhttp://h/p ", &u), AZC_OK);
  CHECK_STR(sl(u.scheme), "http");
  CHECK_STR(sl(u.path), "/p ");
  CHECK_INT(parse(" ", &u), AZC_OK);
  CHECK_STR(sl(u.path), "");
  /* Not NUL-terminated input: only len bytes are read. */
  CHECK_INT(azc_url_parse("http://h/p?q#f-and-more", 12, &u), AZC_OK);
  CHECK_STR(sl(u.path), "/p");
  CHECK_STR(sl(u.query), "q");
  CHECK_STR(sl(u.fragment), "(absent)");
}

static void test_compose_roundtrip(void) {
  static const char *const urls[] = {
      "https://user:pw@example.com:8443/a/b%20c?x=1&y=2#frag",
      "http://host",
      "http://host/",
      "http://[::1]:8080/x?#",
      "http://u@[fe80::1%25eth0]:/",
      "https://h/p#f?x=1",
      "https://@h:",
      "//h/x",
      "/a/b?c",
      "?",
      "#",
      "",
      "relative/path",
      "mailto:a@b",
      "file:///etc/x",
      "HTTPS://Host/X?Q#F",
  };
  size_t i;
  for (i = 0; i < sizeof urls / sizeof urls[0]; i++)
    CHECK_STR(roundtrip(urls[i]), urls[i]);
}

static void test_compose_built(void) {
  azc_url u;
  azc_buf b = {0};
  memset(&u, 0, sizeof u);
  u.scheme.ptr = "https";
  u.scheme.len = 5;
  u.scheme.present = 1;
  u.host.ptr = "2001:db8::1";
  u.host.len = 11;
  u.host.present = 1;
  u.port.ptr = "443";
  u.port.len = 3;
  u.port.present = 1;
  u.path.ptr = "x/y";
  u.path.len = 3;
  u.path.present = 1;
  u.query.ptr = "a=1";
  u.query.len = 3;
  u.query.present = 1;
  CHECK_INT(azc_url_compose(&u, &b), AZC_OK);
  CHECK_STR(b.data, "https://[2001:db8::1]:443/x/y?a=1");
  /* Appends to what the buffer holds. */
  u.query.present = 0;
  u.port.present = 0;
  u.host.ptr = "h";
  u.host.len = 1;
  CHECK_INT(azc_url_compose(&u, &b), AZC_OK);
  CHECK_STR(b.data, "https://[2001:db8::1]:443/x/y?a=1https://h/x/y");
  azc_buf_free(&b);
  /* Scheme without authority. */
  memset(&u, 0, sizeof u);
  u.scheme.ptr = "urn";
  u.scheme.len = 3;
  u.scheme.present = 1;
  u.path.ptr = "isbn:1";
  u.path.len = 6;
  u.path.present = 1;
  CHECK_INT(azc_url_compose(&u, &b), AZC_OK);
  CHECK_STR(b.data, "urn:isbn:1");
  azc_buf_free(&b);
  CHECK_INT(azc_url_compose(NULL, &b), AZC_ERR_ARG);
  CHECK_INT(azc_url_compose(&u, NULL), AZC_ERR_ARG);
}

static void test_is_absolute(void) {
#define ABS(u) azc_url_is_absolute(u, strlen(u))
  CHECK_INT(ABS("https://host/x"), 1);
  CHECK_INT(ABS("HTTPS://H"), 1);
  CHECK_INT(ABS("https://h:bad/x"), 1); /* the port is not looked at */
  CHECK_INT(ABS("ftp://u@h"), 1);
  CHECK_INT(ABS("x://@"), 1); /* netloc "@" is non-empty, as in Python */
  CHECK_INT(ABS("https:///x"), 0);
  CHECK_INT(ABS("//host/x"), 0);
  CHECK_INT(ABS("/foo"), 0);
  CHECK_INT(ABS("foo/bar"), 0);
  CHECK_INT(ABS("http:foo"), 0);
  CHECK_INT(ABS("localhost:8080/x"), 0);
  CHECK_INT(ABS("?q=1"), 0);
  CHECK_INT(ABS(""), 0);
  CHECK_INT(ABS("https://[::1/x"), 0);
  CHECK_INT(ABS(" \x01 https://h/x"), 1); /* leading C0/space skipped, as urlsplit does */
  CHECK_INT(ABS("\thttps://h/x"), 1);
  CHECK_INT(azc_url_is_absolute(NULL, 0), 0);
#undef ABS
}

/* quote/quote_plus/unquote into a fresh buffer; returns a static copy. */
static const char *q(int plus, const char *s, size_t len, const char *safe) {
  static char out[2048];
  azc_buf b = {0};
  azc_code rc = plus ? azc_url_quote_plus(s, len, safe, &b) : azc_url_quote(s, len, safe, &b);
  if (rc != AZC_OK)
    return "(error)";
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static const char *uq(const char *s, int plus) {
  static char out[2048];
  azc_buf b = {0};
  if (azc_url_unquote(s, strlen(s), plus, &b) != AZC_OK)
    return "(error)";
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

#define QS(s, safe) q(0, s, strlen(s), safe)
#define QP(s, safe) q(1, s, strlen(s), safe)

static void test_quote(void) {
  /* Values from Python: quote('a b/c~d+e%é', safe='') etc. */
  CHECK_STR(QS("a b/c~d+e%\xc3\xa9", ""), "a%20b%2Fc~d%2Be%25%C3%A9");
  CHECK_STR(QS("a b/c", "/"), "a%20b/c");
  CHECK_STR(QS("a b/c", NULL), "a%20b%2Fc");
  CHECK_STR(QS("AZaz09-._~", ""), "AZaz09-._~");
  CHECK_STR(QS("!*'();:@&=+$,/?#[]", ""), "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D");
  CHECK_STR(QS("!*'();:@&=+$,/?#[]", "!*'();:@&=+$,/?#[]"), "!*'();:@&=+$,/?#[]");
  CHECK_STR(QS("", ""), "");
  CHECK_STR(q(0, "a\0b", 3, ""), "a%00b");
  CHECK_STR(QS("\x7f\x80\xff", ""), "%7F%80%FF");
  /* Non-ASCII bytes in safe are ignored, as in Python. */
  CHECK_STR(QS("\xc3\xa9", "\xc3\xa9"), "%C3%A9");
  /* quote_plus: space -> '+', '+' encoded unless safe. */
  CHECK_STR(QP("a b+c/d", ""), "a+b%2Bc%2Fd");
  CHECK_STR(QP("a b", " "), "a+b");
  CHECK_STR(QP("a+b", "+"), "a+b");
  CHECK_STR(QP("x=1&y=2 3", ""), "x%3D1%26y%3D2+3");
  /* Appends to the buffer's content. */
  {
    azc_buf b = {0};
    azc_buf_puts(&b, "k=");
    CHECK_INT(azc_url_quote("v w", 3, "", &b), AZC_OK);
    CHECK_STR(b.data, "k=v%20w");
    azc_buf_free(&b);
    CHECK_INT(azc_url_quote(NULL, 1, "", &b), AZC_ERR_ARG);
    CHECK_INT(azc_url_quote("x", 1, "", NULL), AZC_ERR_ARG);
  }
}

static void test_unquote(void) {
  CHECK_STR(uq("%41%4g%%2%zz", 0), "A%4g%%2%zz");
  CHECK_STR(uq("abc%20def", 0), "abc def");
  CHECK_STR(uq("%e9%C3%a9", 0), "\xe9\xc3\xa9");
  CHECK_STR(uq("a+b%2B", 0), "a+b+");
  CHECK_STR(uq("a+b%2B", 1), "a b+");
  CHECK_STR(uq("%", 0), "%");
  CHECK_STR(uq("%4", 0), "%4");
  CHECK_STR(uq("x%", 0), "x%");
  CHECK_STR(uq("%%41", 0), "%A");
  CHECK_STR(uq("", 0), "");
  {
    /* Only len bytes: a '%' escape cut by the length is kept literally. */
    azc_buf b = {0};
    CHECK_INT(azc_url_unquote("%41%42", 5, 0, &b), AZC_OK);
    CHECK_STR(b.data, "A%4");
    azc_buf_free(&b);
    CHECK_INT(azc_url_unquote("%00", 3, 0, &b), AZC_OK);
    CHECK_INT(b.len, 1);
    CHECK_INT(b.data[0], 0);
    azc_buf_free(&b);
  }
}

static void test_quote_roundtrip_all_bytes(void) {
  char all[256];
  azc_buf e = {0}, d = {0}, p = {0}, dp = {0};
  int i, ok = 1;
  for (i = 0; i < 256; i++)
    all[i] = (char)i;
  CHECK_INT(azc_url_quote(all, 256, "", &e), AZC_OK);
  CHECK_INT(e.len, 66 + 190 * 3); /* 66 unreserved bytes pass through */
  CHECK_INT(azc_url_unquote(e.data, e.len, 0, &d), AZC_OK);
  CHECK_INT(d.len, 256);
  CHECK(d.len == 256 && memcmp(d.data, all, 256) == 0);
  CHECK_INT(azc_url_quote_plus(all, 256, "", &p), AZC_OK);
  CHECK_INT(azc_url_unquote(p.data, p.len, 1, &dp), AZC_OK);
  CHECK(dp.len == 256 && memcmp(dp.data, all, 256) == 0);
  for (i = 0; i < (int)e.len; i++)
    ok &= e.data[i] != ' ' && e.data[i] != '+';
  CHECK(ok);
  azc_buf_free(&e);
  azc_buf_free(&d);
  azc_buf_free(&p);
  azc_buf_free(&dp);
}

/* The query as "k=v|k=v|...", with "k" alone when there is no '='. */
static const char *pairs(const char *url) {
  static char out[1024];
  size_t pos = 0, used = 0;
  azc_query_pair p;
  int n = 0;
  out[0] = '\0';
  while (n < 100 && azc_url_query_next(url, strlen(url), &pos, &p)) {
    int k = snprintf(out + used, sizeof out - used, "%s%s%s%s", n++ ? "|" : "", sl(p.key),
                     p.value.present ? "=" : "", p.value.present ? sl(p.value) : "");
    CHECK(p.key.present);
    if (!p.value.present)
      CHECK_INT(p.value.len, 0);
    if (k < 0 || (size_t)k >= sizeof out - used)
      break;
    used += (size_t)k;
  }
  /* Finished iterators stay finished. */
  CHECK_INT(azc_url_query_next(url, strlen(url), &pos, &p), 0);
  return out;
}

static void test_query_pairs(void) {
  /* §1.1: https://x/y?a=b&c=&d -> {a:"b", c:"", d:""} */
  CHECK_STR(pairs("https://x/y?a=b&c=&d"), "a=b|c=|d");
  CHECK_STR(pairs("https://x/y"), "");
  CHECK_STR(pairs("https://x/y?"), "");
  CHECK_STR(pairs("https://x/y?#f"), "");
  CHECK_STR(pairs("https://x/y?a=1&&b=2&"), "a=1||b=2|");
  CHECK_STR(pairs("https://x/y?&"), "|");
  CHECK_STR(pairs("https://x/y?a=1=2&b==c"), "a=1=2|b==c");
  CHECK_STR(pairs("https://x/y?=v"), "=v");
  CHECK_STR(pairs("https://x/y#f?a=1"), "");
  CHECK_STR(pairs("https://x/y?a=1#f&b=2"), "a=1");
  CHECK_STR(pairs("https://x/y?a=1&#f"), "a=1|");
  CHECK_STR(pairs("a?b=1?c=2"), "b=1?c=2");
  CHECK_STR(pairs("https://x/y?a%20b=c%3Dd+e"), "a%20b=c%3Dd+e"); /* no decoding */
  CHECK_STR(pairs("https://x/y?a=1&a=2"), "a=1|a=2");
  CHECK_STR(pairs("?k"), "k");
  CHECK_STR(pairs(""), "");
  {
    size_t pos = 0;
    azc_query_pair p;
    CHECK_INT(azc_url_query_next(NULL, 0, &pos, &p), 0);
    pos = 0;
    CHECK_INT(azc_url_query_next("?a", 2, NULL, &p), 0);
    CHECK_INT(azc_url_query_next("?a", 2, &pos, NULL), 0);
    /* Length-bounded input. */
    pos = 0;
    CHECK_INT(azc_url_query_next("?a=1&b=2", 4, &pos, &p), 1);
    CHECK_STR(sl(p.key), "a");
    CHECK_STR(sl(p.value), "1");
    CHECK_INT(azc_url_query_next("?a=1&b=2", 4, &pos, &p), 0);
  }
}

/* format_parameters with a NULL-terminated list of key, value, key, value ... (value "\x01"
 * stands for NULL / None). */
static const char *fmtp(const char *url, const char *const *kv, azc_error *err) {
  static char out[1024];
  azc_param ps[16];
  size_t n = 0;
  azc_buf b = {0};
  azc_code rc;
  for (; kv && kv[0] && n < 16; kv += 2, n++) {
    ps[n].key = kv[0];
    ps[n].key_len = strlen(kv[0]);
    ps[n].value = strcmp(kv[1], "\x01") ? kv[1] : NULL;
    ps[n].value_len = ps[n].value ? strlen(kv[1]) : 0;
  }
  azc_error_clear(err);
  rc = azc_url_format_parameters(url, strlen(url), ps, n, &b, err);
  if (rc != AZC_OK) {
    snprintf(out, sizeof out, "ERR %s: %s", azc_code_name(rc), err->message);
    CHECK_INT(b.len, 0);
  } else {
    snprintf(out, sizeof out, "%s", b.data);
  }
  azc_buf_free(&b);
  return out;
}

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE_V "\x01"

static void test_format_parameters_rules(void) {
  azc_error e;
  /* §1.1's example. */
  CHECK_STR(fmtp("https://x/y?a=b", P("c", "d", "e", "1", "e", "2"), &e),
            "https://x/y?c=d&e=1&e=2&a=b");
  /* Existing URL value wins, at the parameter's position. */
  CHECK_STR(fmtp("https://x/y?a=b&c=z", P("c", "d", "e", "1", "e", "2"), &e),
            "https://x/y?c=z&e=1&e=2&a=b");
  /* A key repeated in the URL keeps its last value, first position; no '=' gives "k=". */
  CHECK_STR(fmtp("https://x/y?a=b&a=c&d", P("x", "1"), &e), "https://x/y?x=1&a=c&d=");
  /* URL value replaces a list parameter entirely. */
  CHECK_STR(fmtp("https://x/y?a=b", P("a", "1", "a", "2"), &e), "https://x/y?a=b");
  /* Same key in both, same value. */
  CHECK_STR(fmtp("https://x/y?a=1", P("a", "1"), &e), "https://x/y?a=1");
  /* Empty parts and '=' in values. */
  CHECK_STR(fmtp("https://x/y?a=1&&b=2&", P("c", "3"), &e), "https://x/y?c=3&a=1&=&b=2");
  CHECK_STR(fmtp("https://x/y?a=1=2&b", P("c", "3=4"), &e), "https://x/y?c=3=4&a=1=2&b=");
  /* Relative URLs. */
  CHECK_STR(fmtp("/rel?a=1", P("c", "3"), &e), "/rel?c=3&a=1");
  CHECK_STR(fmtp("/rel", P("c", "3"), &e), "/rel?c=3");
  /* Values and keys are not encoded. */
  CHECK_STR(fmtp("https://x/y", P("a b", "c d&e", "k", "%41"), &e), "https://x/y?a b=c d&e&k=%41");
  /* Empty key and value parameters. */
  CHECK_STR(fmtp("https://x/y", P("", ""), &e), "https://x/y?=");
  /* Ports, IPv6 and userinfo survive. */
  CHECK_STR(fmtp("https://u@[::1]:8443/p?q=1", P("a", "b"), &e), "https://u@[::1]:8443/p?a=b&q=1");
}

static void test_format_parameters_quirks(void) {
  azc_error e;
  /* No parameters, no query: a bare '?' is still appended (reference behaviour). */
  CHECK_STR(fmtp("https://x/y", NULL, &e), "https://x/y?");
  CHECK_STR(fmtp("https://x/y?a=1", NULL, &e), "https://x/y?a=1");
  /* An empty query does not count as a query. */
  CHECK_STR(fmtp("https://x/y?", P("a", "1"), &e), "https://x/y??a=1");
  /* Fragments: dropped with the query, kept (and followed) without one. */
  CHECK_STR(fmtp("https://x/y?b=2#f", P("a", "1"), &e), "https://x/y?a=1&b=2");
  CHECK_STR(fmtp("https://x/y#f", P("a", "1"), &e), "https://x/y#f?a=1");
  CHECK_STR(fmtp("https://x/y#f?b=2", P("a", "1"), &e), "https://x/y#f?b=2?a=1");
}

static void test_format_parameters_none(void) {
  azc_error e;
  azc_buf b = {0};
  CHECK_STR(fmtp("https://x/y", P("a", NONE_V), &e),
            "ERR ValueError: Query parameter a cannot be None");
  CHECK_INT(e.code, AZC_ERR_VALUE);
  /* A None inside a list. */
  CHECK_STR(fmtp("https://x/y", P("k", "1", "list", "1", "list", NONE_V), &e),
            "ERR ValueError: Query parameter list cannot be None");
  /* The first None in dict order is reported. */
  CHECK_STR(fmtp("https://x/y", P("b", NONE_V, "a", NONE_V), &e),
            "ERR ValueError: Query parameter b cannot be None");
  /* A URL value overrides the None before the check, as params.update() does. */
  CHECK_STR(fmtp("https://x/y?a=b", P("a", NONE_V), &e), "https://x/y?a=b");
  /* Malformed brackets: urlparse raises, with its messages. */
  CHECK_STR(fmtp("https://[::1/y?a=b", P("a", "1"), &e), "ERR ValueError: Invalid IPv6 URL");
  CHECK_STR(fmtp("https://[::1]]/y", P("a", "1"), &e), "ERR ValueError: Invalid IPv6 URL");
  CHECK_STR(fmtp("https://[1.2.3.4]/y", P("a", "1"), &e),
            "ERR ValueError: An IPv4 address cannot be in brackets");
  CHECK_STR(fmtp("https://[vz.1]/y", P("a", "1"), &e),
            "ERR ValueError: IPvFuture address is invalid");
  CHECK_STR(fmtp("https://[zz]/y", P("a", "1"), &e),
            "ERR ValueError: 'zz' does not appear to be an IPv4 or IPv6 address");
  CHECK_STR(fmtp("https://[a]@h/y", P("a", "1"), &e),
            "ERR ValueError: 'h' does not appear to be an IPv4 or IPv6 address");
  /* The output buffer is untouched on error, appended to on success. */
  azc_buf_puts(&b, "prefix:");
  {
    azc_param p;
    p.key = "a";
    p.key_len = 1;
    p.value = NULL;
    p.value_len = 0;
    CHECK_INT(azc_url_format_parameters("u", 1, &p, 1, &b, NULL), AZC_ERR_VALUE);
    CHECK_STR(b.data, "prefix:");
    p.value = "1";
    p.value_len = 1;
    CHECK_INT(azc_url_format_parameters("u", 1, &p, 1, &b, NULL), AZC_OK);
    CHECK_STR(b.data, "prefix:u?a=1");
    CHECK_INT(azc_url_format_parameters("u", 1, NULL, 1, &b, &e), AZC_ERR_ARG);
    CHECK_INT(azc_url_format_parameters("u", 1, &p, 1, NULL, &e), AZC_ERR_ARG);
  }
  azc_buf_free(&b);
}

static void test_format_parameters_many(void) {
  /* 2,000 parameters against a URL with 2,000 pairs, half overlapping: linear merge. */
  enum { N = 2000 };
  static char keys[N][8], vals[N][8];
  static azc_param ps[N];
  azc_buf url = {0}, out = {0}, want = {0};
  azc_error e;
  int i;
  azc_buf_puts(&url, "https://h/p?");
  for (i = 0; i < N; i++) {
    snprintf(keys[i], sizeof keys[i], "k%d", i);
    snprintf(vals[i], sizeof vals[i], "p%d", i);
    ps[i].key = keys[i];
    ps[i].key_len = strlen(keys[i]);
    ps[i].value = vals[i];
    ps[i].value_len = strlen(vals[i]);
    azc_buf_printf(&url, "%sk%d=u%d", i ? "&" : "", i + N / 2, i + N / 2);
  }
  CHECK_INT(azc_url_format_parameters(url.data, url.len, ps, N, &out, &e), AZC_OK);
  azc_buf_puts(&want, "https://h/p?");
  for (i = 0; i < N + N / 2; i++)
    azc_buf_printf(&want, "%sk%d=%c%d", i ? "&" : "", i, i < N / 2 ? 'p' : 'u', i);
  CHECK(out.data && strcmp(out.data, want.data) == 0);
  azc_buf_free(&url);
  azc_buf_free(&out);
  azc_buf_free(&want);
}

/* format_url lookup over a NULL-terminated key/value list. */
static const char *lookup_kv(void *ud, const char *name, size_t len, size_t *out_len) {
  const char *const *kv = ud;
  for (; kv && kv[0]; kv += 2) {
    if (strlen(kv[0]) == len && memcmp(kv[0], name, len) == 0) {
      *out_len = strlen(kv[1]);
      return kv[1];
    }
  }
  return NULL;
}

static const char *fu(const char *base, const char *tmpl, const char *const *kv) {
  static char out[1024];
  azc_buf b = {0};
  azc_error e;
  azc_code rc;
  azc_error_clear(&e);
  rc = azc_url_format(base, tmpl, lookup_kv, (void *)kv, &b, &e);
  if (rc != AZC_OK) {
    snprintf(out, sizeof out, "ERR %s: %s", azc_code_name(rc), e.message);
    CHECK_INT(b.len, 0);
  } else {
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  }
  azc_buf_free(&b);
  return out;
}

#define NOKW ((const char *const *)NULL)

static void test_format_url_examples(void) {
  const char *base = "https://host/base/";
  /* §2.3's examples. */
  CHECK_STR(fu(base, "/foo", NOKW), "https://host/base/foo");
  CHECK_STR(fu(base, "foo/bar", NOKW), "https://host/base/foo/bar");
  CHECK_STR(fu(base, "https://other/x", NOKW), "https://other/x");
  CHECK_STR(fu(base, "{a}/x/{b}", P("a", "A")), "https://host/base/A/x");
  CHECK_STR(fu(base, "?q=1", NOKW), "https://host/base/?q=1");
  CHECK_STR(fu("https://host/base", "?q=1", NOKW), "https://host/base/?q=1");
  /* The brief's example. */
  CHECK_STR(fu(base, "/foo/{a}", P("a", "x")), "https://host/base/foo/x");
}

static void test_format_url_sections(void) {
  const char *base = "https://host/base/";
  CHECK_STR(fu(base, "/{a}/x/{b}/y", P("b", "B")), "https://host/base/x/B/y");
  CHECK_STR(fu(base, "{a}{b}/c", P("a", "1")), "https://host/base/c");
  CHECK_STR(fu(base, "x/{a}/{a}/y", NOKW), "https://host/base/x/y");
  CHECK_STR(fu(base, "{a}//{b}", P("a", "1")), "https://host/base/1/");
  CHECK_STR(fu(base, "{a}/", P("a", "1")), "https://host/base/1/");
  CHECK_STR(fu(base, "{a}/{b}", P("a", "", "b", "2")), "https://host/base/2");
  CHECK_STR(fu(base, "foo", P("unused", "1")), "https://host/base/foo");
  /* Escaped braces stay literal. */
  CHECK_STR(fu(base, "{{a}}/{b}", P("b", "1")), "https://host/base/{a}/1");
  /* Values are not encoded, and may make the result absolute. */
  CHECK_STR(fu(base, "/{a}", P("a", "https://z/q")), "https://host/base/https://z/q");
  CHECK_STR(fu(base, "{a}", P("a", "https://z/q")), "https://z/q");
  CHECK_STR(fu(base, "/{a}", P("a", "a b/c?d")), "https://host/base/a b/c?d");
  CHECK_STR(fu(base, "https://o/{a}", P("a", "1")), "https://o/1");
  /* Leading spaces of the base are dropped by urlparse in the join, kept when used as is. */
  CHECK_STR(fu(" https://h/b", "x", NOKW), "https://h/b/x");
  CHECK_STR(fu(" https://h/b", "", NOKW), " https://h/b");
  CHECK_STR(fu(base, " https://h/x", NOKW), " https://h/x");
  /* Odd field names are just names. */
  CHECK_STR(fu(base, "/{a b}/{a-b}", P("a b", "1", "a-b", "2")), "https://host/base/1/2");
}

static void test_format_url_collapse(void) {
  const char *base = "https://host/base/";
  /* Nothing left: the formatted base URL, as is (trailing '/' kept). */
  CHECK_STR(fu(base, "{a}", NOKW), "https://host/base/");
  CHECK_STR(fu(base, "", NOKW), "https://host/base/");
  CHECK_STR(fu(base, "/{a}", NOKW), "https://host/base/");
  CHECK_STR(fu(base, "{a}/{b}", NOKW), "https://host/base/");
  CHECK_STR(fu("https://{acc}.blob/", "{a}", P("acc", "me")), "https://me.blob/");
  /* A template of only '/' is not empty: joined. */
  CHECK_STR(fu(base, "/", NOKW), "https://host/base/");
  CHECK_STR(fu(base, "///", NOKW), "https://host/base/");
}

static void test_format_url_join(void) {
  /* The base URL's query (and fragment) are kept behind the joined path. */
  CHECK_STR(fu("https://host/base?x=1", "/foo", NOKW), "https://host/base/foo?x=1");
  CHECK_STR(fu("https://host/base/?x=1", "/foo", NOKW), "https://host/base/foo?x=1");
  CHECK_STR(fu("https://host/base#frag", "/foo", NOKW), "https://host/base/foo#frag");
  CHECK_STR(fu("https://h/b?q#f", "foo", NOKW), "https://h/b/foo?q#f");
  /* Trailing '/' of the whole base string, then of its path, is stripped. */
  CHECK_STR(fu("https://host/base?x=/", "/foo", NOKW), "https://host/base/foo?x=");
  CHECK_STR(fu("https://host///", "foo", NOKW), "https://host/foo");
  CHECK_STR(fu("https://host", "foo", NOKW), "https://host/foo");
  /* An empty '?' of the base disappears. */
  CHECK_STR(fu("https://host/base?", "/foo", NOKW), "https://host/base/foo");
  /* The template's own query joins the base's, after it (newest azure-core; 1.26.3 put it inside
   * the path: "https://host/foo?a=b?x=1"). */
  CHECK_STR(fu("https://host", "/foo?a=b", NOKW), "https://host/foo?a=b");
  CHECK_STR(fu("https://host?x=1", "/foo?a=b", NOKW), "https://host/foo?x=1&a=b");
  CHECK_STR(fu("https://host/base/?api-version=1", "items?page=2", NOKW),
            "https://host/base/items?api-version=1&page=2");
  CHECK_STR(fu("https://h/b", "a#b", NOKW), "https://h/b/a#b");
  /* Ports and IPv6 hosts. */
  CHECK_STR(fu("https://host:8080/base/", "foo", NOKW), "https://host:8080/base/foo");
  CHECK_STR(fu("https://[::1]:8080/base/", "foo", NOKW), "https://[::1]:8080/base/foo");
  CHECK_STR(fu("https://h:99999/b", "x", NOKW), "https://h:99999/b/x");
  /* Not absolute: no scheme, or no netloc. */
  CHECK_STR(fu("https://host/base/", "//other/x", NOKW), "https://host/base/other/x");
  CHECK_STR(fu("https://host/base/", "https:///x", NOKW), "https://host/base/https:///x");
  CHECK_STR(fu("https://host/base/", "http:foo", NOKW), "https://host/base/http:foo");
  CHECK_STR(fu("https://host/base/", "HTTPS://H/x", NOKW), "HTTPS://H/x");
  /* urlparse/urlunparse effects: lower-cased scheme, ;params moved, netloc schemes. */
  CHECK_STR(fu("HTTPS://Host/base/", "foo", NOKW), "https://Host/base/foo");
  CHECK_STR(fu("https://host/base;p=1", "/foo", NOKW), "https://host/base/foo;p=1");
  CHECK_STR(fu("https://h/b;p/c", "foo", NOKW), "https://h/b;p/c/foo");
  CHECK_STR(fu("x;p", "foo", NOKW), "x/foo;p");
  CHECK_STR(fu("http:x", "foo", NOKW), "http:///x/foo");
  CHECK_STR(fu("mailto:x", "foo", NOKW), "mailto:x/foo");
  CHECK_STR(fu("//h/b", "foo", NOKW), "//h/b/foo");
  CHECK_STR(fu("host/base/", "foo", NOKW), "host/base/foo");
  CHECK_STR(fu("", "foo", NOKW), "/foo");
  /* Base placeholders are formatted with the same values. */
  CHECK_STR(fu("https://{account}.blob/{c}", "/foo", P("account", "acc", "c", "ctr")),
            "https://acc.blob/ctr/foo");
  /* Appends to the output buffer. */
  {
    azc_buf b = {0};
    azc_buf_puts(&b, "> ");
    CHECK_INT(azc_url_format("https://h/", "x", lookup_kv, NULL, &b, NULL), AZC_OK);
    CHECK_STR(b.data, "> https://h/x");
    CHECK_INT(azc_url_format("https://h/", "x}", lookup_kv, NULL, &b, NULL), AZC_ERR_VALUE);
    CHECK_STR(b.data, "> https://h/x");
    azc_buf_free(&b);
  }
}

static void test_format_url_errors(void) {
  const char *base = "https://host/base/";
  CHECK_STR(fu("https://{account}.blob/{c}", "/foo", P("account", "acc")),
            "ERR ValueError: The value provided for the url part c was incorrect, and resulted "
            "in an invalid url");
  CHECK_STR(fu("https://{account}.blob/", "/foo", NOKW),
            "ERR ValueError: The value provided for the url part account was incorrect, and "
            "resulted in an invalid url");
  /* Collapsed template with a missing base placeholder (Python: KeyError). */
  CHECK_STR(fu("https://{account}.blob/", "{a}", NOKW),
            "ERR ValueError: The value provided for the url part account was incorrect, and "
            "resulted in an invalid url");
  /* An absolute result never looks at the base. */
  CHECK_STR(fu("https://{account}.blob/", "https://o/{a}", P("a", "1")), "https://o/1");
  /* str.format syntax errors, with Python's messages. */
  CHECK_STR(fu(base, "x}", NOKW), "ERR ValueError: Single '}' encountered in format string");
  CHECK_STR(fu(base, "x{", NOKW), "ERR ValueError: Single '{' encountered in format string");
  CHECK_STR(fu(base, "x{a", NOKW), "ERR ValueError: expected '}' before end of string");
  CHECK_STR(fu(base, "{a{b}}", NOKW), "ERR ValueError: unexpected '{' in field name");
  CHECK_STR(fu(base, "{a}}", P("a", "1")),
            "ERR ValueError: Single '}' encountered in format string");
  CHECK_STR(fu(base, "x{}", NOKW),
            "ERR ValueError: Replacement index 0 out of range for positional args tuple");
  CHECK_STR(fu(base, "{00}", NOKW),
            "ERR ValueError: Replacement index 0 out of range for positional args tuple");
  CHECK_STR(fu(base, "{12}", NOKW),
            "ERR ValueError: Replacement index 12 out of range for positional args tuple");
  CHECK_STR(fu("https://h/{", "x", NOKW),
            "ERR ValueError: Single '{' encountered in format string");
  /* A syntax error inside a dropped segment disappears, as in Python. */
  CHECK_STR(fu(base, "{a}}/x", NOKW), "https://host/base/x");
  CHECK_STR(fu(base, "{a}/x}", NOKW), "ERR ValueError: Single '}' encountered in format string");
  /* Unsupported str.format features. */
  CHECK_STR(fu(base, "{a:>3}", P("a", "1")),
            "ERR ValueError: Unsupported url template field '{a:>3}': only {name} is supported");
  CHECK_STR(fu(base, "{a!r}", P("a", "1")),
            "ERR ValueError: Unsupported url template field '{a!r}': only {name} is supported");
  CHECK_STR(fu(base, "{a.b}", P("a", "1")),
            "ERR ValueError: Unsupported url template field '{a.b}': only {name} is supported");
  CHECK_STR(fu(base, "{a[0]}", P("a", "1")),
            "ERR ValueError: Unsupported url template field '{a[0]}': only {name} is supported");
  /* More str.format syntax errors, as CPython's parser reports them. */
  CHECK_STR(fu(base, "x{:99999{", NOKW), "ERR ValueError: unmatched '{' in format spec");
  CHECK_STR(fu(base, "{a:", NOKW), "ERR ValueError: unmatched '{' in format spec");
  CHECK_STR(fu(base, "a{b{", NOKW), "ERR ValueError: unexpected '{' in field name");
  CHECK_STR(fu(base, "{a[}", NOKW), "ERR ValueError: expected '}' before end of string");
  CHECK_STR(fu(base, "x{a!", NOKW),
            "ERR ValueError: end of string while looking for conversion specifier");
  CHECK_STR(fu(base, "{a!rx}", NOKW), "ERR ValueError: expected ':' after conversion specifier");
  CHECK_STR(fu(base, "{a!r", NOKW), "ERR ValueError: unmatched '{' in format spec");
  CHECK_STR(fu(base, "{a!r:{b}}", P("a", "1")),
            "ERR ValueError: Unsupported url template field '{a!r:{b}}': only {name} is supported");
  /* '/' in a field name: fine with a value; without one the segment cannot be dropped. */
  CHECK_STR(fu(base, "x/{a/b}", P("a/b", "1")), "https://host/base/x/1");
  CHECK_STR(fu(base, "x/{a/b}", NOKW), "ERR ValueError: No value for url template field {a/b}, "
                                       "which spans a '/' and cannot be removed");
  /* Malformed brackets. */
  CHECK_STR(fu("https://[::1/b", "x", NOKW), "ERR ValueError: Invalid IPv6 URL");
  CHECK_STR(fu(base, "https://[::1/x", NOKW), "ERR ValueError: Invalid IPv6 URL");
  CHECK_STR(fu(base, "//[::1]@/x", NOKW),
            "ERR ValueError: '' does not appear to be an IPv4 or IPv6 address");
  /* API misuse. */
  {
    azc_buf b = {0};
    azc_error e;
    CHECK_INT(azc_url_format(NULL, "x", lookup_kv, NULL, &b, &e), AZC_ERR_ARG);
    CHECK_INT(azc_url_format("b", NULL, lookup_kv, NULL, &b, &e), AZC_ERR_ARG);
    CHECK_INT(azc_url_format("b", "x", NULL, NULL, &b, &e), AZC_ERR_ARG);
    CHECK_INT(azc_url_format("b", "x", lookup_kv, NULL, NULL, &e), AZC_ERR_ARG);
  }
}

static void test_format_url_many_segments(void) {
  /* 500 segments, every other one missing: each round drops one name's segments. */
  azc_buf t = {0}, want = {0}, out = {0};
  const char *kv[] = {"have", "v", NULL};
  int i;
  for (i = 0; i < 500; i++) {
    if (i % 2)
      azc_buf_printf(&t, "/{m%d}", i);
    else
      azc_buf_printf(&t, "/s%d{have}", i);
  }
  azc_buf_puts(&want, "https://h/b");
  for (i = 0; i < 500; i += 2)
    azc_buf_printf(&want, "/s%dv", i);
  CHECK_INT(azc_url_format("https://h/b/", t.data, lookup_kv, (void *)kv, &out, NULL), AZC_OK);
  CHECK(out.data && strcmp(out.data, want.data) == 0);
  azc_buf_free(&t);
  azc_buf_free(&want);
  azc_buf_free(&out);
}

int main(void) {
  CTEST_RUN(test_parse_full);
  CTEST_RUN(test_parse_query_fragment_edges);
  CTEST_RUN(test_parse_ipv6_and_ports);
  CTEST_RUN(test_parse_userinfo);
  CTEST_RUN(test_parse_relative_and_schemes);
  CTEST_RUN(test_compose_roundtrip);
  CTEST_RUN(test_compose_built);
  CTEST_RUN(test_is_absolute);
  CTEST_RUN(test_quote);
  CTEST_RUN(test_unquote);
  CTEST_RUN(test_quote_roundtrip_all_bytes);
  CTEST_RUN(test_query_pairs);
  CTEST_RUN(test_format_parameters_rules);
  CTEST_RUN(test_format_parameters_quirks);
  CTEST_RUN(test_format_parameters_none);
  CTEST_RUN(test_format_parameters_many);
  CTEST_RUN(test_format_url_examples);
  CTEST_RUN(test_format_url_sections);
  CTEST_RUN(test_format_url_collapse);
  CTEST_RUN(test_format_url_join);
  CTEST_RUN(test_format_url_errors);
  CTEST_RUN(test_format_url_many_segments);
  CTEST_END();
}
