/*
 * azc_policy_logging.c - NetworkTraceLoggingPolicy and HttpLoggingPolicy.
 *
 * Silent runs (the common case) read one option, set one context flag, test one integer, and
 * never touch the request's headers or URL. A record is built in one buffer, redacted while it
 * is written, and handed to the emit callback; a failure to build it (out of memory) becomes a
 * WARNING record "Failed to log ...", as azure-core's broad except does, and never reaches the
 * request.
 */
#include "azc_policy_logging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct log_impl {
  int network; /* NetworkTraceLoggingPolicy (else HttpLoggingPolicy) */
  azc_log_emit_fn emit;
  void *emit_ud;
  char *logger;
  int level;
  int logging_enable;
  int enabled; /* the host's answer: would the policy's logger write at `level` */
  azc_allowlist *headers, *query;
} log_impl;

static const char *const REQ_NO_BODY_HTTP = "No body was attached to the request";
static const char *const REQ_BODY_HTTP = "A body is sent with the request";
static const char *const FILE_UPLOAD = "File upload";
static const char *const REQ_NO_BODY_NETWORK = "This request has no body";

/* ---- formatting ------------------------------------------------------------------------- */

static azc_code header_lines(azc_buf *out, azc_headers *h, const azc_allowlist *allowed) {
  size_t it = 0, nl, vl;
  const char *n, *v;
  azc_code rc = AZC_OK;
  while (rc == AZC_OK && h && azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    rc = azc_buf_puts(out, "\n    '");
    if (rc == AZC_OK)
      rc = azc_redact_text(out, n, nl);
    if (rc == AZC_OK)
      rc = azc_buf_puts(out, "': '");
    if (rc == AZC_OK) {
      /* the value is shown only when allowed, and even then escaped: a record keeps its lines */
      if (azc_allowlist_contains(allowed, n, nl))
        rc = azc_redact_text(out, v, vl);
      else
        rc = azc_buf_puts(out, AZC_REDACTED);
    }
    if (rc == AZC_OK)
      rc = azc_buf_puts(out, "'");
  }
  return rc;
}

azc_code azc_logging_format_request(azc_buf *out, azc_log_style style, azc_request *req,
                                    const azc_allowlist *headers, const azc_allowlist *query) {
  const char *url = azc_request_url(req), *method = azc_request_method(req);
  azc_body_kind kind = azc_request_body_kind(req);
  size_t blen = 0;
  const char *body = azc_request_body_bytes(req, &blen);
  azc_code rc = azc_buf_puts(out, "Request URL: '");
  if (rc == AZC_OK)
    rc = azc_redact_url(out, url ? url : "", url ? strlen(url) : 0, query);
  if (rc == AZC_OK)
    rc = azc_buf_puts(out, "'\nRequest method: '");
  if (rc == AZC_OK)
    rc = azc_redact_text(out, method ? method : "", method ? strlen(method) : 0);
  if (rc == AZC_OK)
    rc = azc_buf_puts(out, "'\nRequest headers:");
  if (rc == AZC_OK)
    rc = header_lines(out, azc_request_headers(req), headers);
  if (rc != AZC_OK)
    return rc;
  if (style == AZC_LOG_STYLE_HTTP) {
    /* a reader body is azure-core's generator ("File upload"); a file is a plain body */
    const char *line = (kind == AZC_BODY_CALLBACK || kind == AZC_BODY_FEED) ? FILE_UPLOAD
                       : (kind == AZC_BODY_NONE || (kind == AZC_BODY_BYTES && blen == 0))
                           ? REQ_NO_BODY_HTTP
                           : REQ_BODY_HTTP;
    rc = azc_buf_puts(out, "\n");
    return rc == AZC_OK ? azc_buf_puts(out, line) : rc;
  }
  rc = azc_buf_puts(out, "\nRequest body:\n");
  if (rc != AZC_OK)
    return rc;
  if (kind == AZC_BODY_BYTES && blen > 0)
    return azc_buf_append(out, body, blen);
  if (kind == AZC_BODY_NONE || kind == AZC_BODY_BYTES)
    return azc_buf_puts(out, REQ_NO_BODY_NETWORK);
  /* never read a streamed body to log it: it would be gone for the transport */
  return azc_buf_puts(out, FILE_UPLOAD);
}

