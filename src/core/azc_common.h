/*
 * azc_common.h - result codes, the error record and a growable byte buffer shared by every
 * module of the C core. No Lua here: the core is usable from any C host.
 */
#ifndef AZC_COMMON_H
#define AZC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Result codes of the C core. Every fallible function returns one of these and, where it
 * takes an `azc_error *`, fills it with details. The names of the transport and stream codes
 * match the azure.core.exceptions classes the Lua binding builds from them.
 */
typedef enum azc_code {
  AZC_OK = 0,
  AZC_ERR_NOMEM,                   /**< allocation failed */
  AZC_ERR_ARG,                     /**< bad argument (API misuse) */
  AZC_ERR_VALUE,                   /**< bad value (ValueError in azure-core) */
  AZC_ERR_IO,                      /**< local I/O failure (reading a body file) */
  AZC_ERR_SERVICE_REQUEST,         /**< ServiceRequestError: the request was not sent */
  AZC_ERR_SERVICE_REQUEST_TIMEOUT, /**< ServiceRequestTimeoutError: connect timed out */
  AZC_ERR_SERVICE_RESPONSE,        /**< ServiceResponseError: sent, then reset or truncated */
  AZC_ERR_SERVICE_RESPONSE_TIMEOUT, /**< ServiceResponseTimeoutError: read (idle) timeout */
  AZC_ERR_DECODE,                  /**< DecodeError: a body could not be decoded */
  AZC_ERR_INCOMPLETE_READ,         /**< IncompleteReadError: fewer bytes than announced */
  AZC_ERR_STREAM_CONSUMED,         /**< StreamConsumedError */
  AZC_ERR_STREAM_CLOSED,           /**< StreamClosedError */
  AZC_ERR_NOT_READ,                /**< ResponseNotReadError */
  AZC_ERR_CLOSED,                  /**< use of a closed object */
  AZC_ERR_AZURE,                   /**< AzureError (any other kind raised by host code) */
  AZC_ERR_HTTP_RESPONSE,           /**< HttpResponseError and subclasses */
  AZC_ERR_CLIENT_AUTH,             /**< ClientAuthenticationError: never retried */
  AZC_ERR_TOO_MANY_REDIRECTS,      /**< TooManyRedirectsError */
  AZC_ERR_HOST,                    /**< a non-Azure error raised by host code: propagates as is */
  AZC_ERR__COUNT
} azc_code;

/** @brief Size of the message buffer inside azc_error. */
#define AZC_ERROR_MESSAGE_MAX 512

/**
 * @brief Details of a failure, filled by the function that failed. Plain value type: callers
 * usually keep one on the stack. `curl_code` is 0 and `curl_name` empty unless libcurl reported
 * the failure.
 */
typedef struct azc_error {
  azc_code code;
  int curl_code;         /**< CURLcode, 0 when libcurl was not involved */
  const char *curl_name; /**< "CURLE_COULDNT_CONNECT" etc., or "" */
  int host_ref;          /**< non-zero: the host's own error object (e.g. a Lua value) stands
                              behind this record; the host maps it back when the error surfaces */
  char message[AZC_ERROR_MESSAGE_MAX];
} azc_error;

/**
 * @brief Fill @p out_err (when not NULL) and return @p code. printf-style message.
 * @return @p code, so callers can write `return azc_error_set(err, AZC_ERR_ARG, "...")`.
 */
