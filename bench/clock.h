/*
 * clock.h - the two clocks every bench/ client reports: wall time and CPU time (user + system)
 * of its request loop, the contract of ../shared/bench/run.sh ("seconds=S cpu=S").
 */
#ifndef AZ_BENCH_CLOCK_H
#define AZ_BENCH_CLOCK_H

#include <sys/resource.h>
#include <time.h>

/** @brief Monotonic wall-clock seconds. */
static inline double bench_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** @brief CPU seconds (user + system) the process has used. */
static inline double bench_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

#endif
