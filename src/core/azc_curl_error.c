/*
 * azc_curl_error.c - CURLcode names for error records, and the classification of a failed
 * transfer into the azure-core error kinds (BEHAVIOR §6.1).
 */
#include <string.h>

#include "azc_curl_internal.h"

/* Name of a CURLcode for error records; unknown codes get "CURLE_<n>". */
#define D10(p)                                                                                     \
  "CURLE_" #p "0", "CURLE_" #p "1", "CURLE_" #p "2", "CURLE_" #p "3", "CURLE_" #p "4",             \
      "CURLE_" #p "5", "CURLE_" #p "6", "CURLE_" #p "7", "CURLE_" #p "8", "CURLE_" #p "9"
static const char *const numbered[] = {D10(),  D10(1), D10(2), D10(3),  D10(4),  D10(5), D10(6),
                                       D10(7), D10(8), D10(9), D10(10), D10(11), D10(12)};
/* clang-format off */
#define N(c) {c, #c}
static const struct {
  CURLcode code;
  const char *name;
} names[] = {
    N(CURLE_OK), N(CURLE_UNSUPPORTED_PROTOCOL), N(CURLE_FAILED_INIT), N(CURLE_URL_MALFORMAT),
    N(CURLE_COULDNT_RESOLVE_PROXY), N(CURLE_COULDNT_RESOLVE_HOST), N(CURLE_COULDNT_CONNECT),
    N(CURLE_WEIRD_SERVER_REPLY), N(CURLE_HTTP2), N(CURLE_PARTIAL_FILE), N(CURLE_WRITE_ERROR),
    N(CURLE_UPLOAD_FAILED), N(CURLE_READ_ERROR), N(CURLE_OUT_OF_MEMORY),
    N(CURLE_OPERATION_TIMEDOUT), N(CURLE_RANGE_ERROR), N(CURLE_SSL_CONNECT_ERROR),
    N(CURLE_ABORTED_BY_CALLBACK), N(CURLE_BAD_FUNCTION_ARGUMENT), N(CURLE_TOO_MANY_REDIRECTS),
    N(CURLE_GOT_NOTHING), N(CURLE_SSL_ENGINE_NOTFOUND), N(CURLE_SEND_ERROR), N(CURLE_RECV_ERROR),
    N(CURLE_SSL_CERTPROBLEM), N(CURLE_SSL_CIPHER), N(CURLE_PEER_FAILED_VERIFICATION),
    N(CURLE_BAD_CONTENT_ENCODING), N(CURLE_SEND_FAIL_REWIND), N(CURLE_LOGIN_DENIED),
    N(CURLE_SSL_CACERT_BADFILE), N(CURLE_SSL_SHUTDOWN_FAILED), N(CURLE_AGAIN),
    N(CURLE_SSL_CRL_BADFILE), N(CURLE_SSL_ISSUER_ERROR), N(CURLE_HTTP2_STREAM),
    N(CURLE_SSL_PINNEDPUBKEYNOTMATCH), N(CURLE_SSL_INVALIDCERTSTATUS), N(CURLE_HTTP3),
    N(CURLE_PROXY), N(CURLE_SSL_CLIENTCERT)};
#undef N
/* clang-format on */

const char *azc__curl_name(CURLcode c) {
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].code == c)
      return names[i].name;
  if ((size_t)c < sizeof numbered / sizeof numbered[0])
    return numbered[c];
  return "CURLE_UNKNOWN";
}


/* BEHAVIOR §6.1: was the request sent? `connected` is set once a connection (through any proxy
 * tunnel and TLS) was ready for the request, so failures before it are "not sent". */
azc_code azc__curl_classify(const azc_xfer *x, CURLcode c) {
  switch (c) {
  case CURLE_OUT_OF_MEMORY:
    return AZC_ERR_NOMEM;
  case CURLE_URL_MALFORMAT:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_PROXY:
  case CURLE_LOGIN_DENIED:
    return AZC_ERR_SERVICE_REQUEST;
  case CURLE_OPERATION_TIMEDOUT:
    return x->connected ? AZC_ERR_SERVICE_RESPONSE_TIMEOUT : AZC_ERR_SERVICE_REQUEST_TIMEOUT;
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_FAIL_REWIND:
    return AZC_ERR_SERVICE_RESPONSE;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    /* TLS 1.3 servers reject a client certificate after the client finished its handshake: the
     * alert arrives as a receive error, yet it is a handshake failure (nothing was answered). */
    if (x->connected && !x->in_head && !x->headers_done && strstr(x->errbuf, "SSL") &&
        strstr(x->errbuf, "alert"))
      return AZC_ERR_SERVICE_REQUEST;
    return x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST;
  default:
    /* malformed replies (WEIRD_SERVER_REPLY, HTTP/0.9 as UNSUPPORTED_PROTOCOL), HTTP/2 errors */
    return x->connected ? AZC_ERR_SERVICE_RESPONSE : AZC_ERR_SERVICE_REQUEST;
  }
}

