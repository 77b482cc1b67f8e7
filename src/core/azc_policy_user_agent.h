/*
 * azc_policy_user_agent.h - UserAgentPolicy (BEHAVIOR.md §4.3): writes the User-Agent header,
 * `azsdk-lua-{sdk_moniker} Lua/{lua_version} ({platform})` by default, honouring the per-call
 * options `user_agent` and `user_agent_overwrite` (both popped).
 *
 * AZURE_HTTP_USER_AGENT: azure-core reads it each time its `user_agent` property is read. This
 * policy reads it once, at construction, and keeps the complete header value ready, so a request
 * costs no getenv and no string building. The difference shows only if the process environment
 * changes after the policy is built (plain Lua cannot change it; a C host calling setenv can).
 */
#ifndef AZC_POLICY_USER_AGENT_H
#define AZC_POLICY_USER_AGENT_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef AZC_VERSION
/** @brief The library version used in the default sdk moniker (matches azure.core.VERSION). */
#define AZC_VERSION "0.1.0"
#endif

/** @brief The environment variable whose value is appended to the user agent. */
#define AZC_USER_AGENT_ENV "AZURE_HTTP_USER_AGENT"

/** @brief The UserAgentPolicy vtable (class name "UserAgentPolicy"). */
extern const azc_policy_vtable azc_user_agent_policy_vt;

/**
 * @brief UserAgentPolicy settings. Start from azc_user_agent_config_default(). Strings are
 * borrowed for the duration of azc_user_agent_policy_new only.
 */
typedef struct azc_user_agent_config {
  const char *base_user_agent; /**< NULL or "": the default shape */
  const char *sdk_moniker;     /**< NULL: "core/" AZC_VERSION */
  const char *user_agent;      /**< application id, prepended as "{app} {base}"; NULL or "": none */
  int user_agent_overwrite;    /**< default 0 */
  int user_agent_use_env;      /**< default 1: append AZURE_HTTP_USER_AGENT */
  const char *lua_version;     /**< e.g. "5.4" for the "Lua/5.4" token; NULL: token left out */
} azc_user_agent_config;

/** @brief The defaults (no base, default moniker, no application id, use_env on). */
azc_user_agent_config azc_user_agent_config_default(void);

/**
 * @brief New UserAgentPolicy (refcount 1). Reads uname(2) and AZURE_HTTP_USER_AGENT once, here.
 * @return the policy, or NULL with @p out_err filled (AZC_ERR_NOMEM, or AZC_ERR_VALUE when a
 *         string holds CR or LF).
 */
azc_policy *azc_user_agent_policy_new(const azc_user_agent_config *cfg, azc_error *out_err);

/**
 * @brief Append " {value}" to the policy's user agent (azure-core `add_user_agent`); the
 * environment value, when used, stays last.
 * @return AZC_OK, AZC_ERR_NOMEM, AZC_ERR_VALUE (CR/LF), AZC_ERR_ARG when @p p is not a
 *         UserAgentPolicy or @p value is NULL.
 */
azc_code azc_user_agent_policy_add_user_agent(azc_policy *p, const char *value);

/**
 * @brief Append the policy's current user agent (what a request gets: including the environment
 * value when user_agent_use_env) to @p out.
 * @return AZC_OK, AZC_ERR_NOMEM, or AZC_ERR_ARG when @p p is not a UserAgentPolicy.
 */
azc_code azc_user_agent_policy_user_agent(azc_policy *p, azc_buf *out);

/**
 * @brief The platform token, e.g. "Linux-6.1.0-18-amd64-x86_64" (uname sysname-release-machine,
 * cleaned like Python's platform.platform()), appended to @p out.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_user_agent_platform(azc_buf *out);

#ifdef __cplusplus
}
#endif
#endif
