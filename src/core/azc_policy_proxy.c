/*
 * azc_policy_proxy.c - ProxyPolicy: writes its proxies into the run's options when the caller
 * gave none of its own (the driver lets a per-call `proxies` table win over them).
 */
#include "azc_policy_proxy.h"

#include <stdlib.h>
#include <string.h>

typedef struct proxy_impl {
  char *url[3]; /* http, https, no_proxy; NULL when absent */
} proxy_impl;

static const azc_opt keys[3] = {AZC_OPT_PROXIES_HTTP, AZC_OPT_PROXIES_HTTPS,
                                AZC_OPT_PROXIES_NO_PROXY};

static azc_code proxy_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const proxy_impl *im = self->impl;
  azc_options *o = azc_run_options(run);
  int i;
  (void)state;
  if (!im->url[0] && !im->url[1] && !im->url[2])
    return AZC_OK; /* no proxies: nothing to do, every request */
  for (i = 0; i < 3; i++)
    if (azc_options_has(o, keys[i]))
      return AZC_OK; /* the call set its own */
  for (i = 0; i < 3; i++)
    if (im->url[i] && azc_options_set_string(o, keys[i], im->url[i], strlen(im->url[i])) != AZC_OK)
      return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  return AZC_OK;
}

static void free_impl(proxy_impl *im) {
  int i;
  if (!im)
    return;
  for (i = 0; i < 3; i++)
    free(im->url[i]);
  free(im);
}

static void proxy_destroy(azc_policy *self) { free_impl(self->impl); }

const azc_policy_vtable azc_proxy_policy_vt = {"ProxyPolicy", 0,    NULL, proxy_on_request,
                                               NULL,          NULL, NULL, proxy_destroy};

azc_policy *azc_proxy_policy_new(const char *http_proxy, const char *https_proxy,
                                 const char *no_proxy) {
  const char *in[3];
  proxy_impl *im = calloc(1, sizeof *im);
  azc_policy *p;
  int i;
  if (!im)
    return NULL;
  in[0] = http_proxy;
  in[1] = https_proxy;
  in[2] = no_proxy;
  for (i = 0; i < 3; i++)
    if (in[i] && *in[i] && !(im->url[i] = azc__strndup(in[i], strlen(in[i])))) {
      free_impl(im);
      return NULL;
    }
  p = azc_policy_new(&azc_proxy_policy_vt, im);
  if (!p)
    free_impl(im);
  return p;
}

azc_code azc_proxy_policy_proxies(const azc_policy *p, const char **out_http,
                                  const char **out_https, const char **out_no_proxy) {
  const proxy_impl *im;
  if (!p || p->vt != &azc_proxy_policy_vt || !p->impl)
    return AZC_ERR_ARG;
  im = p->impl;
  *out_http = im->url[0];
  *out_https = im->url[1];
  *out_no_proxy = im->url[2];
  return AZC_OK;
}
