/// Convolution by Winograd's minimal filtering algorithm F(2x2, 3x3) (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016), for 3x3, stride-1, undilated, ungrouped
/// convolutions — the bulk of VGG, ResNet and the `cifar_cnn` spec.
///
/// Each 2x2 block of outputs (a tile) is computed from the 4x4 input patch under it:
/// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A summed over input channels. The element-wise product over the
/// 16 transformed positions ξ becomes 16 matrix products M[ξ] = U[ξ] V[ξ] with U[ξ] the transformed
/// weights [outChannels, inChannels] and V[ξ] the transformed input [inChannels, tiles]: 16 products
/// per tile instead of 36 for im2col, 2.25 times fewer multiply-adds.
///
/// The backward pass is the exact adjoint of that computation: dM = A dY Aᵀ, then
/// dU[ξ] = dM[ξ] V[ξ]ᵀ and dV[ξ] = U[ξ]ᵀ dM[ξ], then dg = Gᵀ dU G and dd = B dV Bᵀ summed over the
/// overlapping patches. It therefore costs 2.25 times fewer multiply-adds as well.
///
/// Layouts: U and dU are [16][outChannels][inChannels]; V, dV, M and dM are [16][channels][tiles]
/// for the tiles of a chunk of samples, so every ξ's product is one contiguous SGEMM. The 16
/// products of a chunk run in parallel, one thread each, so each product is computed by one thread
/// in a fixed order. The transforms vectorize over the tiles of a row on wide maps
/// (`WinogradTileTransforms.swift`) and over the samples of the chunk on narrow ones
/// (`WinogradBatchTransforms.swift`); `Tiling.lanesOverBatch` chooses.
enum WinogradConv2D {
  /// Aim for products this many tiles wide, within `chunkBudget` floats of transformed data.
  static let targetTiles = 256
  static let chunkBudget = 1 << 23

  /// The transformed positions ξ = 4i + j of a 4x4 tile.
  static let positions = 16

  /// Floats between the matrices of consecutive positions ξ when each holds `count`: two cache lines
  /// more than needed, so the 16 rows a transform writes (or reads) at once do not all fall in the
  /// same cache sets, as they would with a power-of-two distance such as 64 channels x 1024 tiles.
  static func positionStride(_ count: Int) -> Int { count + 32 }

  /// Channels below which im2col stays faster: with few channels the products are too small to
  /// pay for the transforms (measured on 32x32 maps, batch 64: im2col ahead at 8 channels, level at
  /// 16, 25 % behind at 32; an RGB input layer takes 1.7 times as long through Winograd).
  static let minimumChannels = 16

  /// M[ξ] = U[ξ] V[ξ] for each of `positions` transformed positions ξ: one single-threaded OpenBLAS
  /// product per position, the positions side by side, so each product is computed in one order
  /// whatever the thread count. Shared by F(2x2, 3x3) and F(4x4, 3x3).
  static func multiplyPositions(
    _ positions: Int, outChannels: Int, inChannels: Int, columns: Int, weight: UnsafePointer<Float>,
    weightStride: Int, input: UnsafePointer<Float>, inputStride: Int, product: UnsafeMutablePointer<Float>,
    productStride: Int, threads: Int = Parallel.threadCount
  ) {
    Parallel.forEach(positions, workPerItem: outChannels * inChannels * columns, threads: threads) {
      _, position in
      serialSGEMM(
        transposeA: false, transposeB: false, m: outChannels, n: columns, k: inChannels, alpha: 1,
        a: weight + position * weightStride, lda: inChannels, b: input + position * inputStride, ldb: columns,
        beta: 0, c: product + position * productStride, ldc: columns)
    }
  }

  /// True for the convolutions this kernel can compute: 3x3, stride 1, undilated, ungrouped.
  static func fits(_ g: Conv2DGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1
      && g.dilationW == 1 && g.groups == 1 && g.padTop >= 0 && g.padBottom >= 0 && g.padLeft >= 0
      && g.padRight >= 0
  }

  /// True for the convolutions `Conv2D` runs through this kernel: those it fits with enough input
  /// and output channels.
  static func applies(to g: Conv2DGeometry) -> Bool {
    fits(g) && min(g.inChannels, g.outChannels) >= minimumChannels
  }

