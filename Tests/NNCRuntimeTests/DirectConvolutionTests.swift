import CKernels
import NNCRandom
import Testing

@testable import NNCRuntime

/// Shapes `ConvolutionAlgorithm.choose` gives the direct kernel: LeNet-5's two layers, asymmetric
/// padding, a 7x7 kernel, filter counts that leave partial blocks of six, and rows narrower than a
/// vector.
let directConvCases: [ConvCase] = [
  ConvCase(
    name: "LeNet-5's first convolution (1 -> 6, 5x5, padding 2), batch 3",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 1, inHeight: 28, inWidth: 28, outChannels: 6, kernelHeight: 5, kernelWidth: 5,
      padTop: 2, padBottom: 2, padLeft: 2, padRight: 2),
    hasBias: true),
  ConvCase(
    name: "LeNet-5's second convolution (6 -> 16, 5x5), batch 5",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 6, inHeight: 14, inWidth: 14, outChannels: 16, kernelHeight: 5, kernelWidth: 5),
    hasBias: true),
  ConvCase(
    name: "4 -> 24, 5x5, unpadded 12x13 map (filter vectors: a block of 16 and one of 8, runs of 3), batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 4, inHeight: 12, inWidth: 13, outChannels: 24, kernelHeight: 5, kernelWidth: 5),
    hasBias: true),
  ConvCase(
    name: "3 -> 13, 5x5, asymmetric padding on a 9x7 map, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 9, inWidth: 7, outChannels: 13, kernelHeight: 5, kernelWidth: 5,
      padTop: 2, padBottom: 1, padLeft: 1, padRight: 2),
    hasBias: false),
  ConvCase(
    name: "An image's first 3x3 layer (3 -> 20, padding 1) on a 9x11 map, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 9, inWidth: 11, outChannels: 20, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "2 -> 7, 7x7, padding 3 on a 5x6 map, batch 4",
    geometry: Conv2DGeometry(
      batch: 4, inChannels: 2, inHeight: 5, inWidth: 6, outChannels: 7, kernelHeight: 7, kernelWidth: 7,
      padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    hasBias: true),
]

/// output = relu6(conv · scale + bias) by the direct kernel on `isa`, against the definition in
/// Double.
private func checkDirectForward(_ c: ConvCase, _ isa: DepthwiseInstructionSet) throws {
  let g = c.geometry
  try g.validate()
  #expect(ConvolutionAlgorithm.choose(for: g) == .direct, "\(c.name) does not take the direct kernel")
  var generator = RandomGenerator(seed: 51)
  let (input, weight, bias) = convolutionData(c, &generator)
  let scale = randomValues(g.outChannels, &generator, scale: 8)
  var output = [Float](repeating: .nan, count: g.outputCount)
  var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
  DirectConv2D.forward(
    g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu6,
    channelScale: scale, isa: isa)
  let plane = g.outHeight * g.outWidth
  let expected = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
    .enumerated().map { index, value in
      let channel = index / plane % g.outChannels
      return min(max(value * Double(scale[channel]) + Double(bias?[channel] ?? 0), 0), 6)
    }
  #expect(expected.contains { $0 > 0 && $0 < 6 } && expected.contains(0) && expected.contains(6))
  // The scale (up to 8) magnifies the products' rounding: errors relative to at least 1.
  let error = maxRelativeError(output, expected, floor: 1)
  #expect(error < 1e-4, "\(c.name) [\(isa)]: forward max relative error \(error)")
}

@Suite struct DirectConvolutionTests {
  @Test(arguments: directConvCases)
  func portableForwardMatchesTheDefinition(_ c: ConvCase) throws {
    try checkDirectForward(c, .portable)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"),
    arguments: directConvCases)
  func avx2ForwardMatchesTheDefinition(_ c: ConvCase) throws {
    try checkDirectForward(c, .avx2)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512"),
    arguments: directConvCases)
  func avx512ForwardMatchesTheDefinition(_ c: ConvCase) throws {
    try checkDirectForward(c, .avx512)
  }

