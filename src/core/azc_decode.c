/*
 * azc_decode.c - Content-Encoding decoders over zlib, libbrotlidec and libzstd.
 *
 * A decoder is a chain of stages, outermost coding first (the last coding named in the header
 * is undone first). Each stage decodes into its own fixed-size step buffer; every full or final
 * step is handed straight to the next stage, and the last stage appends to the caller's buffer.
 * So the memory a decoder holds is bounded (codec state plus one step per stage) whatever the
 * input; only the caller's output buffer grows with the decoded size of the chunk it passed.
 *
 * Lenience, matching urllib3/browsers: an empty body is valid for every coding (HEAD, 204 and
 * some servers send "Content-Encoding: gzip" with no bytes); bytes after a complete gzip member
 * that do not start another member, and bytes after the end of a deflate stream, are ignored.
 * Brotli and zstd are strict: data after the end of the stream is an error (zstd itself accepts
 * further frames).
 */
#include "azc_decode.h"

#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define STEP_SIZE 16384 /* output step of each stage */
#define MAX_CODINGS 8   /* more than this in one header is abuse, not HTTP */

typedef enum stage_kind { STAGE_GZIP, STAGE_DEFLATE, STAGE_BR, STAGE_ZSTD } stage_kind;

/* gzip member tracking: inside a member, or between members waiting for the next magic. */
typedef enum gz_state { GZ_MEMBER, GZ_BETWEEN, GZ_TRAILING } gz_state;

typedef struct stage {
  stage_kind kind;
  const char *name;    /* coding name for messages */
  unsigned char *step; /* STEP_SIZE output buffer */
  int started;         /* any input seen: an empty body is not truncated */
  int done;            /* the stream (or last gzip member / zstd frame) ended cleanly */
  /* zlib (gzip, deflate) */
  z_stream z;
  int z_ready;          /* inflateInit2 done */
  gz_state gz;          /* gzip only */
  int gz_magic;         /* gzip: magic bytes of the next member seen so far (0 or 1) */
  unsigned char hdr[2]; /* deflate: first bytes, buffered to tell zlib from raw */
  int hdr_len;
  /* brotli */
  BrotliDecoderState *br;
  /* zstd */
  ZSTD_DStream *zs;
} stage;

struct azc_decoder {
  size_t n; /* 0: identity */
  int finished;
  int failed;
  stage stages[MAX_CODINGS]; /* stages[0] is undone first */
};

static const unsigned char gzip_magic[2] = {0x1f, 0x8b};

static azc_code feed(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                     azc_buf *ref_out, azc_error *out_err);

static azc_code fail(azc_decoder *dec, azc_error *out_err, azc_code code, const char *what,
                     const char *name, const char *detail) {
  dec->failed = 1;
  if (code == AZC_ERR_NOMEM)
    return azc_error_set(out_err, code, "out of memory while decoding %s data", name);
  return azc_error_set(out_err, code, "%s %s data%s%s", what, name, detail ? ": " : "",
                       detail ? detail : "");
}

/* Hand one produced step to the next stage (or to the caller). */
static azc_code emit(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                     azc_buf *ref_out, azc_error *out_err) {
  if (len == 0)
    return AZC_OK;
  return feed(dec, idx + 1, data, len, ref_out, out_err);
}

static azc_code zlib_init(azc_decoder *dec, stage *st, int window_bits, azc_error *out_err) {
  int rc;
  memset(&st->z, 0, sizeof st->z);
  rc = inflateInit2(&st->z, window_bits);
  if (rc != Z_OK)
    return fail(dec, out_err, rc == Z_MEM_ERROR ? AZC_ERR_NOMEM : AZC_ERR_DECODE,
                "cannot initialise decoder for", st->name, st->z.msg);
  st->z_ready = 1;
  return AZC_OK;
}

/*
 * Run inflate over @p len bytes. Sets *ended when the zlib stream ended; *used is how many input
 * bytes were consumed (the rest follows the end of the stream).
 */
