/*
 * test_policies_basic.c - HeadersPolicy, RequestIdPolicy and UserAgentPolicy (BEHAVIOR.md
 * §4.1-4.3) driven through a real pipeline run: each test builds a pipeline, steps the run by
 * hand, records the request headers seen at SEND and answers with a synthetic response.
 */
#include "azc_pipeline.h"
#include "azc_policy_headers.h"
#include "azc_policy_request_id.h"
#include "azc_policy_user_agent.h"
#include "ctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define RID "x-ms-client-request-id"

static int set(azc_headers *h, const char *n, const char *v) {
  return azc_headers_set(h, n, strlen(n), v, strlen(v));
}

static const char *get(const azc_headers *h, const char *n) {
  return h ? azc_headers_get(h, n, strlen(n), NULL) : NULL;
}

/* "name=value;..." in iteration order. */
static const char *dump(const azc_headers *h) {
  static char out[4096];
  size_t it = 0, nl, vl, used = 0;
  const char *n, *v;
  out[0] = '\0';
  while (h && azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    int k = snprintf(out + used, sizeof out - used, "%s%s=%s", used ? ";" : "", n, v);
    if (k < 0 || (size_t)k >= sizeof out - used)
      break;
    used += (size_t)k;
  }
  return out;
}

/* What a run left behind. */
typedef struct outcome {
  azc_headers *sent; /* copy of the request headers at SEND; NULL when SEND was never reached */
  int sends;
  azc_code err; /* AZC_OK when the run produced a response */
  int popped[AZC_OPT__COUNT];
} outcome;

static void outcome_free(outcome *o) {
  azc_headers_unref(o->sent);
  memset(o, 0, sizeof *o);
}

/*
 * Run @p n policies over @p req (headers already set by the caller) with @p opts (moved into the
 * run; NULL: none). Records the headers at SEND, answers 200, steps to DONE.
 */
static outcome run_policies(azc_policy *const *pols, size_t n, azc_request *req,
                            azc_options *opts) {
  outcome o;
  azc_pipeline *pl = azc_pipeline_new(pols, n);
  azc_run *run;
  int guard, i;
  memset(&o, 0, sizeof o);
  CHECK(pl != NULL);
  run = azc_run_new(pl, req, opts);
  CHECK(run != NULL);
  for (guard = 0; guard < 10; guard++) {
    azc_step st = azc_run_step(run, NULL);
    if (st.kind == AZC_STEP_SEND) {
      o.sends++;
      azc_headers_unref(o.sent);
      o.sent = azc_headers_copy(azc_request_headers(azc_run_request(run)));
      azc_run_resume_response(run, azc_response_new(200, "OK", azc_run_request(run)));
      continue;
    }
    CHECK_INT(st.kind, AZC_STEP_DONE);
    break;
  }
  {
    azc_response *resp = azc_run_take_response(run);
    const azc_error *e = azc_run_error(run);
    o.err = resp ? AZC_OK : (e ? e->code : AZC_ERR_ARG);
    azc_response_unref(resp);
  }
  for (i = 0; i < AZC_OPT__COUNT; i++) {
    const azc_optval *v = azc_options_given(azc_run_options(run), (azc_opt)i);
    o.popped[i] = v && v->type != AZC_OPTV_ABSENT && v->popped;
  }
  azc_run_free(run);
  azc_pipeline_unref(pl);
  return o;
}

/* One policy, a fresh GET request with @p hdrs ("name", "value", ..., NULL). */
static outcome run1(azc_policy *p, azc_options *opts, const char *const *hdrs) {
  azc_request *req = azc_request_new("GET", "http://127.0.0.1/x");
  outcome o;
  size_t i;
  for (i = 0; hdrs && hdrs[i]; i += 2)
    set(azc_request_headers(req), hdrs[i], hdrs[i + 1]);
  o = run_policies(&p, 1, req, opts);
  azc_request_unref(req);
  return o;
}

static azc_headers *hdrs_of(const char *const *kv) {
  azc_headers *h = azc_headers_new();
  size_t i;
  for (i = 0; kv[i]; i += 2)
    set(h, kv[i], kv[i + 1]);
  return h;
}

