/*
 * ctest.h - a minimal C unit-test harness for spec/c. Each test_*.c defines test functions,
 * lists them in main() with CTEST_RUN, and ends with CTEST_END. Each binary prints
 * "ctest <file>: N passed, N failed" (spec/support/run_tests.sh sums those lines).
 */
#ifndef CTEST_H
#define CTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ctest_passed, ctest_failed, ctest_cur_failed;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                   \
      ctest_cur_failed = 1;                                                                        \
    }                                                                                              \
  } while (0)

#define CHECK_STR(got, want)                                                                       \
  do {                                                                                             \
    const char *g_ = (got), *w_ = (want);                                                          \
    if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                                       \
      fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,                    \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                             \
      ctest_cur_failed = 1;                                                                        \
    }                                                                                              \
  } while (0)

#define CHECK_INT(got, want)                                                                       \
  do {                                                                                             \
    long long g_ = (long long)(got), w_ = (long long)(want);                                       \
    if (g_ != w_) {                                                                                \
      fprintf(stderr, "  %s:%d: got %lld, want %lld (%s)\n", __FILE__, __LINE__, g_, w_, #got);   \
      ctest_cur_failed = 1;                                                                        \
    }                                                                                              \
  } while (0)

#define CTEST_RUN(fn)                                                                              \
  do {                                                                                             \
    ctest_cur_failed = 0;                                                                          \
    fn();                                                                                          \
    if (ctest_cur_failed) {                                                                        \
      fprintf(stderr, "FAIL %s\n", #fn);                                                           \
      ctest_failed++;                                                                              \
    } else {                                                                                       \
      ctest_passed++;                                                                              \
    }                                                                                              \
  } while (0)

#define CTEST_END()                                                                                \
  do {                                                                                             \
    printf("ctest %s: %d passed, %d failed\n", __FILE__, ctest_passed, ctest_failed);              \
    return ctest_failed ? 1 : 0;                                                                   \
  } while (0)

#endif