static azc_code zlib_run(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                         size_t *used, int *ended, azc_buf *ref_out, azc_error *out_err) {
  stage *st = &dec->stages[idx];
  azc_code rc;
  *ended = 0;
  *used = 0;
  while (len > 0) {
    /* avail_in is a uInt: feed huge chunks in slices */
    uInt slice = len > 0x40000000u ? 0x40000000u : (uInt)len;
    int zr;
    st->z.next_in = (Bytef *)(uintptr_t)data; /* zlib does not write through next_in */
    st->z.avail_in = slice;
    do {
      st->z.next_out = st->step;
      st->z.avail_out = STEP_SIZE;
      zr = inflate(&st->z, Z_NO_FLUSH);
      if (zr == Z_NEED_DICT)
        return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name,
                    "a preset dictionary is required");
      if (zr == Z_DATA_ERROR)
        return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name,
                    st->z.msg ? st->z.msg : "invalid data");
      if (zr == Z_MEM_ERROR)
        return fail(dec, out_err, AZC_ERR_NOMEM, "", st->name, NULL);
      if (zr == Z_STREAM_ERROR)
        return fail(dec, out_err, AZC_ERR_DECODE, "cannot decode", st->name, "stream error");
      rc = emit(dec, idx, st->step, STEP_SIZE - st->z.avail_out, ref_out, out_err);
      if (rc != AZC_OK)
        return rc;
      if (zr == Z_STREAM_END) {
        *used += slice - st->z.avail_in;
        *ended = 1;
        return AZC_OK;
      }
      /* Z_BUF_ERROR: no progress possible, i.e. this slice is used up and nothing is pending */
    } while (zr != Z_BUF_ERROR && (st->z.avail_in > 0 || st->z.avail_out == 0));
    *used += slice - st->z.avail_in;
    data += slice - st->z.avail_in;
    len -= slice - st->z.avail_in;
    if (st->z.avail_in > 0) /* cannot happen with a sane zlib; avoid spinning */
      return fail(dec, out_err, AZC_ERR_DECODE, "cannot decode", st->name, "inflate stalled");
  }
  return AZC_OK;
}

static azc_code gzip_write(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                           azc_buf *ref_out, azc_error *out_err) {
  stage *st = &dec->stages[idx];
  azc_code rc;
  if (!st->z_ready && (rc = zlib_init(dec, st, 16 + MAX_WBITS, out_err)) != AZC_OK)
    return rc;
  while (len > 0) {
    size_t used;
    int ended;
    if (st->gz == GZ_TRAILING)
      return AZC_OK; /* garbage after the last member: ignored, as gzip(1) and urllib3 do */
    if (st->gz == GZ_BETWEEN) {
      /* Another member follows only if it starts with the gzip magic. */
      if (data[0] != gzip_magic[st->gz_magic]) {
        st->gz = GZ_TRAILING;
        return AZC_OK;
      }
      data++;
      len--;
      if (++st->gz_magic < 2)
        continue;
      /* Full magic seen: start the next member and replay its magic into inflate. */
      if (inflateReset(&st->z) != Z_OK)
        return fail(dec, out_err, AZC_ERR_DECODE, "cannot decode", st->name, "reset failed");
      st->gz = GZ_MEMBER;
      st->gz_magic = 0;
      st->done = 0;
      rc = zlib_run(dec, idx, gzip_magic, 2, &used, &ended, ref_out, out_err);
      if (rc != AZC_OK)
        return rc;
      continue;
    }
    rc = zlib_run(dec, idx, data, len, &used, &ended, ref_out, out_err);
    if (rc != AZC_OK)
      return rc;
    data += used;
    len -= used;
    if (ended) {
      st->gz = GZ_BETWEEN;
      st->done = 1;
    }
  }
  return AZC_OK;
}

/* RFC 1950 header: CM 8, window <= 32K, and the 16-bit header a multiple of 31. */
static int looks_like_zlib(const unsigned char hdr[2]) {
  return (hdr[0] & 0x0f) == 8 && (hdr[0] >> 4) <= 7 && ((hdr[0] << 8) | hdr[1]) % 31 == 0;
}

static azc_code deflate_write(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                              azc_buf *ref_out, azc_error *out_err) {
  stage *st = &dec->stages[idx];
  azc_code rc;
  size_t used;
  int ended;
  if (st->done)
    return AZC_OK; /* bytes after the end of the stream are ignored */
  if (!st->z_ready) {
    /* "deflate" should be zlib-wrapped (RFC 9110) but many servers send raw deflate: look at the
     * first two bytes, buffering them across chunks if they arrive one at a time. */
    while (st->hdr_len < 2 && len > 0) {
      st->hdr[st->hdr_len++] = *data++;
      len--;
    }
    if (st->hdr_len < 2)
      return AZC_OK;
    rc = zlib_init(dec, st, looks_like_zlib(st->hdr) ? MAX_WBITS : -MAX_WBITS, out_err);
    if (rc != AZC_OK)
      return rc;
    rc = zlib_run(dec, idx, st->hdr, 2, &used, &ended, ref_out, out_err);
    if (rc != AZC_OK)
      return rc;
    if (ended) {
      st->done = 1;
      return AZC_OK;
    }
  }
  rc = zlib_run(dec, idx, data, len, &used, &ended, ref_out, out_err);
  if (rc == AZC_OK && ended)
    st->done = 1;
  return rc;
}