  /// How a geometry's outputs are cut into 2x2 tiles and its batch into chunks.
  struct Tiling {
    var tilesHigh: Int
    var tilesWide: Int
    var samplesPerChunk: Int
    /// True when the transforms vectorize over the samples of a chunk (`transformInputOverBatch` and
    /// the others), at least 8 of them when the batch has them, rather than over the tiles of a row:
    /// always for rows under 16 tiles (two vectors), and for rows under 32 tiles when 8 samples' worth
    /// of transformed data fits `chunkBudget`. Measured on `cifar_cnn`, whose rows have 8 and 16
    /// tiles, the samples were faster for both (its 32x32 layer 60 against 66 ms a step): no tail, no
    /// even/odd split of the rows. Wider maps keep the rows, whose chunks stay small enough to cache.
    var lanesOverBatch: Bool

    var tilesPerSample: Int { tilesHigh * tilesWide }
    /// Floats of scratch each part of a transform's parallel loop works in: a padded plane split
    /// into even and odd columns, and eight rows of tile sums.
    /// With `lanesOverBatch`, the outputs (or their gradient) of a block of channels over the samples.
    func workspacePerPart(_ g: Conv2DGeometry) -> Int {
      lanesOverBatch
        ? WinogradConv2D.channelBlock * g.outHeight * g.outWidth * samplesPerChunk
        : 2 * paddedRows * halfRow + 8 * halfRow
    }
    /// Rows of the zero-padded input plane: each tile reads 4 rows, consecutive tiles overlap by 2.
    var paddedRows: Int { 2 * tilesHigh + 2 }
    /// Length of the even (and of the odd) half of a padded row.
    var halfRow: Int { tilesWide + 1 }

    init(_ g: Conv2DGeometry, targetTiles: Int) {
      tilesHigh = (g.outHeight + 1) / 2
      tilesWide = (g.outWidth + 1) / 2
      let perSample = tilesHigh * tilesWide
      var chunk = min(g.batch, max(1, (targetTiles + perSample - 1) / perSample))
      while chunk > 1 && positions * (g.inChannels + g.outChannels) * chunk * perSample > chunkBudget {
        chunk -= 1
      }
      let lanes = min(g.batch, 8)
      let lanesFit = positions * (g.inChannels + g.outChannels) * lanes * perSample <= chunkBudget
      lanesOverBatch = tilesWide < 16 || (tilesWide < 32 && lanesFit)
      samplesPerChunk = lanesOverBatch ? max(chunk, lanes) : max(1, chunk)
    }
  }

  /// Where the per-part workspaces start in the scratch: after U, dU and the largest chunk's V and M.
  static func workspaceOffset(_ g: Conv2DGeometry, _ tiling: Tiling) -> Int {
    let chunkTiles = tiling.samplesPerChunk * tiling.tilesPerSample
    return positions
      * (2 * positionStride(g.outChannels * g.inChannels) + positionStride(g.inChannels * chunkTiles)
        + positionStride(g.outChannels * chunkTiles))
  }

  /// Floats of the transformed weights U.
  static func transformedWeightCount(_ g: Conv2DGeometry) -> Int {
    positions * positionStride(g.outChannels * g.inChannels)
  }

  /// Float scratch `forward` and `backward` need: U and dU, then V and M for one chunk, then the
  /// staged input of `lanesOverBatch` tilings, then the transforms' per-part workspaces.
  static func scratchCount(_ g: Conv2DGeometry, targetTiles: Int = targetTiles) -> Int {
    let tiling = Tiling(g, targetTiles: targetTiles)
    return workspaceOffset(g, tiling) + partsOffset(g, tiling) + Parallel.maximumParts
      * tiling.workspacePerPart(g)
  }

  /// Where the per-part workspaces start after `workspaceOffset`: past the staged input, if any.
  static func partsOffset(_ g: Conv2DGeometry, _ tiling: Tiling) -> Int {
    tiling.lanesOverBatch ? stagingCount(g, tiling) : 0
  }

  // MARK: Transforms by layout

  static func transformInput(
    _ g: Conv2DGeometry, _ tiling: Tiling, input: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    if tiling.lanesOverBatch {
      transformInputOverBatch(
        g, tiling, input: input, samples: samples, into: transformed, workspace: workspace)
    } else {
      transformInputOverRows(
        g, tiling, input: input, samples: samples, into: transformed, workspace: workspace)
    }
  }

