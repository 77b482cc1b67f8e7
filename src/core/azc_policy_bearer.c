/*
 * azc_policy_bearer.c - BearerTokenCredentialPolicy (BEHAVIOR.md §4.8) as machine hooks, and the
 * WWW-Authenticate parser behind its default claims challenge.
 *
 * A hook that asked TOKEN is called again once the driver has the answer; `pending` in the run's
 * state says what the answer is for. Tokens are secrets: they are wiped when the cache drops them,
 * and no error message quotes one.
 */
#include "azc_policy_bearer.h"

#include <stdlib.h>
#include <string.h>

#include "azc_crypto.h"
#include "azc_retry_after.h"

/* a refresh in flight for longer than this is presumed abandoned (azure-core's stale window) */
#define STALE_REFRESH_SECONDS 30.0

typedef struct bearer_impl {
  char **scopes;
  size_t n_scopes;
  int enable_cae;
  int host_challenge;
  /* the cache */
  int has_token;
  char *token;
  size_t token_len;
  char *token_type;
  double expires_on, refresh_on;
  /* a plain refresh asked by one run and not answered yet */
  int refreshing;
  double refresh_started; /* azc_now() */
} bearer_impl;

enum { PENDING_NONE = 0, PENDING_REQUEST, PENDING_CLAIMS, PENDING_HOST };

typedef struct bearer_state {
  int pending;      /* what the TOKEN step this run is waiting for is for */
  int owns_refresh; /* this run set the policy's `refreshing` mark */
  int challenged;   /* this send answered a challenge: the resent response is final */
} bearer_state;

static void wipe_free(char *s, size_t n) {
  volatile char *v = s;
  if (!s)
    return;
  while (n--)
    *v++ = 0;
  free(s);
}

static void cache_clear(bearer_impl *im) {
  wipe_free(im->token, im->token_len);
  free(im->token_type);
  im->token = im->token_type = NULL;
  im->token_len = 0;
  im->has_token = 0;
  im->expires_on = im->refresh_on = 0;
}

static azc_code cache_store(bearer_impl *im, const char *token, size_t len, double expires_on,
                            double refresh_on, const char *type) {
  char *t = azc__strndup(token, len);
  char *ty;
  if (!type)
    type = "Bearer";
  ty = azc__strndup(type, strlen(type));
  if (!t || !ty) {
    wipe_free(t, len);
    free(ty);
    return AZC_ERR_NOMEM;
  }
  cache_clear(im);
  im->token = t;
  im->token_len = len;
  im->token_type = ty;
  im->expires_on = expires_on;
  im->refresh_on = refresh_on;
  im->has_token = 1;
  return AZC_OK;
}

/* azure-core's _need_new_token */
static int need_new(const bearer_impl *im, double now) {
  if (!im->has_token)
    return 1;
  if (im->refresh_on > 0 && im->refresh_on <= now)
    return 1;
  return im->expires_on - now < AZC_BEARER_REFRESH_WINDOW;
}

static void end_refresh(bearer_impl *im, bearer_state *st) {
  if (st->owns_refresh) {
    im->refreshing = 0;
    st->owns_refresh = 0;
  }
}

/* "Authorization: Bearer <token>" on the run's current request */
static azc_code set_header(azc_run *run, const bearer_impl *im, azc_error *out_err) {
  azc_buf v = {0};
  azc_code rc = azc_buf_reserve(&v, 7 + im->token_len);
  if (rc == AZC_OK) {
    azc_buf_append(&v, "Bearer ", 7);
    azc_buf_append(&v, im->token, im->token_len);
    rc = azc_headers_set(azc_request_headers(azc_run_request(run)), "Authorization", 13, v.data,
                         v.len);
  }
  if (v.data) {
    volatile char *w = v.data;
    size_t n = v.len;
    while (n--)
      *w++ = 0;
  }
  azc_buf_free(&v);
  if (rc == AZC_ERR_VALUE)
    return azc_error_set(out_err, AZC_ERR_CLIENT_AUTH,
                         "BearerTokenCredentialPolicy: the credential's token "
                         "cannot be sent in a "
                         "header (it contains CR, LF or NUL)");
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "out of memory");
  return AZC_OK;
}

