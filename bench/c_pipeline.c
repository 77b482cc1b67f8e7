/*
 * c_pipeline.c - a third anchor: the library's C pipeline with no Lua state. Sequential
 * keep-alive GETs through the native policies of the default PipelineClient (request id,
 * headers, user agent, content decode, redirect, retry) over the curl transport, driven by
 * azc_drive, reading each body like bench.lua does (stream = false). Its ratio to
 * curl_headers is the C pipeline's own cost; the Lua clients' ratio to it is the binding's and
 * the Lua objects' cost.
 *   c_pipeline URL COUNT   ->   requests=N seconds=S cpu=S bytes=B errors=E
 * Build (bench/run.sh does): cc -O2 -Isrc/core bench/c_pipeline.c build/libazcore.a + its libs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "azc_driver.h"
#include "azc_policy_content_decode.h"
#include "azc_policy_headers.h"
#include "azc_policy_redirect.h"
#include "azc_policy_request_id.h"
#include "azc_policy_retry.h"
#include "azc_policy_user_agent.h"
#include "clock.h"

enum { NPOL = 6 };

static azc_pipeline *default_pipeline(void) {
  azc_policy *p[NPOL];
  azc_retry_config rc;
  azc_redirect_config dc;
  azc_request_id_config ic = azc_request_id_config_default();
  azc_user_agent_config uc = azc_user_agent_config_default();
  azc_pipeline *pl;
  size_t i;
  azc_retry_config_init(&rc);
  rc.total = 0; /* as bench.lua's client (retry_total = 0) */
  azc_redirect_config_init(&dc);
  uc.lua_version = "5.4";
  p[0] = azc_request_id_policy_new(&ic, NULL);
  p[1] = azc_headers_policy_new(NULL);
  p[2] = azc_user_agent_policy_new(&uc, NULL);
  p[3] = azc_content_decode_policy_new(NULL, NULL);
  p[4] = azc_redirect_policy_new(&dc);
  p[5] = azc_retry_policy_new(&rc);
  for (i = 0; i < NPOL; i++)
    if (!p[i])
      return NULL;
  pl = azc_pipeline_new(p, NPOL);
  for (i = 0; i < NPOL; i++)
    azc_policy_unref(p[i]);
  return pl;
}

/* One GET; adds the body's length to *bytes. @return 1 on a 200 with a body read. */
static int one(azc_pipeline *pl, azc_curl *t, const char *url, long long *bytes) {
  azc_request *req = azc_request_new("GET", url);
  azc_options o;
  azc_response *res = NULL;
  azc_run *run;
  azc_error err;
  size_t n = 0;
  int ok = 0;
  if (!req)
    return 0;
  azc_options_init(&o);
  azc_options_set_bool(&o, AZC_OPT_STREAM, 0);
  run = azc_run_new(pl, req, &o); /* the options move into the run */
  if (!run)
    azc_options_clear(&o);
  if (run && azc_drive(run, t, NULL, NULL, &res, &err) == AZC_OK &&
      azc_response_status(res) == 200 && azc_response_content(res, &n)) {
    *bytes += (long long)n;
    ok = 1;
  }
  azc_response_unref(res);
  azc_run_free(run);
  azc_request_unref(req);
  return ok;
}

int main(int argc, char **argv) {
  azc_pipeline *pl;
  azc_curl_config cfg;
  azc_curl *t;
  azc_error err;
  long i, n, errors = 0;
  long long bytes = 0;
  double t0, c0;
  if (argc < 3) {
    fprintf(stderr, "usage: c_pipeline URL COUNT\n");
    return 2;
  }
  n = atol(argv[2]);
  pl = default_pipeline();
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  if (!pl || !t) {
    fprintf(stderr, "c_pipeline: setup failed\n");
    return 1;
  }
  if (!one(pl, t, argv[1], &bytes)) /* warm: connection, first allocations */
    errors++;
  bytes = 0;
  t0 = bench_wall();
  c0 = bench_cpu();
  for (i = 0; i < n; i++)
    if (!one(pl, t, argv[1], &bytes))
      errors++;
  printf("requests=%ld seconds=%.6f cpu=%.6f bytes=%lld errors=%ld\n", n, bench_wall() - t0,
         bench_cpu() - c0, bytes, errors);
  azc_curl_unref(t);
  azc_pipeline_unref(pl);
  return errors ? 1 : 0;
}
