/*
 * curl_headers.c - a second raw-libcurl anchor: sequential keep-alive GETs on one easy handle
 * that send the headers azure-core's default pipeline sends (a fresh x-ms-client-request-id,
 * User-Agent, Accept-Encoding). libcurl 7.88 formats request headers at roughly 100
 * instructions per byte, so this is the floor for any client that sends them through libcurl;
 * the ratio to it isolates the pipeline's own cost.
 *   curl_headers URL COUNT   ->   requests=N seconds=S cpu=S bytes=B errors=E
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

static long long total_bytes;

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  total_bytes += (long long)(size * n);
  return size * n;
}

int main(int argc, char **argv) {
  CURL *e;
  long i, n, errors = 0, code;
  double t0, c0;
  unsigned long long x = 0x9E3779B97F4A7C15ULL;
  if (argc < 3) {
    fprintf(stderr, "usage: curl_headers URL COUNT\n");
    return 2;
  }
  n = atol(argv[2]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, argv[1]);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  t0 = bench_wall();
  c0 = bench_cpu();
  for (i = 0; i < n; i++) {
    char id[80];
    struct curl_slist *l = NULL;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    snprintf(id, sizeof id, "x-ms-client-request-id: %08llx-%04llx-4%03llx-8%03llx-%012llx",
             x & 0xffffffffULL, (x >> 32) & 0xffffULL, (x >> 20) & 0xfffULL, (x >> 8) & 0xfffULL,
             (x * 2654435761ULL) & 0xffffffffffffULL);
    l = curl_slist_append(l, id);
    l = curl_slist_append(l, "User-Agent: azsdk-lua-core/0.1.0 Lua/5.4 (Linux-x86_64)");
    l = curl_slist_append(l, "Accept-Encoding: gzip, deflate, br, zstd");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
    if (curl_easy_perform(e) != CURLE_OK ||
        (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code), code != 200))
      errors++;
    curl_slist_free_all(l);
  }
  printf("requests=%ld seconds=%.6f cpu=%.6f bytes=%lld errors=%ld\n", n, bench_wall() - t0,
         bench_cpu() - c0, total_bytes, errors);
  curl_easy_cleanup(e);
  return errors ? 1 : 0;
}
