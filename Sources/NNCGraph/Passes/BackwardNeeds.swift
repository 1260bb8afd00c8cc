extension Node {
  /// The values this node's backward pass reads besides gradients: what training must keep alive
  /// after the forward pass, and what an in-place node must not overwrite. The runtime's VJPs read
  /// exactly these (max pooling and dropout keep their own index and mask buffers).
  public var valuesReadByBackward: [ValueID] {
    switch op {
    case .convolution, .dense, .batchNorm, .lrn:
      return [inputs[0]]
    case .activation(let activation):
      return activation.valuesReadByBackward(input: inputs[0], output: output)
    case .fused(let attributes):
      let base: [ValueID]
      switch attributes.base {
      case .convolution, .dense: base = [inputs[0]]
      case .add: base = []
      }
      return attributes.activation == .linear ? base : base + [output]
    case .input, .pool, .globalPool, .flatten, .dropout, .add, .concat, .zeroPadding, .upsample, .reorder:
      return []
    }
  }
}
