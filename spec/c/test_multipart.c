/*
 * test_multipart.c - azc_multipart: splitting multipart/mixed batch responses with the rules of
 * Python's email feed parser (azure-core's parts()), and embedded HTTP responses with
 * http.client's. Expected values were checked against /usr/bin/python3 (azure-core 1.26.3).
 */
#include "azc_multipart.h"
#include "ctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(lit) lit, (sizeof lit - 1)

static const char *boundary_of(const char *ct) {
  static char out[256];
  azc_buf b = {0};
  int rc = azc_multipart_boundary(ct, strlen(ct), &b);
  if (rc != 1) {
    azc_buf_free(&b);
    return rc == 0 ? "(none)" : "(nomem)";
  }
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static azc_multipart *parse(const char *ct, const char *body, size_t len) {
  azc_multipart *m = NULL;
  azc_error e;
  azc_code rc = azc_multipart_parse(ct, strlen(ct), body, len, &m, &e);
  if (rc != AZC_OK) {
    fprintf(stderr, "  parse failed: %s\n", e.message);
    return NULL;
  }
  return m;
}

static const char *body_of(const azc_multipart *m, size_t i) {
  return azc_multipart_body(azc_multipart_part(m, i), NULL);
}

/* Parse an embedded response; NULL with *err filled on failure. */
static azc_response *http(const char *data, size_t len, const char *method, azc_error *err) {
  azc_request *req = method ? azc_request_new(method, "http://x/") : NULL;
  azc_response *r = NULL;
  azc_multipart_parse_http_response(data, len, req, &r, err);
  azc_request_unref(req);
  return r;
}

static const char *content(azc_response *r) {
  size_t n;
  const char *c = azc_response_content(r, &n);
  return c ? c : "(unread)";
}

static const char *rheader(azc_response *r, const char *name) {
  return azc_headers_get(azc_response_headers(r), name, strlen(name), NULL);
}

static void test_boundary_param(void) {
  CHECK_STR(boundary_of("multipart/mixed; boundary=batch_1"), "batch_1");
  CHECK_STR(boundary_of("multipart/mixed; boundary=\"batch 1\""), "batch 1");
  CHECK_STR(boundary_of("Multipart/Mixed; charset=x; BOUNDARY = b ; x=y"), "b");
  CHECK_STR(boundary_of("multipart/mixed; a=\"x;boundary=no\"; boundary=yes"), "yes");
  CHECK_STR(boundary_of("multipart/mixed; boundary=\"a;b\""), "a;b");
  CHECK_STR(boundary_of("multipart/mixed; boundary=<abc>"), "abc");
  CHECK_STR(boundary_of("multipart/mixed; boundary=\"<abc>\""), "abc"); /* unquoted twice */
  CHECK_STR(boundary_of("multipart/mixed; boundary=\"a\\\"b\""), "a\"b");
  CHECK_STR(boundary_of("multipart/mixed; boundary=\"ab  \""), "ab"); /* right-trimmed */
  CHECK_STR(boundary_of("multipart/mixed; boundary=first; boundary=second"), "first");
  CHECK_STR(boundary_of("multipart/mixed; boundary"), ""); /* a bare name: empty */
  CHECK_STR(boundary_of("multipart/mixed"), "(none)");
  CHECK_STR(boundary_of("multipart/mixed; boundaryx=1; xboundary=2"), "(none)");
  CHECK_STR(boundary_of(""), "(none)");
  CHECK_STR(boundary_of(";;;"), "(none)");
}

static void test_simple_batch(void) {
  static const char body[] = "--b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n"
                             "HTTP/1.1 200 OK\r\n\r\none\r\n"
                             "--b\r\nContent-Type: application/http\r\n\r\n"
                             "HTTP/1.1 204 No Content\r\n\r\n\r\n"
                             "--b--\r\n";
  azc_multipart *m = parse("multipart/mixed; boundary=b", body, sizeof body - 1);
  const azc_multipart *p;
  size_t n;
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK(azc_multipart_is_multipart(m));
  CHECK_STR(azc_multipart_content_type(m), "multipart/mixed");
  CHECK_INT(azc_multipart_count(m), 2);
  p = azc_multipart_part(m, 0);
  CHECK_STR(azc_multipart_content_type(p), "application/http");
  CHECK(!azc_multipart_is_multipart(p));
  CHECK_STR(azc_headers_get(azc_multipart_headers(p), S("content-id"), NULL), "0");
  CHECK_STR(azc_multipart_body(p, &n), "HTTP/1.1 200 OK\r\n\r\none"); /* CRLF before -- dropped */
  CHECK_INT(n, 22);
  CHECK_STR(body_of(m, 1), "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(azc_multipart_part(m, 2) == NULL);
  CHECK_STR(azc_multipart_body(m, NULL), ""); /* a multipart has no body */
  azc_multipart_free(m);
  azc_multipart_free(NULL);
}

static void test_line_ends_preamble_epilogue_padding(void) {
  /* CRLF, CR or LF; transport padding; the preamble and the epilogue are dropped */
  static const char body[] = "preamble\n--b \t \ny\n--b\nA: 1\n\ntwo\r--b\r\r\nthree\r\n"
                             "--b--  \r\nepilogue\r\n--b\r\nnot a part";
  azc_multipart *m = parse("multipart/mixed; boundary=b", body, sizeof body - 1);
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 3);
  CHECK_STR(body_of(m, 0), "y"); /* "y" is not a header line: it starts the body */
  CHECK_STR(azc_multipart_content_type(azc_multipart_part(m, 0)), "text/plain");
  CHECK_STR(body_of(m, 1), "two");
  CHECK_STR(azc_headers_get(azc_multipart_headers(azc_multipart_part(m, 1)), S("a"), NULL), "1");
  CHECK_STR(body_of(m, 2), "three"); /* CR ended the delimiter line, CRLF the empty header block */
  azc_multipart_free(m);
  /* "--b-- x" is not a close delimiter, "--bx" no delimiter: the last part runs to the end */
  m = parse("multipart/mixed; boundary=b", S("--b\r\n\r\nz\r\n--bx\r\n--b-- x\r\n"));
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 1);
  CHECK_STR(body_of(m, 0), "z\r\n--bx\r\n--b-- x");
  azc_multipart_free(m);
}

