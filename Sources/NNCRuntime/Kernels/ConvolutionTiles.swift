/// The im2col/pointwise forward of convolutions on small maps, in tiles of whole samples that run
/// side by side: each tile copies its columns, multiplies them by the weights in one single-threaded
/// product per group and applies the epilogue while its columns and product, at most `tileBudget`
/// floats, are still in the core's cache. The whole-batch chunks of `columnsForward` stream column
/// matrices several times the cache's size through memory and hand the copy, the product and the
/// epilogue to the threads one after another, which dominated LeNet-5's and the late MobileNetV2
/// stages' inference. Tiles depend on the geometry alone and a thread runs a tile's whole product, so
/// one thread issues the very same OpenBLAS calls as eight: results do not depend on the thread count.
extension Conv2D {
  /// Floats of one tile's columns and product at most (192 KiB): within a 512 KiB L2 cache with
  /// room for OpenBLAS's packed copy of the columns.
  static let tileBudget = 48 * 1024
  /// Tiles a batch is cut into at least, so that the threads share them.
  static let minimumTiles = 4
  /// Product columns per tile at least: narrower products would pack the weights again for too
  /// little work, where the whole-batch product packs them once per panel.
  static let minimumTileColumns = 32
  /// Tiles running at once at most: the number of per-tile scratch slots.
  static let tileSlots = 8
  /// A pointwise convolution with at least this many output pixels per sample runs a sample per
  /// tile whatever the budget: its input is its column matrix and the product lands in the output,
  /// so nothing is copied, and the product is wide enough on its own.
  static let pointwiseSampleColumns = 256
  /// Samples a batch needs for `pointwiseSampleColumns` tiles: enough tiles to share.
  static let pointwiseSampleTiles = 8
  /// Inference plans run a sample per tile from this many output pixels (ResNet-50's 14x14 maps, its
  /// eleven 1x1 layers there the largest share of its time): a sample's product, 196 columns
  /// wide, ran as fast as the whole batch's in panels (measured on OpenBLAS, CPU time, one thread),
  /// and the tile saves the copy of the batch's planes side by side and the scatter of the product
  /// to NCHW, 7–11 % of these layers' time. An inference-only choice
  /// (`ConvolutionAlgorithm.sampleTiles`), so training's products keep their panels and bits.
  static let inferenceSampleColumns = 196

  /// A convolution that inference plans run a sample per tile (`sampleTiles`): pointwise ones on
  /// maps of `inferenceSampleColumns` pixels or more, and strided ones there (ResNet's downsampling
  /// layers: 1x1/2 shortcuts and 3x3/2 convolutions), each tile's columns then its sample's im2col
  /// matrix in the tile's slot; not weight-bound (`isWeightBound`'s measure, for strided layers too).
  /// The strided layers' whole-batch chunks copied the batch's columns side by side (29 MB for
  /// ResNet-50's 3x3/2 layer to 128x28x28 at batch 8) and scattered the product to NCHW.
  static func runsSamplesInInference(_ g: Conv2DGeometry) -> Bool {
    let plane = g.outHeight * g.outWidth
    let strided = g.strideH > 1 || g.strideW > 1
    guard (g.isPointwise || strided) && plane >= inferenceSampleColumns else { return false }
    return g.weightCount < weightBoundRatio * (g.columnRows + g.outChannels) * plane
  }

  /// Scratch floats of `sampleTiles`' tiles: a slot per running tile holding a sample's im2col
  /// matrix; a pointwise convolution (its input is its matrix) needs none.
  static func sampleTilesScratchCount(_ g: Conv2DGeometry) -> Int {
    g.isPointwise ? 0 : tileSlots * g.columnRows * g.outHeight * g.outWidth
  }

  /// Samples per tile when `geometry` runs in tiles (`tiledColumnsForward`), else nil: a pointwise
  /// sample per tile on wide maps, else as many samples as fit the budget, with enough columns per
  /// tile and two tiles or more.
  static func samplesPerTile(_ g: Conv2DGeometry) -> Int? {
    let plane = g.outHeight * g.outWidth
    if g.isPointwise && plane >= pointwiseSampleColumns && g.batch >= pointwiseSampleTiles { return 1 }
    // The direct kernel reads a sample's planes where they are: nothing to copy side by side.
    if runsDirectPointwise(g) && plane >= directPointwiseMinimumPixels && g.batch >= 2 { return 1 }
    return samplesWithinBudget(g)
  }