  /// The AVX-512 kernels (16 positions or 16 filters a vector) add the AVX2 kernels' products in
  /// their order: both give the same bits, through the wide rows and the filter vectors.
  @Test(
    .enabled(
      if: DepthwiseInstructionSet.avx512.isAvailable && DepthwiseInstructionSet.avx2.isAvailable,
      "this CPU has no AVX-512"),
    arguments: directConvCases)
  func avx512GivesTheAVX2Bits(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 58)
    let (input, weight, bias) = convolutionData(c, &generator)
    let outputs = [DepthwiseInstructionSet.avx2, .avx512].map { isa in
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
      DirectConv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .linear,
        channelScale: nil, isa: isa)
      return output
    }
    #expect(!outputs[0].contains { $0.isNaN })
    #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern), "\(c.name)")
  }

  /// The kernels' own epilogue (scale, bias, then ReLU6 or ReLU as they write; tanh afterwards)
  /// gives the bits of the plain convolution followed by `convolutionEpilogue`, which the other
  /// algorithms run: the wide rows (LeNet's first layer) and the filter vectors (its second).
  @Test(arguments: [directConvCases[0], directConvCases[1], directConvCases[3]])
  func epilogueGivesTheSeparateEpiloguesBits(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 59)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 8)
    let plane = g.outHeight * g.outWidth
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      func run(_ activation: ActivationKind, scale: [Float]?, bias: [Float]?) -> [Float] {
        var output = [Float](repeating: .nan, count: g.outputCount)
        var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
        DirectConv2D.forward(
          g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
          activation: activation, channelScale: scale, isa: isa)
        return output
      }
      let plain = run(.linear, scale: nil, bias: nil)
      for (activation, scale, bias) in [
        (ActivationKind.relu6, Optional(scale), bias), (.relu, nil, bias), (.tanh, scale, nil),
        (.linear, scale, nil),
      ] {
        var expected = plain
        for index in 0..<(g.outputCount / plane) {
          let channel = index % g.outChannels
          expected.withUnsafeMutableBufferPointer { values in
            convolutionEpilogue(
              values.baseAddress! + index * plane, values.baseAddress! + index * plane, count: plane,
              scale: scale?[channel], bias: bias?[channel], activation: activation)
          }
        }
        let fused = run(activation, scale: scale, bias: bias)
        #expect(
          fused.map(\.bitPattern) == expected.map(\.bitPattern),
          "\(c.name) [\(isa)] \(activation), scale \(scale != nil), bias \(bias != nil)")
      }
    }
  }

  /// Each sample is one call summing in a fixed order: 1, 2 and 3 threads give the same bits, and
  /// `Conv2D.forward` dispatches `.direct` to the kernel.
  @Test(arguments: directConvCases)
  func resultsDoNotDependOnTheThreadCount(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 52)
    let (input, weight, bias) = convolutionData(c, &generator)
    var results: [[Float]] = []
    for threads in 1...3 {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
      DirectConv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu,
        channelScale: nil, threads: threads)
      results.append(output)
    }
    var dispatched = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
    Conv2D.forward(
      g, algorithm: .direct, input: input, weight: weight, bias: bias, output: &dispatched, scratch: &scratch,
      activation: .relu)
    #expect(results[0].allSatisfy { !$0.isNaN })
    #expect(results[0] == results[1] && results[0] == results[2], "\(c.name): thread counts differ")
    #expect(results[0] == dispatched, "\(c.name): Conv2D.forward did not take the direct kernel")
  }

  /// The executor plans scratch for its largest batch; backward (by im2col) must fit in it too.
  @Test(arguments: directConvCases)
  func scratchForTheLargestBatchCoversSmallerOnesAndBackward(_ c: ConvCase) {
    let planned = Conv2D.scratchCount(c.geometry, algorithm: .direct)
    for batch in 1...c.geometry.batch {
      var g = c.geometry
      g.batch = batch
      #expect(DirectConv2D.scratchCount(g) <= planned, "\(c.name) at batch \(batch)")
      #expect(Conv2D.scratchCount(g, algorithm: .im2col) <= planned, "\(c.name) at batch \(batch)")
    }
  }

  /// Gradients of a `.direct` convolution (computed by im2col) against finite differences of the
  /// definition, so training through the direct forward stays correct.
  @Test func backwardOfTheDirectAlgorithmMatchesFiniteDifferences() {
    let c = directConvCases[2]
    let g = c.geometry
    var generator = RandomGenerator(seed: 53)
    let (input, weight, bias) = convolutionData(c, &generator)
    let gradOutput = randomValues(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    var gradWeight = [Float](repeating: 0, count: g.weightCount)
    var gradBias = [Float](repeating: 0, count: g.outChannels)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .direct))
    Conv2D.backward(
      g, algorithm: .direct, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput,
      gradWeight: &gradWeight, gradBias: &gradBias, scratch: &scratch)
    checkConvolutionGradients(
      c, input: input, weight: weight, bias: bias, gradOutput: gradOutput, gradInput: gradInput,
      gradWeight: gradWeight, gradBias: gradBias, &generator)
  }

  /// 3x3 kernels over more than 3 channels, strides, groups and deep or wide layers keep their
  /// algorithms.
  @Test func onlyFewChannelsTimesTapsAtUnitStrideTakeTheDirectKernel() {
    let lenet = directConvCases[1].geometry
    var threeByThree = lenet
    (threeByThree.kernelHeight, threeByThree.kernelWidth) = (3, 3)
    var strided = lenet
    strided.strideH = 2
    var deep = lenet
    deep.inChannels = 7
    var wide = lenet
    wide.outChannels = 65
    var grouped = lenet
    (grouped.inChannels, grouped.outChannels, grouped.groups) = (6, 12, 2)
    // A 3x3 layer over 4 channels (36 floats a patch) is no image's first.
    var fourChannels = threeByThree
    fourChannels.inChannels = 4
    for g in [threeByThree, strided, deep, wide, grouped, fourChannels] {
      #expect(ConvolutionAlgorithm.choose(for: g) != .direct, "\(g)")
    }
  }

  /// LeNet-5, its second convolution's ReLU a layer of its own (fused into it by the optimizer).
  static let lenetModel = """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: {filters: 6, kernel: 5, padding: 2, activation: relu}
        - maxpool: 2
        - conv2d: {filters: 16, kernel: 5}
        - relu
        - maxpool: 2
        - flatten
        - dense: {units: 120, activation: relu}
        - dense: 10
    """

  /// Inference plans fuse the max poolings after direct convolutions into them (and say so in the
  /// plan's text); training plans keep every pooling, whose argmax backward needs.
  @Test func inferencePlansFuseMaxPoolingIntoDirectConvolutions() throws {
    let model = try graph(Self.lenetModel)
    let inference = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 4)
    let fused = inference.steps.filter { $0.pooled != nil }
    #expect(!fused.isEmpty, "\(ExecutionPlanPrinter.print(inference))")
    for step in fused {
      #expect(step.convolution?.algorithm == .direct)
      #expect(inference.steps[step.pooled!.node].isPooledByProducer)
    }
    #expect(inference.steps.filter(\.isPooledByProducer).count == fused.count)
    #expect(ExecutionPlanPrinter.print(inference).contains("(direct, max pooling fused)"))
    let training = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 4)
    #expect(training.steps.allSatisfy { $0.pooled == nil && !$0.isPooledByProducer })
  }

  /// The fused pooling makes the same comparisons on the same values: an inference executor gives
  /// the bits of a training executor's inference forward, which pools separately.
  @Test func fusedPoolingGivesTheSeparatePoolingsBits() throws {
    let model = try graph(Self.lenetModel)
    let batch = 5
    let fused = Executor(graph: model, maxBatch: batch, configuration: .inference)
    let separate = Executor(graph: model, maxBatch: batch, configuration: .training)
    #expect(fused.plan.steps.contains { $0.pooled != nil })
    OptimizationEquivalenceTests.prepare([fused, separate], batch: batch, seed: 54)
    for executor in [fused, separate] { executor.forward(batch: batch, training: false) }
    let (a, b) = (
      OptimizationEquivalenceTests.output(fused, batch: batch),
      OptimizationEquivalenceTests.output(separate, batch: batch)
    )
    #expect(a.allSatisfy(\.isFinite) && a.map(\.bitPattern) == b.map(\.bitPattern))
  }

  /// The filter-vector kernel (unpadded layers with filters in multiples of 8 and rows with a run of
  /// 3 to 6 positions) gives the wide-row kernel's bits on every instruction set this CPU runs, and
  /// takes exactly those layers.
  @Test func filterVectorsGiveTheWideRowsBits() throws {
    let shapes: [(inChannels: Int, size: (Int, Int), filters: Int, kernel: (Int, Int))] = [
      (6, (14, 14), 16, (5, 5)), (4, (12, 13), 24, (5, 5)), (3, (9, 10), 8, (3, 3)), (2, (8, 12), 32, (5, 5)),
      // Rows of 21 and 24: runs of 3 and 6 on AVX2, 7 and 12 (16 filters a vector) on AVX-512.
      (2, (9, 25), 16, (5, 5)), (2, (6, 28), 16, (5, 5)),
    ]
    for c in shapes {
      var shape = nnc_direct_conv_shape(
        in_channels: Int32(c.inChannels), in_height: Int32(c.size.0), in_width: Int32(c.size.1),
        out_channels: Int32(c.filters), out_height: Int32(c.size.0 - c.kernel.0 + 1),
        out_width: Int32(c.size.1 - c.kernel.1 + 1), kernel_height: Int32(c.kernel.0),
        kernel_width: Int32(c.kernel.1), pad_top: 0, pad_left: 0)
      try #require(nnc_direct_conv_runs_filter_vectors(&shape) == 1, "\(c)")
      var generator = RandomGenerator(seed: 57)
      let input = randomValues(c.inChannels * c.size.0 * c.size.1, &generator)
      let weight = randomValues(c.filters * c.inChannels * c.kernel.0 * c.kernel.1, &generator)
      var packed = [Float](repeating: .nan, count: nnc_direct_conv_packed_filters_count(&shape))
      nnc_direct_conv_pack_filters(&shape, weight, &packed)
      let outputs = c.filters * Int(shape.out_height * shape.out_width)
      var byInstructionSet: [DepthwiseInstructionSet: [Float]] = [:]
      for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
        var wide = [Float](repeating: .nan, count: outputs)
        var scratch = [Float](repeating: .nan, count: nnc_direct_conv_scratch_count(&shape))
        nnc_direct_conv_sample(
          isa.code, &shape, input, weight, nil, nil, Int32(NNC_POINTWISE_LINEAR), &wide, &scratch)
        var vectors = [Float](repeating: .nan, count: outputs)
        nnc_direct_conv_sample_packed(
          isa.code, &shape, input, packed, nil, nil, Int32(NNC_POINTWISE_LINEAR), &vectors)
        #expect(!wide.contains { $0.isNaN })
        #expect(wide.map(\.bitPattern) == vectors.map(\.bitPattern), "\(c) [\(isa)]")
        byInstructionSet[isa] = vectors
      }
      if let avx2 = byInstructionSet[.avx2], let avx512 = byInstructionSet[.avx512] {
        #expect(avx2.map(\.bitPattern) == avx512.map(\.bitPattern), "\(c): AVX2 and AVX-512 differ")
      }
    }
    // Padding, filters not a multiple of 8, and an 11-wide output (runs of 1) keep the wide rows.
    var padded = nnc_direct_conv_shape(
      in_channels: 6, in_height: 14, in_width: 14, out_channels: 16, out_height: 14, out_width: 14,
      kernel_height: 5, kernel_width: 5, pad_top: 2, pad_left: 2)
    var thirteen = nnc_direct_conv_shape(
      in_channels: 6, in_height: 14, in_width: 14, out_channels: 13, out_height: 10, out_width: 10,
      kernel_height: 5, kernel_width: 5, pad_top: 0, pad_left: 0)
    var prime = nnc_direct_conv_shape(
      in_channels: 6, in_height: 15, in_width: 15, out_channels: 16, out_height: 11, out_width: 11,
      kernel_height: 5, kernel_width: 5, pad_top: 0, pad_left: 0)
    #expect(nnc_direct_conv_runs_filter_vectors(&padded) == 0)
    #expect(nnc_direct_conv_runs_filter_vectors(&thirteen) == 0)
    #expect(nnc_direct_conv_runs_filter_vectors(&prime) == 0)
    #expect(nnc_direct_conv_packed_filters_count(&prime) == 0)
  }
}