/* ---- HeadersPolicy ---------------------------------------------------------------------- */

static void test_headers_example(void) {
  static const char *const base[] = {"A", "1", "B", "2", NULL};
  static const char *const reqh[] = {"A", "0", "C", "3", NULL};
  static const char *const call[] = {"B", "call", NULL};
  azc_headers *b = hdrs_of(base), *oh = hdrs_of(call);
  azc_policy *p = azc_headers_policy_new(b);
  azc_options opts;
  outcome o;
  azc_options_init(&opts);
  azc_options_set_headers(&opts, AZC_OPT_HEADERS, oh);
  o = run1(p, &opts, reqh);
  /* {A:1, C:3, B:"call"}: A keeps its position, B arrives after C */
  CHECK_STR(dump(o.sent), "A=1;C=3;B=call");
  CHECK_INT(o.err, AZC_OK);
  CHECK(o.popped[AZC_OPT_HEADERS]);
  /* the option does not stick to the policy */
  CHECK_STR(dump(azc_headers_policy_headers(p)), "A=1;B=2");
  outcome_free(&o);
  o = run1(p, NULL, reqh);
  CHECK_STR(dump(o.sent), "A=1;C=3;B=2");
  outcome_free(&o);
  azc_headers_unref(b);
  azc_headers_unref(oh);
  azc_policy_unref(p);
}

static void test_headers_overwrite_case_and_copy(void) {
  static const char *const base[] = {"X-Thing", "policy", NULL};
  static const char *const reqh[] = {"x-thing", "request", "Accept", "*/*", NULL};
  azc_headers *b = hdrs_of(base);
  azc_policy *p = azc_headers_policy_new(b);
  outcome o;
  set(b, "X-Late", "1"); /* the policy copied its base: later edits do not reach it */
  o = run1(p, NULL, reqh);
  CHECK_STR(dump(o.sent), "X-Thing=policy;Accept=*/*");
  outcome_free(&o);
  azc_headers_unref(b);
  CHECK_STR(azc_policy_name(p), "HeadersPolicy");
  azc_policy_unref(p);
}

static void test_headers_add_header(void) {
  azc_policy *p = azc_headers_policy_new(NULL);
  outcome o;
  CHECK_INT(azc_headers_policy_add_header(p, "K", 1, "v1", 2), AZC_OK);
  CHECK_INT(azc_headers_policy_add_header(p, "L", 1, "v2", 2), AZC_OK);
  CHECK_INT(azc_headers_policy_add_header(p, "k", 1, "v3", 2), AZC_OK); /* replaces K */
  CHECK_INT(azc_headers_policy_add_header(p, "", 0, "v", 1), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_policy_add_header(p, "M", 1, "a\r\nb", 4), AZC_ERR_VALUE);
  CHECK_STR(dump(azc_headers_policy_headers(p)), "k=v3;L=v2");
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), "k=v3;L=v2");
  outcome_free(&o);
  azc_policy_unref(p);
}

static void test_headers_option_only_and_none(void) {
  static const char *const call[] = {"X-Call", "1", NULL};
  static const char *const reqh[] = {"X-Call", "0", NULL};
  azc_policy *p = azc_headers_policy_new(NULL);
  azc_headers *oh = hdrs_of(call);
  azc_options opts;
  outcome o;
  azc_options_init(&opts);
  azc_options_set_headers(&opts, AZC_OPT_HEADERS, oh);
  o = run1(p, &opts, reqh);
  CHECK_STR(dump(o.sent), "X-Call=1"); /* the option overwrites the request's own header */
  outcome_free(&o);
  /* headers=false (None) and an empty table: nothing changes, the key is still consumed */
  azc_options_init(&opts);
  azc_options_set_none(&opts, AZC_OPT_HEADERS);
  o = run1(p, &opts, reqh);
  CHECK_STR(dump(o.sent), "X-Call=0");
  CHECK(o.popped[AZC_OPT_HEADERS]);
  outcome_free(&o);
  azc_headers_clear(oh);
  azc_options_init(&opts);
  azc_options_set_headers(&opts, AZC_OPT_HEADERS, oh);
  o = run1(p, &opts, reqh);
  CHECK_STR(dump(o.sent), "X-Call=0");
  CHECK(o.popped[AZC_OPT_HEADERS]);
  outcome_free(&o);
  azc_headers_unref(oh);
  CHECK(azc_headers_policy_headers(NULL) == NULL);
  azc_policy_unref(p);
}

