#include "depthwise_flat.h"

#include "depthwise_flat_table.h"
#include "kernel_arithmetic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));
typedef int32_t v16iu __attribute__((vector_size(64), aligned(4)));

// The portable variant passes 16-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

static size_t nnc_flat_round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The geometry's grid and packing, or 0 when the flat kernels do not run it.
static int nnc_flat_geometry(const nnc_depthwise_shape *g, int *packed, int *vectors) {
  const int s = g->stride_h, taps = g->kernel_height * g->kernel_width;
  if (s != g->stride_w || (s != 1 && s != 2) || taps < 1 || taps > NNC_FLAT_MAX_TAPS) return 0;
  if (g->out_height < 1 || g->out_width < 1) return 0;
  if (g->in_height != s * g->out_height || g->in_width != s * g->out_width) return 0;
  const long grid = (long)g->out_height * g->out_width;
  if (grid > (1L << 24)) return 0;
  *packed = grid <= NNC_FLAT_LANES && NNC_FLAT_LANES % grid == 0 ? (int)(NNC_FLAT_LANES / grid) : 0;
  *vectors = *packed ? 1 : (int)((grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES);
  return 1;
}

size_t nnc_depthwise_flat_table_bytes(const nnc_depthwise_shape *g) {
  int packed, vectors;
  if (!nnc_flat_geometry(g, &packed, &vectors)) return 0;
  const size_t index = (size_t)vectors * (packed ? g->kernel_height * g->kernel_width : g->kernel_width);
  return nnc_flat_round64(sizeof(nnc_flat_table)) + 2 * nnc_flat_round64(index) +
         (size_t)NNC_FLAT_MAX_MASKS * NNC_FLAT_LANES * sizeof(int32_t);
}

int nnc_depthwise_flat_table(const nnc_depthwise_shape *g, void *memory) {
  int packed, vectors;
  if (!nnc_flat_geometry(g, &packed, &vectors)) return 0;
  nnc_flat_table *t = memory;
  memset(t, 0, sizeof *t);
  const int s = g->stride_h, taps = g->kernel_height * g->kernel_width;
  const int gh = g->out_height, gw = g->out_width, grid = gh * gw;
  t->taps = taps, t->stride = s, t->grid_w = gw, t->grid = grid;
  t->in_height = g->in_height, t->in_width = g->in_width, t->in_plane = g->in_height * g->in_width;
  t->packed = packed, t->vectors = vectors;
  // Tap (ki, kj) of output (oy, ox) reads input row oy·s + r with r = ki·dh − pad_top: phase row
  // a = r mod s of the phase plane, at row oy + floor(r / s) of that plane (and so for columns).
  int row_shift[NNC_FLAT_MAX_TAPS], column_shift[NNC_FLAT_MAX_TAPS], widest = 0;
  for (int ki = 0; ki < g->kernel_height; ki++) {
    for (int kj = 0; kj < g->kernel_width; kj++) {
      const int tap = ki * g->kernel_width + kj;
      const int r = ki * g->dilation_h - g->pad_top, c = kj * g->dilation_w - g->pad_left;
      const int ry = nnc_floor_div(r, s), rx = nnc_floor_div(c, s);
      row_shift[tap] = ry, column_shift[tap] = rx;
      t->source[tap] = (r - ry * s) * s + (c - rx * s);
      t->offset[tap] = ry * gw + rx;
      widest = nnc_max(widest, abs(t->offset[tap]));
      const int phase = t->source[tap];
      t->phase_tap[phase][t->phase_taps[phase]++] = tap;
    }
  }
  t->standard = g->kernel_height == 3 && g->kernel_width == 3 && g->dilation_h == 1 && g->dilation_w == 1 &&
                g->pad_top == 1 && g->pad_left == 1;
  if (t->standard && gw == gh) {
    if (s == 1 && gw == 2) t->registers = NNC_FLAT_2X2;
    if (s == 1 && gw == 4) t->registers = NNC_FLAT_4X4;
    if (s == 1 && gw == 8) t->registers = NNC_FLAT_8X8;
    if (s == 2 && gw == 2) t->registers = NNC_FLAT_4X4_TO_2X2;
    if (s == 2 && gw == 4) t->registers = NNC_FLAT_8X8_TO_4X4;
  }
  if (t->standard && s == 1 && (gw == NNC_FLAT_LANES || gw == 2 * NNC_FLAT_LANES)) t->registers = NNC_FLAT_ROWS16;
  if (t->standard && s == 2 && gw == NNC_FLAT_LANES) t->registers = NNC_FLAT_HALVING32;
  if (t->standard && s == 2 && gw == NNC_FLAT_LANES / 2 && gh % 2 == 0) t->registers = NNC_FLAT_HALVING16;
  t->halo = (widest + NNC_FLAT_LANES) / NNC_FLAT_LANES * NNC_FLAT_LANES + NNC_FLAT_LANES;
  t->slots = packed ? taps : g->kernel_width;
  const size_t index = (size_t)vectors * t->slots;
  t->forward_index = nnc_flat_round64(sizeof(nnc_flat_table));
  t->adjoint_index = t->forward_index + nnc_flat_round64(index);
  t->mask_table = t->adjoint_index + nnc_flat_round64(index);
  uint8_t *forward = (uint8_t *)t + t->forward_index, *adjoint = (uint8_t *)t + t->adjoint_index;
  int32_t *masks = (int32_t *)((uint8_t *)t + t->mask_table);
  // Masks by their 16 lane bits; 0 marks bits not seen yet.
  uint8_t *seen = calloc(1u << NNC_FLAT_LANES, 1);
  if (!seen) abort();
  int ok = 1;
  for (int v = 0; v < vectors && ok; v++) {
    for (int slot = 0; slot < t->slots && ok; slot++) {
      const int tap = slot;  // packed: the tap; else the tap of column `slot` in the first row
      for (int direction = 0; direction < 2 && ok; direction++) {
        const int sign = direction == 0 ? 1 : -1;
        unsigned bits = 0;
        for (int lane = 0; lane < NNC_FLAT_LANES; lane++) {
          const int pixel = packed ? lane % grid : v * NNC_FLAT_LANES + lane;
          if (pixel >= grid) continue;
          const int y = pixel / gw + sign * row_shift[tap], x = pixel % gw + sign * column_shift[tap];
          if ((!packed || (y >= 0 && y < gh)) && x >= 0 && x < gw) bits |= 1u << lane;
        }
        if (!seen[bits]) {
          if (t->masks == NNC_FLAT_MAX_MASKS) {
            ok = 0;
            break;
          }
          seen[bits] = (uint8_t)(++t->masks);
          for (int lane = 0; lane < NNC_FLAT_LANES; lane++)
            masks[(seen[bits] - 1) * NNC_FLAT_LANES + lane] = (bits >> lane) & 1 ? -1 : 0;
        }
        (direction == 0 ? forward : adjoint)[(size_t)v * t->slots + slot] = (uint8_t)(seen[bits] - 1);
      }
    }
  }
  free(seen);
  return ok;
}

void nnc_depthwise_flat_use_registers(void *table, int enabled) {
  nnc_flat_table *t = table;
  if (!enabled) t->registers = NNC_FLAT_GENERAL;
}

int nnc_depthwise_flat_uses_registers(const void *table) {
  const nnc_flat_table *t = table;
  return t->registers != NNC_FLAT_GENERAL;
}

int nnc_depthwise_flat_channel_quantum(const void *table) {
  const nnc_flat_table *t = table;
  return t->packed ? t->packed : 1;
}

// Whether the kernels read expanded weights: packed planes, except the register variants' planes of
// 16 pixels (one a vector), which splat the kernel's values.
static int nnc_flat_expands(const nnc_flat_table *t) {
  return t->packed && !(t->registers != NNC_FLAT_GENERAL && t->grid == NNC_FLAT_LANES);
}

size_t nnc_depthwise_flat_expanded_floats(const void *table, int channels) {
  const nnc_flat_table *t = table;
  if (!nnc_flat_expands(t)) return 0;
  const size_t vectors = ((size_t)channels * t->grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES;
  return vectors * (t->taps + 1) * NNC_FLAT_LANES;
}

void nnc_depthwise_flat_expand(const void *table, const float *kernels, const float *biases, int channels,
                               float *expanded) {
  const nnc_flat_table *t = table;
  if (!nnc_flat_expands(t)) return;
  const int grid = t->grid, per = NNC_FLAT_LANES / grid, taps = t->taps;
  const int vectors = (channels * grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES;
  // Each float written once (lanes past the last channel 0): this runs on every call of a layer.
  for (int v = 0; v < vectors; v++) {
    float *out = expanded + (size_t)v * (taps + 1) * NNC_FLAT_LANES;
    for (int g = 0; g < per; g++) {
      const int c = v * per + g;
      for (int tap = 0; tap <= taps; tap++) {
        // 0 + bias, as the per-plane kernels start (−0 becomes +0).
        const float value = c >= channels ? 0 : tap < taps ? kernels[c * taps + tap] : 0.0f + (biases ? biases[c] : 0);
        float *lanes = out + tap * NNC_FLAT_LANES + g * grid;
        if (grid == NNC_FLAT_LANES)
          *(v16u *)lanes = (v16){value, value, value, value, value, value, value, value,
                                 value, value, value, value, value, value, value, value};
        else if (grid == 4)
          *(v4u *)lanes = (v4){value, value, value, value};
        else
          for (int lane = 0; lane < grid; lane++) lanes[lane] = value;
      }
    }
  }
}

// The floats of a call's scratch (`FN(scratch)` lays it out) and, for a backward pass over packed
// planes, of its accumulators after it, each a whole number of 64-byte lines.
static size_t nnc_flat_scratch_floats(const nnc_flat_table *t, int vectors, int with_grads) {
  const int sources = t->stride * t->stride;
  const size_t body = (size_t)vectors * NNC_FLAT_LANES, span = t->halo + body + t->halo;
  const size_t floats = span * (sources + (with_grads ? 1 : 0)) + (with_grads && t->stride == 2 ? 4 * body : 0);
  return nnc_flat_round64(floats * sizeof(float)) / sizeof(float);
}

static size_t nnc_flat_accumulator_floats(const nnc_flat_table *t, int vectors, int with_grads) {
  return with_grads && t->packed ? (size_t)vectors * t->taps * NNC_FLAT_LANES : 0;
}

static int nnc_flat_call_vectors(const nnc_flat_table *t, int planes) {
  return t->packed ? (planes * t->grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES : t->vectors;
}

size_t nnc_depthwise_flat_work_floats(const void *table, int planes, int with_gradients) {
  const nnc_flat_table *t = table;
  const int vectors = nnc_flat_call_vectors(t, planes);
  return nnc_flat_scratch_floats(t, vectors, with_gradients) + nnc_flat_accumulator_floats(t, vectors, with_gradients) +
         NNC_FLAT_LANES;
}

// The call's work area, zeroed from float `zeroed_from` on: `work` aligned up to 64 bytes, or
// (NULL) one allocated for the call, which `*owned` then holds for the caller to free.
static float *nnc_flat_work(float *work, size_t floats, size_t zeroed_from, float **owned) {
  float *p = work;
  if (p) {
    p = (float *)(((uintptr_t)p + 63) / 64 * 64);
    *owned = NULL;
  } else {
    p = aligned_alloc(64, nnc_flat_round64(floats * sizeof(float)));
    if (!p) abort();
    *owned = p;
  }
  memset(p + zeroed_from, 0, (floats - zeroed_from) * sizeof(float));
  return p;
}

#define NNC_VARIANT_BODY "depthwise_flat_body.h"
#include "isa_variants.h"


void nnc_depthwise_flat_forward(int isa, const void *table, const float *input, const float *kernels,
                                const float *biases, const float *expanded, int planes, int samples,
                                long input_sample_stride, long output_sample_stride, float *output, float *work) {
  if (planes < 0 || samples < 0) abort();
  const nnc_flat_table *t = table;
  // The register variants read the tensor in place: no scratch to prepare.
  float *owned = NULL;
  float *area = t->registers != NNC_FLAT_GENERAL
                    ? NULL
                    : nnc_flat_work(work, nnc_flat_scratch_floats(t, nnc_flat_call_vectors(t, planes), 0), 0, &owned);
  NNC_VARIANT_CALL(isa, flat_forward, table, input, kernels, biases, expanded, planes, samples, input_sample_stride,
                    output_sample_stride, output, area);
  free(owned);
}

void nnc_depthwise_flat_backward(int isa, const void *table, const float *input, const float *grad_output,
                                 const float *kernels, const float *expanded, int planes, int samples,
                                 long input_sample_stride, long grad_output_sample_stride, float *grad_input,
                                 float *sums, float *work) {
  if (planes < 0 || samples < 0) abort();
  const int vectors = nnc_flat_call_vectors(table, planes);
  const size_t scratch = nnc_flat_scratch_floats(table, vectors, 1);
  const size_t floats = scratch + nnc_flat_accumulator_floats(table, vectors, 1);
  // The register variants use only the packed planes' tap sums after the scratch.
  const int registers = ((const nnc_flat_table *)table)->registers != NNC_FLAT_GENERAL;
  float *owned;
  float *area = nnc_flat_work(work, floats, registers ? scratch : 0, &owned);
  NNC_VARIANT_CALL(isa, flat_backward, table, input, grad_output, kernels, expanded, planes, samples,
                    input_sample_stride, grad_output_sample_stride, grad_input, sums, area);
  free(owned);
}
