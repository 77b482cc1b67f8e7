/*
 * test_redact.c - allow-list redaction (azc_redact), the two logging policies and the tracing
 * policy's decisions (BEHAVIOR.md §4.11-4.13), driven through stepped runs with C callbacks in
 * place of Lua: no server, no Lua state.
 */
#include "azc_pipeline.h"
#include "azc_policy_logging.h"
#include "azc_policy_tracing.h"
#include "azc_redact.h"
#include "ctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out_text[8192];

static const char *url(const char *u, const azc_allowlist *q) {
  azc_buf b = {0};
  CHECK_INT(azc_redact_url(&b, u, strlen(u), q), AZC_OK);
  snprintf(out_text, sizeof out_text, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out_text;
}

static const char *text(const char *s, size_t n) {
  azc_buf b = {0};
  CHECK_INT(azc_redact_text(&b, s, n), AZC_OK);
  snprintf(out_text, sizeof out_text, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out_text;
}

static void test_allowlist(void) {
  azc_allowlist *a = azc_allowlist_new();
  size_t n = 0;
  CHECK_INT(azc_allowlist_add(a, "Content-Type", 12), AZC_OK);
  CHECK_INT(azc_allowlist_add(a, "content-type", 12), AZC_OK);
  CHECK_INT(azc_allowlist_count(a), 1);
  CHECK(azc_allowlist_contains(a, "CONTENT-TYPE", 12));
  CHECK(!azc_allowlist_contains(a, "Content-Typ", 11));
  CHECK_INT(azc_allowlist_add(a, "B", 1), AZC_OK);
  CHECK_STR(azc_allowlist_name(a, 1, &n), "B");
  CHECK_INT(n, 1);
  CHECK_INT(azc_allowlist_remove(a, "content-TYPE", 12), 1);
  CHECK_INT(azc_allowlist_remove(a, "content-TYPE", 12), 0);
  CHECK_STR(azc_allowlist_name(a, 0, NULL), "B");
  CHECK(azc_allowlist_name(a, 1, NULL) == NULL);
  azc_allowlist_clear(a);
  CHECK_INT(azc_allowlist_count(a), 0);
  CHECK(!azc_allowlist_contains(NULL, "x", 1));
  CHECK_INT(azc_allowlist_add(NULL, "x", 1), AZC_ERR_ARG);
  azc_allowlist_free(a);
  CHECK_INT(azc_redact_n_default_headers, 27);
  CHECK_INT(azc_redact_n_default_query_params, 1);
}

static void test_header(void) {
  azc_allowlist *a = azc_allowlist_from(azc_redact_default_headers, azc_redact_n_default_headers);
  azc_buf b = {0};
  CHECK_INT(azc_redact_header(&b, a, "authorization", 13, "Bearer x", 8), AZC_OK);
  CHECK_INT(azc_redact_header(&b, a, "|x-MS-request-ID", 15, "", 0), AZC_OK);
  CHECK_INT(azc_redact_header(&b, a, "X-MS-REQUEST-ID", 15, "rid", 3), AZC_OK);
  CHECK_STR(b.data, "REDACTEDREDACTEDrid");
  azc_buf_free(&b);
  azc_allowlist_free(a);
}

static void test_url(void) {
  azc_allowlist *q = azc_allowlist_from(azc_redact_default_query_params, 1);
  CHECK_STR(url("https://a/c?sv=1&sig=x%2By&api-version=2", q),
            "https://a/c?sv=REDACTED&sig=REDACTED&api-version=2");
  CHECK_STR(url("https://h/p?blank=&bare&&", q), "https://h/p?blank=REDACTED&bare=REDACTED");
  CHECK_STR(url("https://h/p?", q), "https://h/p");
  CHECK_STR(url("https://h/p?api-version=a+b%20c%zz", q), "https://h/p?api-version=a b c%zz");
  CHECK_STR(url("https://h/p?api-version=%ff%e2%82z", q),
            "https://h/p?api-version=\xEF\xBF\xBD\xEF\xBF\xBDz");
  CHECK_STR(url("https://h/p?api-version=%f0%9f%98%80", q),
            "https://h/p?api-version=\xF0\x9F\x98\x80");
  CHECK_STR(url("https://h/p#f?sig=1", q), "https://h/p#f?sig=1");
  CHECK_STR(url("https://h/p?a=1#", q), "https://h/p?a=REDACTED");
  CHECK_STR(url("Https://h/p", q), "https://h/p");
  CHECK_STR(url("https://u:pw@h/p", q), "https://u:REDACTED@h/p");
  CHECK_STR(url("https://h/\r\np?a=\t1", q), "https://h/p?a=REDACTED");
  CHECK_STR(url("https://h/p?a%0A=1&api-version=%01", q),
            "https://h/p?a\\n=REDACTED&api-version=\\x01");
  CHECK_STR(url("https://h/p?sig=1", NULL), "https://h/p?sig=REDACTED");
  CHECK_STR(url("", q), "");
  azc_allowlist_free(q);
}

static void test_text(void) {
  CHECK_STR(text("plain", 5), "plain");
  CHECK_STR(text("a\nb\r\tc\x7f", 7), "a\\nb\\r\\tc\\x7f");
  CHECK_STR(text("\xC3\xA9", 2), "\xC3\xA9");
  CHECK_STR(text("\xC3", 1), "\xEF\xBF\xBD");
  {
    static const char trunc[] = {'\xE2', '\x82', 'a'}; /* a 3-byte sequence cut short */
    CHECK_STR(text(trunc, 3), "\xEF\xBF\xBD\x61");
  }
  CHECK_STR(text("\xED\xA0\x80", 3), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
  CHECK_STR(text("\xC0\xAF", 2), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

/* ---- policies through a stepped run ------------------------------------------------------ */

typedef struct sink {
  int n;
  char logger[8][96];
  int level[8];
  char text[8][1024];
} sink;

static void emit(void *ud, azc_run *run, const char *logger, int level, const char *t, size_t len) {
  sink *s = ud;
  (void)run;
  if (s->n >= 8)
    return;
  snprintf(s->logger[s->n], sizeof s->logger[0], "%s", logger);
  s->level[s->n] = level;
  snprintf(s->text[s->n], sizeof s->text[0], "%.*s", (int)len, t);
  s->n++;
}

/* Run @p p over a GET with an Authorization header; the transport answers @p statuses in turn
 * (a RESEND is not involved: one SEND). Returns the context flag AZC_CTX_LOGGING_ENABLE. */
static int run_one(azc_policy *p, azc_options *opts, int status, const char *body, int *popped) {
  azc_pipeline *pl = azc_pipeline_new(&p, 1);
  azc_request *req = azc_request_new("GET", "https://h/p?sig=S3CRET&api-version=1");
  azc_run *run;
  int flag = -1, guard;
  azc_headers_set(azc_request_headers(req), "Authorization", 13, "Bearer T0KEN", 12);
  azc_headers_set(azc_request_headers(req), "Accept", 6, "*/*", 3);
  run = azc_run_new(pl, req, opts);
  for (guard = 0; guard < 5; guard++) {
    azc_step st = azc_run_step(run, NULL);
    if (st.kind == AZC_STEP_SEND) {
      azc_response *r = azc_response_new(status, "X", azc_run_request(run));
      azc_response_add_header_line(r, "Set-Cookie: s=C00KIE", 20);
      azc_response_add_header_line(r, "Content-Type: text/plain", 24);
      if (body)
        azc_response_set_content(r, body, strlen(body));
      azc_run_resume_response(run, r);
      continue;
    }
    break;
  }
  flag = azc_run_flag(run, AZC_CTX_LOGGING_ENABLE);
  if (popped) {
    const azc_optval *v = azc_options_given(azc_run_options(run), AZC_OPT_LOGGING_ENABLE);
    *popped = v && v->popped;
  }
  azc_response_unref(azc_run_take_response(run));
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  return flag;
}

static void test_http_logging(void) {
  sink s;
  azc_logging_config c = azc_logging_config_default();
  azc_policy *p;
  azc_error e;
  azc_options o;
  memset(&s, 0, sizeof s);
  c.emit = emit;
  c.emit_ud = &s;
  p = azc_http_logging_policy_new(&c, &e);
  CHECK_STR(azc_policy_name(p), "HttpLoggingPolicy");
  CHECK_STR(azc_logging_policy_logger(p), AZC_HTTP_LOGGING_LOGGER);
  run_one(p, NULL, 200, "hello", NULL);
  CHECK_INT(s.n, 0); /* the host has not said the logger is enabled */
  azc_logging_policy_set_enabled(p, 1);
  run_one(p, NULL, 200, "hello", NULL);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.level[0], AZC_LOG_INFO);
  CHECK_STR(s.text[0], "Request URL: 'https://h/p?sig=REDACTED&api-version=1'\n"
                       "Request method: 'GET'\n"
                       "Request headers:\n"
                       "    'Authorization': 'REDACTED'\n"
                       "    'Accept': '*/*'\n"
                       "No body was attached to the request");
  CHECK_STR(s.text[1], "Response status: 200\n"
                       "Response headers:\n"
                       "    'Set-Cookie': 'REDACTED'\n"
                       "    'Content-Type': 'text/plain'");
  /* a per-call logger: always handed to the host, which decides */
  azc_logging_policy_set_enabled(p, 0);
  memset(&s, 0, sizeof s);
  azc_options_init(&o);
  azc_options_set_string(&o, AZC_OPT_LOGGER, "mine", 4);
  run_one(p, &o, 500, NULL, NULL);
  CHECK_INT(s.n, 2);
  CHECK_STR(s.logger[0], "mine");
  CHECK_STR(s.logger[1], "mine");
  azc_policy_unref(p);
}

static void test_network_trace(void) {
  sink s;
  azc_logging_config c = azc_logging_config_default();
  azc_policy *p;
  azc_error e;
  azc_options o;
  int popped = 0;
  memset(&s, 0, sizeof s);
  c.emit = emit;
  c.emit_ud = &s;
  p = azc_network_trace_policy_new(&c, &e);
  azc_logging_policy_set_enabled(p, 1);
  CHECK_INT(run_one(p, NULL, 200, "hello", NULL), 0); /* logging_enable off by default */
  CHECK_INT(s.n, 0);
  azc_options_init(&o);
  azc_options_set_bool(&o, AZC_OPT_LOGGING_ENABLE, 1);
  CHECK_INT(run_one(p, &o, 200, "hello", &popped), 1);
  CHECK(popped);
  CHECK_INT(s.n, 2);
  CHECK_INT(s.level[0], AZC_LOG_DEBUG);
  CHECK_STR(s.logger[0], AZC_NETWORK_TRACE_LOGGER);
  CHECK_STR(s.text[0], "Request URL: 'https://h/p?sig=REDACTED&api-version=1'\n"
                       "Request method: 'GET'\n"
                       "Request headers:\n"
                       "    'Authorization': 'REDACTED'\n"
                       "    'Accept': '*/*'\n"
                       "Request body:\n"
                       "This request has no body");
  CHECK_STR(s.text[1], "Response status: '200'\n"
                       "Response headers:\n"
                       "    'Set-Cookie': 'REDACTED'\n"
                       "    'Content-Type': 'text/plain'\n"
                       "Response content:\n"
                       "hello");
  /* constructor default on, per-call explicit None (Lua false): off */
  azc_network_trace_policy_set_logging_enable(p, 1);
  CHECK(azc_network_trace_policy_logging_enable(p));
  azc_options_init(&o);
  azc_options_set_none(&o, AZC_OPT_LOGGING_ENABLE);
  CHECK_INT(run_one(p, &o, 200, "x", NULL), 0);
  CHECK_INT(s.n, 2);
  /* the host says the logger is off: nothing, even when enabled */
  azc_logging_policy_set_enabled(p, 0);
  CHECK_INT(run_one(p, NULL, 200, "x", NULL), 1);
  CHECK_INT(s.n, 2);
  azc_policy_unref(p);
}

static void test_format_bodies(void) {
  azc_request *req = azc_request_new("PUT", "http://h/");
  azc_response *resp = azc_response_new(200, "OK", req);
  azc_allowlist *h = azc_allowlist_from(azc_redact_default_headers, azc_redact_n_default_headers);
  azc_buf b = {0};
  azc_request_set_body_bytes(req, "data\nmore", 9);
  CHECK_INT(azc_logging_format_request(&b, AZC_LOG_STYLE_NETWORK, req, h, NULL), AZC_OK);
  CHECK(strstr(b.data, "\nRequest body:\ndata\nmore") != NULL);
  b.len = 0;
  CHECK_INT(azc_logging_format_request(&b, AZC_LOG_STYLE_HTTP, req, h, NULL), AZC_OK);
  CHECK(strstr(b.data, "\nA body is sent with the request") != NULL);
  b.len = 0;
  azc_request_set_body_feed(req, -1);
  CHECK_INT(azc_logging_format_request(&b, AZC_LOG_STYLE_HTTP, req, h, NULL), AZC_OK);
  CHECK(strstr(b.data, "\nFile upload") != NULL);
  b.len = 0;
  {
    const char *cd = "Content-Disposition: attachment;filename=\"r.bin\"";
    azc_response_add_header_line(resp, cd, strlen(cd));
  }
  CHECK_INT(azc_logging_format_response(&b, AZC_LOG_STYLE_NETWORK, resp, 0, h), AZC_OK);
  CHECK(strstr(b.data, "\nResponse content:\nFile attachments: \"r.bin\"") != NULL);
  b.len = 0;
  azc_response_unref(resp);
  resp = azc_response_new(200, "OK", req);
  azc_response_add_header_line(resp, "Content-Type: image/png", 23);
  azc_response_set_content(resp, "\x89PNG", 4);
  CHECK_INT(azc_logging_format_response(&b, AZC_LOG_STYLE_NETWORK, resp, 0, h), AZC_OK);
  CHECK(strstr(b.data, "\nBody contains image data.") != NULL);
  b.len = 0;
  azc_response_unref(resp);
  resp = azc_response_new(200, "OK", req);
  azc_response_set_content(resp, "\xEF\xBB\xBFtext", 7);
  CHECK_INT(azc_logging_format_response(&b, AZC_LOG_STYLE_NETWORK, resp, 0, h), AZC_OK);
  CHECK(strstr(b.data, "\nResponse content:\ntext") != NULL);
  b.len = 0;
  CHECK_INT(azc_logging_format_response(&b, AZC_LOG_STYLE_NETWORK, resp, 1, h), AZC_OK);
  CHECK(strstr(b.data, "\nBody is streamable.") != NULL);
  azc_buf_free(&b);
  azc_allowlist_free(h);
  azc_response_unref(resp);
  azc_request_unref(req);
}

/* ---- tracing ----------------------------------------------------------------------------- */

typedef struct tracer {
  int starts, ends, open;
  int last_status;
  int ended_with_error;
} tracer;

static int trace_cb(void *ud, azc_run *run, azc_policy *p, azc_trace_event ev, void *key) {
  tracer *t = ud;
  (void)p;
  (void)key;
  if (ev == AZC_TRACE_START) {
    t->starts++;
    t->open++;
    azc_headers_set(azc_request_headers(azc_run_request(run)), "traceparent", 11, "00-x-y-01", 9);
    return 1;
  }
  t->ends++;
  t->open--;
  t->last_status = azc_run_response(run) ? azc_response_status(azc_run_response(run)) : 0;
  t->ended_with_error = azc_run_error(run) != NULL;
  return 0;
}

static void test_tracing(void) {
  tracer t;
  azc_error e;
  azc_policy *p;
  azc_pipeline *pl;
  azc_request *req = azc_request_new("GET", "https://h/a/b?x=1");
  azc_run *run;
  azc_step st;
  memset(&t, 0, sizeof t);
  p = azc_tracing_policy_new(trace_cb, &t, &e);
  pl = azc_pipeline_new(&p, 1);
  /* inactive: no callback at all */
  run = azc_run_new(pl, req, NULL);
  st = azc_run_step(run, NULL);
  CHECK_INT(st.kind, AZC_STEP_SEND);
  azc_run_resume_response(run, azc_response_new(200, "OK", req));
  CHECK_INT(azc_run_step(run, NULL).kind, AZC_STEP_DONE);
  azc_run_free(run);
  CHECK_INT(t.starts, 0);
  /* active: START before SEND (headers added), END with the response */
  azc_tracing_policy_set_active(p, 1);
  CHECK(azc_tracing_policy_active(p));
  run = azc_run_new(pl, req, NULL);
  st = azc_run_step(run, NULL);
  CHECK_INT(st.kind, AZC_STEP_SEND);
  CHECK_INT(t.starts, 1);
  CHECK_STR(azc_headers_get(azc_request_headers(req), "traceparent", 11, NULL), "00-x-y-01");
  azc_run_resume_response(run, azc_response_new(404, "NF", req));
  azc_run_step(run, NULL);
  CHECK_INT(t.ends, 1);
  CHECK_INT(t.last_status, 404);
  azc_run_free(run);
  /* an error going up ends the span with it */
  run = azc_run_new(pl, req, NULL);
  azc_run_step(run, NULL);
  azc_error_set(&e, AZC_ERR_SERVICE_REQUEST, "refused");
  azc_run_resume_error(run, &e);
  azc_run_step(run, NULL);
  CHECK_INT(t.ends, 2);
  CHECK(t.ended_with_error);
  CHECK_INT(t.open, 0);
  azc_run_free(run);
  azc_pipeline_unref(pl);
  azc_policy_unref(p);
  azc_request_unref(req);
}

static void test_span_name(void) {
  azc_buf b = {0};
  const char *urls[] = {
      "https://h", "https://h/", "https://h/a/b?q#f", "https://h/a;x/b;p?q", "/rel", "//host/p",
      "",          NULL};
  const char *want[] = {"/", "/", "/a/b", "/a;x/b", "/rel", "/p", "/"};
  int i;
  for (i = 0; urls[i]; i++) {
    b.len = 0;
    CHECK_INT(azc_tracing_span_name(&b, urls[i]), AZC_OK);
    CHECK_STR(b.data, want[i]);
  }
  azc_buf_free(&b);
}

int main(void) {
  CTEST_RUN(test_allowlist);
  CTEST_RUN(test_header);
  CTEST_RUN(test_url);
  CTEST_RUN(test_text);
  CTEST_RUN(test_http_logging);
  CTEST_RUN(test_network_trace);
  CTEST_RUN(test_format_bodies);
  CTEST_RUN(test_tracing);
  CTEST_RUN(test_span_name);
  CTEST_END();
}
