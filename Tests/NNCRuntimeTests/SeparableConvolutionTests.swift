import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.separableChannelsLastForward` against the two layers run one after the other
/// (`DepthwiseConv2D.forwardChannelsLast`, then `Conv2D.channelsLastPointwiseForward`): the same bits
/// on every thread count and instruction set, with tasks of several whole samples and of bands of
/// rows, epilogues inside and outside the kernels, and a shortcut.
@Suite struct SeparableConvolutionTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let depthwise: Conv2DGeometry
    let outputs: Int
    let depthwiseActivation: ActivationKind
    let activation: ActivationKind
    let shortcut: Bool
    var testDescription: String { name }

    var pointwise: Conv2DGeometry {
      Conv2DGeometry(
        batch: depthwise.batch, inChannels: depthwise.outChannels, inHeight: depthwise.outHeight,
        inWidth: depthwise.outWidth, outChannels: outputs, kernelHeight: 1, kernelWidth: 1)
    }
  }

  static func depthwise(batch: Int, channels: Int, size: Int, stride: Int) -> Conv2DGeometry {
    Conv2DGeometry(
      batch: batch, inChannels: channels, inHeight: size, inWidth: size, outChannels: channels,
      kernelHeight: 3, kernelWidth: 3, strideH: stride, strideW: stride, padTop: 1, padBottom: 1, padLeft: 1,
      padRight: 1, groups: channels)
  }

  static let cases = [
    // 6x6 x 100 channels: four samples a task, the third task partial (9 samples).
    Case(
      name: "whole samples", depthwise: depthwise(batch: 9, channels: 100, size: 6, stride: 1), outputs: 40,
      depthwiseActivation: .relu6, activation: .linear, shortcut: true),
    // 20x20 x 48 channels at stride 2 from 40x40: bands of 17 rows and of 3.
    Case(
      name: "bands at stride 2", depthwise: depthwise(batch: 2, channels: 48, size: 40, stride: 2),
      outputs: 59,
      depthwiseActivation: .relu6, activation: .relu6, shortcut: false),
    // Activations the kernels do not apply (tanh, sigmoid) run on the slot and the output rows.
    Case(
      name: "bands, activations outside the kernels",
      depthwise: depthwise(batch: 3, channels: 24, size: 32, stride: 1), outputs: 16,
      depthwiseActivation: .tanh,
      activation: .sigmoid, shortcut: false),
  ]

  @Test(arguments: cases)
  func equalsTheTwoLayersInTurn(_ c: Case) throws {
    let (d, p) = (c.depthwise, c.pointwise)
    #expect(Conv2D.runsSeparableChannelsLast(depthwise: d, pointwise: p))
    var generator = RandomGenerator(seed: 61)
    let input = randomValues(d.inputCount, &generator, scale: 2)
    let depthwiseWeight = randomValues(d.weightCount, &generator)
    let depthwiseBias = randomValues(d.outChannels, &generator)
    let weight = randomValues(p.weightCount, &generator)
    let bias = randomValues(p.outChannels, &generator)
    let scale = randomValues(p.outChannels, &generator, scale: 3)
    let shortcut = c.shortcut ? randomValues(p.outputCount, &generator) : nil
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      var hidden = [Float](repeating: .nan, count: d.outputCount)
      var transposed = [Float](repeating: .nan, count: DepthwiseConv2D.channelsLastScratchCount(d))
      DepthwiseConv2D.forwardChannelsLast(
        d, input: input, weight: depthwiseWeight, bias: depthwiseBias, output: &hidden,
        activation: c.depthwiseActivation, scratch: &transposed, instructionSet: isa, threads: 1)
      var expected = [Float](repeating: .nan, count: p.outputCount)
      var packed = [Float](repeating: .nan, count: Conv2D.channelsLastPointwiseScratchCount(p))
      Conv2D.channelsLastPointwiseForward(
        p, input: hidden, weight: weight, bias: bias, output: &expected, activation: c.activation,
        channelScale: scale, shortcut: shortcut, packedWeight: &packed, threads: 1, instructionSet: isa)
      for threads in 1...3 {
        var scratch = [Float](
          repeating: .nan, count: Conv2D.separableScratchCount(depthwise: d, pointwise: p))
        var output = [Float](repeating: .nan, count: p.outputCount)
        Conv2D.separableChannelsLastForward(
          depthwise: d, input: input, depthwiseWeight: depthwiseWeight, depthwiseBias: depthwiseBias,
          depthwiseActivation: c.depthwiseActivation, pointwise: p, weight: weight, bias: bias,
          channelScale: scale, activation: c.activation, shortcut: shortcut, output: &output,
          scratch: &scratch,
          threads: threads, instructionSet: isa)
        #expect(
          output.map(\.bitPattern) == expected.map(\.bitPattern), "\(c.name), \(isa), \(threads) threads")
        // Inference plans may write the sum over its shortcut: the same bits.
        guard let shortcut else { continue }
        var overwritten = shortcut
        overwritten.withUnsafeMutableBufferPointer { sum in
          Conv2D.separableChannelsLastForward(
            depthwise: d, input: input, depthwiseWeight: depthwiseWeight, depthwiseBias: depthwiseBias,
            depthwiseActivation: c.depthwiseActivation, pointwise: p, weight: weight, bias: bias,
            channelScale: scale, activation: c.activation, shortcut: UnsafePointer(sum.baseAddress!),
            output: sum.baseAddress!, scratch: &scratch, threads: threads, instructionSet: isa)
        }
        #expect(
          overwritten.map(\.bitPattern) == expected.map(\.bitPattern),
          "\(c.name), \(isa), \(threads) threads, written over the shortcut")
      }
    }
  }

  /// The cases cover both kinds of task, each with a partial last one: several whole samples, and
  /// bands of rows.
  @Test func theCasesCoverBothKindsOfTask() {
    let tasks = Self.cases.map { (Conv2D.SeparableTasks($0.depthwise), $0.depthwise) }
    #expect(tasks.contains { t, d in t.samplesPerTask > 1 && d.batch % t.samplesPerTask != 0 })
    #expect(tasks.contains { t, d in t.bandsPerSample > 1 && d.outHeight % t.rows != 0 })
  }
}

/// Inverted residual blocks (MobileNetV2's), one with a stride: the channels-last region the
/// executor runs with each depthwise convolution inside the pointwise one after it.
private let invertedResidualModel = """
  model:
    input: [8, 24, 24]
    layers:
      - conv2d: {filters: 16, kernel: 1, bias: false}
      - batchnorm
      - relu6
      - residual:
          layers:
            - conv2d: {filters: 96, kernel: 1, bias: false}
            - batchnorm
            - relu6
            - depthwise_conv2d: {kernel: 3, padding: 1, bias: false}
            - batchnorm
            - relu6
            - conv2d: {filters: 16, kernel: 1, bias: false}
            - batchnorm
      - conv2d: {filters: 96, kernel: 1, bias: false}
      - batchnorm
      - relu6
      - depthwise_conv2d: {kernel: 3, stride: 2, padding: 1, bias: false}
      - batchnorm
      - relu6
      - conv2d: {filters: 24, kernel: 1}
      - global_avgpool
      - dense: 5
  """

@Suite struct SeparableFusionPlanTests {
  /// Both depthwise convolutions run inside their pointwise steps in inference (the plan's text
  /// says so), none in training or with `--disable-pass fuse-separable`; the fused executor's
  /// outputs are the unfused one's bits, on a full batch and a smaller one, both with the block's
  /// sum written over its shortcut, and those of the unoptimized graph.
  @Test func inferencePlansFuseDepthwiseIntoPointwiseWithTheSameBits() throws {
    let model = try graph(invertedResidualModel)
    let batch = 5
    let fused = Executor(graph: model, maxBatch: batch, configuration: .inference)
    let text = ExecutionPlanPrinter.print(fused.plan)
    let pairs = fused.plan.steps.indices.compactMap { index in
      fused.plan.steps[index].separableDepthwise.map { (index, $0) }
    }
    #expect(pairs.count == 2, "\(text)")
    for (pointwise, depthwise) in pairs {
      #expect(fused.plan.steps[depthwise].isComputedByConsumer)
      #expect(pointwise == depthwise + 1)
    }
    #expect(text.contains("depthwise fused") && text.contains("computed by the pointwise step"), "\(text)")
    let training = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: batch)
    #expect(training.steps.allSatisfy { $0.separableDepthwise == nil && !$0.isComputedByConsumer })
    let unfusedConfiguration = ExecutionConfiguration(
      mode: .inference,
      optimization: OptimizationOptions(disabledPasses: [OptimizationOptions.separableFusionName]))
    let unfused = Executor(graph: model, maxBatch: batch, configuration: unfusedConfiguration)
    #expect(unfused.plan.steps.allSatisfy { $0.separableDepthwise == nil && !$0.isComputedByConsumer })
    // Both write the block's sum over its shortcut, which nothing reads afterwards.
    for plan in [fused.plan, unfused.plan] {
      let residual = try #require(
        plan.steps.compactMap(\.residual).first, "\(ExecutionPlanPrinter.print(plan))")
      let offsets = plan.memoryPlan.valueOffsets
      #expect(offsets[plan.graph.nodes[residual.node].output.index] == offsets[residual.shortcut.index])
    }
    OptimizationEquivalenceTests.checkInference(model, batch: batch, batches: 2)

    randomize(fused, seed: 9)
    Array(fused.parameters).withUnsafeBufferPointer { values in
      _ = unfused.parameters.update(fromContentsOf: values)
    }
    var generator = RandomGenerator(seed: 10)
    let input = randomValues(batch * fused.inputSampleCount, &generator)
    for run in [batch, 2] {
      for executor in [fused, unfused] {
        for index in 0..<(run * executor.inputSampleCount) { executor.input[index] = input[index] }
        executor.forward(batch: run, training: false)
      }
      let count = run * fused.outputSampleCount
      let (a, b) = ((0..<count).map { fused.output[$0] }, (0..<count).map { unfused.output[$0] })
      #expect(a.allSatisfy { $0.isFinite })
      #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "batch \(run)")
    }
  }
}
