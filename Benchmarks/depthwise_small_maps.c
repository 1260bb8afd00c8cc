// The small-map depthwise kernels (Sources/CKernels/depthwise_small_maps.c) against the flat kernels
// they replace, on MobileNetV2's smallest 3x3 maps at 64x64 input, batch 32, each called as
// DepthwiseConv2D calls it: the flat kernels a sixteenth of the channels over the whole batch, the
// small-map kernels groups of 4 samples over all channels. Two settings: one thread with the data
// in cache (best of 200 runs of the thread's CPU time), and two threads with the data out of cache
// (40 copies of the tensors taken in turn, mean wall time of 200 runs: what a training step sees
// when the layer's input was written long before). Also checks that the output and the input
// gradient are the same bits. Clang, as SwiftPM builds the kernels:
//   clang -O2 -pthread -I Sources/CKernels/include Benchmarks/depthwise_small_maps.c \
//     Sources/CKernels/depthwise_small_maps.c Sources/CKernels/depthwise_flat.c Sources/CKernels/depthwise.c \
//     -o depthwise_small_maps && ./depthwise_small_maps [portable|avx2|avx512]
#include "depthwise.h"
#include "depthwise_flat.h"
#include "depthwise_small_maps.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BATCH = 32, GROUP = 4, COPIES = 40, RUNS = 200 };

static double clock_seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float uniform(void) { return (float)rand() / (float)RAND_MAX - 0.5f; }

