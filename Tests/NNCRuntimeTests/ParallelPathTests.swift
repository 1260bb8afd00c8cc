import NNCRandom
import Testing

@testable import NNCRuntime

/// Shapes just large enough that the kernels take their concurrent paths (the small shapes of the
/// other suites run on one thread). Finite differences would be too slow here, so gradients of the
/// linear kernels are checked with the adjoint identity: for f linear in x,
/// Σ dy ⊙ f(x) = Σ (∂L/∂x) ⊙ x exactly. Every kernel is also run twice and must give the same bits.
@Suite struct ParallelPathTests {
  func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
  }

  func expectClose(_ actual: Double, _ expected: Double, _ what: String) {
    let error = abs(actual - expected) / max(abs(expected), 1)
    #expect(error < 1e-4, "\(what): \(actual) vs \(expected), relative error \(error)")
  }

  @Test func convolutionIsCorrectAndDeterministic() {
    let g = Conv2DGeometry(
      batch: 2, inChannels: 16, inHeight: 16, inWidth: 16, outChannels: 8, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 2)
    var generator = RandomGenerator(seed: 81)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g))
    var results: [[Float]] = []
    for _ in 0..<2 {
      var y = [Float](repeating: .nan, count: g.outputCount)
      var dx = [Float](repeating: .nan, count: g.inputCount)
      var dw = [Float](repeating: 0, count: g.weightCount)
      Conv2D.forward(g, input: x, weight: w, bias: nil, output: &y, scratch: &scratch)
      Conv2D.backward(
        g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil,
        scratch: &scratch)
      results.append(y + dx + dw)
      if results.count == 1 {
        let reference = referenceConvolution(g, input: doubles(x), weight: doubles(w), bias: nil)
        #expect(maxRelativeError(y, reference) < 1e-4)
        let loss = weightedSum(dy, reference)
        expectClose(dot(dx, x), loss, "Σ gradInput ⊙ x")
        expectClose(dot(dw, w), loss, "Σ gradWeight ⊙ w")
      }
    }
    #expect(results[0] == results[1], "two runs differ")
  }

  @Test func depthwiseIsCorrectAndDeterministic() {
    let g = Conv2DGeometry(
      batch: 2, inChannels: 8, inHeight: 16, inWidth: 16, outChannels: 16, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1,
      groups: 8)
    var generator = RandomGenerator(seed: 82)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    var results: [[Float]] = []
    for _ in 0..<2 {
      var y = [Float](repeating: .nan, count: g.outputCount)
      var dx = [Float](repeating: .nan, count: g.inputCount)
      var dw = [Float](repeating: 0, count: g.weightCount)
      DepthwiseConv2D.forward(g, input: x, weight: w, bias: nil, output: &y)
      DepthwiseConv2D.backward(
        g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil)
      results.append(y + dx + dw)
      if results.count == 1 {
        let reference = referenceConvolution(g, input: doubles(x), weight: doubles(w), bias: nil)
        #expect(maxRelativeError(y, reference) < 1e-4)
        let loss = weightedSum(dy, reference)
        expectClose(dot(dx, x), loss, "Σ gradInput ⊙ x")
        expectClose(dot(dw, w), loss, "Σ gradWeight ⊙ w")
      }
    }
    #expect(results[0] == results[1], "two runs differ")
  }

  @Test func poolingIsCorrectAndDeterministic() {
    let g = Pool2DGeometry(
      batch: 2, channels: 8, inHeight: 32, inWidth: 32, windowH: 3, windowW: 3, strideH: 2,
      strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    var generator = RandomGenerator(seed: 83)
    let x = distinctValues(g.inputCount, &generator)
    // Distinct values reach ±400 here; the average is checked on values of order one.
    let smallX = randomValues(g.inputCount, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    var argmax = [Int32](repeating: -1, count: MaxPool2D.indexScratchCount(g))
    var results: [[Float]] = []
    for _ in 0..<2 {
      var maxOutput = [Float](repeating: .nan, count: g.outputCount)
      var maxGrad = [Float](repeating: .nan, count: g.inputCount)
      var averageOutput = [Float](repeating: .nan, count: g.outputCount)
      var averageGrad = [Float](repeating: .nan, count: g.inputCount)
      MaxPool2D.forward(g, input: x, output: &maxOutput, argmax: &argmax)
      MaxPool2D.backward(g, gradOutput: dy, argmax: argmax, gradInput: &maxGrad)
      AveragePool2D.forward(g, input: smallX, output: &averageOutput)
      AveragePool2D.backward(g, gradOutput: dy, gradInput: &averageGrad)
      results.append(maxOutput + maxGrad + averageOutput + averageGrad)
      if results.count == 1 {
        let maxReference = referencePool(g, input: doubles(x), maximum: true)
        let averageReference = referencePool(g, input: doubles(smallX), maximum: false)
        #expect(maxRelativeError(maxOutput, maxReference) == 0)
        #expect(maxRelativeError(averageOutput, averageReference) < 1e-5)
        // Max pooling is linear in x while the argmax stays put, average pooling everywhere.
        expectClose(dot(maxGrad, x), weightedSum(dy, maxReference), "max pool Σ gradInput ⊙ x")
        expectClose(
          dot(averageGrad, smallX), weightedSum(dy, averageReference), "average pool Σ gradInput ⊙ x")
      }
    }
    #expect(results[0] == results[1], "two runs differ")
  }

  @Test func batchNormIsCorrectAndDeterministic() {
    let (batch, channels, spatial) = (4, 4, 1024)
    let count = batch * channels * spatial
    var generator = RandomGenerator(seed: 84)
    let x = randomValues(count, &generator, scale: 2)
    let gamma = randomValues(channels, &generator).map { $0 + 1.5 }
    let dy = gradientWeights(count, &generator)
    var results: [[Float]] = []
    for _ in 0..<2 {
      var y = [Float](repeating: .nan, count: count)
      var runningMean = [Float](repeating: 0, count: channels)
      var runningVariance = [Float](repeating: 1, count: channels)
      var saved = [Float](repeating: .nan, count: 2 * channels)
      BatchNorm.forwardTraining(
        batch: batch, channels: channels, spatial: spatial, epsilon: 1e-3, momentum: 0.1, input: x,
        scale: gamma, shift: nil, output: &y, runningMean: &runningMean,
        runningVariance: &runningVariance, savedStatistics: &saved)
      var dx = [Float](repeating: .nan, count: count)
      var dGamma = [Float](repeating: 0, count: channels)
      BatchNorm.backwardTraining(
        batch: batch, channels: channels, spatial: spatial, input: x, scale: gamma,
        savedStatistics: saved, gradOutput: dy, gradInput: &dx, gradScale: &dGamma, gradShift: nil)
      results.append(y + dx + dGamma + runningMean + runningVariance)
      if results.count == 1 {
        func reference(_ x: [Double]) -> [Double] {
          let statistics = (0..<channels).map {
            referenceChannelStatistics(x, batch: batch, channels: channels, spatial: spatial, channel: $0)
          }
          return referenceNormalize(
            x, batch: batch, channels: channels, spatial: spatial, mean: statistics.map(\.mean),
            variance: statistics.map(\.variance), epsilon: 1e-3, gamma: doubles(gamma), beta: nil)
        }
        #expect(maxRelativeError(y, reference(doubles(x))) < 1e-4)
        let error = finiteDifferenceError(
          of: { weightedSum(dy, reference($0)) }, at: x, analytic: dx, samples: 8, &generator)
        #expect(error < 1e-3, "batch norm gradInput max relative error \(error)")
      }
    }
    #expect(results[0] == results[1], "two runs differ")
  }

  @Test func elementwiseKernelsAreCorrectInChunks() {
    let count = 40_000
    var generator = RandomGenerator(seed: 85)
    let x = activationInputs(count, &generator)
    let dy = gradientWeights(count, &generator)
    var y = [Float](repeating: .nan, count: count)
    let gelu = ActivationKind.gelu(approximate: .tanh)
    gelu.forward(x, &y, count: count)
    #expect(maxRelativeError(y, x.map { referenceActivation(gelu, Double($0)) }) < 1e-5)
    var dx = [Float](repeating: .nan, count: count)
    gelu.backward(input: x, gradOutput: dy, gradInput: &dx, count: count)
    var fromOutput = [Float](repeating: .nan, count: count)
    ActivationKind.relu.forward(x, &y, count: count)
    ActivationKind.relu.backward(output: y, gradOutput: dy, gradInput: &fromOutput, count: count)
    #expect(fromOutput == zip(x, dy).map { $0 > 0 ? $1 : 0 })

    let (batch, channels, spatial) = (8, 10, 500)
    var probabilities = [Float](repeating: .nan, count: batch * channels * spatial)
    Softmax.forward(batch: batch, channels: channels, spatial: spatial, input: x, output: &probabilities)
    for n in [0, 7] {
      for s in [0, 499] {
        let column = (0..<channels).map { probabilities[(n * channels + $0) * spatial + s] }
        let total = column.reduce(0, +)
        #expect(abs(total - 1) < 1e-5, "softmax column (\(n), \(s)) sums to \(total)")
      }
    }
  }
}