/* ---- RequestIdPolicy -------------------------------------------------------------------- */

static int is_uuid4(const char *s) {
  size_t i;
  if (!s || strlen(s) != 36)
    return 0;
  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return 0;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return 0;
    }
  }
  return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static azc_policy *rid_policy(int set_id, const char *id, int auto_id, const char *name) {
  azc_request_id_config c = azc_request_id_config_default();
  azc_error e;
  azc_policy *p;
  c.request_id_set = set_id;
  c.request_id = id;
  c.auto_request_id = auto_id;
  c.header_name = name;
  p = azc_request_id_policy_new(&c, &e);
  CHECK(p != NULL);
  return p;
}

static void opt_rid(azc_options *o, const char *v) {
  azc_options_init(o);
  if (v)
    azc_options_set_string(o, AZC_OPT_REQUEST_ID, v, strlen(v));
  else
    azc_options_set_none(o, AZC_OPT_REQUEST_ID);
}

static void test_rid_auto(void) {
  static const char *const has[] = {RID, "mine", NULL};
  static const char *const has_upper[] = {"X-MS-Client-Request-Id", "mine", NULL};
  azc_policy *p = azc_request_id_policy_new(NULL, NULL);
  outcome o1, o2;
  char first[37];
  CHECK_STR(azc_policy_name(p), "RequestIdPolicy");
  o1 = run1(p, NULL, NULL);
  o2 = run1(p, NULL, NULL);
  CHECK(is_uuid4(get(o1.sent, RID)));
  CHECK(is_uuid4(get(o2.sent, RID)));
  snprintf(first, sizeof first, "%s", get(o1.sent, RID) ? get(o1.sent, RID) : "");
  CHECK(strcmp(first, get(o2.sent, RID) ? get(o2.sent, RID) : "") != 0);
  outcome_free(&o1);
  outcome_free(&o2);
  /* only when absent (names compare case-insensitively) */
  o1 = run1(p, NULL, has);
  CHECK_STR(dump(o1.sent), RID "=mine");
  outcome_free(&o1);
  o1 = run1(p, NULL, has_upper);
  CHECK_STR(dump(o1.sent), "X-MS-Client-Request-Id=mine");
  outcome_free(&o1);
  azc_policy_unref(p);
  /* auto_request_id off: nothing */
  p = rid_policy(0, NULL, 0, NULL);
  o1 = run1(p, NULL, NULL);
  CHECK_STR(dump(o1.sent), "");
  outcome_free(&o1);
  azc_policy_unref(p);
}

static void test_rid_option(void) {
  static const char *const has[] = {RID, "old", NULL};
  azc_policy *p = rid_policy(1, "policy-id", 1, NULL);
  azc_options opts;
  outcome o;
  /* option string: set, overwriting the request's header */
  opt_rid(&opts, "call-id");
  o = run1(p, &opts, has);
  CHECK_STR(dump(o.sent), RID "=call-id");
  CHECK(o.popped[AZC_OPT_REQUEST_ID]);
  outcome_free(&o);
  opt_rid(&opts, "call-id");
  o = run1(p, &opts, NULL);
  CHECK_STR(dump(o.sent), RID "=call-id");
  outcome_free(&o);
  /* option None: no header at all, despite the policy value and auto id */
  opt_rid(&opts, NULL);
  o = run1(p, &opts, NULL);
  CHECK_STR(dump(o.sent), "");
  CHECK(o.popped[AZC_OPT_REQUEST_ID]);
  outcome_free(&o);
  /* ... and a header the request already has is left alone */
  opt_rid(&opts, NULL);
  o = run1(p, &opts, has);
  CHECK_STR(dump(o.sent), RID "=old");
  outcome_free(&o);
  /* a non-string option (the binding never makes one) fails the run instead of guessing */
  azc_options_init(&opts);
  azc_options_set_bool(&opts, AZC_OPT_REQUEST_ID, 1);
  o = run1(p, &opts, NULL);
  CHECK_INT(o.err, AZC_ERR_ARG);
  CHECK_INT(o.sends, 0);
  outcome_free(&o);
  /* an option with CR/LF is refused by the header set */
  opt_rid(&opts, "a\r\nb");
  o = run1(p, &opts, NULL);
  CHECK_INT(o.err, AZC_ERR_VALUE);
  outcome_free(&o);
  azc_policy_unref(p);
}