azc_code azc_error_set(azc_error *out_err, azc_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** @brief Reset @p out_err to "no error". NULL is allowed. */
void azc_error_clear(azc_error *out_err);

/** @brief Stable name of a code, e.g. "ServiceRequestError" (the exception class it maps to). */
const char *azc_code_name(azc_code code);

/**
 * @brief A growable byte buffer. Zero-initialise it (`azc_buf b = {0};`), append, then either
 * take `data`/`len` or release it with azc_buf_free. `data` is always NUL-terminated when non-NULL
 * so it can be used as a C string when it holds text.
 */
typedef struct azc_buf {
  char *data;
  size_t len;
  size_t cap;
} azc_buf;

/** @brief Make room for @p extra more bytes. @return AZC_OK or AZC_ERR_NOMEM. */
azc_code azc_buf_reserve(azc_buf *ref_buf, size_t extra);
/** @brief Append @p len bytes. @return AZC_OK or AZC_ERR_NOMEM. */
azc_code azc_buf_append(azc_buf *ref_buf, const void *data, size_t len);
/** @brief Append a NUL-terminated string. */
azc_code azc_buf_puts(azc_buf *ref_buf, const char *s);
/** @brief Append printf-formatted text. */
azc_code azc_buf_printf(azc_buf *ref_buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** @brief Drop the first @p n bytes (consumed data), keeping the rest. */
void azc_buf_consume(azc_buf *ref_buf, size_t n);
/** @brief Free the storage and zero the buffer. */
void azc_buf_free(azc_buf *ref_buf);

/** @brief Case-insensitive ASCII comparison of two byte ranges; 1 when equal. */
int azc__ieq(const char *a, size_t alen, const char *b, size_t blen);
/** @brief strdup of @p len bytes (NUL added); NULL on allocation failure. */
char *azc__strndup(const char *s, size_t len);
/**
 * @brief Set the string field @p *ref_field to a copy of @p s[0..len): into @p inline_buf (of
 * @p inline_cap bytes, inside the owning object) when it fits, else into a new block. @p s may
 * point into the current value. The previous value's block, if it had one, is freed.
 * @return AZC_OK, or AZC_ERR_NOMEM (the field unchanged).
 */
azc_code azc__set_inline_string(char **ref_field, char *inline_buf, size_t inline_cap,
                                const char *s, size_t len);
/** @brief Free a field set by azc__set_inline_string (its block, if it has one). */
void azc__free_inline_string(char *field, char *inline_buf);
/**
 * @brief A zeroed block of @p size bytes (calloc(1, size) through malloc): glibc's calloc skips
 * its per-thread cache, so objects made for every request come from that cache this way.
 * @return the block, or NULL on allocation failure.
 */
void *azc__zalloc(size_t size);

/**
 * @brief Grow storage that starts inside its object: a new block of @p size bytes holding the
 * first @p used bytes of @p cur (a copy when @p cur is @p inline_buf, else realloc).
 * @return the block, or NULL (then @p cur is untouched).
 */
void *azc__grow_inline(void *cur, void *inline_buf, size_t used, size_t size);

/*
 * Internal: a one-block cache. An owner that allocates and frees a same-sized block on every
 * request (a pipeline's runs, a transport's transfers) keeps the last freed block for the next
 * one: blocks over ~1 KiB miss glibc's per-thread cache and make malloc consolidate its fast
 * bins on every request. Not thread-safe: an owner is used from one thread at a time. Built
 * with AddressSanitizer (or -DAZC_NO_BLOCK_CACHE) every take/give is a plain malloc (its first
 * zero_len bytes zeroed) and free, so use-after-free stays detectable.
 */
typedef struct azc__block_cache {
  void *block;
  size_t size;
} azc__block_cache;
/** @brief A block of at least @p size bytes (the cached one when big enough, else a new one);
 * its real size in *out_size. Only its first @p zero_len bytes are zeroed: a run or transfer
 * puts the large members it sets before reading (error records, options) after that prefix, so
 * no request pays for clearing them. NULL on allocation failure. */
void *azc__cache_take(azc__block_cache *c, size_t size, size_t zero_len, size_t *out_size);
/** @brief Hand back a block of @p size bytes from azc__cache_take: kept, or freed. */
void azc__cache_give(azc__block_cache *c, void *block, size_t size);
/** @brief Free the cached block (the owner is going away). */
void azc__cache_clear(azc__block_cache *c);

#ifdef __cplusplus
}
#endif
#endif
