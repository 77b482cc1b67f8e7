/*
 * test_std_policies.c - the C side of ContentDecodePolicy (JSON check, mime types, decisions),
 * ProxyPolicy (options and the driver's send options), SensitiveHeaderCleanupPolicy and
 * CustomHookPolicy (with a C host callback), and azc_response_header_peek. Runs are stepped by
 * hand and answered with synthetic responses: no network, no Lua.
 */
#include "azc_driver.h"
#include "azc_json.h"
#include "azc_pipeline.h"
#include "azc_policy_cleanup.h"
#include "azc_policy_content_decode.h"
#include "azc_policy_custom_hook.h"
#include "azc_policy_proxy.h"
#include "ctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON check ---------------------------------------------------------------------------- */

static const char *json_err(const char *s) {
  static azc_error e;
  if (azc_json_check(s, strlen(s), &e) == AZC_OK)
    return "OK";
  return e.message;
}

static void test_json_accepts(void) {
  static const char *const ok[] = {"{}",
                                   "[]",
                                   " {\"a\": [1, 2.5, -3e+2, true, false, null]} ",
                                   "\"\\u00e9\\n\\\"\"",
                                   "0",
                                   "-0.5E-3",
                                   "NaN",
                                   "Infinity",
                                   "-Infinity",
                                   "[\"\\ud83d\\ude00\"]",
                                   "\"\x7f\xc3\xa9\""};
  size_t i;
  for (i = 0; i < sizeof ok / sizeof *ok; i++)
    CHECK_STR(json_err(ok[i]), "OK");
}

static void test_json_messages(void) {
  /* each message and position checked against Python's json.loads */
  CHECK_STR(json_err(""), "Expecting value: line 1 column 1 (char 0)");
  CHECK_STR(json_err(" "), "Expecting value: line 1 column 2 (char 1)");
  CHECK_STR(json_err("{\"a\" 1}"), "Expecting ':' delimiter: line 1 column 6 (char 5)");
  CHECK_STR(json_err("[1,2"), "Expecting ',' delimiter: line 1 column 5 (char 4)");
  CHECK_STR(json_err("{\"a\":1,}"),
            "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)");
  CHECK_STR(json_err("[1,]"), "Expecting value: line 1 column 4 (char 3)");
  CHECK_STR(json_err("1 2"), "Extra data: line 1 column 3 (char 2)");
  CHECK_STR(json_err("01"), "Extra data: line 1 column 2 (char 1)");
  CHECK_STR(json_err("\"a\tb\""), "Invalid control character at: line 1 column 3 (char 2)");
  CHECK_STR(json_err("\"\\x\""), "Invalid \\escape: line 1 column 2 (char 1)");
  CHECK_STR(json_err("\"\\u12\""), "Invalid \\uXXXX escape: line 1 column 3 (char 2)");
  CHECK_STR(json_err("\"abc"), "Unterminated string starting at: line 1 column 1 (char 0)");
  CHECK_STR(json_err("\xef\xbb\xbf{}"),
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)");
  CHECK_STR(json_err("{\"\xc3\xa9\":\n  [1,\n   x]}"),
            "Expecting value: line 3 column 4 (char 15)");
  /* the deliberate difference: lone surrogates, after every other rule passed */
  CHECK_STR(json_err("\"\\ud800\""), "Lone surrogate in \\uXXXX escape: line 1 column 3 (char 2)");
  CHECK_STR(json_err("[\"\\ud800\", x]"), "Expecting value: line 1 column 12 (char 11)");
}

static void test_json_depth(void) {
  char *deep = malloc(2 * AZC_JSON_MAX_DEPTH + 3);
  size_t i, n = AZC_JSON_MAX_DEPTH;
  CHECK(deep != NULL);
  if (!deep)
    return;
  for (i = 0; i < n; i++) {
    deep[i] = '[';
    deep[n + i] = ']';
  }
  deep[2 * n] = '\0';
  CHECK_STR(json_err(deep), "OK");
  memmove(deep + 1, deep, 2 * n + 1);
  deep[0] = '[';
  strcat(deep, "]");
  CHECK(strncmp(json_err(deep), "maximum recursion depth exceeded", 32) == 0);
  free(deep);
}