static void test_rid_policy_value(void) {
  static const char *const has[] = {RID, "mine", NULL};
  azc_policy *p = rid_policy(1, "policy-id", 1, NULL);
  outcome o;
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), RID "=policy-id");
  outcome_free(&o);
  o = run1(p, NULL, has); /* the request's own header is kept */
  CHECK_STR(dump(o.sent), RID "=mine");
  outcome_free(&o);
  /* the setter replaces the constructor value */
  CHECK_INT(azc_request_id_policy_set_request_id(p, "set-id"), AZC_OK);
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), RID "=set-id");
  outcome_free(&o);
  /* setter None: nothing, not even an auto id */
  CHECK_INT(azc_request_id_policy_set_request_id(p, NULL), AZC_OK);
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), "");
  outcome_free(&o);
  CHECK_INT(azc_request_id_policy_set_request_id(p, "x\ny"), AZC_ERR_VALUE);
  o = run1(p, NULL, NULL); /* a refused value leaves the policy as it was */
  CHECK_STR(dump(o.sent), "");
  outcome_free(&o);
  CHECK_INT(azc_request_id_policy_set_request_id(NULL, "x"), AZC_ERR_ARG);
  azc_policy_unref(p);
  /* constructor None: nothing */
  p = rid_policy(1, NULL, 1, NULL);
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), "");
  outcome_free(&o);
  /* ... but the call's option still wins */
  {
    azc_options opts;
    opt_rid(&opts, "call");
    o = run1(p, &opts, NULL);
    CHECK_STR(dump(o.sent), RID "=call");
    outcome_free(&o);
  }
  azc_policy_unref(p);
  /* a policy value with auto_request_id off is still sent */
  p = rid_policy(1, "v", 0, NULL);
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), RID "=v");
  outcome_free(&o);
  azc_policy_unref(p);
}

static void test_rid_header_name(void) {
  static const char *const has[] = {"x-my-id", "mine", NULL};
  azc_policy *p = rid_policy(0, NULL, 1, "x-my-id");
  azc_request_id_config c = azc_request_id_config_default();
  azc_error e;
  azc_options opts;
  outcome o;
  o = run1(p, NULL, NULL);
  CHECK(get(o.sent, RID) == NULL);
  CHECK(is_uuid4(get(o.sent, "x-my-id")));
  outcome_free(&o);
  o = run1(p, NULL, has);
  CHECK_STR(dump(o.sent), "x-my-id=mine");
  outcome_free(&o);
  opt_rid(&opts, "call");
  o = run1(p, &opts, has);
  CHECK_STR(dump(o.sent), "x-my-id=call");
  outcome_free(&o);
  azc_policy_unref(p);
  /* bad configurations */
  c.header_name = "";
  CHECK(azc_request_id_policy_new(&c, &e) == NULL);
  CHECK_INT(e.code, AZC_ERR_VALUE);
  c.header_name = "a\r\nb";
  CHECK(azc_request_id_policy_new(&c, &e) == NULL);
  c = azc_request_id_config_default();
  c.request_id_set = 1;
  c.request_id = "bad\nvalue";
  CHECK(azc_request_id_policy_new(&c, &e) == NULL);
  CHECK_INT(e.code, AZC_ERR_VALUE);
}

static void test_uuid4_shape_and_spread(void) {
  char a[37], b[37];
  int i, same = 0;
  for (i = 0; i < 1000; i++) {
    azc_uuid4(a);
    azc_uuid4(b);
    CHECK(is_uuid4(a));
    same += strcmp(a, b) == 0;
  }
  CHECK_INT(same, 0);
}