static int starts_with_i(const char *s, size_t n, const char *prefix) {
  size_t pl = strlen(prefix);
  return n >= pl && azc__ieq(s, pl, prefix, pl);
}

/* Python's re.match(r'attachment; ?filename=["\w.]+', h, re.IGNORECASE); \w also takes any
 * non-ASCII byte (Unicode word characters). */
static int is_attachment(const char *h, size_t n) {
  size_t i = 0;
  if (!starts_with_i(h, n, "attachment;"))
    return 0;
  i = 11;
  if (i < n && h[i] == ' ')
    i++;
  if (!starts_with_i(h + i, n - i, "filename="))
    return 0;
  i += 9;
  if (i >= n)
    return 0;
  {
    unsigned char c = (unsigned char)h[i];
    return c == '"' || c == '.' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c >= 0x80;
  }
}

static azc_code response_content(azc_buf *out, azc_response *resp, int stream) {
  size_t n = 0, ctl = 0;
  const char *cd = azc_response_header(resp, "Content-Disposition", 19, &n);
  const char *ct = azc_response_header(resp, "Content-Type", 12, &ctl);
  const char *body;
  if (cd && is_attachment(cd, n)) {
    const char *eq = memchr(cd, '=', n);
    azc_code rc = azc_buf_puts(out, "File attachments: ");
    return rc == AZC_OK ? azc_redact_text(out, eq + 1, n - (size_t)(eq + 1 - cd)) : rc;
  }
  if (ct && ctl >= 12 && memcmp(ct + ctl - 12, "octet-stream", 12) == 0)
    return azc_buf_puts(out, "Body contains binary data.");
  if (ct && ctl >= 5 && memcmp(ct, "image", 5) == 0)
    return azc_buf_puts(out, "Body contains image data.");
  body = stream ? NULL : azc_response_content(resp, &n);
  if (!body) /* streamed, or not read: reading it here would consume it */
    return azc_buf_puts(out, "Body is streamable.");
  if (n >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
    body += 3; /* text() decodes utf-8-sig */
    n -= 3;
  }
  return azc_buf_append(out, body, n);
}

azc_code azc_logging_format_response(azc_buf *out, azc_log_style style, azc_response *resp,
                                     int stream, const azc_allowlist *headers) {
  azc_code rc = azc_buf_printf(
      out, style == AZC_LOG_STYLE_HTTP ? "Response status: %d" : "Response status: '%d'",
      azc_response_status(resp));
  if (rc == AZC_OK)
    rc = azc_buf_puts(out, "\nResponse headers:");
  if (rc == AZC_OK)
    rc = header_lines(out, azc_response_headers(resp), headers);
  if (rc != AZC_OK || style == AZC_LOG_STYLE_HTTP)
    return rc;
  rc = azc_buf_puts(out, "\nResponse content:\n");
  return rc == AZC_OK ? response_content(out, resp, stream) : rc;
}

/* ---- emitting ----------------------------------------------------------------------------- */

static void emit(const log_impl *c, azc_run *run, const char *logger, int level, const char *text,
                 size_t len) {
  if (c->emit)
    c->emit(c->emit_ud, run, logger, level, text, len);
}

/* One record, or one per line when the policy is HttpLoggingPolicy and the multi-record
 * environment variable is set. Lines never contain '\n' themselves (azc_redact_text). */
static void emit_record(const log_impl *c, azc_run *run, const char *logger, int level,
                        const azc_buf *b) {
  const char *env = c->network ? NULL : getenv(AZC_MULTI_RECORD_ENV);
  const char *s = b->data ? b->data : "";
  if (env && *env) {
    size_t start = 0;
    while (start <= b->len) {
      const char *nl = memchr(s + start, '\n', b->len - start);
      size_t end = nl ? (size_t)(nl - s) : b->len;
      emit(c, run, logger, level, s + start, end - start);
      start = end + 1;
    }
    return;
  }
  emit(c, run, logger, level, s, b->len);
}

