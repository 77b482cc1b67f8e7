/*
 * azc_retry_after.h - the server's requested delay (BEHAVIOR.md §4.7 "Retry-After parsing") and
 * HTTP-dates (RFC 7231 §7.1.1.1). Everything here reads bytes that came from the network: any
 * input is accepted without undefined behaviour, and what is not understood is rejected.
 */
#ifndef AZC_RETRY_AFTER_H
#define AZC_RETRY_AFTER_H

#include "azc_common.h"
#include "azc_headers.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Length of a formatted HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT"). */
#define AZC_HTTP_DATE_LEN 29

/** @brief Wall-clock time, seconds since the Unix epoch (the `now` HTTP-dates are relative to). */
double azc_unix_now(void);

/**
 * @brief The delay a response asks for, azure-core's get_retry_after. Headers are looked up
 * case-insensitively in this order, the first non-empty one that parses wins:
 * `retry-after` (seconds), then `retry-after-ms` and `x-ms-retry-after-ms` (divided by 1000).
 * A value is a decimal number (integer or float, optional sign and exponent, surrounding
 * whitespace allowed: "5", "0.9", "1e1") or an HTTP-date, which gives the seconds from
 * @p now_unix to that date. Negative results become 0. A value that is neither (or not finite)
 * is skipped: azure-core would raise there; we fall through to the next header instead.
 * @param h the response headers (NULL: none).
 * @param now_unix the current wall-clock time, seconds since the Unix epoch (for HTTP-dates).
 * @param[out] out_seconds the delay, >= 0 (may be NULL).
 * @return 1 when a header gave a value (which may be 0: azure-core then falls back to its
 *         backoff, as 0 is falsy), 0 when no header applies.
 */
int azc_retry_after(const azc_headers *h, double now_unix, double *out_seconds);

/**
 * @brief Parse a Retry-After value alone (no header lookup): a number of seconds or an
 * HTTP-date relative to @p now_unix, as azc_retry_after reads each header, negative -> 0.
 * @return 1 and *out_seconds when the value parses, 0 otherwise.
 */
int azc_retry_after_parse(const char *value, size_t len, double now_unix, double *out_seconds);

/**
 * @brief Parse an HTTP-date. Accepted forms (names case-insensitive, runs of spaces or tabs
 * between tokens and around the value allowed):
 *   - RFC 1123 / IMF-fixdate: `[Sun,] 6 Nov 1994 08:49:37 GMT` (day 1 or 2 digits, year 4 or 2
 *     digits, zone GMT, UT, UTC, Z or a numeric +hhmm / -hhmm offset);
 *   - RFC 850 (obsolete): `Sunday, 06-Nov-94 08:49:37 GMT` (weekday long or short, 2 or 4 digit
 *     year);
 *   - asctime (obsolete): `Sun Nov  6 08:49:37 1994` (always UTC).
 * Two-digit years follow Python's email.utils: 69..99 -> 19xx, 00..68 -> 20xx. The weekday name
 * must be a real one but is not checked against the date (as Python). Fields are range-checked
 * (day within its month, hour 0-23, minute 0-59, second 0-60). No locale is used.
 * @param s the text (need not be NUL-terminated); NULL with @p len 0 is allowed.
 * @param[out] out_unix seconds since the Unix epoch (UTC).
 * @return 1 on success, 0 when the text is not an HTTP-date.
 */
int azc_http_date_parse(const char *s, size_t len, double *out_unix);

/**
 * @brief Format @p unix_time (seconds since the epoch, fraction dropped toward -inf) as an
 * IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT", NUL-terminated.
 * @return AZC_HTTP_DATE_LEN, or 0 (and an empty string) when the time is not finite or falls
 *         outside the years 0000..9999.
 */
int azc_http_date_format(double unix_time, char out[30]);

#ifdef __cplusplus
}
#endif
#endif
