/*
 * azc_options.h - the per-call options of one pipeline run (azure-core's **kwargs), filled once
 * from the caller's values. Native policies read and *pop* the keys they own, as azure-core's
 * policies do; what is not popped reaches the transport. Keys the core does not know stay with
 * the host (the Lua binding keeps them in the caller's table and hands the unpopped ones to a
 * Lua transport).
 */
#ifndef AZC_OPTIONS_H
#define AZC_OPTIONS_H

#include "azc_common.h"
#include "azc_headers.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The option keys the C core knows. Names match the Lua option names. */
typedef enum azc_opt {
  AZC_OPT_STREAM = 0,
  AZC_OPT_CONNECTION_TIMEOUT,   /* number, seconds */
  AZC_OPT_READ_TIMEOUT,         /* number, seconds */
  AZC_OPT_RETRY_TOTAL,          /* number */
  AZC_OPT_RETRY_CONNECT,
  AZC_OPT_RETRY_READ,
  AZC_OPT_RETRY_STATUS,
  AZC_OPT_RETRY_BACKOFF_FACTOR,
  AZC_OPT_RETRY_BACKOFF_MAX,
  AZC_OPT_RETRY_JITTER_FACTOR,
  AZC_OPT_RETRY_ON_METHODS,     /* string: comma-separated upper-case methods */
  AZC_OPT_TIMEOUT,              /* number, seconds: RetryPolicy's overall budget */
  AZC_OPT_PERMIT_REDIRECTS,     /* bool */
  AZC_OPT_REDIRECT_MAX,         /* number */
  AZC_OPT_REQUEST_ID,           /* string, or none (false) */
  AZC_OPT_USER_AGENT,           /* string */
  AZC_OPT_USER_AGENT_OVERWRITE, /* bool */
  AZC_OPT_HEADERS,              /* headers */
  AZC_OPT_ENFORCE_HTTPS,        /* bool: BearerTokenCredentialPolicy (popped) */
  AZC_OPT_LOGGING_ENABLE,       /* bool: NetworkTraceLoggingPolicy (popped) */
  AZC_OPT_LOGGER,               /* string: a logger's name; HttpLoggingPolicy (popped) */
  AZC_OPT_PROXIES_HTTP,         /* string: ProxyPolicy's http proxy for the transport */
  AZC_OPT_PROXIES_HTTPS,        /* string: ProxyPolicy's https proxy for the transport */
  AZC_OPT_PROXIES_NO_PROXY,     /* string: ProxyPolicy's no_proxy for the transport */
  AZC_OPT_RESPONSE_ENCODING,    /* string, or none (false): ContentDecodePolicy (popped) */
  AZC_OPT_RAW_REQUEST_HOOK,     /* bool "given": the host keeps the hook; CustomHookPolicy */
  AZC_OPT_RAW_RESPONSE_HOOK,    /* bool "given": the host keeps the hook; CustomHookPolicy */
  AZC_OPT__COUNT
} azc_opt;

/** @brief Kinds of option values. NONE is an explicit "None" (Lua `false` where API.md says). */
typedef enum azc_opt_type {
  AZC_OPTV_ABSENT = 0,
  AZC_OPTV_NONE,
  AZC_OPTV_BOOL,
  AZC_OPTV_NUMBER,
  AZC_OPTV_STRING,
  AZC_OPTV_HEADERS
} azc_opt_type;

/** @brief One option value. Strings and headers are owned by the options object. */
typedef struct azc_optval {
  azc_opt_type type;
  int popped; /**< set when a policy consumed it: then it no longer reaches the transport */
  int b;
  double num;
  char *str;
  azc_headers *headers;
} azc_optval;

/**
 * @brief The options of one run. Plain struct: embed it, init, fill, clear. Only the entries
 * whose bit is set in @c present are initialised (init touches one word, not the whole array):
 * read values through the functions below, never v[] directly.
 */
typedef struct azc_options {
  uint32_t present; /**< bit k: v[k] holds a value (given; maybe popped) */
  azc_optval v[AZC_OPT__COUNT];
} azc_options;

/** @brief Name of a key as the Lua API spells it ("retry_total"). */
const char *azc_opt_name(azc_opt key);
/** @brief Key for a name, or -1 when the core does not know it. */
int azc_opt_lookup(const char *name, size_t len);

/** @brief Make every key absent (the options own nothing). */
void azc_options_init(azc_options *o);
/** @brief Move @p src's values into @p dst (which must own nothing); @p src is left empty. */
void azc_options_move(azc_options *dst, azc_options *src);
/** @brief Free owned values; every key is absent afterwards. */
void azc_options_clear(azc_options *o);

/** @brief Set a value (replacing any). Strings are copied; headers are referenced. */
azc_code azc_options_set_none(azc_options *o, azc_opt key);
azc_code azc_options_set_bool(azc_options *o, azc_opt key, int b);
azc_code azc_options_set_number(azc_options *o, azc_opt key, double n);
azc_code azc_options_set_string(azc_options *o, azc_opt key, const char *s, size_t len);
azc_code azc_options_set_headers(azc_options *o, azc_opt key, azc_headers *h);

/** @brief 1 when the key was given and not popped. */
int azc_options_has(const azc_options *o, azc_opt key);
/**
 * @brief Pop a key: returns its value (NULL when absent or already popped) and marks it popped.
 * The value stays readable until the options are cleared.
 */
const azc_optval *azc_options_pop(azc_options *o, azc_opt key);
/** @brief Read without popping (NULL when absent or popped). */
const azc_optval *azc_options_get(const azc_options *o, azc_opt key);
/** @brief The value as given, popped or not (NULL when absent). */
const azc_optval *azc_options_given(const azc_options *o, azc_opt key);

#ifdef __cplusplus
}
#endif
#endif
