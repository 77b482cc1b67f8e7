/*
 * azc_json.h - a JSON syntax check with the acceptance rules and error messages of Python's
 * json.loads (strict mode), for ContentDecodePolicy (BEHAVIOR.md §4.5): the native pipeline
 * decides whether a body is valid JSON without building any value; the Lua side builds values
 * only for bodies this check accepted, so both drivers fail on exactly the same bodies.
 */
#ifndef AZC_JSON_H
#define AZC_JSON_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Deepest nesting of arrays and objects accepted (as lua-cjson's default limit). */
#define AZC_JSON_MAX_DEPTH 1000

/**
 * @brief Check that @p s holds exactly one JSON text as Python's json.loads accepts it: RFC 8259
 * plus NaN, Infinity and -Infinity; whitespace is space, tab, CR, LF; no control characters
 * inside strings; a leading UTF-8 BOM is refused. Two deliberate differences: escapes that
 * encode a lone UTF-16 surrogate are refused (a Lua string cannot hold one as UTF-8), and
 * nesting deeper than AZC_JSON_MAX_DEPTH is refused (Python raises RecursionError).
 * @param s the text (any bytes; need not be NUL-terminated).
 * @param n its length in bytes.
 * @param[out] out_err on failure: AZC_ERR_DECODE with json's message, e.g.
 *        "Expecting value: line 1 column 1 (char 0)" (char counts code points, as Python does).
 * @return AZC_OK or AZC_ERR_DECODE.
 */
azc_code azc_json_check(const char *s, size_t n, azc_error *out_err);

#ifdef __cplusplus
}
#endif
#endif
