import CKernels

/// Convolution by Winograd's F(4x4, 3x3) (Lavin and Gray 2016), for the convolutions
/// `WinogradConv2D` fits, in inference plans only (training keeps F(2x2, 3x3), whose backward is
/// its exact adjoint).
///
/// Each 4x4 block of outputs (a tile) is computed from the 6x6 input patch under it:
/// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A summed over input channels, with the interpolation points 0, ±1,
/// ±2 and ∞. The 36 transformed positions ξ become 36 matrix products M[ξ] = U[ξ] V[ξ] as in
/// `WinogradConv2D` (V and M in its layouts, `positionStride` between positions, one thread per
/// product in a fixed order), each a packed product (`multiplyPositions`) whose U[ξ] is packed once
/// per run: 36 products per 16 outputs, against 16 per 4 for F(2x2, 3x3) and 9 per output
/// for im2col. The transforms multiply by up to 5 (B), 8 (A) and 1/24 (G), so the rounding error
/// grows with them: a few times F(2x2, 3x3)'s, bounded in the tests through |A| (|G||g||Gᵀ| ⊙
/// |Bᵀ||d||B|) |Aᵀ|.
///
/// The transforms (C kernels, `nnc_winograd4x4_input_tiles` and `_output_tiles`) vectorize over 8
/// consecutive tiles of a chunk (across rows and samples alike, so narrow maps such as 8x8 or 7x7
/// fill the lanes): each tile's 6x6 patch is read from a zero-padded copy of the input plane, the
/// 16 outputs written back as rows of 4. The products' width is the chunk's tiles rounded up to 8;
/// the extra columns repeat the last tile and are never written out. Bᵀ runs down the patch's
/// columns then along its rows, Aᵀ likewise, with no fused multiply-add: the same bits on every
/// instruction set.
enum Winograd4x4Conv2D {
  /// The transformed positions ξ = 6i + j of a 6x6 tile.
  static let positions = 36
  /// Tiles per transform vector.
  static let lanes = 8

  /// How a geometry's outputs are cut into 4x4 tiles and its batch into chunks.
  struct Tiling {
    var tilesHigh: Int
    var tilesWide: Int
    var samplesPerChunk: Int

    var tilesPerSample: Int { tilesHigh * tilesWide }
    /// The zero-padded input plane a tile's patch is gathered from: tiles overlap by 2.
    var paddedHeight: Int { 4 * tilesHigh + 2 }
    var paddedWidth: Int { 4 * tilesWide + 2 }
    var paddedPlane: Int { paddedHeight * paddedWidth }
    /// Columns of the products for `samples` samples: their tiles rounded up to whole vectors.
    func columns(samples: Int) -> Int { (samples * tilesPerSample + lanes - 1) / lanes * lanes }
    /// Floats of the input transform's padded planes of one input channel for a chunk, and the 2
    /// floats past them that the kernel's 8-float rows read.
    var paddedPlanesFloats: Int { samplesPerChunk * paddedPlane + lanes }

    init(_ g: Conv2DGeometry, targetTiles: Int) {
      tilesHigh = (g.outHeight + 3) / 4
      tilesWide = (g.outWidth + 3) / 4
      let perSample = tilesHigh * tilesWide
      var chunk = min(g.batch, max(1, (targetTiles + perSample - 1) / perSample))
      while chunk > 1
        && positions * (g.inChannels + g.outChannels) * chunk * perSample > WinogradConv2D.chunkBudget
      {
        chunk -= 1
      }
      samplesPerChunk = max(1, chunk)
    }
  }

  /// True when the 4x4 tiles need fewer products than F(2x2, 3x3)'s 2x2 tiles: 36 per tile against
  /// 16, so not on maps whose edge tiles are mostly cut off (1x1, 2x2, 5x5, 6x6: a 2x2 map takes one
  /// 4x4 tile, 36 products, against one 2x2 tile, 16).
  static func savesProducts(_ g: Conv2DGeometry) -> Bool {
    let tiles4 = ((g.outHeight + 3) / 4) * ((g.outWidth + 3) / 4)
    let tiles2 = ((g.outHeight + 1) / 2) * ((g.outWidth + 1) / 2)
    return positions * tiles4 < WinogradConv2D.positions * tiles2
  }