/* ---- UserAgentPolicy -------------------------------------------------------------------- */

static const char *platform_now(void) {
  static char out[512];
  struct utsname u;
  uname(&u);
  snprintf(out, sizeof out, "%s-%s-%s", u.sysname, u.release, u.machine);
  return out;
}

static azc_policy *ua_policy(const azc_user_agent_config *c) {
  azc_error e;
  azc_policy *p = azc_user_agent_policy_new(c, &e);
  CHECK(p != NULL);
  return p;
}

/* The policy's read-time value, in a static buffer. */
static const char *ua_of(azc_policy *p) {
  static char out[1024];
  azc_buf b = {0};
  CHECK_INT(azc_user_agent_policy_user_agent(p, &b), AZC_OK);
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static void test_ua_default_shape(void) {
  azc_user_agent_config c = azc_user_agent_config_default();
  azc_policy *p;
  char want[700];
  azc_buf plat = {0};
  outcome o;
  unsetenv(AZC_USER_AGENT_ENV);
  c.lua_version = "5.4";
  p = ua_policy(&c);
  CHECK_STR(azc_policy_name(p), "UserAgentPolicy");
  snprintf(want, sizeof want, "azsdk-lua-core/0.1.0 Lua/5.4 (%s)", platform_now());
  CHECK_STR(ua_of(p), want);
  azc_user_agent_platform(&plat);
  CHECK_STR(plat.data, platform_now()); /* no character here needs cleaning on Linux */
  CHECK(strpbrk(plat.data ? plat.data : " ", " ()") == NULL);
  azc_buf_free(&plat);
  o = run1(p, NULL, NULL);
  CHECK_STR(get(o.sent, "user-agent"), want);
  CHECK_INT(azc_headers_count(o.sent), 1);
  outcome_free(&o);
  azc_policy_unref(p);
  /* a moniker; no Lua token when the version is not given */
  c.sdk_moniker = "storage-blob/12.0.0";
  c.lua_version = NULL;
  p = ua_policy(&c);
  snprintf(want, sizeof want, "azsdk-lua-storage-blob/12.0.0 (%s)", platform_now());
  CHECK_STR(ua_of(p), want);
  azc_policy_unref(p);
}

static void test_ua_base_app_add(void) {
  azc_user_agent_config c = azc_user_agent_config_default();
  azc_policy *p;
  char want[700];
  unsetenv(AZC_USER_AGENT_ENV);
  c.base_user_agent = "base/1";
  c.user_agent = "myapp/2";
  p = ua_policy(&c);
  CHECK_STR(ua_of(p), "myapp/2 base/1"); /* application id prepended */
  CHECK_INT(azc_user_agent_policy_add_user_agent(p, "extra/3"), AZC_OK);
  CHECK_INT(azc_user_agent_policy_add_user_agent(p, "more/4"), AZC_OK);
  CHECK_STR(ua_of(p), "myapp/2 base/1 extra/3 more/4");
  CHECK_INT(azc_user_agent_policy_add_user_agent(p, ""), AZC_OK); /* as Python: a trailing space */
  CHECK_STR(ua_of(p), "myapp/2 base/1 extra/3 more/4 ");
  CHECK_INT(azc_user_agent_policy_add_user_agent(p, "a\r\nb"), AZC_ERR_VALUE);
  CHECK_INT(azc_user_agent_policy_add_user_agent(NULL, "x"), AZC_ERR_ARG);
  CHECK_STR(ua_of(p), "myapp/2 base/1 extra/3 more/4 ");
  azc_policy_unref(p);
  /* empty base and empty application id count as not given (Python truthiness) */
  c.base_user_agent = "";
  c.user_agent = "";
  c.lua_version = "5.1";
  p = ua_policy(&c);
  snprintf(want, sizeof want, "azsdk-lua-core/0.1.0 Lua/5.1 (%s)", platform_now());
  CHECK_STR(ua_of(p), want);
  azc_policy_unref(p);
  c.base_user_agent = "x\ny";
  {
    azc_error e;
    CHECK(azc_user_agent_policy_new(&c, &e) == NULL);
    CHECK_INT(e.code, AZC_ERR_VALUE);
  }
}

static void test_ua_env(void) {
  azc_user_agent_config c = azc_user_agent_config_default();
  azc_policy *p, *q;
  outcome o;
  c.base_user_agent = "base/1";
  setenv(AZC_USER_AGENT_ENV, "envagent/9", 1);
  p = ua_policy(&c);
  CHECK_STR(ua_of(p), "base/1 envagent/9");
  CHECK_INT(azc_user_agent_policy_add_user_agent(p, "added/1"), AZC_OK);
  CHECK_STR(ua_of(p), "base/1 added/1 envagent/9"); /* the environment value stays last */
  o = run1(p, NULL, NULL);
  CHECK_STR(get(o.sent, "User-Agent"), "base/1 added/1 envagent/9");
  outcome_free(&o);
  c.user_agent_use_env = 0;
  q = ua_policy(&c);
  CHECK_STR(ua_of(q), "base/1");
  azc_policy_unref(q);
  /* read once, at construction (documented): later changes do not reach a built policy */
  setenv(AZC_USER_AGENT_ENV, "", 1);
  CHECK_STR(ua_of(p), "base/1 added/1 envagent/9");
  c.user_agent_use_env = 1;
  q = ua_policy(&c);
  CHECK_STR(ua_of(q), "base/1 "); /* set but empty: Python appends " " too */
  azc_policy_unref(q);
  unsetenv(AZC_USER_AGENT_ENV);
  azc_policy_unref(p);
}

static void opt_ua(azc_options *o, const char *ua, int overwrite) {
  azc_options_init(o);
  if (ua)
    azc_options_set_string(o, AZC_OPT_USER_AGENT, ua, strlen(ua));
  if (overwrite >= 0)
    azc_options_set_bool(o, AZC_OPT_USER_AGENT_OVERWRITE, overwrite);
}

static void test_ua_on_request(void) {
  static const char *const has[] = {"user-agent", "curl/8", NULL};
  azc_user_agent_config c = azc_user_agent_config_default();
  azc_policy *p, *ow;
  azc_options opts;
  outcome o;
  unsetenv(AZC_USER_AGENT_ENV);
  c.base_user_agent = "pol/1";
  p = ua_policy(&c);
  c.user_agent_overwrite = 1;
  ow = ua_policy(&c);
  /* no option: set when absent, keep the request's own otherwise */
  o = run1(p, NULL, NULL);
  CHECK_STR(dump(o.sent), "User-Agent=pol/1");
  outcome_free(&o);
  o = run1(p, NULL, has);
  CHECK_STR(dump(o.sent), "user-agent=curl/8");
  outcome_free(&o);
  /* policy overwrite replaces it (the header takes the policy's case) */
  o = run1(ow, NULL, has);
  CHECK_STR(dump(o.sent), "User-Agent=pol/1");
  outcome_free(&o);
  /* option user_agent: prepended to the policy value, replacing the request's header */
  opt_ua(&opts, "call/7", -1);
  o = run1(p, &opts, has);
  CHECK_STR(dump(o.sent), "User-Agent=call/7 pol/1");
  CHECK(o.popped[AZC_OPT_USER_AGENT]);
  outcome_free(&o);
  /* option overwrite true: exactly the option */
  opt_ua(&opts, "call/7", 1);
  o = run1(p, &opts, NULL);
  CHECK_STR(dump(o.sent), "User-Agent=call/7");
  CHECK(o.popped[AZC_OPT_USER_AGENT_OVERWRITE]);
  outcome_free(&o);
  /* the option overwrite defaults to the policy's */
  opt_ua(&opts, "call/7", -1);
  o = run1(ow, &opts, NULL);
  CHECK_STR(dump(o.sent), "User-Agent=call/7");
  outcome_free(&o);
  opt_ua(&opts, "call/7", 0);
  o = run1(ow, &opts, NULL);
  CHECK_STR(dump(o.sent), "User-Agent=call/7 pol/1");
  outcome_free(&o);
  /* user_agent_overwrite alone is not consumed (azure-core pops it only with user_agent) */
  opt_ua(&opts, NULL, 1);
  o = run1(p, &opts, has);
  CHECK_STR(dump(o.sent), "user-agent=curl/8");
  CHECK(!o.popped[AZC_OPT_USER_AGENT_OVERWRITE]);
  outcome_free(&o);
  /* user_agent = false (None): as if not given */
  azc_options_init(&opts);
  azc_options_set_none(&opts, AZC_OPT_USER_AGENT);
  o = run1(p, &opts, NULL);
  CHECK_STR(dump(o.sent), "User-Agent=pol/1");
  outcome_free(&o);
  azc_policy_unref(p);
  azc_policy_unref(ow);
}

static void test_ua_long_option_and_env(void) {
  azc_user_agent_config c = azc_user_agent_config_default();
  azc_policy *p;
  azc_options opts;
  outcome o;
  char big[2001], want[2100];
  memset(big, 'a', 2000);
  big[2000] = '\0';
  setenv(AZC_USER_AGENT_ENV, "env/1", 1);
  c.base_user_agent = "pol/1";
  p = ua_policy(&c);
  unsetenv(AZC_USER_AGENT_ENV);
  opt_ua(&opts, big, -1); /* longer than the on-stack buffer */
  o = run1(p, &opts, NULL);
  snprintf(want, sizeof want, "%s pol/1 env/1", big);
  CHECK_STR(get(o.sent, "User-Agent"), want);
  outcome_free(&o);
  opt_ua(&opts, "short", -1);
  o = run1(p, &opts, NULL);
  CHECK_STR(get(o.sent, "User-Agent"), "short pol/1 env/1");
  outcome_free(&o);
  azc_policy_unref(p);
}

/* ---- all three, in azure-core's default order -------------------------------------------- */

static void test_chain(void) {
  static const char *const base[] = {"X-Base", "1", NULL};
  azc_user_agent_config uc = azc_user_agent_config_default();
  azc_headers *b = hdrs_of(base);
  azc_policy *pols[3];
  azc_request *req = azc_request_new("GET", "http://127.0.0.1/");
  azc_options opts;
  outcome o;
  unsetenv(AZC_USER_AGENT_ENV);
  uc.base_user_agent = "ua/1";
  pols[0] = azc_request_id_policy_new(NULL, NULL);
  pols[1] = azc_headers_policy_new(b);
  pols[2] = azc_user_agent_policy_new(&uc, NULL);
  azc_options_init(&opts);
  azc_options_set_string(&opts, AZC_OPT_REQUEST_ID, "rid", 3);
  azc_options_set_string(&opts, AZC_OPT_USER_AGENT, "app", 3);
  o = run_policies(pols, 3, req, &opts);
  CHECK_STR(dump(o.sent), RID "=rid;X-Base=1;User-Agent=app ua/1");
  CHECK_INT(o.sends, 1);
  CHECK_INT(o.err, AZC_OK);
  outcome_free(&o);
  azc_request_unref(req);
  azc_policy_unref(pols[0]);
  azc_policy_unref(pols[1]);
  azc_policy_unref(pols[2]);
  azc_headers_unref(b);
}

int main(void) {
  CTEST_RUN(test_headers_example);
  CTEST_RUN(test_headers_overwrite_case_and_copy);
  CTEST_RUN(test_headers_add_header);
  CTEST_RUN(test_headers_option_only_and_none);
  CTEST_RUN(test_rid_auto);
  CTEST_RUN(test_rid_option);
  CTEST_RUN(test_rid_policy_value);
  CTEST_RUN(test_rid_header_name);
  CTEST_RUN(test_uuid4_shape_and_spread);
  CTEST_RUN(test_ua_default_shape);
  CTEST_RUN(test_ua_base_app_add);
  CTEST_RUN(test_ua_env);
  CTEST_RUN(test_ua_on_request);
  CTEST_RUN(test_ua_long_option_and_env);
  CTEST_RUN(test_chain);
  CTEST_END();
}