static azc_code ask(azc_run *run, const bearer_impl *im, const char *claims, azc_error *out_err) {
  azc_token_request tr;
  tr.scopes = (const char *const *)im->scopes;
  tr.n_scopes = im->n_scopes;
  tr.claims = claims;
  tr.tenant_id = NULL;
  /* azure-core passes enable_cae only when it is on */
  tr.enable_cae = im->enable_cae ? 1 : -1;
  if (azc_run_request_token(run, &tr) != AZC_OK)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  return AZC_OK;
}

/* The credential's failure, as delivered at the TOKEN step (its host object is kept). */
static azc_code token_failure(azc_run *run, azc_error *out_err) {
  const azc_error *e = azc_run_token_error(run);
  if (!e)
    return azc_error_set(out_err, AZC_ERR_CLIENT_AUTH, "the credential returned no token");
  *out_err = *e;
  return e->code == AZC_OK ? AZC_ERR_CLIENT_AUTH : e->code;
}

static int starts_with_https(const char *url) {
  static const char https[] = "https";
  size_t i;
  for (i = 0; i < 5; i++) {
    char c = url[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != https[i])
      return 0;
  }
  return 1;
}

static azc_code bearer_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  bearer_impl *im = self->impl;
  bearer_state *st = state;
  const azc_optval *v;
  double now;
  /* an explicit enforce_https=false moves into the context, so retries keep it */
  v = azc_options_pop(azc_run_options(run), AZC_OPT_ENFORCE_HTTPS);
  if (v && ((v->type == AZC_OPTV_BOOL && !v->b) || v->type == AZC_OPTV_NONE))
    azc_run_set_flag(run, AZC_CTX_ENFORCE_HTTPS_OFF, 1);
  if (!azc_run_flag(run, AZC_CTX_ENFORCE_HTTPS_OFF) &&
      !starts_with_https(azc_request_url(azc_run_request(run)))) {
    st->pending = PENDING_NONE;
    end_refresh(im, st);
    return azc_error_set(out_err, AZC_ERR_SERVICE_REQUEST,
                         "Bearer token authentication is not permitted for non-TLS protected "
                         "(non-https) URLs.");
  }
  if (st->pending == PENDING_REQUEST) {
    /* called again after TOKEN: the answer to our request */
    const azc_token *tok = azc_run_token(run);
    st->pending = PENDING_NONE;
    end_refresh(im, st);
    if (!tok)
      return token_failure(run, out_err);
    if (cache_store(im, tok->token, strlen(tok->token), tok->expires_on, tok->refresh_on,
                    tok->token_type) != AZC_OK)
      return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    return set_header(run, im, out_err);
  }
  st->pending = PENDING_NONE;
  st->challenged = 0; /* a new send into this policy (azure-core enters send() afresh) */
  now = azc_unix_now();
  if (need_new(im, now)) {
    int busy = im->refreshing && azc_now() - im->refresh_started < STALE_REFRESH_SECONDS;
    /* another run's refresh is in flight: an unexpired token is still good to send meanwhile */
    if (!(busy && im->has_token && im->expires_on > now)) {
      azc_code rc = ask(run, im, NULL, out_err);
      if (rc != AZC_OK)
        return rc;
      if (!busy) {
        im->refreshing = 1;
        im->refresh_started = azc_now();
        st->owns_refresh = 1;
      }
      st->pending = PENDING_REQUEST;
      return AZC_PENDING_TOKEN; /* the driver asks the credential; this hook runs again */
    }
  }
  return set_header(run, im, out_err);
}