/* ---- mime types ---------------------------------------------------------------------------- */

static const char *mime(const char *ct) {
  static azc_buf b;
  azc_buf_free(&b);
  azc_content_decode_mime(ct, ct ? strlen(ct) : 0, &b);
  return b.data ? b.data : "";
}

static int kind(const char *m) { return (int)azc_content_decode_mime_kind(m, strlen(m)); }

static void test_mime(void) {
  CHECK_STR(mime(NULL), "application/json");
  CHECK_STR(mime(""), "application/json");
  CHECK_STR(mime("  Application/JSON ; charset=utf-8"), "application/json");
  CHECK_STR(mime("  "), "");
  CHECK_INT(kind("application/json"), AZC_MIME_JSON);
  CHECK_INT(kind("text/json"), AZC_MIME_JSON);
  CHECK_INT(kind("application/merge-patch+json"), AZC_MIME_JSON);
  CHECK_INT(kind("application/vnd.microsoft.appconfig.kv+json"), AZC_MIME_JSON);
  CHECK_INT(kind("text/vnd.microsoft.appconfig.kv.v1+json"), AZC_MIME_JSON);
  CHECK_INT(kind("application/++json"), AZC_MIME_JSON);
  CHECK_INT(kind("application/+json"), AZC_MIME_OTHER);
  CHECK_INT(kind("application/not-json"), AZC_MIME_OTHER);
  CHECK_INT(kind("application/iamjson"), AZC_MIME_OTHER);
  CHECK_INT(kind("fake/json"), AZC_MIME_OTHER);
  CHECK_INT(kind("application/a_b+json"), AZC_MIME_OTHER);
  CHECK_INT(kind("text/plain"), AZC_MIME_TEXT);
  CHECK_INT(kind("text/xml"), AZC_MIME_XML);
  CHECK_INT(kind("application/atom+xml"), AZC_MIME_XML);
  CHECK_INT(kind("image/png"), AZC_MIME_OTHER);
  CHECK_INT(kind(""), AZC_MIME_OTHER);
}

/* ---- header peek --------------------------------------------------------------------------- */

static void add_line(azc_response *r, const char *line) {
  azc_response_add_header_line(r, line, strlen(line));
}

static const char *peek(azc_response *r, const char *name) {
  static char out[256];
  size_t n = 0;
  const char *v = azc_response_header_peek(r, name, strlen(name), &n);
  if (!v)
    return NULL;
  snprintf(out, sizeof out, "%.*s", (int)n, v);
  return out;
}

static void test_header_peek(void) {
  azc_response *r = azc_response_new(200, "OK", NULL);
  add_line(r, "Content-Length: 99");
  add_line(r, "content-type :  application/json; charset=utf-8  ");
  add_line(r, "Server: x");
  CHECK_STR(peek(r, "Content-Type"), "application/json; charset=utf-8");
  CHECK(peek(r, "X-Missing") == NULL);
  CHECK_STR(peek(r, "content-length"), "99");
  azc_response_unref(r);
  /* a repeat or a continuation line: the parsing path, same answer as azc_response_header */
  r = azc_response_new(200, "OK", NULL);
  add_line(r, "X-A: 1");
  add_line(r, "X-A: 2");
  add_line(r, "Content-Type: text/plain");
  add_line(r, " continued");
  CHECK_STR(peek(r, "X-A"), azc_response_header(r, "X-A", 3, NULL));
  CHECK_STR(peek(r, "Content-Type"), "text/plain continued");
  azc_response_unref(r);
}

/* ---- running a pipeline by hand ------------------------------------------------------------ */

typedef struct outcome {
  azc_code err;
  char message[AZC_ERROR_MESSAGE_MAX];
  azc_headers *sent;
  azc_send_options so;
  char proxy[3][128];
  int sends;
} outcome;

