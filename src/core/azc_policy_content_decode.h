/*
 * azc_policy_content_decode.h - ContentDecodePolicy (BEHAVIOR.md §4.5). When a call is not
 * streamed, the response body is deserialized according to its Content-Type and stored in the
 * context (`deserialized_data`); an undecodable body fails the call with DecodeError.
 *
 * The decisions are native: the mime type, the JSON syntax check (azc_json_check), "Cannot
 * deserialize content-type". Building values (Lua tables, XML trees) is the host's part: the
 * policy calls its host callback when a value must be built for a context the host can show,
 * or when only the host can decide (XML, an unread body, a `response_encoding`). A host that
 * shows no context (the C-only fast path of the Lua binding) is not called for the common
 * cases, so a JSON or text response costs one syntax check and no allocation.
 */
#ifndef AZC_POLICY_CONTENT_DECODE_H
#define AZC_POLICY_CONTENT_DECODE_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The ContentDecodePolicy vtable (class name "ContentDecodePolicy"). */
extern const azc_policy_vtable azc_content_decode_policy_vt;

/** @brief How a mime type is deserialized. */
typedef enum azc_mime_kind {
  AZC_MIME_JSON = 1, /**< matches ^(application|text)/([0-9a-z+.-]+\+)?json$ */
  AZC_MIME_XML,      /**< contains "xml" */
  AZC_MIME_TEXT,     /**< starts with "text/" */
  AZC_MIME_OTHER     /**< anything else: DecodeError "Cannot deserialize content-type: ..." */
} azc_mime_kind;

/**
 * @brief The mime type of a Content-Type value as azure-core derives it: the part before the
 * first ';', stripped of whitespace, lower-cased; "application/json" when @p content_type is
 * NULL or empty. Appended to @p ref_out. @return AZC_OK or AZC_ERR_NOMEM.
 * @param content_type the value (need not be NUL-terminated), or NULL.
 * @param len its length in bytes.
 */
azc_code azc_content_decode_mime(const char *content_type, size_t len, azc_buf *ref_out);

/** @brief Classify a mime type (as azc_content_decode_mime returns it). */
azc_mime_kind azc_content_decode_mime_kind(const char *mime, size_t len);

/**
 * @brief The host's part. Called from on_request (@p hook AZC_HOOK_ON_REQUEST, only when the
 * run has a truthy response encoding: the host may store it in its context) and from
 * on_response (AZC_HOOK_ON_RESPONSE, only for a call with `stream` false): the host
 * deserializes the run's current response (azc_run_response), honouring @p encoding and the
 * rules of BEHAVIOR §4.5, and stores the value in its context.
 * @param host azc_run_host(run).
 * @param required 0 when the native checks already accepted the body (the host may skip the
 *        call when it shows no context); 1 when only the host can decide (XML, an unread body,
 *        an encoding, or a body that failed the JSON check: the host reports the DecodeError).
 * @param encoding the response encoding for this call, or NULL.
 * @return AZC_OK, or the failure filled in @p out_err (the call fails with it).
 */
typedef azc_code (*azc_content_decode_host_fn)(void *host, azc_run *run, azc_policy *self, int hook,
                                               int required, const char *encoding,
                                               azc_error *out_err);

/**
 * @brief New ContentDecodePolicy (refcount 1).
 * @param response_encoding the default encoding (copied; NULL: none).
 * @param host_fn the host's part (NULL: C only; JSON is still checked, XML is accepted as is).
 * @return the policy, or NULL when out of memory.
 */
azc_policy *azc_content_decode_policy_new(const char *response_encoding,
                                          azc_content_decode_host_fn host_fn);

/** @brief The constructor's response_encoding (borrowed), or NULL. */
const char *azc_content_decode_policy_encoding(const azc_policy *p);

/** @brief Per-run state of a ContentDecodePolicy slot (zeroed by the machine). */
typedef struct azc_content_decode_state {
  char *encoding; /**< the response encoding of this call (owned), NULL when none */
} azc_content_decode_state;

#ifdef __cplusplus
}
#endif
#endif
