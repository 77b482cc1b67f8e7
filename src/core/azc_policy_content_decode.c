/*
 * azc_policy_content_decode.c - ContentDecodePolicy (BEHAVIOR.md §4.5) as machine hooks.
 *
 * on_response decides natively whenever it can: a streamed call, an empty body, a JSON body
 * (syntax-checked here with json.loads' rules), a text body and an undecodable mime type need
 * no host. The host is called to build the value for a context it shows, and whenever the
 * outcome depends on what only it has (an XML parser, the response's text decoding, the
 * DecodeError object carrying the response).
 */
#include "azc_policy_content_decode.h"

#include <stdlib.h>
#include <string.h>

#include "azc_json.h"

typedef struct cd_impl {
  char *encoding; /* constructor response_encoding, or NULL */
  azc_content_decode_host_fn host_fn;
} cd_impl;

/* ---- mime types --------------------------------------------------------------------------- */

/* str.strip()'s ASCII whitespace */
static int py_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

azc_code azc_content_decode_mime(const char *ct, size_t len, azc_buf *ref_out) {
  const char *b, *e;
  size_t start = ref_out->len, i;
  azc_code rc;
  if (!ct || !len)
    return azc_buf_puts(ref_out, "application/json"); /* "this server did not declare" */
  b = ct;
  e = memchr(ct, ';', len);
  if (!e)
    e = ct + len;
  while (b < e && py_space(*b))
    b++;
  while (e > b && py_space(e[-1]))
    e--;
  if ((rc = azc_buf_append(ref_out, b, (size_t)(e - b))) != AZC_OK)
    return rc;
  for (i = start; i < ref_out->len; i++)
    if (ref_out->data[i] >= 'A' && ref_out->data[i] <= 'Z')
      ref_out->data[i] = (char)(ref_out->data[i] - 'A' + 'a');
  return AZC_OK;
}

static int json_subtype_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '+' || c == '.' || c == '-';
}

azc_mime_kind azc_content_decode_mime_kind(const char *m, size_t len) {
  const char *sub = NULL;
  size_t sl = 0, i;
  if (len >= 12 && memcmp(m, "application/", 12) == 0) {
    sub = m + 12;
    sl = len - 12;
  } else if (len >= 5 && memcmp(m, "text/", 5) == 0) {
    sub = m + 5;
    sl = len - 5;
  }
  /* ^(application|text)/([0-9a-z+.-]+\+)?json$ : "json", or a prefix of at least one subtype
   * character followed by '+' before it */
  if (sub && sl >= 4 && memcmp(sub + sl - 4, "json", 4) == 0) {
    if (sl == 4)
      return AZC_MIME_JSON;
    if (sl >= 6 && sub[sl - 5] == '+') {
      for (i = 0; i < sl - 5 && json_subtype_char(sub[i]); i++)
        ;
      if (i == sl - 5)
        return AZC_MIME_JSON;
    }
  }
  for (i = 0; i + 3 <= len; i++)
    if (memcmp(m + i, "xml", 3) == 0)
      return AZC_MIME_XML;
  if (len >= 5 && memcmp(m, "text/", 5) == 0)
    return AZC_MIME_TEXT;
  return AZC_MIME_OTHER;
}

/* 1 when the Content-Type (@p len bytes) names no charset or one the host decodes as UTF-8
 * with BOM stripping (what the native checks assume); any other charset is left to the host. */
static int utf8_charset(const char *ct, size_t len) {
  static const char *const names[] = {"utf-8", "utf8", "utf-8-sig", "utf_8", "ascii", "us-ascii"};
  const char *end = ct + len, *p = ct ? memchr(ct, ';', len) : NULL;
  while (p) {
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if ((size_t)(end - p) >= 8 && azc__ieq(p, 8, "charset=", 8)) {
      const char *v = p + 8, *e;
      size_t i, n;
      if (v < end && *v == '"')
        v++;
      for (e = v; e < end && *e != '"' && *e != ';' && *e != ' ' && *e != '\t'; e++)
        ;
      n = (size_t)(e - v);
      for (i = 0; i < sizeof names / sizeof *names; i++)
        if (azc__ieq(v, n, names[i], strlen(names[i])))
          return 1;
      return 0;
    }
    p = memchr(p, ';', (size_t)(end - p));
  }
  return 1;
}

/* azc_content_decode_mime into @p buf (@p cap bytes); AZC_ERR_NOMEM when it does not fit. */
static azc_code mime_small(const char *ct, size_t len, char *buf, size_t cap, size_t *out_len) {
  const char *b = ct, *e;
  size_t i;
  if (!ct || !len) {
    b = "application/json";
    len = 16;
  }
  e = memchr(b, ';', len);
  if (!e)
    e = b + len;
  while (b < e && py_space(*b))
    b++;
  while (e > b && py_space(e[-1]))
    e--;
  if ((size_t)(e - b) > cap)
    return AZC_ERR_NOMEM;
  for (i = 0; b + i < e; i++)
    buf[i] = (b[i] >= 'A' && b[i] <= 'Z') ? (char)(b[i] - 'A' + 'a') : b[i];
  *out_len = i;
  return AZC_OK;
}

/* ---- hooks -------------------------------------------------------------------------------- */

