import CKernels
import Foundation

/// Batch normalization per channel over batch, height and width of an NCHW tensor (an [N, C] tensor
/// is the case height = width = 1). `scale` (gamma) and `shift` (beta) are optional: absent, they act
/// as 1 and 0 and get no gradient. Parameter gradients are accumulated; gradInput is overwritten.
public enum BatchNorm {
  /// Float scratch elements training needs to keep for backward: the batch mean and the inverse
  /// standard deviation of each channel (2 * channels, means first).
  public static func savedStatisticsCount(channels: Int) -> Int { 2 * channels }

  /// Training mode: normalizes with the batch mean and biased variance, saves them for `backward` in
  /// `savedStatistics`, and moves the running statistics toward the batch's:
  /// running = (1 - momentum) * running + momentum * batch, with the unbiased variance
  /// (count / (count - 1) times the biased one, as PyTorch; a single value per channel keeps the
  /// biased 0). One task per channel (a block of channels as vector lanes on 1x1 maps:
  /// `forwardTrainingLanes`); each channel's sums run in a fixed order, in Double.
  public static func forwardTraining(
    batch: Int, channels: Int, spatial: Int, epsilon: Float, momentum: Float,
    input: UnsafePointer<Float>, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, runningMean: UnsafeMutablePointer<Float>,
    runningVariance: UnsafeMutablePointer<Float>, savedStatistics: UnsafeMutablePointer<Float>,
    activation: ActivationKind? = nil
  ) {
    let count = batch * spatial
    let laneChannels = laneChannels(channels: channels, spatial: spatial)
    let blocks = laneChannels / channelLanes
    Parallel.forEach(blocks + channels - laneChannels, workPerItem: 3 * count) { item in
      guard item >= blocks else {
        forwardTrainingLanes(
          first: item * channelLanes, batch: batch, channels: channels, epsilon: epsilon, momentum: momentum,
          input: input, scale: scale, shift: shift, output: output, runningMean: runningMean,
          runningVariance: runningVariance, savedStatistics: savedStatistics, activation: activation)
        return
      }
      let c = laneChannels + item - blocks
      let sum = channelSum(batch: batch, channels: channels, spatial: spatial, channel: c, input: input)
      let mean = sum / Double(count)
      let squares = channelSum(
        batch: batch, channels: channels, spatial: spatial, channel: c, input: input, center: Float(mean),
        squared: true)
      let variance = squares / Double(count)
      let inverseStd = 1 / (variance + Double(epsilon)).squareRoot()
      savedStatistics[c] = Float(mean)
      savedStatistics[channels + c] = Float(inverseStd)
      let unbiased = count > 1 ? squares / Double(count - 1) : variance
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(mean)
      runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(unbiased)
      normalize(
        batch: batch, channels: channels, spatial: spatial, channel: c, mean: Float(mean),
        inverseStd: Float(inverseStd), input: input, scale: scale, shift: shift, output: output,
        activation: activation)
    }
  }

  /// Inference mode: normalizes with the running statistics; nothing is saved or updated.
  public static func forwardInference(
    batch: Int, channels: Int, spatial: Int, epsilon: Float, input: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
    activation: ActivationKind? = nil
  ) {
    Parallel.forEach(channels, workPerItem: batch * spatial) { c in
      normalize(
        batch: batch, channels: channels, spatial: spatial, channel: c, mean: runningMean[c],
        inverseStd: 1 / (runningVariance[c] + epsilon).squareRoot(), input: input, scale: scale,
        shift: shift, output: output, activation: activation)
    }
  }

  /// Gradients of `forwardTraining` through the batch statistics, with x̂ = (x - mean) * invStd:
  /// gradShift += Σ dy, gradScale += Σ dy x̂,
  /// gradInput = gamma * invStd / m * (m dy - Σ dy - x̂ Σ dy x̂), m = batch * spatial.
  public static func backwardTraining(
    batch: Int, channels: Int, spatial: Int, input: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, savedStatistics: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradScale: UnsafeMutablePointer<Float>?, gradShift: UnsafeMutablePointer<Float>?
  ) {
    let count = batch * spatial
    let laneChannels = laneChannels(channels: channels, spatial: spatial)
    let blocks = laneChannels / channelLanes
    Parallel.forEach(blocks + channels - laneChannels, workPerItem: 3 * count) { item in
      guard item >= blocks else {
        backwardTrainingLanes(
          first: item * channelLanes, batch: batch, channels: channels, input: input, scale: scale,
          savedStatistics: savedStatistics, gradOutput: gradOutput, gradInput: gradInput,
          gradScale: gradScale,
          gradShift: gradShift)
        return
      }
      let c = laneChannels + item - blocks
      let mean = savedStatistics[c]
      let inverseStd = savedStatistics[channels + c]
      let sums = channelGradientSums(
        batch: batch, channels: channels, spatial: spatial, channel: c, input: input, gradOutput: gradOutput,
        mean: mean, inverseStd: inverseStd)
      gradShift?[c] += Float(sums.grad)
      gradScale?[c] += Float(sums.gradNormalized)
      guard let gradInput else { return }
      channelInputGradient(
        batch: batch, channels: channels, spatial: spatial, channel: c, input: input, gradOutput: gradOutput,
        gradInput: gradInput, mean: mean, inverseStd: inverseStd, gamma: scale?[c] ?? 1,
        totalGrad: Float(sums.grad), totalGradNormalized: Float(sums.gradNormalized))
    }
  }

