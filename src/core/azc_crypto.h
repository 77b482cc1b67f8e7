/*
 * azc_crypto.h - the primitives request-signing policies need: SHA-256 and HMAC-SHA256 (OpenSSL's
 * libcrypto) and Base64 in both alphabets of RFC 4648 (standard §4 and URL-safe §5). HTTP dates are
 * in azc_retry_after.h (azc_http_date_format).
 *
 * Everything works on byte ranges (not NUL-terminated strings): keys and signatures are binary.
 */
#ifndef AZC_CRYPTO_H
#define AZC_CRYPTO_H

#include "azc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Length of a SHA-256 digest and of an HMAC-SHA256 MAC, in bytes. */
#define AZC_SHA256_LEN 32

/**
 * @brief SHA-256 of @p len bytes at @p data (NULL allowed when @p len is 0).
 * @param[out] out the 32-byte digest.
 * @return AZC_OK, or AZC_ERR_NOMEM when libcrypto fails.
 */
azc_code azc_crypto_sha256(const void *data, size_t len, unsigned char out[AZC_SHA256_LEN]);

/**
 * @brief HMAC-SHA256 (RFC 2104) of @p data under @p key. Either may be empty (NULL with length 0).
 * @param[out] out the 32-byte MAC.
 * @return AZC_OK, AZC_ERR_VALUE when a length does not fit libcrypto's int, or AZC_ERR_NOMEM.
 */
azc_code azc_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                                unsigned char out[AZC_SHA256_LEN]);

/**
 * @brief Append the Base64 text of @p len bytes to @p ref_out. @p url selects the URL-safe alphabet
 * (`-` and `_`), which is written without `=` padding; the standard alphabet is padded.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_base64_encode(const void *data, size_t len, int url, azc_buf *ref_out);

/**
 * @brief Decode Base64 text and append the bytes to @p ref_out. Standard alphabet (@p url 0): the
 * length must be a multiple of 4 with at most two `=` at the end. URL-safe alphabet (@p url 1): `=`
 * padding is optional, but when present it must complete the last quantum. In both, characters
 * outside the alphabet (whitespace included) and a lone trailing character (a length of 4n + 1) are
 * rejected. Unused low bits of the last character are ignored, as Python's base64 module does.
 * @param[out] out_err why the text was rejected (may be NULL).
 * @return AZC_OK, AZC_ERR_VALUE for invalid text (@p ref_out unchanged), or AZC_ERR_NOMEM.
 */
azc_code azc_base64_decode(const char *text, size_t len, int url, azc_buf *ref_out,
                           azc_error *out_err);

/**
 * @brief Compare two byte ranges in time that depends only on their lengths (for MACs).
 * @return 1 when equal, 0 otherwise.
 */
int azc_crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

#ifdef __cplusplus
}
#endif
#endif
