/// Element-wise activations, and softmax over channels.
public enum Activation: Sendable, Equatable {
  case linear
  case relu
  case relu6
  case sigmoid
  case tanh
  case leakyRelu(alpha: Double)
  case elu(alpha: Double)
  case softmax
  case gelu
  case silu
  case hardSigmoid

  public init?(name: String, alpha: Double? = nil) {
    switch name {
    case "linear": self = .linear
    case "relu": self = .relu
    case "relu6": self = .relu6
    case "sigmoid": self = .sigmoid
    case "tanh": self = .tanh
    case "leaky_relu": self = .leakyRelu(alpha: alpha ?? 0.01)
    case "elu": self = .elu(alpha: alpha ?? 1.0)
    case "softmax": self = .softmax
    case "gelu": self = .gelu
    case "silu": self = .silu
    case "hard_sigmoid": self = .hardSigmoid
    default: return nil
    }
  }

  public var name: String {
    switch self {
    case .linear: return "linear"
    case .relu: return "relu"
    case .relu6: return "relu6"
    case .sigmoid: return "sigmoid"
    case .tanh: return "tanh"
    case .leakyRelu: return "leaky_relu"
    case .elu: return "elu"
    case .softmax: return "softmax"
    case .gelu: return "gelu"
    case .silu: return "silu"
    case .hardSigmoid: return "hard_sigmoid"
    }
  }

  var attributeText: String {
    switch self {
    case .leakyRelu(let alpha), .elu(let alpha): return "alpha=\(alpha)"
    default: return ""
    }
  }

  /// Rough cost for the FLOP estimate: transcendental functions count a few operations.
  var flopsPerElement: Int {
    switch self {
    case .linear: return 0
    case .relu, .relu6, .leakyRelu, .hardSigmoid: return 1
    case .sigmoid, .tanh, .elu, .silu: return 4
    case .softmax, .gelu: return 8
    }
  }
}
