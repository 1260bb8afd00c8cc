#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a loss compares the model output with: one integer class per sample, or a value per output.
public enum LossTargets {
  /// One class index per sample, `[N]`.
  case labels(UnsafeBufferPointer<Int32>)
  /// One target per output element, `[N, K]` (soft labels, multi-label 0/1 targets, regression values).
  case values(UnsafeBufferPointer<Float>)
}

/// A loss as chosen in a spec; `evaluate` dispatches to the fused kernels in `Losses`.
public enum LossFunction: Sendable, Equatable {
  /// Categorical cross-entropy; `fromLogits: false` means the model already ends in softmax.
  case crossEntropy(fromLogits: Bool = true, labelSmoothing: Float = 0, classWeights: [Float]? = nil)
  /// Binary (per-output sigmoid) cross-entropy for `[N, 1]` or multi-label `[N, K]` outputs.
  case binaryCrossEntropy(fromLogits: Bool = true)
  /// Binary cross-entropy whose positive term is scaled by one weight, or one per output (PyTorch's
  /// `pos_weight`). A case of its own so that matches on `binaryCrossEntropy(fromLogits)` stay valid.
  case weightedBinaryCrossEntropy(fromLogits: Bool = true, positiveWeights: [Float])
  /// Mean of squared differences over all output elements.
  case meanSquaredError
  /// Mean of absolute differences over all output elements.
  case meanAbsoluteError
  /// Squared difference below `delta`, linear above it, averaged over all output elements.
  case huber(delta: Float = 1)

  /// Returns the mean loss over the batch and writes d(loss)/d(output) into `gradient`
  /// (`batch * features` elements). `probabilities` receives softmax/sigmoid outputs where the loss
  /// computes them (cross-entropy and binary cross-entropy from logits).
  public func evaluate(
    output: UnsafeBufferPointer<Float>, batch: Int, features: Int, targets: LossTargets,
    gradient: UnsafeMutableBufferPointer<Float>,
    probabilities: UnsafeMutableBufferPointer<Float>? = nil
  ) throws -> Float {
    switch self {
    case .crossEntropy(let fromLogits, let smoothing, let weights):
      if let weights {
        return try weights.withUnsafeBufferPointer { w in
          try Losses.crossEntropy(
            output: output, fromLogits: fromLogits, batch: batch, classes: features, targets: targets,
            labelSmoothing: smoothing, classWeights: w, gradient: gradient, probabilities: probabilities)
        }
      }
      return try Losses.crossEntropy(
        output: output, fromLogits: fromLogits, batch: batch, classes: features, targets: targets,
        labelSmoothing: smoothing, classWeights: nil, gradient: gradient, probabilities: probabilities)
    case .binaryCrossEntropy(let fromLogits):
      return try Losses.binaryCrossEntropy(
        output: output, fromLogits: fromLogits, batch: batch, outputs: features, targets: targets,
        gradient: gradient, probabilities: probabilities)
    case .weightedBinaryCrossEntropy(let fromLogits, let weights):
      return try weights.withUnsafeBufferPointer { w in
        try Losses.binaryCrossEntropy(
          output: output, fromLogits: fromLogits, batch: batch, outputs: features, targets: targets,
          positiveWeights: w, gradient: gradient, probabilities: probabilities)
      }
    case .meanSquaredError:
      return try Losses.meanSquaredError(
        output: output, batch: batch, outputs: features, targets: targets, gradient: gradient)
    case .meanAbsoluteError:
      return try Losses.meanAbsoluteError(
        output: output, batch: batch, outputs: features, targets: targets, gradient: gradient)
    case .huber(let delta):
      return try Losses.huber(
        output: output, batch: batch, outputs: features, targets: targets, delta: delta, gradient: gradient)
    }
  }
}

/// Fused loss kernels: each returns the mean loss and writes the gradient with respect to the model
/// output into a caller-provided buffer in the same pass, without allocating.
public enum Losses {
  /// Probabilities are clamped to [epsilon, 1 - epsilon] before taking logarithms (as Keras does),
  /// so a model that outputs an exact 0 gives a large finite loss instead of infinity.
  public static let probabilityEpsilon: Float = 1e-7