static azc_action bearer_on_response(azc_policy *self, azc_run *run, void *state,
                                     azc_error *out_err) {
  bearer_impl *im = self->impl;
  bearer_state *st = state;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  azc_response *resp;
  const char *www;
  size_t wlen;
  if (st->pending == PENDING_CLAIMS || st->pending == PENDING_HOST) {
    /* called again after TOKEN: the challenge's answer */
    int kind = st->pending;
    const azc_token *tok = azc_run_token(run);
    st->pending = PENDING_NONE;
    if (!tok) {
      token_failure(run, out_err);
      a.kind = AZC_ACTION_FAIL;
      return a;
    }
    if (kind == PENDING_HOST) {
      if (strcmp(tok->token_type, AZC_BEARER_CHALLENGE_HANDLED) != 0)
        return a; /* not handled: the 401 is the outcome */
    } else if (cache_store(im, tok->token, strlen(tok->token), tok->expires_on, tok->refresh_on,
                           tok->token_type) != AZC_OK ||
               set_header(run, im, out_err) != AZC_OK) {
      if (out_err->code == AZC_OK)
        azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      a.kind = AZC_ACTION_FAIL;
      return a;
    }
    {
      azc_error ignored;
      /* the body starts over; one that cannot was refused before asking (can_rewind) */
      if (azc_request_rewind(azc_run_request(run), &ignored) != AZC_OK)
        return a;
    }
    /* the new token targets the current host: the redirect's cleanup mark no longer applies */
    azc_run_set_flag(run, AZC_CTX_INSECURE_DOMAIN_CHANGE, 0);
    st->challenged = 1;
    a.kind = AZC_ACTION_RESEND; /* once more through the slots below, without delay */
    return a;
  }
  resp = azc_run_response(run);
  if (!resp || azc_response_status(resp) != 401 || st->challenged)
    return a;
  cache_clear(im); /* any cached token is invalid */
  www = azc_headers_get(azc_response_headers(resp), "WWW-Authenticate", 16, &wlen);
  /* a body that cannot be sent again (a one-shot reader) leaves the 401 as the outcome */
  if (!www || !azc_request_can_rewind(azc_run_request(run)))
    return a;
  if (im->host_challenge) {
    if (ask(run, im, NULL, out_err) != AZC_OK) {
      a.kind = AZC_ACTION_FAIL;
      return a;
    }
    st->pending = PENDING_HOST;
    a.kind = AZC_ACTION_TOKEN; /* the driver calls the host's on_challenge; this hook runs again */
    return a;
  }
  {
    azc_buf claims = {0};
    int found = azc_bearer_claims_challenge(www, wlen, &claims);
    azc_code rc = AZC_OK;
    if (found > 0)
      rc = ask(run, im, claims.data, out_err);
    azc_buf_free(&claims);
    if (found < 0 || rc != AZC_OK) {
      if (found < 0)
        azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
      a.kind = AZC_ACTION_FAIL;
      return a;
    }
    if (found == 0)
      return a; /* not a challenge we answer: the 401 is the outcome */
    st->pending = PENDING_CLAIMS;
    a.kind = AZC_ACTION_TOKEN; /* the driver asks for a token with the claims */
    return a;
  }
}

static void bearer_run_end(azc_policy *self, azc_run *run, void *state) {
  (void)run;
  /* a run freed while its refresh was in flight must not block the others' refreshes */
  end_refresh(self->impl, state);
}

static void free_impl(bearer_impl *im) {
  size_t i;
  if (!im)
    return;
  cache_clear(im);
  for (i = 0; i < im->n_scopes; i++)
    free(im->scopes[i]);
  free(im->scopes);
  free(im);
}

static void bearer_destroy(azc_policy *self) { free_impl(self->impl); }

const azc_policy_vtable azc_bearer_policy_vt = {"BearerTokenCredentialPolicy",
                                                sizeof(bearer_state),
                                                NULL,
                                                bearer_on_request,
                                                bearer_on_response,
                                                NULL,
                                                bearer_run_end,
                                                bearer_destroy};

void azc_bearer_config_init(azc_bearer_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->enable_cae = 1;
}

azc_policy *azc_bearer_policy_new(const azc_bearer_config *cfg, azc_error *out_err) {
  azc_bearer_config d;
  bearer_impl *im;
  azc_policy *p;
  size_t i;
  if (!cfg) {
    azc_bearer_config_init(&d);
    cfg = &d;
  }
  im = calloc(1, sizeof *im);
  if (!im || !(im->scopes = calloc(cfg->n_scopes ? cfg->n_scopes : 1, sizeof *im->scopes)))
    goto nomem;
  for (i = 0; i < cfg->n_scopes; i++) {
    const char *s = cfg->scopes[i] ? cfg->scopes[i] : "";
    if (!(im->scopes[i] = azc__strndup(s, strlen(s))))
      goto nomem;
    im->n_scopes = i + 1;
  }
  im->enable_cae = cfg->enable_cae != 0;
  im->host_challenge = cfg->host_challenge != 0;
  p = azc_policy_new(&azc_bearer_policy_vt, im);
  if (!p)
    goto nomem;
  p->needs_host = 1; /* TOKEN steps: its pipelines never take the host-less fast path */
  return p;
nomem:
  free_impl(im);
  azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  return NULL;
}

static bearer_impl *impl_of(const azc_policy *p) {
  return p && p->vt == &azc_bearer_policy_vt ? p->impl : NULL;
}