/* options.get("stream", True), read with Python truthiness */
static int streamed(azc_options *o) {
  const azc_optval *v = azc_options_get(o, AZC_OPT_STREAM);
  if (!v)
    return 1;
  switch (v->type) {
  case AZC_OPTV_BOOL:
    return v->b;
  case AZC_OPTV_NONE:
    return 0;
  case AZC_OPTV_NUMBER:
    return v->num != 0;
  case AZC_OPTV_STRING:
    return v->str && *v->str;
  default:
    return 1;
  }
}

static azc_code cd_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const cd_impl *im = self->impl;
  azc_content_decode_state *st = state;
  const azc_optval *v = azc_options_pop(azc_run_options(run), AZC_OPT_RESPONSE_ENCODING);
  const char *enc = im->encoding;
  void *host = azc_run_host(run);
  if (v) /* given (even as None): replaces the constructor's */
    enc = v->type == AZC_OPTV_STRING && v->str && *v->str ? v->str : NULL;
  free(st->encoding);
  st->encoding = NULL;
  if (!enc)
    return AZC_OK;
  if (!(st->encoding = azc__strndup(enc, strlen(enc))))
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  if (im->host_fn && host) /* context["response_encoding"] = ... */
    return im->host_fn(host, run, self, AZC_HOOK_ON_REQUEST, 0, st->encoding, out_err);
  return AZC_OK;
}

static azc_action cd_on_response(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const cd_impl *im = self->impl;
  azc_content_decode_state *st = state;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  azc_response *resp = azc_run_response(run);
  void *host = azc_run_host(run);
  const char *body, *ct;
  size_t n, ct_len = 0;
  int required = st->encoding != NULL, json_bad = 0;
  azc_error jerr;
  if (!resp || streamed(azc_run_options(run)))
    return a;
  body = azc_response_content(resp, &n);
  /* read in place: parsing every header of every response would cost more than the rest */
  ct = azc_response_header_peek(resp, "Content-Type", 12, &ct_len);
  if (!body || !utf8_charset(ct, ct ? ct_len : 0)) {
    required = 1; /* unread, or decoded by the host's rules */
  } else if (!required) {
    char small[96];
    azc_buf big = {0};
    const char *m = small;
    size_t ml = 0;
    azc_mime_kind kind;
    if (n >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
      body += 3;
      n -= 3;
    }
    if (n == 0)
      return a; /* deserialized_data = None: nothing to store */
    /* the mime type in a stack buffer: no allocation on the common path */
    if (mime_small(ct, ct ? ct_len : 0, small, sizeof small, &ml) != AZC_OK) {
      if (azc_content_decode_mime(ct, ct_len, &big) != AZC_OK) {
        azc_buf_free(&big);
        a.kind = AZC_ACTION_FAIL;
        azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
        return a;
      }
      m = big.data;
      ml = big.len;
    }
    kind = azc_content_decode_mime_kind(m, ml);
    if (kind == AZC_MIME_OTHER) /* azure-core raises this one without the response */
      azc_error_set(out_err, AZC_ERR_DECODE, "Cannot deserialize content-type: %.*s", (int)ml, m);
    azc_buf_free(&big);
    if (kind == AZC_MIME_OTHER) {
      a.kind = AZC_ACTION_FAIL;
      return a;
    }
    if (kind == AZC_MIME_XML) {
      required = 1;
    } else if (kind == AZC_MIME_JSON && azc_json_check(body, n, &jerr) != AZC_OK) {
      required = 1; /* the host builds the DecodeError carrying the response */
      json_bad = 1;
    }
  }
  if (im->host_fn && host) {
    if (im->host_fn(host, run, self, AZC_HOOK_ON_RESPONSE, required, st->encoding, out_err) !=
        AZC_OK)
      a.kind = AZC_ACTION_FAIL;
  } else if (json_bad) {
    a.kind = AZC_ACTION_FAIL;
    azc_error_set(out_err, AZC_ERR_DECODE, "JSON is invalid: %s", jerr.message);
  }
  return a;
}

static void cd_run_end(azc_policy *self, azc_run *run, void *state) {
  azc_content_decode_state *st = state;
  (void)self;
  (void)run;
  free(st->encoding);
  st->encoding = NULL;
}

static void cd_destroy(azc_policy *self) {
  cd_impl *im = self->impl;
  if (im) {
    free(im->encoding);
    free(im);
  }
}

const azc_policy_vtable azc_content_decode_policy_vt = {"ContentDecodePolicy",
                                                        sizeof(azc_content_decode_state),
                                                        NULL,
                                                        cd_on_request,
                                                        cd_on_response,
                                                        NULL,
                                                        cd_run_end,
                                                        cd_destroy};

azc_policy *azc_content_decode_policy_new(const char *response_encoding,
                                          azc_content_decode_host_fn host_fn) {
  cd_impl *im = calloc(1, sizeof *im);
  azc_policy *p;
  if (!im)
    return NULL;
  im->host_fn = host_fn;
  if (response_encoding && *response_encoding &&
      !(im->encoding = azc__strndup(response_encoding, strlen(response_encoding)))) {
    free(im);
    return NULL;
  }
  p = azc_policy_new(&azc_content_decode_policy_vt, im);
  if (!p) {
    free(im->encoding);
    free(im);
  }
  return p;
}

const char *azc_content_decode_policy_encoding(const azc_policy *p) {
  if (!p || p->vt != &azc_content_decode_policy_vt || !p->impl)
    return NULL;
  return ((const cd_impl *)p->impl)->encoding;
}
