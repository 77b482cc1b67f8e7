/*
 * azc_policy_user_agent.c - UserAgentPolicy.
 *
 * The policy keeps two strings: `ua` (azure-core's _user_agent: base, application id prepended,
 * add_user_agent values appended) and `full` (ua plus the environment value captured at
 * construction), so on_request only copies `full` into the header set.
 */
#include "azc_policy_user_agent.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

typedef struct ua_impl {
  char *ua;
  size_t ua_len;
  char *env; /* NULL: unset, or user_agent_use_env off */
  char *full;
  size_t full_len;
  int overwrite;
} ua_impl;

static const char UA_HEADER[] = "User-Agent";
#define UA_HEADER_LEN (sizeof UA_HEADER - 1)

static int has_crlf(const char *s) { return s && strpbrk(s, "\r\n") != NULL; }

/* Python's platform._platform cleanup: filename-hostile bytes become '-' (space '_'), the word
 * "unknown" goes, "--" folds, trailing '-' goes. */
static azc_code clean_platform(azc_buf *out, const char *raw) {
  size_t start = out->len, i = 0;
  azc_code rc = AZC_OK;
  while (raw[i] && rc == AZC_OK) {
    char ch = raw[i];
    if (strncmp(raw + i, "unknown", 7) == 0) {
      i += 7;
      continue;
    }
    if (ch == ' ')
      ch = '_';
    else if (strchr("/\\:;\"()", ch))
      ch = '-';
    i++;
    if (ch == '-' && out->len > start && out->data[out->len - 1] == '-')
      continue;
    rc = azc_buf_append(out, &ch, 1);
  }
  while (rc == AZC_OK && out->len > start && out->data[out->len - 1] == '-')
    out->data[--out->len] = '\0';
  return rc;
}

azc_code azc_user_agent_platform(azc_buf *out) {
  struct utsname u;
  azc_buf raw = {0};
  azc_code rc;
  if (uname(&u) != 0)
    return azc_buf_puts(out, "unknown-platform");
  /* '-'.join of the non-empty parts, as platform.platform() on Linux minus its libc suffix */
  rc = azc_buf_printf(&raw, "%s%s%s%s%s", u.sysname, *u.release ? "-" : "", u.release,
                      *u.machine ? "-" : "", u.machine);
  if (rc == AZC_OK)
    rc = clean_platform(out, raw.data ? raw.data : "");
  azc_buf_free(&raw);
  return rc;
}

/* Rebuild `full` from `ua` and `env`. */
static azc_code rebuild_full(ua_impl *c) {
  azc_buf b = {0};
  azc_code rc = azc_buf_append(&b, c->ua, c->ua_len);
  if (rc == AZC_OK && c->env)
    rc = azc_buf_printf(&b, " %s", c->env); /* an empty value still adds the space, as Python */
  if (rc != AZC_OK) {
    azc_buf_free(&b);
    return rc;
  }
  free(c->full);
  c->full = b.data;
  c->full_len = b.len;
  return AZC_OK;
}

static azc_code set_ua(azc_headers *h, const char *v, size_t vl, azc_error *out_err) {
  azc_code rc = azc_headers_set(h, UA_HEADER, UA_HEADER_LEN, v, vl);
  if (rc != AZC_OK)
    return azc_error_set(out_err, rc, "UserAgentPolicy: cannot set User-Agent");
  return AZC_OK;
}

/* Python truthiness of an option as the Lua binding fills it: false/None off, anything else on. */
static int truthy(const azc_optval *v) {
  if (v->type == AZC_OPTV_BOOL)
    return v->b;
  return v->type != AZC_OPTV_NONE && v->type != AZC_OPTV_ABSENT;
}

static azc_code ua_on_request(azc_policy *self, azc_run *run, void *state, azc_error *out_err) {
  const ua_impl *c = self->impl;
  azc_headers *h = azc_request_headers(azc_run_request(run));
  azc_options *o = azc_run_options(run);
  const azc_optval *v = azc_options_pop(o, AZC_OPT_USER_AGENT);
  (void)state;
  /* an explicit None (Lua false) counts as not given: azure-core would send "None {ua}" */
  if (v && v->type != AZC_OPTV_NONE) {
    const azc_optval *ow = azc_options_pop(o, AZC_OPT_USER_AGENT_OVERWRITE);
    size_t n;
    char stackbuf[512];
    char *buf;
    azc_code rc;
    if (v->type != AZC_OPTV_STRING || !v->str)
      return azc_error_set(out_err, AZC_ERR_ARG, "option 'user_agent' must be a string");
    n = strlen(v->str);
    if (ow ? truthy(ow) : c->overwrite)
      return set_ua(h, v->str, n, out_err);
    /* "{option} {policy ua}": on the stack unless unusually long */
    buf = n + 1 + c->full_len + 1 <= sizeof stackbuf ? stackbuf : malloc(n + 1 + c->full_len + 1);
    if (!buf)
      return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
    memcpy(buf, v->str, n);
    buf[n] = ' ';
    memcpy(buf + n + 1, c->full, c->full_len);
    rc = set_ua(h, buf, n + 1 + c->full_len, out_err);
    if (buf != stackbuf)
      free(buf);
    return rc;
  }
  if (c->overwrite || !azc_headers_get(h, UA_HEADER, UA_HEADER_LEN, NULL))
    return set_ua(h, c->full, c->full_len, out_err);
  return AZC_OK;
}

