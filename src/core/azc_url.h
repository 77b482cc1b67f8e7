/*
 * azc_url.h - URL parsing and composing, percent-encoding, and azure-core's query rules:
 * HttpRequest.query (BEHAVIOR §1.1), format_parameters (§1.1) and PipelineClient.format_url
 * (§2.3). Results are written into caller-owned azc_buf values.
 */
#ifndef AZC_URL_H
#define AZC_URL_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A byte range inside the parsed string; `len == 0 && !present` means absent. */
typedef struct azc_slice {
  const char *ptr;
  size_t len;
  int present;
} azc_slice;

/**
 * @brief The parts of `scheme://userinfo@host:port/path?query#fragment`. Slices point into the
 * parsed string (no copies). `host` of an IPv6 literal excludes the brackets.
 */
typedef struct azc_url {
  azc_slice scheme, userinfo, host, port, path, query, fragment;
} azc_url;

/**
 * @brief Split @p url into parts, by the rules of Python's urllib.parse.urlsplit (which azure-core
 * uses throughout): the scheme is the text before the first ':' when it is ALPHA *(ALPHA / DIGIT
 * / "+" / "-" / ".") (so "localhost:8080" has the scheme "localhost"); an authority exists only
 * after "//" (with or without a scheme) and ends at the first '/', '?' or '#'; the fragment starts
 * at the first '#', the query at the first '?' before it. Inside the authority, userinfo ends at
 * the last '@', the port follows the first ':' (after ']' for a bracketed host). `host.present`
 * is set whenever there is an authority (possibly empty, as in "file:///x"); `path` is always
 * present (possibly empty); `query`/`fragment`/`userinfo`/`port` are present when their
 * delimiter is, even when empty. The scheme keeps its case. Leading C0 controls and spaces are
 * skipped (as urlsplit does); unlike Python, tabs and newlines inside the URL are not removed.
 * @return AZC_OK; AZC_ERR_VALUE for a malformed authority: brackets that do not enclose a valid
 * IPv6 (or IPvFuture) host ("Invalid IPv6 URL" in Python), or a port that is not all digits or
 * above 65535 (an empty port is allowed); AZC_ERR_ARG for NULL arguments. On error @p out_url is
 * zeroed.
 */
azc_code azc_url_parse(const char *url, size_t len, azc_url *out_url);

/**
 * @brief 1 when @p url has both a scheme and a non-empty authority (azure-core's "absolute" test:
 * `urlparse(url).scheme and urlparse(url).netloc`); 0 otherwise, also for malformed brackets.
 */
int azc_url_is_absolute(const char *url, size_t len);

/**
 * @brief Compose parts back into a URL, appending to @p ref_out. Absent parts are left out; empty
 * but present parts keep their delimiter, so compose(parse(u)) == u (except for skipped leading
 * spaces, and an IPvFuture host "[v1.x]", which comes back without brackets: only a host
 * containing ':' is written in brackets). With an authority, a path not starting with '/' gets
 * one.
 * @return AZC_OK, AZC_ERR_NOMEM (@p ref_out then unchanged) or AZC_ERR_ARG.
 */
azc_code azc_url_compose(const azc_url *url, azc_buf *ref_out);

/**
 * @brief Percent-encode @p s: unreserved characters (ALPHA DIGIT - . _ ~) and any byte in
 * @p safe pass through, everything else becomes %XX (upper-case hex), appended to @p ref_out.
 * Like Python's urllib.parse.quote(s, safe) on the UTF-8 bytes of s; only ASCII bytes of @p safe
 * count. @p safe may be NULL (nothing extra is safe; note Python's default is "/").
 * @return AZC_OK, AZC_ERR_NOMEM or AZC_ERR_ARG.
 */
azc_code azc_url_quote(const char *s, size_t len, const char *safe, azc_buf *ref_out);
/**
 * @brief Like azc_url_quote but a space becomes '+' and '+' is encoded unless in @p safe
 * (quote_plus, for form bodies; Python's default safe is "" here).
 */
azc_code azc_url_quote_plus(const char *s, size_t len, const char *safe, azc_buf *ref_out);
/**
 * @brief Decode %XX sequences (either hex case), and '+' as a space when @p plus is non-zero
 * (unquote / unquote_plus: "%2B" stays '+'), appending to @p ref_out. A '%' not followed by two
 * hex digits is kept as is. Works on bytes: Python's str version would further replace invalid
 * UTF-8 with U+FFFD.
 */
azc_code azc_url_unquote(const char *s, size_t len, int plus, azc_buf *ref_out);

/**
 * @brief One query pair as azure-core's `query` property sees it: the part of the query between
 * '&' separators, split at the first '='; no '=' gives an empty value. No percent-decoding.
 */
typedef struct azc_query_pair {
  azc_slice key, value;
} azc_query_pair;

/**
 * @brief Iterate the pairs of the query of @p url (as urlparse finds it: after the first '?' that
 * comes before the first '#', up to that '#'). Start with `*ref_pos = 0`. Every pair is produced,
 * in order, duplicates included (in the dict azure-core builds the last value of a key wins, at
 * the key's first position). An empty query gives no pairs; empty parts (as in "a=1&&b=2" or a
 * trailing '&') are produced with an empty key and value, as Python's split does. `value.present`
 * is 0 when the part has no '='. Nothing is validated or decoded.
 * @return 1 while a pair was produced, 0 at the end.
 */
