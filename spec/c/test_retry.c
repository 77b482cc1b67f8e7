/* Unit tests for RetryPolicy (BEHAVIOR.md §4.7, §11): runs driven by hand, SEND answered with
 * scripted responses or errors, SLEEP steps recorded (never slept unless a test says so). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azc_pipeline.h"
#include "azc_policy_redirect.h"
#include "azc_policy_retry.h"
#include "azc_retry_after.h"
#include "ctest.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* ---- harness ------------------------------------------------------------------------------ */

/* One scripted answer: a status (with up to two headers) or, when status is 0, an error. */
typedef struct reply {
  int status;
  azc_code err;
  const char *h1, *v1, *h2, *v2;
} reply;

#define MAX_SENDS 64

typedef struct outcome {
  int sends, nsleeps;
  double sleeps[MAX_SENDS];
  char urls[MAX_SENDS][96];
  char methods[MAX_SENDS][12];
  int had_auth[MAX_SENDS];
  double conn_timeout[MAX_SENDS]; /* -1: option absent */
  int timeout_popped, total_popped;
  azc_response *resp; /* final response (owned) */
  azc_error err;      /* final error when failed */
  int failed;
} outcome;

static const reply *g_script;
static size_t g_nscript;
static double g_attempt_sleep; /* seconds each SEND takes, to spend real budget */
static int g_real_sleep;       /* perform SLEEP steps for real */

static void nap(double s) {
  struct timespec ts;
  if (!(s > 0))
    return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
}

static void answer(azc_run *run, int i) {
  const reply *r = &g_script[(size_t)i < g_nscript ? (size_t)i : g_nscript - 1];
  azc_response *resp;
  nap(g_attempt_sleep);
  if (r->status == 0) {
    azc_error e;
    azc_error_set(&e, r->err, "scripted %s", azc_code_name(r->err));
    azc_run_resume_error(run, &e);
    return;
  }
  resp = azc_response_new(r->status, "scripted", azc_run_request(run));
  if (r->h1)
    azc_headers_set(azc_response_headers(resp), r->h1, strlen(r->h1), r->v1, strlen(r->v1));
  if (r->h2)
    azc_headers_set(azc_response_headers(resp), r->h2, strlen(r->h2), r->v2, strlen(r->v2));
  azc_response_set_body(resp, "body", 4);
  azc_run_resume_response(run, resp);
}

static void drive(azc_run *run, outcome *o) {
  int guard;
  memset(o, 0, sizeof *o);
  for (guard = 0; guard < 1000; guard++) {
    azc_step st = azc_run_step(run, NULL);
    if (st.kind == AZC_STEP_SEND) {
      azc_request *req = azc_run_request(run);
      azc_options *opts = azc_run_options(run);
      const azc_optval *ct = azc_options_get(opts, AZC_OPT_CONNECTION_TIMEOUT);
      if (o->sends >= MAX_SENDS) {
        CHECK(0);
        break;
      }
      snprintf(o->urls[o->sends], sizeof o->urls[0], "%s", azc_request_url(req));
      snprintf(o->methods[o->sends], sizeof o->methods[0], "%s", azc_request_method(req));
      o->had_auth[o->sends] =
          azc_headers_get(azc_request_headers(req), "authorization", 13, NULL) != NULL;
      o->conn_timeout[o->sends] = ct && ct->type == AZC_OPTV_NUMBER ? ct->num : -1;
      o->timeout_popped = !azc_options_has(opts, AZC_OPT_TIMEOUT);
      o->total_popped = !azc_options_has(opts, AZC_OPT_RETRY_TOTAL);
      answer(run, o->sends++);
    } else if (st.kind == AZC_STEP_SLEEP) {
      if (o->nsleeps < MAX_SENDS)
        o->sleeps[o->nsleeps++] = st.seconds;
      if (g_real_sleep)
        nap(st.seconds);
      azc_run_resume(run);
    } else if (st.kind == AZC_STEP_DONE) {
      const azc_error *e = azc_run_error(run);
      o->resp = azc_run_take_response(run);
      if (e) {
        o->err = *e;
        o->failed = 1;
      }
      return;
    } else {
      CHECK(0); /* no other step expected */
      return;
    }
  }
  CHECK(0); /* runaway */
}

/* Spy: a copy of the retry vtable that snapshots the run's retry state when the run ends. */
static azc_policy_vtable spy_vt;
static azc_retry_state spy_snap;
static azc_retry_state *const spy_state = &spy_snap;
static void spy_run_end(azc_policy *self, azc_run *run, void *state) {
  (void)self;
  (void)run;
  spy_snap = *(azc_retry_state *)state;
}

static azc_policy *retry_policy(const azc_retry_config *cfg) {
  azc_policy *p = azc_retry_policy_new(cfg);
  spy_vt = azc_retry_policy_vt;
  spy_vt.run_end = spy_run_end;
  p->vt = &spy_vt;
  return p;
}

/* A config with exact delays (jitter 0). */
static azc_retry_config exact(void) {
  azc_retry_config c;
  azc_retry_config_init(&c);
  c.jitter_factor = 0;
  return c;
}