const char *const *azc_bearer_policy_scopes(const azc_policy *p, size_t *out_n) {
  bearer_impl *im = impl_of(p);
  if (out_n)
    *out_n = im ? im->n_scopes : 0;
  return im ? (const char *const *)im->scopes : NULL;
}

int azc_bearer_policy_enable_cae(const azc_policy *p) {
  bearer_impl *im = impl_of(p);
  return im ? im->enable_cae : 0;
}

int azc_bearer_policy_host_challenge(const azc_policy *p) {
  bearer_impl *im = impl_of(p);
  return im ? im->host_challenge : 0;
}

int azc_bearer_policy_token(const azc_policy *p, azc_token *out) {
  bearer_impl *im = impl_of(p);
  if (!im || !im->has_token)
    return 0;
  out->token = im->token;
  out->expires_on = im->expires_on;
  out->refresh_on = im->refresh_on;
  out->token_type = im->token_type;
  return 1;
}

azc_code azc_bearer_policy_set_token(azc_policy *p, const char *token, size_t token_len,
                                     double expires_on, double refresh_on, const char *token_type) {
  bearer_impl *im = impl_of(p);
  if (!im)
    return AZC_ERR_ARG;
  if (!token) {
    cache_clear(im);
    return AZC_OK;
  }
  return cache_store(im, token, token_len, expires_on, refresh_on, token_type);
}

int azc_bearer_policy_needs_token(const azc_policy *p, double now_unix) {
  bearer_impl *im = impl_of(p);
  return im ? need_new(im, now_unix) : 1;
}

/* ---- WWW-Authenticate ------------------------------------------------------------------------
 * RFC 7235 §4.1: #challenge, challenge = scheme [ 1*SP ( token68 / #auth-param ) ],
 * auth-param = token BWS "=" BWS ( token / quoted-string ). Commas separate both challenges and
 * parameters: an item that is `token =` continues the current challenge, any other item starts a
 * new one. */

static int is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_t68char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

typedef struct parser {
  const unsigned char *s;
  size_t n, i;
} parser;

static void skip_ows(parser *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
    p->i++;
}

static size_t read_token(parser *p) {
  size_t start = p->i;
  while (p->i < p->n && is_tchar(p->s[p->i]))
    p->i++;
  return p->i - start;
}

/* A parameter value into @p out (unescaped). @return 1, or 0 when malformed. */
static int read_value(parser *p, azc_buf *out, int *nomem) {
  out->len = 0;
  if (p->i < p->n && p->s[p->i] == '"') {
    p->i++;
    while (p->i < p->n && p->s[p->i] != '"') {
      unsigned char c = p->s[p->i];
      if (c == '\\') {
        if (++p->i >= p->n)
          return 0;
        c = p->s[p->i];
      }
      if (c == '\r' || c == '\n' || c == 0)
        return 0;
      if (azc_buf_append(out, &c, 1) != AZC_OK) {
        *nomem = 1;
        return 0;
      }
      p->i++;
    }
    if (p->i >= p->n)
      return 0; /* unterminated */
    p->i++;
    return 1;
  }
  {
    size_t start = p->i, len = read_token(p);
    if (len == 0)
      return 0;
    if (azc_buf_append(out, p->s + start, len) != AZC_OK) {
      *nomem = 1;
      return 0;
    }
    return 1;
  }
}

/* After an item: optional whitespace, then a comma or the end. */
static int item_end(parser *p) {
  skip_ows(p);
  return p->i >= p->n || p->s[p->i] == ',';
}

/* 1 when the text at the cursor is a token68 ending the item (cursor moved past it). */
static int take_token68(parser *p) {
  size_t save = p->i;
  while (p->i < p->n && is_t68char(p->s[p->i]))
    p->i++;
  if (p->i == save) {
    p->i = save;
    return 0;
  }
  while (p->i < p->n && p->s[p->i] == '=')
    p->i++;
  if (item_end(p))
    return 1;
  p->i = save;
  return 0;
}

typedef struct claims_scan {
  int bearer_count;
  int in_bearer; /* the current challenge is a Bearer one */
  int error_ok;
  int has_claims;
  azc_buf claims;
} claims_scan;

static int param(claims_scan *cs, const unsigned char *name, size_t nlen, const azc_buf *value,
                 int *nomem) {
  if (!cs->in_bearer)
    return 1;
  if (azc__ieq((const char *)name, nlen, "error", 5)) {
    cs->error_ok = value->len == 19 && memcmp(value->data, "insufficient_claims", 19) == 0;
  } else if (azc__ieq((const char *)name, nlen, "claims", 6)) {
    cs->claims.len = 0;
    if (azc_buf_append(&cs->claims, value->data ? value->data : "", value->len) != AZC_OK) {
      *nomem = 1;
      return 0;
    }
    cs->has_claims = 1;
  }
  return 1;
}

