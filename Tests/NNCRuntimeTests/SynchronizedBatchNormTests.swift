import Foundation
import NNCRandom
import NNCTestSupport
import NNCTrain
import Testing

@testable import NNCRuntime

/// What one rank computed, collected across the rank threads.
final class RankResults: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int: [String: [Float]]] = [:]
  func set(_ rank: Int, _ name: String, _ value: [Float]) {
    lock.withLock { values[rank, default: [:]][name] = value }
  }
  func get(_ rank: Int, _ name: String) -> [Float] { lock.withLock { values[rank]![name]! } }
}

/// The synchronized batchnorm on K parts of a batch (unequal, one of them empty) gives what the
/// plain kernel gives on the whole batch: the same outputs and running statistics, and, since each
/// rank's output gradient is that of the mean loss over its own part (1/share times the whole
/// batch's), input and parameter gradients that weighted by the share are the whole batch's.
@Suite struct SynchronizedBatchNormTests {
  @Test(arguments: [[3, 5], [1, 0, 6]])
  func partsNormalizeAndDifferentiateAsTheWholeBatch(parts: [Int]) {
    let (channels, spatial) = (3, 7)
    let (epsilon, momentum): (Float, Float) = (1e-3, 0.1)
    let batch = parts.reduce(0, +)
    let sampleSize = channels * spatial
    var generator = RandomGenerator(seed: 19)
    let x = randomValues(batch * sampleSize, &generator, scale: 2).map { $0 + 0.5 }
    let dy = gradientWeights(batch * sampleSize, &generator)
    let gamma = randomValues(channels, &generator).map { $0 + 1.5 }
    let beta = randomValues(channels, &generator)
    let startMean = randomValues(channels, &generator)
    let startVariance = randomValues(channels, &generator).map { $0 + 1.5 }

    var mean = startMean
    var variance = startVariance
    var saved = [Float](repeating: 0, count: 2 * channels)
    var y = [Float](repeating: 0, count: x.count)
    BatchNorm.forwardTraining(
      batch: batch, channels: channels, spatial: spatial, epsilon: epsilon, momentum: momentum, input: x,
      scale: gamma, shift: beta, output: &y, runningMean: &mean, runningVariance: &variance,
      savedStatistics: &saved)
    var dx = [Float](repeating: 0, count: x.count)
    var dGamma = [Float](repeating: 0, count: channels)
    var dBeta = [Float](repeating: 0, count: channels)
    BatchNorm.backwardTraining(
      batch: batch, channels: channels, spatial: spatial, input: x, scale: gamma, savedStatistics: saved,
      gradOutput: dy, gradInput: &dx, gradScale: &dGamma, gradShift: &dBeta)

    let hub = ThreadHub(size: parts.count)
    let results = RankResults()
    let starts = parts.indices.map { parts[..<$0].reduce(0, +) }
    hub.run { rank in
      // The reduction training installs, over ranks that are this process's threads.
      let reduce = ThreadRank(hub: hub, rank: rank).batchStatisticsReduction()
      let range = (starts[rank] * sampleSize)..<((starts[rank] + parts[rank]) * sampleSize)
      let share = Float(parts[rank]) / Float(batch)
      let input = Array(x[range])
      let gradOutput = dy[range].map { $0 / share }
      var mean = startMean
      var variance = startVariance
      var saved = [Float](repeating: 0, count: 2 * channels)
      var output = [Float](repeating: 0, count: input.count)
      let total = BatchNorm.forwardTrainingSynchronized(
        batch: parts[rank], channels: channels, spatial: spatial, epsilon: epsilon, momentum: momentum,
        input: input, scale: gamma, shift: beta, output: &output, runningMean: &mean,
        runningVariance: &variance, savedStatistics: &saved, reduce: reduce)
      var gradInput = [Float](repeating: 0, count: input.count)
      var gradGamma = [Float](repeating: 0, count: channels)
      var gradBeta = [Float](repeating: 0, count: channels)
      BatchNorm.backwardTrainingSynchronized(
        batch: parts[rank], channels: channels, spatial: spatial, total: total, input: input, scale: gamma,
        savedStatistics: saved, gradOutput: gradOutput, gradInput: &gradInput, gradScale: &gradGamma,
        gradShift: &gradBeta, reduce: reduce)
      results.set(rank, "total", [Float(total)])
      results.set(rank, "output", output)
      results.set(rank, "mean", mean)
      results.set(rank, "variance", variance)
      results.set(rank, "gradInput", gradInput.map { $0 * share })
      results.set(rank, "gradGamma", gradGamma.map { $0 * share })
      results.set(rank, "gradBeta", gradBeta.map { $0 * share })
    }

    func summed(_ name: String) -> [Float] {
      parts.indices.map { results.get($0, name) }.reduce([Float](repeating: 0, count: channels)) {
        zip($0, $1).map { $0 + $1 }
      }
    }
    for rank in parts.indices {
      #expect(results.get(rank, "total") == [Float(batch * spatial)])
      #expect(maxRelativeError(results.get(rank, "mean"), doubles(mean)) < 1e-6)
      #expect(maxRelativeError(results.get(rank, "variance"), doubles(variance)) < 1e-6)
    }
    let output = parts.indices.flatMap { results.get($0, "output") }
    let gradInput = parts.indices.flatMap { results.get($0, "gradInput") }
    #expect(maxRelativeError(output, doubles(y)) < 1e-5, "outputs differ")
    #expect(maxRelativeError(gradInput, doubles(dx), floor: 1e-2) < 1e-4, "input gradients differ")
    #expect(maxRelativeError(summed("gradGamma"), doubles(dGamma)) < 1e-5, "gamma gradients differ")
    #expect(maxRelativeError(summed("gradBeta"), doubles(dBeta)) < 1e-5, "beta gradients differ")
  }
}