/* Run @p method @p url through [policies...] with @p opts (may be NULL) and the script. */
static void run_with(azc_policy **pols, size_t npol, const char *method, const char *url,
                     azc_request *given, azc_options *opts, const reply *script, size_t n,
                     outcome *o, size_t *out_history) {
  azc_pipeline *pl = azc_pipeline_new(pols, npol);
  azc_request *req = given ? azc_request_ref(given) : azc_request_new(method, url);
  azc_run *run = azc_run_new(pl, req, opts);
  g_script = script;
  g_nscript = n;
  drive(run, o);
  if (out_history)
    *out_history = azc_run_history_count(run);
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
}

static void run1(const azc_retry_config *cfg, const char *method, azc_options *opts,
                 const reply *script, size_t n, outcome *o, size_t *out_history) {
  azc_policy *p = retry_policy(cfg);
  run_with(&p, 1, method, "https://a.com/x", NULL, opts, script, n, o, out_history);
  azc_policy_unref(p);
}

static void done(outcome *o) { azc_response_unref(o->resp); }

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- tests -------------------------------------------------------------------------------- */

static void test_config(void) {
  azc_retry_config c;
  const azc_retry_config *got;
  azc_policy *p, *other;
  static const char *const methods[] = {"post"};
  static const int codes[] = {404, 418};
  azc_retry_config_init(&c);
  CHECK_INT(c.total, 10);
  CHECK_INT(c.connect, 3);
  CHECK_INT(c.read, 3);
  CHECK_INT(c.status, 3);
  CHECK(NEAR(c.backoff_factor, 0.8));
  CHECK(NEAR(c.backoff_max, 120));
  CHECK(NEAR(c.jitter_factor, 0.2));
  CHECK(NEAR(c.timeout, 604800));
  CHECK_INT(c.mode, AZC_RETRY_MODE_EXPONENTIAL);
  p = azc_retry_policy_new(NULL);
  CHECK_STR(azc_policy_name(p), "RetryPolicy");
  got = azc_retry_policy_config(p);
  CHECK(got != NULL);
  CHECK_INT(got->n_retry_on_methods, 6);
  CHECK_STR(got->retry_on_methods[0], "HEAD");
  CHECK_STR(got->retry_on_methods[5], "TRACE");
  CHECK_INT(got->n_retry_on_status_codes, 0);
  azc_policy_unref(p);
  c.backoff_max = 7;
  c.retry_on_methods = methods;
  c.n_retry_on_methods = 1;
  c.retry_on_status_codes = codes;
  c.n_retry_on_status_codes = 2;
  c.mode = (azc_retry_mode)42;
  p = azc_retry_policy_new(&c);
  got = azc_retry_policy_config(p);
  CHECK(got->retry_on_methods != methods); /* copied */
  CHECK_INT(got->n_retry_on_methods, 1);
  CHECK_STR(got->retry_on_methods[0], "post");
  CHECK_INT(got->retry_on_status_codes[1], 418);
  CHECK(NEAR(got->backoff_max, 7));
  CHECK_INT(got->mode, AZC_RETRY_MODE_EXPONENTIAL); /* unknown mode -> exponential */
  CHECK(azc_retry_status_retryable(got, 418));
  azc_policy_unref(p);
  /* empty method set */
  c.n_retry_on_methods = 0;
  p = azc_retry_policy_new(&c);
  CHECK_INT(azc_retry_policy_config(p)->n_retry_on_methods, 0);
  CHECK(azc_retry_policy_config(p)->retry_on_methods != NULL);
  azc_policy_unref(p);
  other = azc_redirect_policy_new(NULL);
  CHECK(azc_retry_policy_config(other) == NULL);
  CHECK(azc_retry_policy_config(NULL) == NULL);
  azc_policy_unref(other);
}

static void test_status_set(void) {
  int s, n = 0;
  for (s = 0; s < 1200; s++)
    if (azc_retry_status_retryable(NULL, s))
      n++;
  CHECK_INT(n, 6 + (998 - 506 + 1));
  CHECK(azc_retry_status_retryable(NULL, 408));
  CHECK(azc_retry_status_retryable(NULL, 429));
  CHECK(!azc_retry_status_retryable(NULL, 501));
  CHECK(!azc_retry_status_retryable(NULL, 505));
  CHECK(azc_retry_status_retryable(NULL, 506));
  CHECK(azc_retry_status_retryable(NULL, 998));
  CHECK(!azc_retry_status_retryable(NULL, 999));
  CHECK(!azc_retry_status_retryable(NULL, 404));
}

static void test_backoff_time(void) {
  int i, low = 0, high = 0;
  CHECK(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 0) == 0);
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 1), 0.8));
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 2), 1.6));
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 3), 3.2));
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 9), 120));
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0, 5000), 120));
  CHECK(azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0, 120, 0, 5000) == 0);
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_FIXED, 0.8, 120, 0, 7), 0.8));
  CHECK(NEAR(azc_retry_backoff_time(AZC_RETRY_MODE_FIXED, 0.8, 0.5, 0, 7), 0.5));
  CHECK(azc_retry_backoff_time(AZC_RETRY_MODE_FIXED, -1, 120, 0, 1) == 0);
  for (i = 0; i < 2000; i++) {
    double v = azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 120, 0.2, 1);
    CHECK(v >= 0.64 - 1e-12 && v <= 0.96 + 1e-12);
    low += v < 0.7;
    high += v > 0.9;
  }
  CHECK(low > 0 && high > 0); /* both sides of the jitter range are reached */
  /* jitter may exceed the cap by up to j */
  for (i = 0; i < 200; i++) {
    double v = azc_retry_backoff_time(AZC_RETRY_MODE_EXPONENTIAL, 0.8, 1, 0.2, 10);
    CHECK(v >= 0.8 - 1e-12 && v <= 1.2 + 1e-12);
  }
}

