/*
 * azc_policy_retry.c - RetryPolicy (BEHAVIOR.md §4.7), azure-core's send() loop as machine hooks.
 *
 * Reading of the timeout rule: azure-core checks the budget at the top of every loop iteration,
 * after the previous iteration (attempt + sleep) was subtracted. Here the next attempt's check
 * is made when the retry is decided, with the planned sleep already subtracted, so the failure
 * comes before the sleep and never after it; the error is the one that check would raise.
 */
#include "azc_policy_retry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "azc_retry_after.h"

static const char *const default_methods[] = {"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"};

typedef struct retry_impl {
  azc_retry_config cfg; /* arrays below are the owned copies cfg points to */
  char **methods;
  int *codes;
} retry_impl;

/* ---- decisions shared by the hooks -------------------------------------------------------- */

static int is_azure_error(azc_code c) {
  switch (c) {
  case AZC_ERR_SERVICE_REQUEST:
  case AZC_ERR_SERVICE_REQUEST_TIMEOUT:
  case AZC_ERR_SERVICE_RESPONSE:
  case AZC_ERR_SERVICE_RESPONSE_TIMEOUT:
  case AZC_ERR_DECODE:
  case AZC_ERR_INCOMPLETE_READ:
  case AZC_ERR_STREAM_CONSUMED:
  case AZC_ERR_STREAM_CLOSED:
  case AZC_ERR_NOT_READ:
  case AZC_ERR_AZURE:
  case AZC_ERR_HTTP_RESPONSE:
  case AZC_ERR_CLIENT_AUTH:
  case AZC_ERR_TOO_MANY_REDIRECTS:
    return 1;
  default:
    return 0; /* MemoryError, TypeError, ValueError, IOError, closed objects, host errors */
  }
}

static int is_connect_error(azc_code c) {
  return c == AZC_ERR_SERVICE_REQUEST || c == AZC_ERR_SERVICE_REQUEST_TIMEOUT;
}

static int is_read_error(azc_code c) {
  return c == AZC_ERR_SERVICE_RESPONSE || c == AZC_ERR_SERVICE_RESPONSE_TIMEOUT;
}

int azc_retry_status_retryable(const azc_retry_config *cfg, int status) {
  size_t i;
  if (status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
      status == 504 || (status >= 506 && status <= 998))
    return 1;
  for (i = 0; cfg && i < cfg->n_retry_on_status_codes; i++)
    if (cfg->retry_on_status_codes[i] == status)
      return 1;
  return 0;
}

static int csv_contains(const char *csv, const char *m) {
  size_t mlen = strlen(m);
  while (*csv) {
    const char *end = strchr(csv, ',');
    size_t a = 0, b = end ? (size_t)(end - csv) : strlen(csv);
    while (a < b && (csv[a] == ' ' || csv[a] == '\t'))
      a++;
    while (b > a && (csv[b - 1] == ' ' || csv[b - 1] == '\t'))
      b--;
    if (azc__ieq(csv + a, b - a, m, mlen))
      return 1;
    if (!end)
      break;
    csv = end + 1;
  }
  return 0;
}

/* azure-core's _is_method_retryable: with a response, POST/PATCH answered 500/503/504 pass;
 * otherwise the upper-cased method must be in the set. */
static int method_retryable(const retry_impl *im, const azc_retry_state *st, const char *method,
                            int status) {
  size_t i, mlen = strlen(method);
  if (status && (azc__ieq(method, mlen, "POST", 4) || azc__ieq(method, mlen, "PATCH", 5)) &&
      (status == 500 || status == 503 || status == 504))
    return 1;
  if (st->methods_from_options)
    return csv_contains(st->methods_csv, method);
  for (i = 0; i < im->cfg.n_retry_on_methods; i++) {
    const char *e = im->cfg.retry_on_methods[i];
    if (azc__ieq(e, strlen(e), method, mlen))
      return 1;
  }
  return 0;
}

/* Exhausted when the counters that are not zero include a negative one. */
static int exhausted(const azc_retry_state *st) {
  const double c[4] = {st->total, st->connect, st->read, st->status};
  int k;
  for (k = 0; k < 4; k++)
    if (c[k] != 0 && c[k] < 0)
      return 1;
  return 0;
}

