/*
 * azc_policy_key.h - shared-secret credentials and the SansIO policies that send them (BEHAVIOR.md
 * §4.9, §5): AzureKeyCredentialPolicy puts a key in a header, AzureSasCredentialPolicy appends a
 * shared access signature to the URL's query.
 *
 * The secret lives in an azc_key_credential, a refcounted holder shared by the credential object
 * the user keeps and every policy built from it. Policies read it at each request, so an `update`
 * reaches live clients without rebuilding their pipelines (azure-core reads `credential.key` in
 * on_request for the same reason).
 */
#ifndef AZC_POLICY_KEY_H
#define AZC_POLICY_KEY_H

#include "azc_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A key (AzureKeyCredential), a name and key (AzureNamedKeyCredential) or a shared access
 * signature (AzureSasCredential). Opaque; not thread-safe (one host thread updates and reads). */
typedef struct azc_key_credential azc_key_credential;

/**
 * @brief New holder (refcount 1) with copies of @p key and, for a named key, @p name.
 * @param name the name, or NULL for a key or signature alone.
 * @return the holder, or NULL when out of memory.
 */
azc_key_credential *azc_key_credential_new(const char *name, size_t name_len, const char *key,
                                           size_t key_len);
/** @brief Take a reference. */
azc_key_credential *azc_key_credential_ref(azc_key_credential *c);
/** @brief Drop a reference; the secret is wiped and freed at zero. */
void azc_key_credential_unref(azc_key_credential *c);
/**
 * @brief Replace the secret (and the name when @p name is not NULL). Either both change or, when
 * out of memory, neither; the old secret is wiped. Strings returned before are invalidated.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_key_credential_update(azc_key_credential *c, const char *name, size_t name_len,
                                   const char *key, size_t key_len);
/** @brief The key or signature (NUL-terminated, valid until the next update). */
const char *azc_key_credential_key(const azc_key_credential *c, size_t *out_len);
/** @brief The name of a named key (NUL-terminated), or NULL when the holder has none. */
const char *azc_key_credential_name(const azc_key_credential *c, size_t *out_len);

/** @brief The AzureKeyCredentialPolicy vtable (class name "AzureKeyCredentialPolicy"). */
extern const azc_policy_vtable azc_key_policy_vt;
/** @brief The AzureSasCredentialPolicy vtable (class name "AzureSasCredentialPolicy"). */
extern const azc_policy_vtable azc_sas_policy_vt;

/**
 * @brief New AzureKeyCredentialPolicy (refcount 1): on every request, header @p name is set to the
 * current key, or to "{prefix} {key}" when @p prefix is neither NULL nor empty.
 * @param cred the credential (a reference is taken).
 * @param name the header name: not empty, no CR, LF or NUL.
 * @param prefix the scheme written before the key (NULL or "" for none).
 * @return the policy, or NULL with @p out_err filled: AZC_ERR_VALUE "name can not be None or empty"
 * (or a name/prefix holding CR, LF or NUL), AZC_ERR_ARG (NULL credential), AZC_ERR_NOMEM.
 */
azc_policy *azc_key_policy_new(azc_key_credential *cred, const char *name, const char *prefix,
                               azc_error *out_err);
/** @brief The header name of an AzureKeyCredentialPolicy (NULL for another policy). */
const char *azc_key_policy_name(const azc_policy *p);
/** @brief The prefix of an AzureKeyCredentialPolicy ("" when none; NULL for another policy). */
const char *azc_key_policy_prefix(const azc_policy *p);

/**
 * @brief New AzureSasCredentialPolicy (refcount 1) appending the current signature of @p cred to
 * every request's URL (azc_sas_apply).
 * @return the policy, or NULL with @p out_err filled (AZC_ERR_ARG for NULL, AZC_ERR_NOMEM).
 */
azc_policy *azc_sas_policy_new(azc_key_credential *cred, azc_error *out_err);

/** @brief The credential a key or SAS policy reads (borrowed), or NULL for another policy. */
azc_key_credential *azc_key_policy_credential(const azc_policy *p);

/**
 * @brief azure-core's AzureSasCredentialPolicy.on_request on plain strings: one leading '?' of
 * @p sig is dropped; when @p url has a query (non-empty text between the first '?' and the
 * fragment), "&sig" is appended unless @p sig occurs anywhere in @p url; without a query, sig is
 * appended after a trailing '?', else "?sig". The result replaces the content of @p ref_out.
 * @return AZC_OK or AZC_ERR_NOMEM.
 */
azc_code azc_sas_apply(const char *url, size_t url_len, const char *sig, size_t sig_len,
                       azc_buf *ref_out);

#ifdef __cplusplus
}
#endif
#endif
