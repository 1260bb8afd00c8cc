extension Node {
  /// The values this node's backward pass reads besides gradients: what training must keep alive
  /// after the forward pass, and what an in-place node must not overwrite. The runtime's VJPs read
  /// exactly these (max pooling and dropout keep their own index and mask buffers).
  public var valuesReadByBackward: [ValueID] {
    switch op {
    case .convolution, .dense, .batchNorm:
      return [inputs[0]]
    case .activation(let activation):
      return activation.gradientFromOutput ? [output] : [inputs[0]]
    case .fused(let attributes):
      let base: [ValueID]
      switch attributes.base {
      case .convolution, .dense: base = [inputs[0]]
      case .add: base = []
      }
      return attributes.activation == .linear ? base : base + [output]
    case .input, .pool, .globalPool, .flatten, .dropout, .add, .concat:
      return []
    }
  }
}

extension Activation {
  /// True when the gradient can be computed from the output alone (so the input may be overwritten),
  /// as the runtime's `ActivationKind.gradientFromOutput`; softmax's VJP also uses only its output.
  public var gradientFromOutput: Bool {
    switch self {
    case .linear, .relu, .relu6, .sigmoid, .tanh, .hardSigmoid, .softmax: return true
    case .leakyRelu(let alpha), .elu(let alpha): return alpha >= 0
    case .gelu, .silu: return false
    }
  }

  /// Applied value by value, so it may write its output over its input.
  public var isElementwise: Bool { self != .softmax }
}