static void test_repeated_delimiters_and_missing_close(void) {
  /* a run of delimiter lines (even a close one) makes no empty parts */
  azc_multipart *m =
      parse("multipart/mixed; boundary=b", S("--b\r\n--b\r\n--b--\r\nx\r\n--b\r\ny"));
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 2);
  CHECK_STR(body_of(m, 0), "x");
  CHECK_STR(body_of(m, 1), "y"); /* no close delimiter: tolerated */
  azc_multipart_free(m);
}

static void test_nested_changeset(void) {
  static const char body[] =
      "--batch\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"
      "\r\n--batch\r\n"
      "Content-Type: multipart/mixed; boundary=cs\r\n\r\n"
      "--cs\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 201 A\r\n\r\n"
      "\r\n--cs\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 202 B\r\n\r\n"
      "\r\n--cs--\r\n\r\n"
      "--batch\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 203 C\r\n\r\n"
      "\r\n--batch--\r\n";
  azc_multipart *m = parse("multipart/mixed; boundary=batch", body, sizeof body - 1);
  const azc_multipart *cs;
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 3);
  cs = azc_multipart_part(m, 1);
  CHECK(azc_multipart_is_multipart(cs));
  CHECK_STR(azc_multipart_content_type(cs), "multipart/mixed");
  CHECK_INT(azc_multipart_count(cs), 2);
  CHECK_STR(body_of(cs, 0), "HTTP/1.1 201 A\r\n\r\n");
  CHECK_STR(body_of(cs, 1), "HTTP/1.1 202 B\r\n\r\n");
  CHECK_STR(body_of(m, 2), "HTTP/1.1 203 C\r\n\r\n");
  azc_multipart_free(m);
}

static void test_outer_boundary_ends_inner_part(void) {
  /* the changeset is never closed: the outer delimiter ends it */
  static const char body[] = "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\n"
                             "inner\r\n--o\r\n\r\nouter\r\n--o--";
  azc_multipart *m = parse("multipart/mixed; boundary=o", body, sizeof body - 1);
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 2);
  CHECK_INT(azc_multipart_count(azc_multipart_part(m, 0)), 1);
  CHECK_STR(body_of(azc_multipart_part(m, 0), 0), "inner");
  CHECK_STR(body_of(m, 1), "outer");
  azc_multipart_free(m);
}

