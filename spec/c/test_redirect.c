/* Unit tests for RedirectPolicy (BEHAVIOR.md §4.6, §11): runs driven by hand, SEND answered
 * with scripted responses, the request checked at every SEND. */
#include <stdlib.h>
#include <string.h>

#include "azc_pipeline.h"
#include "azc_policy_redirect.h"
#include "azc_policy_retry.h"
#include "ctest.h"

/* ---- harness ------------------------------------------------------------------------------ */

typedef struct reply {
  int status;
  const char *location; /* NULL: no Location header */
} reply;

#define MAX_SENDS 64

typedef struct outcome {
  int sends, nsleeps;
  char urls[MAX_SENDS][128];
  char methods[MAX_SENDS][12];
  int had_auth[MAX_SENDS], had_secret[MAX_SENDS], had_keep[MAX_SENDS];
  size_t body_len[MAX_SENDS];
  int flag_at_send[MAX_SENDS];
  int permit_popped, max_popped;
  azc_response *resp;
  azc_error err;
  int failed;
  size_t history;
  int flag;
} outcome;

static const reply *g_script;
static size_t g_nscript;

static void answer(azc_run *run, int i) {
  const reply *r = &g_script[(size_t)i < g_nscript ? (size_t)i : g_nscript - 1];
  azc_response *resp = azc_response_new(r->status, "scripted", azc_run_request(run));
  if (r->location)
    azc_headers_set(azc_response_headers(resp), "Location", 8, r->location, strlen(r->location));
  azc_response_set_body(resp, "moved", 5);
  azc_run_resume_response(run, resp);
}

static void drive(azc_run *run, outcome *o) {
  int guard;
  memset(o, 0, sizeof *o);
  for (guard = 0; guard < 1000; guard++) {
    azc_step st = azc_run_step(run, NULL);
    if (st.kind == AZC_STEP_SEND) {
      azc_request *req = azc_run_request(run);
      azc_headers *h = azc_request_headers(req);
      azc_options *opts = azc_run_options(run);
      size_t n = 0;
      if (o->sends >= MAX_SENDS) {
        CHECK(0);
        break;
      }
      snprintf(o->urls[o->sends], sizeof o->urls[0], "%s", azc_request_url(req));
      snprintf(o->methods[o->sends], sizeof o->methods[0], "%s", azc_request_method(req));
      o->had_auth[o->sends] = azc_headers_get(h, "Authorization", 13, NULL) != NULL;
      o->had_secret[o->sends] = azc_headers_get(h, "X-Secret", 8, NULL) != NULL;
      o->had_keep[o->sends] = azc_headers_get(h, "X-Keep", 6, NULL) != NULL;
      azc_request_body_bytes(req, &n);
      o->body_len[o->sends] = n;
      o->flag_at_send[o->sends] = azc_run_flag(run, AZC_CTX_INSECURE_DOMAIN_CHANGE);
      o->permit_popped = !azc_options_has(opts, AZC_OPT_PERMIT_REDIRECTS);
      o->max_popped = !azc_options_has(opts, AZC_OPT_REDIRECT_MAX);
      answer(run, o->sends++);
    } else if (st.kind == AZC_STEP_SLEEP) {
      o->nsleeps++;
      azc_run_resume(run);
    } else if (st.kind == AZC_STEP_DONE) {
      const azc_error *e = azc_run_error(run);
      o->resp = azc_run_take_response(run);
      if (e) {
        o->err = *e;
        o->failed = 1;
      }
      o->history = azc_run_history_count(run);
      o->flag = azc_run_flag(run, AZC_CTX_INSECURE_DOMAIN_CHANGE);
      return;
    } else {
      CHECK(0);
      return;
    }
  }
  CHECK(0);
}

static void run_req(azc_policy *p, azc_request *req, azc_options *opts, const reply *script,
                    size_t n, outcome *o) {
  azc_pipeline *pl = azc_pipeline_new(&p, 1);
  azc_run *run = azc_run_new(pl, req, opts);
  g_script = script;
  g_nscript = n;
  drive(run, o);
  azc_run_free(run);
  azc_pipeline_unref(pl);
}

/* @p p NULL: a default policy. */
static void run1(azc_policy *p, const char *method, const char *url, azc_options *opts,
                 const reply *script, size_t n, outcome *o) {
  azc_request *req = azc_request_new(method, url);
  azc_policy *own = p ? NULL : azc_redirect_policy_new(NULL);
  run_req(p ? p : own, req, opts, script, n, o);
  azc_request_unref(req);
  azc_policy_unref(own);
}

