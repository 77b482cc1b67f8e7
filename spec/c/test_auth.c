/* Authentication in C, without Lua: the SAS URL rule, the WWW-Authenticate claims parser, key
 * credential holders, and the key, SAS and bearer policies in native pipelines against the test
 * server (TEST_SERVER_URL), with a C token callback standing in for the host's credential. */
#include <stdlib.h>
#include <string.h>

#include "azc_crypto.h"
#include "azc_driver.h"
#include "azc_policy_bearer.h"
#include "azc_policy_key.h"
#include "azc_retry_after.h"
#include "ctest.h"

static const char *base_url;
static char url_buf[512];

static const char *url(const char *path) {
  snprintf(url_buf, sizeof url_buf, "%s%s", base_url, path);
  return url_buf;
}

static const char *sas(const char *u, const char *sig) {
  static char out[256];
  azc_buf b = {0};
  CHECK_INT(azc_sas_apply(u, strlen(u), sig, strlen(sig), &b), AZC_OK);
  snprintf(out, sizeof out, "%s", b.data ? b.data : "");
  azc_buf_free(&b);
  return out;
}

static void test_sas_apply(void) {
  CHECK_STR(sas("https://a/b", "sv=1&sig=x"), "https://a/b?sv=1&sig=x");
  CHECK_STR(sas("https://a/b", "?sv=1&sig=x"), "https://a/b?sv=1&sig=x"); /* one '?' dropped */
  CHECK_STR(sas("https://a/b", "??s"), "https://a/b??s");
  CHECK_STR(sas("https://a/b?", "sig=x"), "https://a/b?sig=x");
  CHECK_STR(sas("https://a/b?c=d", "sig=x"), "https://a/b?c=d&sig=x");
  CHECK_STR(sas("https://a/b?c=d&sig=x", "sig=x"), "https://a/b?c=d&sig=x"); /* already there */
  CHECK_STR(sas("https://a/b?sig=x", "?sig=x"), "https://a/b?sig=x");
  CHECK_STR(sas("https://a/b?c", "sig=x"), "https://a/b?c&sig=x");
  /* the signature occurring anywhere (even in the path) counts, as Python's `in` */
  CHECK_STR(sas("https://a/sig=x?c=d", "sig=x"), "https://a/sig=x?c=d");
  /* a '?' inside the fragment is no query */
  CHECK_STR(sas("https://a/b#f?g", "sig=x"), "https://a/b#f?g?sig=x");
  CHECK_STR(sas("https://a/b?#f", "sig=x"), "https://a/b?#f?sig=x");
  CHECK_STR(sas("https://a/b", ""), "https://a/b?");
  CHECK_STR(sas("https://a/b?c=d", ""), "https://a/b?c=d");
}

/* claims of a header, or "-" when it is not an answered challenge */
static const char *claims(const char *h) {
  static char out[256];
  azc_buf b = {0};
  int r = azc_bearer_claims_challenge(h, strlen(h), &b);
  CHECK(r >= 0);
  snprintf(out, sizeof out, "%s", r == 1 ? b.data : "-");
  azc_buf_free(&b);
  return out;
}

static void test_claims_challenge(void) {
  /* azure-core's CAE challenge */
  CHECK_STR(claims("Bearer realm=\"\", "
                   "authorization_uri=\"https://login.microsoftonline.com/"
                   "common/oauth2/authorize\", "
                   "client_id=\"00000003-0000-0000-c000-000000000000\","
                   " error=\"insufficient_claims\", "
                   "claims=\"eyJhY2Nlc3NfdG9rZW4iOiB7ImZvbyI6ICJi"
                   "YXIifX0=\""),
            "{\"access_token\": {\"foo\": \"bar\"}}");
  /* scheme and names are case-insensitive; values are tokens or quoted strings */
  CHECK_STR(claims("bearer ERROR=insufficient_claims, Claims=eyJhIjoxfQ"), "{\"a\":1}");
  CHECK_STR(claims("Bearer error = \"insufficient_claims\" , claims = \"eyJhIjoxfQ\""),
            "{\"a\":1}");
  /* escapes inside quoted strings */
  CHECK_STR(claims("Bearer realm=\"a\\\"b,c\", error=\"insufficient_claims\", "
                   "claims=\"eyJhIjoxfQ\""),
            "{\"a\":1}");
  /* other schemes around one Bearer challenge, token68 included */
  CHECK_STR(claims("Basic realm=\"x\", Negotiate abc/def==, Bearer "
                   "error=\"insufficient_claims\", "
                   "claims=\"eyJhIjoxfQ\", PoP nonce=\"n\""),
            "{\"a\":1}");
  /* standard-alphabet and unpadded claims */
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"Pz8_\""), "???");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"Pz8/\""), "???");
  /* not answered */
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"eyJhIjoxfQ\", Bearer "
                   "error=\"invalid_token\", claims=\"eyJhIjoxfQ\""),
            "-"); /* two Bearer challenges (azure-mgmt-core's test) */
  CHECK_STR(claims("Bearer error=\"invalid_token\", claims=\"eyJhIjoxfQ\""), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\""), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"\""), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"%%%\""), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"_w\""), "-"); /* not UTF-8 */
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"AA\""), "-"); /* NUL */
  CHECK_STR(claims("Basic realm=\"x\""), "-");
  CHECK_STR(claims(""), "-");
  /* malformed headers */
  CHECK_STR(claims("Bearer error=\"insufficient_claims\" claims=\"eyJhIjoxfQ\""), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"eyJhIjoxfQ"), "-");
  CHECK_STR(claims("error=\"insufficient_claims\", claims=\"eyJhIjoxfQ\""), "-");
  CHECK_STR(claims("Bearer, =x"), "-");
  CHECK_STR(claims("Bearer error=\"insufficient_claims\", claims=\"eyJhIjoxfQ\" junk"), "-");
}