static void test_defective_nested_multipart_is_a_leaf(void) {
  azc_multipart *m =
      parse("multipart/mixed; boundary=o",
            S("--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\nno delimiter"
              "\r\n--o\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n--o--"));
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 2);
  CHECK(!azc_multipart_is_multipart(azc_multipart_part(m, 0)));
  CHECK_STR(azc_multipart_content_type(azc_multipart_part(m, 0)), "multipart/mixed");
  CHECK_STR(body_of(m, 0), "no delimiter\r\n"); /* kept as Python keeps it: raw */
  CHECK(!azc_multipart_is_multipart(azc_multipart_part(m, 1)));
  azc_multipart_free(m);
}

static void test_root_errors(void) {
  azc_multipart *m = (azc_multipart *)1;
  azc_error e;
  CHECK_INT(azc_multipart_parse(S("multipart/mixed"), S("--b\r\n"), &m, &e), AZC_ERR_DECODE);
  CHECK(m == NULL);
  CHECK(strstr(e.message, "no boundary") != NULL);
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b"), S("nothing here"), &m, &e),
            AZC_ERR_DECODE);
  CHECK(strstr(e.message, "'--b' was not found") != NULL);
  /* a close delimiter first is no start either */
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b"), S("--b--\r\n"), &m, &e),
            AZC_ERR_DECODE);
  CHECK_INT(azc_multipart_parse(S("application/json"), S("{}"), &m, &e), AZC_ERR_DECODE);
  CHECK(strstr(e.message, "application/json") != NULL);
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b"), NULL, 0, &m, &e), AZC_ERR_DECODE);
  CHECK_INT(azc_multipart_parse(NULL, 0, S("x"), &m, &e), AZC_ERR_ARG);
  /* an empty multipart is fine */
  CHECK_INT(
      azc_multipart_parse(S("multipart/mixed; boundary=b"), S("--b\r\n\r\n--b--\r\n"), &m, &e),
      AZC_OK);
  CHECK_INT(azc_multipart_count(m), 1); /* one empty part, as Python reads it */
  CHECK_STR(body_of(m, 0), "");
  azc_multipart_free(m);
}

static void test_depth_limit(void) {
  azc_buf b = {0};
  azc_multipart *m = NULL;
  azc_error e;
  int i;
  for (i = 0; i < AZC_MULTIPART_MAX_DEPTH + 2; i++)
    azc_buf_printf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i + 1);
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b0"), b.data, b.len, &m, &e),
            AZC_ERR_DECODE);
  CHECK(strstr(e.message, "nested deeper") != NULL);
  /* exactly at the limit: fine */
  b.len = 0;
  for (i = 0; i < AZC_MULTIPART_MAX_DEPTH - 1; i++)
    azc_buf_printf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i + 1);
  azc_buf_printf(&b, "--b%d\r\n\r\nleaf", i);
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b0"), b.data, b.len, &m, &e), AZC_OK);
  azc_multipart_free(m);
  azc_buf_free(&b);
}

static void test_part_headers(void) {
  static const char body[] = "--b\r\n"
                             "From someone\r\n" /* envelope line: ignored */
                             "Content-Type: Application/HTTP; msgtype=response\r\n"
                             "content-type: text/plain\r\n" /* repeated: the first wins */
                             "X-Fold: a\r\n\tb\r\n"         /* unfolded */
                             ": no name\r\n"                /* dropped */
                             "X-Nul: a\0b\r\n"              /* dropped from the map */
                             "\r\nbody\r\n--b\r\n"
                             "Content-Type: bad\r\n\r\nx\r\n--b\r\n" /* no '/': text/plain */
                             "A: 1\r\nFrom me\r\n\r\nrest\r\n--b--";
  azc_multipart *m = parse("multipart/mixed; boundary=b", body, sizeof body - 1);
  const azc_headers *h;
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 3);
  h = azc_multipart_headers(azc_multipart_part(m, 0));
  CHECK_STR(azc_multipart_content_type(azc_multipart_part(m, 0)), "application/http");
  CHECK_STR(azc_headers_get(h, S("Content-Type"), NULL), "Application/HTTP; msgtype=response");
  CHECK_STR(azc_headers_get(h, S("x-fold"), NULL), "a\tb");
  CHECK(azc_headers_get(h, S("x-nul"), NULL) == NULL);
  CHECK_INT(azc_headers_count(h), 2);
  CHECK_STR(body_of(m, 0), "body");
  CHECK_STR(azc_multipart_content_type(azc_multipart_part(m, 1)), "text/plain");
  /* a "From " line last among the headers goes back to the body */
  CHECK_STR(body_of(m, 2), "From me\r\nrest");
  azc_multipart_free(m);
}

