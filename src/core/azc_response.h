/*
 * azc_response.h - an HTTP response: status, reason, headers, the request it answers, and a
 * body that is either complete or a stream. A stream is a source of raw (still encoded) bytes:
 * a C source (the curl transfer) or a fed source (a Lua reader pushes chunks on demand). The
 * response decodes Content-Encoding for read()/iter_bytes and passes raw bytes to iter_raw.
 * Memory is bounded: only what the caller asked for is pulled from the source.
 */
#ifndef AZC_RESPONSE_H
#define AZC_RESPONSE_H

#include "azc_common.h"
#include "azc_decode.h"
#include "azc_headers.h"
#include "azc_request.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque, reference-counted response. */
typedef struct azc_response azc_response;

/**
 * @brief A C source of raw body bytes (implemented by the curl transfer).
 * `pull` appends at most @p max bytes to @p ref_out (at least one unless at the end), sets
 * *out_eof at the end of the body; it may block. `close` releases the source (called once).
 */
typedef struct azc_body_source {
  azc_code (*pull)(void *self, size_t max, azc_buf *ref_out, int *out_eof, azc_error *out_err);
  void (*close)(void *self);
  void *self;
} azc_body_source;

/** @brief Result of azc_response_next. */
typedef enum azc_read_state {
  AZC_READ_DATA = 0,   /**< bytes were appended */
  AZC_READ_EOF,        /**< the body is finished; nothing more */
  AZC_READ_NEED_INPUT  /**< a fed source needs azc_response_feed before reading on */
} azc_read_state;

/**
 * @brief New response with @p status and @p reason (NULL: empty), no body yet.
 * @p request may be NULL; a reference is taken otherwise.
 */
azc_response *azc_response_new(int status, const char *reason, azc_request *request);
/** @brief Take a reference. */
azc_response *azc_response_ref(azc_response *r);
/** @brief Drop a reference; closes the stream at zero. */
void azc_response_unref(azc_response *r);

/** @brief The status code. */
int azc_response_status(const azc_response *r);
/** @brief The reason phrase ("" when none). */
const char *azc_response_reason(const azc_response *r);
/** @brief Set the reason phrase. */
azc_code azc_response_set_reason(azc_response *r, const char *reason, size_t len);
/**
 * @brief The headers (borrowed). A transport may hand header lines over raw
 * (azc_response_add_header_line); they are parsed on the first call, so a response whose
 * headers nobody reads never pays for parsing them.
 */
azc_headers *azc_response_headers(azc_response *r);
/**
 * @brief Append one raw header line as received, without its CRLF: "Name: value", or an
 * obsolete continuation line (starting with a space or tab) that extends the previous value.
 * Lines without ':' and names or values that azc_headers refuses are dropped when parsed, as
 * http.client does. @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_response_add_header_line(azc_response *r, const char *line, size_t len);
/**
 * @brief Look a header up (parsing raw lines only when that header is present among them).
 * @return the value or NULL; *out_len when not NULL.
 */
const char *azc_response_header(azc_response *r, const char *name, size_t name_len,
                                size_t *out_len);
/**
 * @brief Like azc_response_header, for a caller on every response's path that needs one header
 * and nothing else: a header given on exactly one plain raw line is read where it lies, without
 * parsing the others. The value is NOT NUL-terminated: use *out_len (required). It is valid until
 * the response's headers are next read or changed.
 * @return the value or NULL.
 */
const char *azc_response_header_peek(azc_response *r, const char *name, size_t name_len,
                                     size_t *out_len);
/** @brief The request (borrowed, may be NULL). */
azc_request *azc_response_request(azc_response *r);
/** @brief The effective URL of the response (the request's URL unless set). */
const char *azc_response_url(const azc_response *r);
/** @brief Set the effective URL. */
azc_code azc_response_set_url(azc_response *r, const char *url);

/** @brief Give a complete body (raw, still encoded as Content-Encoding says). */
azc_code azc_response_set_body(azc_response *r, const char *data, size_t len);
/** @brief Like azc_response_set_body, but takes the bytes of @p ref_buf over without copying
 * (the buffers are swapped; @p ref_buf is left empty). */
void azc_response_adopt_body(azc_response *r, azc_buf *ref_buf);
/**
 * @brief Give the body already decoded (a response built from Lua values with `content`): the
 * response counts as read, azc_response_content returns these bytes.
 */
azc_code azc_response_set_content(azc_response *r, const char *data, size_t len);
/** @brief Attach a C stream source; the response owns it (closes it once). */
void azc_response_set_source(azc_response *r, const azc_body_source *src);
/** @brief Mark the body as fed: azc_response_next reports NEED_INPUT when it runs dry. */
void azc_response_set_fed(azc_response *r);
/** @brief Push raw bytes into a fed body; @p eof non-zero marks its end. */
azc_code azc_response_feed(azc_response *r, const char *data, size_t len, int eof);

/**
 * @brief Read the next chunk of the body: at most @p max bytes appended to @p ref_out, decoded
 * (Content-Encoding undone) unless @p raw. The first call chooses the mode; the body may be read
 * once (a second full pass is a StreamConsumedError unless the body was read into memory).
 * @return AZC_OK with *out_state; AZC_ERR_STREAM_CONSUMED, AZC_ERR_STREAM_CLOSED,
 * AZC_ERR_DECODE, or the source's transport error.
 */
azc_code azc_response_next(azc_response *r, int raw, size_t max, azc_buf *ref_out,
                           azc_read_state *out_state, azc_error *out_err);

/**
 * @brief Read the whole (decoded) body into memory; afterwards azc_response_content returns it.
 * Returns AZC_OK at once when already read. NEED_INPUT is reported through *out_state for fed
 * bodies (feed, then call again).
 */
azc_code azc_response_read(azc_response *r, azc_read_state *out_state, azc_error *out_err);

/** @brief The body read into memory, or NULL when it has not been read (ResponseNotReadError). */
const char *azc_response_content(const azc_response *r, size_t *out_len);
/** @brief 1 when the body has been read into memory. */
int azc_response_is_read(const azc_response *r);
/**
 * @brief Bytes of heap the response holds (its block, head, headers, body buffers; not its
 * request): what a host garbage collector should count for the object that owns it.
 */
size_t azc_response_footprint(const azc_response *r);
/** @brief 1 when a stream was iterated to its end (or its reading started without buffering). */
int azc_response_is_stream_consumed(const azc_response *r);
/** @brief 1 after azc_response_close. */
int azc_response_is_closed(const azc_response *r);
/** @brief Release the stream (connection back to the pool when finished). Idempotent. */
void azc_response_close(azc_response *r);

#ifdef __cplusplus
}
#endif
#endif
