/// A convolution, dense layer or residual add with what the optimizer merged into it: a batchnorm
/// folded into the weights (inference only) and an element-wise activation applied while the output
/// is still in cache. The node keeps every parameter of the nodes it replaced, under the same names,
/// so checkpoints load into optimized and unoptimized graphs alike.
public struct FusedAttributes: Sendable, Equatable {
  public enum Base: Sendable, Equatable {
    case convolution(ConvolutionAttributes)
    case dense(DenseAttributes)
    case add
  }

  public var base: Base
  /// A batchnorm whose running statistics scale the base's weights and bias; its parameters follow
  /// the base's in the node.
  public var batchNorm: BatchNormAttributes?
  /// Applied last; never softmax (not element-wise).
  public var activation: Activation

  public init(base: Base, batchNorm: BatchNormAttributes? = nil, activation: Activation = .linear) {
    self.base = base
    self.batchNorm = batchNorm
    self.activation = activation
  }

  /// The unfused op the node starts from.
  public var baseOp: Op {
    switch base {
    case .convolution(let attributes): return .convolution(attributes)
    case .dense(let attributes): return .dense(attributes)
    case .add: return .add
    }
  }

  /// `conv2d+batchnorm+relu`: the merged ops in order.
  var mnemonic: String {
    var parts = [baseOp.mnemonic]
    if batchNorm != nil { parts.append("batchnorm") }
    if activation != .linear { parts.append(activation.name) }
    return parts.joined(separator: "+")
  }

  var attributeText: String {
    var parts = [baseOp.attributeText]
    if let batchNorm { parts.append("bn_epsilon=\(batchNorm.epsilon)") }
    let activationText = activation.attributeText
    if !activationText.isEmpty { parts.append(activationText) }
    return parts.filter { !$0.isEmpty }.joined(separator: ", ")
  }

  func flops(inputs: [Shape], output: Shape) -> Int {
    CheckedArithmetic.saturatingSum(
      baseOp.flops(inputs: inputs, output: output), activation.flopsPerElement * output.sampleCount)
  }
}