double azc_retry_backoff_time(azc_retry_mode mode, double factor, double max, double jitter,
                              size_t n) {
  double v;
  if (n == 0)
    return 0;
  v = mode == AZC_RETRY_MODE_FIXED ? factor : factor * pow(2.0, (double)(n - 1));
  if (max <= v)
    v = max; /* min(cap, value) */
  if (jitter != 0)
    v *= 1.0 + (2.0 * azc_random() - 1.0) * jitter;
  return v > 0 ? v : 0; /* also maps NaN (0 * inf) to no sleep */
}

static azc_code timeout_error(const azc_retry_state *st, azc_error *out_err) {
  if (st->response_side)
    return azc_error_set(out_err, AZC_ERR_SERVICE_RESPONSE_TIMEOUT, "Response timeout");
  return azc_error_set(out_err, AZC_ERR_SERVICE_REQUEST_TIMEOUT, "Request timeout");
}

/* Keep the connection timeout within the budget: min(option, remaining) when the option is set
 * (non-zero), else the remaining budget when it is below the transport's default. The option is
 * left unpopped: it is for the transport. */
static void limit_connection_timeout(azc_run *run, double remaining) {
  azc_options *o = azc_run_options(run);
  const azc_optval *v = azc_options_get(o, AZC_OPT_CONNECTION_TIMEOUT);
  if (v && v->type == AZC_OPTV_NUMBER && v->num != 0) {
    if (remaining < v->num)
      azc_options_set_number(o, AZC_OPT_CONNECTION_TIMEOUT, remaining);
  } else if (remaining < azc_run_transport_connection_timeout(run)) {
    azc_options_set_number(o, AZC_OPT_CONNECTION_TIMEOUT, remaining);
  }
}

static azc_code add_history(azc_run *run, azc_retry_state *st, azc_request *req, azc_response *resp,
                            const azc_error *err, azc_error *out_err) {
  azc_request *copy = azc_request_copy(req);
  azc_code rc;
  if (!copy)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory recording the retry history");
  rc = azc_run_history_add(run, copy, resp, err);
  azc_request_unref(copy); /* the history holds its own reference */
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "out of memory recording the retry history");
  st->history++;
  return AZC_OK;
}

/* azure-core's increment(): *out_may says whether a retry may follow. Only fails for memory. */
static azc_code increment(azc_run *run, azc_retry_state *st, azc_response *resp,
                          const azc_error *err, int *out_may, azc_error *out_err) {
  azc_request *req = azc_run_request(run);
  azc_request *sent = resp && azc_response_request(resp) ? azc_response_request(resp) : req;
  azc_code rc = AZC_OK;
  azc_error ignored;
  *out_may = 0;
  st->total -= 1;
  if (resp && azc_response_status(resp) == 202)
    return AZC_OK; /* defensive in azure-core: an accepted request is never resent */
  if (err && is_connect_error(err->code)) {
    st->connect -= 1;
    rc = add_history(run, st, req, NULL, err, out_err);
  } else if (err && is_read_error(err->code)) {
    st->read -= 1;
    rc = add_history(run, st, req, NULL, err, out_err);
  } else {
    st->status -= 1;
    if (resp) /* a generic AzureError uses the status budget but records nothing */
      rc = add_history(run, st, sent, resp, NULL, out_err);
  }
  if (rc != AZC_OK || exhausted(st))
    return rc;
  /* the body must start over; a body that cannot (a pipe, a fed Lua reader) ends the retries
   * and the current outcome is returned as is */
  if (!azc_request_can_rewind(req) || azc_request_rewind(req, &ignored) != AZC_OK)
    return AZC_OK;
  *out_may = 1;
  return AZC_OK;
}

/* The next attempt's checks (see the file comment), then RESEND after @p delay. */
static azc_action schedule(azc_run *run, azc_retry_state *st, double delay, azc_error *out_err) {
  azc_action a = {AZC_ACTION_RESEND, 0};
  double now = azc_now(), next;
  if (!(delay > 0))
    delay = 0;
  next = st->remaining - (now - st->attempt_start) - delay;
  if (!(next > 0)) {
    a.kind = AZC_ACTION_FAIL;
    timeout_error(st, out_err);
    return a;
  }
  limit_connection_timeout(run, next);
  st->remaining = next;
  st->attempt_start = now + delay;
  st->attempts++;
  st->last_delay = delay;
  a.delay = delay;
  return a;
}

static double backoff(const retry_impl *im, const azc_retry_state *st) {
  return azc_retry_backoff_time(im->cfg.mode, st->backoff_factor, st->backoff_max,
                                st->jitter_factor, st->history);
}

