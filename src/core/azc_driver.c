/*
 * azc_driver.c - the native driver (DESIGN.md §2.1): steps carried out in C.
 */
#include "azc_driver.h"

#include <errno.h>
#include <time.h>

void azc_sleep(double seconds) {
  struct timespec ts, rem;
  if (!(seconds > 0))
    return;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
    ts = rem;
}

void azc_driver_send_options(azc_run *run, const azc_send_options *base, azc_send_options *out) {
  azc_options *o = azc_run_options(run);
  const azc_optval *v;
  if (base)
    *out = *base;
  else
    azc_send_options_init(out);
  v = azc_options_get(o, AZC_OPT_STREAM);
  out->stream = v && v->type == AZC_OPTV_BOOL && v->b;
  v = azc_options_get(o, AZC_OPT_CONNECTION_TIMEOUT);
  if (v && v->type == AZC_OPTV_NUMBER)
    out->connection_timeout_ms = (long)(v->num * 1000.0 + 0.5);
  v = azc_options_get(o, AZC_OPT_READ_TIMEOUT);
  if (v && v->type == AZC_OPTV_NUMBER)
    out->read_timeout_ms = (long)(v->num * 1000.0 + 0.5);
  /* ProxyPolicy's proxies, unless the caller's per-call `proxies` (in base) is there */
  if (!out->has_proxies) {
    const azc_optval *ph = azc_options_get(o, AZC_OPT_PROXIES_HTTP);
    const azc_optval *ps = azc_options_get(o, AZC_OPT_PROXIES_HTTPS);
    const azc_optval *np = azc_options_get(o, AZC_OPT_PROXIES_NO_PROXY);
    if (ph || ps || np) {
      out->has_proxies = 1;
      out->http_proxy = ph && ph->type == AZC_OPTV_STRING ? ph->str : NULL;
      out->https_proxy = ps && ps->type == AZC_OPTV_STRING ? ps->str : NULL;
      out->no_proxy = np && np->type == AZC_OPTV_STRING ? np->str : NULL;
    }
  }
}

azc_code azc_drive(azc_run *run, azc_curl *transport, const azc_send_options *base,
                   const azc_driver_host *host, azc_response **out_resp, azc_error *out_err) {
  void *h = host ? host->host : NULL;
  long ct = base && base->connection_timeout_ms >= 0 ? base->connection_timeout_ms
                                                     : azc_curl_connection_timeout_ms(transport);
  *out_resp = NULL;
  if (ct > 0)
    azc_run_set_transport_connection_timeout(run, (double)ct / 1000.0);
  for (;;) {
    azc_step st = azc_run_step(run, h);
    switch (st.kind) {
    case AZC_STEP_SEND: {
      azc_send_options so;
      azc_response *resp = NULL;
      azc_error e;
      azc_driver_send_options(run, base, &so);
      if (azc_curl_send(transport, azc_run_request(run), &so, &resp, &e) == AZC_OK)
        azc_run_resume_response(run, resp);
      else
        azc_run_resume_error(run, &e);
      break;
    }
    case AZC_STEP_SLEEP:
      azc_sleep(st.seconds);
      azc_run_resume(run);
      break;
    case AZC_STEP_POLICY_SEND: {
      azc_response *resp = NULL;
      azc_error e;
      azc_error_clear(&e);
      if (!host || !host->policy_send) {
        azc_error_set(&e, AZC_ERR_ARG, "no host to run policy %zu", st.slot);
        azc_run_resume_error(run, &e);
      } else if (host->policy_send(h, run, st.slot, &resp, &e) == AZC_OK) {
        azc_run_resume_response(run, resp);
      } else {
        azc_run_resume_error(run, &e);
      }
      break;
    }
    case AZC_STEP_TOKEN: {
      azc_error e;
      azc_error_clear(&e);
      if (!host || !host->token || host->token(h, run, st.slot, &e) != AZC_OK) {
        if (e.code == AZC_OK)
          azc_error_set(&e, AZC_ERR_ARG, "no host to acquire a token");
        azc_run_resume_error(run, &e); /* the callback resumed the run on success */
      }
      break;
    }
    case AZC_STEP_DONE: {
      const azc_error *e = azc_run_error(run);
      if (e) {
        if (out_err)
          *out_err = *e;
        return e->code == AZC_OK ? AZC_ERR_AZURE : e->code;
      }
      *out_resp = azc_run_take_response(run);
      return AZC_OK;
    }
    }
  }
}
