import CKernels
import NNCRandom
import Testing

@testable import NNCRuntime

/// A 3x3 depthwise geometry with a multiplier of 1.
private func depthwise3x3(
  batch: Int, channels: Int, size: Int, stride: Int = 1, pad: Int = 1
) -> Conv2DGeometry {
  Conv2DGeometry(
    batch: batch, inChannels: channels, inHeight: size, inWidth: size, outChannels: channels, kernelHeight: 3,
    kernelWidth: 3, strideH: stride, strideW: stride, padTop: pad, padBottom: pad, padLeft: pad,
    padRight: pad,
    groups: channels)
}

/// The flat kernels' task modes: planes of 256 pixels and more one task per (sample, block)
/// (32x32, and 32x32 to 16x16), smaller ones per block over the batch (8x8 by plane; 4x4 and 2x2
/// packed, 16 / pixels channels a vector; 8x8 to 4x4 and 4x4 to 2x2 at stride 2). 44 channels leave a
/// partial last block.
private let flatCases: [(size: Int, stride: Int)] = [
  (32, 1), (32, 2), (8, 1), (4, 1), (2, 1), (8, 2), (4, 2),
]

@Suite struct FlatDepthwiseTests {
  /// `NNC_INSTRUCTION_SET` picks an older variant than the CPU's newest, never a newer one or an
  /// unknown name.
  @Test func theEnvironmentCanAskForAnOlderInstructionSet() {
    typealias ISA = DepthwiseInstructionSet
    #expect(ISA.chosen(requested: nil, newest: .avx512) == .avx512)
    #expect(ISA.chosen(requested: "avx2", newest: .avx512) == .avx2)
    #expect(ISA.chosen(requested: "portable", newest: .avx2) == .portable)
    #expect(ISA.chosen(requested: "avx512", newest: .avx2) == .avx2)
    #expect(ISA.chosen(requested: "AVX2", newest: .avx512) == .avx512)
    #expect(ISA.best.isAvailable)
  }

  @Test func sameAndHalvingMapsRunFlat() {
    #expect(DepthwiseConv2D.runsFlat(depthwise3x3(batch: 1, channels: 8, size: 7)))
    #expect(DepthwiseConv2D.runsFlat(depthwise3x3(batch: 1, channels: 8, size: 112)))
    #expect(DepthwiseConv2D.runsFlat(depthwise3x3(batch: 1, channels: 8, size: 32, stride: 2)))
    // Odd maps at stride 2 do not halve exactly; unpadded maps shrink.
    #expect(!DepthwiseConv2D.runsFlat(depthwise3x3(batch: 1, channels: 8, size: 15, stride: 2)))
    #expect(!DepthwiseConv2D.runsFlat(depthwise3x3(batch: 1, channels: 8, size: 10, pad: 0)))
    var multiplied = depthwise3x3(batch: 1, channels: 8, size: 8)
    multiplied.outChannels = 16
    #expect(!DepthwiseConv2D.runsFlat(multiplied))
  }

  /// With the scratch a plan gives (`DepthwiseConv2D.scratchCount` floats, here at an address off
  /// the 64-byte grid and fenced by sentinels), forward and both gradients give the bits of the calls
  /// that allocate their own buffers, and nothing is written outside the scratch.
  @Test(arguments: flatCases)
  func plannedScratchGivesTheSameBits(_ shape: (size: Int, stride: Int)) {
    let g = depthwise3x3(batch: 16, channels: 44, size: shape.size, stride: shape.stride)
    var generator = RandomGenerator(seed: 52)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let b = randomValues(g.outChannels, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    func run(_ scratch: UnsafeMutablePointer<Float>?) -> [Float] {
      var y = [Float](repeating: .nan, count: g.outputCount)
      var dx = [Float](repeating: .nan, count: g.inputCount)
      var dw = [Float](repeating: 0, count: g.weightCount)
      DepthwiseConv2D.forward(g, input: x, weight: w, bias: b, output: &y, scratch: scratch)
      DepthwiseConv2D.backward(
        g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil,
        scratch: scratch)
      return y + dx + dw
    }
    let count = DepthwiseConv2D.scratchCount(g)
    #expect(count > 0)
    let fence = 19
    var buffer = [Float](repeating: -7, count: count + 2 * fence + 1)
    let planned = buffer.withUnsafeMutableBufferPointer { run($0.baseAddress! + fence + 1) }
    #expect(planned.map(\.bitPattern) == run(nil).map(\.bitPattern), "\(g)")
    #expect(
      buffer[..<(fence + 1)].allSatisfy { $0 == -7 } && buffer[(fence + 1 + count)...].allSatisfy { $0 == -7 }
    )
  }