static void test_key_credential(void) {
  azc_key_credential *c = azc_key_credential_new(NULL, 0, "k1", 2);
  size_t n;
  CHECK(c != NULL);
  CHECK_STR(azc_key_credential_key(c, &n), "k1");
  CHECK_INT(n, 2);
  CHECK(azc_key_credential_name(c, NULL) == NULL);
  CHECK_INT(azc_key_credential_update(c, "acct", 4, "k2", 2), AZC_OK);
  CHECK_STR(azc_key_credential_name(c, &n), "acct");
  CHECK_STR(azc_key_credential_key(c, NULL), "k2");
  CHECK_INT(azc_key_credential_update(c, NULL, 0, "k3", 2), AZC_OK);
  CHECK_STR(azc_key_credential_name(c, NULL), "acct"); /* kept */
  azc_key_credential_unref(c);
}

/* ---- policies in native pipelines -------------------------------------------------------- */

typedef struct token_host {
  int calls;
  int with_claims;
  char last_claims[128];
  int cae;
  const char *answer_type; /* for host challenges: what the "host" decides */
} token_host;

static azc_code host_token(void *host, azc_run *run, size_t slot, azc_error *out_err) {
  token_host *th = host;
  const azc_token_request *tr = azc_run_token_request(run);
  char tok[256];
  (void)slot;
  (void)out_err;
  th->calls++;
  th->cae = tr->enable_cae;
  if (th->answer_type && azc_run_response(run)) {
    azc_run_resume_token(run, "", 0, 0, 0, th->answer_type);
    return AZC_OK;
  }
  if (tr->claims) {
    azc_buf b = {0};
    th->with_claims++;
    snprintf(th->last_claims, sizeof th->last_claims, "%s", tr->claims);
    azc_base64_encode(tr->claims, strlen(tr->claims), 1, &b);
    snprintf(tok, sizeof tok, "tok%d.%s", th->calls, b.data);
    azc_buf_free(&b);
  } else {
    snprintf(tok, sizeof tok, "tok%d", th->calls);
  }
  azc_run_resume_token(run, tok, strlen(tok), azc_unix_now() + 3600, 0, NULL);
  return AZC_OK;
}

static azc_code run_get(azc_pipeline *pl, azc_curl *t, const char *path, int enforce_off,
                        token_host *th, azc_response **out, azc_error *err) {
  azc_request *req = azc_request_new("GET", url(path));
  azc_options o;
  azc_run *r;
  azc_driver_host dh;
  azc_code rc;
  azc_options_init(&o);
  if (enforce_off)
    azc_options_set_bool(&o, AZC_OPT_ENFORCE_HTTPS, 0);
  r = azc_run_new(pl, req, &o);
  dh.host = th;
  dh.policy_send = NULL;
  dh.token = host_token;
  *out = NULL;
  rc = azc_drive(r, t, NULL, &dh, out, err);
  azc_run_free(r);
  azc_request_unref(req);
  return rc;
}

static const char *body_of(azc_response *res) {
  size_t n;
  const char *b = res ? azc_response_content(res, &n) : NULL;
  return b ? b : "";
}

static void test_key_and_sas_policies(void) {
  azc_curl_config cfg;
  azc_error err;
  azc_curl *t;
  azc_key_credential *key = azc_key_credential_new(NULL, 0, "secret1", 7);
  azc_key_credential *sig = azc_key_credential_new(NULL, 0, "?sv=1&sig=abc", 13);
  azc_policy *p[2];
  azc_pipeline *pl;
  azc_response *res;
  token_host th;
  memset(&th, 0, sizeof th);
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  CHECK(azc_key_policy_new(key, "", NULL, &err) == NULL);
  CHECK_STR(err.message, "name can not be None or empty");
  CHECK(azc_sas_policy_new(NULL, &err) == NULL);
  CHECK_STR(err.message, "credential can not be None");
  p[0] = azc_key_policy_new(key, "Authorization", "SharedAccessKey", &err);
  p[1] = azc_sas_policy_new(sig, &err);
  CHECK(p[0] && p[1]);
  pl = azc_pipeline_new(p, 2);
  azc_policy_unref(p[0]);
  azc_policy_unref(p[1]);
  CHECK_INT(run_get(pl, t, "/auth/echo?a=b", 0, &th, &res, &err), AZC_OK);
  CHECK(strstr(body_of(res), "\"authorization\":\"SharedAccessKey secret1\"") != NULL);
  CHECK(strstr(body_of(res), "\"target\":\"\\/auth\\/echo?a=b&sv=1&sig=abc\"") != NULL);
  azc_response_unref(res);
  /* an update reaches the live pipeline */
  azc_key_credential_update(key, NULL, 0, "secret2", 7);
  azc_key_credential_update(sig, NULL, 0, "sig=def", 7);
  CHECK_INT(run_get(pl, t, "/auth/echo", 0, &th, &res, &err), AZC_OK);
  CHECK(strstr(body_of(res), "\"authorization\":\"SharedAccessKey secret2\"") != NULL);
  CHECK(strstr(body_of(res), "\"target\":\"\\/auth\\/echo?sig=def\"") != NULL);
  azc_response_unref(res);
  CHECK_INT(th.calls, 0);
  azc_pipeline_unref(pl);
  azc_key_credential_unref(key);
  azc_key_credential_unref(sig);
  azc_curl_unref(t);
}

