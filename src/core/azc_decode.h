/*
 * azc_decode.h - streaming Content-Encoding decoders (gzip, deflate, br, zstd, identity).
 * The transport always receives raw bytes; a response decodes them on the way to iter_bytes and
 * read(), and hands them through untouched to iter_raw. Memory stays bounded: each call decodes
 * one input chunk into the output buffer.
 */
#ifndef AZC_DECODE_H
#define AZC_DECODE_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque decoder chain for one Content-Encoding header value. */
typedef struct azc_decoder azc_decoder;

/**
 * @brief Build a decoder for a Content-Encoding value such as "gzip", "br", "deflate, gzip"
 * (codings applied in order, so they are undone in reverse), "identity" or NULL/"" (pass-through).
 * "deflate" accepts both zlib-wrapped and raw deflate data, as browsers do.
 * @param[out] out_dec the decoder; free with azc_decoder_free.
 * @return AZC_OK, AZC_ERR_NOMEM, or AZC_ERR_DECODE for an unknown coding (message names it).
 */
azc_code azc_decoder_new(const char *content_encoding, azc_decoder **out_dec, azc_error *out_err);

/**
 * @brief Decode @p len input bytes, appending the output to @p ref_out.
 * @return AZC_OK or AZC_ERR_DECODE (corrupt data), AZC_ERR_NOMEM.
 */
azc_code azc_decoder_write(azc_decoder *dec, const char *data, size_t len, azc_buf *ref_out,
                           azc_error *out_err);

/**
 * @brief Signal the end of input; appends anything still buffered.
 * @return AZC_OK, or AZC_ERR_DECODE when the compressed stream ended early (truncated data).
 */
azc_code azc_decoder_finish(azc_decoder *dec, azc_buf *ref_out, azc_error *out_err);

/** @brief 1 when the decoder passes bytes through unchanged (no coding). */
int azc_decoder_is_identity(const azc_decoder *dec);

/** @brief Free the decoder. NULL is allowed. */
void azc_decoder_free(azc_decoder *dec);

/** The Accept-Encoding value the transport sends by default: every coding this library decodes. */
#define AZC_DECODE_ACCEPT_ENCODING "gzip, deflate, br, zstd"

/** @brief AZC_DECODE_ACCEPT_ENCODING, as a function for callers that link rather than compile. */
const char *azc_decode_accept_encoding(void);

#ifdef __cplusplus
}
#endif
#endif