  /// Σ dy and Σ dy·x̂ of channel `c` over this process's batch, in row order.
  static func channelGradientSums(
    batch: Int, channels: Int, spatial: Int, channel c: Int, input: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, mean: Float, inverseStd: Float
  ) -> (grad: Double, gradNormalized: Double) {
    var sumGrad: Double = 0
    var sumGradNormalized: Double = 0
    if spatial < shortRow {
      // Each term in Float as `gradientSums` forms it, converted and added in Double lanes.
      var lanes = (grad: SIMD4<Double>(), gradNormalized: SIMD4<Double>())
      forEachRow(batch: batch, channels: channels, spatial: spatial, channel: c) { offset in
        var i = 0
        while i + 4 <= spatial {
          let g = SIMD4<Float>.load(gradOutput + offset + i)
          lanes.grad += SIMD4<Double>(g)
          lanes.gradNormalized += SIMD4<Double>(
            g * ((SIMD4<Float>.load(input + offset + i) - mean) * inverseStd))
          i += 4
        }
        while i < spatial {
          let g = gradOutput[offset + i]
          sumGrad += Double(g)
          sumGradNormalized += Double(g * ((input[offset + i] - mean) * inverseStd))
          i += 1
        }
      }
      return (sumGrad + lanes.grad.sum(), sumGradNormalized + lanes.gradNormalized.sum())
    }
    forEachRow(batch: batch, channels: channels, spatial: spatial, channel: c) { offset in
      let sums = gradientSums(
        gradOutput + offset, input + offset, count: spatial, mean: mean, inverseStd: inverseStd,
        nextRow: channels * spatial)
      sumGrad += sums.grad
      sumGradNormalized += sums.gradNormalized
    }
    return (sumGrad, sumGradNormalized)
  }

  /// Rows shorter than this (maps of 3x3 and smaller, and [N, C] tensors) are summed over the whole
  /// channel in Double lanes, each group of four values added as one vector: per row, a 2x2 map's
  /// four values cost four dependent Double additions (two 960x2x2 batch norms after depthwise layers,
  /// forward and backward, batch 32: 0.77 → 0.45 ms a training step).
  static let shortRow = 16

  /// Σ over channel `channel`'s rows of `rowSum`'s terms: rows in sample order, each through
  /// `rowSum`; rows shorter than `shortRow` into Double lanes (groups of four) and a Double sum (the
  /// rest), added at the end.
  @inline(__always)
  static func channelSum(
    batch: Int, channels: Int, spatial: Int, channel: Int, input: UnsafePointer<Float>, center: Float = 0,
    squared: Bool = false
  ) -> Double {
    var sum: Double = 0
    guard spatial < shortRow else {
      forEachRow(batch: batch, channels: channels, spatial: spatial, channel: channel) { offset in
        sum += rowSum(input + offset, count: spatial, center: center, squared: squared)
      }
      return sum
    }
    var lanes = SIMD4<Double>()
    forEachRow(batch: batch, channels: channels, spatial: spatial, channel: channel) { offset in
      var i = 0
      while i + 4 <= spatial {
        let x = SIMD4<Float>.load(input + offset + i)
        let d = x - center
        lanes += SIMD4<Double>(squared ? d * d : x)
        i += 4
      }
      while i < spatial {
        let d = input[offset + i] - center
        sum += squared ? Double(d * d) : Double(input[offset + i])
        i += 1
      }
    }
    sum += lanes.sum()
    return sum
  }