static void emit_failure(const log_impl *c, azc_run *run, const char *logger, const char *what) {
  char msg[64];
  int n = snprintf(msg, sizeof msg, "Failed to log %s: out of memory", what);
  emit(c, run, logger, c->network ? AZC_LOG_DEBUG : AZC_LOG_WARNING, msg, (size_t)n);
}

/* The logger of an HttpLoggingPolicy run: the per-call option `logger` (popped on the first
 * attempt, still read on later ones: azure-core keeps it in the context) or the policy's own. */
static const char *run_logger(const log_impl *c, azc_run *run, int *out_maybe) {
  azc_options *o = azc_run_options(run);
  const azc_optval *v = azc_options_given(o, AZC_OPT_LOGGER);
  azc_options_pop(o, AZC_OPT_LOGGER);
  if (v && v->type == AZC_OPTV_STRING && v->str) {
    *out_maybe = 1; /* only the host knows that logger's level */
    return v->str;
  }
  *out_maybe = 0;
  return c->logger;
}

static int truthy(const azc_optval *v) {
  if (v->type == AZC_OPTV_BOOL)
    return v->b;
  if (v->type == AZC_OPTV_NUMBER)
    return v->num != 0;
  if (v->type == AZC_OPTV_STRING)
    return v->str && *v->str;
  return v->type == AZC_OPTV_HEADERS;
}

static azc_code log_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const log_impl *c = self->impl;
  const char *logger;
  azc_buf b = {0};
  (void)state;
  (void)out_err;
  if (c->network) {
    const azc_optval *v = azc_options_pop(azc_run_options(run), AZC_OPT_LOGGING_ENABLE);
    int on = v ? truthy(v) : c->logging_enable;
    /* kept in the context, so the response follows the request's decision (azure-core) */
    azc_run_set_flag(run, AZC_CTX_LOGGING_ENABLE, on);
    if (!on || !c->enabled)
      return AZC_OK;
    logger = c->logger;
  } else {
    int maybe;
    logger = run_logger(c, run, &maybe);
    if (!c->enabled && !maybe)
      return AZC_OK;
  }
  if (azc_logging_format_request(&b, c->network ? AZC_LOG_STYLE_NETWORK : AZC_LOG_STYLE_HTTP,
                                 azc_run_request(run), c->headers, c->query) == AZC_OK)
    emit_record(c, run, logger, c->level, &b);
  else
    emit_failure(c, run, logger, "request");
  azc_buf_free(&b);
  return AZC_OK;
}

static azc_action log_on_response(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const log_impl *c = self->impl;
  azc_action a = {AZC_ACTION_CONTINUE, 0};
  azc_response *resp = azc_run_response(run);
  const char *logger;
  azc_buf b = {0};
  int stream = 0;
  (void)state;
  (void)out_err;
  if (!resp)
    return a;
  if (c->network) {
    const azc_optval *v;
    if (!azc_run_flag(run, AZC_CTX_LOGGING_ENABLE) || !c->enabled)
      return a;
    v = azc_options_get(azc_run_options(run), AZC_OPT_STREAM);
    stream = v && truthy(v);
    logger = c->logger;
  } else {
    int maybe;
    logger = run_logger(c, run, &maybe);
    if (!c->enabled && !maybe)
      return a;
  }
  if (azc_logging_format_response(&b, c->network ? AZC_LOG_STYLE_NETWORK : AZC_LOG_STYLE_HTTP, resp,
                                  stream, c->headers) == AZC_OK)
    emit_record(c, run, logger, c->level, &b);
  else
    emit_failure(c, run, logger, "response");
  azc_buf_free(&b);
  return a;
}

static void log_free(log_impl *c) {
  if (!c)
    return;
  free(c->logger);
  azc_allowlist_free(c->headers);
  azc_allowlist_free(c->query);
  free(c);
}