static void done(outcome *o) { azc_response_unref(o->resp); }

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- tests -------------------------------------------------------------------------------- */

static void test_config(void) {
  azc_redirect_config c;
  const azc_redirect_config *got;
  static const char *const extra[] = {"X-Secret"};
  static const int codes[] = {399};
  azc_policy *p, *retry;
  azc_redirect_config_init(&c);
  CHECK_INT(c.permit_redirects, 1);
  CHECK_INT(c.redirect_max, 30);
  p = azc_redirect_policy_new(NULL);
  CHECK_STR(azc_policy_name(p), "RedirectPolicy");
  got = azc_redirect_policy_config(p);
  CHECK(got && got->permit_redirects == 1 && got->redirect_max == 30);
  CHECK_INT(got->n_redirect_remove_headers, 0);
  azc_policy_unref(p);
  c.permit_redirects = 0;
  c.redirect_max = 5;
  c.redirect_remove_headers = extra;
  c.n_redirect_remove_headers = 1;
  c.redirect_on_status_codes = codes;
  c.n_redirect_on_status_codes = 1;
  p = azc_redirect_policy_new(&c);
  got = azc_redirect_policy_config(p);
  CHECK(got->permit_redirects == 0 && got->redirect_max == 5);
  CHECK(got->redirect_remove_headers != extra);
  CHECK_STR(got->redirect_remove_headers[0], "X-Secret");
  CHECK_INT(got->redirect_on_status_codes[0], 399);
  azc_policy_unref(p);
  retry = azc_retry_policy_new(NULL);
  CHECK(azc_redirect_policy_config(retry) == NULL);
  CHECK(azc_redirect_policy_config(NULL) == NULL);
  azc_policy_unref(retry);
}

static void test_url_rules(void) {
  static const struct {
    const char *base, *loc, *want;
  } cases[] = {
      {"https://a.com/x/y?q=1", "rel2", "https://a.com/rel2"},
      {"https://a.com/x/y?q=1", "/rel/path", "https://a.com/rel/path"},
      {"https://a.com/x/y?q=1", "///x", "https://a.com/x"},
      {"https://a.com/x/y?q=1", "?q=2", "https://a.com/?q=2"},
      {"https://a.com/x/y?q=1", "../up", "https://a.com/../up"}, /* no dot-segment resolution */
      {"https://a.com/x/y?q=1", "https://b.com/p?x=1", "https://b.com/p?x=1"},
      {"https://a.com/x/y?q=1", "//c.com/z", "//c.com/z"}, /* has a netloc: replaces */
      {"https://a.com/x/y?q=1", "http:foo", "https://a.com/http:foo"},
      {"HTTPS://A.com:8443/x", "rel", "https://A.com:8443/rel"},
      {"https://u:p@a.com/x", "/r", "https://u:p@a.com/r"},
      {"http://[::1]:8080/x", "r", "http://[::1]:8080/r"},
  };
  size_t i;
  for (i = 0; i < N(cases); i++) {
    azc_buf b = {0};
    CHECK_INT(azc_redirect_url(cases[i].base, cases[i].loc, &b), AZC_OK);
    CHECK_STR(b.data, cases[i].want);
    azc_buf_free(&b);
  }
  {
    static const struct {
      const char *url, *want;
    } doms[] = {{"https://A.Com:8443/x", "a.com:8443"},
                {"https://a.com", "a.com"},
                {"https://u@A.com/x?y#z", "u@a.com"},
                {"/relative", ""},
                {"localhost:8080/x", ""},
                {"  https://B.com/", "b.com"}};
    for (i = 0; i < N(doms); i++) {
      azc_buf b = {0};
      CHECK_INT(azc_redirect_domain(doms[i].url, &b), AZC_OK);
      CHECK_STR(b.data ? b.data : "", doms[i].want);
      azc_buf_free(&b);
    }
  }
}

static void test_default_limit(void) {
  static const reply s[] = {{302, "https://a.com/next"}};
  outcome o;
  run1(NULL, "GET", "https://a.com/start", NULL, s, 1, &o);
  CHECK_INT(o.sends, 31); /* 30 followed, the 31st redirect raises */
  CHECK(o.failed && o.err.code == AZC_ERR_TOO_MANY_REDIRECTS);
  CHECK_STR(o.err.message, "Reached maximum redirect attempts.");
  CHECK(o.resp == NULL);
  CHECK_INT(o.history, 31);
  CHECK_INT(o.nsleeps, 0);
  CHECK_STR(o.urls[0], "https://a.com/start");
  CHECK_STR(o.urls[1], "https://a.com/next");
  done(&o);
}

