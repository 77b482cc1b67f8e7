/*
 * azc_policy_tracing.c - DistributedTracingPolicy: when to ask the host for span work.
 *
 * The per-run state remembers whether START opened a span, so END is asked for exactly once per
 * opened span: on the response, or on the error going up (retries re-enter on_request with a
 * fresh span each attempt, as azure-core does).
 */
#include "azc_policy_tracing.h"

#include <stdlib.h>
#include <string.h>

typedef struct trace_impl {
  azc_trace_fn fn;
  void *ud;
  int active;
} trace_impl;

typedef struct trace_state {
  int open;
} trace_state;

static azc_code tr_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const trace_impl *c = self->impl;
  trace_state *s = state;
  (void)out_err;
  if (!c->active || !c->fn)
    return AZC_OK;
  if (s->open) /* a span left open by an earlier walk of this run: end it before a new one */
    c->fn(c->ud, run, self, AZC_TRACE_END, s);
  s->open = c->fn(c->ud, run, self, AZC_TRACE_START, s) != 0;
  return AZC_OK;
}

static azc_action tr_end(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const trace_impl *c = self->impl;
  trace_state *s = state;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  (void)out_err;
  if (s->open) {
    s->open = 0;
    if (c->fn)
      c->fn(c->ud, run, self, AZC_TRACE_END, s);
  }
  return a;
}

static void tr_destroy(azc_policy *self) { free(self->impl); }

const azc_policy_vtable azc_tracing_policy_vt = {"DistributedTracingPolicy",
                                                 sizeof(trace_state),
                                                 NULL,
                                                 tr_on_request,
                                                 tr_end,
                                                 tr_end,
                                                 NULL,
                                                 tr_destroy};

azc_policy *azc_tracing_policy_new(azc_trace_fn fn, void *ud, azc_error *out_err) {
  trace_impl *c = calloc(1, sizeof *c);
  azc_policy *p;
  if (!c || !(p = azc_policy_new(&azc_tracing_policy_vt, c))) {
    free(c);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  c->fn = fn;
  c->ud = ud;
  return p;
}

void azc_tracing_policy_set_active(azc_policy *p, int on) {
  if (p && p->vt == &azc_tracing_policy_vt)
    ((trace_impl *)p->impl)->active = on != 0;
}

int azc_tracing_policy_active(const azc_policy *p) {
  return p && p->vt == &azc_tracing_policy_vt ? ((const trace_impl *)p->impl)->active : 0;
}

azc_code azc_tracing_span_name(azc_buf *out, const char *url) {
  const char *s = url ? url : "", *path;
  size_t n = strcspn(s, "?#"), plen; /* the path ends at the query or the fragment */
  path = s;
  /* scheme "://" netloc: the path starts at the first '/' after the netloc */
  {
    const char *colon = memchr(s, ':', n);
    if (colon && (size_t)(colon - s) + 2 < n && colon[1] == '/' && colon[2] == '/') {
      const char *slash = memchr(colon + 3, '/', n - (size_t)(colon + 3 - s));
      path = slash ? slash : s + n;
    } else if (n >= 2 && s[0] == '/' && s[1] == '/') {
      const char *slash = memchr(s + 2, '/', n - 2);
      path = slash ? slash : s + n;
    }
  }
  plen = n - (size_t)(path - s);
  {
    /* urlparse moves ";params" of the last segment out of the path */
    const char *last = path;
    const char *semi;
    size_t i;
    for (i = 0; i < plen; i++)
      if (path[i] == '/')
        last = path + i;
    semi = memchr(last, ';', plen - (size_t)(last - path));
    if (semi)
      plen = (size_t)(semi - path);
  }
  if (plen == 0)
    return azc_buf_append(out, "/", 1);
  return azc_buf_append(out, path, plen);
}