  /// Forward and both gradients through `DepthwiseConv2D` (tasks run in parallel) against the flat
  /// kernels called one after another on this thread, the samples' tap sums added in the same
  /// order: equal bits, so the split across threads cannot change a result. The forward pass also
  /// equals the per-plane kernel's bits. The smallest maps run the small-map kernels there, whose
  /// output and input gradient are the flat kernels' bits and whose weight gradient sums in another
  /// order (`SmallMapDepthwiseTests` checks it against their own serial calls).
  @Test(arguments: flatCases)
  func parallelTasksEqualSerialCalls(_ shape: (size: Int, stride: Int)) throws {
    let g = depthwise3x3(batch: 16, channels: 44, size: shape.size, stride: shape.stride)
    let table = try #require(FlatDepthwiseTable.table(for: g))
    var generator = RandomGenerator(seed: 51)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let b = randomValues(g.outChannels, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    let startWeight = randomValues(g.weightCount, &generator)
    var y = [Float](repeating: .nan, count: g.outputCount)
    var dx = [Float](repeating: .nan, count: g.inputCount)
    var dw = startWeight
    DepthwiseConv2D.forward(g, input: x, weight: w, bias: b, output: &y)
    DepthwiseConv2D.backward(
      g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil)

    let isa = DepthwiseInstructionSet.best.code
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    var shapeOfPlanes = g.planeShape
    var planesY = [Float](repeating: .nan, count: g.outputCount)
    for plane in 0..<(g.batch * g.inChannels) {
      let channel = plane % g.inChannels
      planesY.withUnsafeMutableBufferPointer {
        nnc_depthwise_forward_plane(
          isa, &shapeOfPlanes, Array(x[(plane * inPlane)...]), Array(w[(channel * 9)..<(channel * 9 + 9)]),
          b[channel], 0, $0.baseAddress! + plane * outPlane)
      }
    }
    #expect(y.map(\.bitPattern) == planesY.map(\.bitPattern), "forward differs from the per-plane kernel")

    var expanded = [Float](repeating: 0, count: nnc_depthwise_flat_expanded_floats(table.memory, Int32(44)))
    nnc_depthwise_flat_expand(table.memory, w, nil, 44, &expanded)
    var serialDX = [Float](repeating: .nan, count: g.inputCount)
    var serialDW = startWeight
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let bySample = outPlane >= DepthwiseConv2D.flatSampleTaskMinimumPixels
    var partials: [[Float]] = []
    for n in (bySample ? Array(0..<g.batch) : [0]) {
      var sums = [Float](repeating: .nan, count: g.weightCount)
      // A work area of exactly the size asked for, full of NaN: the kernel zeroes what it reads.
      var work = [Float](repeating: .nan, count: nnc_depthwise_flat_work_floats(table.memory, 44, 1))
      serialDX.withUnsafeMutableBufferPointer {
        nnc_depthwise_flat_backward(
          isa, table.memory, Array(x[(n * inStride)...]), Array(dy[(n * outStride)...]), w,
          expanded.isEmpty ? nil : expanded, 44, Int32(bySample ? 1 : g.batch), inStride, outStride,
          $0.baseAddress! + n * inStride, &sums, &work)
      }
      partials.append(sums)
    }
    for index in 0..<g.weightCount {
      var total: Float = 0
      for sums in partials { total += sums[index] }
      serialDW[index] += total
    }
    #expect(
      dx.map(\.bitPattern) == serialDX.map(\.bitPattern), "input gradient differs from the serial calls")
    if !DepthwiseConv2D.runsSmallMaps(g) {
      #expect(
        dw.map(\.bitPattern) == serialDW.map(\.bitPattern), "weight gradient differs from the serial calls")
    }
  }

  /// The register variants — MobileNet's standard 3x3 maps of 2x2, 4x4, 8x8, 16x16 and 32x32 at
  /// stride 1 and 4x4 → 2x2, 8x8 → 4x4, 16x16 → 8x8 and 32x32 → 16x16 at stride 2, and the halving
  /// ones on maps taller or shorter than wide — give the general kernels' bits, forward and both
  /// gradients, on every instruction set this CPU runs: 43 channels of 45 (a partial last vector and
  /// samples further apart than the planes), 3 samples.
  @Test(arguments: [
    (2, 2, 1), (4, 4, 1), (8, 8, 1), (16, 16, 1), (32, 32, 1), (4, 4, 2), (8, 8, 2), (16, 16, 2), (32, 32, 2),
    (12, 16, 2), (6, 32, 2),
  ])
  func registerVariantsGiveTheGeneralKernelsBits(_ shape: (height: Int, width: Int, stride: Int)) throws {
    let (channels, planes, batch) = (45, 43, 3)
    var g = depthwise3x3(batch: batch, channels: channels, size: shape.width, stride: shape.stride)
    g.inHeight = shape.height
    var geometry = g.planeShape
    let bytes = nnc_depthwise_flat_table_bytes(&geometry)
    try #require(bytes > 0)
    let tables = (0..<2).map { _ in UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64) }
    defer { tables.forEach { $0.deallocate() } }
    for table in tables { try #require(nnc_depthwise_flat_table(&geometry, table) == 1) }
    #expect(nnc_depthwise_flat_uses_registers(tables[0]) == 1)
    nnc_depthwise_flat_use_registers(tables[1], 0)
    #expect(nnc_depthwise_flat_uses_registers(tables[1]) == 0)

    var generator = RandomGenerator(seed: 53)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let b = randomValues(g.outChannels, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      let results = tables.map { table -> [Float] in
        // Aligned as the executor's scratch holds them.
        let expandedCount = nnc_depthwise_flat_expanded_floats(table, Int32(planes))
        let expanded = UnsafeMutableRawPointer.allocate(byteCount: max(64, expandedCount * 4), alignment: 64)
          .bindMemory(to: Float.self, capacity: max(16, expandedCount))
        defer { expanded.deallocate() }
        let lanes = expandedCount > 0 ? UnsafePointer(expanded) : nil
        nnc_depthwise_flat_expand(table, w, b, Int32(planes), expanded)
        var y = [Float](repeating: .nan, count: g.outputCount)
        nnc_depthwise_flat_forward(
          isa.code, table, x, w, b, lanes, Int32(planes), Int32(batch), channels * inPlane,
          channels * outPlane,
          &y, nil)
        nnc_depthwise_flat_expand(table, w, nil, Int32(planes), expanded)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        var sums = [Float](repeating: .nan, count: g.weightCount)
        nnc_depthwise_flat_backward(
          isa.code, table, x, dy, w, lanes, Int32(planes), Int32(batch), channels * inPlane,
          channels * outPlane,
          &dx, &sums, nil)
        return y + dx + sums
      }
      #expect(results[0].contains { !$0.isNaN }, "[\(isa)] nothing written")
      #expect(
        results[0].map(\.bitPattern) == results[1].map(\.bitPattern),
        "\(shape) [\(isa)]: the register variant differs from the general kernel")
    }
  }

  /// Other geometries keep the general kernels: other widths, wider maps at stride 2, unpadded
  /// kernels.
  @Test func onlyTheSmallStandardMapsRunInRegisters() throws {
    for (size, stride, pad) in [
      (6, 1, 1), (48, 1, 1), (12, 2, 1), (64, 2, 1), (7, 1, 1), (4, 1, 0), (112, 1, 1),
    ] {
      var g = depthwise3x3(batch: 1, channels: 8, size: size, stride: stride, pad: pad)
      if pad == 0 { g.padBottom = 1; g.padRight = 1 }
      guard let table = FlatDepthwiseTable.table(for: g) else { continue }
      #expect(!table.usesRegisters, "\(size)x\(size) stride \(stride) pad \(pad)")
    }
    for (size, stride) in [(2, 1), (4, 1), (8, 1), (16, 1), (32, 1), (4, 2), (8, 2), (16, 2), (32, 2)] {
      let table = try #require(
        FlatDepthwiseTable.table(for: depthwise3x3(batch: 1, channels: 8, size: size, stride: stride)))
      #expect(table.usesRegisters, "\(size)x\(size) stride \(stride)")
    }
  }
}
