/// The transforms of `WinogradConv2D` for small feature maps, where a row has fewer tiles than a
/// vector has lanes (late ResNet and VGG stages: 8x8, 4x4, 2x2 maps): the lanes run over the samples
/// of the chunk instead. The input is first staged zero-padded as [channel][row][column][sample], so
/// every patch position of a tile is a contiguous vector over the samples, and tiles are numbered
/// t = (ty · tilesWide + tx) · samples + n. The matrix products do not depend on the numbering.
///
/// Moving data between NCHW and the sample-last layouts works on blocks of `channelBlock` channels,
/// sample by sample: each sample's block is a contiguous run in NCHW. Going pixel by pixel over the
/// samples instead would touch addresses a multiple of 4 KiB apart (channels x plane floats), which
/// all fall in the same few cache sets.
extension WinogradConv2D {
  /// Channels moved between layouts together.
  static let channelBlock = 8

  /// The channels of block `block` of `count`.
  private static func channels(ofBlock block: Int, count: Int) -> Range<Int> {
    (block * channelBlock)..<min(count, (block + 1) * channelBlock)
  }

  /// Blocks of `channelBlock` covering `count` channels.
  private static func blocks(_ count: Int) -> Int { (count + channelBlock - 1) / channelBlock }
  /// Floats of the staged, padded input (or its gradient) of one chunk.
  static func stagingCount(_ g: Conv2DGeometry, _ tiling: Tiling) -> Int {
    g.inChannels * tiling.paddedRows * 2 * tiling.halfRow * tiling.samplesPerChunk
  }

  /// staged[c][y + padTop][x + padLeft][n] = input[n][c][y][x], zeros elsewhere.
  private static func stage(
    _ g: Conv2DGeometry, _ tiling: Tiling, input: UnsafePointer<Float>, samples: Int,
    into staged: UnsafeMutablePointer<Float>
  ) {
    let paddedWidth = 2 * tiling.halfRow
    let stagedPlane = tiling.paddedRows * paddedWidth * samples
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(blocks(g.inChannels), workPerItem: channelBlock * stagedPlane) { block in
      let channels = channels(ofBlock: block, count: g.inChannels)
      (staged + channels.lowerBound * stagedPlane).update(repeating: 0, count: channels.count * stagedPlane)
      for n in 0..<samples {
        for channel in channels {
          let source = input + (n * g.inChannels + channel) * inPlane
          let target = staged + channel * stagedPlane + (g.padTop * paddedWidth + g.padLeft) * samples + n
          for y in 0..<g.inHeight {
            let (from, to) = (source + y * g.inWidth, target + y * paddedWidth * samples)
            for x in 0..<g.inWidth { to[x &* samples] = from[x] }
          }
        }
      }
    }
  }

  /// `transformInput` for `lanesOverBatch` tilings; `workspace` holds the staged input.
  static func transformInputOverBatch(
    _ g: Conv2DGeometry, _ tiling: Tiling, input: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace staged: UnsafeMutablePointer<Float>
  ) {
    stage(g, tiling, input: input, samples: samples, into: staged)
    let tiles = samples * tiling.tilesPerSample
    let stride = positionStride(g.inChannels * tiles)
    let paddedWidth = 2 * tiling.halfRow
    let stagedPlane = tiling.paddedRows * paddedWidth * samples
    Parallel.forEach(g.inChannels, workPerItem: positions * 4 * tiles) { channel in
      for tile in 0..<tiling.tilesPerSample {
        let (ty, tx) = tile.quotientAndRemainder(dividingBy: tiling.tilesWide)
        let patch = UnsafePointer(staged + channel * stagedPlane + (2 * ty * paddedWidth + 2 * tx) * samples)
        let out = transformed + channel * tiles + tile * samples
        func lanes<L: FloatLanes>(_: L.Type, _ n: Int) {
          func d(_ a: Int, _ b: Int) -> L { L.load(patch + (a * paddedWidth + b) * samples + n) }
          // Bᵀ d down the patch's rows, column by column b.
          func rowStep(_ b: Int) -> (L, L, L, L) {
            let (d0, d1, d2, d3) = (d(0, b), d(1, b), d(2, b), d(3, b))
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
          }
          let (c0, c1, c2, c3) = (rowStep(0), rowStep(1), rowStep(2), rowStep(3))
          // Then · B along each row i.
          func columnStep(_ i: Int, _ t0: L, _ t1: L, _ t2: L, _ t3: L) {
            let row = out + 4 * i * stride + n
            (t0 - t2).store(row)
            (t1 + t2).store(row + stride)
            (t2 - t1).store(row + 2 * stride)
            (t1 - t3).store(row + 3 * stride)
          }
          columnStep(0, c0.0, c1.0, c2.0, c3.0)
          columnStep(1, c0.1, c1.1, c2.1, c3.1)
          columnStep(2, c0.2, c1.2, c2.2, c3.2)
          columnStep(3, c0.3, c1.3, c2.3, c3.3)
        }
        forEachLaneGroup(samples) { n, vector in vector ? lanes(SIMD8<Float>.self, n) : lanes(Float.self, n) }
      }
    }
  }