/* Run @p pols over a GET carrying credentials headers, with @p opts (moved; may be NULL); every
 * SEND is answered 200 with @p ctype (NULL: none) and @p body, and records the headers and the
 * driver's send options. @p host is given to every step; @p flag_domain_change sets the
 * cross-domain mark RedirectPolicy would set. */
static outcome run(azc_policy *const *pols, size_t n, azc_options *opts, const char *ctype,
                   const char *body, void *host, int flag_domain_change) {
  outcome o;
  azc_pipeline *pl = azc_pipeline_new(pols, n);
  azc_request *req = azc_request_new("GET", "http://a.example/x");
  azc_run *r;
  azc_step st;
  int i;
  memset(&o, 0, sizeof o);
  azc_headers_set(azc_request_headers(req), "Authorization", 13, "Bearer t", 8);
  azc_headers_set(azc_request_headers(req), "x-ms-authorization-auxiliary", 28, "aux", 3);
  r = azc_run_new(pl, req, opts);
  if (flag_domain_change)
    azc_run_set_flag(r, AZC_CTX_INSECURE_DOMAIN_CHANGE, 1);
  for (i = 0; i < 20; i++) {
    st = azc_run_step(r, host);
    if (st.kind == AZC_STEP_DONE)
      break;
    if (st.kind == AZC_STEP_SEND) {
      azc_response *resp = azc_response_new(200, "OK", azc_run_request(r));
      o.sends++;
      azc_headers_unref(o.sent);
      o.sent = azc_headers_copy(azc_request_headers(azc_run_request(r)));
      azc_driver_send_options(r, NULL, &o.so);
      snprintf(o.proxy[0], sizeof o.proxy[0], "%s", o.so.http_proxy ? o.so.http_proxy : "-");
      snprintf(o.proxy[1], sizeof o.proxy[1], "%s", o.so.https_proxy ? o.so.https_proxy : "-");
      snprintf(o.proxy[2], sizeof o.proxy[2], "%s", o.so.no_proxy ? o.so.no_proxy : "-");
      if (ctype)
        azc_headers_set(azc_response_headers(resp), "Content-Type", 12, ctype, strlen(ctype));
      azc_response_set_content(resp, body ? body : "", body ? strlen(body) : 0);
      azc_run_resume_response(r, resp);
    } else {
      azc_run_resume(r);
    }
  }
  if (azc_run_error(r)) {
    o.err = azc_run_error(r)->code;
    snprintf(o.message, sizeof o.message, "%s", azc_run_error(r)->message);
  } else {
    azc_response_unref(azc_run_take_response(r));
  }
  azc_run_free(r);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  return o;
}

static const char *sent(const outcome *o, const char *name) {
  return o->sent ? azc_headers_get(o->sent, name, strlen(name), NULL) : NULL;
}

static azc_options stream_false(void) {
  azc_options o;
  azc_options_init(&o);
  azc_options_set_bool(&o, AZC_OPT_STREAM, 0);
  return o;
}

/* ---- ContentDecodePolicy without a host ---------------------------------------------------- */

static void test_content_decode_c_only(void) {
  azc_policy *p = azc_content_decode_policy_new(NULL, NULL);
  azc_options o;
  outcome r;
  o = stream_false();
  r = run(&p, 1, &o, "application/json", "{\"a\":1}", NULL, 0);
  CHECK_INT(r.err, AZC_OK);
  azc_headers_unref(r.sent);
  o = stream_false();
  r = run(&p, 1, &o, "application/json", "{\"a\" 1}", NULL, 0);
  CHECK_INT(r.err, AZC_ERR_DECODE);
  CHECK_STR(r.message, "JSON is invalid: Expecting ':' delimiter: line 1 column 6 (char 5)");
  azc_headers_unref(r.sent);
  o = stream_false();
  r = run(&p, 1, &o, "image/png", "\x89PNG", NULL, 0);
  CHECK_INT(r.err, AZC_ERR_DECODE);
  CHECK_STR(r.message, "Cannot deserialize content-type: image/png");
  azc_headers_unref(r.sent);
  /* empty body: nothing, whatever the type; BOM-only is empty too */
  o = stream_false();
  r = run(&p, 1, &o, "image/png", "\xef\xbb\xbf", NULL, 0);
  CHECK_INT(r.err, AZC_OK);
  azc_headers_unref(r.sent);
  /* stream missing (Pipeline.run outside send_request) or true: nothing at all */
  r = run(&p, 1, NULL, "image/png", "x", NULL, 0);
  CHECK_INT(r.err, AZC_OK);
  azc_headers_unref(r.sent);
  /* XML needs a host: without one it is accepted as it is */
  o = stream_false();
  r = run(&p, 1, &o, "application/xml", "<a><b></a>", NULL, 0);
  CHECK_INT(r.err, AZC_OK);
  azc_headers_unref(r.sent);
  azc_policy_unref(p);
}