static void test_limits_and_permit(void) {
  static const reply s[] = {{307, "/again"}};
  static const reply two_then_ok[] = {{302, "/1"}, {301, "/2"}, {200, NULL}};
  azc_options opts;
  azc_redirect_config c;
  azc_policy *p;
  outcome o;
  azc_options_init(&opts);
  azc_options_set_number(&opts, AZC_OPT_REDIRECT_MAX, 2);
  run1(NULL, "GET", "https://a.com/", &opts, s, 1, &o);
  CHECK_INT(o.sends, 3);
  CHECK(o.failed && o.err.code == AZC_ERR_TOO_MANY_REDIRECTS);
  CHECK(o.max_popped && o.permit_popped);
  done(&o);
  azc_options_set_number(&opts, AZC_OPT_REDIRECT_MAX, 0);
  run1(NULL, "GET", "https://a.com/", &opts, s, 1, &o);
  CHECK_INT(o.sends, 1);
  CHECK(o.failed && o.err.code == AZC_ERR_TOO_MANY_REDIRECTS);
  done(&o);
  /* exactly the limit is fine */
  azc_options_set_number(&opts, AZC_OPT_REDIRECT_MAX, 2);
  run1(NULL, "GET", "https://a.com/", &opts, two_then_ok, N(two_then_ok), &o);
  CHECK_INT(o.sends, 3);
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  CHECK_INT(o.history, 2);
  done(&o);
  /* permit_redirects = false per call: the 3xx is the response */
  azc_options_set_bool(&opts, AZC_OPT_PERMIT_REDIRECTS, 0);
  run1(NULL, "GET", "https://a.com/", &opts, s, 1, &o);
  CHECK_INT(o.sends, 1);
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 307);
  CHECK(!azc_response_is_closed(o.resp));
  CHECK_INT(o.history, 0);
  done(&o);
  azc_options_set_none(&opts, AZC_OPT_PERMIT_REDIRECTS); /* None is falsy */
  run1(NULL, "GET", "https://a.com/", &opts, s, 1, &o);
  CHECK_INT(o.sends, 1);
  done(&o);
  /* constructor: no redirects (RedirectPolicy.no_redirects()), and a per-call override */
  azc_redirect_config_init(&c);
  c.permit_redirects = 0;
  c.redirect_max = 1;
  p = azc_redirect_policy_new(&c);
  run1(p, "GET", "https://a.com/", NULL, s, 1, &o);
  CHECK_INT(o.sends, 1);
  CHECK(o.resp && azc_response_status(o.resp) == 307);
  done(&o);
  azc_options_set_bool(&opts, AZC_OPT_PERMIT_REDIRECTS, 1);
  run1(p, "GET", "https://a.com/", &opts, s, 1, &o);
  CHECK_INT(o.sends, 2); /* constructor max 1 */
  CHECK(o.failed && o.err.code == AZC_ERR_TOO_MANY_REDIRECTS);
  done(&o);
  azc_policy_unref(p);
  azc_options_clear(&opts);
}

static void test_relative_through_policy(void) {
  static const reply s[] = {{302, "rel2"}, {302, "/rel/path"}, {200, NULL}};
  outcome o;
  run1(NULL, "GET", "https://a.com/x/y?q=1", NULL, s, N(s), &o);
  CHECK_INT(o.sends, 3);
  CHECK_STR(o.urls[1], "https://a.com/rel2");
  CHECK_STR(o.urls[2], "https://a.com/rel/path");
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  done(&o);
}

static int sends_for(const char *method, int status, const char *location) {
  reply s[2];
  outcome o;
  int n;
  s[0].status = status;
  s[0].location = location;
  s[1].status = 200;
  s[1].location = NULL;
  run1(NULL, method, "https://a.com/x", NULL, s, 2, &o);
  n = o.sends;
  CHECK(!o.failed && o.resp);
  if (n == 1)
    CHECK(azc_response_status(o.resp) == status);
  done(&o);
  return n;
}