  /// gradInput = gamma·invStd/m·(m·dy − S₁ − x̂·S₂) for channel `c`, m = batch × spatial, S₁ and S₂ the
  /// batch's Σ dy and Σ dy·x̂.
  static func channelInputGradient(
    batch: Int, channels: Int, spatial: Int, channel c: Int, input: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>, mean: Float,
    inverseStd: Float, gamma: Float, totalGrad: Float, totalGradNormalized: Float
  ) {
    let count = Float(batch * spatial)
    let factor = gamma * inverseStd / count
    // In `FloatLanes` groups (the scalar loop did not vectorize: the pointers may alias, as far as
    // the compiler knows; it was half of MobileNetV2's batchnorm backward), each element with the
    // scalar loop's operations in its order.
    @inline(__always) func lanes<L: FloatLanes>(_: L.Type, _ index: Int) {
      let normalized = (L.load(input + index) - mean) * inverseStd
      let value = (L.load(gradOutput + index) * count - totalGrad - normalized * totalGradNormalized) * factor
      value.store(gradInput + index)
    }
    forEachRow(batch: batch, channels: channels, spatial: spatial, channel: c) { offset in
      forEachLaneGroup(
        spatial,
        withQuads: { i, width in
          switch width {
          case 8: lanes(SIMD8<Float>.self, offset + i)
          case 4: lanes(SIMD4<Float>.self, offset + i)
          default: lanes(Float.self, offset + i)
          }
        })
    }
  }

  /// Gradients of `forwardInference` (frozen statistics, e.g. fine-tuning with frozen batch norm):
  /// gradInput = gamma * dy / sqrt(runningVar + eps); gradScale += Σ dy x̂; gradShift += Σ dy.
  public static func backwardInference(
    batch: Int, channels: Int, spatial: Int, epsilon: Float, input: UnsafePointer<Float>,
    scale: UnsafePointer<Float>?, runningMean: UnsafePointer<Float>,
    runningVariance: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>?, gradScale: UnsafeMutablePointer<Float>?,
    gradShift: UnsafeMutablePointer<Float>?
  ) {
    Parallel.forEach(channels, workPerItem: 2 * batch * spatial) { c in
      let mean = runningMean[c]
      let inverseStd = 1 / (runningVariance[c] + epsilon).squareRoot()
      let factor = (scale?[c] ?? 1) * inverseStd
      var sumGrad: Double = 0
      var sumGradNormalized: Double = 0
      forEachRow(batch: batch, channels: channels, spatial: spatial, channel: c) { offset in
        for i in 0..<spatial {
          let dy = gradOutput[offset + i]
          sumGrad += Double(dy)
          sumGradNormalized += Double(dy * (input[offset + i] - mean) * inverseStd)
          gradInput?[offset + i] = factor * dy
        }
      }
      gradShift?[c] += Float(sumGrad)
      gradScale?[c] += Float(sumGradNormalized)
    }
  }