/* A host callback recording what the policy asked. */
typedef struct decode_calls {
  int n;
  int hook[4], required[4];
  char enc[4][32];
} decode_calls;

static azc_code decode_host(void *host, azc_run *run, azc_policy *self, int hook, int required,
                            const char *encoding, azc_error *out_err) {
  decode_calls *c = host;
  (void)run;
  (void)self;
  (void)out_err;
  if (c->n < 4) {
    c->hook[c->n] = hook;
    c->required[c->n] = required;
    snprintf(c->enc[c->n], sizeof c->enc[c->n], "%s", encoding ? encoding : "-");
  }
  c->n++;
  return AZC_OK;
}

static void test_content_decode_host_calls(void) {
  azc_policy *p = azc_content_decode_policy_new("utf-8", decode_host);
  azc_policy *q = azc_content_decode_policy_new(NULL, decode_host);
  decode_calls c;
  azc_options o;
  outcome r;
  /* valid JSON: one optional call */
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "application/json", "[1]", &c, 0);
  CHECK_INT(c.n, 1);
  CHECK_INT(c.hook[0], AZC_HOOK_ON_RESPONSE);
  CHECK_INT(c.required[0], 0);
  azc_headers_unref(r.sent);
  /* XML, invalid JSON and an unknown charset are the host's to decide */
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "text/xml", "<a/>", &c, 0);
  CHECK_INT(c.required[0], 1);
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "application/json", "[1,", &c, 0);
  CHECK_INT(c.required[0], 1);
  CHECK_INT(r.err, AZC_OK); /* this host accepted it */
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "text/plain; charset=iso-8859-1", "h\xe9", &c, 0);
  CHECK_INT(c.required[0], 1);
  azc_headers_unref(r.sent);
  /* an encoding: stored on request, required on response; the option replaces the policy's */
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&p, 1, &o, "application/json", "[1]", &c, 0);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.hook[0], AZC_HOOK_ON_REQUEST);
  CHECK_STR(c.enc[0], "utf-8");
  CHECK_INT(c.required[1], 1);
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  o = stream_false();
  azc_options_set_string(&o, AZC_OPT_RESPONSE_ENCODING, "latin-1", 7);
  r = run(&p, 1, &o, "text/plain", "x", &c, 0);
  CHECK_STR(c.enc[0], "latin-1");
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  o = stream_false();
  azc_options_set_none(&o, AZC_OPT_RESPONSE_ENCODING); /* None: no encoding at all */
  r = run(&p, 1, &o, "text/plain", "x", &c, 0);
  CHECK_INT(c.n, 1);
  CHECK_STR(c.enc[0], "-");
  azc_headers_unref(r.sent);
  /* empty bodies and unknown types never reach the host */
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "application/octet-stream", "", &c, 0);
  CHECK_INT(c.n, 0);
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  o = stream_false();
  r = run(&q, 1, &o, "application/octet-stream", "x", &c, 0);
  CHECK_INT(c.n, 0);
  CHECK_INT(r.err, AZC_ERR_DECODE);
  azc_headers_unref(r.sent);
  azc_policy_unref(p);
  azc_policy_unref(q);
}