  static func transformInputGradient(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradient: UnsafePointer<Float>, samples: Int,
    into gradInput: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    if tiling.lanesOverBatch {
      transformInputGradientOverBatch(
        g, tiling, gradient: gradient, samples: samples, into: gradInput, workspace: workspace)
    } else {
      transformInputGradientOverRows(
        g, tiling, gradient: gradient, samples: samples, into: gradInput, workspace: workspace)
    }
  }

  static func transformOutput(
    _ g: Conv2DGeometry, _ tiling: Tiling, product: UnsafePointer<Float>, samples: Int,
    into output: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
    activation: ActivationKind, shortcut: UnsafePointer<Float>?, workspace: UnsafeMutablePointer<Float>
  ) {
    if tiling.lanesOverBatch {
      transformOutputOverBatch(
        g, tiling, product: product, samples: samples, into: output, scale: scale, bias: bias,
        activation: activation, shortcut: shortcut, workspace: workspace + partsOffset(g, tiling))
    } else {
      transformOutputOverRows(
        g, tiling, product: product, samples: samples, into: output, scale: scale, bias: bias,
        activation: activation, shortcut: shortcut, workspace: workspace)
    }
  }

  static func transformOutputGradient(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradOutput: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    if tiling.lanesOverBatch {
      transformOutputGradientOverBatch(
        g, tiling, gradOutput: gradOutput, samples: samples, into: transformed,
        workspace: workspace + partsOffset(g, tiling))
    } else {
      transformOutputGradientOverRows(
        g, tiling, gradOutput: gradOutput, samples: samples, into: transformed, workspace: workspace)
    }
  }