/* ---- hooks -------------------------------------------------------------------------------- */

/* A per-call number, popped (azure-core pops whatever was given). NaN and non-numbers keep the
 * policy's value: azure-core would fail later with a TypeError. */
static void pop_number(azc_options *o, azc_opt key, double *ref) {
  const azc_optval *v = azc_options_pop(o, key);
  if (v && v->type == AZC_OPTV_NUMBER && v->num == v->num)
    *ref = v->num;
}

static azc_code retry_run_start(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const retry_impl *im = self->impl;
  azc_retry_state *st = state;
  azc_options *o = azc_run_options(run);
  const azc_optval *v;
  (void)out_err;
  st->total_setting = im->cfg.total;
  st->connect_setting = im->cfg.connect;
  st->read_setting = im->cfg.read;
  st->status_setting = im->cfg.status;
  st->backoff_factor = im->cfg.backoff_factor;
  st->backoff_max = im->cfg.backoff_max; /* the constructor's cap, not always 120 (#42444) */
  st->jitter_factor = im->cfg.jitter_factor;
  st->timeout = im->cfg.timeout;
  pop_number(o, AZC_OPT_RETRY_TOTAL, &st->total_setting);
  pop_number(o, AZC_OPT_RETRY_CONNECT, &st->connect_setting);
  pop_number(o, AZC_OPT_RETRY_READ, &st->read_setting);
  pop_number(o, AZC_OPT_RETRY_STATUS, &st->status_setting);
  pop_number(o, AZC_OPT_RETRY_BACKOFF_FACTOR, &st->backoff_factor);
  pop_number(o, AZC_OPT_RETRY_BACKOFF_MAX, &st->backoff_max);
  pop_number(o, AZC_OPT_RETRY_JITTER_FACTOR, &st->jitter_factor);
  pop_number(o, AZC_OPT_TIMEOUT, &st->timeout);
  v = azc_options_pop(o, AZC_OPT_RETRY_ON_METHODS);
  if (v && v->type == AZC_OPTV_STRING && v->str) {
    /* the string lives in the run's options, which outlive every hook call */
    st->methods_csv = v->str;
    st->methods_from_options = 1;
  }
  return AZC_OK;
}

/* A new send into this policy: the first attempt, or a resend by a policy above (a redirect),
 * which in azure-core enters RetryPolicy.send afresh. Counters, history and the budget restart
 * from this run's settings. */
static azc_code retry_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  azc_retry_state *st = state;
  (void)self;
  st->total = st->total_setting;
  st->connect = st->connect_setting;
  st->read = st->read_setting;
  st->status = st->status_setting;
  st->history = 0;
  st->attempts = 1;
  st->response_side = 1;
  st->last_delay = 0;
  st->remaining = st->timeout;
  st->attempt_start = azc_now();
  if (!(st->remaining > 0))
    return timeout_error(st, out_err);
  limit_connection_timeout(run, st->remaining);
  return AZC_OK;
}

/* azure-core's is_retry(). */
static int is_retry(const retry_impl *im, const azc_retry_state *st, azc_run *run,
                    azc_response *resp) {
  int status = azc_response_status(resp);
  size_t ra_len = 0;
  if (status < 400)
    return 0;
  if (azc_headers_get(azc_response_headers(resp), "Retry-After", 11, &ra_len) && ra_len > 0)
    return 1; /* any status >= 400, any method */
  if (!method_retryable(im, st, azc_request_method(azc_run_request(run)), status))
    return 0;
  return st->total != 0 && azc_retry_status_retryable(&im->cfg, status);
}

static azc_action retry_on_response(azc_policy *self, azc_run *run, void *state,
                                    azc_error *out_err) {
  const retry_impl *im = self->impl;
  azc_retry_state *st = state;
  azc_action cont = {AZC_ACTION_CONTINUE, 0};
  azc_response *resp = azc_run_response(run);
  double delay;
  int may;
  if (!resp || !is_retry(im, st, run, resp))
    return cont;
  if (increment(run, st, resp, NULL, &may, out_err) != AZC_OK) {
    cont.kind = AZC_ACTION_FAIL;
    return cont;
  }
  if (!may)
    return cont; /* exhausted, 202 or no rewind: the response is the outcome */
  if (!(azc_retry_after(azc_response_headers(resp), azc_unix_now(), &delay) && delay > 0))
    delay = backoff(im, st); /* Retry-After is slept exactly; otherwise the jittered backoff */
  st->response_side = 1;
  /* the history keeps the response; its connection is released now, not when the run ends */
  azc_response_close(resp);
  return schedule(run, st, delay, out_err);
}

