/// Updates parameters in place from their gradients. Parameters and gradients are parallel lists of
/// Float32 buffers; the optimizer keeps its own per-parameter state (momentum, moment estimates),
/// allocated on the first step, which `stateTensors()` exposes for checkpoints.
public protocol Optimizer {
  /// Number of completed `step` calls; Adam's bias correction depends on it, so it is checkpointed.
  var stepCount: Int { get set }

  /// Per-parameter switch for weight decay (false for biases and normalization parameters).
  /// Empty means every parameter is decayed.
  var decayMask: [Bool] { get set }

  /// Per-parameter factor on the weight decay (`train.decay_multipliers`), applied over the mask:
  /// a parameter decays by `weightDecay * scale`. Empty means the mask alone decides.
  var decayScales: [Float] { get set }

  /// Per-parameter multiplier of the learning rate (for per-layer rates in fine-tuning).
  /// Empty means 1 for every parameter.
  var learningRateScales: [Float] { get set }

  /// Applies one update with the given learning rate and increments `stepCount`.
  mutating func step(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    learningRate: Float) throws

  /// The optimizer's state buffers by name (`"<kind>.<parameter index>"`), for checkpoints.
  func stateTensors() -> [String: [Float]]

  /// Replaces the state with buffers saved by `stateTensors()`; throws if a buffer is missing or
  /// has the wrong size for `parameterSizes`.
  mutating func restore(state: [String: [Float]], parameterSizes: [Int]) throws
}

extension Optimizer {
  /// The factor on the weight decay of parameter `index`: its scale when set, else 1 or 0 by the mask.
  func decayScale(_ index: Int) -> Float {
    if !decayScales.isEmpty { return decayScales[index] }
    return decayMask.isEmpty || decayMask[index] ? 1 : 0
  }

  func learningRate(_ base: Float, for index: Int) -> Float {
    learningRateScales.isEmpty ? base : base * learningRateScales[index]
  }

  func validate(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    name: String
  ) throws {
    guard parameters.count == gradients.count else {
      throw TrainError("\(name): \(parameters.count) parameters but \(gradients.count) gradients")
    }
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated()
    where parameter.count != gradient.count {
      throw TrainError(
        "\(name): parameter \(index) has \(parameter.count) elements but its gradient has "
          + "\(gradient.count)")
    }
    if !decayMask.isEmpty, decayMask.count != parameters.count {
      throw TrainError(
        "\(name): decay mask has \(decayMask.count) entries for \(parameters.count) parameters")
    }
    if !decayScales.isEmpty, decayScales.count != parameters.count {
      throw TrainError(
        "\(name): \(decayScales.count) weight-decay multipliers for \(parameters.count) parameters")
    }
    if !learningRateScales.isEmpty, learningRateScales.count != parameters.count {
      throw TrainError(
        "\(name): \(learningRateScales.count) learning-rate multipliers for \(parameters.count) "
          + "parameters")
    }
  }
}

/// Per-parameter state buffers of one kind ("momentum", "exp_avg", ...), created lazily with the
/// sizes of the parameters on the first step.
struct StateSlots: Equatable {
  let kind: String
  var buffers: [[Float]] = []

  init(_ kind: String) { self.kind = kind }

  /// Allocates zeroed buffers on the first call; later calls only check the sizes, without
  /// allocating, so steady-state steps allocate nothing.
  mutating func prepare(for parameters: [UnsafeMutableBufferPointer<Float>]) throws {
    if buffers.isEmpty {
      buffers = parameters.map { [Float](repeating: 0, count: $0.count) }
      return
    }
    let matches =
      buffers.count == parameters.count
      && zip(buffers, parameters).allSatisfy { $0.count == $1.count }
    guard matches else {
      throw TrainError(
        "optimizer: \(kind) state was made for parameter sizes \(buffers.map(\.count)), "
          + "not \(parameters.map(\.count))")
    }
  }

  func export(into tensors: inout [String: [Float]]) {
    for (index, buffer) in buffers.enumerated() { tensors["\(kind).\(index)"] = buffer }
  }

  mutating func restore(from tensors: [String: [Float]], sizes: [Int]) throws {
    var restored: [[Float]] = []
    for (index, size) in sizes.enumerated() {
      let key = "\(kind).\(index)"
      guard let buffer = tensors[key] else {
        throw TrainError("optimizer state is missing '\(key)'")
      }
      guard buffer.count == size else {
        throw TrainError(
          "optimizer state '\(key)' has \(buffer.count) elements, parameter \(index) has \(size)")
      }
      restored.append(buffer)
    }
    buffers = restored
  }
}

/// Rescales all gradients together so that their global L2 norm is at most `maxNorm`, and returns
/// the norm before clipping (the quantity worth logging). A non-finite norm leaves the gradients
/// untouched so that NaN detection downstream reports the real cause.
@discardableResult
public func clipGradients(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
  var sumOfSquares = 0.0
  for gradient in gradients {
    for value in gradient { sumOfSquares += Double(value) * Double(value) }
  }
  let norm = sumOfSquares.squareRoot()
  if norm.isFinite, norm > Double(maxNorm), norm > 0 {
    let scale = Float(Double(maxNorm) / norm)
    for gradient in gradients {
      for j in gradient.indices { gradient[j] *= scale }
    }
  }
  return Float(norm)
}
