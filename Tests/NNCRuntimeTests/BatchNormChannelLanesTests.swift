import NNCRandom
import Testing

@testable import NNCRuntime

/// The channel-lane path of 1x1 maps against the per-channel path, bit for bit: each channel of an
/// [N, C] tensor also normalized alone, as an [N, 1] tensor, which the per-channel path runs.
@Suite struct BatchNormChannelLanesTests {
  static let activations: [ActivationKind?] = [nil, .relu6, .leakyRelu(alpha: 0.1)]

  @Test(arguments: activations.indices)
  func lanesGiveThePerChannelBits(_ activationIndex: Int) {
    let activation = Self.activations[activationIndex]
    let (batch, channels) = (6, 21)  // two blocks of lanes and five channels after them
    #expect(BatchNorm.laneChannels(channels: channels, spatial: 1) == 16)
    var generator = RandomGenerator(seed: 71)
    let x = randomValues(batch * channels, &generator, scale: 3)
    let dy = randomValues(batch * channels, &generator)
    let gamma = randomValues(channels, &generator).map { $0 + 1.5 }
    let beta = randomValues(channels, &generator)
    let startMean = randomValues(channels, &generator)
    let startVariance = randomValues(channels, &generator).map { $0 + 1.5 }
    let startGradScale = randomValues(channels, &generator)
    let startGradShift = randomValues(channels, &generator)

    var (mean, variance) = (startMean, startVariance)
    var saved = [Float](repeating: .nan, count: 2 * channels)
    var y = [Float](repeating: .nan, count: x.count)
    BatchNorm.forwardTraining(
      batch: batch, channels: channels, spatial: 1, epsilon: 1e-3, momentum: 0.1, input: x, scale: gamma,
      shift: beta, output: &y, runningMean: &mean, runningVariance: &variance, savedStatistics: &saved,
      activation: activation)
    var dx = [Float](repeating: .nan, count: x.count)
    var (gradScale, gradShift) = (startGradScale, startGradShift)
    BatchNorm.backwardTraining(
      batch: batch, channels: channels, spatial: 1, input: x, scale: gamma, savedStatistics: saved,
      gradOutput: dy, gradInput: &dx, gradScale: &gradScale, gradShift: &gradShift)

    for c in 0..<channels {
      let column = (0..<batch).map { x[$0 * channels + c] }
      let gradColumn = (0..<batch).map { dy[$0 * channels + c] }
      var (channelMean, channelVariance) = ([startMean[c]], [startVariance[c]])
      var channelSaved = [Float](repeating: .nan, count: 2)
      var channelY = [Float](repeating: .nan, count: batch)
      BatchNorm.forwardTraining(
        batch: batch, channels: 1, spatial: 1, epsilon: 1e-3, momentum: 0.1, input: column, scale: [gamma[c]],
        shift: [beta[c]], output: &channelY, runningMean: &channelMean, runningVariance: &channelVariance,
        savedStatistics: &channelSaved, activation: activation)
      var channelDX = [Float](repeating: .nan, count: batch)
      var (channelGradScale, channelGradShift) = ([startGradScale[c]], [startGradShift[c]])
      BatchNorm.backwardTraining(
        batch: batch, channels: 1, spatial: 1, input: column, scale: [gamma[c]],
        savedStatistics: channelSaved,
        gradOutput: gradColumn, gradInput: &channelDX, gradScale: &channelGradScale,
        gradShift: &channelGradShift)
      let lanes = (
        (0..<batch).map { y[$0 * channels + c] }, (0..<batch).map { dx[$0 * channels + c] },
        [saved[c], saved[channels + c], mean[c], variance[c], gradScale[c], gradShift[c]]
      )
      let alone = (
        channelY, channelDX,
        [
          channelSaved[0], channelSaved[1], channelMean[0], channelVariance[0], channelGradScale[0],
          channelGradShift[0],
        ]
      )
      #expect(lanes.0.map(\.bitPattern) == alone.0.map(\.bitPattern), "channel \(c): outputs")
      #expect(lanes.1.map(\.bitPattern) == alone.1.map(\.bitPattern), "channel \(c): input gradients")
      #expect(
        lanes.2.map(\.bitPattern) == alone.2.map(\.bitPattern), "channel \(c): statistics and gradients")
    }
  }
}
