/*
 * azc_policy_redirect.c - RedirectPolicy (BEHAVIOR.md §4.6), azure-core's send() loop as
 * machine hooks: on_request starts a send (budget, original domain), on_response follows one
 * hop by rewriting the run's request in place and answering RESEND.
 *
 * URLs are split here with urlsplit's own rule for the scheme and netloc instead of
 * azc_url_parse: azure-core only asks urlparse for those two parts, and urlparse does not
 * validate ports, so a Location that azc_url_parse would refuse must still be followed as
 * azure-core follows it (the transport then reports what is wrong with it).
 */
#include "azc_policy_redirect.h"

#include <stdlib.h>
#include <string.h>

static const int redirect_statuses[] = {300, 301, 302, 303, 307, 308};

typedef struct redirect_impl {
  azc_redirect_config cfg; /* arrays below are the owned copies cfg points to */
  char **headers;
  int *codes;
} redirect_impl;

/* ---- URL pieces --------------------------------------------------------------------------- */

static int scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

/* urlsplit: leading C0 controls and spaces skipped; a scheme is the text before the first ':'
 * when it starts with a letter and holds only scheme characters; a netloc follows "//" up to
 * the first '/', '?' or '#'. */
static void split(const char *s, const char **scheme, size_t *scheme_len, const char **netloc,
                  size_t *netloc_len) {
  size_t n = strlen(s), i = 0, p;
  const char *colon;
  while (i < n && (unsigned char)s[i] <= 0x20)
    i++;
  p = i;
  *scheme = s + i;
  *scheme_len = 0;
  *netloc = s + n;
  *netloc_len = 0;
  colon = memchr(s + i, ':', n - i);
  if (colon && colon > s + i && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
    size_t k, e = (size_t)(colon - s);
    for (k = i; k < e && scheme_char(s[k]); k++)
      ;
    if (k == e) {
      *scheme_len = e - i;
      p = e + 1;
    }
  }
  if (n - p >= 2 && s[p] == '/' && s[p + 1] == '/') {
    size_t q = p + 2;
    while (q < n && s[q] != '/' && s[q] != '?' && s[q] != '#')
      q++;
    *netloc = s + p + 2;
    *netloc_len = q - (p + 2);
  }
}

static void to_lower(char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] >= 'A' && s[i] <= 'Z')
      s[i] = (char)(s[i] - 'A' + 'a');
}

static azc_code append_lower(azc_buf *b, const char *s, size_t n) {
  size_t start = b->len;
  azc_code rc = azc_buf_append(b, s, n);
  if (rc == AZC_OK)
    to_lower(b->data + start, n);
  return rc;
}

azc_code azc_redirect_domain(const char *url, azc_buf *ref_out) {
  const char *sch, *net;
  size_t sl, nl;
  split(url ? url : "", &sch, &sl, &net, &nl);
  return append_lower(ref_out, net, nl);
}

azc_code azc_redirect_url(const char *url, const char *location, azc_buf *ref_out) {
  const char *sch, *net;
  size_t sl, nl, start = ref_out->len;
  azc_code rc;
  if (!location)
    location = "";
  split(location, &sch, &sl, &net, &nl);
  if (nl > 0)
    return azc_buf_puts(ref_out, location); /* absolute: replaces the URL */
  split(url ? url : "", &sch, &sl, &net, &nl);
  while (*location == '/')
    location++;
  if ((rc = append_lower(ref_out, sch, sl)) != AZC_OK || (rc = azc_buf_puts(ref_out, "://")) ||
      (rc = azc_buf_append(ref_out, net, nl)) || (rc = azc_buf_puts(ref_out, "/")) ||
      (rc = azc_buf_puts(ref_out, location))) {
    ref_out->len = start;
    if (ref_out->data)
      ref_out->data[start] = '\0';
    return rc;
  }
  return AZC_OK;
}