static azc_code br_write(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                         azc_buf *ref_out, azc_error *out_err) {
  stage *st = &dec->stages[idx];
  size_t avail_in = len;
  const uint8_t *next_in = data;
  if (st->done)
    return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name,
                "unexpected data after the end of the stream");
  for (;;) {
    size_t avail_out = STEP_SIZE;
    uint8_t *next_out = st->step;
    azc_code rc;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(st->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
    if (r == BROTLI_DECODER_RESULT_ERROR)
      return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name,
                  BrotliDecoderErrorString(BrotliDecoderGetErrorCode(st->br)));
    rc = emit(dec, idx, st->step, STEP_SIZE - avail_out, ref_out, out_err);
    if (rc != AZC_OK)
      return rc;
    if (r == BROTLI_DECODER_RESULT_SUCCESS) {
      st->done = 1;
      if (avail_in > 0)
        return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name,
                    "unexpected data after the end of the stream");
      return AZC_OK;
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
      return AZC_OK; /* the decoder has taken all input (it buffers partial state itself) */
    /* NEEDS_MORE_OUTPUT: loop with a fresh step */
  }
}

static azc_code zstd_write(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                           azc_buf *ref_out, azc_error *out_err) {
  stage *st = &dec->stages[idx];
  ZSTD_inBuffer in;
  in.src = data;
  in.size = len;
  in.pos = 0;
  for (;;) {
    ZSTD_outBuffer out;
    size_t r, pos_before = in.pos;
    azc_code rc;
    out.dst = st->step;
    out.size = STEP_SIZE;
    out.pos = 0;
    r = ZSTD_decompressStream(st->zs, &out, &in);
    if (ZSTD_isError(r))
      return fail(dec, out_err, AZC_ERR_DECODE, "corrupt", st->name, ZSTD_getErrorName(r));
    rc = emit(dec, idx, st->step, out.pos, ref_out, out_err);
    if (rc != AZC_OK)
      return rc;
    /* r == 0: a frame is complete and flushed. Later calls without input report the hint for
     * a next frame, so only a call that consumed input can make the stream unfinished again. */
    if (r == 0)
      st->done = 1;
    else if (in.pos > pos_before)
      st->done = 0;
    /* A full step may leave decoded data inside zstd: drain it before asking for input. */
    if (in.pos == in.size && out.pos < out.size)
      return AZC_OK;
  }
}

static azc_code feed(azc_decoder *dec, size_t idx, const unsigned char *data, size_t len,
                     azc_buf *ref_out, azc_error *out_err) {
  stage *st;
  if (idx == dec->n) {
    if (azc_buf_append(ref_out, data, len) != AZC_OK) {
      dec->failed = 1;
      return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory while decoding");
    }
    return AZC_OK;
  }
  if (len == 0)
    return AZC_OK;
  st = &dec->stages[idx];
  st->started = 1;
  switch (st->kind) {
  case STAGE_GZIP:
    return gzip_write(dec, idx, data, len, ref_out, out_err);
  case STAGE_DEFLATE:
    return deflate_write(dec, idx, data, len, ref_out, out_err);
  case STAGE_BR:
    return br_write(dec, idx, data, len, ref_out, out_err);
  case STAGE_ZSTD:
    return zstd_write(dec, idx, data, len, ref_out, out_err);
  }
  return azc_error_set(out_err, AZC_ERR_ARG, "bad decoder stage");
}

static void stage_free(stage *st) {
  if (st->z_ready)
    inflateEnd(&st->z);
  st->z_ready = 0;
  if (st->br)
    BrotliDecoderDestroyInstance(st->br);
  st->br = NULL;
  if (st->zs)
    ZSTD_freeDStream(st->zs);
  st->zs = NULL;
  free(st->step);
  st->step = NULL;
}

