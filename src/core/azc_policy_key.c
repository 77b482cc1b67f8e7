/*
 * azc_policy_key.c - key and SAS credentials, AzureKeyCredentialPolicy, AzureSasCredentialPolicy.
 * Secrets are wiped before their memory is released, and no error message ever quotes one.
 */
#include "azc_policy_key.h"

#include <stdlib.h>
#include <string.h>

struct azc_key_credential {
  int refs;
  char *name; /* NULL unless named */
  size_t name_len;
  char *key;
  size_t key_len;
};

/* memset through a volatile pointer: the store is not optimised away before free() */
static void wipe(char *s, size_t n) {
  volatile char *v = s;
  while (v && n--)
    *v++ = 0;
}

static void free_secret(char *s, size_t n) {
  if (s) {
    wipe(s, n);
    free(s);
  }
}

azc_key_credential *azc_key_credential_new(const char *name, size_t name_len, const char *key,
                                           size_t key_len) {
  azc_key_credential *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->refs = 1;
  if (azc_key_credential_update(c, name, name_len, key, key_len) != AZC_OK) {
    free(c);
    return NULL;
  }
  return c;
}

azc_key_credential *azc_key_credential_ref(azc_key_credential *c) {
  if (c)
    c->refs++;
  return c;
}

void azc_key_credential_unref(azc_key_credential *c) {
  if (!c || --c->refs > 0)
    return;
  free_secret(c->name, c->name_len);
  free_secret(c->key, c->key_len);
  free(c);
}

azc_code azc_key_credential_update(azc_key_credential *c, const char *name, size_t name_len,
                                   const char *key, size_t key_len) {
  char *k = azc__strndup(key ? key : "", key ? key_len : 0);
  char *n = NULL;
  if (!k)
    return AZC_ERR_NOMEM;
  if (name && !(n = azc__strndup(name, name_len))) {
    free(k);
    return AZC_ERR_NOMEM;
  }
  free_secret(c->key, c->key_len);
  c->key = k;
  c->key_len = key ? key_len : 0;
  if (name) {
    free_secret(c->name, c->name_len);
    c->name = n;
    c->name_len = name_len;
  }
  return AZC_OK;
}

const char *azc_key_credential_key(const azc_key_credential *c, size_t *out_len) {
  if (out_len)
    *out_len = c->key_len;
  return c->key;
}

const char *azc_key_credential_name(const azc_key_credential *c, size_t *out_len) {
  if (out_len)
    *out_len = c->name ? c->name_len : 0;
  return c->name;
}

/* ---- AzureKeyCredentialPolicy -------------------------------------------------------------- */

typedef struct key_impl {
  azc_key_credential *cred;
  char *name;
  char *prefix; /* "" when none */
} key_impl;

static int has_ctl(const char *s) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n')
      return 1;
  return 0;
}

static azc_code key_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const key_impl *im = self->impl;
  azc_headers *h = azc_request_headers(azc_run_request(run));
  size_t klen, plen = strlen(im->prefix);
  const char *key = azc_key_credential_key(im->cred, &klen);
  azc_buf v = {0};
  azc_code rc;
  (void)state;
  if (plen == 0) {
    rc = azc_headers_set(h, im->name, strlen(im->name), key, klen);
  } else {
    rc = azc_buf_reserve(&v, plen + 1 + klen);
    if (rc == AZC_OK) {
      azc_buf_append(&v, im->prefix, plen);
      azc_buf_append(&v, " ", 1);
      azc_buf_append(&v, key, klen);
      rc = azc_headers_set(h, im->name, strlen(im->name), v.data, v.len);
    }
    wipe(v.data, v.len);
    azc_buf_free(&v);
  }
  if (rc == AZC_ERR_VALUE)
    return azc_error_set(out_err, rc,
                         "AzureKeyCredentialPolicy: the key cannot be sent in header '%s' "
                         "(it contains CR, LF or NUL)",
                         im->name);
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "out of memory");
  return AZC_OK;
}

static void key_destroy(azc_policy *self) {
  key_impl *im = self->impl;
  if (!im)
    return;
  azc_key_credential_unref(im->cred);
  free(im->name);
  free(im->prefix);
  free(im);
}

const azc_policy_vtable azc_key_policy_vt = {
    "AzureKeyCredentialPolicy", 0, NULL, key_on_request, NULL, NULL, NULL, key_destroy};