const char *azc_redirect_location(const azc_redirect_config *cfg, azc_response *resp,
                                  const char *method) {
  int status = azc_response_status(resp);
  size_t i, len = 0;
  const char *loc;
  int follow = 0;
  if (status == 301 || status == 302) {
    /* exact comparison, as azure-core's `method in ["GET", "HEAD"]` */
    if (!method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
      return NULL;
    follow = 1;
  }
  for (i = 0; !follow && i < sizeof redirect_statuses / sizeof *redirect_statuses; i++)
    follow = redirect_statuses[i] == status;
  for (i = 0; !follow && cfg && i < cfg->n_redirect_on_status_codes; i++)
    follow = cfg->redirect_on_status_codes[i] == status;
  if (!follow)
    return NULL;
  loc = azc_headers_get(azc_response_headers(resp), "location", 8, &len);
  return loc && len > 0 ? loc : NULL;
}

/* ---- hooks -------------------------------------------------------------------------------- */

static azc_code redirect_run_start(azc_policy *self, azc_run *run, void *state,
                                   azc_error *out_err) {
  const redirect_impl *im = self->impl;
  azc_redirect_state *st = state;
  azc_options *o = azc_run_options(run);
  const azc_optval *v;
  (void)out_err;
  st->allow = im->cfg.permit_redirects != 0;
  st->max = im->cfg.redirect_max;
  /* popped whatever the type; a value is read with Python truthiness */
  v = azc_options_pop(o, AZC_OPT_PERMIT_REDIRECTS);
  if (v) {
    if (v->type == AZC_OPTV_BOOL)
      st->allow = v->b != 0;
    else if (v->type == AZC_OPTV_NONE)
      st->allow = 0;
    else if (v->type == AZC_OPTV_NUMBER)
      st->allow = v->num != 0;
    else if (v->type == AZC_OPTV_STRING)
      st->allow = v->str && *v->str;
  }
  v = azc_options_pop(o, AZC_OPT_REDIRECT_MAX);
  if (v && v->type == AZC_OPTV_NUMBER && v->num == v->num)
    st->max = v->num;
  return AZC_OK;
}

static void drop_domain(azc_redirect_state *st) {
  azc__free_inline_string(st->original_domain, st->domain_inline);
  st->original_domain = NULL;
}

/* A new send into this policy (the first, or a resend from a policy above): the budget
 * restarts and the original domain is taken from the URL about to be sent. */
static azc_code redirect_on_request(azc_policy *self, azc_run *run, void *state,
                                    azc_error *out_err) {
  azc_redirect_state *st = state;
  const char *sch, *net, *url = azc_request_url(azc_run_request(run));
  size_t sl, nl;
  (void)self;
  st->remaining = st->max;
  st->followed = 0;
  drop_domain(st);
  if (!st->allow)
    return AZC_OK;
  split(url ? url : "", &sch, &sl, &net, &nl);
  if (azc__set_inline_string(&st->original_domain, st->domain_inline, sizeof st->domain_inline,
                             net, nl) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  to_lower(st->original_domain, nl);
  return AZC_OK;
}

static azc_action redirect_on_response(azc_policy *self, azc_run *run, void *state,
                                       azc_error *out_err) {
  const redirect_impl *im = self->impl;
  azc_redirect_state *st = state;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  azc_response *resp = azc_run_response(run);
  azc_request *req = azc_run_request(run), *copy;
  azc_headers *h;
  azc_buf url = {0}, dom = {0};
  const char *loc;
  size_t i;
  int status;
  if (!resp || !st->allow)
    return a;
  loc = azc_redirect_location(&im->cfg, resp, azc_request_method(req));
  if (!loc)
    return a; /* not followed: the response is the outcome */
  status = azc_response_status(resp);
  a.kind = AZC_ACTION_FAIL;
  st->remaining -= 1;
  /* history: the request as it was sent, with the 3xx (the history keeps both alive) */
  copy = azc_request_copy(req);
  if (!copy || azc_run_history_add(run, copy, resp, NULL) != AZC_OK) {
    azc_request_unref(copy);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return a;
  }
  azc_request_unref(copy);
  /* the request is rewritten in place, as azure-core rewrites response.http_request */
  if (azc_redirect_url(azc_request_url(req), loc, &url) != AZC_OK ||
      azc_request_set_url(req, url.data, url.len) != AZC_OK ||
      (status == 303 && azc_request_set_method(req, "GET") != AZC_OK)) {
    azc_buf_free(&url);
    azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return a;
  }
  azc_buf_free(&url);
  h = azc_request_headers(req);
  azc_headers_remove(h, "Authorization", 13);
  for (i = 0; i < im->cfg.n_redirect_remove_headers; i++)
    azc_headers_remove(h, im->cfg.redirect_remove_headers[i],
                       strlen(im->cfg.redirect_remove_headers[i]));
  st->followed++;
  /* cross-domain hop: tell the cleanup policy (the mark stays for the rest of the call) */
  if (st->original_domain && *st->original_domain) {
    if (azc_redirect_domain(azc_request_url(req), &dom) != AZC_OK) {
      azc_buf_free(&dom);
      azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      return a;
    }
    if (strcmp(dom.data ? dom.data : "", st->original_domain) != 0)
      azc_run_set_flag(run, AZC_CTX_INSECURE_DOMAIN_CHANGE, 1);
    azc_buf_free(&dom);
  }
  /* the 3xx is done with: release its connection now (its read body stays in the history) */
  azc_response_close(resp);
  if (st->remaining >= 0) {
    a.kind = AZC_ACTION_RESEND;
    a.delay = 0;
    return a;
  }
  azc_error_set(out_err, AZC_ERR_TOO_MANY_REDIRECTS, "Reached maximum redirect attempts.");
  return a;
}

static void redirect_run_end(azc_policy *self, azc_run *run, void *state) {
  azc_redirect_state *st = state;
  (void)self;
  (void)run;
  drop_domain(st);
}

static void free_impl(redirect_impl *im) {
  size_t i;
  if (!im)
    return;
  for (i = 0; im->headers && i < im->cfg.n_redirect_remove_headers; i++)
    free(im->headers[i]);
  free(im->headers);
  free(im->codes);
  free(im);
}

static void redirect_destroy(azc_policy *self) { free_impl(self->impl); }

const azc_policy_vtable azc_redirect_policy_vt = {"RedirectPolicy",     sizeof(azc_redirect_state),
                                                  redirect_run_start,   redirect_on_request,
                                                  redirect_on_response, NULL,
                                                  redirect_run_end,     redirect_destroy};

/* ---- construction ------------------------------------------------------------------------- */

void azc_redirect_config_init(azc_redirect_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->permit_redirects = 1;
  cfg->redirect_max = 30;
}

azc_policy *azc_redirect_policy_new(const azc_redirect_config *cfg) {
  azc_redirect_config d;
  redirect_impl *im;
  size_t i, n;
  azc_policy *p;
  if (!cfg) {
    azc_redirect_config_init(&d);
    cfg = &d;
  }
  im = calloc(1, sizeof *im);
  if (!im)
    return NULL;
  im->cfg = *cfg;
  n = cfg->redirect_remove_headers ? cfg->n_redirect_remove_headers : 0;
  im->cfg.n_redirect_remove_headers = 0;
  im->headers = calloc(n ? n : 1, sizeof *im->headers);
  if (!im->headers) {
    free_impl(im);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    const char *s = cfg->redirect_remove_headers[i] ? cfg->redirect_remove_headers[i] : "";
    if (!(im->headers[i] = azc__strndup(s, strlen(s)))) {
      free_impl(im);
      return NULL;
    }
    im->cfg.n_redirect_remove_headers = i + 1; /* what free_impl frees */
  }
  im->cfg.redirect_remove_headers = (const char *const *)im->headers;
  n = cfg->redirect_on_status_codes ? cfg->n_redirect_on_status_codes : 0;
  im->codes = calloc(n ? n : 1, sizeof *im->codes);
  if (!im->codes) {
    free_impl(im);
    return NULL;
  }
  if (n)
    memcpy(im->codes, cfg->redirect_on_status_codes, n * sizeof *im->codes);
  im->cfg.redirect_on_status_codes = im->codes;
  im->cfg.n_redirect_on_status_codes = n;
  p = azc_policy_new(&azc_redirect_policy_vt, im);
  if (!p)
    free_impl(im);
  return p;
}

const azc_redirect_config *azc_redirect_policy_config(const azc_policy *p) {
  if (!p || p->vt != &azc_redirect_policy_vt || !p->impl)
    return NULL;
  return &((const redirect_impl *)p->impl)->cfg;
}
