/*
 * azc_multipart.h - parsing multipart/mixed batch responses (azure-core's `HttpResponse.parts()`).
 *
 * A batch response is a MIME entity: multipart/mixed, each part an `application/http` message
 * holding one embedded HTTP response, or a nested multipart/mixed "changeset" of such parts.
 * azure-core parses it with Python's email package (compat32 feed parser) and each embedded
 * response with http.client; the rules here are theirs:
 *
 *   - the body is split into lines ending in CRLF, CR or LF; a boundary line is "--" boundary,
 *     optionally "--" (the close delimiter), optional spaces/tabs (transport padding), then the
 *     line end or the end of input; the line end before a boundary line belongs to the boundary;
 *   - text before the first boundary line (preamble) and after the close delimiter (epilogue) is
 *     ignored; several boundary lines in a row delimit no empty parts; a missing close delimiter
 *     is tolerated (the last part runs to the end); an outer boundary ends every inner part;
 *   - part headers: "Name: value" lines, continuation lines folded in, a blank line or the first
 *     line that is not a header ends them; the Content-Type before its first ';', lower-cased,
 *     with exactly one '/', else text/plain; the boundary parameter unquoted, right-trimmed;
 *   - part bodies are decoded as Content-Transfer-Encoding says (base64, quoted-printable;
 *     anything else is taken as is);
 *   - an embedded response: status line "HTTP/x.y code reason" (1.x or 0.9/1.0), "100 Continue"
 *     interim responses skipped, at most 100 header lines of at most 65536 bytes, then the body
 *     by Transfer-Encoding: chunked, Content-Length, or the rest; none for HEAD, 1xx, 204, 304.
 *
 * Everything here reads bytes from the network: any input is accepted without undefined
 * behaviour, work is linear in the input times the nesting depth (at most
 * AZC_MULTIPART_MAX_DEPTH), and what cannot be understood is reported as AZC_ERR_DECODE.
 */
#ifndef AZC_MULTIPART_H
#define AZC_MULTIPART_H

#include "azc_common.h"
#include "azc_headers.h"
#include "azc_request.h"
#include "azc_response.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Deepest nesting of multipart entities accepted (the batch itself counts as 1). */
#define AZC_MULTIPART_MAX_DEPTH 8

/**
 * @brief One parsed MIME entity: its headers, its content type, and either its body (a leaf) or
 * its parts (a multipart entity). The root owns the whole tree.
 */
typedef struct azc_multipart azc_multipart;

/**
 * @brief Parse a multipart body, as azure-core does with `Content-Type: <content_type>` in front
 * of it.
 * @param content_type the Content-Type header value of the response (e.g.
 *        `multipart/mixed; boundary=batchresponse_66b9`); its type must be multipart.
 * @param ct_len its length.
 * @param body the body (NULL allowed when @p body_len is 0).
 * @param body_len its length.
 * @param[out] out_root the root entity (its parts are the batch parts); free with
 *        azc_multipart_free.
 * @param[out] out_err details on failure (may be NULL).
 * @return AZC_OK; AZC_ERR_DECODE when the content type is not multipart, has no boundary, the
 *         first boundary line is missing, or nesting is deeper than AZC_MULTIPART_MAX_DEPTH;
 *         AZC_ERR_NOMEM.
 */
azc_code azc_multipart_parse(const char *content_type, size_t ct_len, const char *body,
                             size_t body_len, azc_multipart **out_root, azc_error *out_err);

/** @brief Free a tree returned by azc_multipart_parse (the root only). NULL is allowed. */
void azc_multipart_free(azc_multipart *root);

/**
 * @brief 1 when @p m was parsed as a multipart entity (its type is multipart, it has a
 * boundary and its first boundary line was found); its parts are then azc_multipart_part.
 * A multipart entity that is not well-formed is kept as a leaf holding its raw body.
 */
int azc_multipart_is_multipart(const azc_multipart *m);

/** @brief Number of parts of @p m (0 for a leaf). */
size_t azc_multipart_count(const azc_multipart *m);

/** @brief Part @p i of @p m (borrowed, owned by the root), or NULL when out of range. */
const azc_multipart *azc_multipart_part(const azc_multipart *m, size_t i);

/**
 * @brief The content type: main/sub, lower-cased, without parameters (`application/http`);
 * `text/plain` when absent or invalid (`message/rfc822` inside multipart/digest).
 */
const char *azc_multipart_content_type(const azc_multipart *m);

/**
 * @brief The entity's headers (borrowed). A repeated name keeps its first value (Python's
 * `Message.get`); folded values are unfolded (line breaks removed); a value holding a NUL byte
 * cannot be stored, so that name is left out (its later values too). The content type and the
 * transfer encoding are read from the values as they are.
 */
const azc_headers *azc_multipart_headers(const azc_multipart *m);

/**
 * @brief A leaf's body, decoded per its Content-Transfer-Encoding (empty for a multipart).
 * @param[out] out_len its length (may be NULL).
 * @return the bytes (NUL-terminated, never NULL), valid while the tree lives.
 */
const char *azc_multipart_body(const azc_multipart *m, size_t *out_len);

/**
 * @brief The boundary parameter of a Content-Type value (Python's `Message.get_boundary`):
 * parameters split at ';' outside double quotes, the name compared case-insensitively, the
 * value trimmed, unquoted (twice, as azure-core's email path does) and right-trimmed.
 * @param[out] ref_out receives the boundary (appended).
 * @return 1 when there is a boundary parameter, 0 when not, -1 when out of memory.
 */
int azc_multipart_boundary(const char *content_type, size_t len, azc_buf *ref_out);

/**
 * @brief Parse one embedded HTTP response (an application/http part's body) into a response
 * whose body is complete and already read (no Content-Encoding decoding: azure-core gives the
 * bytes as they are).
 * @param data the part body.
 * @param len its length.
 * @param request the request it answers, or NULL; its method decides HEAD handling; a reference
 *        is taken.
 * @param[out] out_resp the new response (refcount 1).
 * @param[out] out_err details on failure (may be NULL).
 * @return AZC_OK; AZC_ERR_DECODE for a bad status line, an unknown protocol, a line longer than
 *         65536 bytes, more than 100 header lines, a bad chunk size, or a body shorter than
 *         announced; AZC_ERR_NOMEM.
 */
azc_code azc_multipart_parse_http_response(const char *data, size_t len, azc_request *request,
                                           azc_response **out_resp, azc_error *out_err);

#ifdef __cplusplus
}
#endif
#endif