static void test_defaults_get_500(void) {
  static const reply s[] = {{500, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  outcome o;
  size_t h;
  run1(&c, "GET", NULL, s, N(s), &o, &h);
  CHECK_INT(o.sends, 4); /* 1 + retry_status 3 */
  CHECK_INT(o.nsleeps, 3);
  CHECK(NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[1], 1.6) && NEAR(o.sleeps[2], 3.2));
  CHECK(!o.failed);
  CHECK(o.resp && azc_response_status(o.resp) == 500); /* exhausted: the response returned */
  CHECK_INT(h, 4);
  CHECK(NEAR(spy_state->status, -1) && NEAR(spy_state->total, 6));
  CHECK(NEAR(spy_state->connect, 3) && NEAR(spy_state->read, 3));
  CHECK_INT(spy_state->history, 4);
  CHECK_INT(spy_state->attempts, 4);
  CHECK(o.timeout_popped && o.total_popped);
  CHECK(o.conn_timeout[0] == -1 && o.conn_timeout[3] == -1); /* 7 days: nothing added */
  done(&o);
}

static void test_default_jitter_ranges(void) {
  static const reply s[] = {{503, AZC_OK, NULL, NULL, NULL, NULL}};
  outcome o;
  run1(NULL, "GET", NULL, s, N(s), &o, NULL);
  CHECK_INT(o.sends, 4);
  CHECK_INT(o.nsleeps, 3);
  CHECK(o.sleeps[0] >= 0.64 && o.sleeps[0] <= 0.96);
  CHECK(o.sleeps[1] >= 1.28 && o.sleeps[1] <= 1.92);
  CHECK(o.sleeps[2] >= 2.56 && o.sleeps[2] <= 3.84);
  done(&o);
}

static void test_success_after_retries(void) {
  static const reply s[] = {{503, AZC_OK, NULL, NULL, NULL, NULL},
                            {408, AZC_OK, NULL, NULL, NULL, NULL},
                            {200, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  outcome o;
  size_t h;
  run1(&c, "GET", NULL, s, N(s), &o, &h);
  CHECK_INT(o.sends, 3);
  CHECK(o.resp && azc_response_status(o.resp) == 200);
  CHECK_INT(h, 2);
  CHECK_INT(o.nsleeps, 2);
  done(&o);
}

static int attempts_for(const char *method, int status, const char *h, const char *v) {
  reply s[1];
  azc_retry_config c = exact();
  outcome o;
  int n;
  memset(s, 0, sizeof s);
  s[0].status = status;
  s[0].h1 = h;
  s[0].v1 = v;
  run1(&c, method, NULL, s, 1, &o, NULL);
  n = o.sends;
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == status);
  done(&o);
  return n;
}

static void test_method_gate(void) {
  CHECK_INT(attempts_for("POST", 500, NULL, NULL), 4);
  CHECK_INT(attempts_for("POST", 503, NULL, NULL), 4);
  CHECK_INT(attempts_for("POST", 504, NULL, NULL), 4);
  CHECK_INT(attempts_for("PATCH", 504, NULL, NULL), 4);
  CHECK_INT(attempts_for("POST", 502, NULL, NULL), 1);
  CHECK_INT(attempts_for("POST", 429, NULL, NULL), 1);
  CHECK_INT(attempts_for("POST", 408, NULL, NULL), 1);
  CHECK_INT(attempts_for("PATCH", 502, NULL, NULL), 1);
  CHECK_INT(attempts_for("PUT", 502, NULL, NULL), 4);
  CHECK_INT(attempts_for("DELETE", 429, NULL, NULL), 4);
  CHECK_INT(attempts_for("HEAD", 504, NULL, NULL), 4);
  CHECK_INT(attempts_for("OPTIONS", 500, NULL, NULL), 4);
  CHECK_INT(attempts_for("TRACE", 500, NULL, NULL), 4);
  CHECK_INT(attempts_for("get", 503, NULL, NULL), 4);   /* upper-cased */
  CHECK_INT(attempts_for("post", 500, NULL, NULL), 4);  /* upper-cased for the exemption */
  CHECK_INT(attempts_for("MERGE", 503, NULL, NULL), 1); /* not in the set */
  /* never retried by status */
  CHECK_INT(attempts_for("GET", 200, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 202, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 302, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 400, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 404, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 501, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 505, NULL, NULL), 1);
  CHECK_INT(attempts_for("GET", 506, NULL, NULL), 4);
  CHECK_INT(attempts_for("GET", 998, NULL, NULL), 4);
  CHECK_INT(attempts_for("GET", 999, NULL, NULL), 1);
}

static void test_retry_after_rules(void) {
  static const reply post404[] = {{404, AZC_OK, "Retry-After", "1", NULL, NULL}};
  static const reply ms_only[] = {{503, AZC_OK, "retry-after-ms", "250", NULL, NULL}};
  static const reply xms[] = {{503, AZC_OK, "x-ms-retry-after-ms", "1500", NULL, NULL}};
  static const reply fl[] = {{503, AZC_OK, "Retry-After", "0.9", NULL, NULL}};
  static const reply zero[] = {{503, AZC_OK, "Retry-After", "0", NULL, NULL}};
  static const reply both[] = {{503, AZC_OK, "retry-after-ms", "100", "Retry-After", "2"}};
  static const reply big[] = {{503, AZC_OK, "Retry-After", "500", NULL, NULL}};
  azc_retry_config c = exact();
  outcome o;
  /* a Retry-After makes any >= 400 retryable, any method, slept exactly */
  run1(&c, "POST", NULL, post404, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 1) && NEAR(o.sleeps[2], 1));
  done(&o);
  CHECK_INT(attempts_for("POST", 429, "Retry-After", "3"), 4);
  CHECK_INT(attempts_for("GET", 400, "retry-after", "3"), 4);
  CHECK_INT(attempts_for("POST", 501, "Retry-After", "3"), 4);
  CHECK_INT(attempts_for("GET", 399, "Retry-After", "3"), 1); /* < 400 never */
  CHECK_INT(attempts_for("POST", 404, "Retry-After", ""), 1); /* empty counts as absent */
  /* the -ms headers only set the sleep */
  CHECK_INT(attempts_for("POST", 429, "retry-after-ms", "100"), 1);
  run1(&c, "GET", NULL, ms_only, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.25) && NEAR(o.sleeps[1], 0.25));
  done(&o);
  run1(&c, "GET", NULL, xms, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 1.5));
  done(&o);
  run1(&c, "GET", NULL, fl, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.9));
  done(&o);
  /* 0 is falsy: the backoff applies */
  run1(&c, "GET", NULL, zero, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[1], 1.6));
  done(&o);
  run1(&c, "GET", NULL, both, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 2));
  done(&o);
  /* no cap, no jitter on Retry-After */
  c.backoff_max = 1;
  c.jitter_factor = 0.5;
  run1(&c, "GET", NULL, big, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 500));
  done(&o);
}