  /// Weights at least this many times a sample's columns and product make a pointwise convolution
  /// weight-bound (`isWeightBound`).
  static let weightBoundRatio = 8

  /// A pointwise convolution whose weights dwarf a sample's data (MobileNetV2's 2x2 maps: 160 x 960
  /// weights against 4 pixels a channel): tiles would each pack all the weights again for a few
  /// columns, so the whole batch is one tile, its product split in panels of output channels
  /// (`sgemm`), which packs the weights once. A function of the geometry without the batch.
  static func isWeightBound(_ g: Conv2DGeometry) -> Bool {
    let plane = g.outHeight * g.outWidth
    // 1x1 maps keep the whole-batch chunks, which pack the weights once already; this path was
    // measured on MobileNetV2's 2x2 maps.
    return g.isPointwise && plane >= 4
      && g.weightCount >= weightBoundRatio * (g.columnRows + g.outChannels) * plane
  }

  /// Samples per tile by the budget alone (see `samplesPerTile`); the whole batch when weight-bound.
  static func samplesWithinBudget(_ g: Conv2DGeometry) -> Int? {
    if isWeightBound(g) { return g.batch >= 2 ? g.batch : nil }
    let plane = g.outHeight * g.outWidth
    let perSample = (g.columnRows + g.outChannels) * plane
    let samples = min(tileBudget / perSample, (g.batch + minimumTiles - 1) / minimumTiles)
    guard samples >= 1, samples * plane >= minimumTileColumns, g.batch > samples else { return nil }
    return samples
  }

  /// Scratch floats of `tiledColumnsForward`: a slot per running tile; 0 when the geometry does not
  /// run in tiles. Sized by the budget's tiles even where a pointwise sample per tile applies (it
  /// needs no scratch): a smaller batch may fall back to them, and they never shrink as the batch
  /// grows, so the count for the largest batch covers every smaller one.
  static func tiledScratchCount(_ g: Conv2DGeometry) -> Int {
    guard let samples = samplesWithinBudget(g) else { return 0 }
    // A weight-bound convolution's single tile runs alone; it grows with the batch.
    if isWeightBound(g) { return tileSlotCount(g, samplesPerTile: samples) }
    return tileSlots * tileSlotCount(g, samplesPerTile: samples)
  }

  /// Floats of one tile's slot: its columns and product; a tile of one sample multiplies into the
  /// output and, pointwise, reads the input as its columns.
  static func tileSlotCount(_ g: Conv2DGeometry, samplesPerTile samples: Int) -> Int {
    let plane = g.outHeight * g.outWidth
    if samples == 1 { return g.isPointwise ? 0 : g.columnRows * plane }
    return (g.columnRows + g.outChannels) * samples * plane
  }

