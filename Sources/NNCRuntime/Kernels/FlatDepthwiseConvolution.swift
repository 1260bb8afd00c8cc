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
  /// Whether the kernels read per-lane weights (`nnc_depthwise_flat_expand`): planes of 16 pixels or
  /// fewer, dividing 16, except the register variants' 4x4 planes, which splat the kernel's values.
  let expandsWeights: Bool
  /// Whether the geometry runs the register variants (MobileNet's 3x3 maps of 2x2 to 32x32).
  let usesRegisters: Bool

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
    expandsWeights = nnc_depthwise_flat_expanded_floats(memory, 1) > 0
    usesRegisters = nnc_depthwise_flat_uses_registers(memory) != 0
  }

  deinit { memory.deallocate() }

  /// The geometry's twelve fields in one value (no allocation per lookup: every forward and
  /// backward call looks its table up).
  private struct Key: Hashable {
    let fields: SIMD16<Int32>
    init(_ s: nnc_depthwise_shape) {
      fields = SIMD16(
        s.in_height, s.in_width, s.out_height, s.out_width, s.kernel_height, s.kernel_width, s.stride_h,
        s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left, 0, 0, 0, 0)
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

  /// The backward pass of planes of at least this many pixels runs one task per (sample, block of
  /// channels), contiguous in memory, each writing its sample's tap sums, added over the samples
  /// afterwards; smaller (packed) planes run one task per block of channels over the whole batch,
  /// summing the samples in their accumulators (per-sample sums would cost as much as the products
  /// there). 8x8 maps measured faster per sample (MobileNetV2's 0.76-0.78 → 0.41-0.61 ms at stride 2,
  /// 0.93-1.00 → 0.67-0.86 at stride 1, three alternating pairs): a channel's planes a sample
  /// apart are short reads the hardware prefetchers do not follow.
  static let flatSampleTaskMinimumPixels = 64

  /// The tasks of a flat forward or backward pass: `blocks` blocks of `block` channels (a multiple
  /// of the table's channel quantum), each over `samplesPerTask` samples, 1 or the whole batch;
  /// task t is block t % blocks of the samples from t / blocks · samplesPerTask. Sample tasks take
  /// about 4,096 output floats, so that a task amortizes its scratch and the batch still splits
  /// into many tasks; batch tasks a sixteenth of the channels, whose packed per-lane weights (10
  /// vectors per vector of outputs) stay in the first-level cache while the samples stream past.
  private struct FlatTasks {
    let block: Int
    let blocks: Int
    let samplesPerTask: Int
    let count: Int

    init(_ g: Conv2DGeometry, _ table: FlatDepthwiseTable, overTheBatch: Bool) {
      let plane = g.outHeight * g.outWidth
      let planes = overTheBatch ? max(1, g.outChannels / 16) : max(1, 4096 / plane)
      let quantum = table.channelQuantum
      block = min(g.outChannels, (planes + quantum - 1) / quantum * quantum)
      blocks = (g.outChannels + block - 1) / block
      samplesPerTask = overTheBatch ? g.batch : 1
      count = g.batch / samplesPerTask * blocks
    }
  }

  /// Scratch floats of the flat kernels for `g` (0 when they do not run it): the packed planes'
  /// per-lane weights (`nnc_depthwise_flat_expand`, 64-byte aligned), then the backward pass's tap
  /// sums of each task's samples, then each part's work area (`flatWorkFloats`). Sized for the batch
  /// of `g`, so a plan's scratch covers every smaller batch.
  static func flatScratchCount(_ g: Conv2DGeometry) -> Int {
    guard g.outChannels == g.inChannels, let table = FlatDepthwiseTable.table(for: g) else { return 0 }
    let tasks = FlatTasks(g, table, overTheBatch: g.outHeight * g.outWidth < flatSampleTaskMinimumPixels)
    return flatExpandedSlot(g, table) + g.batch / tasks.samplesPerTask * g.weightCount
      + Parallel.maximumParts * flatWorkFloats(g, table)
  }

  /// Floats of one part's work area: what a call over the widest block of channels, forward or
  /// backward, uses (`nnc_depthwise_flat_work_floats`), in whole 64-byte lines.
  private static func flatWorkFloats(_ g: Conv2DGeometry, _ table: FlatDepthwiseTable) -> Int {
    let blocks = [true, false].map { FlatTasks(g, table, overTheBatch: $0).block }
    let floats = blocks.map { Int(nnc_depthwise_flat_work_floats(table.memory, Int32($0), 1)) }.max() ?? 0
    return (floats + 15) / 16 * 16
  }

  /// Floats the expanded weights take at the front of the scratch, alignment slack included.
  private static func flatExpandedSlot(_ g: Conv2DGeometry, _ table: FlatDepthwiseTable) -> Int {
    let floats = nnc_depthwise_flat_expanded_floats(table.memory, Int32(g.outChannels))
    return floats > 0 ? (floats + 15) / 16 * 16 + 16 : 0
  }

  /// The flat kernels' buffers of one call: the expanded weights (nil when the planes are not
  /// packed), room for the tap sums, and part p's work area (nil: the kernel allocates one).
  private struct FlatBuffers {
    let expanded: UnsafePointer<Float>?
    let sums: UnsafeMutablePointer<Float>
    let work: UnsafeMutablePointer<Float>?
    let workFloats: Int

    func work(part: Int) -> UnsafeMutablePointer<Float>? { work.map { $0 + part * workFloats } }
  }

  /// Runs `body` with the scratch's parts: the expanded weights, written here, room for `sumCount`
  /// tap sums and the parts' work areas. Without `scratch` (a caller with no plan, such as a kernel
  /// test) the first two are allocated for the call and the kernels allocate their work areas; an
  /// executor passes its planned scratch (`flatScratchCount`), so a training step allocates
  /// nothing here.
  private static func withFlatBuffers(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, sumCount: Int, scratch: UnsafeMutablePointer<Float>?,
    _ body: (FlatBuffers) -> Void
  ) {
    let slot = flatExpandedSlot(g, table)
    let owned = scratch == nil ? UnsafeMutablePointer<Float>.allocate(capacity: max(1, slot + sumCount)) : nil
    defer { owned?.deallocate() }
    let base = scratch ?? owned!
    let workFloats = flatWorkFloats(g, table)
    let work = scratch.map { $0 + slot + sumCount }
    guard slot > 0 else {
      body(FlatBuffers(expanded: nil, sums: base, work: work, workFloats: workFloats))
      return
    }
    // Aligned, each vector of expanded weights is one cache line (the kernels accept any address).
    let expanded = UnsafeMutablePointer<Float>(
      bitPattern: (Int(bitPattern: base) + 63) / 64 * 64)!
    nnc_depthwise_flat_expand(table.memory, weight, bias, Int32(g.outChannels), expanded)
    body(
      FlatBuffers(expanded: UnsafePointer(expanded), sums: base + slot, work: work, workFloats: workFloats))
  }

  /// `forward` by the flat kernels (`FlatTasks`): planes with expanded weights over the batch, so a
  /// task's expanded weights stay in the first-level cache (the general kernels' 4x4 and 2x2 layers
  /// of MobileNetV2 at 64x64: 0.67 → 0.42 and 0.39 → 0.29 ms a step in alternating runs), others per
  /// sample, contiguous (8x8 maps measured slower over the batch; the register variants' 4x4 layers,
  /// which splat their weights, 0.37 → 0.21 and 0.25 → 0.16 ms a step against over the batch with
  /// expanded weights).
  static func forwardFlat(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, _ isa: Int32, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind, scratch: UnsafeMutablePointer<Float>?
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let taps = g.kernelHeight * g.kernelWidth
    let tasks = FlatTasks(g, table, overTheBatch: table.expandsWeights)
    withFlatBuffers(g, table, weight: weight, bias: bias, sumCount: 0, scratch: scratch) { buffers in
      let lanes = buffers.expanded
      Parallel.forEach(tasks.count, workPerItem: tasks.samplesPerTask * tasks.block * outPlane * taps) {
        part, task in
        let (sample, index) = task.quotientAndRemainder(dividingBy: tasks.blocks)
        let (n, first) = (sample * tasks.samplesPerTask, index * tasks.block)
        let count = min(tasks.block, g.outChannels - first)
        nnc_depthwise_flat_forward(
          isa, table.memory, input + n * inStride + first * inPlane, weight + first * taps,
          bias.map { $0 + first },
          lanes.map { $0 + nnc_depthwise_flat_expanded_floats(table.memory, Int32(first)) },
          Int32(count), Int32(tasks.samplesPerTask), inStride, outStride,
          output + n * outStride + first * outPlane, buffers.work(part: part))
        for m in n..<(n + tasks.samplesPerTask) {
          let dst = output + m * outStride + first * outPlane
          convolutionEpilogue(
            dst, dst, count: count * outPlane, scale: nil, bias: nil, activation: activation)
        }
      }
    }
  }

  /// Both gradients by the flat kernels (`FlatTasks`), from one copy of each plane of input and
  /// grad_output. Every tap sum adds the samples in order, so no result depends on the thread count.
  static func backwardFlat(
    _ g: Conv2DGeometry, _ table: FlatDepthwiseTable, _ isa: Int32, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>?
  ) {
    guard gradInput != nil || gradWeight != nil else { return }
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let taps = g.kernelHeight * g.kernelWidth
    let tasks = FlatTasks(g, table, overTheBatch: g.outHeight * g.outWidth < flatSampleTaskMinimumPixels)
    // The tap sums of each task's samples: one set per sample for sample tasks.
    let partialCount = g.batch / tasks.samplesPerTask
    let sumCount = gradWeight == nil ? 0 : partialCount * g.weightCount
    withFlatBuffers(g, table, weight: weight, bias: nil, sumCount: sumCount, scratch: scratch) { buffers in
      let lanes = buffers.expanded
      let sums = gradWeight == nil ? nil : buffers.sums
      Parallel.forEach(tasks.count, workPerItem: 2 * tasks.samplesPerTask * tasks.block * outPlane * taps) {
        part, task in
        let (sample, index) = task.quotientAndRemainder(dividingBy: tasks.blocks)
        let (n, first) = (sample * tasks.samplesPerTask, index * tasks.block)
        let count = min(tasks.block, g.outChannels - first)
        nnc_depthwise_flat_backward(
          isa, table.memory, input + n * inStride + first * inPlane,
          gradOutput + n * outStride + first * outPlane,
          weight + first * taps,
          lanes.map { $0 + nnc_depthwise_flat_expanded_floats(table.memory, Int32(first)) },
          Int32(count), Int32(tasks.samplesPerTask), inStride, outStride,
          gradInput.map { $0 + n * inStride + first * inPlane },
          sums.map { $0 + sample * g.weightCount + first * taps }, buffers.work(part: part))
      }
      guard let gradWeight, let sums else { return }
      addPartialSums(sums, parts: partialCount, count: g.weightCount, into: gradWeight)
    }
  }
}
