import Foundation
import NNCGraph
import Testing

@testable import NNCRuntime

/// Every kind of prepared weight: a Winograd convolution with a folded batchnorm (scale and shift),
/// a depthwise one with a folded batchnorm (scaled weights), a 3x3 convolution on a 1x1 map (cropped
/// to its centre tap) and a dense layer with a folded batchnorm.
private let preparedWeightsModel = """
  model:
    input: [3, 6, 6]
    layers:
      - conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
      - conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
      - batchnorm
      - relu
      - depthwise_conv2d: {kernel: 3, padding: 1, bias: false}
      - batchnorm
      - relu6
      - maxpool: 6
      - conv2d: {filters: 8, kernel: 3, padding: 1}
      - flatten
      - dense: 5
      - batchnorm
  """

/// An inference executor that caches its prepared weights computes, bit for bit, what one that
/// prepares them on every batch computes; after `parametersChanged()` it prepares them again.
@Suite struct PreparedWeightCacheTests {
  static let caching = ExecutionConfiguration(mode: .inference, cachesPreparedWeights: true)

  static func inputs(_ executors: [Executor], batch: Int, seed: Float) {
    for executor in executors {
      for index in 0..<(batch * executor.inputSampleCount) {
        executor.input[index] = sin(Float(index) * 0.37 + seed)
      }
    }
  }

  static func run(_ executors: [Executor], batch: Int) -> [[Float]] {
    executors.map { executor in
      executor.forward(batch: batch, training: false)
      return OptimizationEquivalenceTests.output(executor, batch: batch)
    }
  }

  @Test func cachingPlansARegionPerPreparedNode() throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(preparedWeightsModel), configuration: Self.caching, maxBatch: 2)
    let convolutions = plan.steps.filter { $0.convolution != nil }
    #expect(
      convolutions.map { $0.convolution!.algorithm.description } == [
        "patch product", "winograd", "depthwise", "cropped to 1x1, dense product",
      ])
    // The patch product (its packed weights), Winograd and the crop (its weights cropped and packed
    // for the dense product) keep their weights; the three folded batchnorms each own a region.
    #expect(convolutions.map { $0.keptWeightOffset != nil } == [true, true, false, true])
    #expect(plan.steps.filter { $0.foldedOffset != nil }.count == 3)
    let uncached = try ExecutionPlanner.plan(
      graph: try graph(preparedWeightsModel), configuration: .inference, maxBatch: 2)
    #expect(uncached.steps.allSatisfy { $0.foldedOffset == nil && $0.keptWeightOffset == nil })
  }

  @Test func cachedWeightsGiveTheUncachedOutputs() throws {
    let model = try graph(preparedWeightsModel)
    let batch = 3
    let cached = Executor(graph: model, maxBatch: batch, configuration: Self.caching)
    let uncached = Executor(graph: model, maxBatch: batch, configuration: .inference)
    OptimizationEquivalenceTests.prepare([cached, uncached], batch: batch, seed: 41)
    var results = Self.run([cached, uncached], batch: batch)
    #expect(results[0] == results[1], "first batch: the cached executor differs")
    // A second batch reuses the prepared weights.
    Self.inputs([cached, uncached], batch: batch, seed: 1)
    results = Self.run([cached, uncached], batch: batch)
    #expect(results[0] == results[1], "second batch: the cached executor differs")
    let beforeChange = results[0]

    // New weights: without `parametersChanged()` the cached executor still runs the old prepared
    // weights (every layer with weights here has them prepared, all but the biases, so the output
    // differs from both); after it, it matches again.
    OptimizationEquivalenceTests.prepare([cached, uncached], batch: batch, seed: 42)
    Self.inputs([cached, uncached], batch: batch, seed: 1)
    results = Self.run([cached, uncached], batch: batch)
    #expect(results[0] != results[1] && results[0] != beforeChange, "the cache was not used")
    cached.parametersChanged()
    results = Self.run([cached, uncached], batch: batch)
    #expect(results[0] == results[1], "after parametersChanged: the cached executor differs")
  }

  /// Every shipped spec, at the reduced input sizes of the equivalence tests.
  @Test(arguments: OptimizationEquivalenceTests.shippedSpecs)
  func everySpecCachesToTheSameOutputs(_ file: String) throws {
    let model = try OptimizationEquivalenceTests.loadGraph(file)
    let batch = 2
    let cached = Executor(graph: model, maxBatch: batch, configuration: Self.caching)
    let uncached = Executor(graph: model, maxBatch: batch, configuration: .inference)
    OptimizationEquivalenceTests.prepare([cached, uncached], batch: batch, seed: 43)
    for round in 0..<2 {
      if round == 1 { Self.inputs([cached, uncached], batch: batch, seed: 2) }
      let results = Self.run([cached, uncached], batch: batch)
      #expect(results[0] == results[1], "\(file), batch \(round + 1): the cached executor differs")
    }
  }
}

/// A depthwise-separable block that `UseChannelsLast` runs channels-last in inference.
private let channelsLastModel = """
  model:
    input: [3, 6, 6]
    layers:
      - conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
      - conv2d: {filters: 192, kernel: 1, bias: false}
      - batchnorm
      - relu6
      - depthwise_conv2d: {kernel: 3, stride: 2, padding: 1, bias: false}
      - batchnorm
      - relu6
      - conv2d: {filters: 16, kernel: 1, bias: false}
      - batchnorm
      - global_avgpool
      - dense: 5
  """

/// The channels-last kernels take the prepared (folded) weights the same way: cached, they give the
/// uncached executor's bits, batch after batch.
@Test func channelsLastRegionsCacheTheirFoldedWeights() throws {
  let model = try graph(channelsLastModel)
  let plan = try ExecutionPlanner.plan(
    graph: model, configuration: PreparedWeightCacheTests.caching, maxBatch: 2)
  let algorithms = plan.steps.compactMap { $0.convolution?.algorithm.description }
  #expect(algorithms.contains("depthwise nhwc") && algorithms.contains("pointwise nhwc"), "\(algorithms)")
  let batch = 2
  let cached = Executor(graph: model, maxBatch: batch, configuration: PreparedWeightCacheTests.caching)
  let uncached = Executor(graph: model, maxBatch: batch, configuration: .inference)
  OptimizationEquivalenceTests.prepare([cached, uncached], batch: batch, seed: 43)
  for seed in [Float(0), 1] {
    PreparedWeightCacheTests.inputs([cached, uncached], batch: batch, seed: seed)
    let results = PreparedWeightCacheTests.run([cached, uncached], batch: batch)
    #expect(results[0] == results[1], "input \(seed): the cached executor differs")
  }
}