  /// `transformInputGradient` for `lanesOverBatch` tilings: B dV Bᵀ accumulated into a staged
  /// gradient in `workspace`, then written back to NCHW.
  static func transformInputGradientOverBatch(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradient transformed: UnsafePointer<Float>, samples: Int,
    into gradInput: UnsafeMutablePointer<Float>, workspace staged: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let stride = positionStride(g.inChannels * tiles)
    let paddedWidth = 2 * tiling.halfRow
    let stagedPlane = tiling.paddedRows * paddedWidth * samples
    let inPlane = g.inHeight * g.inWidth
    // B dV Bᵀ of every tile of one channel, added up in the channel's staged plane.
    func accumulate(channel: Int) {
      let plane = staged + channel * stagedPlane
      plane.update(repeating: 0, count: stagedPlane)
      // Tiles in order: overlapping patches add up in a fixed order.
      for tile in 0..<tiling.tilesPerSample {
        let (ty, tx) = tile.quotientAndRemainder(dividingBy: tiling.tilesWide)
        let patch = plane + (2 * ty * paddedWidth + 2 * tx) * samples
        let source = transformed + channel * tiles + tile * samples
        func lanes<L: FloatLanes>(_: L.Type, _ n: Int) {
          func v(_ position: Int) -> L { L.load(source + position * stride + n) }
          // Adjoint of the column step for row i: [dt0, dt1, dt2, dt3] of that row.
          func columnAdjoint(_ i: Int) -> (L, L, L, L) {
            let (v0, v1, v2, v3) = (v(4 * i), v(4 * i + 1), v(4 * i + 2), v(4 * i + 3))
            return (v0, v1 - v2 + v3, v1 + v2 - v0, -v3)
          }
          let (r0, r1, r2, r3) = (columnAdjoint(0), columnAdjoint(1), columnAdjoint(2), columnAdjoint(3))
          // Adjoint of the row step for column b, added into the patch.
          func rowAdjoint(_ b: Int, _ t0: L, _ t1: L, _ t2: L, _ t3: L) {
            func add(_ a: Int, _ value: L) {
              let pixel = patch + (a * paddedWidth + b) * samples + n
              (L.load(pixel) + value).store(pixel)
            }
            add(0, t0)
            add(1, t1 - t2 + t3)
            add(2, t1 + t2 - t0)
            add(3, -t3)
          }
          rowAdjoint(0, r0.0, r1.0, r2.0, r3.0)
          rowAdjoint(1, r0.1, r1.1, r2.1, r3.1)
          rowAdjoint(2, r0.2, r1.2, r2.2, r3.2)
          rowAdjoint(3, r0.3, r1.3, r2.3, r3.3)
        }
        forEachLaneGroup(samples) { n, vector in vector ? lanes(SIMD8<Float>.self, n) : lanes(Float.self, n) }
      }
    }
    Parallel.forEach(blocks(g.inChannels), workPerItem: channelBlock * positions * 4 * tiles) { block in
      let channels = channels(ofBlock: block, count: g.inChannels)
      for channel in channels {
        accumulate(channel: channel)
      }
      // Back to NCHW, sample by sample.
      for n in 0..<samples {
        for channel in channels {
          let source = staged + channel * stagedPlane + (g.padTop * paddedWidth + g.padLeft) * samples + n
          let target = gradInput + (n * g.inChannels + channel) * inPlane
          for y in 0..<g.inHeight {
            let (from, to) = (source + y * paddedWidth * samples, target + y * g.inWidth)
            for x in 0..<g.inWidth { to[x] = from[x &* samples] }
          }
        }
      }
    }
  }

