/*
 * azc_policy_cleanup.c - SensitiveHeaderCleanupPolicy: one flag test per request, and the
 * removals only after a cross-domain redirect.
 */
#include "azc_policy_cleanup.h"

#include <stdlib.h>
#include <string.h>

typedef struct cleanup_impl {
  char **headers;
  size_t n;
  int disabled;
} cleanup_impl;

static const char *const default_headers[] = {"Authorization", "x-ms-authorization-auxiliary"};

static azc_code cleanup_on_request(azc_policy *self, azc_run *run, void *state,
                                   azc_error *out_err) {
  const cleanup_impl *im = self->impl;
  azc_headers *h;
  size_t i;
  (void)state;
  (void)out_err;
  /* the mark lives in the run's context for the rest of the call (newest azure-core) */
  if (im->disabled || !azc_run_flag(run, AZC_CTX_INSECURE_DOMAIN_CHANGE))
    return AZC_OK;
  h = azc_request_headers(azc_run_request(run));
  for (i = 0; i < im->n; i++)
    azc_headers_remove(h, im->headers[i], strlen(im->headers[i]));
  return AZC_OK;
}

static void free_impl(cleanup_impl *im) {
  size_t i;
  if (!im)
    return;
  for (i = 0; i < im->n; i++)
    free(im->headers[i]);
  free(im->headers);
  free(im);
}

static void cleanup_destroy(azc_policy *self) { free_impl(self->impl); }

const azc_policy_vtable azc_cleanup_policy_vt = {
    "SensitiveHeaderCleanupPolicy", 0, NULL, cleanup_on_request, NULL, NULL, NULL, cleanup_destroy};

azc_policy *azc_cleanup_policy_new(const char *const *blocked_headers, size_t n_blocked,
                                   int disable_redirect_cleanup) {
  cleanup_impl *im = calloc(1, sizeof *im);
  azc_policy *p;
  size_t i;
  if (!im)
    return NULL;
  if (!blocked_headers) {
    blocked_headers = default_headers;
    n_blocked = sizeof default_headers / sizeof *default_headers;
  }
  im->disabled = disable_redirect_cleanup != 0;
  im->headers = calloc(n_blocked ? n_blocked : 1, sizeof *im->headers);
  if (!im->headers) {
    free(im);
    return NULL;
  }
  for (i = 0; i < n_blocked; i++) {
    const char *s = blocked_headers[i] ? blocked_headers[i] : "";
    if (!(im->headers[i] = azc__strndup(s, strlen(s)))) {
      free_impl(im);
      return NULL;
    }
    im->n = i + 1; /* what free_impl frees */
  }
  p = azc_policy_new(&azc_cleanup_policy_vt, im);
  if (!p)
    free_impl(im);
  return p;
}

const char *const *azc_cleanup_policy_headers(const azc_policy *p, size_t *out_n) {
  const cleanup_impl *im;
  if (!p || p->vt != &azc_cleanup_policy_vt || !p->impl)
    return NULL;
  im = p->impl;
  *out_n = im->n;
  return (const char *const *)im->headers;
}

int azc_cleanup_policy_disabled(const azc_policy *p) {
  if (!p || p->vt != &azc_cleanup_policy_vt || !p->impl)
    return -1;
  return ((const cleanup_impl *)p->impl)->disabled;
}