static void test_transfer_encodings(void) {
  static const char body[] = "--b\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
                             "aGVs\r\nbG8=ignored\r\n"
                             "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                             "aGVsbA\r\n" /* unpadded: decoded as far as it goes */
                             "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                             "aGVs\r\nb\r\n" /* 1 char too many: Python keeps the text */
                             "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                             "l=C3=a9=\r\nger =3D=ZZ==\r\n"
                             "--b\r\nContent-Transfer-Encoding: base64 \r\n\r\n"
                             "aGk=\r\n" /* "base64 " is not base64 */
                             "--b--";
  azc_multipart *m = parse("multipart/mixed; boundary=b", body, sizeof body - 1);
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_INT(azc_multipart_count(m), 5);
  CHECK_STR(body_of(m, 0), "hello");
  CHECK_STR(body_of(m, 1), "hell");
  CHECK_STR(body_of(m, 2), "aGVsb");
  CHECK_STR(body_of(m, 3), "l\xc3\xa9ger ==ZZ=");
  CHECK_STR(body_of(m, 4), "aGk=");
  azc_multipart_free(m);
}

static void test_http_status_lines(void) {
  azc_error e;
  azc_response *r;
  r = http(S("HTTP/1.1 200 OK\r\n\r\n"), "GET", &e);
  CHECK(r && azc_response_status(r) == 200);
  CHECK_STR(azc_response_reason(r), "OK");
  CHECK_STR(content(r), "");
  CHECK(azc_response_is_read(r));
  azc_response_unref(r);
  r = http(S("  HTTP/1.0   404   Not   Found \t\r\n\r\nbody"), NULL, &e);
  CHECK(r && azc_response_status(r) == 404);
  CHECK_STR(azc_response_reason(r), "Not   Found");
  CHECK_STR(content(r), "body");
  azc_response_unref(r);
  r = http(S("HTTP/0.9 2_01\n\n"), NULL, &e); /* int() syntax, no reason, LF only */
  CHECK(r && azc_response_status(r) == 201);
  CHECK_STR(azc_response_reason(r), "");
  azc_response_unref(r);
  r = http(S("HTTP/1.5 +0202 X\r\n\r\n"), NULL, &e);
  CHECK(r && azc_response_status(r) == 202);
  azc_response_unref(r);
  r = http(S("HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 201 Created\r\n\r\nok"), NULL, &e);
  CHECK(r && azc_response_status(r) == 201);
  CHECK(r && rheader(r, "X") == NULL);
  CHECK_STR(content(r), "ok");
  azc_response_unref(r);
  /* the version of an interim 100 response is not checked (as http.client) */
  r = http(S("HTTP/x 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), NULL, &e);
  CHECK(r && azc_response_status(r) == 200);
  azc_response_unref(r);

  CHECK(http(S("HTTP/2 200 OK\r\n\r\n"), NULL, &e) == NULL);
  CHECK(strstr(e.message, "unknown protocol 'HTTP/2'") != NULL);
  CHECK(http(S("HTTP/1.1 99 Low\r\n\r\n"), NULL, &e) == NULL);
  CHECK(strstr(e.message, "bad status line") != NULL);
  CHECK(http(S("HTTP/1.1 1000 High\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 2__00 X\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 _200 X\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 -200 X\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("ICY 200 OK\r\n\r\n"), NULL, &e) == NULL);
  CHECK(http(S("\r\n"), NULL, &e) == NULL);
  CHECK(http(S(""), NULL, &e) == NULL);
  CHECK(strstr(e.message, "no status line") != NULL);
  CHECK(http(NULL, 0, NULL, &e) == NULL);
}

static void test_http_headers(void) {
  azc_error e;
  azc_response *r;
  azc_buf b = {0};
  int i;
  r = http(S("HTTP/1.1 200 OK\r\nX-Dup: 1\r\nA: a\r\nx-dup: 2\r\nX-Fold: p\r\n q\r\n"
             "X-Nul: a\0b\r\n: nameless\r\nbad line\r\nAfter: lost\r\n\r\n"),
           NULL, &e);
  CHECK(r != NULL);
  if (r) {
    size_t it = 0, nl = 0;
    const char *n = "";
    CHECK_STR(rheader(r, "x-dup"), "2"); /* last wins, first position, last case */
    CHECK(azc_headers_next(azc_response_headers(r), &it, &n, &nl, NULL, NULL));
    CHECK_INT(nl, 5);
    CHECK(memcmp(n, "x-dup", 5) == 0);
    CHECK_STR(rheader(r, "X-Fold"), "p q");
    CHECK(rheader(r, "X-Nul") == NULL);
    CHECK(rheader(r, "After") == NULL); /* after a non-header line: not headers */
    CHECK_INT(azc_headers_count(azc_response_headers(r)), 3);
    azc_response_unref(r);
  }
  /* 100 lines including the blank one are allowed, 101 are not */
  azc_buf_puts(&b, "HTTP/1.1 200 OK\r\n");
  for (i = 0; i < 99; i++)
    azc_buf_printf(&b, "H%d: v\r\n", i);
  azc_buf_puts(&b, "\r\n");
  r = http(b.data, b.len, NULL, &e);
  CHECK(r && azc_headers_count(azc_response_headers(r)) == 99);
  azc_response_unref(r);
  b.len = 0;
  azc_buf_puts(&b, "HTTP/1.1 200 OK\r\n");
  for (i = 0; i < 100; i++)
    azc_buf_printf(&b, "H%d: v\r\n", i);
  azc_buf_puts(&b, "\r\n");
  CHECK(http(b.data, b.len, NULL, &e) == NULL);
  CHECK(strstr(e.message, "more than 100 headers") != NULL);
  /* a line of 65536 bytes (with its LF) is allowed, 65537 is not */
  b.len = 0;
  azc_buf_puts(&b, "HTTP/1.1 200 OK\r\nX: ");
  for (i = 0; i < 65536 - 4; i++)
    azc_buf_append(&b, "v", 1);
  azc_buf_puts(&b, "\n\r\n");
  r = http(b.data, b.len, NULL, &e);
  CHECK(r != NULL);
  CHECK(r && strlen(rheader(r, "X")) == 65536 - 4);
  azc_response_unref(r);
  b.len = 0;
  azc_buf_puts(&b, "HTTP/1.1 200 OK\r\nX: ");
  for (i = 0; i < 65536 - 3; i++)
    azc_buf_append(&b, "v", 1);
  azc_buf_puts(&b, "\n\r\n");
  CHECK(http(b.data, b.len, NULL, &e) == NULL);
  CHECK(strstr(e.message, "too long") != NULL);
  azc_buf_free(&b);
}

static void test_http_bodies(void) {
  azc_error e;
  azc_response *r;
  r = http(S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"), NULL, &e);
  CHECK_STR(r ? content(r) : "", "abc");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 200 OK\r\nContent-Length:  \xa0 1_0 \r\n\r\n0123456789X"), NULL, &e);
  CHECK_STR(r ? content(r) : "", "0123456789");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\nall of it"), NULL, &e);
  CHECK_STR(r ? content(r) : "", "all of it"); /* negative: ignored */
  azc_response_unref(r);
  r = http(S("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nall"), NULL, &e);
  CHECK_STR(r ? content(r) : "", "all");
  azc_response_unref(r);
  CHECK(http(S("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort"), NULL, &e) == NULL);
  CHECK(strstr(e.message, "incomplete body (5 bytes read") != NULL);
  CHECK(http(S("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nx"), NULL, &e) ==
        NULL);
  /* no body for HEAD, 1xx, 204 and 304, whatever Content-Length says */
  r = http(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), "HEAD", &e);
  CHECK_STR(r ? content(r) : "", "");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"), "GET", &e);
  CHECK_STR(r ? content(r) : "", "");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 304 Not Modified\r\n\r\nhello"), "GET", &e);
  CHECK_STR(r ? content(r) : "", "");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 101 Switching\r\n\r\nhello"), "GET", &e);
  CHECK_STR(r ? content(r) : "", "");
  azc_response_unref(r);
}

static void test_http_chunked(void) {
  azc_error e;
  azc_response *r;
  r = http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 1\r\n\r\n"
             "3;ext=1\r\nabc\r\n0x2 \r\nde\r\n_A\r\n"),
           NULL, &e);
  /* "_A" is not a size: the body is incomplete */
  CHECK(r == NULL);
  CHECK(strstr(e.message, "bad chunk size") != NULL);
  r = http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3;ext=1\r\nabcXX0x_2 \r\ndeYY0\r\nTrailer: x\r\n\r\nignored"),
           NULL, &e);
  CHECK_STR(r ? content(r) : "", "abcde"); /* the two bytes after a chunk are not checked */
  azc_response_unref(r);
  r = http(S("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n"), NULL,
           &e);
  CHECK_STR(r ? content(r) : "", "z"); /* chunked wins over the no-body statuses */
  azc_response_unref(r);
  r = http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"), NULL, &e);
  CHECK_STR(r ? content(r) : "", ""); /* a missing trailer end is tolerated */
  azc_response_unref(r);
  /* the first Transfer-Encoding decides; "gzip, chunked" is not chunked */
  r = http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"),
           NULL, &e);
  CHECK_STR(r ? content(r) : "", "1\r\nz\r\n0\r\n\r\n");
  azc_response_unref(r);
  r = http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n"
             "1\r\nz\r\n0\r\n\r\n"),
           NULL, &e);
  CHECK_STR(r ? content(r) : "", "z");
  CHECK_STR(r ? rheader(r, "transfer-encoding") : "", "x");
  azc_response_unref(r);
  CHECK(http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab"), NULL, &e) == NULL);
  CHECK(http(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), NULL, &e) == NULL);
}

