/*
 * test_curl.c - the native curl transport against the real test servers (spec/support/servers.sh
 * writes their addresses to env.sh: TEST_SERVER_URL, TEST_TLS_URL, TEST_PROXY_URL, ...).
 * TEST_SERVER_URL must be set: CI always starts the servers, so a missing one is a failure.
 */
#define _DEFAULT_SOURCE /* setenv, unsetenv, mallinfo2 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "azc_curl.h"
#include "ctest.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static const char *env_or(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v) {
    fprintf(stderr, "  %s is not set (start spec/support/servers.sh and source env.sh)\n", name);
    ctest_cur_failed = 1;
    return NULL;
  }
  return v;
}

static char url_buf[4][1024];
static int url_slot;

/* base + path in one of a few rotating static buffers */
static const char *join(const char *base, const char *path) {
  char *b = url_buf[url_slot++ % 4];
  snprintf(b, sizeof url_buf[0], "%s%s", base ? base : "http://127.0.0.1:1", path);
  return b;
}

static const char *srv(const char *path) { return join(getenv("TEST_SERVER_URL"), path); }

static azc_curl *new_transport(azc_curl_config *cfg) {
  azc_curl_config def;
  azc_error err;
  azc_curl *t;
  if (!cfg) {
    azc_curl_config_init(&def);
    def.connection_timeout_ms = 5000;
    def.read_timeout_ms = 10000;
    def.use_env_settings = 0;
    cfg = &def;
  }
  t = azc_curl_new(cfg, &err);
  CHECK(t != NULL);
  return t;
}

/* Send and return the response (NULL on error, with *out_rc set). */
static azc_response *send_req(azc_curl *t, azc_request *req, const azc_send_options *o,
                              azc_code *out_rc, azc_error *err) {
  azc_response *resp = NULL;
  azc_error local;
  azc_code rc = azc_curl_send(t, req, o, &resp, err ? err : &local);
  if (rc != AZC_OK && getenv("CTEST_VERBOSE"))
    fprintf(stderr, "  %s %s: %s (%s: %s)\n", azc_request_method(req), azc_request_url(req),
            azc_code_name(rc), (err ? err : &local)->curl_name, (err ? err : &local)->message);
  if (out_rc)
    *out_rc = rc;
  return resp;
}

static azc_response *get(azc_curl *t, const char *url, azc_code *out_rc, azc_error *err) {
  azc_request *req = azc_request_new("GET", url);
  azc_response *r = send_req(t, req, NULL, out_rc, err);
  azc_request_unref(req);
  return r;
}

static const char *body(azc_response *r) {
  const char *c = r ? azc_response_content(r, NULL) : NULL;
  return c ? c : "";
}

static const char *header(azc_response *r, const char *name) {
  return azc_headers_get(azc_response_headers(r), name, strlen(name), NULL);
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Reads a whole stream (decoded or raw) through azc_response_next. */
static azc_code drain(azc_response *r, int raw, size_t max, azc_buf *out, azc_error *err) {
  for (int i = 0; i < 1000000; i++) {
    azc_read_state st;
    azc_code rc = azc_response_next(r, raw, max, out, &st, err);
    if (rc != AZC_OK)
      return rc;
    if (st == AZC_READ_EOF)
      return AZC_OK;
  }
  return AZC_ERR_ARG;
}

static int server_port(void) {
  const char *u = getenv("TEST_SERVER_URL");
  const char *colon = u ? strrchr(u, ':') : NULL;
  return colon ? atoi(colon + 1) : 0;
}

/* 1 when socket inode @p ino is one of this process's file descriptors. */
static int own_socket(unsigned long ino) {
  char path[64], link[64], want[40];
  int fd;
  snprintf(want, sizeof want, "socket:[%lu]", ino);
  for (fd = 0; fd < 1024; fd++) {
    ssize_t n;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
      link[n] = '\0';
      if (strcmp(link, want) == 0)
        return 1;
    }
  }
  return 0;
}

/* Local ports of this process's ESTABLISHED connections to the test server (from /proc). */
static int client_ports(int *ports, int max) {
  FILE *f = fopen("/proc/net/tcp", "r");
  char line[512];
  int n = 0, want = server_port();
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f) && n < max) {
    unsigned lport, rport, st;
    unsigned long ino;
    if (sscanf(line, " %*d: %*8X:%X %*8X:%X %X %*8X:%*8X %*2X:%*8X %*8X %*u %*d %lu", &lport,
               &rport, &st, &ino) == 4 &&
        (int)rport == want && st == 1 && own_socket(ino))
      ports[n++] = (int)lport;
  }
  fclose(f);
  return n;
}

/* A port with nothing listening on it. */
static int dead_port(void) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int s = socket(AF_INET, SOCK_STREAM, 0), port;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr *)&a, sizeof a);
  getsockname(s, (struct sockaddr *)&a, &len);
  port = ntohs(a.sin_port);
  close(s);
  return port;
}

/* ---- plain HTTP ------------------------------------------------------------------------- */

static void test_get_200(void) {
  azc_curl *t = new_transport(NULL);
  azc_code rc;
  azc_response *r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    size_t len;
    CHECK_INT(azc_response_status(r), 200);
    CHECK_STR(azc_response_reason(r), "OK");
    CHECK_STR(header(r, "content-type"), "application/json");
    CHECK_STR(azc_response_content(r, &len), "{\"hello\":\"world\",\"n\":1}");
    CHECK_INT(len, 23);
    CHECK_STR(azc_response_url(r), srv("/json"));
    CHECK(azc_response_is_read(r));
  }
  azc_response_unref(r);
  r = get(t, srv("/status/404?reason=Nope&header=X-A:%20b"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    CHECK_INT(azc_response_status(r), 404);
    CHECK_STR(azc_response_reason(r), "Nope");
    CHECK_STR(header(r, "x-a"), "b");
    CHECK_STR(body(r), "status 404");
  }
  azc_response_unref(r);
  azc_curl_unref(t);
}