/* Map one coding token to a stage; *skip for identity. 0 when unknown. */
static int coding_kind(const char *s, size_t len, stage_kind *out_kind, const char **out_name,
                       int *out_skip) {
  *out_skip = 0;
  if (azc__ieq(s, len, "identity", 8)) {
    *out_skip = 1;
    return 1;
  }
  if (azc__ieq(s, len, "gzip", 4) || azc__ieq(s, len, "x-gzip", 6)) {
    *out_kind = STAGE_GZIP;
    *out_name = "gzip";
  } else if (azc__ieq(s, len, "deflate", 7)) {
    *out_kind = STAGE_DEFLATE;
    *out_name = "deflate";
  } else if (azc__ieq(s, len, "br", 2)) {
    *out_kind = STAGE_BR;
    *out_name = "br";
  } else if (azc__ieq(s, len, "zstd", 4)) {
    *out_kind = STAGE_ZSTD;
    *out_name = "zstd";
  } else {
    return 0;
  }
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

azc_code azc_decoder_new(const char *content_encoding, azc_decoder **out_dec, azc_error *out_err) {
  stage_kind kinds[MAX_CODINGS];
  const char *names[MAX_CODINGS];
  size_t n = 0, i;
  const char *p = content_encoding ? content_encoding : "";
  azc_decoder *dec;
  *out_dec = NULL;
  /* Parse the list first so an unknown coding fails before anything is allocated. */
  while (*p) {
    const char *start, *end;
    stage_kind kind = STAGE_GZIP;
    const char *name = NULL;
    int skip;
    while (*p && (is_space(*p) || *p == ','))
      p++;
    if (!*p)
      break;
    start = p;
    while (*p && *p != ',')
      p++;
    end = p;
    while (end > start && is_space(end[-1]))
      end--;
    if (!coding_kind(start, (size_t)(end - start), &kind, &name, &skip))
      return azc_error_set(out_err, AZC_ERR_DECODE, "unsupported content encoding: %.*s",
                           (int)(end - start > 100 ? 100 : end - start), start);
    if (skip)
      continue;
    if (n == MAX_CODINGS)
      return azc_error_set(out_err, AZC_ERR_DECODE,
                           "unsupported content encoding: more than %d codings", MAX_CODINGS);
    kinds[n] = kind;
    names[n] = name;
    n++;
  }
  dec = calloc(1, sizeof *dec);
  if (!dec)
    return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
  dec->n = n;
  /* Codings are listed in the order applied: the last one is undone first. */
  for (i = 0; i < n; i++) {
    stage *st = &dec->stages[i];
    st->kind = kinds[n - 1 - i];
    st->name = names[n - 1 - i];
    st->step = malloc(STEP_SIZE);
    if (!st->step)
      goto nomem;
    if (st->kind == STAGE_BR && !(st->br = BrotliDecoderCreateInstance(NULL, NULL, NULL)))
      goto nomem;
    if (st->kind == STAGE_ZSTD) {
      st->zs = ZSTD_createDStream();
      if (!st->zs || ZSTD_isError(ZSTD_initDStream(st->zs)))
        goto nomem;
    }
  }
  *out_dec = dec;
  return AZC_OK;
nomem:
  azc_decoder_free(dec);
  return azc_error_set(out_err, AZC_ERR_NOMEM, "out of memory");
}

azc_code azc_decoder_write(azc_decoder *dec, const char *data, size_t len, azc_buf *ref_out,
                           azc_error *out_err) {
  if (dec->failed)
    return azc_error_set(out_err, AZC_ERR_DECODE, "the decoder failed earlier");
  if (dec->finished)
    return azc_error_set(out_err, AZC_ERR_ARG, "write after finish");
  if (len == 0)
    return AZC_OK;
  return feed(dec, 0, (const unsigned char *)data, len, ref_out, out_err);
}

azc_code azc_decoder_finish(azc_decoder *dec, azc_buf *ref_out, azc_error *out_err) {
  size_t i;
  (void)ref_out; /* every stage emits eagerly: nothing is held back at the end */
  if (dec->failed)
    return azc_error_set(out_err, AZC_ERR_DECODE, "the decoder failed earlier");
  if (dec->finished)
    return AZC_OK;
  dec->finished = 1;
  /* Outer stages first: a truncated outer stream is the root cause of a truncated inner one. */
  for (i = 0; i < dec->n; i++) {
    stage *st = &dec->stages[i];
    if (st->started && !st->done) {
      dec->failed = 1;
      return azc_error_set(out_err, AZC_ERR_DECODE,
                           "truncated %s data: the compressed stream ended early", st->name);
    }
  }
  return AZC_OK;
}

int azc_decoder_is_identity(const azc_decoder *dec) { return dec->n == 0; }

void azc_decoder_free(azc_decoder *dec) {
  size_t i;
  if (!dec)
    return;
  for (i = 0; i < dec->n; i++)
    stage_free(&dec->stages[i]);
  free(dec);
}

const char *azc_decode_accept_encoding(void) { return AZC_DECODE_ACCEPT_ENCODING; }