static void log_destroy(azc_policy *self) { log_free(self->impl); }

const azc_policy_vtable azc_network_trace_policy_vt = {
    "NetworkTraceLoggingPolicy", 0, NULL, log_on_request, log_on_response, NULL, NULL, log_destroy};
const azc_policy_vtable azc_http_logging_policy_vt = {
    "HttpLoggingPolicy", 0, NULL, log_on_request, log_on_response, NULL, NULL, log_destroy};

azc_logging_config azc_logging_config_default(void) {
  azc_logging_config c;
  memset(&c, 0, sizeof c);
  c.level = AZC_LOG_INFO;
  return c;
}

static azc_policy *new_policy(const azc_logging_config *cfg, int network, azc_error *out_err) {
  azc_logging_config d = azc_logging_config_default();
  const char *logger;
  log_impl *c;
  azc_policy *p;
  if (!cfg)
    cfg = &d;
  logger = network ? AZC_NETWORK_TRACE_LOGGER : cfg->logger ? cfg->logger : AZC_HTTP_LOGGING_LOGGER;
  c = calloc(1, sizeof *c);
  if (!c)
    goto nomem;
  c->network = network;
  c->emit = cfg->emit;
  c->emit_ud = cfg->emit_ud;
  c->level = network ? AZC_LOG_DEBUG : cfg->level;
  c->logging_enable = cfg->logging_enable != 0;
  c->logger = azc__strndup(logger, strlen(logger));
  c->headers = cfg->allowed_header_names
                   ? azc_allowlist_from(cfg->allowed_header_names, cfg->n_allowed_header_names)
                   : azc_allowlist_from(azc_redact_default_headers, azc_redact_n_default_headers);
  c->query =
      cfg->allowed_query_params
          ? azc_allowlist_from(cfg->allowed_query_params, cfg->n_allowed_query_params)
          : azc_allowlist_from(azc_redact_default_query_params, azc_redact_n_default_query_params);
  if (!c->logger || !c->headers || !c->query)
    goto nomem;
  p = azc_policy_new(network ? &azc_network_trace_policy_vt : &azc_http_logging_policy_vt, c);
  if (!p)
    goto nomem;
  return p;
nomem:
  log_free(c);
  azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  return NULL;
}

azc_policy *azc_network_trace_policy_new(const azc_logging_config *cfg, azc_error *out_err) {
  return new_policy(cfg, 1, out_err);
}

azc_policy *azc_http_logging_policy_new(const azc_logging_config *cfg, azc_error *out_err) {
  return new_policy(cfg, 0, out_err);
}

static log_impl *impl_of(const azc_policy *p) {
  if (!p || (p->vt != &azc_network_trace_policy_vt && p->vt != &azc_http_logging_policy_vt))
    return NULL;
  return p->impl;
}

void azc_logging_policy_set_enabled(azc_policy *p, int on) {
  log_impl *c = impl_of(p);
  if (c)
    c->enabled = on != 0;
}

int azc_logging_policy_enabled(const azc_policy *p) {
  const log_impl *c = impl_of(p);
  return c ? c->enabled : 0;
}

azc_allowlist *azc_logging_policy_headers(azc_policy *p) {
  log_impl *c = impl_of(p);
  return c ? c->headers : NULL;
}

azc_allowlist *azc_logging_policy_query_params(azc_policy *p) {
  log_impl *c = impl_of(p);
  return c ? c->query : NULL;
}

const char *azc_logging_policy_logger(const azc_policy *p) {
  const log_impl *c = impl_of(p);
  return c ? c->logger : NULL;
}

int azc_logging_policy_level(const azc_policy *p) {
  const log_impl *c = impl_of(p);
  return c ? c->level : 0;
}

int azc_network_trace_policy_logging_enable(const azc_policy *p) {
  const log_impl *c = impl_of(p);
  return c && c->network ? c->logging_enable : 0;
}

void azc_network_trace_policy_set_logging_enable(azc_policy *p, int on) {
  log_impl *c = impl_of(p);
  if (c && c->network)
    c->logging_enable = on != 0;
}