static void test_status_and_method_rules(void) {
  CHECK_INT(sends_for("GET", 301, "/n"), 2);
  CHECK_INT(sends_for("HEAD", 301, "/n"), 2);
  CHECK_INT(sends_for("GET", 302, "/n"), 2);
  CHECK_INT(sends_for("HEAD", 302, "/n"), 2);
  CHECK_INT(sends_for("POST", 301, "/n"), 1); /* returned as the final response */
  CHECK_INT(sends_for("POST", 302, "/n"), 1);
  CHECK_INT(sends_for("PUT", 302, "/n"), 1);
  CHECK_INT(sends_for("DELETE", 301, "/n"), 1);
  CHECK_INT(sends_for("get", 301, "/n"), 1); /* azure-core compares the method as given */
  CHECK_INT(sends_for("POST", 300, "/n"), 2);
  CHECK_INT(sends_for("POST", 303, "/n"), 2);
  CHECK_INT(sends_for("POST", 307, "/n"), 2);
  CHECK_INT(sends_for("PUT", 308, "/n"), 2);
  CHECK_INT(sends_for("GET", 304, "/n"), 1);
  CHECK_INT(sends_for("GET", 305, "/n"), 1);
  CHECK_INT(sends_for("GET", 200, "/n"), 1);
  CHECK_INT(sends_for("GET", 404, "/n"), 1);
  /* no Location (or an empty one): the 3xx is returned */
  CHECK_INT(sends_for("GET", 302, NULL), 1);
  CHECK_INT(sends_for("GET", 307, ""), 1);
}

static void test_303_and_body(void) {
  static const reply s303[] = {{303, "/see"}, {200, NULL}};
  static const reply s307[] = {{307, "/tmp"}, {308, "/perm"}, {200, NULL}};
  azc_request *req = azc_request_new("POST", "https://a.com/form");
  outcome o;
  azc_policy *p = azc_redirect_policy_new(NULL);
  azc_request_set_body_bytes(req, "a=1", 3);
  run_req(p, req, NULL, s303, N(s303), &o);
  CHECK_INT(o.sends, 2);
  CHECK_STR(o.methods[1], "GET");
  CHECK_INT(o.body_len[1], 3); /* the body is not cleared */
  /* the caller's request was rewritten in place (as azure-core does) */
  CHECK_STR(azc_request_method(req), "GET");
  CHECK_STR(azc_request_url(req), "https://a.com/see");
  done(&o);
  azc_request_unref(req);
  req = azc_request_new("POST", "https://a.com/form");
  azc_request_set_body_bytes(req, "a=1", 3);
  run_req(p, req, NULL, s307, N(s307), &o);
  CHECK_INT(o.sends, 3);
  CHECK_STR(o.methods[1], "POST");
  CHECK_STR(o.methods[2], "POST");
  CHECK_INT(o.body_len[2], 3);
  done(&o);
  azc_request_unref(req);
  azc_policy_unref(p);
}

static void test_header_removal(void) {
  static const reply s[] = {{302, "/a"}, {307, "https://b.com/b"}, {200, NULL}};
  static const char *const extra[] = {"x-secret"};
  azc_redirect_config c;
  azc_policy *p;
  azc_request *req;
  outcome o;
  azc_redirect_config_init(&c);
  c.redirect_remove_headers = extra;
  c.n_redirect_remove_headers = 1;
  p = azc_redirect_policy_new(&c);
  req = azc_request_new("GET", "https://a.com/");
  azc_headers_set(azc_request_headers(req), "authorization", 13, "Bearer t", 8);
  azc_headers_set(azc_request_headers(req), "X-Secret", 8, "s", 1);
  azc_headers_set(azc_request_headers(req), "X-Keep", 6, "k", 1);
  run_req(p, req, NULL, s, N(s), &o);
  CHECK_INT(o.sends, 3);
  CHECK(o.had_auth[0] && o.had_secret[0] && o.had_keep[0]);
  CHECK(!o.had_auth[1] && !o.had_secret[1] && o.had_keep[1]); /* same domain too */
  CHECK(!o.had_auth[2] && !o.had_secret[2] && o.had_keep[2]);
  done(&o);
  azc_request_unref(req);
  azc_policy_unref(p);
  /* only Authorization by default */
  p = azc_redirect_policy_new(NULL);
  req = azc_request_new("GET", "https://a.com/");
  azc_headers_set(azc_request_headers(req), "Authorization", 13, "Bearer t", 8);
  azc_headers_set(azc_request_headers(req), "X-Secret", 8, "s", 1);
  run_req(p, req, NULL, s, N(s), &o);
  CHECK(!o.had_auth[1] && o.had_secret[1]);
  done(&o);
  azc_request_unref(req);
  azc_policy_unref(p);
}

