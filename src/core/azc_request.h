/*
 * azc_request.h - an HTTP request: method, URL, headers and a body. The body is one of: none,
 * bytes (owned copy), a FILE (read from its current offset), a C reader callback, or a "feed"
 * (the caller pushes chunks when the transport asks for them: how Lua readers are streamed
 * without curl callbacks ever calling Lua). The request knows whether its body can rewind,
 * which decides whether a retry may resend it.
 */
#ifndef AZC_REQUEST_H
#define AZC_REQUEST_H

#include <stdio.h>

#include "azc_common.h"
#include "azc_headers.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque, reference-counted request. */
typedef struct azc_request azc_request;

/** @brief The kinds of body a request can carry. */
typedef enum azc_body_kind {
  AZC_BODY_NONE = 0,
  AZC_BODY_BYTES,    /**< an owned byte copy */
  AZC_BODY_FILE,     /**< a FILE*, read from the offset it had when set */
  AZC_BODY_CALLBACK, /**< a C reader callback */
  AZC_BODY_FEED      /**< chunks pushed by the caller on the transport's demand */
} azc_body_kind;

/**
 * @brief C body reader: fill up to @p cap bytes of @p buf, set *out_n (0 means end of body).
 * @return AZC_OK or an error code (the transfer then fails with that error).
 */
typedef azc_code (*azc_read_fn)(void *ud, char *buf, size_t cap, size_t *out_n);
/** @brief Rewind a C reader to its start. @return AZC_OK, or non-zero when it cannot. */
typedef azc_code (*azc_rewind_fn)(void *ud);
/** @brief Release a C reader's state (called once, when the body is replaced or freed). */
typedef void (*azc_free_fn)(void *ud);

/**
 * @brief New request. @p method is stored as given; @p url is not validated here (the transport
 * reports an unusable URL as ServiceRequestError).
 * @return NULL when out of memory or either argument is NULL.
 */
azc_request *azc_request_new(const char *method, const char *url);
/** @brief Take a reference. @return @p r. */
azc_request *azc_request_ref(azc_request *r);
/** @brief Drop a reference; frees at zero (closing an owned file, freeing a reader). */
void azc_request_unref(azc_request *r);

/**
 * @brief Copy for history (BEHAVIOR §1.1 deep copy): method, URL, headers, and a BYTES body are
 * copied; a streamed body is shared by reference (it cannot be duplicated), like azure-core's
 * shallow-copy fallback. @return NULL when out of memory.
 */
azc_request *azc_request_copy(const azc_request *r);

/** @brief The method as given. */
const char *azc_request_method(const azc_request *r);
/** @brief Replace the method. @return AZC_OK or AZC_ERR_NOMEM. */
azc_code azc_request_set_method(azc_request *r, const char *method);
/** @brief The URL. */
const char *azc_request_url(const azc_request *r);
/** @brief Replace the URL. @return AZC_OK or AZC_ERR_NOMEM. */
azc_code azc_request_set_url(azc_request *r, const char *url, size_t len);
/** @brief The request's headers (borrowed; the request holds the reference). */
azc_headers *azc_request_headers(azc_request *r);

/** @brief The body kind. */
azc_body_kind azc_request_body_kind(const azc_request *r);
/**
 * @brief The body length: bytes length, remaining file size (regular files), the reader's
 * announced length, or -1 when unknown (sent chunked). 0 for no body.
 */
int64_t azc_request_body_length(const azc_request *r);
/**
 * @brief Bytes of heap the request holds (its block, headers, a bytes body; not a stream's
 * source): what a host garbage collector should count for the object that owns it.
 */
size_t azc_request_footprint(const azc_request *r);
/** @brief The BYTES body (NULL otherwise); *out_len receives its length. */
const char *azc_request_body_bytes(const azc_request *r, size_t *out_len);

/** @brief Remove the body (and Content-Length is left to the caller). */
void azc_request_clear_body(azc_request *r);
/** @brief Set an owned copy of @p len bytes as the body. Headers are not touched. */
azc_code azc_request_set_body_bytes(azc_request *r, const char *data, size_t len);
/**
 * @brief Stream the body from @p f, from its current offset (remembered for rewind). When
 * @p owned is non-zero the request closes @p f when done with it. Regular files announce their
 * remaining size as the length; pipes are sent chunked and cannot rewind.
 */
azc_code azc_request_set_body_file(azc_request *r, FILE *f, int owned);
/**
 * @brief Stream the body from a C reader. @p length is the announced size or -1. @p rewind may
 * be NULL (not rewindable). @p free_ud is called once when the body is released (may be NULL).
 */
azc_code azc_request_set_body_reader(azc_request *r, azc_read_fn read, azc_rewind_fn rewind,
                                     azc_free_fn free_ud, void *ud, int64_t length);
/**
 * @brief Mark the body as fed by the caller (azc_xfer_feed), announcing @p length or -1. A fed
 * body cannot rewind.
 */
azc_code azc_request_set_body_feed(azc_request *r, int64_t length);

/**
 * @brief Set a JSON text body: the bytes, Content-Type application/json (unless one is set) and
 * Content-Length.
 */
azc_code azc_request_set_body_json(azc_request *r, const char *json, size_t len);
/**
 * @brief Set a text body: Content-Type text/plain (unless set) and Content-Length when non-empty.
 */
azc_code azc_request_set_body_text(azc_request *r, const char *text, size_t len);

/** @brief One field of a form body. */
typedef struct azc_form_field {
  const char *name;
  size_t name_len;
  const char *value; /**< NULL: the field is dropped (azure-core drops None values) */
  size_t value_len;
  /* multipart only: a file part when filename is non-NULL */
  const char *filename;
  const char *content_type; /**< NULL: application/octet-stream for files, none for fields */
} azc_form_field;

/**
 * @brief application/x-www-form-urlencoded body from @p fields (quote_plus encoding), with
 * Content-Type and Content-Length.
 */
azc_code azc_request_set_body_form(azc_request *r, const azc_form_field *fields, size_t n);
/**
 * @brief multipart/form-data body from @p fields (files and plain fields), with Content-Type
 * carrying @p boundary (NULL: a random one) and Content-Length.
 */
azc_code azc_request_set_body_multipart(azc_request *r, const azc_form_field *fields, size_t n,
                                        const char *boundary);

/** @brief 1 when the body can be sent again (none, bytes, seekable file, rewindable reader). */
int azc_request_can_rewind(const azc_request *r);
/**
 * @brief Rewind the body to its start before a resend.
 * @return AZC_OK, or AZC_ERR_VALUE when the body cannot rewind.
 */
azc_code azc_request_rewind(azc_request *r, azc_error *out_err);

/**
 * @brief Read the next body bytes (used by transports). Not for FEED bodies.
 * @return AZC_OK with *out_n (0 at the end), or AZC_ERR_IO / the reader's code.
 */
azc_code azc_request_read_body(azc_request *r, char *buf, size_t cap, size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif
