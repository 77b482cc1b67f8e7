/*
 * azc_multipart_internal.h - what the multipart parser's two files share; not a public header.
 *   azc_multipart.c       the MIME side (Python's email feed parser rules) and its header reader
 *   azc_http_message.c    responses embedded in parts (http.client rules), whose headers are
 *                         read with the same email rules
 */
#ifndef AZC_MULTIPART_INTERNAL_H
#define AZC_MULTIPART_INTERNAL_H

#include <stdint.h>

#include "azc_multipart.h"

/* The feed parser's input: [p, p + n) read from pos, with the stack of boundary matchers. */
typedef struct mime_in {
  const char *p;
  size_t n, pos;
  const char *sep[AZC_MULTIPART_MAX_DEPTH];
  size_t seplen[AZC_MULTIPART_MAX_DEPTH];
  size_t nsep;
} mime_in;

/* Where parsed headers go: @p first keeps a name's first value (Message.get), @p last its last
 * (CaseInsensitiveDict built from the items); either may be NULL. The first values of up to two
 * names the parser itself needs are captured as they are (a NUL byte included). */
typedef struct header_sink {
  azc_headers *first, *last;
  azc_headers *claimed; /* names whose first value could not be stored in @p first */
  const char *cap_name[2];
  azc_buf cap[2];
  int have[2];
  azc_buf value; /* scratch */
} header_sink;

/* Shared helpers (defined in azc_multipart.c). */
int azc__mp_latin1_ws(unsigned char c);
const char *azc__mp_excerpt(const char *p, size_t n, char *out, size_t cap);
int azc__mp_py_int(const char *p, size_t n, int base, int str_input, int *out_neg, uint64_t *out);
azc_code azc__mp_read_headers(mime_in *in, header_sink *hs, size_t *out_pre_s, size_t *out_pre_e);
void azc__mp_sink_free(header_sink *hs);

#endif