/* A host SansIO policy below the redirect policy re-adds Authorization on every attempt (as the
 * bearer policy does); it must find it gone at every hop. */
static int seen_auth[8], hook_calls;
static azc_code auth_hook(void *host, azc_run *run, azc_policy *pol, int hook, azc_error *err) {
  azc_headers *h = azc_request_headers(azc_run_request(run));
  (void)host;
  (void)pol;
  (void)err;
  if (hook == AZC_HOOK_ON_REQUEST) {
    if (hook_calls < 8)
      seen_auth[hook_calls] = azc_headers_get(h, "Authorization", 13, NULL) != NULL;
    hook_calls++;
    azc_headers_set(h, "Authorization", 13, "Bearer fresh", 12);
  }
  return AZC_OK;
}

static void test_strip_every_hop(void) {
  static const reply s[] = {{302, "/a"}, {302, "/b"}, {302, "https://b.com/c"}, {200, NULL}};
  azc_policy *pols[2];
  azc_pipeline *pl;
  azc_request *req;
  azc_run *run;
  outcome o;
  pols[0] = azc_redirect_policy_new(NULL);
  pols[1] = azc_policy_new_host(AZC_HOST_SANSIO, AZC_HOOK_ON_REQUEST, 1);
  pl = azc_pipeline_new(pols, 2);
  azc_pipeline_set_host_hook(pl, auth_hook);
  req = azc_request_new("GET", "https://a.com/");
  hook_calls = 0;
  run = azc_run_new(pl, req, NULL);
  g_script = s;
  g_nscript = N(s);
  drive(run, &o);
  CHECK_INT(o.sends, 4);
  CHECK_INT(hook_calls, 4);
  CHECK(!seen_auth[0] && !seen_auth[1] && !seen_auth[2] && !seen_auth[3]);
  CHECK(o.had_auth[0] && o.had_auth[3]); /* re-added before each send */
  done(&o);
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  azc_policy_unref(pols[0]);
  azc_policy_unref(pols[1]);
}

#define LONG_HOST "a-very-long-host-name-for-the-original-domain-and-then-some.example"

static void test_domain_flag(void) {
  static const reply same[] = {{302, "/rel"}, {302, "https://A.COM/abs"}, {200, NULL}};
  static const reply cross[] = {{302, "https://b.com/x"}, {302, "/back"}, {200, NULL}};
  static const reply port[] = {{302, "https://a.com:8443/x"}, {200, NULL}};
  static const reply none[] = {{302, "https://b.com/x"}};
  /* LONG_HOST is longer than the redirect state's inline room for the original domain */
  static const reply same_long[] = {
      {302, "/rel"},
      {302, "https://A-VERY-LONG-HOST-NAME-FOR-THE-ORIGINAL-DOMAIN-AND-THEN-SOME.Example.com"
            ":8443/abs"},
      {200, NULL}};
  azc_options opts;
  outcome o;
  run1(NULL, "GET", "https://a.com/start", NULL, same, N(same), &o);
  CHECK_INT(o.sends, 3);
  CHECK_INT(o.flag, 0);
  done(&o);
  run1(NULL, "GET", "https://a.com/start", NULL, cross, N(cross), &o);
  CHECK_INT(o.sends, 3);
  CHECK(!o.flag_at_send[0] && o.flag_at_send[1] && o.flag_at_send[2]); /* stays set */
  CHECK_STR(o.urls[2], "https://b.com/back");
  CHECK_INT(o.flag, 1);
  done(&o);
  run1(NULL, "GET", "https://a.com/start", NULL, port, N(port), &o);
  CHECK_INT(o.flag, 1);
  done(&o);
  /* redirects off: no domain is captured, nothing marked */
  azc_options_init(&opts);
  azc_options_set_bool(&opts, AZC_OPT_PERMIT_REDIRECTS, 0);
  run1(NULL, "GET", "https://a.com/start", &opts, none, 1, &o);
  CHECK_INT(o.flag, 0);
  done(&o);
  azc_options_clear(&opts);
  /* a relative original URL has no domain: never marked */
  run1(NULL, "GET", "/start", NULL, cross, N(cross), &o);
  CHECK_INT(o.flag, 0);
  done(&o);
  /* a domain longer than the state's inline room is compared just the same (any case) */
  run1(NULL, "GET", "https://" LONG_HOST ".COM:8443/start", NULL, same_long, N(same_long), &o);
  CHECK_INT(o.sends, 3);
  CHECK_INT(o.flag, 0);
  done(&o);
  run1(NULL, "GET", "https://" LONG_HOST ".com:8443/start", NULL, cross, N(cross), &o);
  CHECK_INT(o.flag, 1);
  done(&o);
}

