// Roofline ceilings of this machine for Benchmarks/compare.py: the peak rate of vector fused
// multiply-adds and the memory bandwidth, each on 1 and on N threads. Prints one JSON object.
//   cc -O2 -march=native -pthread Benchmarks/roofline.c -o roofline && ./roofline [threads]
// The FMA loop keeps 12 independent accumulators (more than latency × throughput needs on Zen 3,
// Skylake or Ice Lake), so it measures throughput; the bandwidth loops stream arrays of 64 MiB each,
// far beyond any last-level cache. The one-thread figures divide by the thread's own CPU time, so
// that other processes on a busy machine do not lower them; the N-thread ones by wall-clock time.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__AVX512F__)
typedef float vec __attribute__((vector_size(64)));
#define ISA "avx512f"
#elif defined(__AVX__)
typedef float vec __attribute__((vector_size(32)));
#define ISA "avx2"
#else
typedef float vec __attribute__((vector_size(16)));
#define ISA "sse"
#endif
#define LANES (int)(sizeof(vec) / sizeof(float))

static double clock_seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

enum { ACCUMULATORS = 12 };
static const long FMA_ITERATIONS = 100000000;

static void *fma_worker(void *out) {
  // Twelve named accumulators: an array would be kept in memory by some compilers at -O2.
  vec a0 = {0}, a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7,
      a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11;
  vec m = (vec){0} + 0.999999f, c = (vec){0} + 1e-7f;
  for (long n = 0; n < FMA_ITERATIONS; n++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
    a8 = a8 * m + c; a9 = a9 * m + c; a10 = a10 * m + c; a11 = a11 * m + c;
    __asm__ volatile("" : "+x"(m));  // keeps the loop from being folded
  }
  vec sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
  float total = 0;
  for (int l = 0; l < LANES; l++) total += sum[l];
  *(float *)out = total;
  return NULL;
}

static const size_t FLOATS = (size_t)16 << 20;  // 64 MiB per array
typedef struct {
  float *a, *b, *c;
  int kind;  // 0 read (sum), 1 triad a = b + s·c
  double sink;
} stream_job;

static void *stream_worker(void *p) {
  stream_job *job = p;
  if (job->kind == 0) {
    vec s0 = {0}, s1 = {0};
    for (size_t i = 0; i < FLOATS; i += 2 * LANES) {
      vec x, y;
      memcpy(&x, job->a + i, sizeof x);
      memcpy(&y, job->a + i + LANES, sizeof y);
      s0 += x;
      s1 += y;
    }
    job->sink = s0[0] + s1[0];
  } else {
    for (size_t i = 0; i < FLOATS; i++) job->a[i] = job->b[i] + 0.5f * job->c[i];
    job->sink = job->a[FLOATS / 2];
  }
  return NULL;
}

// CPU seconds of `body` on this thread, best of `repeats`.
static double cpu_timed(void *(*body)(void *), void *argument, int repeats) {
  double best = 1e30;
  for (int r = 0; r < repeats; r++) {
    double start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    body(argument);
    double elapsed = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start;
    if (elapsed < best) best = elapsed;
  }
  return best;
}

// Seconds for `threads` workers to run `body` once each, best of `repeats`.
static double timed(int threads, void *(*body)(void *), void **arguments, int repeats) {
  double best = 1e30;
  for (int r = 0; r < repeats; r++) {
    pthread_t ids[64];
    double start = now();
    for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, body, arguments[t]);
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double elapsed = now() - start;
    if (elapsed < best) best = elapsed;
  }
  return best;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || threads > 64) threads = 2;
  float sinks[64];
  void *fma_arguments[64];
  for (int t = 0; t < 64; t++) fma_arguments[t] = &sinks[t];
  double flops_per_worker = 2.0 * ACCUMULATORS * LANES * (double)FMA_ITERATIONS;
  double fma1 = flops_per_worker / cpu_timed(fma_worker, fma_arguments[0], 3) / 1e9;
  double fman = threads * flops_per_worker / timed(threads, fma_worker, fma_arguments, 3) / 1e9;

  stream_job jobs[64];
  void *stream_arguments[64];
  for (int t = 0; t < threads; t++) {
    jobs[t].a = malloc(FLOATS * sizeof(float));
    jobs[t].b = malloc(FLOATS * sizeof(float));
    jobs[t].c = malloc(FLOATS * sizeof(float));
    for (size_t i = 0; i < FLOATS; i++) jobs[t].a[i] = jobs[t].b[i] = jobs[t].c[i] = 1;
    stream_arguments[t] = &jobs[t];
  }
  double bytes = FLOATS * sizeof(float);
  double read1, readn, triad1, triadn;
  for (int t = 0; t < threads; t++) jobs[t].kind = 0;
  read1 = bytes / cpu_timed(stream_worker, stream_arguments[0], 5) / 1e9;
  readn = threads * bytes / timed(threads, stream_worker, stream_arguments, 5) / 1e9;
  for (int t = 0; t < threads; t++) jobs[t].kind = 1;
  // Triad moves three arrays (the write also reads the line first on most CPUs: counted as 3).
  triad1 = 3 * bytes / cpu_timed(stream_worker, stream_arguments[0], 5) / 1e9;
  triadn = threads * 3 * bytes / timed(threads, stream_worker, stream_arguments, 5) / 1e9;
  printf("{\"isa\": \"%s\", \"threads\": %d, \"fma_gflops_1_thread\": %.1f, \"fma_gflops\": %.1f, "
         "\"read_gbytes_1_thread\": %.1f, \"read_gbytes\": %.1f, \"triad_gbytes_1_thread\": %.1f, "
         "\"triad_gbytes\": %.1f}\n",
         ISA, threads, fma1, fman, read1, readn, triad1, triadn);
  return 0;
}
