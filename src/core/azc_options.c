/*
 * azc_options.c - per-call options.
 */
#include "azc_options.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[AZC_OPT__COUNT] = {
    "stream",
    "connection_timeout",
    "read_timeout",
    "retry_total",
    "retry_connect",
    "retry_read",
    "retry_status",
    "retry_backoff_factor",
    "retry_backoff_max",
    "retry_jitter_factor",
    "retry_on_methods",
    "timeout",
    "permit_redirects",
    "redirect_max",
    "request_id",
    "user_agent",
    "user_agent_overwrite",
    "headers",
    "enforce_https",
    "logging_enable",
    "logger",
    "proxies_http",
    "proxies_https",
    "proxies_no_proxy",
    "response_encoding",
    "raw_request_hook",
    "raw_response_hook",
};

const char *azc_opt_name(azc_opt key) {
  return ((int)key >= 0 && key < AZC_OPT__COUNT) ? names[key] : "";
}

int azc_opt_lookup(const char *name, size_t len) {
  int i;
  if (len == 0)
    return -1;
  for (i = 0; i < AZC_OPT__COUNT; i++) /* the first byte rules out most names cheaply */
    if (names[i][0] == name[0] && strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
      return i;
  return -1;
}

/* one bit per key in azc_options.present */
typedef char azc__options_mask_fits[AZC_OPT__COUNT <= 32 ? 1 : -1];

#define BIT(key) ((uint32_t)1 << (key))

/* Every run starts with empty options: only the mask is written, not the ~1 KiB of values. */
void azc_options_init(azc_options *o) { o->present = 0; }

static void reset(azc_optval *v) {
  free(v->str);
  azc_headers_unref(v->headers);
}

void azc_options_clear(azc_options *o) {
  uint32_t m = o->present;
  int i;
  for (i = 0; m; i++, m >>= 1)
    if (m & 1)
      reset(&o->v[i]);
  o->present = 0;
}

void azc_options_move(azc_options *dst, azc_options *src) {
  uint32_t m = src->present;
  int i;
  for (i = 0; m; i++, m >>= 1)
    if (m & 1)
      dst->v[i] = src->v[i];
  dst->present = src->present;
  src->present = 0;
}

/* The entry for @p key, emptied (its old value freed) and marked present. */
static azc_optval *slot(azc_options *o, azc_opt key) {
  azc_optval *v;
  if ((int)key < 0 || key >= AZC_OPT__COUNT)
    return NULL;
  v = &o->v[key];
  if (o->present & BIT(key))
    reset(v);
  memset(v, 0, sizeof *v);
  o->present |= BIT(key);
  return v;
}

azc_code azc_options_set_none(azc_options *o, azc_opt key) {
  azc_optval *v = slot(o, key);
  if (!v)
    return AZC_ERR_ARG;
  v->type = AZC_OPTV_NONE;
  return AZC_OK;
}

azc_code azc_options_set_bool(azc_options *o, azc_opt key, int b) {
  azc_optval *v = slot(o, key);
  if (!v)
    return AZC_ERR_ARG;
  v->type = AZC_OPTV_BOOL;
  v->b = b != 0;
  return AZC_OK;
}

azc_code azc_options_set_number(azc_options *o, azc_opt key, double n) {
  azc_optval *v = slot(o, key);
  if (!v)
    return AZC_ERR_ARG;
  v->type = AZC_OPTV_NUMBER;
  v->num = n;
  return AZC_OK;
}

azc_code azc_options_set_string(azc_options *o, azc_opt key, const char *s, size_t len) {
  azc_optval *v = slot(o, key);
  if (!v)
    return AZC_ERR_ARG;
  v->str = azc__strndup(s, len);
  if (!v->str)
    return AZC_ERR_NOMEM;
  v->type = AZC_OPTV_STRING;
  return AZC_OK;
}

azc_code azc_options_set_headers(azc_options *o, azc_opt key, azc_headers *h) {
  azc_optval *v = slot(o, key);
  if (!v)
    return AZC_ERR_ARG;
  v->type = AZC_OPTV_HEADERS;
  v->headers = azc_headers_ref(h);
  return AZC_OK;
}

const azc_optval *azc_options_given(const azc_options *o, azc_opt key) {
  return (int)key >= 0 && key < AZC_OPT__COUNT && (o->present & BIT(key)) ? &o->v[key] : NULL;
}

int azc_options_has(const azc_options *o, azc_opt key) {
  const azc_optval *v = azc_options_given(o, key);
  return v && v->type != AZC_OPTV_ABSENT && !v->popped;
}

const azc_optval *azc_options_get(const azc_options *o, azc_opt key) {
  return azc_options_has(o, key) ? &o->v[key] : NULL;
}

const azc_optval *azc_options_pop(azc_options *o, azc_opt key) {
  if (!azc_options_has(o, key))
    return NULL;
  o->v[key].popped = 1;
  return &o->v[key];
}