  /// `columnsForward` in tiles of `tileSamples` samples on `threads` threads (tests pass several
  /// counts). A tile of one sample multiplies straight
  /// into the NCHW output (a pointwise one reads the input itself as its columns, and with few input
  /// channels runs the direct kernel, `directPointwiseSample`); larger tiles
  /// multiply into their slot and the epilogue writes each channel's rows into place.
  static func tiledColumnsForward(
    _ g: Conv2DGeometry, samplesPerTile tileSamples: Int, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, activation: ActivationKind, channelScale: UnsafePointer<Float>?,
    shortcut: UnsafePointer<Float>? = nil, threads: Int = Parallel.threadCount
  ) {
    Parallel.singleThreadedBLAS
    let plane = g.outHeight * g.outWidth
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let outSample = g.outChannels * plane
    let groupRows = g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
    let groupOut = g.outChannelsPerGroup
    let slot = tileSlotCount(g, samplesPerTile: tileSamples)
    let tiles = (g.batch + tileSamples - 1) / tileSamples
    let tileWork = tileSamples * plane * g.outChannels * groupRows
    let direct = runsDirectPointwise(g)
    if tiles == 1 && tileSamples > 1 && g.isPointwise {
      wholeBatchPointwise(
        g, input: input, weight: weight, bias: bias, output: output, scratch: scratch, activation: activation,
        channelScale: channelScale, shortcut: shortcut, threads: threads)
      return
    }
    Parallel.forEach(tiles, workPerItem: tileWork, partLimit: tileSlots, threads: threads) { part, tile in
      let first = tile * tileSamples
      let count = min(tileSamples, g.batch - first)
      let width = count * plane
      let tileInput = input + first * inSample
      if count == 1 && direct {
        directPointwiseSample(
          g, input: tileInput, weight: weight, bias: bias, output: output + first * outSample,
          activation: activation, channelScale: channelScale,
          shortcut: shortcut.map { $0 + first * outSample })
        return
      }
      let slotBase = scratch + part * slot
      let columns: UnsafePointer<Float>
      if count == 1 && g.isPointwise {
        columns = tileInput
      } else if g.isPointwise {
        // The samples' planes side by side, each channel's row read in input order.
        for sample in 0..<count {
          for channel in 0..<g.inChannels {
            copyFloats(
              tileInput + sample * inSample + channel * plane, slotBase + channel * width + sample * plane,
              count: plane)
          }
        }
        columns = UnsafePointer(slotBase)
      } else {
        for item in 0..<(count * g.inChannels) {
          im2col(g, input: tileInput, samples: count, columns: slotBase, item: item)
        }
        columns = UnsafePointer(slotBase)
      }
      let product = count == 1 ? output + first * outSample : slotBase + g.columnRows * tileSamples * plane
      for group in 0..<g.groups {
        serialSGEMM(
          transposeA: false, transposeB: false, m: groupOut, n: width, k: groupRows, alpha: 1,
          a: weight + group * groupOut * groupRows, lda: groupRows,
          b: columns + group * groupRows * width, ldb: width, beta: 0,
          c: product + group * groupOut * width, ldc: width)
      }
      // Sample by sample, so the output is written in order.
      for sample in 0..<count {
        let sampleOutput = output + (first + sample) * outSample
        let sampleShortcut = shortcut.map { $0 + (first + sample) * outSample }
        for channel in 0..<g.outChannels {
          convolutionEpilogue(
            product + (channel * count + sample) * plane, sampleOutput + channel * plane,
            count: plane, scale: channelScale?[channel], bias: bias?[channel], activation: activation,
            shortcut: sampleShortcut.map { $0 + channel * plane })
        }
      }
    }
  }

  /// The single tile of a weight-bound pointwise convolution (`isWeightBound`): the samples' planes
  /// side by side, then panels of output channels on `threads` threads, each a product and its
  /// epilogue into place. Panels depend on the shape alone, so one thread makes the very same
  /// OpenBLAS calls as eight and any thread count gives the same bits.
  static func wholeBatchPointwise(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    activation: ActivationKind, channelScale: UnsafePointer<Float>?, shortcut: UnsafePointer<Float>?,
    threads: Int
  ) {
    let plane = g.outHeight * g.outWidth
    let inSample = g.inChannels * plane
    let outSample = g.outChannels * plane
    let width = g.batch * plane
    let (groupRows, groupOut) = (g.inChannelsPerGroup, g.outChannelsPerGroup)
    let columns = scratch
    let product = scratch + g.columnRows * width
    Parallel.forEach(g.batch, workPerItem: inSample, threads: threads) { _, sample in
      for channel in 0..<g.inChannels {
        copyFloats(
          input + sample * inSample + channel * plane, columns + channel * width + sample * plane,
          count: plane)
      }
    }
    // Panels of output channels, each packing its share of the weights once and the columns (far
    // smaller) again: about one panel per columns' worth of weights, 2 to 8, a function of the shape.
    let panels = max(2, min(8, groupOut / width))
    let rowsPerPanel = ((groupOut + panels - 1) / panels + 3) / 4 * 4
    let panelCount = (groupOut + rowsPerPanel - 1) / rowsPerPanel
    Parallel.forEach(
      g.groups * panelCount, workPerItem: rowsPerPanel * width * groupRows, threads: threads
    ) { _, item in
      let (group, panel) = item.quotientAndRemainder(dividingBy: panelCount)
      let first = group * groupOut + panel * rowsPerPanel
      let rows = min(rowsPerPanel, groupOut - panel * rowsPerPanel)
      serialSGEMM(
        transposeA: false, transposeB: false, m: rows, n: width, k: groupRows, alpha: 1,
        a: weight + first * groupRows, lda: groupRows, b: columns + group * groupRows * width, ldb: width,
        beta: 0, c: product + first * width, ldc: width)
      // The panel's epilogue while its product is in cache.
      for channel in first..<(first + rows) {
        for sample in 0..<g.batch {
          let offset = sample * outSample + channel * plane
          convolutionEpilogue(
            product + channel * width + sample * plane, output + offset, count: plane,
            scale: channelScale?[channel], bias: bias?[channel], activation: activation,
            shortcut: shortcut.map { $0 + offset })
        }
      }
    }
  }
}