  /// Weights per position at least (input × output channels) for the positions' products to run as
  /// packed products (`multiplyPositions`) rather than OpenBLAS's, which packs U[ξ] again on every
  /// call and zeroes M first. Measured in alternating runs (batch 8, two threads, AVX-512 Xeon):
  /// 512 -> 512 on 7x7 maps 24 % more images/s, 256 -> 256 on 14x14 2 %; below, ResNet-18/32's 64
  /// -> 64 on 8x8 and 128 -> 128 on 4x4 (batch 32: 128 and 32 columns) lost 8-10 %.
  static let packedPositionsMinimumWeights = 64 * 1024
  /// Narrower layers whose products are this many weights and columns at least run packed too:
  /// ResNet-50's 128 -> 128 on 28x28 (296 columns) 9.3 against 10.2 ms a batch of 8 in alternating
  /// profiles; its 64 -> 64 on 56x56 (4K weights, 392 columns) ran level and stays with OpenBLAS.
  static let packedPositionsMinimumWideWeights = 16 * 1024
  static let packedPositionsMinimumColumns = 256

  /// Whether the positions' products of `g` are packed products (`packedPositionsMinimumWeights`):
  /// a function of the geometry alone, as the kept weights' layout depends on it.
  static func packsPositions(_ g: Conv2DGeometry) -> Bool {
    let weights = g.inChannels * g.outChannels
    if weights >= packedPositionsMinimumWeights { return true }
    let tiling = Tiling(g, targetTiles: WinogradConv2D.targetTiles)
    return weights >= packedPositionsMinimumWideWeights
      && tiling.columns(samples: tiling.samplesPerChunk) >= packedPositionsMinimumColumns
  }

  /// Floats of one position's transformed weights U[ξ]: packed in blocks of output channels for
  /// `nnc_packed_product_forward` (`nnc_packed_product_pack`'s layout), or a row per output channel.
  static func weightStride(_ g: Conv2DGeometry) -> Int {
    weightStride(outChannels: g.outChannels, inChannels: g.inChannels, packed: packsPositions(g))
  }

  static func weightStride(outChannels: Int, inChannels: Int, packed: Bool) -> Int {
    packed
      ? nnc_packed_product_weight_floats(Int32(outChannels), Int32(inChannels))
      : WinogradConv2D.positionStride(outChannels * inChannels)
  }

  /// Floats of the transformed weights U.
  static func transformedWeightCount(_ g: Conv2DGeometry) -> Int { positions * weightStride(g) }

  /// Where V, M and the per-part workspaces start in the scratch (U comes first).
  private static func layout(_ g: Conv2DGeometry, _ tiling: Tiling) -> (input: Int, product: Int, parts: Int)
  {
    let columns = tiling.columns(samples: tiling.samplesPerChunk)
    let input = transformedWeightCount(g)
    let product = input + positions * WinogradConv2D.positionStride(g.inChannels * columns)
    let parts = product + positions * WinogradConv2D.positionStride(g.outChannels * columns)
    return (input, product, parts)
  }

  /// Float scratch `forward` needs: U, then V and M for one chunk, then the per-part workspaces.
  static func scratchCount(_ g: Conv2DGeometry, targetTiles: Int = WinogradConv2D.targetTiles) -> Int {
    let tiling = Tiling(g, targetTiles: targetTiles)
    return layout(g, tiling).parts + Parallel.maximumParts * workspacePerPart(g, tiling)
  }

  /// Floats of a part's workspace: the input transform's padded planes, or a product's packed
  /// columns (the phases run one after the other).
  static func workspacePerPart(_ g: Conv2DGeometry, _ tiling: Tiling) -> Int {
    guard packsPositions(g) else { return tiling.paddedPlanesFloats }
    let columns = tiling.columns(samples: tiling.samplesPerChunk)
    let product = nnc_packed_product_work_floats(Int32(g.inChannels), Int32(columns), Int32(g.outChannels))
    return max(tiling.paddedPlanesFloats, product)
  }

