import CKernels

/// Pointwise (1x1) convolutions of channels-last values (inference): the batch's pixels are the
/// rows of one [pixels, inChannels] matrix, so the layer is a single product with the transposed
/// weights, output[pixels, outChannels] = input · weightᵀ, however small each sample's map is —
/// where channels-first kernels multiply per sample, or copy samples side by side into tiles.
/// With few input channels the product is the C kernel `nnc_pointwise_nhwc_forward`, which writes
/// each output once with its epilogue (as `directPointwiseSample` does channels-first); else OpenBLAS.
extension Conv2D {
  /// Input channels at most, and weights at most (their transpose stays in the core's L2 cache),
  /// for the direct kernel. `Benchmarks/pointwise_channels_last.c` (MobileNetV2's 1x1 layers at
  /// batch 32, one thread, CPU time) put the direct kernel at 0.68-0.90x OpenBLAS's time up to 144
  /// inputs (0.85x for 96 -> 576), and at 1.03-1.31x from 192 inputs or 160 x 960 weights on.
  static let directChannelsLastMaximumInputs = 160
  static let directChannelsLastMaximumWeights = 64 * 1024

  /// Whether the direct kernel computes the layer: few inputs and weights (above, OpenBLAS's
  /// blocking wins). Activations besides ReLU and ReLU6 run afterwards on its rows.
  static func runsDirectChannelsLastPointwise(_ g: Conv2DGeometry) -> Bool {
    g.inChannels <= directChannelsLastMaximumInputs && g.weightCount <= directChannelsLastMaximumWeights
  }

  /// Scratch floats: the transposed weights of the direct kernel.
  static func channelsLastPointwiseScratchCount(_ g: Conv2DGeometry) -> Int {
    runsDirectChannelsLastPointwise(g) ? g.weightCount : 0
  }

  /// Pixel rows per task: enough rows that packing the weights (inChannels × outChannels, once
  /// per task) is a small share of the task's products, and few enough that its output rows stay in
  /// the core's cache for the epilogue. A function of the channel counts alone.
  static func channelsLastPointwiseRows(outChannels: Int) -> Int {
    let cacheRows = (64 * 1024 / max(1, outChannels)) / 16 * 16
    return max(64, min(512, cacheRows))
  }

  /// output = activation(input · weightᵀ · channelScale + bias [+ shortcut]) over NHWC values, the
  /// epilogue of `convolutionEpilogue` applied per channel across each pixel's row. Tasks of
  /// `channelsLastPointwiseRows` pixels each run one single-threaded product, then the epilogue on
  /// its rows while they are in cache; the rows of a task depend on the geometry and batch alone, so
  /// every thread count issues the same OpenBLAS calls.
  static func channelsLastPointwiseForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, shortcut: UnsafePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>?,
    threads: Int = Parallel.threadCount, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(
      g.isPointwise && g.groups == 1, "a channels-last pointwise convolution is 1x1 and ungrouped: \(g)")
    let pixels = g.batch * g.outHeight * g.outWidth
    let (inputs, outputs) = (g.inChannels, g.outChannels)
    let rows = channelsLastPointwiseRows(outChannels: outputs)
    let hasEpilogue = bias != nil || channelScale != nil || activation != .linear || shortcut != nil
    func epilogue(_ range: Range<Int>) {
      guard hasEpilogue else { return }
      for pixel in range {
        channelsLastEpilogue(
          output + pixel * outputs, channels: outputs, scale: channelScale, bias: bias,
          activation: activation,
          shortcut: shortcut.map { $0 + pixel * outputs })
      }
    }
    let tasks = (pixels + rows - 1) / rows
    if runsDirectChannelsLastPointwise(g), let scratch {
      // [inChannels, outChannels]: each input channel's weights for every output, one vector load.
      for o in 0..<outputs {
        for c in 0..<inputs { scratch[c * outputs + o] = weight[o * inputs + c] }
      }
      let code =
        activation == .relu
        ? Int32(NNC_POINTWISE_RELU)
        : activation == .relu6 ? Int32(NNC_POINTWISE_RELU6) : Int32(NNC_POINTWISE_LINEAR)
      Parallel.forEach(tasks, workPerItem: rows * inputs * outputs, threads: threads) { _, task in
        let first = task * rows
        let count = min(rows, pixels - first)
        let rowsOutput = output + first * outputs
        nnc_pointwise_nhwc_forward(
          instructionSet.code, Int32(outputs), Int32(inputs), Int32(count), scratch, input + first * inputs,
          rowsOutput, shortcut.map { $0 + first * outputs }, channelScale, bias, code)
        if code == Int32(NNC_POINTWISE_LINEAR) && activation != .linear {
          activation.forwardSerial(UnsafePointer(rowsOutput), rowsOutput, count: count * outputs)
        }
      }
      return
    }
    if tasks < 2 {
      // Too few pixels to split by rows: `sgemm` splits the product by its own panels.
      splitSGEMM(
        threads: threads, transposeA: false, transposeB: true, m: pixels, n: outputs, k: inputs, alpha: 1,
        a: input, lda: inputs, b: weight, ldb: inputs, beta: 0, c: output, ldc: outputs)
      let parts = min(pixels, 8)
      Parallel.forEach(parts, workPerItem: pixels / parts * outputs, threads: threads) { _, part in
        epilogue((part * pixels / parts)..<((part + 1) * pixels / parts))
      }
      return
    }
    Parallel.singleThreadedBLAS
    Parallel.forEach(tasks, workPerItem: rows * inputs * outputs, threads: threads) { _, task in
      let first = task * rows
      let count = min(rows, pixels - first)
      serialSGEMM(
        transposeA: false, transposeB: true, m: count, n: outputs, k: inputs, alpha: 1,
        a: input + first * inputs, lda: inputs, b: weight, ldb: inputs, beta: 0, c: output + first * outputs,
        ldc: outputs)
      epilogue(first..<(first + count))
    }
  }
}