static azc_action retry_on_exception(azc_policy *self, azc_run *run, void *state,
                                     azc_error *out_err) {
  const retry_impl *im = self->impl;
  azc_retry_state *st = state;
  azc_action cont = {AZC_ACTION_CONTINUE, 0};
  const azc_error *err = azc_run_error(run);
  azc_error e;
  int may;
  if (!err || err->code == AZC_ERR_CLIENT_AUTH || !is_azure_error(err->code))
    return cont; /* never retried: propagates as is */
  if (!(st->remaining > 0) ||
      !method_retryable(im, st, azc_request_method(azc_run_request(run)), 0))
    return cont;
  e = *err; /* a stable copy: the run's error record is replaced on FAIL */
  if (increment(run, st, NULL, &e, &may, out_err) != AZC_OK) {
    cont.kind = AZC_ACTION_FAIL;
    return cont;
  }
  if (!may)
    return cont;
  st->response_side = !is_connect_error(e.code);
  return schedule(run, st, backoff(im, st), out_err);
}

static void free_impl(retry_impl *im) {
  size_t i;
  if (!im)
    return;
  for (i = 0; im->methods && i < im->cfg.n_retry_on_methods; i++)
    free(im->methods[i]);
  free(im->methods);
  free(im->codes);
  free(im);
}

static void retry_destroy(azc_policy *self) { free_impl(self->impl); }

const azc_policy_vtable azc_retry_policy_vt = {"RetryPolicy",
                                               sizeof(azc_retry_state),
                                               retry_run_start,
                                               retry_on_request,
                                               retry_on_response,
                                               retry_on_exception,
                                               NULL,
                                               retry_destroy};

/* ---- construction ------------------------------------------------------------------------- */

void azc_retry_config_init(azc_retry_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->total = 10;
  cfg->connect = 3;
  cfg->read = 3;
  cfg->status = 3;
  cfg->backoff_factor = 0.8;
  cfg->backoff_max = 120;
  cfg->jitter_factor = 0.2;
  cfg->timeout = 604800;
  cfg->mode = AZC_RETRY_MODE_EXPONENTIAL;
}

azc_policy *azc_retry_policy_new(const azc_retry_config *cfg) {
  azc_retry_config d;
  retry_impl *im;
  const char *const *src;
  size_t i, n;
  azc_policy *p;
  if (!cfg) {
    azc_retry_config_init(&d);
    cfg = &d;
  }
  im = calloc(1, sizeof *im);
  if (!im)
    return NULL;
  im->cfg = *cfg;
  if (im->cfg.mode != AZC_RETRY_MODE_FIXED)
    im->cfg.mode = AZC_RETRY_MODE_EXPONENTIAL;
  src = cfg->retry_on_methods ? cfg->retry_on_methods : default_methods;
  n = cfg->retry_on_methods ? cfg->n_retry_on_methods : 6;
  im->cfg.n_retry_on_methods = 0;
  im->methods = calloc(n ? n : 1, sizeof *im->methods);
  if (!im->methods) {
    free_impl(im);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    const char *m = src[i] ? src[i] : "";
    if (!(im->methods[i] = azc__strndup(m, strlen(m)))) {
      free_impl(im);
      return NULL;
    }
    im->cfg.n_retry_on_methods = i + 1; /* what destroy frees */
  }
  im->cfg.retry_on_methods = (const char *const *)im->methods;
  n = cfg->retry_on_status_codes ? cfg->n_retry_on_status_codes : 0;
  im->codes = calloc(n ? n : 1, sizeof *im->codes);
  if (!im->codes) {
    free_impl(im);
    return NULL;
  }
  if (n)
    memcpy(im->codes, cfg->retry_on_status_codes, n * sizeof *im->codes);
  im->cfg.retry_on_status_codes = im->codes;
  im->cfg.n_retry_on_status_codes = n;
  p = azc_policy_new(&azc_retry_policy_vt, im);
  if (!p)
    free_impl(im);
  return p;
}

const azc_retry_config *azc_retry_policy_config(const azc_policy *p) {
  if (!p || p->vt != &azc_retry_policy_vt || !p->impl)
    return NULL;
  return &((const retry_impl *)p->impl)->cfg;
}