/* Scan the header; 1 when well-formed, 0 when malformed, -1 when out of memory. */
static int scan(const char *header, size_t len, claims_scan *cs) {
  parser p;
  azc_buf val = {0};
  int have_challenge = 0, nomem = 0, ok = 1;
  p.s = (const unsigned char *)header;
  p.n = len;
  p.i = 0;
  for (;;) {
    size_t start, tlen;
    while (p.i < p.n && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ','))
      p.i++;
    if (p.i >= p.n)
      break;
    start = p.i;
    tlen = read_token(&p);
    if (tlen == 0) {
      ok = 0;
      break;
    }
    skip_ows(&p);
    if (p.i < p.n && p.s[p.i] == '=') {
      /* `name = value`: a further parameter of the current challenge */
      p.i++;
      skip_ows(&p);
      if (!have_challenge || !read_value(&p, &val, &nomem) || !item_end(&p) ||
          !param(cs, p.s + start, tlen, &val, &nomem)) {
        ok = 0;
        break;
      }
      continue;
    }
    /* a new challenge: scheme, then nothing, a token68, or its first parameter */
    have_challenge = 1;
    cs->in_bearer = azc__ieq((const char *)p.s + start, tlen, "Bearer", 6);
    if (cs->in_bearer)
      cs->bearer_count++;
    if (p.i >= p.n || p.s[p.i] == ',')
      continue;
    if (p.i == start + tlen) { /* the scheme must be followed by a space */
      ok = 0;
      break;
    }
    {
      size_t nstart = p.i, nlen = read_token(&p);
      skip_ows(&p);
      if (nlen > 0 && p.i < p.n && p.s[p.i] == '=' &&
          !(p.i + 1 >= p.n || p.s[p.i + 1] == '=' || p.s[p.i + 1] == ',')) {
        p.i++;
        skip_ows(&p);
        if (!read_value(&p, &val, &nomem) || !item_end(&p) ||
            !param(cs, p.s + nstart, nlen, &val, &nomem)) {
          ok = 0;
          break;
        }
        continue;
      }
      p.i = nstart;
      if (!take_token68(&p)) {
        ok = 0;
        break;
      }
    }
  }
  azc_buf_free(&val);
  if (nomem)
    return -1;
  return ok;
}

/* 1 when @p s is valid UTF-8 without NUL (no overlongs, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t k, need;
    unsigned long cp;
    if (c < 0x80) {
      if (c == 0)
        return 0; /* the claims travel as a C string */
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (i + need >= n)
      return 0;
    for (k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return 0;
    i += need + 1;
  }
  return 1;
}

int azc_bearer_claims_challenge(const char *header, size_t len, azc_buf *ref_out) {
  claims_scan cs;
  azc_buf dec = {0};
  size_t i;
  int r;
  memset(&cs, 0, sizeof cs);
  if (!header)
    return 0;
  r = scan(header, len, &cs);
  if (r <= 0 || cs.bearer_count != 1 || !cs.error_ok || !cs.has_claims || cs.claims.len == 0) {
    azc_buf_free(&cs.claims);
    return r < 0 ? -1 : 0;
  }
  /* Python's urlsafe_b64decode also takes the standard alphabet's '+' and '/' */
  for (i = 0; i < cs.claims.len; i++) {
    if (cs.claims.data[i] == '+')
      cs.claims.data[i] = '-';
    else if (cs.claims.data[i] == '/')
      cs.claims.data[i] = '_';
  }
  r = azc_base64_decode(cs.claims.data, cs.claims.len, 1, &dec, NULL);
  azc_buf_free(&cs.claims);
  if (r == AZC_ERR_NOMEM) {
    azc_buf_free(&dec);
    return -1;
  }
  if (r != AZC_OK || dec.len == 0 || !valid_utf8((const unsigned char *)dec.data, dec.len)) {
    azc_buf_free(&dec);
    return 0;
  }
  ref_out->len = 0;
  if (azc_buf_append(ref_out, dec.data, dec.len) != AZC_OK) {
    azc_buf_free(&dec);
    return -1;
  }
  azc_buf_free(&dec);
  return 1;
}