static void test_retry_after_date(void) {
  char date[30], past[30];
  reply s[1];
  azc_retry_config c = exact();
  outcome o;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  azc_http_date_format((double)ts.tv_sec + 100, date);
  azc_http_date_format((double)ts.tv_sec - 100, past);
  memset(s, 0, sizeof s);
  s[0].status = 503;
  s[0].h1 = "Retry-After";
  s[0].v1 = date;
  run1(&c, "GET", NULL, s, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && o.sleeps[0] > 95 && o.sleeps[0] <= 100);
  done(&o);
  s[0].v1 = past; /* -> 0 -> backoff */
  run1(&c, "GET", NULL, s, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.8));
  done(&o);
}

static void opts_num(azc_options *o, azc_opt k, double v) { azc_options_set_number(o, k, v); }

static void test_counts(void) {
  static const reply s503[] = {{503, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply ra[] = {{503, AZC_OK, "Retry-After", "1", NULL, NULL}};
  azc_retry_config c = exact();
  azc_options opts;
  outcome o;
  size_t h;
  /* retry_total = 0 -> 1 attempt (also with Retry-After) */
  azc_options_init(&opts);
  opts_num(&opts, AZC_OPT_RETRY_TOTAL, 0);
  run1(&c, "GET", &opts, s503, 1, &o, &h);
  CHECK_INT(o.sends, 1);
  CHECK_INT(h, 0); /* is_retry said no: nothing recorded */
  done(&o);
  opts_num(&opts, AZC_OPT_RETRY_TOTAL, 0);
  run1(&c, "GET", &opts, ra, 1, &o, &h);
  CHECK_INT(o.sends, 1);
  CHECK_INT(h, 1); /* incremented, then exhausted (total -1) */
  done(&o);
  /* retry_total = 1 -> 2 attempts */
  opts_num(&opts, AZC_OPT_RETRY_TOTAL, 1);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 2);
  done(&o);
  /* retry_status = 10 -> 11 attempts (total 10 caps it); sleeps reach the cap */
  opts_num(&opts, AZC_OPT_RETRY_STATUS, 10);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 11);
  CHECK_INT(o.nsleeps, 10);
  CHECK(NEAR(o.sleeps[6], 51.2) && NEAR(o.sleeps[7], 102.4) && NEAR(o.sleeps[8], 120) &&
        NEAR(o.sleeps[9], 120));
  done(&o);
  /* retry_status = 10, retry_total = 5 -> 6 attempts */
  opts_num(&opts, AZC_OPT_RETRY_STATUS, 10);
  opts_num(&opts, AZC_OPT_RETRY_TOTAL, 5);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 6);
  done(&o);
  /* constructor values */
  c.status = 1;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 2);
  done(&o);
  c = exact();
  c.total = 2;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 3);
  done(&o);
  /* counters at 0 are ignored: retry_connect = 0 does not stop status retries */
  c = exact();
  c.connect = 0;
  c.read = 0;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
  /* total 1, status 1, others 0: after one retry every counter is 0 (not exhausted), and the
   * next 503 is not a retry because total is 0 */
  c.total = 1;
  c.status = 1;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 2);
  done(&o);
  azc_options_clear(&opts);
}

