/*
 * azc_url_internal.h - what the URL module's files share; not a public header.
 *   azc_url.c         splitting (urlsplit rules), composing, quoting, query, format_parameters
 *   azc_url_format.c  PipelineClient.format_url: templates and the join to the base URL
 */
#ifndef AZC_URL_INTERNAL_H
#define AZC_URL_INTERNAL_H

#include "azc_url.h"

/* urlsplit's verdicts on a netloc holding brackets, with Python's messages. */
enum {
  NETLOC_OK,
  NETLOC_BAD_BRACKETS,
  NETLOC_BAD_HOST,
  NETLOC_IPV4_IN_BRACKETS,
  NETLOC_BAD_FUTURE
};

typedef struct url_split {
  azc_slice scheme, netloc, path, query, fragment;
  int verdict;        /* NETLOC_* */
  azc_slice bad_host; /* the host that failed the check, for the message */
} url_split;

azc_code azc__url_split_url(const char *u, size_t len, url_split *out);
azc_code azc__url_split_error(const url_split *s, azc_error *out_err);
azc_slice azc__url_slice(const char *p, size_t len);
const char *azc__url_find_byte(const char *p, size_t len, char c);
const char *azc__url_find_last_byte(const char *p, size_t len, char c);
azc_code azc__url_put_slice(azc_buf *b, azc_slice s);
void azc__url_truncate_to(azc_buf *b, size_t mark);
int azc__url_is_digit(unsigned char c);
/* Field names longer than this are cut in error messages (as Python's repr would show them). */
int azc__url_key_len_for_message(size_t len);

#endif