static void test_http_request_kept(void) {
  azc_request *req = azc_request_new("GET", "http://x/a");
  azc_response *r = NULL;
  azc_error e;
  CHECK_INT(azc_multipart_parse_http_response(S("HTTP/1.1 200 OK\r\n\r\n"), req, &r, &e), AZC_OK);
  CHECK(r && azc_response_request(r) == req);
  azc_request_unref(req); /* the response holds its own reference */
  CHECK_STR(r ? azc_request_url(azc_response_request(r)) : "", "http://x/a");
  azc_response_unref(r);
}

/* Linear work: 200,000 parts and one 4 MB part without line breaks parse quickly. */
static void test_large_inputs(void) {
  azc_buf b = {0};
  azc_multipart *m = NULL;
  azc_error e;
  int i;
  for (i = 0; i < 200000; i++)
    azc_buf_puts(&b, "--b\r\n\r\nx\r\n");
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b"), b.data, b.len, &m, &e), AZC_OK);
  CHECK_INT(azc_multipart_count(m), 200000);
  azc_multipart_free(m);
  b.len = 0;
  azc_buf_puts(&b, "--b\r\nContent-Type: multipart/mixed; boundary=\"");
  for (i = 0; i < 1 << 22; i++)
    azc_buf_append(&b, i % 2 ? ";" : "\"", 1);
  CHECK_INT(azc_multipart_parse(S("multipart/mixed; boundary=b"), b.data, b.len, &m, &e), AZC_OK);
  azc_multipart_free(m);
  azc_buf_free(&b);
}

int main(void) {
  CTEST_RUN(test_boundary_param);
  CTEST_RUN(test_simple_batch);
  CTEST_RUN(test_line_ends_preamble_epilogue_padding);
  CTEST_RUN(test_repeated_delimiters_and_missing_close);
  CTEST_RUN(test_nested_changeset);
  CTEST_RUN(test_outer_boundary_ends_inner_part);
  CTEST_RUN(test_defective_nested_multipart_is_a_leaf);
  CTEST_RUN(test_root_errors);
  CTEST_RUN(test_depth_limit);
  CTEST_RUN(test_part_headers);
  CTEST_RUN(test_transfer_encodings);
  CTEST_RUN(test_http_status_lines);
  CTEST_RUN(test_http_headers);
  CTEST_RUN(test_http_bodies);
  CTEST_RUN(test_http_chunked);
  CTEST_RUN(test_http_request_kept);
  CTEST_RUN(test_large_inputs);
  CTEST_END();
}
