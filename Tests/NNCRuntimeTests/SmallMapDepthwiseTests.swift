import CKernels
import NNCRandom
import Testing

@testable import NNCRuntime

/// A 3x3 depthwise geometry with a multiplier of 1.
private func smallMap(batch: Int, channels: Int, size: Int, stride: Int = 1, pad: Int = 1) -> Conv2DGeometry {
  Conv2DGeometry(
    batch: batch, inChannels: channels, inHeight: size, inWidth: size, outChannels: channels, kernelHeight: 3,
    kernelWidth: 3, strideH: stride, strideW: stride, padTop: pad, padBottom: pad, padLeft: pad,
    padRight: pad, groups: channels)
}

/// The maps the small-map kernels run: 2x2 and 4x4 at stride 1, 4x4 → 2x2 and 8x8 → 4x4 at stride 2.
private let smallMapCases: [(size: Int, stride: Int)] = [(2, 1), (4, 1), (4, 2), (8, 2)]

/// The kernels' weights as they read them (`nnc_depthwise_small_maps_weights`), 64-byte aligned.
private func smallMapLanes(
  _ weight: [Float], channels: Int, shape: nnc_depthwise_shape, isa: DepthwiseInstructionSet, backward: Bool
) -> [Float] {
  var shape = shape
  var lanes = [Float](repeating: .nan, count: nnc_depthwise_small_maps_weight_floats(&shape, Int32(channels)))
  nnc_depthwise_small_maps_weights(isa.code, &shape, weight, Int32(channels), backward ? 1 : 0, &lanes)
  return lanes
}

/// Channel c's tap t of sums in the kernels' lane layout.
private func laneSum(_ sums: [Float], channel c: Int, tap t: Int) -> Float {
  sums[(9 * (c / 16) + t) * 16 + c % 16]
}

