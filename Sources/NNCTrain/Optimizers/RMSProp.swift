import NNCRuntime

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// RMSProp as in PyTorch: `g += lambda p`, `s = rho s + (1 - rho) g^2`, and
/// `p -= lr g / (sqrt(s) + eps)`; with momentum `b = mu b + g / (sqrt(s) + eps)`, `p -= lr b`.
/// `centered` subtracts the squared running mean of g from s (an estimate of the variance).
public struct RMSProp: Optimizer {
  public var rho: Float
  public var epsilon: Float
  public var momentum: Float
  public var centered: Bool
  public var weightDecay: Float
  public var stepCount = 0
  public var decayMask: [Bool] = []
  public var decayScales: [Float] = []
  public var learningRateScales: [Float] = []
  var squareAverage = StateSlots("square_avg")
  var momentumBuffer = StateSlots("momentum")
  var gradientAverage = StateSlots("grad_avg")

  public init(
    rho: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0, centered: Bool = false,
    weightDecay: Float = 0
  ) throws {
    guard rho >= 0, rho < 1 else { throw TrainError("rmsprop: rho must be in [0, 1), got \(rho)") }
    guard epsilon > 0 else { throw TrainError("rmsprop: epsilon must be > 0, got \(epsilon)") }
    guard momentum >= 0 else { throw TrainError("rmsprop: momentum must be >= 0, got \(momentum)") }
    self.rho = rho
    self.epsilon = epsilon
    self.momentum = momentum
    self.centered = centered
    self.weightDecay = weightDecay
  }

  public mutating func step(
    parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeMutableBufferPointer<Float>],
    learningRate: Float
  ) throws {
    try validate(parameters: parameters, gradients: gradients, name: "rmsprop")
    try squareAverage.prepare(for: parameters)
    if momentum > 0 { try momentumBuffer.prepare(for: parameters) }
    if centered { try gradientAverage.prepare(for: parameters) }
    let (rho, epsilon, mu, centered) = (self.rho, self.epsilon, self.momentum, self.centered)
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
      let rate = self.learningRate(learningRate, for: index)
      let decay = weightDecay * decayScale(index)
      // Move the state out of the struct while updating it so the arrays are uniquely referenced
      // (no copy-on-write) and the loop can index them directly.
      var square = take(&squareAverage.buffers, index)
      var buffer = take(&momentumBuffer.buffers, index)
      var mean = take(&gradientAverage.buffers, index)
      square.withUnsafeMutableBufferPointer { square in
        buffer.withUnsafeMutableBufferPointer { buffer in
          mean.withUnsafeMutableBufferPointer { mean in
            // `buffer` and `mean` are empty (nil base) unless momentum or centering use them.
            let (p, gradient, square) = (parameter.baseAddress!, gradient.baseAddress!, square.baseAddress!)
            let (buffer, mean) = (buffer.baseAddress, mean.baseAddress)
            // Element-wise, so splitting across threads does not change a single bit.
            Parallel.forEachChunk(parameter.count) { range in
              for j in range {
                let g = gradient[j] + decay * p[j]
                square[j] = rho * square[j] + (1 - rho) * g * g
                var variance = square[j]
                if centered, let mean {
                  mean[j] = rho * mean[j] + (1 - rho) * g
                  variance -= mean[j] * mean[j]
                }
                let scaled = g / (sqrtf(max(variance, 0)) + epsilon)
                if mu > 0, let buffer {
                  buffer[j] = mu * buffer[j] + scaled
                  p[j] -= rate * buffer[j]
                } else {
                  p[j] -= rate * scaled
                }
              }
            }
          }
        }
      }
      put(square, into: &squareAverage.buffers, index)
      put(buffer, into: &momentumBuffer.buffers, index)
      put(mean, into: &gradientAverage.buffers, index)
    }
    stepCount += 1
  }

  public func stateTensors() -> [String: [Float]] {
    var tensors: [String: [Float]] = [:]
    squareAverage.export(into: &tensors)
    momentumBuffer.export(into: &tensors)
    gradientAverage.export(into: &tensors)
    return tensors
  }

  public mutating func restore(state: [String: [Float]], parameterSizes: [Int]) throws {
    try squareAverage.restore(from: state, sizes: parameterSizes)
    if momentum > 0 { try momentumBuffer.restore(from: state, sizes: parameterSizes) }
    if centered { try gradientAverage.restore(from: state, sizes: parameterSizes) }
  }

  private func take(_ buffers: inout [[Float]], _ index: Int) -> [Float] {
    guard index < buffers.count else { return [] }
    var taken: [Float] = []
    swap(&taken, &buffers[index])
    return taken
  }

  private func put(_ buffer: [Float], into buffers: inout [[Float]], _ index: Int) {
    if index < buffers.count { buffers[index] = buffer }
  }
}
