// The Winograd F(4x4, 3x3) tile transforms (`winograd4x4.c`), written once over 8-float vectors and
// included once per instruction set: NNC_ISA names the variant. Not a public header: it defines
// functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)

// Bᵀ z for six entries (`Winograd4x4Conv2D.inputStep`).
static inline __attribute__((always_inline)) void FN(input_step)(const nnc_lanes8 z[6], nnc_lanes8 out[6]) {
  const nnc_lanes8 sum12 = z[1] + z[2], sum34 = z[3] + z[4];
  const nnc_lanes8 difference12 = z[1] - z[2], difference43 = z[4] - z[3];
  const nnc_lanes8 difference42 = z[4] - z[2], difference31 = z[3] - z[1];
  out[0] = z[0] * 4 - z[2] * 5 + z[4];
  out[1] = sum34 - sum12 * 4;
  out[2] = difference43 + difference12 * 4;
  out[3] = difference42 + difference31 * 2;
  out[4] = difference42 - difference31 * 2;
  out[5] = z[1] * 4 - z[3] * 5 + z[5];
}

// Aᵀ m for six entries (`Winograd4x4Conv2D.outputStep`).
static inline __attribute__((always_inline)) void FN(output_step)(const nnc_lanes8 m[6], nnc_lanes8 out[4]) {
  const nnc_lanes8 sum12 = m[1] + m[2], difference12 = m[1] - m[2];
  const nnc_lanes8 sum34 = m[3] + m[4], difference34 = m[3] - m[4];
  out[0] = m[0] + sum12 + sum34;
  out[1] = difference12 + difference34 * 2;
  out[2] = sum12 + sum34 * 4;
  out[3] = difference12 + difference34 * 8 + m[5];
}

static void FN(input_tiles)(const float *planes, const long *offsets, int columns, long padded_width, float *out,
                            long stride) {
  for (int tile = 0; tile < columns; tile += 8) {
    // d[6r + j]: entry (r, j) of the eight patches, from row r of each as one load.
    nnc_lanes8 d[6][8];
    for (int r = 0; r < 6; r++) {
      for (int l = 0; l < 8; l++) d[r][l] = *(const nnc_lanes8 *)(planes + offsets[tile + l] + r * padded_width);
      nnc_transpose8x8(d[r]);
    }
    nnc_lanes8 c[6][6];
    for (int j = 0; j < 6; j++) {
      const nnc_lanes8 z[6] = {d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]};
      FN(input_step)(z, c[j]);
    }
    for (int i = 0; i < 6; i++) {
      const nnc_lanes8 t[6] = {c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i]};
      nnc_lanes8 v[6];
      FN(input_step)(t, v);
      for (int k = 0; k < 6; k++) *(nnc_lanes8 *)(out + (6 * i + k) * stride + tile) = v[k];
    }
  }
}

static void FN(output_tiles)(const float *m, long stride, int tiles, const nnc_winograd_placement *placements,
                             long out_width, float *output) {
  for (int tile = 0; tile < tiles; tile += 8) {
    nnc_lanes8 c[6][4];
    for (int j = 0; j < 6; j++) {
      nnc_lanes8 e[6];
      for (int r = 0; r < 6; r++) e[r] = *(const nnc_lanes8 *)(m + (6 * r + j) * stride + tile);
      FN(output_step)(e, c[j]);
    }
    // y[4a + b]: output (a, b) of the eight tiles; transposed, y[l] holds tile l's rows 0 and 1 and
    // y[8 + l] its rows 2 and 3.
    nnc_lanes8 y[16];
    for (int a = 0; a < 4; a++) {
      const nnc_lanes8 t[6] = {c[0][a], c[1][a], c[2][a], c[3][a], c[4][a], c[5][a]};
      FN(output_step)(t, y + 4 * a);
    }
    nnc_transpose8x8(y);
    nnc_transpose8x8(y + 8);
    const int count = tiles - tile < 8 ? tiles - tile : 8;
    for (int l = 0; l < count; l++) {
      const nnc_winograd_placement p = placements[tile + l];
      float *target = output + p.offset;
      float values[16];
      *(nnc_lanes8 *)values = y[l];
      *(nnc_lanes8 *)(values + 8) = y[8 + l];
      if (p.rows == 4 && p.width == 4) {
        for (int a = 0; a < 4; a++) memcpy(target + a * out_width, values + 4 * a, 4 * sizeof(float));
      } else {
        for (int a = 0; a < p.rows; a++)
          for (int b = 0; b < p.width; b++) target[a * out_width + b] = values[4 * a + b];
      }
    }
  }
}

#undef FN
#undef NNC_CAT
#undef NNC_CAT2