  /// Categorical cross-entropy over `[batch, classes]`.
  ///
  /// With logits, log-softmax is computed as `z - max(z) - log(sum(exp(z - max(z))))`, which stays
  /// finite for logits of any magnitude. Follows PyTorch's `CrossEntropyLoss`: per sample the loss is
  /// `-sum_k c_k log p_k` with `c_k = w_y (1 - eps) [k == y] + w_k eps / K` for integer labels, and the
  /// batch loss is `sum_i loss_i / sum_i w_{y_i}` (a weighted mean; an ordinary mean without weights).
  /// With `.values` targets (soft labels) `c_k = w_k ((1 - eps) t_k + eps / K)` and the loss is divided
  /// by the batch size, again as PyTorch does.
  public static func crossEntropy(
    output: UnsafeBufferPointer<Float>, fromLogits: Bool = true, batch: Int, classes: Int,
    targets: LossTargets, labelSmoothing: Float = 0, classWeights: UnsafeBufferPointer<Float>? = nil,
    gradient: UnsafeMutableBufferPointer<Float>,
    probabilities: UnsafeMutableBufferPointer<Float>? = nil
  ) throws -> Float {
    let count = batch * classes
    try checkSizes(
      output: output, gradient: gradient, probabilities: probabilities, count: count, batch: batch,
      features: classes, loss: "cross_entropy")
    try checkTargets(targets, batch: batch, features: classes, loss: "cross_entropy")
    guard labelSmoothing >= 0, labelSmoothing < 1 else {
      throw TrainError("cross_entropy: label_smoothing must be in [0, 1), got \(labelSmoothing)")
    }
    if let classWeights, classWeights.count != classes {
      throw TrainError(
        "cross_entropy: \(classWeights.count) class weights given for \(classes) classes")
    }
    let smoothingShare = labelSmoothing / Float(classes)
    let keep = 1 - labelSmoothing
    // The sum of class weights is needed per sample for the smoothing term; compute it once.
    var weightSum: Float = Float(classes)
    if let classWeights { weightSum = classWeights.reduce(0, +) }

    var totalLoss = 0.0
    var normalizer = 0.0
    for i in 0..<batch {
      let row = i * classes
      // Per-sample coefficients: c_k = hot * [k == label] + base_k (+ soft target term).
      var label = -1
      var labelWeight: Float = 1
      switch targets {
      case .labels(let labels):
        label = Int(labels[i])
        guard label >= 0, label < classes else {
          throw TrainError(
            "cross_entropy: label \(labels[i]) of sample \(i) is outside 0..<\(classes)")
        }
        if let classWeights { labelWeight = classWeights[label] }
        normalizer += Double(labelWeight)
      case .values:
        normalizer += 1
      }
      let hot = keep * labelWeight
      // Sum of all coefficients C_i, used by the gradient p_k * C_i - c_k.
      var coefficientSum: Float
      switch targets {
      case .labels:
        coefficientSum = hot + smoothingShare * weightSum
      case .values(let values):
        coefficientSum = 0
        for k in 0..<classes {
          coefficientSum += coefficient(
            k, row: row, values: values, weights: classWeights, keep: keep, share: smoothingShare)
        }
      }

      var sampleLoss: Float = 0
      if fromLogits {
        var maximum = -Float.infinity
        for k in 0..<classes { maximum = max(maximum, output[row + k]) }
        if !maximum.isFinite { maximum = 0 }  // NaN/inf logits propagate as NaN loss, not a crash
        var expSum: Float = 0
        for k in 0..<classes {
          let e = expf(output[row + k] - maximum)
          gradient[row + k] = e
          expSum += e
        }
        let logExpSum = logf(expSum)
        let inverseSum = 1 / expSum
        for k in 0..<classes {
          let logProbability = output[row + k] - maximum - logExpSum
          let probability = gradient[row + k] * inverseSum
          probabilities?[row + k] = probability
          let c: Float
          if case .values(let values) = targets {
            c = coefficient(
              k, row: row, values: values, weights: classWeights, keep: keep, share: smoothingShare)
          } else {
            c = (k == label ? hot : 0) + smoothingShare * (classWeights?[k] ?? 1)
          }
          sampleLoss -= c * logProbability
          gradient[row + k] = probability * coefficientSum - c
        }
      } else {
        for k in 0..<classes {
          let probability = min(max(output[row + k], probabilityEpsilon), 1 - probabilityEpsilon)
          let c: Float
          if case .values(let values) = targets {
            c = coefficient(
              k, row: row, values: values, weights: classWeights, keep: keep, share: smoothingShare)
          } else {
            c = (k == label ? hot : 0) + smoothingShare * (classWeights?[k] ?? 1)
          }
          sampleLoss -= c * logf(probability)
          gradient[row + k] = -c / probability
        }
      }
      totalLoss += Double(sampleLoss)
    }
    guard normalizer > 0 else {
      if batch == 0 { return 0 }
      throw TrainError("cross_entropy: the class weights of every sample in the batch are zero")
    }
    let scale = Float(1 / normalizer)
    for j in 0..<count { gradient[j] *= scale }
    return Float(totalLoss / normalizer)
  }