/* ---- ProxyPolicy ----------------------------------------------------------------------------- */

static void test_proxy(void) {
  azc_policy *p = azc_proxy_policy_new("http://p:1", NULL, "localhost");
  azc_policy *none = azc_proxy_policy_new(NULL, "", NULL);
  azc_send_options base;
  azc_options o;
  outcome r;
  r = run(&p, 1, NULL, NULL, NULL, NULL, 0);
  CHECK_INT(r.so.has_proxies, 1);
  CHECK_STR(r.proxy[0], "http://p:1");
  CHECK_STR(r.proxy[1], "-");
  CHECK_STR(r.proxy[2], "localhost");
  azc_headers_unref(r.sent);
  /* the call's own proxies keys win */
  azc_options_init(&o);
  azc_options_set_string(&o, AZC_OPT_PROXIES_HTTPS, "http://mine:2", 13);
  r = run(&p, 1, &o, NULL, NULL, NULL, 0);
  CHECK_STR(r.proxy[0], "-");
  CHECK_STR(r.proxy[1], "http://mine:2");
  azc_headers_unref(r.sent);
  r = run(&none, 1, NULL, NULL, NULL, NULL, 0);
  CHECK_INT(r.so.has_proxies, 0);
  azc_headers_unref(r.sent);
  azc_policy_unref(p);
  azc_policy_unref(none);
  /* a per-call `proxies` table (the base send options) wins in the driver */
  {
    azc_pipeline *pl;
    azc_request *req = azc_request_new("GET", "http://a/");
    azc_run *rr;
    azc_send_options out;
    p = azc_proxy_policy_new("http://p:1", NULL, NULL);
    pl = azc_pipeline_new(&p, 1);
    rr = azc_run_new(pl, req, NULL);
    CHECK_INT(azc_run_step(rr, NULL).kind, AZC_STEP_SEND);
    azc_send_options_init(&base);
    base.has_proxies = 1; /* proxies = {} */
    azc_driver_send_options(rr, &base, &out);
    CHECK(out.http_proxy == NULL);
    azc_driver_send_options(rr, NULL, &out);
    CHECK_STR(out.http_proxy, "http://p:1");
    azc_run_free(rr);
    azc_pipeline_unref(pl);
    azc_request_unref(req);
    azc_policy_unref(p);
  }
}

/* ---- SensitiveHeaderCleanupPolicy ------------------------------------------------------------ */

static void test_cleanup(void) {
  static const char *const only_aux[] = {"X-MS-AUTHORIZATION-AUXILIARY"};
  azc_policy *p = azc_cleanup_policy_new(NULL, 0, 0);
  azc_policy *aux = azc_cleanup_policy_new(only_aux, 1, 0);
  azc_policy *off = azc_cleanup_policy_new(NULL, 0, 1);
  outcome r;
  size_t n = 0;
  CHECK_STR(azc_cleanup_policy_headers(p, &n)[0], "Authorization");
  CHECK_INT(n, 2);
  r = run(&p, 1, NULL, NULL, NULL, NULL, 0);
  CHECK_STR(sent(&r, "Authorization"), "Bearer t");
  azc_headers_unref(r.sent);
  r = run(&p, 1, NULL, NULL, NULL, NULL, 1);
  CHECK(sent(&r, "Authorization") == NULL);
  CHECK(sent(&r, "x-ms-authorization-auxiliary") == NULL);
  azc_headers_unref(r.sent);
  r = run(&aux, 1, NULL, NULL, NULL, NULL, 1);
  CHECK_STR(sent(&r, "Authorization"), "Bearer t");
  CHECK(sent(&r, "x-ms-authorization-auxiliary") == NULL);
  azc_headers_unref(r.sent);
  r = run(&off, 1, NULL, NULL, NULL, NULL, 1);
  CHECK_STR(sent(&r, "x-ms-authorization-auxiliary"), "aux");
  azc_headers_unref(r.sent);
  CHECK_INT(azc_cleanup_policy_disabled(off), 1);
  CHECK_INT(azc_cleanup_policy_disabled(p), 0);
  azc_policy_unref(p);
  azc_policy_unref(aux);
  azc_policy_unref(off);
}

