/* A native pipeline with no Lua state: the standard policies over the curl transport, driven by
 * azc_drive against the test server (TEST_SERVER_URL). */
#include <stdlib.h>
#include <string.h>

#include "azc_driver.h"
#include "azc_policy_headers.h"
#include "azc_policy_redirect.h"
#include "azc_policy_request_id.h"
#include "azc_policy_retry.h"
#include "azc_policy_user_agent.h"
#include "ctest.h"

static const char *base_url;
static char url_buf[512];

static const char *url(const char *path) {
  snprintf(url_buf, sizeof url_buf, "%s%s", base_url, path);
  return url_buf;
}

static azc_pipeline *standard_pipeline(void) {
  azc_policy *p[5];
  azc_pipeline *pl;
  azc_retry_config rc;
  azc_redirect_config dc;
  azc_request_id_config ic = azc_request_id_config_default();
  azc_user_agent_config uc = azc_user_agent_config_default();
  azc_headers *base = azc_headers_new();
  size_t i;
  azc_headers_set(base, "X-Default", 9, "d", 1);
  azc_retry_config_init(&rc);
  rc.backoff_factor = 0.01;
  rc.jitter_factor = 0;
  azc_redirect_config_init(&dc);
  uc.lua_version = NULL;
  p[0] = azc_request_id_policy_new(&ic, NULL);
  p[1] = azc_headers_policy_new(base);
  p[2] = azc_user_agent_policy_new(&uc, NULL);
  p[3] = azc_redirect_policy_new(&dc);
  p[4] = azc_retry_policy_new(&rc);
  pl = azc_pipeline_new(p, 5);
  for (i = 0; i < 5; i++)
    azc_policy_unref(p[i]);
  azc_headers_unref(base);
  return pl;
}

static azc_code run(azc_pipeline *pl, azc_curl *t, const char *method, const char *path,
                    azc_response **out, azc_error *err) {
  azc_request *req = azc_request_new(method, url(path));
  azc_run *r = azc_run_new(pl, req, NULL);
  azc_code rc = azc_drive(r, t, NULL, NULL, out, err);
  azc_run_free(r);
  azc_request_unref(req);
  return rc;
}

static void test_standard_chain(void) {
  azc_curl_config cfg;
  azc_curl *t;
  azc_pipeline *pl = standard_pipeline();
  azc_response *res = NULL;
  azc_error err;
  const char *body;
  size_t n;
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  CHECK(t != NULL);
  CHECK_INT(run(pl, t, "GET", "/echo", &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 200);
  body = azc_response_content(res, &n);
  CHECK(body && strstr(body, "\"x-default\":\"d\"") != NULL);
  CHECK(body && strstr(body, "x-ms-client-request-id") != NULL);
  if (body && !strstr(body, "azsdk-lua-core"))
    fprintf(stderr, "  body: %s\n", body);
  CHECK(body && strstr(body, "azsdk-lua-core") != NULL);
  azc_response_unref(res);
  azc_curl_unref(t);
  azc_pipeline_unref(pl);
}

static void test_retry_and_redirect(void) {
  azc_curl_config cfg;
  azc_curl *t;
  azc_pipeline *pl = standard_pipeline();
  azc_response *res = NULL;
  azc_error err;
  char path[128];
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  snprintf(path, sizeof path, "/sequence/ctest%ld?statuses=503,500,200", (long)azc_now());
  CHECK_INT(run(pl, t, "GET", path, &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 200);
  azc_response_unref(res);
  CHECK_INT(run(pl, t, "GET", "/redirect/302?to=/json", &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 200);
  CHECK(strstr(azc_response_url(res), "/json") != NULL);
  azc_response_unref(res);
  CHECK_INT(run(pl, t, "GET", "/redirect/307?to=/redirect/307?to=/redirect/307", &res, &err),
            AZC_OK);
  azc_response_unref(res);
  azc_curl_unref(t);
  azc_pipeline_unref(pl);
}

static void test_errors_come_back_classified(void) {
  azc_curl_config cfg;
  azc_curl *t;
  azc_pipeline *pl = standard_pipeline();
  azc_response *res = NULL;
  azc_error err;
  azc_request *req = azc_request_new("GET", "http://127.0.0.1:1/");
  azc_run *r = azc_run_new(pl, req, NULL);
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  CHECK_INT(azc_drive(r, t, NULL, NULL, &res, &err), AZC_ERR_SERVICE_REQUEST);
  CHECK(res == NULL);
  CHECK_STR(err.curl_name, "CURLE_COULDNT_CONNECT");
  CHECK_INT(azc_run_history_count(r), 4); /* every failed attempt is recorded (1 + 3 retries) */
  azc_run_free(r);
  azc_request_unref(req);
  azc_curl_unref(t);
  azc_pipeline_unref(pl);
}

/* Runs take their block from the pipeline's one-block cache: a run after a retried one starts
 * with fresh policy state, and runs alive at the same time get blocks of their own. */
static void test_runs_start_clean(void) {
  azc_curl_config cfg;
  azc_curl *t;
  azc_pipeline *pl = standard_pipeline();
  azc_response *res = NULL;
  azc_error err;
  char path[128];
  azc_request *req1;
  azc_request *req2 = azc_request_new("GET", url("/json"));
  azc_run *r1, *r2;
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  snprintf(path, sizeof path, "/sequence/ctestclean%ld?statuses=503,503,200", (long)azc_now());
  req1 = azc_request_new("GET", url(path));
  r1 = azc_run_new(pl, req1, NULL);
  CHECK_INT(azc_drive(r1, t, NULL, NULL, &res, &err), AZC_OK);
  CHECK_INT(azc_run_history_count(r1), 2); /* the two 503 attempts */
  azc_response_unref(res);
  azc_run_free(r1);
  azc_request_unref(req1);
  /* the whole retry budget (3) again: only met when the retry counters start from zero */
  snprintf(path, sizeof path, "/sequence/ctestclean2%ld?statuses=503,503,503,200",
           (long)azc_now());
  req1 = azc_request_new("GET", url(path));
  r1 = azc_run_new(pl, req1, NULL); /* the block the first run had */
  r2 = azc_run_new(pl, req2, NULL); /* a block of its own */
  CHECK(r1 != r2);
  CHECK_INT(azc_drive(r1, t, NULL, NULL, &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 200);
  CHECK_INT(azc_run_history_count(r1), 3);
  azc_response_unref(res);
  CHECK_INT(azc_drive(r2, t, NULL, NULL, &res, &err), AZC_OK);
  CHECK_INT(azc_run_history_count(r2), 0);
  azc_response_unref(res);
  azc_run_free(r2);
  azc_run_free(r1);
  azc_request_unref(req1);
  azc_request_unref(req2);
  azc_curl_unref(t);
  azc_pipeline_unref(pl);
}

int main(void) {
  base_url = getenv("TEST_SERVER_URL");
  if (!base_url) {
    fprintf(stderr, "TEST_SERVER_URL is not set (spec/support/servers.sh start DIR)\n");
    printf("ctest %s: 0 passed, 1 failed\n", __FILE__);
    return 1;
  }
  CTEST_RUN(test_standard_chain);
  CTEST_RUN(test_retry_and_redirect);
  CTEST_RUN(test_errors_come_back_classified);
  CTEST_RUN(test_runs_start_clean);
  CTEST_END();
}