  @inline(__always)
  private static func coefficient(
    _ k: Int, row: Int, values: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>?,
    keep: Float, share: Float
  ) -> Float {
    (weights?[k] ?? 1) * (keep * values[row + k] + share)
  }

  /// Binary cross-entropy averaged over all `batch * outputs` elements.
  ///
  /// From logits it uses the stable form `max(x, 0) - x t + log(1 + exp(-|x|))`, whose gradient is
  /// `sigmoid(x) - t`; from probabilities `-(t log p + (1 - t) log(1 - p))` with p clamped. Integer
  /// labels are read as the target of a single output (`[N, 1]`) or one-hot over `outputs`.
  ///
  /// `positiveWeights` (one value, or one per output) scales the positive term as PyTorch's
  /// `BCEWithLogitsLoss(pos_weight=w)` does: `-(w t log p + (1 - t) log(1 - p))`. From logits that is
  /// `w t softplus(-x) + (1 - t) softplus(x)`, with gradient `p (w t + 1 - t) - w t`.
  public static func binaryCrossEntropy(
    output: UnsafeBufferPointer<Float>, fromLogits: Bool = true, batch: Int, outputs: Int,
    targets: LossTargets, positiveWeights: UnsafeBufferPointer<Float>? = nil,
    gradient: UnsafeMutableBufferPointer<Float>,
    probabilities: UnsafeMutableBufferPointer<Float>? = nil
  ) throws -> Float {
    let count = batch * outputs
    try checkSizes(
      output: output, gradient: gradient, probabilities: probabilities, count: count, batch: batch,
      features: outputs, loss: "binary_cross_entropy")
    try checkTargets(targets, batch: batch, features: outputs, loss: "binary_cross_entropy")
    if let positiveWeights, positiveWeights.count != 1, positiveWeights.count != outputs {
      throw TrainError(
        "binary_cross_entropy: \(positiveWeights.count) pos_weight values given for \(outputs) outputs "
          + "(give one, or one per output)")
    }
    guard count > 0 else { return 0 }
    let scale = 1 / Float(count)
    var total = 0.0
    for i in 0..<batch {
      let row = i * outputs
      for k in 0..<outputs {
        let j = row + k
        let target = try targetValue(targets, sample: i, output: k, row: row, outputs: outputs)
        let x = output[j]
        guard let positiveWeights else {
          if fromLogits {
            total += Double(max(x, 0) - x * target + log1pf(expf(-abs(x))))
            let probability = sigmoid(x)
            probabilities?[j] = probability
            gradient[j] = (probability - target) * scale
          } else {
            let p = min(max(x, probabilityEpsilon), 1 - probabilityEpsilon)
            total -= Double(target * logf(p) + (1 - target) * logf(1 - p))
            gradient[j] = (p - target) / (p * (1 - p)) * scale
          }
          continue
        }
        let weightedTarget = positiveWeights[positiveWeights.count == 1 ? 0 : k] * target
        if fromLogits {
          let softplus = max(x, 0) + log1pf(expf(-abs(x)))
          total += Double(weightedTarget * (softplus - x) + (1 - target) * softplus)
          let probability = sigmoid(x)
          probabilities?[j] = probability
          gradient[j] = (probability * (weightedTarget + 1 - target) - weightedTarget) * scale
        } else {
          let p = min(max(x, probabilityEpsilon), 1 - probabilityEpsilon)
          total -= Double(weightedTarget * logf(p) + (1 - target) * logf(1 - p))
          gradient[j] = ((1 - target) / (1 - p) - weightedTarget / p) * scale
        }
      }
    }
    return Float(total / Double(count))
  }

