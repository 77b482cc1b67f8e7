/*
 * azc_redact.h - what the logging and tracing policies may show of a request (BEHAVIOR.md §4.12):
 * header values outside an allow-list and query values outside another become `REDACTED`.
 *
 * The query is read as azure-core reads it (urlparse + parse_qsl(keep_blank_values=True) +
 * urlunparse): the fragment is split off first, then the query at the first '?'; the query is
 * split on '&' (empty parts dropped), each part at its first '=' (a part without one has an
 * empty value), names and values are '+'-to-space and percent-decoded and read as UTF-8 (bad
 * sequences become U+FFFD), and the query is rebuilt as `name=value` joined by '&' (no '?' when
 * nothing is left). Two additions keep log records safe where azure-core is not: CR, LF and TAB
 * are removed from the URL (as urlsplit does) and control characters in decoded names and
 * values are written as `\xNN` escapes, so a URL cannot forge log lines; and a password in the
 * URL's user-info (`user:password@host`) is redacted.
 */
#ifndef AZC_REDACT_H
#define AZC_REDACT_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The placeholder that replaces a redacted value. */
#define AZC_REDACTED "REDACTED"

/** @brief The default header allow-list: azure-core's 25 names plus x-vss-e2eid, x-msedge-ref. */
extern const char *const azc_redact_default_headers[];
/** @brief Number of entries of azc_redact_default_headers (27). */
extern const size_t azc_redact_n_default_headers;
/** @brief The default query-parameter allow-list ("api-version"). */
extern const char *const azc_redact_default_query_params[];
/** @brief Number of entries of azc_redact_default_query_params (1). */
extern const size_t azc_redact_n_default_query_params;

/** @brief A set of names compared with ASCII case folding, kept in insertion order. */
typedef struct azc_allowlist azc_allowlist;

/** @brief New empty allow-list. @return NULL when out of memory. */
azc_allowlist *azc_allowlist_new(void);
/**
 * @brief New allow-list holding @p n names (NULL entries skipped; duplicates folded).
 * @return NULL when out of memory.
 */
azc_allowlist *azc_allowlist_from(const char *const *names, size_t n);
/** @brief Free the list. NULL is allowed. */
void azc_allowlist_free(azc_allowlist *a);
/**
 * @brief Add a name (a name already present, in any case, is left as it is).
 * @return AZC_OK, AZC_ERR_NOMEM, or AZC_ERR_ARG when @p a is NULL.
 */
azc_code azc_allowlist_add(azc_allowlist *a, const char *name, size_t len);
/** @brief Remove a name (any case). @return 1 when it was present. */
int azc_allowlist_remove(azc_allowlist *a, const char *name, size_t len);
/** @brief Remove every name. */
void azc_allowlist_clear(azc_allowlist *a);
/** @brief 1 when @p name is in the list (ASCII case-insensitive); 0 otherwise or for NULL. */
int azc_allowlist_contains(const azc_allowlist *a, const char *name, size_t len);
/** @brief Number of names. */
size_t azc_allowlist_count(const azc_allowlist *a);
/** @brief Name @p i (as added), or NULL past the end; *out_len when not NULL. */
const char *azc_allowlist_name(const azc_allowlist *a, size_t i, size_t *out_len);

/**
 * @brief Append the value a log record shows for header @p name: @p value when the name is in
 * @p allowed, else AZC_REDACTED.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_redact_header(azc_buf *out, const azc_allowlist *allowed, const char *name,
                           size_t name_len, const char *value, size_t value_len);

/**
 * @brief Append @p url with every query value whose name is not in @p allowed_query replaced by
 * AZC_REDACTED (see the file comment for how the URL is read). @p allowed_query may be NULL
 * (every value redacted).
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_redact_url(azc_buf *out, const char *url, size_t len,
                        const azc_allowlist *allowed_query);

/**
 * @brief Append @p s with control characters (bytes < 0x20 and 0x7f) written as Python's repr
 * writes them (`\n`, `\r`, `\t`, `\xNN`) and invalid UTF-8 replaced by U+FFFD: text that cannot
 * break a log record's lines.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_redact_text(azc_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
