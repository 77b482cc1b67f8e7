/*
 * azc_policy_request_id.c - RequestIdPolicy and the request id generator.
 *
 * azure-core uses uuid1 (time-based); a random version-4 UUID has the same string shape and
 * needs no MAC address or clock sequence. The generator is splitmix64 seeded once from
 * /dev/urandom: reading urandom per request would cost a syscall each time.
 */
#include "azc_policy_request_id.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RID_UNSET = 0, RID_NONE, RID_VALUE };

typedef struct rid_impl {
  int mode; /* RID_* */
  char *value;
  size_t value_len;
  int auto_id;
  char *header;
  size_t header_len;
} rid_impl;

/* ---- generator ---------------------------------------------------------------------------- */

/* Per thread where the compiler allows, so concurrent C hosts need no lock. */
#if defined(__GNUC__)
#define AZC_TLS __thread
#else
#define AZC_TLS
#endif

static AZC_TLS uint64_t rng_state;
/* A fork copies the state (nginx forks its workers): the child handler bumps the generation and
 * each thread reseeds when its generation is stale. No per-request system call. */
static volatile unsigned long fork_gen = 1;
static AZC_TLS unsigned long rng_gen; /* 0: not seeded */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void on_fork_child(void) { fork_gen++; }
static void install_fork_handler(void) { pthread_atfork(NULL, NULL, on_fork_child); }

static void rng_seed(void) {
  uint64_t s = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  struct timespec ts;
  if (f) {
    if (fread(&s, sizeof s, 1, f) != 1)
      s = 0;
    fclose(f);
  }
  /* mixed in always: a missing /dev/urandom (chroot) still gives distinct streams */
  clock_gettime(CLOCK_REALTIME, &ts);
  s ^= ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 48) ^
       (uint64_t)(size_t)&rng_state;
  rng_state = s;
}

static uint64_t rng_next(void) {
  uint64_t z;
  pthread_once(&fork_once, install_fork_handler);
  if (rng_gen != fork_gen) {
    rng_seed();
    rng_gen = fork_gen;
  }
  z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void azc_uuid4(char out[37]) {
  /* two hex digits per byte from one table: every request makes an id */
  static const char pairs[513] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                 "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                 "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                 "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                 "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                 "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
  /* where each byte's two digits go in "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
  static const unsigned char at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
  unsigned char b[16];
  uint64_t hi = rng_next(), lo = rng_next();
  size_t i;
  for (i = 0; i < 8; i++) {
    b[i] = (unsigned char)(hi >> (56 - 8 * i));
    b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
  }
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  for (i = 0; i < 16; i++)
    memcpy(out + at[i], pairs + 2 * b[i], 2);
  out[8] = out[13] = out[18] = out[23] = '-';
  out[36] = '\0';
}

/* ---- policy ------------------------------------------------------------------------------- */

static int bad_text(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\r' || s[i] == '\n')
      return 1;
  return 0;
}

static azc_code put(azc_headers *h, const rid_impl *c, const char *v, size_t vl,
                    azc_error *out_err) {
  azc_code rc = azc_headers_set(h, c->header, c->header_len, v, vl);
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "RequestIdPolicy: cannot set header '%s'", c->header);
  return AZC_OK;
}

/* The decision order of BEHAVIOR §4.2 (azure-core's on_request, branch for branch). */
static azc_code rid_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const rid_impl *c = self->impl;
  azc_headers *h = azc_request_headers(azc_run_request(run));
  const azc_optval *v = azc_options_pop(azc_run_options(run), AZC_OPT_REQUEST_ID);
  char id[37];
  (void)state;
  if (v) {
    if (v->type == AZC_OPTV_NONE)
      return AZC_OK;
    if (v->type != AZC_OPTV_STRING || !v->str)
      return azc_error_set(out_err, AZC_ERR_ARG, "option 'request_id' must be a string or false");
    return put(h, c, v->str, strlen(v->str), out_err); /* overwrites an existing header */
  }
  if (c->mode == RID_NONE)
    return AZC_OK;
  if (azc_headers_get(h, c->header, c->header_len, NULL))
    return AZC_OK; /* both remaining branches keep a header the request already has */
  if (c->mode == RID_VALUE)
    return put(h, c, c->value, c->value_len, out_err);
  if (!c->auto_id)
    return AZC_OK;
  azc_uuid4(id);
  return put(h, c, id, 36, out_err);
}

static void rid_destroy(azc_policy *self) {
  rid_impl *c = self->impl;
  if (!c)
    return;
  free(c->value);
  free(c->header);
  free(c);
}

const azc_policy_vtable azc_request_id_policy_vt = {
    "RequestIdPolicy", 0, NULL, rid_on_request, NULL, NULL, NULL, rid_destroy};

azc_request_id_config azc_request_id_config_default(void) {
  azc_request_id_config c;
  c.request_id_set = 0;
  c.request_id = NULL;
  c.auto_request_id = 1;
  c.header_name = NULL;
  return c;
}

static azc_code set_value(rid_impl *c, const char *value) {
  char *copy = NULL;
  size_t n = 0;
  if (value) {
    n = strlen(value);
    if (bad_text(value, n))
      return AZC_ERR_VALUE;
    if (!(copy = azc__strndup(value, n)))
      return AZC_ERR_NOMEM;
  }
  free(c->value);
  c->value = copy;
  c->value_len = n;
  c->mode = value ? RID_VALUE : RID_NONE;
  return AZC_OK;
}

azc_policy *azc_request_id_policy_new(const azc_request_id_config *cfg, azc_error *out_err) {
  azc_request_id_config d = azc_request_id_config_default();
  const char *name;
  rid_impl *c;
  azc_policy *p;
  azc_code rc = AZC_OK;
  if (!cfg)
    cfg = &d;
  name = cfg->header_name ? cfg->header_name : AZC_REQUEST_ID_HEADER;
  if (!*name || bad_text(name, strlen(name))) {
    azc_error_set(out_err, AZC_ERR_VALUE, "request_id_header_name must be a non-empty header name");
    return NULL;
  }
  c = calloc(1, sizeof *c);
  if (!c || !(c->header = azc__strndup(name, strlen(name)))) {
    free(c);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  c->header_len = strlen(name);
  c->auto_id = cfg->auto_request_id != 0;
  if (cfg->request_id_set)
    rc = set_value(c, cfg->request_id);
  if (rc != AZC_OK || !(p = azc_policy_new(&azc_request_id_policy_vt, c))) {
    free(c->value);
    free(c->header);
    free(c);
    if (rc == AZC_ERR_VALUE)
      azc_error_set(out_err, rc, "request_id must not contain CR or LF");
    else
      azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  return p;
}

azc_code azc_request_id_policy_set_request_id(azc_policy *p, const char *value) {
  if (!p || p->vt != &azc_request_id_policy_vt)
    return AZC_ERR_ARG;
  return set_value(p->impl, value);
}