static void test_history_and_close(void) {
  static const reply s[] = {{301, "/b"}, {302, "/c"}, {200, NULL}};
  azc_policy *p = azc_redirect_policy_new(NULL);
  azc_pipeline *pl = azc_pipeline_new(&p, 1);
  azc_request *req = azc_request_new("GET", "https://a.com/a");
  azc_run *run = azc_run_new(pl, req, NULL);
  const azc_history_entry *e0, *e1;
  outcome o;
  g_script = s;
  g_nscript = N(s);
  drive(run, &o);
  CHECK_INT(o.sends, 3);
  CHECK_INT(azc_run_history_count(run), 2);
  e0 = azc_run_history(run, 0);
  e1 = azc_run_history(run, 1);
  CHECK_STR(azc_request_url(e0->request), "https://a.com/a"); /* as sent, before the rewrite */
  CHECK_STR(azc_request_url(e1->request), "https://a.com/b");
  CHECK(e0->request != req);
  CHECK(e0->response && azc_response_status(e0->response) == 301);
  CHECK(azc_response_is_closed(e0->response)); /* released, kept for the history */
  CHECK(e1->error.code == AZC_OK);
  CHECK(o.resp && azc_response_status(o.resp) == 200 && !azc_response_is_closed(o.resp));
  done(&o);
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  azc_policy_unref(p);
}

static void test_extra_status_codes(void) {
  static const int codes[] = {399, 201};
  static const reply s[] = {{399, "/n"}, {201, "/m"}, {200, NULL}};
  azc_redirect_config c;
  azc_policy *p;
  outcome o;
  azc_redirect_config_init(&c);
  c.redirect_on_status_codes = codes;
  c.n_redirect_on_status_codes = 2;
  p = azc_redirect_policy_new(&c);
  run1(p, "POST", "https://a.com/", NULL, s, N(s), &o);
  CHECK_INT(o.sends, 3);
  CHECK_STR(o.urls[2], "https://a.com/m");
  done(&o);
  azc_policy_unref(p);
}

/* Redirect above retry, as the default order: redirects restart the retry policy; a retry
 * below never re-enters the redirect policy's on_request. */
static void test_with_retry(void) {
  static const reply s[] = {{503, NULL}, {302, "https://b.com/x"}, {503, NULL}, {200, NULL}};
  azc_retry_config rc;
  azc_policy *pols[2];
  azc_pipeline *pl;
  azc_request *req;
  azc_run *run;
  outcome o;
  azc_retry_config_init(&rc);
  rc.jitter_factor = 0;
  pols[0] = azc_redirect_policy_new(NULL);
  pols[1] = azc_retry_policy_new(&rc);
  pl = azc_pipeline_new(pols, 2);
  req = azc_request_new("GET", "https://a.com/a");
  run = azc_run_new(pl, req, NULL);
  g_script = s;
  g_nscript = N(s);
  drive(run, &o);
  CHECK_INT(o.sends, 4);
  CHECK_INT(o.nsleeps, 2);
  CHECK_STR(o.urls[1], "https://a.com/a");
  CHECK_STR(o.urls[3], "https://b.com/x");
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  CHECK_INT(o.flag, 1);
  CHECK_INT(o.history, 3);
  done(&o);
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  azc_policy_unref(pols[0]);
  azc_policy_unref(pols[1]);
}

int main(void) {
  CTEST_RUN(test_config);
  CTEST_RUN(test_url_rules);
  CTEST_RUN(test_default_limit);
  CTEST_RUN(test_limits_and_permit);
  CTEST_RUN(test_relative_through_policy);
  CTEST_RUN(test_status_and_method_rules);
  CTEST_RUN(test_303_and_body);
  CTEST_RUN(test_header_removal);
  CTEST_RUN(test_strip_every_hop);
  CTEST_RUN(test_domain_flag);
  CTEST_RUN(test_history_and_close);
  CTEST_RUN(test_extra_status_codes);
  CTEST_RUN(test_with_retry);
  CTEST_END();
}
