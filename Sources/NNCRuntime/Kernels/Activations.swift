import Foundation
import NNCGraph

/// The math of an element-wise activation. Every kind has a forward, a backward from the input `x`,
/// and — where `Activation.gradientFromOutput` is true — a backward from the output `y` alone, which
/// lets an activation run in place (its input overwritten) during training.
public enum ActivationKind: Sendable, Hashable {
  case linear
  case relu
  /// min(max(x, 0), 6).
  case relu6
  case sigmoid
  case tanh
  /// x for x > 0, alpha * x otherwise.
  case leakyRelu(alpha: Float)
  /// x for x > 0, alpha * (exp(x) - 1) otherwise.
  case elu(alpha: Float)
  /// tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); erf: the exact 0.5 x (1 + erf(x / sqrt(2))).
  case gelu(approximate: GeluApproximation)
  /// x * sigmoid(x), also called swish.
  case silu
  /// clamp(x / 6 + 0.5, 0, 1), as in Keras 3 and PyTorch's hardsigmoid.
  case hardSigmoid

  /// The kernel of a graph activation; nil for softmax, which is not element-wise (see `Softmax`).
  /// The one mapping from the graph's activations: whether an activation may run its backward from
  /// its output is `Activation.gradientFromOutput`, read from `Vocabulary.activations`.
  public init?(_ activation: Activation) {
    switch activation {
    case .linear: self = .linear
    case .relu: self = .relu
    case .relu6: self = .relu6
    case .sigmoid: self = .sigmoid
    case .tanh: self = .tanh
    case .leakyRelu(let alpha): self = .leakyRelu(alpha: Float(alpha))
    case .elu(let alpha): self = .elu(alpha: Float(alpha))
    case .gelu(let approximation): self = .gelu(approximate: approximation)
    case .silu: self = .silu
    case .hardSigmoid: self = .hardSigmoid
    case .softmax: return nil
    }
  }

  /// y = f(x) for `count` elements; `output` may equal `input`.
  public func forward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
    Parallel.forEachChunk(count) { range in forward(input, output, range: range) }
  }

  /// `forward` on the calling thread, for kernels that already run in parallel tasks.
  func forwardSerial(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
    forward(input, output, range: 0..<count)
  }

  private func forward(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, range: Range<Int>
  ) {
    switch self {
    case .linear:
      if UnsafePointer(output) != input { for i in range { output[i] = input[i] } }
    case .relu:
      for i in range { output[i] = max(input[i], 0) }
    case .relu6:
      for i in range { output[i] = min(max(input[i], 0), 6) }
    case .sigmoid:
      for i in range { output[i] = stableSigmoid(input[i]) }
    case .tanh:
      for i in range { output[i] = Foundation.tanh(input[i]) }
    case .leakyRelu(let alpha):
      for i in range {
        let x = input[i]
        output[i] = x > 0 ? x : alpha * x
      }
    case .elu(let alpha):
      for i in range {
        let x = input[i]
        output[i] = x > 0 ? x : alpha * expm1(x)
      }
    case .gelu(.tanh):
      for i in range {
        let x = input[i]
        output[i] = 0.5 * x * (1 + Foundation.tanh(geluScale * (x + geluCubic * x * x * x)))
      }
    case .gelu(.erf):
      for i in range {
        let x = input[i]
        output[i] = 0.5 * x * (1 + erf(x * inverseSquareRootOfTwo))
      }
    case .silu:
      for i in range {
        let x = input[i]
        output[i] = x * stableSigmoid(x)
      }
    case .hardSigmoid:
      for i in range { output[i] = min(max(input[i] / 6 + 0.5, 0), 1) }
    }
  }

  /// gradInput = gradOutput * f'(input); `gradInput` may equal `gradOutput`. At the kinks of the
  /// piecewise kinds the derivative of the flat side is used (relu'(0) = 0).
  public func backward(
    input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>, count: Int
  ) {
    Parallel.forEachChunk(count) { range in
      switch self {
      case .linear:
        if UnsafePointer(gradInput) != gradOutput { for i in range { gradInput[i] = gradOutput[i] } }
      case .relu:
        passWherePositive(gradOutput, gate: input, into: gradInput, range: range)
      case .relu6:
        passWhereBetweenZeroAndSix(gradOutput, gate: input, into: gradInput, range: range)
      case .sigmoid:
        for i in range {
          let y = stableSigmoid(input[i])
          gradInput[i] = gradOutput[i] * y * (1 - y)
        }
      case .tanh:
        for i in range {
          let y = Foundation.tanh(input[i])
          gradInput[i] = gradOutput[i] * (1 - y * y)
        }
      case .leakyRelu(let alpha):
        for i in range { gradInput[i] = input[i] > 0 ? gradOutput[i] : alpha * gradOutput[i] }
      case .elu(let alpha):
        for i in range {
          let x = input[i]
          gradInput[i] = x > 0 ? gradOutput[i] : gradOutput[i] * alpha * exp(x)
        }
      case .gelu(.tanh):
        for i in range {
          let x = input[i]
          let t = Foundation.tanh(geluScale * (x + geluCubic * x * x * x))
          let inner = geluScale * (1 + 3 * geluCubic * x * x)
          gradInput[i] = gradOutput[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
        }
      case .gelu(.erf):
        // Phi(x) + x phi(x), phi the standard normal density.
        for i in range {
          let x = input[i]
          let density = inverseSquareRootOfTwoPi * exp(-0.5 * x * x)
          gradInput[i] = gradOutput[i] * (0.5 * (1 + erf(x * inverseSquareRootOfTwo)) + x * density)
        }
      case .silu:
        for i in range {
          let x = input[i]
          let s = stableSigmoid(x)
          gradInput[i] = gradOutput[i] * s * (1 + x * (1 - s))
        }
      case .hardSigmoid:
        for i in range {
          let x = input[i]
          gradInput[i] = x > -3 && x < 3 ? gradOutput[i] / 6 : 0
        }
      }
    }
  }

  /// gradInput = gradOutput * f'(x) computed from y = f(x) alone, for in-place activations whose
  /// input is gone. Requires `Activation.gradientFromOutput` (for leakyRelu and elu: alpha >= 0);
  /// `gradInput` may equal `gradOutput`.
  public func backward(
    output: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>, count: Int
  ) {
    Parallel.forEachChunk(count) { range in
      switch self {
      case .linear:
        if UnsafePointer(gradInput) != gradOutput { for i in range { gradInput[i] = gradOutput[i] } }
      case .relu:
        passWherePositive(gradOutput, gate: output, into: gradInput, range: range)
      case .relu6:
        passWhereBetweenZeroAndSix(gradOutput, gate: output, into: gradInput, range: range)
      case .sigmoid:
        for i in range {
          let y = output[i]
          gradInput[i] = gradOutput[i] * y * (1 - y)
        }
      case .tanh:
        for i in range {
          let y = output[i]
          gradInput[i] = gradOutput[i] * (1 - y * y)
        }
      case .leakyRelu(let alpha):
        for i in range { gradInput[i] = output[i] > 0 ? gradOutput[i] : alpha * gradOutput[i] }
      case .elu(let alpha):
        // For x <= 0, y = alpha (e^x - 1), so f'(x) = alpha e^x = y + alpha.
        for i in range {
          let y = output[i]
          gradInput[i] = y > 0 ? gradOutput[i] : gradOutput[i] * (y + alpha)
        }
      case .hardSigmoid:
        for i in range {
          let y = output[i]
          gradInput[i] = y > 0 && y < 1 ? gradOutput[i] / 6 : 0
        }
      case .gelu, .silu:
        preconditionFailure("\(self) cannot compute its gradient from its output")
      }
    }
  }
}

