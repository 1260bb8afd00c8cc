/// Batch normalization of one value per channel and sample ([N, C] tensors, maps of 1x1: ResNet's
/// last stage on 32x32 images, the batch norms of a dense stack). A channel's values then lie a
/// whole sample apart, and the per-channel path visited them one at a time, each sum a chain of
/// dependent Double additions. Here a block of `channelLanes` channels is one vector, the samples
/// summed in order in every lane: per value the operations of `channelSum`, `normalize`,
/// `channelGradientSums` and `channelInputGradient` on rows of one value, so the same bits.
extension BatchNorm {
  static let channelLanes = SIMD8<Float>.scalarCount

  /// Channels `forwardTraining` and `backwardTraining` run as lanes: whole blocks, on 1x1 maps.
  static func laneChannels(channels: Int, spatial: Int) -> Int {
    spatial == 1 ? channels / channelLanes * channelLanes : 0
  }

  /// `forwardTraining`'s work for the block of channels from `first` (`spatial` 1).
  static func forwardTrainingLanes(
    first: Int, batch: Int, channels: Int, epsilon: Float, momentum: Float, input: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    runningMean: UnsafeMutablePointer<Float>, runningVariance: UnsafeMutablePointer<Float>,
    savedStatistics: UnsafeMutablePointer<Float>, activation: ActivationKind?
  ) {
    // `channelSum`'s Double sum, then its (empty) vector lanes added: x + 0 as there.
    var sum = SIMD8<Double>()
    for n in 0..<batch { sum += SIMD8<Double>(SIMD8<Float>.load(input + n * channels + first)) }
    sum += SIMD8<Double>()
    let mean = sum / Double(batch)
    let center = SIMD8<Float>(mean)
    var squares = SIMD8<Double>()
    for n in 0..<batch {
      let d = SIMD8<Float>.load(input + n * channels + first) - center
      squares += SIMD8<Double>(d * d)
    }
    squares += SIMD8<Double>()
    let variance = squares / Double(batch)
    let inverseStd = 1 / (variance + Double(epsilon)).squareRoot()
    var multiplier = SIMD8<Float>()
    var offsetTerm = SIMD8<Float>()
    for lane in 0..<channelLanes {
      let c = first + lane
      let (laneMean, laneInverseStd) = (Float(mean[lane]), Float(inverseStd[lane]))
      savedStatistics[c] = laneMean
      savedStatistics[channels + c] = laneInverseStd
      let unbiased = batch > 1 ? squares[lane] / Double(batch - 1) : variance[lane]
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * laneMean
      runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(unbiased)
      multiplier[lane] = (scale?[c] ?? 1) * laneInverseStd
      offsetTerm[lane] = (shift?[c] ?? 0) - laneMean * multiplier[lane]
    }
    @inline(__always) func rows(_ kind: ActivationKind?) {
      for n in 0..<batch {
        let index = n * channels + first
        let value = SIMD8<Float>.load(input + index) * multiplier + offsetTerm
        switch kind {
        case .relu: value.relu().store(output + index)
        case .relu6: value.relu6().store(output + index)
        case .leakyRelu(let alpha): value.leakyRelu(alpha).store(output + index)
        default: value.store(output + index)
        }
      }
    }
    switch activation {
    case .relu: rows(.relu)
    case .relu6: rows(.relu6)
    case nil: rows(nil)
    case .some(let kind):
      precondition(appliesWhileNormalizing(kind), "\(kind) applied by a batchnorm")
      rows(kind)
    }
  }

  /// `backwardTraining`'s work for the block of channels from `first` (`spatial` 1).
  static func backwardTrainingLanes(
    first: Int, batch: Int, channels: Int, input: UnsafePointer<Float>, scale: UnsafePointer<Float>?,
    savedStatistics: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>?, gradScale: UnsafeMutablePointer<Float>?,
    gradShift: UnsafeMutablePointer<Float>?
  ) {
    let mean = SIMD8<Float>.load(savedStatistics + first)
    let inverseStd = SIMD8<Float>.load(savedStatistics + channels + first)
    var sumGrad = SIMD8<Double>()
    var sumGradNormalized = SIMD8<Double>()
    for n in 0..<batch {
      let index = n * channels + first
      let g = SIMD8<Float>.load(gradOutput + index)
      sumGrad += SIMD8<Double>(g)
      sumGradNormalized += SIMD8<Double>(g * ((SIMD8<Float>.load(input + index) - mean) * inverseStd))
    }
    let totalGrad = SIMD8<Float>(sumGrad + SIMD8<Double>())
    let totalGradNormalized = SIMD8<Float>(sumGradNormalized + SIMD8<Double>())
    var factor = SIMD8<Float>()
    let count = Float(batch)
    for lane in 0..<channelLanes {
      let c = first + lane
      gradShift?[c] += totalGrad[lane]
      gradScale?[c] += totalGradNormalized[lane]
      factor[lane] = (scale?[c] ?? 1) * inverseStd[lane] / count
    }
    guard let gradInput else { return }
    for n in 0..<batch {
      let index = n * channels + first
      let normalized = (SIMD8<Float>.load(input + index) - mean) * inverseStd
      let value =
        (SIMD8<Float>.load(gradOutput + index) * count - totalGrad - normalized * totalGradNormalized)
        * factor
      value.store(gradInput + index)
    }
  }
}