static void test_head_and_repeated_headers(void) {
  azc_curl *t = new_transport(NULL);
  azc_request *req = azc_request_new("HEAD", srv("/bytes/100"));
  azc_code rc;
  azc_response *r = send_req(t, req, NULL, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    size_t len = 99;
    CHECK_INT(azc_response_status(r), 200);
    CHECK_STR(header(r, "Content-Length"), "100");
    azc_response_content(r, &len);
    CHECK_INT(len, 0);
  }
  azc_response_unref(r);
  azc_request_unref(req);
  /* repeated headers fold into "a, b" */
  r = get(t, srv("/cookies/set?a=1&b=2"), &rc, NULL);
  if (r)
    CHECK_STR(header(r, "set-cookie"), "a=1; Path=/, b=2; Path=/");
  azc_response_unref(r);
  r = get(t, srv("/large-headers?n=300"), &rc, NULL);
  if (r) {
    CHECK_INT(azc_headers_count(azc_response_headers(r)), 302); /* + Content-Type/Length */
    CHECK_STR(header(r, "x-h-300"), "value-300");
  }
  azc_response_unref(r);
  azc_curl_unref(t);
}

static void test_keepalive(void) {
  azc_curl *t = new_transport(NULL);
  int before[64], after[64], nb, na, i;
  azc_code rc;
  azc_response *r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  nb = client_ports(before, 64);
  for (i = 0; i < 5; i++) {
    r = get(t, srv("/echo"), &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    azc_response_unref(r);
  }
  na = client_ports(after, 64);
  CHECK(nb >= 1);
  CHECK(na >= 1);
  /* every connection open now already existed after the first request: one was reused */
  for (i = 0; i < na; i++) {
    int j, found = 0;
    for (j = 0; j < nb; j++)
      found |= after[i] == before[j];
    CHECK(found);
  }
  azc_curl_unref(t);
}

static void test_post_bytes(void) {
  azc_curl *t = new_transport(NULL);
  azc_request *req = azc_request_new("POST", srv("/echo"));
  azc_code rc;
  azc_response *r;
  azc_request_set_body_bytes(req, "hello world", 11);
  r = send_req(t, req, NULL, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    const char *b = body(r);
    CHECK(has(b, "\"method\":\"POST\""));
    CHECK(has(b, "\"body\":\"hello world\""));
    CHECK(has(b, "\"content-length\":\"11\""));
    CHECK(has(b, "\"accept-encoding\":\"gzip, deflate, br, zstd\""));
    /* curl defaults azure-core would not send; Accept is requests' own default */
    CHECK(!has(b, "\"expect\""));
    CHECK(has(b, "\"accept\":\"*\\/*\"") || has(b, "\"accept\":\"*/*\""));
    CHECK(!has(b, "\"content-type\""));
  }
  azc_response_unref(r);
  azc_request_unref(req);

  /* any method carries a body; lower-case methods are sent upper-case */
  req = azc_request_new("patch", srv("/echo"));
  azc_headers_set(azc_request_headers(req), "Content-Type", 12, "text/plain", 10);
  azc_headers_set(azc_request_headers(req), "Accept", 6, "text/x", 6);
  azc_headers_set(azc_request_headers(req), "X-Empty", 7, "", 0);
  azc_request_set_body_bytes(req, "xyz", 3);
  r = send_req(t, req, NULL, &rc, NULL);
  if (r) {
    const char *b = body(r);
    CHECK(has(b, "\"method\":\"PATCH\""));
    CHECK(has(b, "\"body\":\"xyz\""));
    CHECK(has(b, "\"content-type\":\"text\\/plain\"") || has(b, "\"content-type\":\"text/plain\""));
    CHECK(has(b, "\"accept\":\"text\\/x\"") || has(b, "\"accept\":\"text/x\""));
    CHECK(has(b, "\"x-empty\":\"\""));
  }
  azc_response_unref(r);
  azc_request_unref(req);

  /* an interim 100 Continue is skipped */
  req = azc_request_new("POST", srv("/echo"));
  azc_headers_set(azc_request_headers(req), "Expect", 6, "100-continue", 12);
  azc_request_set_body_bytes(req, "12345", 5);
  r = send_req(t, req, NULL, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    CHECK_INT(azc_response_status(r), 200);
    CHECK_STR(azc_response_reason(r), "OK");
    CHECK(has(body(r), "\"expect\":\"100-continue\""));
    CHECK(has(body(r), "\"body\":\"12345\""));
  }
  azc_response_unref(r);
  azc_request_unref(req);

  /* no body: Content-Length 0 for methods other than GET/HEAD (as requests) */
  req = azc_request_new("DELETE", srv("/echo"));
  r = send_req(t, req, NULL, &rc, NULL);
  if (r) {
    CHECK(has(body(r), "\"method\":\"DELETE\""));
    CHECK(has(body(r), "\"content-length\":\"0\""));
  }
  azc_response_unref(r);
  azc_request_unref(req);
  req = azc_request_new("GET", srv("/echo"));
  r = send_req(t, req, NULL, &rc, NULL);
  if (r)
    CHECK(!has(body(r), "\"content-length\""));
  azc_response_unref(r);
  azc_request_unref(req);
  azc_curl_unref(t);
}

typedef struct gen {
  size_t total, pos, chunk;
  int fail_at_end;
} gen;

static azc_code gen_read(void *ud, char *buf, size_t cap, size_t *out_n) {
  gen *g = ud;
  size_t n = g->total - g->pos, i;
  if (n == 0 && g->fail_at_end)
    return AZC_ERR_IO;
  if (n > cap)
    n = cap;
  if (n > g->chunk)
    n = g->chunk;
  for (i = 0; i < n; i++)
    buf[i] = (char)('a' + (g->pos + i) % 26);
  g->pos += n;
  *out_n = n;
  return AZC_OK;
}

static azc_code gen_rewind(void *ud) {
  ((gen *)ud)->pos = 0;
  return AZC_OK;
}

static void test_reader_body_chunked(void) {
  azc_curl *t = new_transport(NULL);
  gen g = {100000, 0, 1000, 0};
  azc_request *req = azc_request_new("PUT", srv("/echo?discard=1"));
  azc_code rc;
  azc_response *r;
  azc_request_set_body_reader(req, gen_read, gen_rewind, NULL, &g, -1);
  r = send_req(t, req, NULL, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    CHECK(has(body(r), "\"body_length\":100000"));
    CHECK(has(body(r), "\"transfer-encoding\":\"chunked\""));
    CHECK(has(body(r), "\"method\":\"PUT\""));
  }
  azc_response_unref(r);
  /* announced length: Content-Length, no chunking */
  g.pos = 0;
  azc_request_set_body_reader(req, gen_read, gen_rewind, NULL, &g, 100000);
  r = send_req(t, req, NULL, &rc, NULL);
  if (r) {
    CHECK(has(body(r), "\"body_length\":100000"));
    CHECK(has(body(r), "\"content-length\":\"100000\""));
    CHECK(!has(body(r), "transfer-encoding"));
  }
  azc_response_unref(r);
  /* a file body: its remaining size is the Content-Length */
  {
    FILE *f = tmpfile();
    int k;
    for (k = 0; k < 50000; k++)
      fputc('a' + k % 26, f);
    fseek(f, 1000, SEEK_SET);
    azc_request_set_body_file(req, f, 1);
    r = send_req(t, req, NULL, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    if (r) {
      CHECK(has(body(r), "\"body_length\":49000"));
      CHECK(has(body(r), "\"content-length\":\"49000\""));
    }
    azc_response_unref(r);
  }
  /* a reader failure is the transfer's error */
  g.pos = 0;
  g.fail_at_end = 1;
  azc_request_set_body_reader(req, gen_read, NULL, NULL, &g, -1);
  r = send_req(t, req, NULL, &rc, NULL);
  CHECK(r == NULL);
  CHECK_INT(rc, AZC_ERR_IO);
  azc_request_unref(req);
  azc_curl_unref(t);
}

static void test_feed_body(void) {
  azc_curl *t = new_transport(NULL);
  azc_request *req = azc_request_new("POST", srv("/echo"));
  azc_xfer *x = NULL;
  azc_error err;
  azc_code rc;
  azc_response *r = NULL;
  azc_read_state st;
  int i, needs = 0;
  const char *parts[] = {"abc", "def", "ghi"};
  azc_request_set_body_feed(req, -1);
  /* the synchronous send refuses a fed body */
  CHECK_INT(azc_curl_send(t, req, NULL, &r, &err), AZC_ERR_ARG);
  rc = azc_curl_start(t, req, NULL, &x, &err);
  CHECK_INT(rc, AZC_OK);
  if (!x) {
    azc_request_unref(req);
    azc_curl_unref(t);
    return;
  }
  for (i = 0; i < 10; i++) {
    azc_xfer_state s = azc_xfer_run(x, &err);
    if (s == AZC_XFER_NEED_BODY) {
      CHECK_INT(azc_xfer_feed(x, "", 0, 0), AZC_OK); /* an empty chunk changes nothing */
      CHECK_INT(azc_xfer_run(x, &err), AZC_XFER_NEED_BODY);
      CHECK_INT(azc_xfer_feed(x, parts[needs], 3, needs == 2), AZC_OK);
      needs++;
      continue;
    }
    CHECK_INT(s, AZC_XFER_RESPONSE);
    break;
  }
  CHECK_INT(needs, 3);
  r = azc_xfer_response(x);
  azc_xfer_free(x);
  CHECK(r != NULL);
  if (r) {
    CHECK_INT(azc_response_read(r, &st, &err), AZC_OK);
    CHECK(has(body(r), "\"body\":\"abcdefghi\""));
    CHECK(has(body(r), "\"transfer-encoding\":\"chunked\""));
  }
  azc_response_unref(r);

  /* announced length, everything fed up front */
  azc_request_set_body_feed(req, 6);
  rc = azc_curl_start(t, req, NULL, &x, &err);
  CHECK_INT(rc, AZC_OK);
  azc_xfer_feed(x, "123456", 6, 1);
  CHECK_INT(azc_xfer_run(x, &err), AZC_XFER_RESPONSE);
  r = azc_xfer_response(x);
  azc_xfer_free(x);
  if (r) {
    CHECK_INT(azc_response_read(r, &st, &err), AZC_OK);
    CHECK(has(body(r), "\"body\":\"123456\""));
    CHECK(has(body(r), "\"content-length\":\"6\""));
  }
  azc_response_unref(r);

  /* abandoned before the end: no leak, the transport still works */
  azc_request_set_body_feed(req, -1);
  rc = azc_curl_start(t, req, NULL, &x, &err);
  CHECK_INT(azc_xfer_run(x, &err), AZC_XFER_NEED_BODY);
  azc_xfer_free(x);
  azc_request_unref(req);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_curl_unref(t);
}

/* ---- streaming and decoding ------------------------------------------------------------- */

static size_t heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd; /* hblkhd: large blocks are mmapped */
#else
  return 0;
#endif
}

static void test_stream_large(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  azc_request *req = azc_request_new("GET", srv("/bytes/20000000"));
  azc_code rc;
  azc_response *r;
  azc_error err;
  size_t total = 0, base, peak = 0;
  int bad = 0, chunks = 0;
  azc_send_options_init(&o);
  o.stream = 1;
  base = heap_in_use();
  r = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    azc_buf chunk = {0};
    CHECK(!azc_response_is_read(r));
    for (int i = 0; i < 100000; i++) {
      azc_read_state st;
      size_t k, h;
      chunk.len = 0;
      rc = azc_response_next(r, 0, 65536, &chunk, &st, &err);
      if (rc != AZC_OK || st == AZC_READ_EOF)
        break;
      CHECK(chunk.len <= 65536);
      for (k = 0; k < chunk.len; k++)
        bad += (unsigned char)chunk.data[k] != (total + k) % 251;
      total += chunk.len;
      chunks++;
      if (chunks == 3)
        usleep(100000); /* let the server push while we do not read: back-pressure holds */
      h = heap_in_use();
      if (h > peak)
        peak = h;
    }
    CHECK_INT(rc, AZC_OK);
    CHECK_INT(total, 20000000);
    CHECK_INT(bad, 0);
    CHECK(azc_response_is_stream_consumed(r));
    azc_buf_free(&chunk);
  }
  /* memory stays bounded (when the allocator reports it: not under ASan) */
  if (getenv("CTEST_VERBOSE"))
    fprintf(stderr, "  stream: heap grew by %zu bytes at most\n", peak > base ? peak - base : 0);
  if (base && peak)
    CHECK(peak < base + 4 * 1024 * 1024);
  azc_response_unref(r);

  /* closed half-way: the transfer is abandoned, the next request works */
  r = send_req(t, req, &o, &rc, NULL);
  if (r) {
    azc_buf chunk = {0};
    azc_read_state st;
    CHECK_INT(azc_response_next(r, 0, 4096, &chunk, &st, &err), AZC_OK);
    azc_response_close(r);
    CHECK_INT(azc_response_next(r, 0, 4096, &chunk, &st, &err), AZC_ERR_STREAM_CLOSED);
    azc_buf_free(&chunk);
  }
  azc_response_unref(r);
  azc_request_unref(req);
  r = get(t, srv("/bytes/10?chunked=1"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    size_t len;
    const char *c = azc_response_content(r, &len);
    CHECK_INT(len, 10);
    CHECK(c && c[9] == 9);
  }
  azc_response_unref(r);
  azc_curl_unref(t);
}

/* Reads r to the end in chunks, dropping them; checks the byte pattern; tracks the heap peak. */
static size_t read_pattern(azc_response *r, size_t *ref_peak, azc_code *out_rc) {
  azc_buf chunk = {0};
  azc_error err;
  size_t total = 0;
  int bad = 0;
  *out_rc = AZC_OK;
  for (int i = 0; i < 1000000; i++) {
    azc_read_state st;
    size_t k, h;
    chunk.len = 0;
    *out_rc = azc_response_next(r, 1, 65536, &chunk, &st, &err);
    if (*out_rc != AZC_OK || st == AZC_READ_EOF)
      break;
    for (k = 0; k < chunk.len; k++)
      bad += (unsigned char)chunk.data[k] != (total + k) % 251;
    total += chunk.len;
    h = heap_in_use();
    if (h > *ref_peak)
      *ref_peak = h;
  }
  azc_buf_free(&chunk);
  CHECK_INT(bad, 0);
  return total;
}

/* While one stream is read, another one that nobody reads must not pile up in memory. */
static void test_backpressure(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  azc_request *req = azc_request_new("GET", srv("/bytes/30000000"));
  azc_response *a, *b;
  azc_code rc;
  size_t base, peak = 0, total;
  azc_send_options_init(&o);
  o.stream = 1;
  base = heap_in_use();
  a = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  b = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (a && b) {
    total = read_pattern(b, &peak, &rc);
    CHECK_INT(rc, AZC_OK);
    CHECK_INT(total, 30000000);
    total = read_pattern(a, &peak, &rc);
    CHECK_INT(rc, AZC_OK);
    CHECK_INT(total, 30000000);
  }
  if (getenv("CTEST_VERBOSE"))
    fprintf(stderr, "  backpressure: heap grew by %zu bytes at most\n",
            peak > base ? peak - base : 0);
  if (base && peak) /* when the allocator reports it (not under ASan) */
    CHECK(peak < base + 4 * 1024 * 1024);
  azc_response_unref(a);
  azc_response_unref(b);
  azc_request_unref(req);
  azc_curl_unref(t);
}

static void test_two_streams(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  azc_request *q1 = azc_request_new("GET", srv("/bytes/1000000"));
  azc_request *q2 = azc_request_new("GET", srv("/bytes/700000?chunked=1"));
  azc_response *r1, *r2;
  azc_code rc1, rc2;
  azc_buf b1 = {0}, b2 = {0};
  azc_error err;
  azc_send_options_init(&o);
  o.stream = 1;
  r1 = send_req(t, q1, &o, &rc1, NULL);
  r2 = send_req(t, q2, &o, &rc2, NULL);
  CHECK_INT(rc1, AZC_OK);
  CHECK_INT(rc2, AZC_OK);
  if (r1 && r2) {
    int e1 = 0, e2 = 0;
    for (int i = 0; i < 100000 && !(e1 && e2); i++) {
      azc_read_state st;
      if (!e1) {
        CHECK_INT(azc_response_next(r1, 1, 8192, &b1, &st, &err), AZC_OK);
        e1 = st == AZC_READ_EOF;
      }
      if (!e2) {
        CHECK_INT(azc_response_next(r2, 1, 8192, &b2, &st, &err), AZC_OK);
        e2 = st == AZC_READ_EOF;
      }
    }
    CHECK_INT(b1.len, 1000000);
    CHECK_INT(b2.len, 700000);
    if (b1.len == 1000000 && b2.len == 700000) {
      CHECK_INT((unsigned char)b1.data[999999], 999999 % 251);
      CHECK_INT((unsigned char)b2.data[699999], 699999 % 251);
    }
  }
  azc_buf_free(&b1);
  azc_buf_free(&b2);
  azc_response_unref(r1);
  azc_response_unref(r2);
  azc_request_unref(q1);
  azc_request_unref(q2);
  azc_curl_unref(t);
}

static void test_gzip(void) {
  azc_curl *t = new_transport(NULL);
  azc_code rc;
  azc_error err;
  azc_response *r = get(t, srv("/encoded/gzip"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    size_t len;
    const char *c = azc_response_content(r, &len);
    CHECK_STR(header(r, "Content-Encoding"), "gzip");
    CHECK_INT(len, 23000);
    CHECK(c && strncmp(c, "hello compressed world\nhello", 28) == 0);
  }
  azc_response_unref(r);
  /* raw: the bytes as sent */
  {
    azc_send_options o;
    azc_request *req = azc_request_new("GET", srv("/encoded/gzip"));
    azc_buf raw = {0};
    azc_send_options_init(&o);
    o.stream = 1;
    r = send_req(t, req, &o, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    if (r) {
      CHECK_INT(drain(r, 1, 100, &raw, &err), AZC_OK);
      CHECK(raw.len > 2 && raw.len < 23000);
      CHECK_INT(raw.len, atoi(header(r, "Content-Length")));
      CHECK(raw.len > 2 && (unsigned char)raw.data[0] == 0x1f &&
            (unsigned char)raw.data[1] == 0x8b);
    }
    azc_buf_free(&raw);
    azc_response_unref(r);
    azc_request_unref(req);
  }
  /* a body that is not what Content-Encoding says: DecodeError */
  r = get(t, srv("/encoded/bad"), &rc, &err);
  CHECK(r == NULL);
  CHECK_INT(rc, AZC_ERR_DECODE);
  azc_curl_unref(t);
}

static void test_cookies(void) {
  azc_curl *t = new_transport(NULL), *t2;
  azc_code rc;
  azc_response *r = get(t, srv("/cookies/set?a=1&b=two"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  r = get(t, srv("/cookies"), &rc, NULL);
  if (r) {
    CHECK(has(body(r), "\"a\":\"1\""));
    CHECK(has(body(r), "\"b\":\"two\""));
  }
  azc_response_unref(r);
  /* a request's own Cookie header replaces the jar */
  {
    azc_request *req = azc_request_new("GET", srv("/cookies"));
    azc_headers_set(azc_request_headers(req), "Cookie", 6, "c=3", 3);
    r = send_req(t, req, NULL, &rc, NULL);
    if (r)
      CHECK_STR(body(r), "{\"c\":\"3\"}");
    azc_response_unref(r);
    azc_request_unref(req);
  }
  /* jars are per transport */
  t2 = new_transport(NULL);
  r = get(t2, srv("/cookies"), &rc, NULL);
  if (r)
    CHECK_STR(body(r), "{}");
  azc_response_unref(r);
  azc_curl_unref(t2);
  azc_curl_unref(t);
}

/* ---- failures --------------------------------------------------------------------------- */

static void expect_fail(azc_curl *t, const char *url, const azc_send_options *o, azc_code want,
                        const char *want_name) {
  azc_request *req = azc_request_new("GET", url);
  azc_error err;
  azc_code rc;
  azc_response *r = send_req(t, req, o, &rc, &err);
  CHECK(r == NULL);
  if (rc != want)
    fprintf(stderr, "  %s: %s (%s: %s)\n", url, azc_code_name(rc), err.curl_name, err.message);
  CHECK_INT(rc, want);
  if (want_name)
    CHECK_STR(err.curl_name, want_name);
  CHECK(err.message[0] != '\0');
  azc_response_unref(r);
  azc_request_unref(req);
}

static void test_faults(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  char u[128];
  snprintf(u, sizeof u, "http://127.0.0.1:%d/", dead_port());
  expect_fail(t, u, NULL, AZC_ERR_SERVICE_REQUEST, "CURLE_COULDNT_CONNECT");
  expect_fail(t, "http://no-such-host.invalid/", NULL, AZC_ERR_SERVICE_REQUEST,
              "CURLE_COULDNT_RESOLVE_HOST");
  expect_fail(t, "ftp://127.0.0.1/x", NULL, AZC_ERR_SERVICE_REQUEST, NULL);
  expect_fail(t, srv("/fault/reset"), NULL, AZC_ERR_SERVICE_RESPONSE, NULL);
  expect_fail(t, srv("/fault/truncated"), NULL, AZC_ERR_SERVICE_RESPONSE, "CURLE_PARTIAL_FILE");
  expect_fail(t, srv("/fault/malformed"), NULL, AZC_ERR_SERVICE_RESPONSE, NULL);
  expect_fail(t, srv("/fault/close"), NULL, AZC_ERR_SERVICE_RESPONSE, "CURLE_GOT_NOTHING");
  azc_send_options_init(&o);
  o.read_timeout_ms = 300;
  /* no answer at all, then a body that stalls after the headers */
  expect_fail(t, srv("/fault/hang"), &o, AZC_ERR_SERVICE_RESPONSE_TIMEOUT,
              "CURLE_OPERATION_TIMEDOUT");
  expect_fail(t, srv("/drip?bytes=3&delay_ms=1000"), &o, AZC_ERR_SERVICE_RESPONSE_TIMEOUT,
              "CURLE_OPERATION_TIMEDOUT");
  /* a slow drip within the idle limit is fine: the limit is per gap, not in total */
  {
    azc_code rc;
    azc_response *r;
    o.read_timeout_ms = 600;
    azc_request *req = azc_request_new("GET", srv("/drip?bytes=6&delay_ms=150"));
    r = send_req(t, req, &o, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    if (r)
      CHECK_STR(body(r), "******");
    azc_response_unref(r);
    azc_request_unref(req);
  }
  /* the transport still works after all that */
  {
    azc_code rc;
    azc_response *r = get(t, srv("/json"), &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    azc_response_unref(r);
  }
  azc_curl_unref(t);
}

static void test_stream_errors_are_not_eof(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  azc_request *req = azc_request_new("GET", srv("/drip?bytes=4&delay_ms=800"));
  azc_response *r;
  azc_code rc;
  azc_error err;
  azc_buf b = {0};
  azc_send_options_init(&o);
  o.stream = 1;
  o.read_timeout_ms = 200;
  r = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    CHECK_INT(drain(r, 0, 10, &b, &err), AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
    CHECK_INT(err.curl_code, 28);
    CHECK_INT(b.len, 0);
  }
  azc_response_unref(r);
  azc_request_unref(req);
  req = azc_request_new("GET", srv("/fault/truncated"));
  r = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r) {
    b.len = 0;
    CHECK_INT(drain(r, 1, 4, &b, &err), AZC_ERR_SERVICE_RESPONSE);
    CHECK_INT(b.len, 10); /* what arrived is delivered, then the error */
  }
  azc_response_unref(r);
  azc_request_unref(req);
  azc_buf_free(&b);
  azc_curl_unref(t);
}

static void test_connect_timeout(void) {
  const char *bp = env_or("TEST_BLACKHOLE_PORT");
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  int fill[3], i;
  char u[128];
  struct sockaddr_in a;
  if (!bp) {
    azc_curl_unref(t);
    return;
  }
  /* Fill the never-accepted listener's queue, so our connect hangs in SYN_SENT. */
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)atoi(bp));
  for (i = 0; i < 3; i++) {
    fill[i] = socket(AF_INET, SOCK_STREAM, 0);
    fcntl(fill[i], F_SETFL, O_NONBLOCK);
    connect(fill[i], (struct sockaddr *)&a, sizeof a);
  }
  usleep(50000);
  snprintf(u, sizeof u, "http://127.0.0.1:%s/", bp);
  azc_send_options_init(&o);
  o.connection_timeout_ms = 300;
  expect_fail(t, u, &o, AZC_ERR_SERVICE_REQUEST_TIMEOUT, "CURLE_OPERATION_TIMEDOUT");
  for (i = 0; i < 3; i++)
    close(fill[i]);
  azc_curl_unref(t);
}

/* ---- TLS -------------------------------------------------------------------------------- */

static azc_curl *tls_transport(const char *ca, int verify, const char *cert, const char *key,
                               int http2) {
  azc_curl_config c;
  azc_curl_config_init(&c);
  c.connection_timeout_ms = 5000;
  c.read_timeout_ms = 10000;
  c.use_env_settings = 0;
  c.ca_file = ca;
  c.verify = verify;
  c.cert_file = cert;
  c.key_file = key;
  c.http2 = http2;
  return new_transport(&c);
}

static void test_tls(void) {
  const char *tls = env_or("TEST_TLS_URL"), *ca = env_or("TEST_CA");
  const char *other = env_or("TEST_CA_OTHER");
  azc_curl *t;
  azc_code rc;
  azc_response *r;
  azc_send_options o;
  if (!tls || !ca || !other)
    return;
  t = tls_transport(ca, 1, NULL, NULL, 0);
  r = get(t, join(tls, "/"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_STR(body(r), "{\"tls\":true}");
  azc_response_unref(r);
  /* through nginx to the plain server */
  r = get(t, join(tls, "/srv/json"), &rc, NULL);
  if (r)
    CHECK_STR(body(r), "{\"hello\":\"world\",\"n\":1}");
  azc_response_unref(r);
  /* per-send: verification off works with any CA setting */
  azc_send_options_init(&o);
  o.ca_file = other;
  expect_fail(t, join(tls, "/"), &o, AZC_ERR_SERVICE_REQUEST, "CURLE_PEER_FAILED_VERIFICATION");
  o.verify = 0;
  {
    azc_request *req = azc_request_new("GET", join(tls, "/"));
    r = send_req(t, req, &o, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    azc_response_unref(r);
    azc_request_unref(req);
  }
  azc_curl_unref(t);

  t = tls_transport(NULL, 1, NULL, NULL, 0); /* system CAs: the test CA is unknown */
  expect_fail(t, join(tls, "/"), NULL, AZC_ERR_SERVICE_REQUEST, "CURLE_PEER_FAILED_VERIFICATION");
  azc_curl_unref(t);
  t = tls_transport(NULL, 0, NULL, NULL, 0);
  r = get(t, join(tls, "/"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_curl_unref(t);
}

static void test_mtls(void) {
  const char *mtls = env_or("TEST_MTLS_URL"), *ca = env_or("TEST_CA");
  const char *cert = env_or("TEST_CLIENT_CERT"), *key = env_or("TEST_CLIENT_KEY");
  const char *combined = env_or("TEST_CLIENT_COMBINED");
  azc_curl *t;
  azc_code rc;
  azc_response *r;
  if (!mtls || !ca || !cert || !key || !combined)
    return;
  t = tls_transport(ca, 1, cert, key, 0);
  r = get(t, join(mtls, "/echo-cert"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_STR(body(r), "SUCCESS");
  azc_response_unref(r);
  azc_curl_unref(t);
  t = tls_transport(ca, 1, combined, NULL, 0);
  r = get(t, join(mtls, "/echo-cert"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_STR(body(r), "SUCCESS");
  azc_response_unref(r);
  azc_curl_unref(t);
  /* without a certificate nginx answers 400 */
  t = tls_transport(ca, 1, NULL, NULL, 0);
  r = get(t, join(mtls, "/echo-cert"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_INT(azc_response_status(r), 400);
  azc_response_unref(r);
  azc_curl_unref(t);
}

static void test_http2(void) {
  const char *h2 = env_or("TEST_H2_URL"), *ca = env_or("TEST_CA");
  azc_curl *t;
  azc_code rc;
  azc_response *r;
  int i;
  if (!h2 || !ca)
    return;
  t = tls_transport(ca, 1, NULL, NULL, 1);
  for (i = 0; i < 3; i++) { /* reused connection too */
    r = get(t, join(h2, "/protocol"), &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    if (r) {
      CHECK_STR(body(r), "HTTP/2.0");
      CHECK_INT(azc_response_status(r), 200);
      CHECK_STR(azc_response_reason(r), "");
    }
    azc_response_unref(r);
  }
  {
    azc_send_options o;
    azc_request *req = azc_request_new("GET", join(h2, "/srv/bytes/300000"));
    azc_buf b = {0};
    azc_error err;
    azc_send_options_init(&o);
    o.stream = 1;
    r = send_req(t, req, &o, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    if (r) {
      CHECK_INT(drain(r, 0, 1000, &b, &err), AZC_OK);
      CHECK_INT(b.len, 300000);
    }
    azc_buf_free(&b);
    azc_response_unref(r);
    azc_request_unref(req);
  }
  azc_curl_unref(t);
  t = tls_transport(ca, 1, NULL, NULL, 0);
  r = get(t, join(h2, "/protocol"), &rc, NULL);
  if (r)
    CHECK_STR(body(r), "HTTP/1.1");
  azc_response_unref(r);
  azc_curl_unref(t);
}

/* ---- proxies ---------------------------------------------------------------------------- */

static long count_in_file(const char *path, const char *needle) {
  FILE *f = fopen(path, "r");
  char line[2048];
  long n = 0;
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    n += strstr(line, needle) != NULL;
  fclose(f);
  return n;
}

static void test_proxy(void) {
  const char *proxy = env_or("TEST_PROXY_URL"), *auth = env_or("TEST_AUTH_PROXY_URL");
  const char *tls = env_or("TEST_TLS_URL"), *ca = env_or("TEST_CA");
  const char *dir = getenv("TEST_SERVERS_DIR");
  char log[1024], authurl[256], dead[128];
  azc_curl_config c;
  azc_curl *t;
  azc_code rc;
  azc_response *r;
  azc_send_options o;
  long connects;
  if (!proxy || !auth || !tls || !ca)
    return;
  snprintf(log, sizeof log, "%s/tinyproxy.log", dir ? dir : "/nonexistent");
  snprintf(dead, sizeof dead, "http://127.0.0.1:%d", dead_port());
  azc_curl_config_init(&c);
  c.use_env_settings = 0;
  c.connection_timeout_ms = 5000;
  c.ca_file = ca;
  c.http_proxy = proxy;
  c.https_proxy = proxy;
  t = new_transport(&c);
  r = get(t, srv("/echo"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK(has(body(r), "tinyproxy")); /* its Via header */
  azc_response_unref(r);
  connects = count_in_file(log, "CONNECT");
  r = get(t, join(tls, "/"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_STR(body(r), "{\"tls\":true}");
  azc_response_unref(r);
  if (dir)
    CHECK(count_in_file(log, "CONNECT") > connects);
  azc_curl_unref(t);

  /* authenticating proxy: credentials in the URL; without them a CONNECT gets 407 */
  snprintf(authurl, sizeof authurl, "http://user:pass@%s", auth + strlen("http://"));
  c.http_proxy = c.https_proxy = authurl;
  t = new_transport(&c);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  if (r)
    CHECK_INT(azc_response_status(r), 200);
  azc_response_unref(r);
  r = get(t, join(tls, "/"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_send_options_init(&o);
  o.has_proxies = 1;
  o.https_proxy = auth;
  expect_fail(t, join(tls, "/"), &o, AZC_ERR_SERVICE_REQUEST, NULL);
  o.http_proxy = auth;
  r = get(t, srv("/json"), &rc, NULL); /* transport's proxies again */
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  {
    azc_request *req = azc_request_new("GET", srv("/json"));
    r = send_req(t, req, &o, &rc, NULL); /* plain HTTP: the proxy's 407 is a response */
    CHECK_INT(rc, AZC_OK);
    if (r)
      CHECK_INT(azc_response_status(r), 407);
    azc_response_unref(r);
    /* a dead proxy is not sent: ServiceRequestError; no_proxy bypasses it */
    o.http_proxy = dead;
    azc_response_unref(send_req(t, req, &o, &rc, NULL));
    CHECK_INT(rc, AZC_ERR_SERVICE_REQUEST);
    o.no_proxy = "127.0.0.1";
    r = send_req(t, req, &o, &rc, NULL);
    CHECK_INT(rc, AZC_OK);
    azc_response_unref(r);
    azc_request_unref(req);
  }
  azc_curl_unref(t);
}

static void test_proxy_env(void) {
  char dead[128];
  azc_curl_config c;
  azc_curl *t;
  azc_code rc;
  azc_response *r;
  snprintf(dead, sizeof dead, "http://127.0.0.1:%d", dead_port());
  azc_curl_config_init(&c);
  c.connection_timeout_ms = 5000;
  setenv("http_proxy", dead, 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  t = new_transport(&c); /* use_env_settings = 1 */
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_ERR_SERVICE_REQUEST);
  azc_response_unref(r);
  /* the environment is read when the transport is created: a new one sees NO_PROXY */
  setenv("NO_PROXY", "localhost,127.0.0.1", 1);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_ERR_SERVICE_REQUEST);
  azc_response_unref(r);
  azc_curl_unref(t);
  t = new_transport(&c);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_curl_unref(t);
  /* lower case wins, even empty (proxy disabled) */
  unsetenv("NO_PROXY");
  setenv("http_proxy", "", 1);
  t = new_transport(&c);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_curl_unref(t);
  /* use_env_settings off: the environment is ignored, curl's own reading included */
  setenv("http_proxy", dead, 1);
  c.use_env_settings = 0;
  t = new_transport(&c);
  r = get(t, srv("/json"), &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_response_unref(r);
  azc_curl_unref(t);
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
}

/* ---- lifetime --------------------------------------------------------------------------- */

static void test_close(void) {
  azc_curl *t = new_transport(NULL);
  azc_send_options o;
  azc_request *req = azc_request_new("GET", srv("/bytes/300000"));
  azc_response *r, *r2;
  azc_code rc;
  azc_error err;
  azc_xfer *x = NULL;
  azc_buf b = {0};
  azc_send_options_init(&o);
  o.stream = 1;
  r = send_req(t, req, &o, &rc, NULL);
  CHECK_INT(rc, AZC_OK);
  azc_curl_close(t);
  azc_curl_close(t); /* idempotent */
  CHECK(azc_curl_send(t, req, NULL, &r2, &err) == AZC_ERR_CLOSED);
  CHECK(r2 == NULL);
  CHECK_INT(azc_curl_start(t, req, NULL, &x, &err), AZC_ERR_CLOSED);
  CHECK(x == NULL);
  /* a live stream outlives the close, and even the last reference to the transport */
  azc_curl_unref(t);
  if (r) {
    CHECK_INT(drain(r, 1, 50000, &b, &err), AZC_OK);
    CHECK_INT(b.len, 300000);
  }
  azc_response_unref(r);
  azc_buf_free(&b);

  /* a transport dropped with an unread stream, then the stream dropped */
  t = new_transport(NULL);
  r = send_req(t, req, &o, &rc, NULL);
  azc_curl_unref(t);
  azc_response_unref(r);
  /* a transfer abandoned before its response was taken */
  t = new_transport(NULL);
  CHECK_INT(azc_curl_start(t, req, &o, &x, &err), AZC_OK);
  CHECK_INT(azc_xfer_run(x, &err), AZC_XFER_RESPONSE);
  azc_xfer_free(x);
  CHECK_INT(azc_curl_start(t, req, &o, &x, &err), AZC_OK);
  azc_xfer_free(x); /* never run */
  azc_curl_close(t);
  azc_curl_unref(t);
  azc_request_unref(req);
  azc_xfer_free(NULL);
  azc_curl_close(NULL);
  azc_curl_unref(NULL);
}

static void test_config(void) {
  azc_curl_config c;
  azc_send_options o;
  azc_error err;
  azc_curl *t;
  azc_curl_config_init(&c);
  CHECK_INT(c.connection_timeout_ms, 300000);
  CHECK_INT(c.read_timeout_ms, 300000);
  CHECK_INT(c.verify, 1);
  CHECK_INT(c.use_env_settings, 1);
  CHECK_INT(c.block_size, 4096);
  azc_send_options_init(&o);
  CHECK_INT(o.stream, 0);
  CHECK_INT(o.read_timeout_ms, -1);
  CHECK_INT(o.verify, -1);
  c.block_size = 0;
  t = azc_curl_new(&c, &err);
  CHECK(t == NULL);
  CHECK_INT(err.code, AZC_ERR_VALUE);
  c.block_size = 10000;
  t = azc_curl_new(&c, &err);
  CHECK(t != NULL);
  if (t)
    CHECK_INT(azc_curl_block_size(t), 10000);
  azc_curl_unref(t);
}

/* `test_curl NAME` runs the tests whose name contains NAME */
#define RUN(fn)                                                                                    \
  do {                                                                                             \
    if (!only || strstr(#fn, only))                                                                \
      CTEST_RUN(fn);                                                                               \
  } while (0)

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : NULL;
  if (!env_or("TEST_SERVER_URL")) {
    printf("ctest %s: 0 passed, 1 failed\n", __FILE__);
    return 1;
  }
  RUN(test_config);
  RUN(test_get_200);
  RUN(test_head_and_repeated_headers);
  RUN(test_keepalive);
  RUN(test_post_bytes);
  RUN(test_reader_body_chunked);
  RUN(test_feed_body);
  RUN(test_stream_large);
  RUN(test_two_streams);
  RUN(test_backpressure);
  RUN(test_gzip);
  RUN(test_cookies);
  RUN(test_faults);
  RUN(test_stream_errors_are_not_eof);
  RUN(test_connect_timeout);
  RUN(test_tls);
  RUN(test_mtls);
  RUN(test_http2);
  RUN(test_proxy);
  RUN(test_proxy_env);
  RUN(test_close);
  curl_global_cleanup(); /* lets valgrind see a clean exit */
  CTEST_END();
}
