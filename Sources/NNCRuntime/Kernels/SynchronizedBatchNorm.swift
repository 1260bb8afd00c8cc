/// Batch normalization over the samples of every process of a data-parallel run (PyTorch's
/// SyncBatchNorm): the per-channel sums behind the mean, the variance and the backward pass are
/// summed over the ranks with `reduce`, so each rank normalizes its part of the global batch with
/// the global batch's statistics and the step is the one a single process takes on the whole batch.
/// Every rank must call these in the same order (each calls `reduce` the same number of times).
extension BatchNorm {
  /// Replaces the values by their element-wise sum over the ranks.
  public typealias Reduction = (UnsafeMutableBufferPointer<Double>) -> Void

  /// `forwardTraining` with the statistics of all ranks' samples: two reductions, the per-channel
  /// sums (with the element count) and then the squared deviations from the global mean, as one
  /// process computes them. Returns the global element count per channel, which `backward` needs.
  public static func forwardTrainingSynchronized(
    batch: Int, channels: Int, spatial: Int, epsilon: Float, momentum: Float,
    input: UnsafePointer<Float>, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, runningMean: UnsafeMutablePointer<Float>,
    runningVariance: UnsafeMutablePointer<Float>, savedStatistics: UnsafeMutablePointer<Float>,
    activation: ActivationKind? = nil, reduce: Reduction
  ) -> Double {
    let count = batch * spatial
    var sums = [Double](repeating: 0, count: channels + 1)
    sums.withUnsafeMutableBufferPointer { sums in
      Parallel.forEach(channels, workPerItem: count) { c in
        sums[c] = channelSum(batch: batch, channels: channels, spatial: spatial, channel: c, input: input)
      }
      sums[channels] = Double(count)
      reduce(sums)
    }
    let total = sums[channels]
    var squares = [Double](repeating: 0, count: channels)
    squares.withUnsafeMutableBufferPointer { squares in
      Parallel.forEach(channels, workPerItem: count) { c in
        squares[c] = channelSum(
          batch: batch, channels: channels, spatial: spatial, channel: c, input: input,
          center: Float(sums[c] / total), squared: true)
      }
      reduce(squares)
    }
    Parallel.forEach(channels, workPerItem: count) { c in
      let mean = sums[c] / total
      let variance = squares[c] / total
      let inverseStd = 1 / (variance + Double(epsilon)).squareRoot()
      savedStatistics[c] = Float(mean)
      savedStatistics[channels + c] = Float(inverseStd)
      let unbiased = total > 1 ? squares[c] / (total - 1) : variance
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(mean)
      runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(unbiased)
      normalize(
        batch: batch, channels: channels, spatial: spatial, channel: c, mean: Float(mean),
        inverseStd: Float(inverseStd), input: input, scale: scale, shift: shift, output: output,
        activation: activation)
    }
    return total
  }

  /// `backwardTraining` through the global statistics. Each rank's gradients are those of the mean
  /// loss over its own samples, i.e. 1/share times the global batch's (share = its elements over
  /// `total`; `GradientAverager` later weights them by the share). So the sums Σ dy and Σ dy x̂ are
  /// weighted by the share before the reduction, which makes them the global batch's S₁ and S₂, and
  /// this rank's input gradient, in its own units, is gamma·invStd/m·(m·dy − S₁ − x̂·S₂) with m its
  /// element count (m·dy is the global count times the global batch's dy). The parameter gradients
  /// keep this rank's sums, for the averager to combine like every other gradient.
  public static func backwardTrainingSynchronized(
    batch: Int, channels: Int, spatial: Int, total: Double, input: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, savedStatistics: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradScale: UnsafeMutablePointer<Float>?, gradShift: UnsafeMutablePointer<Float>?, reduce: Reduction
  ) {
    let count = batch * spatial
    let share = total > 0 ? Double(count) / total : 0
    var sums = [Double](repeating: 0, count: 2 * channels)
    sums.withUnsafeMutableBufferPointer { sums in
      Parallel.forEach(channels, workPerItem: 2 * count) { c in
        let (sumGrad, sumGradNormalized) = channelGradientSums(
          batch: batch, channels: channels, spatial: spatial, channel: c, input: input,
          gradOutput: gradOutput, mean: savedStatistics[c], inverseStd: savedStatistics[channels + c])
        gradShift?[c] += Float(sumGrad)
        gradScale?[c] += Float(sumGradNormalized)
        sums[c] = share * sumGrad
        sums[channels + c] = share * sumGradNormalized
      }
      reduce(sums)
    }
    // A rank without samples only takes part in the reduction.
    guard let gradInput, count > 0 else { return }
    Parallel.forEach(channels, workPerItem: count) { c in
      channelInputGradient(
        batch: batch, channels: channels, spatial: spatial, channel: c, input: input, gradOutput: gradOutput,
        gradInput: gradInput, mean: savedStatistics[c], inverseStd: savedStatistics[channels + c],
        gamma: scale?[c] ?? 1, totalGrad: Float(sums[c]), totalGradNormalized: Float(sums[channels + c]))
    }
  }
}