  /// `transformOutput` for `lanesOverBatch` tilings. `workspace` holds `Parallel.maximumParts`
  /// blocks of `workspacePerPart` floats: the outputs of a block of channels as [channel][pixel][n].
  /// A `shortcut` is added to each NCHW plane once it is in place (the staged layout is not NCHW),
  /// so the staged epilogue then stops before the activation.
  static func transformOutputOverBatch(
    _ g: Conv2DGeometry, _ tiling: Tiling, product: UnsafePointer<Float>, samples: Int,
    into output: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
    activation: ActivationKind, shortcut: UnsafePointer<Float>? = nil, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let outChannels = g.outChannels
    let stride = positionStride(outChannels * tiles)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let outPlane = outH * outW
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(
      blocks(outChannels), workPerItem: channelBlock * positions * 4 * tiles,
      withPart: { part, block in
        let channels = channels(ofBlock: block, count: outChannels)
        let staged = workspace + part * workspaceSize
        for channel in channels {
          let plane = staged + (channel - channels.lowerBound) * outPlane * samples
          for tile in 0..<tiling.tilesPerSample {
            let (ty, tx) = tile.quotientAndRemainder(dividingBy: tiling.tilesWide)
            let m = product + channel * tiles + tile * samples
            let (hasRight, hasBottom) = (2 * tx + 1 < outW, 2 * ty + 1 < outH)
            let topLeft = plane + (2 * ty * outW + 2 * tx) * samples
            func lanes<L: FloatLanes>(_: L.Type, _ n: Int) {
              let (y00, y01, y10, y11) = outputTile { L.load(m + $0 * stride + n) }
              // Only the outputs inside the map: an odd size cuts the last tiles.
              y00.store(topLeft + n)
              if hasRight { y01.store(topLeft + samples + n) }
              if hasBottom {
                y10.store(topLeft + outW * samples + n)
                if hasRight { y11.store(topLeft + (outW + 1) * samples + n) }
              }
            }
            forEachLaneGroup(samples) { n, vector in
              vector ? lanes(SIMD8<Float>.self, n) : lanes(Float.self, n)
            }
          }
          convolutionEpilogue(
            plane, plane, count: outPlane * samples, scale: scale?[channel], bias: bias?[channel],
            activation: shortcut == nil ? activation : .linear)
        }
        // To NCHW, sample by sample.
        for n in 0..<samples {
          for channel in channels {
            let from = staged + (channel - channels.lowerBound) * outPlane * samples + n
            let offset = (n * outChannels + channel) * outPlane
            let to = output + offset
            for pixel in 0..<outPlane { to[pixel] = from[pixel &* samples] }
            if let shortcut {
              convolutionEpilogue(
                to, to, count: outPlane, scale: nil, bias: nil, activation: activation,
                shortcut: shortcut + offset)
            }
          }
        }
      })
  }

  /// `transformOutputGradient` for `lanesOverBatch` tilings; `workspace` as for
  /// `transformOutputOverBatch`, holding the gradient of a block of channels as [channel][pixel][n].
  static func transformOutputGradientOverBatch(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradOutput: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let outChannels = g.outChannels
    let stride = positionStride(outChannels * tiles)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let outPlane = outH * outW
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(
      blocks(outChannels), workPerItem: channelBlock * positions * 4 * tiles,
      withPart: { part, block in
        let channels = channels(ofBlock: block, count: outChannels)
        let staged = workspace + part * workspaceSize
        // From NCHW, sample by sample.
        for n in 0..<samples {
          for channel in channels {
            let from = gradOutput + (n * outChannels + channel) * outPlane
            let to = staged + (channel - channels.lowerBound) * outPlane * samples + n
            for pixel in 0..<outPlane { to[pixel &* samples] = from[pixel] }
          }
        }
        for channel in channels {
          let plane = UnsafePointer(staged + (channel - channels.lowerBound) * outPlane * samples)
          for tile in 0..<tiling.tilesPerSample {
            let (ty, tx) = tile.quotientAndRemainder(dividingBy: tiling.tilesWide)
            let (hasRight, hasBottom) = (2 * tx + 1 < outW, 2 * ty + 1 < outH)
            let topLeft = plane + (2 * ty * outW + 2 * tx) * samples
            let dm = transformed + channel * tiles + tile * samples
            func lanes<L: FloatLanes>(_: L.Type, _ n: Int) {
              // The tile's 2x2 gradient [[a, b], [c, d]], zero outside the map.
              let av = L.load(topLeft + n)
              let bv = hasRight ? L.load(topLeft + samples + n) : .zero
              let cv = hasBottom ? L.load(topLeft + outW * samples + n) : .zero
              let dv = hasBottom && hasRight ? L.load(topLeft + (outW + 1) * samples + n) : .zero
              outputGradientTile(av, bv, cv, dv) { position, value in value.store(dm + position * stride + n)
              }
            }
            forEachLaneGroup(samples) { n, vector in
              vector ? lanes(SIMD8<Float>.self, n) : lanes(Float.self, n)
            }
          }
        }
      })
  }
}
