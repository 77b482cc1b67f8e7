/*
 * fuzz_main.c - a small stand-in for libFuzzer's driver, so fuzz targets also build with plain
 * gcc (under -fsanitize=address,undefined) where libFuzzer is missing. It links with a target
 * defining LLVMFuzzerTestOneInput and:
 *   - replays every file named on the command line, and every regular file in a named
 *     directory (a corpus), once each;
 *   - with -runs=N, then feeds N more inputs, each a copy of a random corpus input (or of random
 *     bytes when there is none) changed by 1-8 random edits: byte flips, inserted or deleted
 *     bytes, bytes typical of text protocols (CR, LF, '-', ':', ';', '=', '"', space, tab, NUL),
 *     duplicated or spliced chunks. -seed=S makes the run repeatable; -max_len=L caps the size.
 * Exit status 0 when every input returned (a crash or a sanitizer report stops the process).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  uint8_t *data;
  size_t len;
} input;

static input *corpus;
static size_t ncorpus, capcorpus;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void) {
  /* xorshift64*: fast, repeatable from -seed */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717u;
}

static size_t below(size_t n) { return n ? (size_t)(next_rand() % n) : 0; }

static int load(const char *path, size_t max_len) {
  FILE *f = fopen(path, "rb");
  input in;
  long n;
  if (!f)
    return -1;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return -1;
  }
  if ((size_t)n > max_len)
    n = (long)max_len;
  in.len = (size_t)n;
  in.data = malloc(in.len ? in.len : 1);
  if (!in.data || fread(in.data, 1, in.len, f) != in.len) {
    free(in.data);
    fclose(f);
    return -1;
  }
  fclose(f);
  if (ncorpus == capcorpus) {
    size_t cap = capcorpus ? capcorpus * 2 : 64;
    input *c = realloc(corpus, cap * sizeof *c);
    if (!c) {
      free(in.data);
      return -1;
    }
    corpus = c;
    capcorpus = cap;
  }
  corpus[ncorpus++] = in;
  return 0;
}

static void load_path(const char *path, size_t max_len) {
  struct stat st;
  DIR *d;
  struct dirent *e;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "fuzz_main: cannot read %s\n", path);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (load(path, max_len) != 0)
      fprintf(stderr, "fuzz_main: cannot read %s\n", path);
    return;
  }
  d = opendir(path);
  if (!d)
    return;
  while ((e = readdir(d)) != NULL) {
    char full[4096];
    if (e->d_name[0] == '.')
      continue;
    snprintf(full, sizeof full, "%s/%s", path, e->d_name);
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
      load(full, max_len);
  }
  closedir(d);
}

/* One random edit of buf[0..*len) (capacity cap). */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap) {
  static const uint8_t special[] = {'\r', '\n', '-', ':', ';', '=', '"', ' ', '\t', 0, '0', 'f'};
  size_t n = *len, pos = below(n + 1), k;
  switch (below(6)) {
  case 0: /* flip a bit */
    if (n)
      buf[below(n)] ^= (uint8_t)(1u << below(8));
    break;
  case 1: /* insert a special byte */
  case 2:
    if (n < cap) {
      memmove(buf + pos + 1, buf + pos, n - pos);
      buf[pos] = special[below(sizeof special)];
      *len = n + 1;
    }
    break;
  case 3: /* delete a run */
    if (n) {
      pos = below(n);
      k = 1 + below(n - pos < 16 ? n - pos : 16);
      memmove(buf + pos, buf + pos + k, n - pos - k);
      *len = n - k;
    }
    break;
  case 4: /* duplicate a chunk of itself */
    if (n) {
      size_t from = below(n), cnt = 1 + below(n - from < 64 ? n - from : 64);
      if (n + cnt <= cap) {
        uint8_t tmp[64];
        memcpy(tmp, buf + from, cnt);
        memmove(buf + pos + cnt, buf + pos, n - pos);
        memcpy(buf + pos, tmp, cnt);
        *len = n + cnt;
      }
    }
    break;
  default: /* splice in a chunk of another input */
    if (ncorpus) {
      const input *o = &corpus[below(ncorpus)];
      size_t from = below(o->len),
             cnt = o->len ? 1 + below(o->len - from < 256 ? o->len - from : 256) : 0;
      if (cnt && n + cnt <= cap) {
        memmove(buf + pos + cnt, buf + pos, n - pos);
        memcpy(buf + pos, o->data + from, cnt);
        *len = n + cnt;
      }
    }
    break;
  }
}

int main(int argc, char **argv) {
  unsigned long runs = 0, i, seed = 1;
  size_t max_len = 1 << 20, cap, replayed = 0;
  uint8_t *buf;
  int a;
  for (a = 1; a < argc; a++) {
    if (strncmp(argv[a], "-runs=", 6) == 0)
      runs = strtoul(argv[a] + 6, NULL, 10);
    else if (strncmp(argv[a], "-seed=", 6) == 0)
      seed = strtoul(argv[a] + 6, NULL, 10);
    else if (strncmp(argv[a], "-max_len=", 9) == 0)
      max_len = (size_t)strtoul(argv[a] + 9, NULL, 10);
  }
  rng ^= (uint64_t)seed * 0x100000001b3u;
  for (a = 1; a < argc; a++)
    if (argv[a][0] != '-')
      load_path(argv[a], max_len);
  for (i = 0; i < ncorpus; i++, replayed++)
    LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].len);
  cap = max_len + 64;
  buf = malloc(cap);
  if (!buf)
    return 2;
  for (i = 0; i < runs; i++) {
    size_t len, edits, e;
    if (ncorpus) {
      const input *src = &corpus[below(ncorpus)];
      len = src->len < max_len ? src->len : max_len;
      memcpy(buf, src->data, len);
    } else {
      size_t j;
      len = below(256);
      for (j = 0; j < len; j++)
        buf[j] = (uint8_t)next_rand();
    }
    edits = 1 + below(8);
    for (e = 0; e < edits; e++)
      mutate_once(buf, &len, max_len);
    LLVMFuzzerTestOneInput(buf, len);
  }
  printf("fuzz_main: %zu inputs replayed, %lu mutated inputs run (seed %lu)\n", replayed, runs,
         seed);
  free(buf);
  for (i = 0; i < ncorpus; i++)
    free(corpus[i].data);
  free(corpus);
  return 0;
}