  /// Mean squared error over all `batch * outputs` elements: `mean((y - t)^2)`, gradient
  /// `2 (y - t) / count`. Integer labels are compared as one-hot vectors (or the value itself for a
  /// single output).
  public static func meanSquaredError(
    output: UnsafeBufferPointer<Float>, batch: Int, outputs: Int, targets: LossTargets,
    gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Float {
    let count = batch * outputs
    try checkSizes(output: output, gradient: gradient, count: count, batch: batch, features: outputs)
    try checkTargets(targets, batch: batch, features: outputs, loss: "mse")
    guard count > 0 else { return 0 }
    let scale = 2 / Float(count)
    var total = 0.0
    for i in 0..<batch {
      let row = i * outputs
      for k in 0..<outputs {
        let target = try targetValue(targets, sample: i, output: k, row: row, outputs: outputs)
        let difference = output[row + k] - target
        total += Double(difference * difference)
        gradient[row + k] = difference * scale
      }
    }
    return Float(total / Double(count))
  }

  /// Mean absolute error over all `batch * outputs` elements: `mean(|y - t|)`, gradient
  /// `sign(y - t) / count` (0 where the output equals the target, as PyTorch's `L1Loss`).
  public static func meanAbsoluteError(
    output: UnsafeBufferPointer<Float>, batch: Int, outputs: Int, targets: LossTargets,
    gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Float {
    try elementwise(
      output: output, batch: batch, outputs: outputs, targets: targets, gradient: gradient, loss: "mae"
    ) { difference in
      (abs(difference), difference > 0 ? 1 : difference < 0 ? -1 : 0)
    }
  }

  /// Huber loss over all `batch * outputs` elements, as PyTorch's `HuberLoss(delta)`: `d² / 2` where
  /// `|d| <= delta`, `delta (|d| - delta / 2)` beyond, averaged; gradient `d` or `delta sign(d)`.
  public static func huber(
    output: UnsafeBufferPointer<Float>, batch: Int, outputs: Int, targets: LossTargets, delta: Float,
    gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Float {
    guard delta > 0 else { throw TrainError("huber: delta must be positive, got \(delta)") }
    return try elementwise(
      output: output, batch: batch, outputs: outputs, targets: targets, gradient: gradient, loss: "huber"
    ) { difference in
      abs(difference) <= delta
        ? (difference * difference / 2, difference)
        : (delta * (abs(difference) - delta / 2), difference > 0 ? delta : -delta)
    }
  }

  /// A loss that is the mean of `value(output - target)` over all elements; `value` returns the
  /// element's loss and its derivative.
  @inline(__always)
  private static func elementwise(
    output: UnsafeBufferPointer<Float>, batch: Int, outputs: Int, targets: LossTargets,
    gradient: UnsafeMutableBufferPointer<Float>, loss: String, _ value: (Float) -> (Float, Float)
  ) throws -> Float {
    let count = batch * outputs
    try checkSizes(output: output, gradient: gradient, count: count, batch: batch, features: outputs)
    try checkTargets(targets, batch: batch, features: outputs, loss: loss)
    guard count > 0 else { return 0 }
    let scale = 1 / Float(count)
    var total = 0.0
    for i in 0..<batch {
      let row = i * outputs
      for k in 0..<outputs {
        let target = try targetValue(targets, sample: i, output: k, row: row, outputs: outputs)
        let (elementLoss, derivative) = value(output[row + k] - target)
        total += Double(elementLoss)
        gradient[row + k] = derivative * scale
      }
    }
    return Float(total / Double(count))
  }

  @inline(__always)
  static func sigmoid(_ x: Float) -> Float {
    // Two branches so exp never overflows: exp(-x) for x >= 0, exp(x) otherwise.
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
  }

  @inline(__always)
  private static func targetValue(
    _ targets: LossTargets, sample: Int, output: Int, row: Int, outputs: Int
  ) throws -> Float {
    switch targets {
    case .values(let values):
      return values[row + output]
    case .labels(let labels):
      let label = labels[sample]
      if outputs == 1 { return Float(label) }
      guard label >= 0, Int(label) < outputs else {
        throw TrainError("label \(label) of sample \(sample) is outside 0..<\(outputs)")
      }
      return Int(label) == output ? 1 : 0
    }
  }

  private static func checkSizes(
    output: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>,
    probabilities: UnsafeMutableBufferPointer<Float>? = nil, count: Int, batch: Int, features: Int,
    loss: String = "loss"
  ) throws {
    guard batch >= 0, features > 0 else {
      throw TrainError("loss: invalid output shape [\(batch), \(features)]")
    }
    guard output.count >= count else {
      throw TrainError(
        "loss: output has \(output.count) elements, expected [\(batch), \(features)] = \(count)")
    }
    guard gradient.count >= count else {
      throw TrainError("loss: gradient buffer has \(gradient.count) elements, needs \(count)")
    }
    if let probabilities, probabilities.count < count {
      throw TrainError("\(loss): probability buffer has \(probabilities.count) elements, needs \(count)")
    }
  }

  private static func checkTargets(
    _ targets: LossTargets, batch: Int, features: Int, loss: String
  ) throws {
    switch targets {
    case .labels(let labels):
      guard labels.count >= batch else {
        throw TrainError("\(loss): \(labels.count) labels for a batch of \(batch)")
      }
    case .values(let values):
      guard values.count >= batch * features else {
        throw TrainError(
          "\(loss): targets have \(values.count) elements, expected [\(batch), \(features)]")
      }
    }
  }
}