static void test_bearer_policy(void) {
  azc_curl_config cfg;
  azc_error err;
  azc_curl *t;
  azc_bearer_config bc;
  const char *scopes[] = {"https://x/.default"};
  azc_policy *p;
  azc_pipeline *pl;
  azc_response *res;
  azc_token tok;
  token_host th;
  memset(&th, 0, sizeof th);
  azc_curl_config_init(&cfg);
  t = azc_curl_new(&cfg, &err);
  azc_bearer_config_init(&bc);
  bc.scopes = scopes;
  bc.n_scopes = 1;
  p = azc_bearer_policy_new(&bc, &err);
  CHECK(p && p->needs_host);
  pl = azc_pipeline_new(&p, 1);
  /* https is enforced: nothing is asked, nothing is sent */
  CHECK_INT(run_get(pl, t, "/auth/echo", 0, &th, &res, &err), AZC_ERR_SERVICE_REQUEST);
  CHECK_STR(err.message, "Bearer token authentication is not permitted for "
                         "non-TLS protected (non-https) URLs.");
  CHECK_INT(th.calls, 0);
  /* a token, then the cache */
  CHECK_INT(run_get(pl, t, "/auth/echo", 1, &th, &res, &err), AZC_OK);
  CHECK(strstr(body_of(res), "\"authorization\":\"Bearer tok1\"") != NULL);
  CHECK_INT(th.cae, 1);
  azc_response_unref(res);
  CHECK_INT(run_get(pl, t, "/auth/echo", 1, &th, &res, &err), AZC_OK);
  CHECK(strstr(body_of(res), "\"authorization\":\"Bearer tok1\"") != NULL);
  azc_response_unref(res);
  CHECK_INT(th.calls, 1);
  /* the claims challenge: one token with the claims, one resend, the new token cached */
  CHECK_INT(run_get(pl, t, "/auth/claims?claims=eyJhIjoxfQ", 1, &th, &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 200);
  azc_response_unref(res);
  CHECK_INT(th.calls, 2);
  CHECK_STR(th.last_claims, "{\"a\":1}");
  CHECK(azc_bearer_policy_token(p, &tok) && strcmp(tok.token, "tok2.eyJhIjoxfQ") == 0);
  /* a 401 whose challenge is not answered is returned, and the cache is cleared */
  CHECK_INT(run_get(pl, t, "/auth/echo?status=401&challenge=Bearer%20realm%3D%22x%22", 1, &th, &res,
                    &err),
            AZC_OK);
  CHECK_INT(azc_response_status(res), 401);
  azc_response_unref(res);
  CHECK(!azc_bearer_policy_token(p, &tok));
  CHECK_INT(th.calls, 2);
  azc_pipeline_unref(pl);
  azc_policy_unref(p);
  /* a host challenge handler: UNHANDLED returns the 401 */
  bc.host_challenge = 1;
  p = azc_bearer_policy_new(&bc, &err);
  pl = azc_pipeline_new(&p, 1);
  th.answer_type = AZC_BEARER_CHALLENGE_UNHANDLED;
  CHECK_INT(run_get(pl, t, "/auth/claims?claims=eyJhIjoxfQ", 1, &th, &res, &err), AZC_OK);
  CHECK_INT(azc_response_status(res), 401);
  azc_response_unref(res);
  CHECK_INT(th.calls, 4); /* the token, then the challenge */
  azc_pipeline_unref(pl);
  azc_policy_unref(p);
  azc_curl_unref(t);
}

int main(void) {
  base_url = getenv("TEST_SERVER_URL");
  CTEST_RUN(test_sas_apply);
  CTEST_RUN(test_claims_challenge);
  CTEST_RUN(test_key_credential);
  if (base_url) {
    CTEST_RUN(test_key_and_sas_policies);
    CTEST_RUN(test_bearer_policy);
  } else {
    fprintf(stderr, "TEST_SERVER_URL not set: pipeline tests skipped\n");
  }
  CTEST_END();
}
