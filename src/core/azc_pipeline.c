/*
 * azc_pipeline.c - policy objects and the pipeline (an immutable array of policy slots).
 */
#include "azc_pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct azc_pipeline {
  int refs;
  size_t n;
  azc_policy **slots;
  azc_host_hook_fn host_hook;
  int has_host_send;
  azc__block_cache run_cache; /* the last finished run's block, for the next run */
};

azc_policy *azc_policy_new(const azc_policy_vtable *vt, void *impl) {
  azc_policy *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->refs = 1;
  p->vt = vt;
  p->impl = impl;
  return p;
}

azc_policy *azc_policy_new_host(int host_kind, int hooks, int host_id) {
  azc_policy *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->refs = 1;
  p->host_kind = host_kind;
  p->host_hooks = hooks;
  p->host_id = host_id;
  return p;
}

azc_policy *azc_policy_ref(azc_policy *p) {
  if (p)
    p->refs++;
  return p;
}

void azc_policy_unref(azc_policy *p) {
  if (!p || --p->refs > 0)
    return;
  if (p->vt && p->vt->destroy)
    p->vt->destroy(p);
  free(p);
}

const char *azc_policy_name(const azc_policy *p) { return p->vt ? p->vt->name : "HostPolicy"; }

azc_pipeline *azc_pipeline_new(azc_policy *const *policies, size_t n) {
  azc_pipeline *pl = calloc(1, sizeof *pl);
  size_t i;
  if (!pl)
    return NULL;
  pl->refs = 1;
  pl->slots = calloc(n ? n : 1, sizeof *pl->slots);
  if (!pl->slots) {
    free(pl);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    if (!policies[i])
      continue; /* azure-core skips None entries */
    pl->slots[pl->n++] = azc_policy_ref(policies[i]);
    if (!policies[i]->vt && policies[i]->host_kind == AZC_HOST_SEND)
      pl->has_host_send = 1;
  }
  return pl;
}

azc_pipeline *azc_pipeline_ref(azc_pipeline *p) {
  if (p)
    p->refs++;
  return p;
}

void azc_pipeline_unref(azc_pipeline *p) {
  size_t i;
  if (!p || --p->refs > 0)
    return;
  for (i = 0; i < p->n; i++)
    azc_policy_unref(p->slots[i]);
  free(p->slots);
  azc__cache_clear(&p->run_cache);
  free(p);
}

size_t azc_pipeline_count(const azc_pipeline *p) { return p->n; }
azc_policy *azc_pipeline_policy(const azc_pipeline *p, size_t i) {
  return i < p->n ? p->slots[i] : NULL;
}
void azc_pipeline_set_host_hook(azc_pipeline *p, azc_host_hook_fn fn) { p->host_hook = fn; }
int azc_pipeline_has_host_send(const azc_pipeline *p) { return p->has_host_send; }

/* Internal: the run machine reads the hook through this accessor. */
azc_host_hook_fn azc__pipeline_host_hook(const azc_pipeline *p);
azc_host_hook_fn azc__pipeline_host_hook(const azc_pipeline *p) { return p->host_hook; }
azc__block_cache *azc__pipeline_run_cache(azc_pipeline *p);
azc__block_cache *azc__pipeline_run_cache(azc_pipeline *p) { return &p->run_cache; }

double azc_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*, seeded once from the clock and the address space: jitter needs spread, not
 * unpredictability. */
double azc_random(void) {
  static unsigned long long s;
  unsigned long long x;
  if (!s) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^
        (unsigned long long)(size_t)&ts;
    if (!s)
      s = 88172645463325252ULL;
  }
  x = s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  s = x;
  return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