  /// output = activation(conv(input, weight) · channelScale + bias), as `Conv2D.forward`, plus a
  /// `shortcut` (NCHW like `output`, sharing no memory with it or the input) before the activation,
  /// linear or ReLU, when given: a residual addition fused in, in inference plans.
  static func forward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    activation: ActivationKind, keptWeight: UnsafeMutablePointer<Float>? = nil,
    channelScale: UnsafePointer<Float>? = nil, targetTiles: Int = targetTiles, weightIsPrepared: Bool = false,
    shortcut: UnsafePointer<Float>? = nil
  ) {
    precondition(!weightIsPrepared || keptWeight != nil, "prepared Winograd weights live in keptWeight")
    let tiling = Tiling(g, targetTiles: targetTiles)
    let (inChannels, outChannels) = (g.inChannels, g.outChannels)
    let workspace = scratch + workspaceOffset(g, tiling)
    let transformedWeight = keptWeight ?? scratch
    let weightStride = positionStride(outChannels * inChannels)
    let transformedInput = scratch + 2 * positions * weightStride
    if !weightIsPrepared {
      transformWeights(weight, outChannels: outChannels, inChannels: inChannels, into: transformedWeight)
    }
    let inSample = inChannels * g.inHeight * g.inWidth
    let outSample = outChannels * g.outHeight * g.outWidth
    var first = 0
    while first < g.batch {
      let samples = min(tiling.samplesPerChunk, g.batch - first)
      let tiles = samples * tiling.tilesPerSample
      let (inputStride, productStride) = (
        positionStride(inChannels * tiles), positionStride(outChannels * tiles)
      )
      let product = transformedInput + positions * inputStride
      transformInput(
        g, tiling, input: input + first * inSample, samples: samples, into: transformedInput,
        workspace: workspace)
      multiplyPositions(
        positions, outChannels: outChannels, inChannels: inChannels, columns: tiles,
        weight: transformedWeight, weightStride: weightStride, input: transformedInput,
        inputStride: inputStride,
        product: product, productStride: productStride)
      transformOutput(
        g, tiling, product: product, samples: samples, into: output + first * outSample,
        scale: channelScale, bias: bias, activation: activation,
        shortcut: shortcut.map { $0 + first * outSample }, workspace: workspace)
      first += samples
    }
  }

  /// Gradients of `forward` without activation, with `Conv2D.backward`'s contract: weight and bias
  /// gradients accumulate, the input gradient is overwritten, a nil gradient is skipped.
  static func backward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>, keptWeight: UnsafePointer<Float>? = nil,
    targetTiles: Int = targetTiles
  ) {
    let tiling = Tiling(g, targetTiles: targetTiles)
    let (inChannels, outChannels) = (g.inChannels, g.outChannels)
    let workspace = scratch + workspaceOffset(g, tiling)
    let weightStride = positionStride(outChannels * inChannels)
    let transformedWeightGradient = scratch + positions * weightStride
    let transformedInput = scratch + 2 * positions * weightStride
    // The transformed weights forward kept, or computed again.
    let transformedWeight = keptWeight ?? UnsafePointer(scratch)
    if gradInput != nil && keptWeight == nil {
      transformWeights(weight, outChannels: outChannels, inChannels: inChannels, into: scratch)
    }
    let inSample = inChannels * g.inHeight * g.inWidth
    let outSample = outChannels * g.outHeight * g.outWidth
    var first = 0
    while first < g.batch {
      let samples = min(tiling.samplesPerChunk, g.batch - first)
      let tiles = samples * tiling.tilesPerSample
      let (inputStride, productStride) = (
        positionStride(inChannels * tiles), positionStride(outChannels * tiles)
      )
      let productGradient = transformedInput + positions * inputStride
      transformOutputGradient(
        g, tiling, gradOutput: gradOutput + first * outSample, samples: samples, into: productGradient,
        workspace: workspace)
      if gradWeight != nil {
        transformInput(
          g, tiling, input: input + first * inSample, samples: samples, into: transformedInput,
          workspace: workspace)
        // The first chunk overwrites dU, later ones add to it, in batch order.
        let beta: Float = first == 0 ? 0 : 1
        Parallel.forEach(positions, workPerItem: outChannels * inChannels * tiles) { position in
          serialSGEMM(
            transposeA: false, transposeB: true, m: outChannels, n: inChannels, k: tiles, alpha: 1,
            a: productGradient + position * productStride, lda: tiles,
            b: transformedInput + position * inputStride, ldb: tiles, beta: beta,
            c: transformedWeightGradient + position * weightStride, ldc: inChannels)
        }
      }
      if let gradInput {
        // dV overwrites V, which the weight gradient no longer needs.
        Parallel.forEach(positions, workPerItem: outChannels * inChannels * tiles) { position in
          serialSGEMM(
            transposeA: true, transposeB: false, m: inChannels, n: tiles, k: outChannels, alpha: 1,
            a: transformedWeight + position * weightStride, lda: inChannels,
            b: productGradient + position * productStride, ldb: tiles, beta: 0,
            c: transformedInput + position * inputStride, ldc: tiles)
        }
        transformInputGradient(
          g, tiling, gradient: transformedInput, samples: samples, into: gradInput + first * inSample,
          workspace: workspace)
      }
      first += samples
    }
    if let gradWeight {
      accumulateWeightGradient(
        transformedWeightGradient, outChannels: outChannels, inChannels: inChannels, into: gradWeight)
    }
    if let gradBias {
      accumulateBiasGradient(
        gradOutput, batch: g.batch, channels: outChannels, plane: g.outHeight * g.outWidth,
        gradBias: gradBias)
    }
  }

  // MARK: Tile arithmetic shared by both layouts

  /// Y = Aᵀ M A for one tile: the 16 products `entry(ξ)` to the outputs (y00, y01, y10, y11). Aᵀ M
  /// down the rows i gives s0 = m0 + m1 + m2 and s1 = m1 − m2 − m3 per column j, then the same
  /// along the columns.
  @inline(__always)
  static func outputTile<L: FloatLanes>(_ entry: (Int) -> L) -> (L, L, L, L) {
    let (s00, s01, s02, s03) = (
      entry(0) + entry(4) + entry(8), entry(1) + entry(5) + entry(9),
      entry(2) + entry(6) + entry(10), entry(3) + entry(7) + entry(11)
    )
    let (s10, s11, s12, s13) = (
      entry(4) - entry(8) - entry(12), entry(5) - entry(9) - entry(13),
      entry(6) - entry(10) - entry(14), entry(7) - entry(11) - entry(15)
    )
    return (s00 + s01 + s02, s01 - s02 - s03, s10 + s11 + s12, s11 - s12 - s13)
  }

  /// dM = A dY Aᵀ for one tile, the adjoint of `outputTile`: the gradient [[a, b], [c, d]] of its
  /// outputs to the gradients of its 16 products, passed to `store(ξ, value)`. The rows of A dY are
  /// [a, b], [a + c, b + d], [a − c, b − d], [−c, −d]; each [p, q] becomes [p, p + q, p − q, −q].
  @inline(__always)
  static func outputGradientTile<L: FloatLanes>(
    _ a: L, _ b: L, _ c: L, _ d: L, _ store: (_ position: Int, _ value: L) -> Void
  ) {
    func row(_ i: Int, _ p: L, _ q: L) {
      store(4 * i, p)
      store(4 * i + 1, p + q)
      store(4 * i + 2, p - q)
      store(4 * i + 3, -q)
    }
    row(0, a, b)
    row(1, a + c, b + d)
    row(2, a - c, b - d)
    row(3, -c, -d)
  }

  // MARK: Weights

  /// U = G g Gᵀ for every filter, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]. The lanes are
  /// input channels: U is contiguous over them, a kernel's taps 9 floats apart.
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
    into transformed: UnsafeMutablePointer<Float>
  ) {
    let stride = positionStride(outChannels * inChannels)
    Parallel.forEach(outChannels, workPerItem: inChannels * 48) { filter in
      let kernels = weight + filter * inChannels * 9
      let target = transformed + filter * inChannels
      func lanes<L: FloatLanes>(_: L.Type, _ channel: Int) {
        func g(_ tap: Int) -> L { L.load(kernels + channel * 9 + tap, stride: 9) }
        // Row i of G g as [p, q, r], then · Gᵀ along it.
        func row(_ i: Int, _ p: L, _ q: L, _ r: L) {
          let out = target + 4 * i * stride + channel
          p.store(out)
          ((p + q + r) * 0.5).store(out + stride)
          ((p - q + r) * 0.5).store(out + 2 * stride)
          r.store(out + 3 * stride)
        }
        let (g0, g1, g2, g3, g4, g5, g6, g7, g8) = (g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7), g(8))
        // Rows of G g: the kernel's first row, the half sum and half alternating sum, the last row.
        row(0, g0, g1, g2)
        row(1, (g0 + g3 + g6) * 0.5, (g1 + g4 + g7) * 0.5, (g2 + g5 + g8) * 0.5)
        row(2, (g0 - g3 + g6) * 0.5, (g1 - g4 + g7) * 0.5, (g2 - g5 + g8) * 0.5)
        row(3, g6, g7, g8)
      }
      forEachLaneGroup(inChannels) { channel, vector in
        vector ? lanes(SIMD8<Float>.self, channel) : lanes(Float.self, channel)
      }
    }
  }

  /// gradWeight += Gᵀ dU G, the adjoint of `transformWeights`, with the same lanes.
  static func accumulateWeightGradient(
    _ transformedGradient: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
    into gradWeight: UnsafeMutablePointer<Float>
  ) {
    let stride = positionStride(outChannels * inChannels)
    Parallel.forEach(outChannels, workPerItem: inChannels * 48) { filter in
      let source = transformedGradient + filter * inChannels
      let kernels = gradWeight + filter * inChannels * 9
      func lanes<L: FloatLanes>(_: L.Type, _ channel: Int) {
        // Adjoint of the column step: each row of dU gives three values.
        func row(_ i: Int) -> (L, L, L) {
          let position = source + 4 * i * stride + channel
          let (u0, u1, u2, u3) = (
            L.load(position), L.load(position + stride), L.load(position + 2 * stride),
            L.load(position + 3 * stride)
          )
          return (u0 + (u1 + u2) * 0.5, (u1 - u2) * 0.5, (u1 + u2) * 0.5 + u3)
        }
        let (h0, h1, h2, h3) = (row(0), row(1), row(2), row(3))
        // Then the adjoint of the row step, added to the kernel's taps.
        let target = kernels + channel * 9
        func add(_ tap: Int, _ value: L) {
          (L.load(target + tap, stride: 9) + value).store(target + tap, stride: 9)
        }
        add(0, h0.0 + (h1.0 + h2.0) * 0.5)
        add(1, h0.1 + (h1.1 + h2.1) * 0.5)
        add(2, h0.2 + (h1.2 + h2.2) * 0.5)
        add(3, (h1.0 - h2.0) * 0.5)
        add(4, (h1.1 - h2.1) * 0.5)
        add(5, (h1.2 - h2.2) * 0.5)
        add(6, (h1.0 + h2.0) * 0.5 + h3.0)
        add(7, (h1.1 + h2.1) * 0.5 + h3.1)
        add(8, (h1.2 + h2.2) * 0.5 + h3.2)
      }
      forEachLaneGroup(inChannels) { channel, vector in
        vector ? lanes(SIMD8<Float>.self, channel) : lanes(Float.self, channel)
      }
    }
  }
}
