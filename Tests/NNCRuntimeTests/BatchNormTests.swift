import NNCRandom
import Testing

@testable import NNCRuntime

/// Batch statistics of channel c over batch and spatial positions: mean and biased variance.
func referenceChannelStatistics(_ x: [Double], batch: Int, channels: Int, spatial: Int, channel: Int)
  -> (mean: Double, variance: Double)
{
  var values: [Double] = []
  for n in 0..<batch {
    for s in 0..<spatial { values.append(x[(n * channels + channel) * spatial + s]) }
  }
  let mean = values.reduce(0, +) / Double(values.count)
  let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
  return (mean, variance)
}

/// y = (x - mean) / sqrt(var + eps) * gamma + beta with the given per-channel statistics.
func referenceNormalize(
  _ x: [Double], batch: Int, channels: Int, spatial: Int, mean: [Double], variance: [Double],
  epsilon: Double, gamma: [Double]?, beta: [Double]?
) -> [Double] {
  var y = x
  for n in 0..<batch {
    for c in 0..<channels {
      for s in 0..<spatial {
        let i = (n * channels + c) * spatial + s
        y[i] = (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * (gamma?[c] ?? 1) + (beta?[c] ?? 0)
      }
    }
  }
  return y
}

@Suite struct BatchNormTests {
  let epsilon: Float = 1e-3
  let momentum: Float = 0.1

  @Test(arguments: [(2, 3, 6, true), (5, 4, 1, true), (3, 2, 5, false), (4, 19, 1, true), (3, 16, 1, false)])
  func trainingMatchesReferenceAndFiniteDifferences(
    batch: Int, channels: Int, spatial: Int, affine: Bool
  ) {
    var generator = RandomGenerator(seed: 61)
    let count = batch * channels * spatial
    let x = randomValues(count, &generator, scale: 2)
    let gamma = affine ? randomValues(channels, &generator).map { $0 + 1.5 } : nil
    let beta = affine ? randomValues(channels, &generator) : nil
    let startMean = randomValues(channels, &generator)
    let startVariance = randomValues(channels, &generator).map { $0 + 1.5 }
    var runningMean = startMean
    var runningVariance = startVariance
    var saved = [Float](repeating: .nan, count: BatchNorm.savedStatisticsCount(channels: channels))
    var y = [Float](repeating: .nan, count: count)
    BatchNorm.forwardTraining(
      batch: batch, channels: channels, spatial: spatial, epsilon: epsilon, momentum: momentum,
      input: x, scale: gamma, shift: beta, output: &y, runningMean: &runningMean,
      runningVariance: &runningVariance, savedStatistics: &saved)

    let eps = Double(epsilon)
    func reference(_ x: [Double], _ gamma: [Double]?, _ beta: [Double]?) -> [Double] {
      let statistics = (0..<channels).map {
        referenceChannelStatistics(x, batch: batch, channels: channels, spatial: spatial, channel: $0)
      }
      return referenceNormalize(
        x, batch: batch, channels: channels, spatial: spatial, mean: statistics.map(\.mean),
        variance: statistics.map(\.variance), epsilon: eps, gamma: gamma, beta: beta)
    }
    let (xd, gd, bd) = (doubles(x), gamma.map(doubles), beta.map(doubles))
    let forwardError = maxRelativeError(y, reference(xd, gd, bd))
    #expect(forwardError < 1e-4, "batch norm forward error \(forwardError)")

    let m = Double(batch * spatial)
    let statistics = (0..<channels).map {
      referenceChannelStatistics(xd, batch: batch, channels: channels, spatial: spatial, channel: $0)
    }
    let expectedMean = (0..<channels).map {
      0.9 * Double(startMean[$0]) + 0.1 * statistics[$0].mean
    }
    let expectedVariance = (0..<channels).map {
      0.9 * Double(startVariance[$0]) + 0.1 * statistics[$0].variance * m / (m - 1)
    }
    #expect(maxRelativeError(runningMean, expectedMean) < 1e-5, "running mean \(runningMean)")
    #expect(maxRelativeError(runningVariance, expectedVariance) < 1e-5, "running var \(runningVariance)")
    let expectedSaved =
      statistics.map(\.mean) + statistics.map { 1 / ($0.variance + eps).squareRoot() }
    #expect(maxRelativeError(saved, expectedSaved) < 1e-5, "saved statistics \(saved)")

    let dy = gradientWeights(count, &generator)
    var dx = [Float](repeating: .nan, count: count)
    var dGamma = [Float](repeating: 0, count: channels)
    var dBeta = [Float](repeating: 0, count: channels)
    BatchNorm.backwardTraining(
      batch: batch, channels: channels, spatial: spatial, input: x, scale: gamma,
      savedStatistics: saved, gradOutput: dy, gradInput: &dx, gradScale: &dGamma, gradShift: &dBeta)
    let inputError = finiteDifferenceError(
      of: { weightedSum(dy, reference($0, gd, bd)) }, at: x, analytic: dx, &generator)
    #expect(inputError < 1e-3, "batch norm gradInput max relative error \(inputError)")
    if let gamma, let beta {
      let gammaError = finiteDifferenceError(
        of: { weightedSum(dy, reference(xd, $0, bd)) }, at: gamma, analytic: dGamma, &generator)
      #expect(gammaError < 1e-3, "batch norm gradScale max relative error \(gammaError)")
      let betaError = finiteDifferenceError(
        of: { weightedSum(dy, reference(xd, gd, $0)) }, at: beta, analytic: dBeta, &generator)
      #expect(betaError < 1e-3, "batch norm gradShift max relative error \(betaError)")
    }
  }

  @Test func inferenceUsesRunningStatistics() {
    var generator = RandomGenerator(seed: 62)
    let (batch, channels, spatial) = (2, 3, 4)
    let count = batch * channels * spatial
    let x = randomValues(count, &generator, scale: 2)
    let gamma = randomValues(channels, &generator).map { $0 + 1.5 }
    let beta = randomValues(channels, &generator)
    let mean = randomValues(channels, &generator)
    let variance = randomValues(channels, &generator).map { $0 + 1.5 }
    var y = [Float](repeating: .nan, count: count)
    BatchNorm.forwardInference(
      batch: batch, channels: channels, spatial: spatial, epsilon: epsilon, input: x, scale: gamma,
      shift: beta, output: &y, runningMean: mean, runningVariance: variance)
    func reference(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> [Double] {
      referenceNormalize(
        x, batch: batch, channels: channels, spatial: spatial, mean: doubles(mean),
        variance: doubles(variance), epsilon: Double(epsilon), gamma: gamma, beta: beta)
    }
    let (xd, gd, bd) = (doubles(x), doubles(gamma), doubles(beta))
    #expect(maxRelativeError(y, reference(xd, gd, bd)) < 1e-5)

    let dy = gradientWeights(count, &generator)
    var dx = [Float](repeating: .nan, count: count)
    var dGamma = [Float](repeating: 0, count: channels)
    var dBeta = [Float](repeating: 0, count: channels)
    BatchNorm.backwardInference(
      batch: batch, channels: channels, spatial: spatial, epsilon: epsilon, input: x, scale: gamma,
      runningMean: mean, runningVariance: variance, gradOutput: dy, gradInput: &dx,
      gradScale: &dGamma, gradShift: &dBeta)
    let inputError = finiteDifferenceError(
      of: { weightedSum(dy, reference($0, gd, bd)) }, at: x, analytic: dx, &generator)
    #expect(inputError < 1e-3, "frozen batch norm gradInput error \(inputError)")
    let gammaError = finiteDifferenceError(
      of: { weightedSum(dy, reference(xd, $0, bd)) }, at: gamma, analytic: dGamma, &generator)
    #expect(gammaError < 1e-3, "frozen batch norm gradScale error \(gammaError)")
    let betaError = finiteDifferenceError(
      of: { weightedSum(dy, reference(xd, gd, $0)) }, at: beta, analytic: dBeta, &generator)
    #expect(betaError < 1e-3, "frozen batch norm gradShift error \(betaError)")
  }
}