/* ---- CustomHookPolicy ------------------------------------------------------------------------ */

typedef struct hook_calls {
  int n;
  int hook[8], which[8], store[8];
} hook_calls;

static azc_code hook_host(void *host, azc_run *run, azc_policy *self, int hook, int which,
                          int store, azc_error *out_err) {
  hook_calls *c = host;
  (void)run;
  (void)self;
  (void)out_err;
  if (c->n < 8) {
    c->hook[c->n] = hook;
    c->which[c->n] = which;
    c->store[c->n] = store;
  }
  c->n++;
  return AZC_OK;
}

static void test_custom_hook(void) {
  azc_policy *none = azc_custom_hook_policy_new(0, 0, hook_host);
  azc_policy *both = azc_custom_hook_policy_new(1, 1, hook_host);
  hook_calls c;
  azc_options o;
  outcome r;
  memset(&c, 0, sizeof c);
  r = run(&none, 1, NULL, NULL, NULL, &c, 0);
  CHECK_INT(c.n, 0); /* no hook anywhere: the host is never called */
  azc_headers_unref(r.sent);
  memset(&c, 0, sizeof c);
  r = run(&both, 1, NULL, NULL, NULL, &c, 0);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.which[0], AZC_CUSTOM_HOOK_POLICY);
  CHECK_INT(c.hook[1], AZC_HOOK_ON_RESPONSE);
  CHECK_INT(c.which[1], AZC_CUSTOM_HOOK_POLICY);
  azc_headers_unref(r.sent);
  /* per-call hooks replace the policy's; the response hook is stored on request */
  memset(&c, 0, sizeof c);
  azc_options_init(&o);
  azc_options_set_bool(&o, AZC_OPT_RAW_REQUEST_HOOK, 1);
  azc_options_set_bool(&o, AZC_OPT_RAW_RESPONSE_HOOK, 1);
  r = run(&both, 1, &o, NULL, NULL, &c, 0);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.which[0], AZC_CUSTOM_HOOK_PER_CALL);
  CHECK_INT(c.store[0], 1);
  CHECK_INT(c.which[1], AZC_CUSTOM_HOOK_PER_CALL);
  azc_headers_unref(r.sent);
  /* a per-call response hook alone, on a policy without hooks */
  memset(&c, 0, sizeof c);
  azc_options_init(&o);
  azc_options_set_bool(&o, AZC_OPT_RAW_RESPONSE_HOOK, 1);
  r = run(&none, 1, &o, NULL, NULL, &c, 0);
  CHECK_INT(c.n, 2);
  CHECK_INT(c.which[0], AZC_CUSTOM_HOOK_NONE);
  CHECK_INT(c.store[0], 1);
  CHECK_INT(c.which[1], AZC_CUSTOM_HOOK_PER_CALL);
  azc_headers_unref(r.sent);
  /* None (false) is no hook */
  memset(&c, 0, sizeof c);
  azc_options_init(&o);
  azc_options_set_none(&o, AZC_OPT_RAW_REQUEST_HOOK);
  r = run(&none, 1, &o, NULL, NULL, &c, 0);
  CHECK_INT(c.n, 0);
  azc_headers_unref(r.sent);
  azc_policy_unref(none);
  azc_policy_unref(both);
}

int main(void) {
  CTEST_RUN(test_json_accepts);
  CTEST_RUN(test_json_messages);
  CTEST_RUN(test_json_depth);
  CTEST_RUN(test_mime);
  CTEST_RUN(test_header_peek);
  CTEST_RUN(test_content_decode_c_only);
  CTEST_RUN(test_content_decode_host_calls);
  CTEST_RUN(test_proxy);
  CTEST_RUN(test_cleanup);
  CTEST_RUN(test_custom_hook);
  CTEST_END();
}