  /// Σ (row[i] − center)² over a row (Σ row[i] with `squared` false): sixteen Float lanes, since a
  /// scalar loop in Double is bound by the latency of each addition; the lanes, then the tail, are
  /// added in Double in a fixed order, so the sum depends on nothing but the row.
  @inline(__always)
  static func rowSum(
    _ row: UnsafePointer<Float>, count: Int, center: Float = 0, squared: Bool = false
  ) -> Double {
    var lanes = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
      let x = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
      if squared {
        let d = x - center
        lanes += d * d
      } else {
        lanes += x
      }
      i += 16
    }
    var sum = i > 0 ? Double(lanes.sum()) : 0
    while i < count {
      let d = row[i] - center
      sum += squared ? Double(d * d) : Double(row[i])
      i += 1
    }
    return sum
  }

  /// Σ dy[i] and Σ dy[i]·(x[i] − mean)·inverseStd over a row, like `rowSum`. The rows of one channel
  /// lie a sample apart (`nextRow` floats): each line of the next row is fetched a row ahead, since
  /// the layer's input, written by the forward pass, is seldom in the caches and the hardware
  /// prefetcher starts over at every row (MobileNetV2's batch norms, backward, 27.7 → 21.1 ms a
  /// training step; two rows ahead measured the same).
  @inline(__always)
  static func gradientSums(
    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float, inverseStd: Float,
    nextRow: Int
  ) -> (grad: Double, gradNormalized: Double) {
    var grad = SIMD16<Float>()
    var gradNormalized = SIMD16<Float>()
    var i = 0
    let ahead = UInt(nextRow * MemoryLayout<Float>.stride)
    while i + 16 <= count {
      nnc_prefetch(UInt(bitPattern: dy + i) &+ ahead)
      nnc_prefetch(UInt(bitPattern: x + i) &+ ahead)
      let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
      let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
      grad += g
      gradNormalized += g * ((v - mean) * inverseStd)
      i += 16
    }
    var sums = i > 0 ? (Double(grad.sum()), Double(gradNormalized.sum())) : (0, 0)
    while i < count {
      sums.0 += Double(dy[i])
      sums.1 += Double(dy[i] * ((x[i] - mean) * inverseStd))
      i += 1
    }
    return sums
  }

  /// Calls `body` with the offset of channel `channel`'s row in each sample, samples in order.
  @inline(__always)
  static func forEachRow(
    batch: Int, channels: Int, spatial: Int, channel: Int, _ body: (Int) -> Void
  ) {
    for n in 0..<batch { body((n * channels + channel) * spatial) }
  }

  @inline(__always)
  static func normalize(
    batch: Int, channels: Int, spatial: Int, channel: Int, mean: Float, inverseStd: Float,
    input: UnsafePointer<Float>, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, activation: ActivationKind?
  ) {
    let multiplier = (scale?[channel] ?? 1) * inverseStd
    let offsetTerm = (shift?[channel] ?? 0) - mean * multiplier
    // `FloatLanes` groups as in `channelInputGradient`, the same operations per element; then the
    // activation, with `ActivationKind.forward`'s comparisons (a call of it per row cost more than
    // the activation's own pass).
    @inline(__always) func lanes<L: ActivationLanes>(_: L.Type, _ index: Int, _ kind: ActivationKind?) {
      let value = L.load(input + index) * multiplier + offsetTerm
      switch kind {
      case .relu: value.relu().store(output + index)
      case .relu6: value.relu6().store(output + index)
      case .leakyRelu(let alpha): value.leakyRelu(alpha).store(output + index)
      default: value.store(output + index)
      }
    }
    @inline(__always) func rows(_ kind: ActivationKind?) {
      forEachRow(batch: batch, channels: channels, spatial: spatial, channel: channel) { offset in
        forEachLaneGroup(
          spatial,
          withQuads: { i, width in
            switch width {
            case 8: lanes(SIMD8<Float>.self, offset + i, kind)
            case 4: lanes(SIMD4<Float>.self, offset + i, kind)
            default: lanes(Float.self, offset + i, kind)
            }
          })
      }
    }
    // A call per constant kind, so that inlining folds the switch in `lanes` out of the loop.
    switch activation {
    case .relu: rows(.relu)
    case .relu6: rows(.relu6)
    case nil: rows(nil)
    case .some(let kind):
      precondition(appliesWhileNormalizing(kind), "\(kind) applied by a batchnorm")
      rows(kind)
    }
  }

  /// The activations `normalize` applies: the same operations per element as their own pass.
  static func appliesWhileNormalizing(_ kind: ActivationKind) -> Bool {
    switch kind {
    case .relu, .relu6, .leakyRelu: true
    default: false
    }
  }
}

/// `FloatLanes` with the piecewise-linear activations of `ActivationKind.forward`, the same
/// comparison per element (`max(x, 0)` is `0 >= x ? 0 : x`, `min(x, 6)` is `6 < x ? 6 : x`), so a
/// NaN or a −0 comes out as it does there.
protocol ActivationLanes: FloatLanes {
  func relu() -> Self
  func relu6() -> Self
  func leakyRelu(_ alpha: Float) -> Self
}

extension Float: ActivationLanes {
  @inline(__always) func relu() -> Float { max(self, 0) }
  @inline(__always) func relu6() -> Float { min(max(self, 0), 6) }
  @inline(__always) func leakyRelu(_ alpha: Float) -> Float { self > 0 ? self : alpha * self }
}

// Written out per width: a default implementation for every `SIMD` type was not specialized and
// made MobileNetV2's training step twice as slow.
extension SIMD4: ActivationLanes where Scalar == Float {
  @inline(__always) func relu() -> SIMD4<Float> { replacing(with: 0, where: 0 .>= self) }
  @inline(__always) func relu6() -> SIMD4<Float> {
    let low = relu()
    return low.replacing(with: 6, where: 6 .< low)
  }
  @inline(__always) func leakyRelu(_ alpha: Float) -> SIMD4<Float> {
    replacing(with: alpha * self, where: .!(self .> 0))
  }
}

extension SIMD8: ActivationLanes where Scalar == Float {
  @inline(__always) func relu() -> SIMD8<Float> { replacing(with: 0, where: 0 .>= self) }
  @inline(__always) func relu6() -> SIMD8<Float> {
    let low = relu()
    return low.replacing(with: 6, where: 6 .< low)
  }
  @inline(__always) func leakyRelu(_ alpha: Float) -> SIMD8<Float> {
    replacing(with: alpha * self, where: .!(self .> 0))
  }
}
