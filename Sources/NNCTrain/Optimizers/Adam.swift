import NNCRuntime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Adam with bias correction, as in PyTorch: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
/// `p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`.
///
/// `decoupled: false` (Adam) adds L2 weight decay to the gradient, `g += lambda p`;
/// `decoupled: true` (AdamW) shrinks the parameter before the update, `p -= lr lambda p`.
public struct Adam: Optimizer {
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public var weightDecay: Float
  public var decoupled: Bool
  public var stepCount = 0
  public var decayMask: [Bool] = []
  public var decayScales: [Float] = []
  public var learningRateScales: [Float] = []
  var firstMoment = StateSlots("exp_avg")
  var secondMoment = StateSlots("exp_avg_sq")

  public init(
    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
    decoupled: Bool = false
  ) throws {
    guard beta1 >= 0, beta1 < 1 else { throw TrainError("adam: beta1 must be in [0, 1), got \(beta1)") }
    guard beta2 >= 0, beta2 < 1 else { throw TrainError("adam: beta2 must be in [0, 1), got \(beta2)") }
    guard epsilon > 0 else { throw TrainError("adam: epsilon must be > 0, got \(epsilon)") }
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupled = decoupled
  }

  /// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch's default lambda 0.01.
  public static func adamW(
    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01
  ) throws -> Adam {
    try Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: true)
  }

  public mutating func step(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    learningRate: Float
  ) throws {
    try validate(parameters: parameters, gradients: gradients, name: decoupled ? "adamw" : "adam")
    try firstMoment.prepare(for: parameters)
    try secondMoment.prepare(for: parameters)
    let t = Double(stepCount + 1)
    // Bias corrections in Double: b2^t with b2 = 0.999 loses digits in Float after many steps.
    let correction1 = Float(1 - pow(Double(beta1), t))
    let correction2Root = Float((1 - pow(Double(beta2), t)).squareRoot())
    let (beta1, beta2, epsilon, decoupled) = (self.beta1, self.beta2, self.epsilon, self.decoupled)
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
      let rate = self.learningRate(learningRate, for: index)
      let decay = weightDecay * decayScale(index)
      let stepSize = rate / correction1
      let shrink = 1 - rate * decay
      firstMoment.buffers[index].withUnsafeMutableBufferPointer { m in
        secondMoment.buffers[index].withUnsafeMutableBufferPointer { v in
          let (p, g, m, v) = (parameter.baseAddress!, gradient.baseAddress!, m.baseAddress!, v.baseAddress!)
          // Element-wise, so splitting across threads does not change a single bit.
          Parallel.forEachChunk(parameter.count) { range in
            for j in range {
              var gj = g[j]
              if decoupled {
                p[j] *= shrink
              } else {
                gj += decay * p[j]
              }
              m[j] = beta1 * m[j] + (1 - beta1) * gj
              v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
              p[j] -= stepSize * m[j] / (sqrtf(v[j]) / correction2Root + epsilon)
            }
          }
        }
      }
    }
    stepCount += 1
  }

  public func stateTensors() -> [String: [Float]] {
    var tensors: [String: [Float]] = [:]
    firstMoment.export(into: &tensors)
    secondMoment.export(into: &tensors)
    return tensors
  }

  public mutating func restore(state: [String: [Float]], parameterSizes: [Int]) throws {
    try firstMoment.restore(from: state, sizes: parameterSizes)
    try secondMoment.restore(from: state, sizes: parameterSizes)
  }
}