azc_policy *azc_key_policy_new(azc_key_credential *cred, const char *name, const char *prefix,
                               azc_error *out_err) {
  key_impl *im;
  azc_policy *p;
  if (!cred) {
    azc_error_set(out_err, AZC_ERR_ARG, "AzureKeyCredentialPolicy: a credential is required");
    return NULL;
  }
  if (!name || !*name) {
    azc_error_set(out_err, AZC_ERR_VALUE, "name can not be None or empty");
    return NULL;
  }
  if (has_ctl(name) || (prefix && has_ctl(prefix))) {
    azc_error_set(out_err, AZC_ERR_VALUE, "name and prefix must not contain CR or LF");
    return NULL;
  }
  im = calloc(1, sizeof *im);
  if (!im || !(im->name = azc__strndup(name, strlen(name))) ||
      !(im->prefix = azc__strndup(prefix ? prefix : "", prefix ? strlen(prefix) : 0))) {
    if (im) {
      free(im->name);
      free(im);
    }
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return NULL;
  }
  im->cred = azc_key_credential_ref(cred);
  p = azc_policy_new(&azc_key_policy_vt, im);
  if (!p) {
    azc_key_credential_unref(im->cred);
    free(im->name);
    free(im->prefix);
    free(im);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  }
  return p;
}

const char *azc_key_policy_name(const azc_policy *p) {
  return p && p->vt == &azc_key_policy_vt ? ((const key_impl *)p->impl)->name : NULL;
}

const char *azc_key_policy_prefix(const azc_policy *p) {
  return p && p->vt == &azc_key_policy_vt ? ((const key_impl *)p->impl)->prefix : NULL;
}

/* ---- AzureSasCredentialPolicy -------------------------------------------------------------- */

/* 1 when @p needle occurs in @p hay (an empty needle always does, as Python's `in`). */
static int contains(const char *hay, size_t hlen, const char *needle, size_t nlen) {
  size_t i;
  if (nlen == 0)
    return 1;
  for (i = 0; i + nlen <= hlen; i++)
    if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
      return 1;
  return 0;
}

/* urlsplit's query: after the first '?' that precedes the fragment's '#'. */
static int has_query(const char *url, size_t len) {
  size_t i, end = len;
  for (i = 0; i < len; i++)
    if (url[i] == '#') {
      end = i;
      break;
    }
  for (i = 0; i < end; i++)
    if (url[i] == '?')
      return i + 1 < end;
  return 0;
}

azc_code azc_sas_apply(const char *url, size_t url_len, const char *sig, size_t sig_len,
                       azc_buf *ref_out) {
  ref_out->len = 0;
  if (ref_out->data)
    ref_out->data[0] = '\0';
  if (sig_len > 0 && sig[0] == '?') {
    sig++;
    sig_len--;
  }
  if (azc_buf_reserve(ref_out, url_len + 1 + sig_len) != AZC_OK)
    return AZC_ERR_NOMEM;
  azc_buf_append(ref_out, url, url_len);
  if (has_query(url, url_len)) {
    if (!contains(url, url_len, sig, sig_len)) {
      azc_buf_append(ref_out, "&", 1);
      azc_buf_append(ref_out, sig, sig_len);
    }
  } else {
    if (url_len == 0 || url[url_len - 1] != '?')
      azc_buf_append(ref_out, "?", 1);
    azc_buf_append(ref_out, sig, sig_len);
  }
  return AZC_OK;
}

static azc_code sas_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  azc_key_credential *cred = self->impl;
  azc_request *req = azc_run_request(run);
  const char *url = azc_request_url(req);
  size_t slen;
  const char *sig = azc_key_credential_key(cred, &slen);
  azc_buf out = {0};
  azc_code rc;
  (void)state;
  rc = azc_sas_apply(url, strlen(url), sig, slen, &out);
  if (rc == AZC_OK)
    rc = azc_request_set_url(req, out.data, out.len);
  /* the URL carries the signature: wipe the scratch copy */
  wipe(out.data, out.len);
  azc_buf_free(&out);
  if (rc == AZC_ERR_VALUE)
    return azc_error_set(out_err, rc,
                         "AzureSasCredentialPolicy: invalid URL after adding the "
                         "signature");
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "out of memory");
  return AZC_OK;
}

static void sas_destroy(azc_policy *self) { azc_key_credential_unref(self->impl); }

const azc_policy_vtable azc_sas_policy_vt = {
    "AzureSasCredentialPolicy", 0, NULL, sas_on_request, NULL, NULL, NULL, sas_destroy};

azc_policy *azc_sas_policy_new(azc_key_credential *cred, azc_error *out_err) {
  azc_policy *p;
  if (!cred) {
    azc_error_set(out_err, AZC_ERR_VALUE, "credential can not be None");
    return NULL;
  }
  p = azc_policy_new(&azc_sas_policy_vt, azc_key_credential_ref(cred));
  if (!p) {
    azc_key_credential_unref(cred);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  }
  return p;
}

azc_key_credential *azc_key_policy_credential(const azc_policy *p) {
  if (p && p->vt == &azc_key_policy_vt)
    return ((const key_impl *)p->impl)->cred;
  if (p && p->vt == &azc_sas_policy_vt)
    return p->impl;
  return NULL;
}