  /// output = activation(conv(input, weight) · channelScale + bias), as `Conv2D.forward`. The
  /// transformed weights go to `keptWeight` when given (else to scratch); `weightIsPrepared` says
  /// they already are there. A `shortcut` (NCHW like `output`, sharing no memory with it or the
  /// input) is added before the activation, linear or ReLU, as `Conv2D.forward` does.
  static func forward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    activation: ActivationKind, keptWeight: UnsafeMutablePointer<Float>? = nil,
    channelScale: UnsafePointer<Float>? = nil, targetTiles: Int = WinogradConv2D.targetTiles,
    weightIsPrepared: Bool = false, shortcut: UnsafePointer<Float>? = nil, threads: Int = Parallel.threadCount
  ) {
    precondition(!weightIsPrepared || keptWeight != nil, "prepared Winograd weights live in keptWeight")
    let tiling = Tiling(g, targetTiles: targetTiles)
    let (inChannels, outChannels) = (g.inChannels, g.outChannels)
    let offsets = layout(g, tiling)
    let transformedWeight = keptWeight ?? scratch
    let (transformedInput, product) = (scratch + offsets.input, scratch + offsets.product)
    let workspace = scratch + offsets.parts
    if !weightIsPrepared {
      transformWeights(
        weight, outChannels: outChannels, inChannels: inChannels, into: transformedWeight,
        packed: packsPositions(g), threads: threads)
    }
    let inSample = inChannels * g.inHeight * g.inWidth
    let outSample = outChannels * g.outHeight * g.outWidth
    var first = 0
    while first < g.batch {
      let samples = min(tiling.samplesPerChunk, g.batch - first)
      let columns = tiling.columns(samples: samples)
      let inputStride = WinogradConv2D.positionStride(inChannels * columns)
      let productStride = WinogradConv2D.positionStride(outChannels * columns)
      transformInput(
        g, tiling, input: input + first * inSample, samples: samples, into: transformedInput,
        workspace: workspace, threads: threads)
      if packsPositions(g) {
        multiplyPositions(
          g, columns: columns, weight: transformedWeight, input: transformedInput, inputStride: inputStride,
          product: product, productStride: productStride, workspace: workspace,
          partFloats: workspacePerPart(g, tiling), threads: threads)
      } else {
        WinogradConv2D.multiplyPositions(
          positions, outChannels: outChannels, inChannels: inChannels, columns: columns,
          weight: transformedWeight, weightStride: weightStride(g), input: transformedInput,
          inputStride: inputStride, product: product, productStride: productStride, threads: threads)
      }
      transformOutput(
        g, tiling, product: product, samples: samples, into: output + first * outSample,
        scale: channelScale, bias: bias, activation: activation,
        shortcut: shortcut.map { $0 + first * outSample }, threads: threads)
      first += samples
    }
  }

  /// M[ξ] = U[ξ] V[ξ] for each position ξ when `packsPositions`: one single-threaded packed product
  /// per position (the weights packed once per run, each product summed over the input channels in
  /// order), the positions side by side, so the thread count changes no bit.
  static func multiplyPositions(
    _ g: Conv2DGeometry, columns: Int, weight: UnsafePointer<Float>, input: UnsafePointer<Float>,
    inputStride: Int, product: UnsafeMutablePointer<Float>, productStride: Int,
    workspace: UnsafeMutablePointer<Float>, partFloats: Int, threads: Int,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    let (inChannels, outChannels) = (g.inChannels, g.outChannels)
    let weightStride = weightStride(g)
    // Each position as a 1 x columns map of inChannels channels under a 1x1 kernel.
    var shape = nnc_patch_shape(
      in_channels: Int32(inChannels), in_height: 1, in_width: Int32(columns), out_height: 1,
      out_width: Int32(columns), kernel_height: 1, kernel_width: 1, stride_h: 1, stride_w: 1, dilation_h: 1,
      dilation_w: 1, pad_top: 0, pad_left: 0)
    withUnsafePointer(to: &shape) { shape in
      Parallel.forEach(positions, workPerItem: outChannels * inChannels * columns, threads: threads) {
        part, position in
        nnc_packed_product_forward(
          instructionSet.code, shape, Int32(outChannels), weight + position * weightStride,
          input + position * inputStride, 0, Int32(columns), 0, Int32(outChannels),
          product + position * productStride, nil, nil, nil, Int32(NNC_POINTWISE_LINEAR), 0,
          workspace + part * partFloats)
      }
    }
  }

  // MARK: Transforms

  /// Where tile `tile` of a chunk (clamped to its last tile) starts in the chunk's padded planes.
  @inline(__always)
  private static func patchOffset(_ tiling: Tiling, tile: Int, tiles: Int) -> Int {
    let (sample, inSample) = min(tile, tiles - 1).quotientAndRemainder(dividingBy: tiling.tilesPerSample)
    let (ty, tx) = inSample.quotientAndRemainder(dividingBy: tiling.tilesWide)
    return sample * tiling.paddedPlane + 4 * ty * tiling.paddedWidth + 4 * tx
  }

  /// V[ξ][c][t] = (Bᵀ d B)[ξ] for every tile t of the chunk and input channel c, d the tile's 6x6
  /// input patch (zeros in the padding).
  static func transformInput(
    _ g: Conv2DGeometry, _ tiling: Tiling, input: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>, threads: Int,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    let channels = g.inChannels
    let tiles = samples * tiling.tilesPerSample
    let columns = tiling.columns(samples: samples)
    let stride = WinogradConv2D.positionStride(channels * columns)
    let (paddedWidth, paddedHeight, paddedPlane) = (
      tiling.paddedWidth, tiling.paddedHeight, tiling.paddedPlane
    )
    let (bottom, right) = (g.padTop + g.inHeight, g.padLeft + g.inWidth)
    // Where each tile's patch starts, computed once rather than per channel.
    let patchOffsets = (0..<columns).map { patchOffset(tiling, tile: $0, tiles: tiles) }
    let partFloats = workspacePerPart(g, tiling)
    patchOffsets.withUnsafeBufferPointer { offsets in
      Parallel.forEach(channels, workPerItem: positions * 4 * columns, threads: threads) { part, channel in
        let planes = workspace + part * partFloats
        for sample in 0..<samples {
          let source = input + (sample * channels + channel) * g.inHeight * g.inWidth
          let plane = planes + sample * paddedPlane
          // Only the padding is zeroed: the rows' copies overwrite the rest.
          plane.update(repeating: 0, count: g.padTop * paddedWidth)
          (plane + bottom * paddedWidth).update(repeating: 0, count: (paddedHeight - bottom) * paddedWidth)
          for y in 0..<g.inHeight {
            let row = plane + (g.padTop + y) * paddedWidth
            row.update(repeating: 0, count: g.padLeft)
            (row + g.padLeft).update(from: source + y * g.inWidth, count: g.inWidth)
            (row + right).update(repeating: 0, count: paddedWidth - right)
          }
        }
        nnc_winograd4x4_input_tiles(
          instructionSet.code, planes, offsets.baseAddress!, Int32(columns), paddedWidth,
          transformed + channel * columns, stride)
      }
    }
  }

  /// Y = Aᵀ M A for every tile and output channel, then scale, bias, the shortcut if any and the
  /// activation per plane while it is in cache; a tile past the bottom or right edge writes only its
  /// rows and columns inside the output.
  static func transformOutput(
    _ g: Conv2DGeometry, _ tiling: Tiling, product: UnsafePointer<Float>, samples: Int,
    into output: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
    activation: ActivationKind, shortcut: UnsafePointer<Float>? = nil, threads: Int,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    let channels = g.outChannels
    let tiles = samples * tiling.tilesPerSample
    let columns = tiling.columns(samples: samples)
    let stride = WinogradConv2D.positionStride(channels * columns)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let plane = outH * outW
    // Where each tile's outputs start in a channel's planes, and how many rows and columns of it lie
    // inside the output, computed once rather than per channel.
    let placements = (0..<tiles).map { tile -> nnc_winograd_placement in
      let (sample, inSample) = tile.quotientAndRemainder(dividingBy: tiling.tilesPerSample)
      let (ty, tx) = inSample.quotientAndRemainder(dividingBy: tiling.tilesWide)
      return nnc_winograd_placement(
        offset: sample * channels * plane + 4 * ty * outW + 4 * tx, rows: Int32(min(4, outH - 4 * ty)),
        width: Int32(min(4, outW - 4 * tx)))
    }
    placements.withUnsafeBufferPointer { placements in
      Parallel.forEach(channels, workPerItem: positions * 4 * columns, threads: threads) { _, channel in
        nnc_winograd4x4_output_tiles(
          instructionSet.code, product + channel * columns, stride, Int32(tiles), placements.baseAddress!,
          outW,
          output + channel * plane)
        for sample in 0..<samples {
          let offset = (sample * channels + channel) * plane
          convolutionEpilogue(
            output + offset, output + offset, count: plane, scale: scale?[channel], bias: bias?[channel],
            activation: activation, shortcut: shortcut.map { $0 + offset })
        }
      }
    }
  }

  // MARK: Weights

  /// G z for one column or row z of three taps, the rows of G being [1/4, 0, 0], [−1/6, −1/6, −1/6],
  /// [−1/6, 1/6, −1/6], [1/24, 1/12, 1/6], [1/24, −1/12, 1/6] and [0, 0, 1].
  @inline(__always)
  static func weightStep<L: FloatLanes>(_ z: (L, L, L)) -> (L, L, L, L, L, L) {
    let (z0, z1, z2) = z
    let outer = z0 + z2
    let quarterOuter = z0 * (1 / 24) + z2 * (1 / 6)
    return (
      z0 * 0.25, (outer + z1) * (-1 / 6), (outer - z1) * (-1 / 6), quarterOuter + z1 * (1 / 12),
      quarterOuter - z1 * (1 / 12), z2
    )
  }

  /// U = G g Gᵀ for every filter: `packed`, each position's in `nnc_packed_product_pack`'s blocks of
  /// filters ([filter / 32][channel][filter % 32], missing filters 0), else [filter][channel]
  /// (`WinogradConv2D.positionStride` apart). The lanes are input channels, a kernel's taps 9 floats
  /// apart.
  static func transformWeights(
    _ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
    into transformed: UnsafeMutablePointer<Float>, packed: Bool, threads: Int = Parallel.threadCount
  ) {
    let stride = weightStride(outChannels: outChannels, inChannels: inChannels, packed: packed)
    // A row per filter is a block of one filter.
    let block = packed ? Int(NNC_PACKED_PRODUCT_CHANNELS) : 1
    if outChannels % block != 0 {
      // The last block's missing filters are zeros.
      for position in 0..<positions {
        (transformed + position * stride).update(repeating: 0, count: stride)
      }
    }
    Parallel.forEach(outChannels, workPerItem: inChannels * 200, threads: threads) { _, filter in
      let kernels = weight + filter * inChannels * 9
      // Filter o's U at [o / block][channel][o % block] of each position's blocks.
      let target = transformed + filter / block * block * inChannels + filter % block
      func lanes<L: FloatLanes>(_: L.Type, _ channel: Int) {
        func g(_ tap: Int) -> L { L.load(kernels + channel * 9 + tap, stride: 9) }
        // G g down each kernel column, then · Gᵀ along each of the six rows.
        let (c0, c1, c2) = (
          weightStep((g(0), g(3), g(6))), weightStep((g(1), g(4), g(7))), weightStep((g(2), g(5), g(8)))
        )
        func row(_ i: Int, _ p: L, _ q: L, _ r: L) {
          let u = weightStep((p, q, r))
          let out = target + 6 * i * stride + channel * block
          u.0.store(out, stride: block)
          u.1.store(out + stride, stride: block)
          u.2.store(out + 2 * stride, stride: block)
          u.3.store(out + 3 * stride, stride: block)
          u.4.store(out + 4 * stride, stride: block)
          u.5.store(out + 5 * stride, stride: block)
        }
        row(0, c0.0, c1.0, c2.0)
        row(1, c0.1, c1.1, c2.1)
        row(2, c0.2, c1.2, c2.2)
        row(3, c0.3, c1.3, c2.3)
        row(4, c0.4, c1.4, c2.4)
        row(5, c0.5, c1.5, c2.5)
      }
      forEachLaneGroup(inChannels) { channel, vector in
        vector ? lanes(SIMD8<Float>.self, channel) : lanes(Float.self, channel)
      }
    }
  }
}
