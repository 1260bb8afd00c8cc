import NNCRuntime

/// Plain gradient descent, `p -= lr (g + lambda p)`. The update rule is SGD's without momentum; what
/// makes it "full-batch" is that the trainer feeds it the gradient of the whole data set.
public struct GradientDescent: Optimizer {
  public var weightDecay: Float
  public var stepCount = 0
  public var decayMask: [Bool] = []
  public var decayScales: [Float] = []
  public var learningRateScales: [Float] = []

  public init(weightDecay: Float = 0) { self.weightDecay = weightDecay }

  public mutating func step(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    learningRate: Float
  ) throws {
    try validate(parameters: parameters, gradients: gradients, name: "gd")
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
      let rate = self.learningRate(learningRate, for: index)
      let decay = weightDecay * decayScale(index)
      for j in parameter.indices {
        parameter[j] -= rate * (gradient[j] + decay * parameter[j])
      }
    }
    stepCount += 1
  }

  public func stateTensors() -> [String: [Float]] { [:] }

  public mutating func restore(state: [String: [Float]], parameterSizes: [Int]) throws {}
}

/// Stochastic gradient descent with PyTorch's conventions: `g += lambda p` (L2 weight decay),
/// `v = mu v + g`, then `p -= lr v`, or with Nesterov `p -= lr (g + mu v)`.
public struct SGD: Optimizer {
  public var momentum: Float
  public var nesterov: Bool
  public var weightDecay: Float
  public var stepCount = 0
  public var decayMask: [Bool] = []
  public var decayScales: [Float] = []
  public var learningRateScales: [Float] = []
  var velocity = StateSlots("momentum")

  public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws {
    guard momentum >= 0 else { throw TrainError("sgd: momentum must be >= 0, got \(momentum)") }
    guard !nesterov || momentum > 0 else {
      throw TrainError("sgd: nesterov needs a momentum greater than 0")
    }
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  public mutating func step(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    learningRate: Float
  ) throws {
    try validate(parameters: parameters, gradients: gradients, name: "sgd")
    if momentum > 0 { try velocity.prepare(for: parameters) }
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
      let rate = self.learningRate(learningRate, for: index)
      let decay = weightDecay * decayScale(index)
      guard let p = parameter.baseAddress, let gradient = gradient.baseAddress else { continue }
      // Element-wise, so splitting across threads does not change a single bit.
      if momentum == 0 {
        Parallel.forEachChunk(parameter.count) { range in
          for j in range { p[j] -= rate * (gradient[j] + decay * p[j]) }
        }
        continue
      }
      let mu = momentum
      let nesterov = self.nesterov
      velocity.buffers[index].withUnsafeMutableBufferPointer { velocity in
        let v = velocity.baseAddress!
        Parallel.forEachChunk(parameter.count) { range in
          for j in range {
            let g = gradient[j] + decay * p[j]
            v[j] = mu * v[j] + g
            p[j] -= rate * (nesterov ? g + mu * v[j] : v[j])
          }
        }
      }
    }
    stepCount += 1
  }

  public func stateTensors() -> [String: [Float]] {
    var tensors: [String: [Float]] = [:]
    velocity.export(into: &tensors)
    return tensors
  }

  public mutating func restore(state: [String: [Float]], parameterSizes: [Int]) throws {
    if momentum > 0 { try velocity.restore(from: state, sizes: parameterSizes) }
  }
}
