import CKernels
import Synchronization

/// The lane masks and tap offsets of the flat depthwise kernels (`Sources/CKernels/depthwise_flat.c`)
/// for one geometry, built the first time the geometry runs and kept for the process: a model has a
/// handful of depthwise geometries and a table is a few KiB to a few dozen (16 KiB of masks plus two
/// bytes per tap and vector of a plane), where building it on every call cost a tenth of a 32x32
/// layer's forward pass.
final class FlatDepthwiseTable: @unchecked Sendable {
  let memory: UnsafeMutableRawPointer
  /// Channels per call so that packed vectors (4x4 and smaller maps) never span two calls.
  let channelQuantum: Int

  private init?(_ shape: nnc_depthwise_shape) {
    var shape = shape
    let bytes = nnc_depthwise_flat_table_bytes(&shape)
    guard bytes > 0 else { return nil }
    memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    guard nnc_depthwise_flat_table(&shape, memory) != 0 else {
      memory.deallocate()
      return nil
    }
    channelQuantum = Int(nnc_depthwise_flat_channel_quantum(memory))
  }

  deinit { memory.deallocate() }

  private struct Key: Hashable {
    let fields: [Int32]
    init(_ s: nnc_depthwise_shape) {
      fields = [
        s.in_height, s.in_width, s.out_height, s.out_width, s.kernel_height, s.kernel_width, s.stride_h,
        s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left,
      ]
    }
  }

  /// Tables by geometry; nil for geometries the flat kernels do not run.
  private static let tables = Mutex<[Key: FlatDepthwiseTable?]>([:])

  /// The table of `g`'s planes, or nil when the flat kernels do not run it: they need stride 1 with
  /// the output the size of the input, or stride 2 with the input exactly twice the output.
  static func table(for g: Conv2DGeometry) -> FlatDepthwiseTable? {
    let shape = g.planeShape
    let key = Key(shape)
    if let known = tables.withLock({ $0[key] }) { return known }
    let table = FlatDepthwiseTable(shape)
    tables.withLock { $0[key] = table }
    return table
  }
}

extension DepthwiseConv2D {
  /// Whether `forward` and `backward` run `g` with the flat kernels: a multiplier of 1 and a
  /// geometry with a flat table (`FlatDepthwiseTable.table(for:)`: every "same" 3x3 layer of
  /// MobileNet and Xception, stride 1 and 2 on even maps).
  static func runsFlat(_ g: Conv2DGeometry) -> Bool {
    g.outChannels == g.inChannels && FlatDepthwiseTable.table(for: g) != nil
  }

  /// Channels per task: about 4,096 output floats (a multiple of the table's channel quantum), so
  /// that a task amortizes its scratch and the batch still splits into many tasks; packed planes 16
  /// vectors, whose per-lane weights (10 vectors each) then stay in the first-level cache.
  private static func flatBlock(_ g: Conv2DGeometry, _ table: FlatDepthwiseTable) -> Int {
    let quantum = table.channelQuantum
    let plane = g.outHeight * g.outWidth
    let packed = plane <= 16 && 16 % plane == 0
    let planes = packed ? 256 / plane : max(1, 4096 / plane)
    return min(g.outChannels, (planes + quantum - 1) / quantum * quantum)
  }

  /// The per-lane weights of packed planes for every channel (`nnc_depthwise_flat_expand`), or an
  /// empty buffer; the caller deallocates it.
  private static func expandedWeights(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?
  ) -> UnsafeMutableRawPointer? {
    let floats = nnc_depthwise_flat_expanded_floats(table.memory, Int32(g.outChannels))
    guard floats > 0 else { return nil }
    let memory = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64)
    nnc_depthwise_flat_expand(
      table.memory, weight, bias, Int32(g.outChannels), memory.assumingMemoryBound(to: Float.self))
    return memory
  }

  /// `forward` by the flat kernels: one task per (sample, block of channels), contiguous in memory.
  static func forwardFlat(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, _ isa: Int32, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    let block = flatBlock(g, table)
    let blocks = (g.outChannels + block - 1) / block
    let expanded = expandedWeights(g, table, weight: weight, bias: bias)
    defer { expanded?.deallocate() }
    let lanes = expanded?.assumingMemoryBound(to: Float.self)
    Parallel.forEach(g.batch * blocks, workPerItem: block * outPlane * taps) { task in
      let (n, index) = task.quotientAndRemainder(dividingBy: blocks)
      let first = index * block
      let count = min(block, g.outChannels - first)
      let dst = output + (n * g.outChannels + first) * outPlane
      nnc_depthwise_flat_forward(
        isa, table.memory, input + (n * g.inChannels + first) * inPlane, weight + first * taps,
        bias.map { $0 + first },
        lanes.map { $0 + nnc_depthwise_flat_expanded_floats(table.memory, Int32(first)) },
        Int32(count), dst)
      convolutionEpilogue(dst, dst, count: count * outPlane, scale: nil, bias: nil, activation: activation)
    }
  }

  /// Planes of at least this many pixels run their backward pass one task per (sample, block of
  /// channels), contiguous in memory, each writing its tap sums for its sample, added over the
  /// samples afterwards; smaller ones one task per block of channels over the whole batch, summing
  /// the samples in their accumulators (per-sample sums would cost as much as the products there).
  static let flatSampleTaskMinimumPixels = 256

  /// Both gradients by the flat kernels, from one copy of each plane of input and grad_output. Every
  /// tap sum adds the samples in order, so no result depends on the thread count.
  static func backwardFlat(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, _ isa: Int32, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?
  ) {
    guard gradInput != nil || gradWeight != nil else { return }
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    let expanded = expandedWeights(g, table, weight: weight, bias: nil)
    defer { expanded?.deallocate() }
    let lanes = expanded?.assumingMemoryBound(to: Float.self)
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let bySample = outPlane >= flatSampleTaskMinimumPixels
    let block =
      bySample
      ? flatBlock(g, table)
      : min(
        g.outChannels,
        max(1, (g.outChannels / 16 + table.channelQuantum - 1) / table.channelQuantum)
          * table.channelQuantum)
    let blocks = (g.outChannels + block - 1) / block
    let partialCount = bySample ? g.batch : 1
    let sums = gradWeight.map { _ in
      UnsafeMutablePointer<Float>.allocate(capacity: partialCount * g.weightCount)
    }
    defer { sums?.deallocate() }
    let samplesPerTask = bySample ? 1 : g.batch
    Parallel.forEach(partialCount * blocks, workPerItem: 2 * samplesPerTask * block * outPlane * taps) {
      task in
      let (n, index) = task.quotientAndRemainder(dividingBy: blocks)
      let first = index * block
      let count = min(block, g.outChannels - first)
      nnc_depthwise_flat_backward(
        isa, table.memory, input + n * inStride + first * inPlane,
        gradOutput + n * outStride + first * outPlane,
        weight + first * taps,
        lanes.map { $0 + nnc_depthwise_flat_expanded_floats(table.memory, Int32(first)) },
        Int32(count), Int32(samplesPerTask), inStride, outStride,
        gradInput.map { $0 + n * inStride + first * inPlane },
        sums.map { $0 + n * g.weightCount + first * taps })
    }
    guard let gradWeight, let sums else { return }
    for index in 0..<g.weightCount {
      var total: Float = 0
      for n in 0..<partialCount { total += sums[n * g.weightCount + index] }
      gradWeight[index] += total
    }
  }
}