@Suite struct SmallMapDepthwiseTests {
  @Test func onlyTheSmallestStandardMapsRunThere() {
    for (size, stride) in smallMapCases {
      let g = smallMap(batch: 1, channels: 8, size: size, stride: stride)
      #expect(DepthwiseConv2D.runsSmallMaps(g))
      // 8x8 → 4x4 runs forward on the flat kernels' register variant.
      #expect(
        DepthwiseConv2D.runsSmallMaps(g, forward: true) == (size <= 4), "\(size)x\(size) stride \(stride)")
    }
    for (size, stride) in [(8, 1), (16, 2), (16, 1), (6, 1), (3, 1), (2, 2)] {
      #expect(
        !DepthwiseConv2D.runsSmallMaps(smallMap(batch: 1, channels: 8, size: size, stride: stride)),
        "\(size)x\(size) stride \(stride)")
    }
    var unpadded = smallMap(batch: 1, channels: 8, size: 4, pad: 0)
    unpadded.padBottom = 1
    unpadded.padRight = 1
    #expect(!DepthwiseConv2D.runsSmallMaps(unpadded))
    var multiplied = smallMap(batch: 1, channels: 8, size: 4)
    multiplied.outChannels = 16
    #expect(!DepthwiseConv2D.runsSmallMaps(multiplied))
    var dilated = smallMap(batch: 1, channels: 8, size: 4, pad: 2)
    dilated.dilationH = 2
    dilated.dilationW = 2
    #expect(!DepthwiseConv2D.runsSmallMaps(dilated))
  }

  /// On every instruction set this CPU runs, the kernels against the definition in Double (forward,
  /// input and weight gradients, within Float rounding of the terms), and against the flat
  /// kernels: the same bits for the output and the input gradient. The calls cover `planes` of
  /// `channels` channels (samples further apart than the planes; channel counts that leave a
  /// partial block of 16, and more than the 1,024 channels a backward call keeps sums for at once)
  /// and must write nothing past them. Where the CPU runs both, AVX2 and AVX-512 give the same bits.
  @Test(arguments: smallMapCases)
  func kernelsMatchTheDefinitionAndTheFlatKernels(_ shape: (size: Int, stride: Int)) throws {
    for (channels, planes) in [(3, 1), (19, 17), (48, 48), (1043, 1041)] {
      let g = smallMap(batch: 3, channels: channels, size: shape.size, stride: shape.stride)
      var planeShape = g.planeShape
      #expect(nnc_depthwise_small_maps_runs(&planeShape) == 1)
      let table = try #require(FlatDepthwiseTable.table(for: g))
      var generator = RandomGenerator(seed: 61)
      var x = randomValues(g.inputCount, &generator)
      // ReLU6 outputs feed these layers: exact zeros in the input.
      for i in stride(from: 0, to: x.count, by: 5) { x[i] = 0 }
      let w = randomValues(g.weightCount, &generator)
      let b = randomValues(g.outChannels, &generator)
      let dy = gradientWeights(g.outputCount, &generator)
      let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
      let (inStride, outStride) = (channels * inPlane, channels * outPlane)

      // The definition over the first `planes` channels.
      var covered = g
      covered.inChannels = planes
      covered.outChannels = planes
      covered.groups = planes
      let coveredX = (0..<g.batch).flatMap { x[($0 * inStride)..<($0 * inStride + planes * inPlane)] }
      let coveredDY = (0..<g.batch).flatMap { dy[($0 * outStride)..<($0 * outStride + planes * outPlane)] }
      let expectedY = referenceConvolution(
        covered, input: doubles(coveredX), weight: doubles(Array(w[..<(9 * planes)])),
        bias: doubles(Array(b[..<planes])))
      let (expectedDX, expectedDW) = referenceConvolutionGradients(
        covered, input: doubles(coveredX), weight: doubles(Array(w[..<(9 * planes)])),
        gradOutput: doubles(coveredDY))
      let magnitudesY = referenceConvolution(
        covered, input: coveredX.map { Double(abs($0)) }, weight: w[..<(9 * planes)].map { Double(abs($0)) },
        bias: b[..<planes].map { Double(abs($0)) })
      let (magnitudesDX, magnitudesDW) = referenceConvolutionGradients(
        covered, input: coveredX.map { Double(abs($0)) }, weight: w[..<(9 * planes)].map { Double(abs($0)) },
        gradOutput: coveredDY.map { Double(abs($0)) })

      var resultsByISA: [DepthwiseInstructionSet: [UInt32]] = [:]
      for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
        let label = "\(shape) \(planes) of \(channels) channels [\(isa)]"
        let lanes = smallMapLanes(w, channels: planes, shape: planeShape, isa: isa, backward: false)
        let backwardLanes = smallMapLanes(w, channels: planes, shape: planeShape, isa: isa, backward: true)
        var y = [Float](repeating: .nan, count: g.outputCount)
        nnc_depthwise_small_maps_forward(
          isa.code, &planeShape, x, lanes, b, Int32(planes), Int32(g.batch), inStride, outStride, &y)
        var dx = [Float](repeating: .nan, count: g.inputCount)
        var sums = [Float](repeating: .nan, count: nnc_depthwise_small_maps_sum_floats(Int32(planes)))
        nnc_depthwise_small_maps_backward(
          isa.code, &planeShape, x, dy, backwardLanes, Int32(planes), Int32(g.batch), inStride, outStride,
          &dx,
          &sums)
        let missingLanes = (planes..<((planes + 15) / 16 * 16)).flatMap { c in
          (0..<9).map { laneSum(sums, channel: c, tap: $0) }
        }
        #expect(missingLanes.allSatisfy { $0 == 0 }, "\(label): sums of missing channels not 0")

        let coveredY = (0..<g.batch).flatMap { y[($0 * outStride)..<($0 * outStride + planes * outPlane)] }
        let coveredDX = (0..<g.batch).flatMap { dx[($0 * inStride)..<($0 * inStride + planes * inPlane)] }
        let dw = (0..<(9 * planes)).map { laneSum(sums, channel: $0 / 9, tap: $0 % 9) }
        #expect(
          maxRoundingError(coveredY, expectedY, magnitudes: magnitudesY, terms: 10) < 4, "\(label): forward")
        #expect(
          maxRoundingError(coveredDX, expectedDX, magnitudes: magnitudesDX, terms: 9) < 4,
          "\(label): input gradient")
        #expect(
          maxRoundingError(dw, expectedDW, magnitudes: magnitudesDW, terms: g.batch * outPlane) < 4,
          "\(label): weight gradient")
        // Nothing written past the call's channels, in either tensor.
        let untouchedY = (0..<g.batch).allSatisfy { n in
          y[(n * outStride + planes * outPlane)..<((n + 1) * outStride)].allSatisfy(\.isNaN)
        }
        let untouchedDX = (0..<g.batch).allSatisfy { n in
          dx[(n * inStride + planes * inPlane)..<((n + 1) * inStride)].allSatisfy(\.isNaN)
        }
        #expect(untouchedY && untouchedDX, "\(label): wrote past the call's channels")

        // The flat kernels' bits for the output and the input gradient.
        let expandedCount = nnc_depthwise_flat_expanded_floats(table.memory, Int32(planes))
        var expanded = [Float](repeating: 0, count: max(16, expandedCount))
        nnc_depthwise_flat_expand(table.memory, w, b, Int32(planes), &expanded)
        var flatY = [Float](repeating: .nan, count: g.outputCount)
        nnc_depthwise_flat_forward(
          isa.code, table.memory, x, w, b, expandedCount > 0 ? expanded : nil, Int32(planes), Int32(g.batch),
          inStride, outStride, &flatY, nil)
        nnc_depthwise_flat_expand(table.memory, w, nil, Int32(planes), &expanded)
        var flatDX = [Float](repeating: .nan, count: g.inputCount)
        var flatSums = [Float](repeating: .nan, count: g.weightCount)
        nnc_depthwise_flat_backward(
          isa.code, table.memory, x, dy, w, expandedCount > 0 ? expanded : nil, Int32(planes), Int32(g.batch),
          inStride, outStride, &flatDX, &flatSums, nil)
        #expect(
          y.map(\.bitPattern) == flatY.map(\.bitPattern), "\(label): forward differs from the flat kernel")
        #expect(
          dx.map(\.bitPattern) == flatDX.map(\.bitPattern),
          "\(label): input gradient differs from the flat kernel")
        resultsByISA[isa] = (y + dx + sums).map(\.bitPattern)
      }
      // Both fuse each multiply-add and a lane is a channel: the same bits (checked where the CPU runs both).
      if let avx2 = resultsByISA[.avx2], let avx512 = resultsByISA[.avx512] {
        #expect(avx2 == avx512, "\(shape) \(planes) of \(channels) channels: AVX2 and AVX-512 differ")
      }
    }
  }

  /// `DepthwiseConv2D` (tasks in parallel: groups of samples, parts of the channels) against one
  /// kernel call per group of samples over all channels on this thread, the groups' tap sums added
  /// in order: equal bits, so no thread count changes a result. A batch of 10 leaves a short last
  /// group.
  @Test(arguments: smallMapCases)
  func parallelTasksEqualSerialGroupCalls(_ shape: (size: Int, stride: Int)) {
    let g = smallMap(batch: 10, channels: 44, size: shape.size, stride: shape.stride)
    var generator = RandomGenerator(seed: 62)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let b = randomValues(g.outChannels, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    let startWeight = randomValues(g.weightCount, &generator)
    var y = [Float](repeating: .nan, count: g.outputCount)
    var dx = [Float](repeating: .nan, count: g.inputCount)
    var dw = startWeight
    DepthwiseConv2D.forward(g, input: x, weight: w, bias: b, output: &y, activation: .relu6)
    DepthwiseConv2D.backward(
      g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil)

    let isa = DepthwiseInstructionSet.best.code
    var planeShape = g.planeShape
    let lanes = smallMapLanes(w, channels: g.outChannels, shape: planeShape, isa: .best, backward: false)
    let backwardLanes = smallMapLanes(
      w, channels: g.outChannels, shape: planeShape, isa: .best, backward: true)
    let (inStride, outStride) = (g.inputCount / g.batch, g.outputCount / g.batch)
    var serialY = [Float](repeating: .nan, count: g.outputCount)
    var serialDX = [Float](repeating: .nan, count: g.inputCount)
    var groupSums: [[Float]] = []
    let group = DepthwiseConv2D.smallMapSamplesPerTask
    for n in stride(from: 0, to: g.batch, by: group) {
      let samples = Int32(min(group, g.batch - n))
      serialY.withUnsafeMutableBufferPointer {
        nnc_depthwise_small_maps_forward(
          isa, &planeShape, Array(x[(n * inStride)...]), lanes, b, 44, samples, inStride, outStride,
          $0.baseAddress! + n * outStride)
      }
      var sums = [Float](repeating: .nan, count: nnc_depthwise_small_maps_sum_floats(44))
      serialDX.withUnsafeMutableBufferPointer {
        nnc_depthwise_small_maps_backward(
          isa, &planeShape, Array(x[(n * inStride)...]), Array(dy[(n * outStride)...]), backwardLanes, 44,
          samples,
          inStride, outStride, $0.baseAddress! + n * inStride, &sums)
      }
      groupSums.append(sums)
    }
    serialY = serialY.map { min(max($0, 0), 6) }
    var serialDW = startWeight
    for index in 0..<g.weightCount {
      var total: Float = 0
      for sums in groupSums { total += laneSum(sums, channel: index / 9, tap: index % 9) }
      serialDW[index] += total
    }
    #expect(
      y.map(\.bitPattern) == serialY.map(\.bitPattern), "\(shape): output differs from the serial calls")
    #expect(dx.map(\.bitPattern) == serialDX.map(\.bitPattern), "\(shape): input gradient differs")
    #expect(dw.map(\.bitPattern) == serialDW.map(\.bitPattern), "\(shape): weight gradient differs")
  }
}
