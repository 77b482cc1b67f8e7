/*
 * azc_headers.h - ordered HTTP header map with case-insensitive names (azure-core's
 * CaseInsensitiveDict): a name keeps its first insertion position and the case of its last
 * write. Lookups, sets and removals are O(1) on average; iteration is in insertion order.
 */
#ifndef AZC_HEADERS_H
#define AZC_HEADERS_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque, reference-counted header map. */
typedef struct azc_headers azc_headers;

/** @brief New empty map with a reference count of 1. @return NULL when out of memory. */
azc_headers *azc_headers_new(void);
/** @brief Take one more reference. @return @p h. */
azc_headers *azc_headers_ref(azc_headers *h);
/** @brief Drop one reference; frees the map at zero. NULL is allowed. */
void azc_headers_unref(azc_headers *h);
/**
 * @brief Deep copy (new map, refcount 1, same order and case).
 * @return NULL when out of memory or when @p h is NULL.
 */
azc_headers *azc_headers_copy(const azc_headers *h);

/**
 * @brief Set @p name to @p value, replacing any value (and the name's case) already there. A new
 * name goes to the end; an existing one keeps its position. Names compare with ASCII case
 * folding. Both parts are copied. @p value may be NULL when @p value_len is 0.
 * @return AZC_OK, AZC_ERR_NOMEM, AZC_ERR_ARG when @p h is NULL, or AZC_ERR_VALUE when the name
 * is empty or either part holds CR, LF or NUL (header injection). On failure the map is unchanged.
 */
azc_code azc_headers_set(azc_headers *h, const char *name, size_t name_len, const char *value,
                         size_t value_len);
/**
 * @brief Add a value: when @p name is present its value becomes "old, new" (how a repeated
 * response header folds into one map entry; an empty old value gives ", new") and the name keeps
 * the case it was first added with, as urllib3/requests fold response headers; otherwise like
 * azc_headers_set.
 * @return as azc_headers_set.
 */
azc_code azc_headers_add(azc_headers *h, const char *name, size_t name_len, const char *value,
                         size_t value_len);
/**
 * @brief Look a name up, case-insensitively.
 * @param[out] out_len value length (may be NULL).
 * @return the NUL-terminated value, valid until the entry is changed or removed; NULL if absent.
 */
const char *azc_headers_get(const azc_headers *h, const char *name, size_t name_len,
                            size_t *out_len);
/** @brief Remove a name. @return 1 when it was present, 0 otherwise. */
int azc_headers_remove(azc_headers *h, const char *name, size_t name_len);
/** @brief Number of entries. */
size_t azc_headers_count(const azc_headers *h);
/**
 * @brief Bytes of heap the map holds (its block, entry array, index and strings): what a host
 * garbage collector should count for an object that keeps the map alive. NULL gives 0.
 */
size_t azc_headers_footprint(const azc_headers *h);
/** @brief Remove every entry. */
void azc_headers_clear(azc_headers *h);

/**
 * @brief Iterate in insertion order. Start with `*ref_iter = 0`; each call that returns 1 fills
 * the name (in its last-written case) and value and advances the iterator. Any out pointer may
 * be NULL. While iterating, changing values and removing entries is safe (a removed entry is
 * simply not returned); adding a new name may reorder storage, so restart after it.
 * @return 1 while there is an entry, 0 at the end.
 */
int azc_headers_next(const azc_headers *h, size_t *ref_iter, const char **out_name,
                     size_t *out_name_len, const char **out_value, size_t *out_value_len);

#ifdef __cplusplus
}
#endif
#endif