int azc_url_query_next(const char *url, size_t len, size_t *ref_pos, azc_query_pair *out_pair);

/** @brief One parameter for azc_url_format_parameters: a key and a value (repeat for lists). */
typedef struct azc_param {
  const char *key;
  size_t key_len;
  const char *value; /**< NULL means "None": rejected with AZC_ERR_VALUE */
  size_t value_len;
} azc_param;

/**
 * @brief azure-core's format_parameters (§1.1): when @p url has a (non-empty) query it is removed
 * and its pairs are merged into the parameters with the existing URL values winning (a key
 * present in both keeps the position of the parameter but the URL's single value, even if the
 * parameter was a list; a key repeated in the URL keeps its last value at its first position);
 * the URL is rebuilt as `?k=v&...`, given parameters first in their order (a key repeated in
 * @p params is a list and expands to repeated pairs), then the remaining URL pairs; a URL pair
 * without '=' comes back as "k=". Keys and values are not encoded. A NULL value fails with
 * AZC_ERR_VALUE and the message "Query parameter {k} cannot be None", unless the URL supplies
 * that key's value. Quirks of the reference kept on purpose (checked against azure-core 1.26.3):
 * '?' is appended even when there are no pairs ("https://x/y" + {} -> "https://x/y?"); removing
 * the query cuts everything from the first '?' on, fragment included; a URL with an empty query
 * ("x?") or whose only '?' is inside the fragment counts as having no query, so the new query is
 * appended after it ("x??a=1", "x#f?a=1").
 * @param[out] ref_out the new URL is appended to it (unchanged on error).
 * @return AZC_OK, AZC_ERR_VALUE (a None value, or urlparse's bracket errors such as "Invalid
 * IPv6 URL"), AZC_ERR_NOMEM, AZC_ERR_ARG.
 */
azc_code azc_url_format_parameters(const char *url, size_t len, const azc_param *params,
                                   size_t nparams, azc_buf *ref_out, azc_error *out_err);

/**
 * @brief Lookup used by azc_url_format: the value of placeholder @p name (not NUL-terminated),
 * or NULL when absent; sets *out_len to the value's length. May be called several times per name.
 */
typedef const char *(*azc_url_lookup_fn)(void *ud, const char *name, size_t name_len,
                                         size_t *out_len);

/**
 * @brief PipelineClient.format_url (§2.3): fill `{name}` placeholders of @p tmpl through
 * @p lookup, dropping every '/'-separated segment that contains a placeholder without a value;
 * when the result is not absolute (azc_url_is_absolute), join it to @p base_url (itself formatted
 * with the same lookup, a missing base placeholder failing with AZC_ERR_VALUE and the message
 * "The value provided for the url part {name} was incorrect, and resulted in an invalid url"):
 * every leading '/' of the result stripped, trailing '/' of the formatted base stripped, then
 * `base_path.rstrip("/") + "/" + result`, keeping the base URL's query and fragment. A template
 * that collapses to nothing (or is empty) gives the formatted base URL as is (Python raises
 * KeyError for a missing base placeholder there; we give the message above). Values are not
 * encoded. The join goes through urlparse/urlunparse as in Python, so the base's scheme comes
 * back lower-case, ";params" of its last path segment move behind the new path, and an empty
 * "?" or "#" of the base disappears.
 *
 * Templates are a subset of Python's str.format: `{name}` fields and `{{` / `}}` escapes. Errors
 * (AZC_ERR_VALUE, Python's messages): "Single '}' encountered in format string", "Single '{'
 * encountered in format string", "expected '}' before end of string", "unexpected '{' in field
 * name", "Replacement index N out of range for positional args tuple" (for `{}`, `{0}`; Python
 * raises IndexError), "unmatched '{' in format spec", "end of string while looking for
 * conversion specifier", "expected ':' after conversion specifier", and urlparse's bracket
 * errors ("Invalid IPv6 URL", "'x' does not appear to be an IPv4 or IPv6 address", "An IPv4
 * address cannot be in brackets", "IPvFuture address is invalid"). Fields using format specs,
 * conversions, attribute or index access (`{a:x}`, `{a!r}`, `{a.b}`, `{a[0]}`) are refused with
 * "Unsupported url template field '{...}': only {name} is supported". A missing field whose name
 * holds '/' (`{a/b}`) cannot be dropped (Python loops forever): "No value for url template field
 * {a/b}, which spans a '/' and cannot be removed".
 * @param[out] ref_out the URL is appended to it (unchanged on error).
 * @return AZC_OK, AZC_ERR_VALUE, AZC_ERR_NOMEM, or AZC_ERR_ARG (a NULL argument).
 */
azc_code azc_url_format(const char *base_url, const char *tmpl, azc_url_lookup_fn lookup, void *ud,
                        azc_buf *ref_out, azc_error *out_err);

#ifdef __cplusplus
}
#endif
#endif