static void test_connect_and_read_errors(void) {
  static const reply conn[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL}};
  static const reply conn_to[] = {{0, AZC_ERR_SERVICE_REQUEST_TIMEOUT, NULL, NULL, NULL, NULL}};
  static const reply rd[] = {{0, AZC_ERR_SERVICE_RESPONSE, NULL, NULL, NULL, NULL}};
  static const reply rd_to[] = {{0, AZC_ERR_SERVICE_RESPONSE_TIMEOUT, NULL, NULL, NULL, NULL}};
  static const reply mixed[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL},
                                {0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL},
                                {0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL},
                                {0, AZC_ERR_SERVICE_RESPONSE, NULL, NULL, NULL, NULL},
                                {0, AZC_ERR_SERVICE_RESPONSE, NULL, NULL, NULL, NULL},
                                {0, AZC_ERR_SERVICE_RESPONSE, NULL, NULL, NULL, NULL},
                                {500, AZC_OK, NULL, NULL, NULL, NULL},
                                {500, AZC_OK, NULL, NULL, NULL, NULL},
                                {500, AZC_OK, NULL, NULL, NULL, NULL},
                                {200, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_options opts;
  outcome o;
  size_t h;
  run1(&c, "GET", NULL, conn, 1, &o, &h);
  CHECK_INT(o.sends, 4);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_REQUEST); /* the last error re-raised */
  CHECK(o.resp == NULL);
  CHECK_INT(h, 4);
  CHECK(NEAR(spy_state->connect, -1) && NEAR(spy_state->read, 3) && NEAR(spy_state->status, 3));
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[2], 3.2));
  done(&o);
  run1(&c, "GET", NULL, conn_to, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_REQUEST_TIMEOUT);
  done(&o);
  run1(&c, "GET", NULL, rd, 1, &o, &h);
  CHECK_INT(o.sends, 4);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE);
  CHECK(NEAR(spy_state->read, -1) && NEAR(spy_state->connect, 3));
  CHECK_INT(h, 4);
  done(&o);
  run1(&c, "GET", NULL, rd_to, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
  /* independent budgets: 3 connect + 3 read + 3 status retries, then success (total 10) */
  run1(&c, "GET", NULL, mixed, N(mixed), &o, &h);
  CHECK_INT(o.sends, 10);
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  CHECK_INT(h, 9);
  CHECK(NEAR(spy_state->total, 1));
  done(&o);
  /* retry_connect = 0 -> a connection error is not retried */
  azc_options_init(&opts);
  opts_num(&opts, AZC_OPT_RETRY_CONNECT, 0);
  run1(&c, "GET", &opts, conn, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_REQUEST);
  done(&o);
  azc_options_clear(&opts);
  /* exceptions for POST/PATCH are never retried (the 5xx exemption is for responses) */
  run1(&c, "POST", NULL, conn, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
  run1(&c, "PATCH", NULL, rd, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
  run1(&c, "PUT", NULL, rd, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
}

static void test_other_errors(void) {
  static const reply azure[] = {{0, AZC_ERR_AZURE, NULL, NULL, NULL, NULL}};
  static const reply decode[] = {{0, AZC_ERR_DECODE, NULL, NULL, NULL, NULL},
                                 {200, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply auth[] = {{0, AZC_ERR_CLIENT_AUTH, NULL, NULL, NULL, NULL}};
  static const reply host[] = {{0, AZC_ERR_HOST, NULL, NULL, NULL, NULL}};
  static const reply value[] = {{0, AZC_ERR_VALUE, NULL, NULL, NULL, NULL}};
  static const reply nomem[] = {{0, AZC_ERR_NOMEM, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  outcome o;
  size_t h;
  /* generic AzureError: status budget, no history, so no backoff and no SLEEP */
  run1(&c, "GET", NULL, azure, 1, &o, &h);
  CHECK_INT(o.sends, 4);
  CHECK_INT(o.nsleeps, 0);
  CHECK_INT(h, 0);
  CHECK(o.failed && o.err.code == AZC_ERR_AZURE);
  CHECK(NEAR(spy_state->status, -1));
  done(&o);
  run1(&c, "GET", NULL, decode, N(decode), &o, NULL);
  CHECK_INT(o.sends, 2);
  CHECK(!o.failed);
  done(&o);
  /* never retried, propagated as is */
  run1(&c, "GET", NULL, auth, 1, &o, &h);
  CHECK_INT(o.sends, 1);
  CHECK(o.failed && o.err.code == AZC_ERR_CLIENT_AUTH);
  CHECK_STR(o.err.message, "scripted ClientAuthenticationError");
  CHECK_INT(h, 0);
  done(&o);
  run1(&c, "GET", NULL, host, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK(o.failed && o.err.code == AZC_ERR_HOST);
  done(&o);
  run1(&c, "GET", NULL, value, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
  run1(&c, "GET", NULL, nomem, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
}

static int rewinds;
static azc_code rd_fn(void *ud, char *buf, size_t cap, size_t *out_n) {
  (void)ud;
  (void)buf;
  (void)cap;
  *out_n = 0;
  return AZC_OK;
}
static azc_code rw_fn(void *ud) {
  (void)ud;
  rewinds++;
  return AZC_OK;
}
static azc_code rw_fail(void *ud) {
  (void)ud;
  rewinds++;
  return AZC_ERR_IO;
}

static void test_body_rewind(void) {
  static const reply s503[] = {{503, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply conn[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_policy *p;
  azc_request *req;
  outcome o;
  size_t h;
  /* bytes: retried */
  p = retry_policy(&c);
  req = azc_request_new("PUT", "https://a.com/x");
  azc_request_set_body_bytes(req, "data", 4);
  run_with(&p, 1, NULL, NULL, req, NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
  azc_request_unref(req);
  /* a fed body cannot rewind: no retry, the response is returned (history has the attempt) */
  req = azc_request_new("PUT", "https://a.com/x");
  azc_request_set_body_feed(req, 4);
  run_with(&p, 1, NULL, NULL, req, NULL, s503, 1, &o, &h);
  CHECK_INT(o.sends, 1);
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 503);
  CHECK_INT(h, 1);
  done(&o);
  run_with(&p, 1, NULL, NULL, req, NULL, conn, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_REQUEST); /* the error re-raised */
  done(&o);
  azc_request_unref(req);
  /* a reader with rewind: rewound before each retry; without one: no retry */
  rewinds = 0;
  req = azc_request_new("PUT", "https://a.com/x");
  azc_request_set_body_reader(req, rd_fn, rw_fn, NULL, NULL, -1);
  run_with(&p, 1, NULL, NULL, req, NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  CHECK_INT(rewinds, 3);
  done(&o);
  azc_request_unref(req);
  req = azc_request_new("PUT", "https://a.com/x");
  azc_request_set_body_reader(req, rd_fn, NULL, NULL, NULL, -1);
  run_with(&p, 1, NULL, NULL, req, NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
  azc_request_unref(req);
  rewinds = 0;
  req = azc_request_new("PUT", "https://a.com/x");
  azc_request_set_body_reader(req, rd_fn, rw_fail, NULL, NULL, -1);
  run_with(&p, 1, NULL, NULL, req, NULL, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK_INT(rewinds, 1);
  done(&o);
  azc_request_unref(req);
  azc_policy_unref(p);
}

static void test_timeout_budget(void) {
  static const reply s503[] = {{503, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply ra5[] = {{503, AZC_OK, "Retry-After", "5", NULL, NULL}};
  static const reply conn[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL}};
  static const reply rd[] = {{0, AZC_ERR_SERVICE_RESPONSE, NULL, NULL, NULL, NULL}};
  static const reply conn_then_503[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL},
                                        {503, AZC_OK, "Retry-After", "5", NULL, NULL}};
  azc_retry_config c = exact();
  azc_options opts;
  outcome o;
  azc_options_init(&opts);
  /* no budget: the first attempt is refused with the response-side error */
  opts_num(&opts, AZC_OPT_TIMEOUT, 0);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 0);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  CHECK_STR(o.err.message, "Response timeout");
  done(&o);
  c.timeout = -1; /* constructor value */
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK(o.sends == 0 && o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  done(&o);
  c = exact();
  /* the sleep would use up the budget: fail now, never sleep then time out */
  opts_num(&opts, AZC_OPT_TIMEOUT, 1);
  run1(&c, "GET", &opts, ra5, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK_INT(o.nsleeps, 0);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  CHECK_STR(o.err.message, "Response timeout");
  done(&o);
  /* after a connection error the request-side error */
  c.backoff_factor = 2;
  opts_num(&opts, AZC_OPT_TIMEOUT, 1);
  run1(&c, "GET", &opts, conn, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  CHECK_INT(o.nsleeps, 0);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_REQUEST_TIMEOUT);
  CHECK_STR(o.err.message, "Request timeout");
  done(&o);
  opts_num(&opts, AZC_OPT_TIMEOUT, 1);
  run1(&c, "GET", &opts, rd, 1, &o, NULL);
  CHECK(o.sends == 1 && o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  done(&o);
  /* the side is that of the last failure: a status retry after a connection error */
  c.backoff_factor = 0.1;
  opts_num(&opts, AZC_OPT_TIMEOUT, 3);
  run1(&c, "GET", &opts, conn_then_503, 2, &o, NULL);
  CHECK_INT(o.sends, 2);
  CHECK(o.nsleeps == 1 && NEAR(o.sleeps[0], 0.1));
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  done(&o);
  /* sleeps within the budget are allowed, and subtracted */
  c.backoff_factor = 0.8;
  opts_num(&opts, AZC_OPT_TIMEOUT, 3);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 3); /* 0.8 + 1.6 fit in 3 s; 3.2 more would not */
  CHECK_INT(o.nsleeps, 2);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  done(&o);
  /* real elapsed time counts: attempts of 0.15 s against a 0.25 s budget */
  g_attempt_sleep = 0.15;
  g_real_sleep = 1;
  c.backoff_factor = 0.02;
  opts_num(&opts, AZC_OPT_TIMEOUT, 0.25);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  g_attempt_sleep = 0;
  g_real_sleep = 0;
  CHECK_INT(o.sends, 2);
  CHECK(o.failed && o.err.code == AZC_ERR_SERVICE_RESPONSE_TIMEOUT);
  done(&o);
  azc_options_clear(&opts);
}

static void test_connection_timeout_option(void) {
  static const reply s503[] = {{503, AZC_OK, NULL, NULL, NULL, NULL},
                               {200, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_options opts;
  outcome o;
  azc_options_init(&opts);
  /* budget below the transport default: connection_timeout = remaining */
  opts_num(&opts, AZC_OPT_TIMEOUT, 100);
  run1(&c, "GET", &opts, s503, 2, &o, NULL);
  CHECK_INT(o.sends, 2);
  CHECK(NEAR(o.conn_timeout[0], 100));
  CHECK(o.conn_timeout[1] <= 100 - 0.8 && o.conn_timeout[1] > 98.5); /* minus the sleep */
  CHECK(o.timeout_popped);
  done(&o);
  /* an explicit connection_timeout is kept when smaller, lowered when larger */
  opts_num(&opts, AZC_OPT_TIMEOUT, 100);
  opts_num(&opts, AZC_OPT_CONNECTION_TIMEOUT, 50);
  run1(&c, "GET", &opts, s503, 2, &o, NULL);
  CHECK(NEAR(o.conn_timeout[0], 50) && NEAR(o.conn_timeout[1], 50));
  done(&o);
  opts_num(&opts, AZC_OPT_TIMEOUT, 100);
  opts_num(&opts, AZC_OPT_CONNECTION_TIMEOUT, 500);
  run1(&c, "GET", &opts, s503, 2, &o, NULL);
  CHECK(NEAR(o.conn_timeout[0], 100));
  done(&o);
  /* budget above the default: nothing added; a given one is kept */
  opts_num(&opts, AZC_OPT_TIMEOUT, 1000);
  run1(&c, "GET", &opts, s503, 2, &o, NULL);
  CHECK(o.conn_timeout[0] == -1 && o.conn_timeout[1] == -1);
  done(&o);
  opts_num(&opts, AZC_OPT_CONNECTION_TIMEOUT, 7);
  run1(&c, "GET", &opts, s503, 2, &o, NULL);
  CHECK(NEAR(o.conn_timeout[0], 7) && NEAR(o.conn_timeout[1], 7));
  done(&o);
  azc_options_clear(&opts);
}

static void test_per_call_options(void) {
  static const reply s502[] = {{502, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply s503[] = {{503, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_options opts;
  outcome o;
  azc_options_init(&opts);
  /* retry_on_methods replaces the set (comma-separated, spaces and case ignored) */
  azc_options_set_string(&opts, AZC_OPT_RETRY_ON_METHODS, "PUT, post", 9);
  run1(&c, "POST", &opts, s502, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
  azc_options_set_string(&opts, AZC_OPT_RETRY_ON_METHODS, "POST", 4);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
  azc_options_set_string(&opts, AZC_OPT_RETRY_ON_METHODS, "", 0);
  run1(&c, "POST", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 4); /* the POST 5xx exemption still applies */
  done(&o);
  /* backoff settings */
  opts_num(&opts, AZC_OPT_RETRY_BACKOFF_FACTOR, 0.5);
  opts_num(&opts, AZC_OPT_RETRY_BACKOFF_MAX, 0.75);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.5) && NEAR(o.sleeps[1], 0.75) &&
        NEAR(o.sleeps[2], 0.75));
  done(&o);
  opts_num(&opts, AZC_OPT_RETRY_JITTER_FACTOR, 0);
  run1(NULL, "GET", &opts, s503, 1, &o, NULL); /* default policy, exact per call */
  CHECK(o.nsleeps == 3 && NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[2], 3.2));
  done(&o);
  /* a None value is popped and leaves the policy's setting */
  azc_options_set_none(&opts, AZC_OPT_RETRY_TOTAL);
  run1(&c, "GET", &opts, s503, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  CHECK(o.total_popped);
  done(&o);
  /* constructor cap honoured (azure-core #42444), fixed mode */
  c.backoff_max = 1;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK(NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[1], 1) && NEAR(o.sleeps[2], 1));
  done(&o);
  c = exact();
  c.mode = AZC_RETRY_MODE_FIXED;
  run1(&c, "GET", NULL, s503, 1, &o, NULL);
  CHECK(NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[1], 0.8) && NEAR(o.sleeps[2], 0.8));
  done(&o);
  azc_options_clear(&opts);
}

static void test_extra_status_codes(void) {
  static const int codes[] = {404, 501};
  azc_retry_config c = exact();
  static const reply s404[] = {{404, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply post501[] = {{501, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply s200[] = {{200, AZC_OK, NULL, NULL, NULL, NULL}};
  outcome o;
  c.retry_on_status_codes = codes;
  c.n_retry_on_status_codes = 2;
  run1(&c, "GET", NULL, s404, 1, &o, NULL);
  CHECK_INT(o.sends, 4);
  done(&o);
  run1(&c, "POST", NULL, post501, 1, &o, NULL); /* method gate still applies */
  CHECK_INT(o.sends, 1);
  done(&o);
  run1(&c, "GET", NULL, s200, 1, &o, NULL);
  CHECK_INT(o.sends, 1);
  done(&o);
}

static void test_history_entries(void) {
  static const reply s[] = {{0, AZC_ERR_SERVICE_REQUEST, NULL, NULL, NULL, NULL},
                            {503, AZC_OK, NULL, NULL, NULL, NULL},
                            {200, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_policy *p = retry_policy(&c);
  azc_pipeline *pl = azc_pipeline_new(&p, 1);
  azc_request *req = azc_request_new("GET", "https://a.com/h");
  azc_run *run = azc_run_new(pl, req, NULL);
  const azc_history_entry *e;
  outcome o;
  g_script = s;
  g_nscript = N(s);
  drive(run, &o);
  CHECK_INT(o.sends, 3);
  CHECK_INT(azc_run_history_count(run), 2);
  e = azc_run_history(run, 0);
  CHECK(e->response == NULL && e->error.code == AZC_ERR_SERVICE_REQUEST);
  CHECK(e->request != req); /* a copy */
  CHECK_STR(azc_request_url(e->request), "https://a.com/h");
  e = azc_run_history(run, 1);
  CHECK(e->response && azc_response_status(e->response) == 503 && e->error.code == AZC_OK);
  CHECK(azc_response_is_closed(e->response)); /* released when retried */
  CHECK(azc_run_history(run, 2) == NULL);
  CHECK(o.resp && !azc_response_is_closed(o.resp));
  done(&o);
  azc_run_free(run);
  azc_request_unref(req);
  azc_pipeline_unref(pl);
  azc_policy_unref(p);
}

/* Redirect above retry (the default order): each hop enters RetryPolicy afresh. */
static void test_fresh_send_after_redirect(void) {
  static const reply s[] = {{503, AZC_OK, NULL, NULL, NULL, NULL},
                            {302, AZC_OK, "Location", "/b", NULL, NULL},
                            {503, AZC_OK, NULL, NULL, NULL, NULL},
                            {200, AZC_OK, NULL, NULL, NULL, NULL}};
  static const reply many[] = {
      {503, AZC_OK, NULL, NULL, NULL, NULL},       {503, AZC_OK, NULL, NULL, NULL, NULL},
      {302, AZC_OK, "Location", "/b", NULL, NULL}, {503, AZC_OK, NULL, NULL, NULL, NULL},
      {503, AZC_OK, NULL, NULL, NULL, NULL},       {200, AZC_OK, NULL, NULL, NULL, NULL}};
  azc_retry_config c = exact();
  azc_policy *pols[2];
  azc_options opts;
  outcome o;
  size_t h;
  pols[0] = azc_redirect_policy_new(NULL);
  pols[1] = retry_policy(&c);
  run_with(pols, 2, "GET", "https://a.com/a", NULL, NULL, s, N(s), &o, &h);
  CHECK_INT(o.sends, 4);
  CHECK_STR(o.urls[2], "https://a.com/b");
  CHECK(o.nsleeps == 2 && NEAR(o.sleeps[0], 0.8) && NEAR(o.sleeps[1], 0.8)); /* backoff reset */
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  CHECK_INT(h, 3); /* retry, redirect, retry */
  done(&o);
  /* the counters restart on the new hop, from the per-call settings */
  azc_options_init(&opts);
  opts_num(&opts, AZC_OPT_RETRY_STATUS, 2);
  run_with(pols, 2, "GET", "https://a.com/a", NULL, &opts, many, N(many), &o, NULL);
  /* hop 1 spends retry_status 2 on two 503s; hop 2 has 2 again (without the restart its
   * first 503 would exhaust it) */
  CHECK_INT(o.sends, 6);
  CHECK(!o.failed && o.resp && azc_response_status(o.resp) == 200);
  done(&o);
  azc_options_clear(&opts);
  azc_policy_unref(pols[0]);
  azc_policy_unref(pols[1]);
}

int main(void) {
  CTEST_RUN(test_config);
  CTEST_RUN(test_status_set);
  CTEST_RUN(test_backoff_time);
  CTEST_RUN(test_defaults_get_500);
  CTEST_RUN(test_default_jitter_ranges);
  CTEST_RUN(test_success_after_retries);
  CTEST_RUN(test_method_gate);
  CTEST_RUN(test_retry_after_rules);
  CTEST_RUN(test_retry_after_date);
  CTEST_RUN(test_counts);
  CTEST_RUN(test_connect_and_read_errors);
  CTEST_RUN(test_other_errors);
  CTEST_RUN(test_body_rewind);
  CTEST_RUN(test_timeout_budget);
  CTEST_RUN(test_connection_timeout_option);
  CTEST_RUN(test_per_call_options);
  CTEST_RUN(test_extra_status_codes);
  CTEST_RUN(test_history_entries);
  CTEST_RUN(test_fresh_send_after_redirect);
  CTEST_END();
}
