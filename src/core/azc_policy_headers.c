/*
 * azc_policy_headers.c - HeadersPolicy: policy headers, then the popped `headers` option, each
 * overwriting what the request already has (a header keeps its position, takes the new case).
 */
#include "azc_policy_headers.h"

/* Copy every entry of @p src onto @p dst, overwriting. */
static azc_code overwrite(azc_headers *dst, const azc_headers *src, azc_error *out_err) {
  size_t it = 0, nl, vl;
  const char *n, *v;
  while (azc_headers_next(src, &it, &n, &nl, &v, &vl)) {
    azc_code rc = azc_headers_set(dst, n, nl, v, vl);
    if (rc != AZC_OK)
      return azc_error_set(out_err, rc, "HeadersPolicy: cannot set header '%.*s'", (int)nl, n);
  }
  return AZC_OK;
}

static azc_code headers_on_request(azc_policy *self, azc_run *run, void *state,
                                   azc_error *out_err) {
  azc_headers *rh = azc_request_headers(azc_run_request(run));
  const azc_optval *v;
  azc_code rc;
  (void)state;
  rc = overwrite(rh, (const azc_headers *)self->impl, out_err);
  if (rc != AZC_OK)
    return rc;
  /* popped even when empty or None, as azure-core's options.pop("headers", {}) */
  v = azc_options_pop(azc_run_options(run), AZC_OPT_HEADERS);
  if (v && v->type == AZC_OPTV_HEADERS && v->headers)
    return overwrite(rh, v->headers, out_err);
  return AZC_OK;
}

static void headers_destroy(azc_policy *self) { azc_headers_unref((azc_headers *)self->impl); }

const azc_policy_vtable azc_headers_policy_vt = {
    "HeadersPolicy", 0, NULL, headers_on_request, NULL, NULL, NULL, headers_destroy};

azc_policy *azc_headers_policy_new(const azc_headers *base) {
  azc_headers *h = base ? azc_headers_copy(base) : azc_headers_new();
  azc_policy *p;
  if (!h)
    return NULL;
  p = azc_policy_new(&azc_headers_policy_vt, h);
  if (!p)
    azc_headers_unref(h);
  return p;
}

azc_code azc_headers_policy_add_header(azc_policy *p, const char *name, size_t name_len,
                                       const char *value, size_t value_len) {
  azc_headers *h = azc_headers_policy_headers(p);
  return h ? azc_headers_set(h, name, name_len, value, value_len) : AZC_ERR_ARG;
}

azc_headers *azc_headers_policy_headers(azc_policy *p) {
  return p && p->vt == &azc_headers_policy_vt ? (azc_headers *)p->impl : NULL;
}
