import CKernels
import NNCGraph

/// Pointwise (1x1) convolutions of channels-last values (inference): the batch's pixels are the
/// rows of one [pixels, inChannels] matrix, so the layer is a single product with the transposed
/// weights, output[pixels, outChannels] = input · weightᵀ, however small each sample's map is —
/// where channels-first kernels multiply per sample, or copy samples side by side into tiles.
/// The product is the C kernel `nnc_pointwise_nhwc_forward`, which writes each output once with its
/// epilogue, unless the weights are too many to stay in cache (then OpenBLAS).
extension Conv2D {
  /// Weights at most for the direct kernel: each block of 4 pixels sweeps them all, so they must
  /// stay in the core's caches. `Benchmarks/pointwise_channels_last.c` (MobileNetV2's 1x1 layers at
  /// batch 32, one thread, CPU time, AVX2 code on an AMD EPYC with AVX-512) put the direct kernel,
  /// with its weights packed per block, at 0.64-0.97x OpenBLAS's time on every layer up to 320 x
  /// 1280 weights (100-107 GFLOP/s on all but the two memory-bound 32x32 layers); its AVX-512
  /// variant (blocks of 8 pixels × 32 outputs) 1.03-1.09x faster again on the layers of 64 input
  /// channels and more (110-117 GFLOP/s), level on the narrower ones.
  static let directChannelsLastMaximumWeights = UseChannelsLast.maximumPointwiseWeights
  /// Patch length at most of `patchProductForward` (its per-part patch buffers).
  static let directChannelsLastMaximumInputs = 160

  /// Whether the direct kernel computes the layer (else OpenBLAS). Activations besides ReLU and
  /// ReLU6 run afterwards on its rows.
  static func runsDirectChannelsLastPointwise(_ g: Conv2DGeometry) -> Bool {
    g.weightCount <= directChannelsLastMaximumWeights
  }

  /// Floats of the direct kernel's packed weights (scratch, or weights an executor keeps).
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
    packedWeight: UnsafeMutablePointer<Float>?, packedWeightIsCurrent: Bool = false,
    threads: Int = Parallel.threadCount, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(
      g.isPointwise && g.groups == 1, "a channels-last pointwise convolution is 1x1 and ungrouped: \(g)")
    precondition(
      shortcut != UnsafePointer(output) || (runsDirectChannelsLastPointwise(g) && packedWeight != nil),
      "only the direct kernel writes a sum over its shortcut: OpenBLAS's products write before the epilogue")
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
    if runsDirectChannelsLastPointwise(g), let packed = packedWeight {
      // Packed in the kernel's blocks of output channels, so it reads them in order; an inference
      // executor keeps them packed between batches (`keptWeightCount`).
      if !packedWeightIsCurrent { nnc_pointwise_nhwc_pack(Int32(outputs), Int32(inputs), weight, packed) }
      let code = activation.pointwiseKernelCode ?? Int32(NNC_POINTWISE_LINEAR)
      // The packed weights are shared, so tasks can be small: about 16 of them keep both cores busy
      // on the 128-pixel layers of 2x2 maps. Every output's arithmetic is the same in any task.
      let directRows = max(4, min(rows, ((pixels + 15) / 16 + 3) / 4 * 4))
      let directTasks = (pixels + directRows - 1) / directRows
      Parallel.forEach(directTasks, workPerItem: directRows * inputs * outputs, threads: threads) { _, task in
        let first = task * directRows
        let count = min(directRows, pixels - first)
        let rowsOutput = output + first * outputs
        nnc_pointwise_nhwc_forward(
          instructionSet.code, Int32(outputs), Int32(inputs), Int32(count), packed, input + first * inputs,
          rowsOutput, shortcut.map { $0 + first * outputs }, channelScale, bias, code)
        if activation.pointwiseKernelCode == nil {
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