static void *aligned(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

typedef struct {
  nnc_depthwise_shape shape;
  void *table;
  int isa, channels, small, backward;
  long in_plane, out_plane, in_stride, out_stride;
  float *kernels, *expanded, *lanes;
  float *in[COPIES], *dy[COPIES], *out[COPIES], *dx[COPIES];
} layer;

typedef struct {
  const layer *L;
  int part, parts, copy;
  float *sums, *work;
  pthread_barrier_t *barrier;
  double seconds;
} worker;

// Part `part` of `parts` of one pass over copy `copy`, tasks as DepthwiseConv2D makes them.
static void pass(const layer *L, int part, int parts, int copy, float *sums, float *work) {
  const int c = copy;
  if (L->small) {
    for (int n = GROUP * part; n < BATCH; n += GROUP * parts) {
      const float *in = L->in[c] + n * L->in_stride;
      if (L->backward)
        nnc_depthwise_small_maps_backward(L->isa, &L->shape, in, L->dy[c] + n * L->out_stride, L->lanes, L->channels,
                                          GROUP, L->in_stride, L->out_stride, L->dx[c] + n * L->in_stride, sums);
      else
        nnc_depthwise_small_maps_forward(L->isa, &L->shape, in, L->lanes, NULL, L->channels, GROUP, L->in_stride,
                                         L->out_stride, L->out[c] + n * L->out_stride);
    }
    return;
  }
  const int quantum = nnc_depthwise_flat_channel_quantum(L->table);
  const int block = (L->channels / 16 + quantum - 1) / quantum * quantum;
  for (int first = block * part; first < L->channels; first += block * parts) {
    const int count = L->channels - first < block ? L->channels - first : block;
    const float *lanes = L->expanded ? L->expanded + nnc_depthwise_flat_expanded_floats(L->table, first) : NULL;
    const float *in = L->in[c] + first * L->in_plane;
    if (L->backward)
      nnc_depthwise_flat_backward(L->isa, L->table, in, L->dy[c] + first * L->out_plane, L->kernels + 9 * first,
                                  lanes, count, BATCH, L->in_stride, L->out_stride, L->dx[c] + first * L->in_plane,
                                  sums + 9 * first, work);
    else
      nnc_depthwise_flat_forward(L->isa, L->table, in, L->kernels + 9 * first, NULL, lanes, count, BATCH,
                                 L->in_stride, L->out_stride, L->out[c] + first * L->out_plane, work);
  }
}

static void *run_worker(void *argument) {
  worker *w = argument;
  double total = 0;
  for (int r = 0; r < RUNS + COPIES; r++) {
    pthread_barrier_wait(w->barrier);
    const double start = clock_seconds(CLOCK_MONOTONIC);
    pass(w->L, w->part, w->parts, r % COPIES, w->sums, w->work);
    pthread_barrier_wait(w->barrier);
    if (r >= COPIES) total += clock_seconds(CLOCK_MONOTONIC) - start;
  }
  w->seconds = total / RUNS;
  return NULL;
}

// Microseconds of one pass: one thread in cache (best CPU time), and two threads out of cache.
static void time_layer(const layer *L, double *in_cache, double *two_threads) {
  float *sums[2], *work[2];
  for (int t = 0; t < 2; t++) {
    sums[t] = aligned(sizeof(float) * (size_t)nnc_depthwise_small_maps_sum_floats(L->channels) + 64 * 9);
    work[t] = malloc(sizeof(float) * nnc_depthwise_flat_work_floats(L->table, L->channels, 1) + 64);
  }
  double best = 1e9;
  for (int r = 0; r < RUNS; r++) {
    const double start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    pass(L, 0, 1, 0, sums[0], work[0]);
    const double seconds = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start;
    if (seconds < best) best = seconds;
  }
  *in_cache = best * 1e6;
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  worker workers[2];
  pthread_t threads[2];
  for (int t = 0; t < 2; t++) {
    workers[t] = (worker){L, t, 2, 0, sums[t], work[t], &barrier, 0};
    pthread_create(&threads[t], NULL, run_worker, &workers[t]);
  }
  for (int t = 0; t < 2; t++) pthread_join(threads[t], NULL);
  pthread_barrier_destroy(&barrier);
  *two_threads = workers[0].seconds * 1e6;
  for (int t = 0; t < 2; t++) free(sums[t]), free(work[t]);
}

int main(int argc, char **argv) {
  int isa = nnc_depthwise_avx512_available() ? NNC_DEPTHWISE_AVX512
            : nnc_depthwise_avx2_available() ? NNC_DEPTHWISE_AVX2
                                             : NNC_DEPTHWISE_PORTABLE;
  if (argc > 1) isa = !strcmp(argv[1], "portable") ? NNC_DEPTHWISE_PORTABLE
                      : !strcmp(argv[1], "avx2")   ? NNC_DEPTHWISE_AVX2
                                                   : isa;
  const char *names[] = {"portable", "avx2", "avx512"};
  // Input size, stride and channels of MobileNetV2's small maps at 64x64 input.
  const int shapes[][3] = {{2, 1, 960}, {4, 1, 384}, {4, 1, 576}, {4, 2, 576}, {8, 2, 192}};
  printf("instruction set: %s; 3x3, padding 1, batch %d; microseconds a pass (GFLOP/s: 18 a tap sum forward, "
         "36 backward)\n",
         names[isa], BATCH);
  printf("%-13s %-8s %26s %26s\n", "shape", "pass", "one thread, in cache", "two threads, out of cache");
  printf("%-13s %-8s %13s %12s %13s %12s\n", "", "", "flat", "small maps", "flat", "small maps");
  int differ = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int size = shapes[s][0], stride = shapes[s][1], channels = shapes[s][2], out = size / stride;
    layer L = {{size, size, out, out, 3, 3, stride, stride, 1, 1, 1, 1}};
    L.isa = isa;
    L.channels = channels;
    L.in_plane = (long)size * size, L.out_plane = (long)out * out;
    L.in_stride = channels * L.in_plane, L.out_stride = channels * L.out_plane;
    L.table = aligned(nnc_depthwise_flat_table_bytes(&L.shape));
    if (!nnc_depthwise_flat_table(&L.shape, L.table) || !nnc_depthwise_small_maps_runs(&L.shape)) return 1;
    L.kernels = malloc(sizeof(float) * channels * 9);
    for (int i = 0; i < channels * 9; i++) L.kernels[i] = uniform();
    const size_t expanded = nnc_depthwise_flat_expanded_floats(L.table, channels);
    L.expanded = expanded ? aligned(sizeof(float) * expanded) : NULL;
    if (L.expanded) nnc_depthwise_flat_expand(L.table, L.kernels, NULL, channels, L.expanded);
    L.lanes = aligned(sizeof(float) * (size_t)nnc_depthwise_small_maps_weight_floats(&L.shape, channels));
    for (int c = 0; c < COPIES; c++) {
      L.in[c] = aligned(sizeof(float) * BATCH * L.in_stride), L.dx[c] = aligned(sizeof(float) * BATCH * L.in_stride);
      L.dy[c] = aligned(sizeof(float) * BATCH * L.out_stride), L.out[c] = aligned(sizeof(float) * BATCH * L.out_stride);
      for (long i = 0; i < BATCH * L.in_stride; i++) L.in[c][i] = uniform(), L.dx[c][i] = 0;
      for (long i = 0; i < BATCH * L.out_stride; i++) L.dy[c][i] = uniform(), L.out[c][i] = 0;
    }
    char shape[32];
    snprintf(shape, sizeof shape, "%dx%dx%d s%d", channels, out, out, stride);
    for (L.backward = 0; L.backward < 2; L.backward++) {
      nnc_depthwise_small_maps_weights(isa, &L.shape, L.kernels, channels, L.backward, L.lanes);
      double in_cache[2], two[2];
      float *results[2];
      const long floats = L.backward ? BATCH * L.in_stride : BATCH * L.out_stride;
      for (L.small = 0; L.small < 2; L.small++) {
        time_layer(&L, &in_cache[L.small], &two[L.small]);
        results[L.small] = malloc(sizeof(float) * floats);
        memcpy(results[L.small], L.backward ? L.dx[0] : L.out[0], sizeof(float) * floats);
      }
      const int same = !memcmp(results[0], results[1], sizeof(float) * floats);
      differ |= !same;
      const double flops = (L.backward ? 36.0 : 18.0) * BATCH * channels * L.out_plane / 1e3;
      printf("%-13s %-8s %6.1f (%4.1f) %5.1f (%4.1f) %6.1f (%4.1f) %5.1f (%4.1f)%s\n", shape,
             L.backward ? "backward" : "forward", in_cache[0], flops / in_cache[0], in_cache[1], flops / in_cache[1],
             two[0], flops / two[0], two[1], flops / two[1], same ? "" : "  RESULTS DIFFER");
      free(results[0]), free(results[1]);
    }
    for (int c = 0; c < COPIES; c++) free(L.in[c]), free(L.dx[c]), free(L.dy[c]), free(L.out[c]);
    free(L.kernels), free(L.expanded), free(L.lanes), free(L.table);
  }
  return differ;
}