static void ua_free(ua_impl *c) {
  if (!c)
    return;
  free(c->ua);
  free(c->env);
  free(c->full);
  free(c);
}

static void ua_destroy(azc_policy *self) { ua_free(self->impl); }

const azc_policy_vtable azc_user_agent_policy_vt = {
    "UserAgentPolicy", 0, NULL, ua_on_request, NULL, NULL, NULL, ua_destroy};

azc_user_agent_config azc_user_agent_config_default(void) {
  azc_user_agent_config c;
  memset(&c, 0, sizeof c);
  c.user_agent_use_env = 1;
  return c;
}

static azc_code build_ua(azc_buf *b, const azc_user_agent_config *cfg) {
  azc_code rc = AZC_OK;
  if (cfg->user_agent && *cfg->user_agent)
    rc = azc_buf_printf(b, "%s ", cfg->user_agent);
  if (rc != AZC_OK)
    return rc;
  if (cfg->base_user_agent && *cfg->base_user_agent)
    return azc_buf_puts(b, cfg->base_user_agent);
  rc = azc_buf_printf(b, "azsdk-lua-%s", cfg->sdk_moniker ? cfg->sdk_moniker : "core/" AZC_VERSION);
  if (rc == AZC_OK && cfg->lua_version)
    rc = azc_buf_printf(b, " Lua/%s", cfg->lua_version);
  if (rc == AZC_OK)
    rc = azc_buf_puts(b, " (");
  if (rc == AZC_OK)
    rc = azc_user_agent_platform(b);
  if (rc == AZC_OK)
    rc = azc_buf_puts(b, ")");
  return rc;
}

azc_policy *azc_user_agent_policy_new(const azc_user_agent_config *cfg, azc_error *out_err) {
  azc_user_agent_config d = azc_user_agent_config_default();
  azc_buf b = {0};
  ua_impl *c;
  azc_policy *p = NULL;
  const char *env;
  if (!cfg)
    cfg = &d;
  if (has_crlf(cfg->base_user_agent) || has_crlf(cfg->sdk_moniker) || has_crlf(cfg->user_agent) ||
      has_crlf(cfg->lua_version)) {
    azc_error_set(out_err, AZC_ERR_VALUE, "user agent parts must not contain CR or LF");
    return NULL;
  }
  c = calloc(1, sizeof *c);
  if (!c || build_ua(&b, cfg) != AZC_OK)
    goto nomem;
  c->ua = b.data;
  c->ua_len = b.len;
  b.data = NULL;
  c->overwrite = cfg->user_agent_overwrite != 0;
  env = cfg->user_agent_use_env ? getenv(AZC_USER_AGENT_ENV) : NULL;
  /* a CR/LF in the environment would make every request fail: leave such a value out */
  if (env && !has_crlf(env) && !(c->env = azc__strndup(env, strlen(env))))
    goto nomem;
  if (rebuild_full(c) != AZC_OK || !(p = azc_policy_new(&azc_user_agent_policy_vt, c)))
    goto nomem;
  return p;
nomem:
  azc_buf_free(&b);
  ua_free(c);
  azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  return NULL;
}

azc_code azc_user_agent_policy_add_user_agent(azc_policy *p, const char *value) {
  ua_impl *c;
  azc_buf b = {0};
  char *old;
  size_t old_len;
  azc_code rc;
  if (!p || p->vt != &azc_user_agent_policy_vt || !value)
    return AZC_ERR_ARG;
  if (has_crlf(value))
    return AZC_ERR_VALUE;
  c = p->impl;
  rc = azc_buf_append(&b, c->ua, c->ua_len);
  if (rc == AZC_OK)
    rc = azc_buf_printf(&b, " %s", value);
  if (rc != AZC_OK) {
    azc_buf_free(&b);
    return rc;
  }
  old = c->ua;
  old_len = c->ua_len;
  c->ua = b.data;
  c->ua_len = b.len;
  if ((rc = rebuild_full(c)) != AZC_OK) {
    /* keep the policy consistent: either both strings change or neither */
    c->ua = old;
    c->ua_len = old_len;
    free(b.data);
    return rc;
  }
  free(old);
  return AZC_OK;
}

azc_code azc_user_agent_policy_user_agent(azc_policy *p, azc_buf *out) {
  const ua_impl *c;
  if (!p || p->vt != &azc_user_agent_policy_vt || !out)
    return AZC_ERR_ARG;
  c = p->impl;
  return azc_buf_append(out, c->full, c->full_len);
}