/// target[i] = gate[i] > 0 ? values[i] : 0 over `range`, sixteen lanes at a time: a branch per
/// element mispredicts on the random signs of activations and costs several times more. `target`
/// may equal `values`.
@inline(__always)
func passWherePositive(
  _ values: UnsafePointer<Float>, gate: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
  range: Range<Int>
) {
  var i = range.lowerBound
  while i + 16 <= range.upperBound {
    let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD16<Float>.self)
    let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
    // `.!(g .> 0)`, not `g .<= 0`: a NaN gate blocks the gradient, as the scalar form does.
    UnsafeMutableRawPointer(target + i).storeBytes(
      of: v.replacing(with: 0, where: .!(g .> 0)), as: SIMD16<Float>.self)
    i += 16
  }
  while i < range.upperBound {
    target[i] = gate[i] > 0 ? values[i] : 0
    i += 1
  }
}

/// target[i] = 0 < gate[i] < 6 ? values[i] : 0 over `range` (ReLU6's gradient), sixteen lanes at a
/// time like `passWherePositive`: the scalar form's two branches mispredicted on activations on both
/// sides of the bounds. Each bound is its own select on one comparison (a combined mask compiled to
/// slow code). A NaN gate blocks the gradient, as the scalar form does. `target` may equal `values`.
@inline(__always)
func passWhereBetweenZeroAndSix(
  _ values: UnsafePointer<Float>, gate: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
  range: Range<Int>
) {
  var i = range.lowerBound
  while i + 16 <= range.upperBound {
    let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD16<Float>.self)
    let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
    let positive = v.replacing(with: 0, where: .!(g .> 0))
    UnsafeMutableRawPointer(target + i).storeBytes(
      of: positive.replacing(with: 0, where: .!(g .< 6)), as: SIMD16<Float>.self)
    i += 16
  }
  while i < range.upperBound {
    let g = gate[i]
    target[i] = g > 0 && g < 6 ? values[i] : 0
    i += 1
  }
}

private let geluScale: Float = 0.797_884_560_802_865_4  // sqrt(2 / pi)
private let geluCubic: Float = 0.044_715
private let inverseSquareRootOfTwo: Float = 0.707_106_781_186_547_5
private let inverseSquareRootOfTwoPi: Float = 0.398_942_280_401_432_7

/// 1 / (1 + e^-x) without overflow for large |x|.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + exp(-x)) }
  let e = exp(x)
  return e / (1 + e)
}
