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

void azc_options_init(azc_options *o) { memset(o, 0, sizeof *o); }

static void reset(azc_optval *v) {
  free(v->str);
  azc_headers_unref(v->headers);
  memset(v, 0, sizeof *v);
}

void azc_options_clear(azc_options *o) {
  int i;
  for (i = 0; i < AZC_OPT__COUNT; i++)
    if (o->v[i].type != AZC_OPTV_ABSENT) /* absent values own nothing: every run clears */
      reset(&o->v[i]);
}

static azc_optval *slot(azc_options *o, azc_opt key) {
  if ((int)key < 0 || key >= AZC_OPT__COUNT)
    return NULL;
  reset(&o->v[key]);
  return &o->v[key];
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

int azc_options_has(const azc_options *o, azc_opt key) {
  return (int)key >= 0 && key < AZC_OPT__COUNT && o->v[key].type != AZC_OPTV_ABSENT &&
         !o->v[key].popped;
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