/// One pixel's `channels` outputs, in place: activation(value · scale[c] + bias[c] [+ shortcut[c]]),
/// with `convolutionEpilogue`'s arithmetic per element (a nil scale is 1, a nil bias 0; with a
/// shortcut, ReLU as `max(x, 0)`), so a channel's bits do not depend on the layout.
@inline(__always)
func channelsLastEpilogue(
  _ row: UnsafeMutablePointer<Float>, channels: Int, scale: UnsafePointer<Float>?,
  bias: UnsafePointer<Float>?,
  activation: ActivationKind, shortcut: UnsafePointer<Float>?
) {
  let affine = scale != nil || bias != nil
  let relu = activation == .relu
  let relu6 = activation == .relu6
  @inline(__always) func apply<Lanes: FloatLanes & ClampableLanes>(_ c: Int, _: Lanes.Type) {
    var value = Lanes.load(row + c)
    if affine {
      value = value.scaled(by: scale.map { Lanes.load($0 + c) }) + (bias.map { Lanes.load($0 + c) } ?? .zero)
    }
    if let shortcut {
      value = value + Lanes.load(shortcut + c)
      if relu { value = value.clamped(belowOrAt: 0) }
    } else if relu {
      value = value.clamped(below: 0)
    }
    if relu6 { value = value.clamped(belowOrAt: 0).clamped(above: 6) }
    value.store(row + c)
  }
  forEachLaneGroup(channels) { c, vector in
    if vector { apply(c, SIMD8<Float>.self) } else { apply(c, Float.self) }
  }
  if !relu && !relu6 && activation != .linear {
    activation.forwardSerial(UnsafePointer(row), row, count: channels)
  }
}

/// The clamps of the epilogues, lane by lane, as the scalar code computes them: `clamped(below: 0)`
/// is ReLU's x < 0 → 0, `clamped(belowOrAt: 0)` x ≤ 0 → 0 (−0 becomes 0), `clamped(above: 6)`
/// x > 6 → 6; NaN passes all three.
protocol ClampableLanes {
  func clamped(below bound: Float) -> Self
  func clamped(belowOrAt bound: Float) -> Self
  func clamped(above bound: Float) -> Self
  /// self · scale, or self when `scale` is nil.
  func scaled(by scale: Self?) -> Self
}

extension Float: ClampableLanes {
  @inline(__always) func clamped(below bound: Float) -> Float { self < bound ? bound : self }
  @inline(__always) func clamped(belowOrAt bound: Float) -> Float { self <= bound ? bound : self }
  @inline(__always) func clamped(above bound: Float) -> Float { self > bound ? bound : self }
  @inline(__always) func scaled(by scale: Float?) -> Float { scale.map { self * $0 } ?? self }
}

extension SIMD8: ClampableLanes where Scalar == Float {
  @inline(__always) func clamped(below bound: Float) -> SIMD8<Float> {
    replacing(with: bound, where: self .< bound)
  }
  @inline(__always) func clamped(belowOrAt bound: Float) -> SIMD8<Float> {
    replacing(with: bound, where: self .<= bound)
  }
  @inline(__always) func clamped(above bound: Float) -> SIMD8<Float> {
    replacing(with: bound, where: self .> bound)
  }
  @inline(__always) func scaled(by scale: SIMD8<Float>?) -> SIMD8<Float> { scale.map { self * $0 } ?? self }
}
