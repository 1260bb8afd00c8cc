/// Height and width of a window, stride or dilation.
public struct Size2: Hashable, Sendable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public init(_ height: Int, _ width: Int) {
    self.height = height
    self.width = width
  }
  public var description: String { height == width ? String(height) : "\(height)x\(width)" }
}

/// Zero (or, for max pooling, negative-infinity) padding on each side, resolved from `same`/`valid`
/// when the input size is known.
public struct Padding4: Hashable, Sendable, CustomStringConvertible {
  public var top: Int
  public var bottom: Int
  public var left: Int
  public var right: Int

  public init(top: Int, bottom: Int, left: Int, right: Int) {
    self.top = top
    self.bottom = bottom
    self.left = left
    self.right = right
  }

  public static let zero = Padding4(top: 0, bottom: 0, left: 0, right: 0)

  public var description: String {
    if top == bottom && left == right { return top == left ? String(top) : "\(top)x\(left)" }
    return "\(top),\(bottom),\(left),\(right)"
  }
}

/// Every operation of the IR. An op family's attributes, shape rule, parameter shapes and FLOP count
/// live in its file under `Ops/`.
public enum Op: Sendable, Equatable {
  case input
  case convolution(ConvolutionAttributes)
  case pool(PoolAttributes)
  case globalPool(GlobalPoolKind)
  case flatten
  case dense(DenseAttributes)
  case dropout(rate: Double)
  case batchNorm(BatchNormAttributes)
  case activation(Activation)
  case add
  case concat
  case zeroPadding(Padding4)
  case upsample(UpsampleAttributes)
  case lrn(LRNAttributes)
  /// Several nodes merged by the optimizer into one kernel call (see `FusedAttributes`).
  case fused(FusedAttributes)
  /// The same tensor in another memory layout (inference only; see `UseChannelsLast`).
  case reorder(TensorLayout)

  /// The IR mnemonic.
  public var mnemonic: String {
    switch self {
    case .input: return "input"
    case .convolution(let attributes): return attributes.isDepthwise ? "depthwise_conv2d" : "conv2d"
    case .pool(let attributes): return attributes.kind == .max ? "maxpool" : "avgpool"
    case .globalPool(let kind): return kind == .max ? "global_maxpool" : "global_avgpool"
    case .flatten: return "flatten"
    case .dense: return "dense"
    case .dropout: return "dropout"
    case .batchNorm: return "batchnorm"
    case .activation(let activation): return activation.name
    case .add: return "add"
    case .concat: return "concat"
    case .zeroPadding: return "zero_padding2d"
    case .upsample: return "upsample"
    case .lrn: return "lrn"
    case .fused(let attributes): return attributes.mnemonic
    case .reorder: return "reorder"
    }
  }

  /// Attributes as `key=value` pairs for the IR dump.
  public var attributeText: String {
    switch self {
    case .convolution(let a):
      var parts = [
        "filters=\(a.filters)", "kernel=\(a.kernel)", "stride=\(a.stride)", "pad=\(a.padding)",
      ]
      if a.dilation != Size2(1, 1) { parts.append("dilation=\(a.dilation)") }
      if a.groups != 1 { parts.append("groups=\(a.groups)") }
      parts.append(a.bias ? "bias" : "no_bias")
      return parts.joined(separator: ", ")
    case .pool(let a): return "size=\(a.window), stride=\(a.stride), pad=\(a.padding)"
    case .dense(let a): return "units=\(a.units), " + (a.bias ? "bias" : "no_bias")
    case .dropout(let rate): return "rate=\(rate)"
    case .batchNorm(let a):
      return "epsilon=\(a.epsilon), momentum=\(a.momentum)" + (a.scale ? "" : ", no_scale")
        + (a.center ? "" : ", no_center")
    case .activation(let activation): return activation.attributeText
    case .zeroPadding(let padding): return "pad=\(padding)"
    case .upsample(let a): return a.attributeText
    case .lrn(let a): return a.attributeText
    case .fused(let attributes): return attributes.attributeText
    case .reorder(let layout): return "to=\(layout)"
    case .input, .globalPool, .flatten, .add, .concat: return ""
    }
  }

  func flops(inputs: [Shape], output: Shape) -> Int {
    let outputCount = output.sampleCount
    switch self {
    case .input, .flatten, .dropout: return 0
    case .convolution(let a): return a.flops(input: inputs[0], output: output)
    case .pool(let a): return a.flops(output: output)
    case .globalPool: return inputs[0].sampleCount
    case .dense(let a): return a.flops(input: inputs[0])
    case .batchNorm: return 2 * outputCount
    case .activation(let activation): return activation.flopsPerElement * outputCount
    case .add: return outputCount
    case .concat, .zeroPadding, .reorder: return 0
    case .upsample(let a): return a.flops(output: output)
    case .lrn(let a): return a.flops(output: output)
    case .fused(let attributes): return attributes.flops(inputs: inputs, output: output)
    }
  }
}

extension Op {
  /// The convolution a node computes, fused or not.
  public var convolutionAttributes: ConvolutionAttributes? {
    switch self {
    case .convolution(let attributes): return attributes
    case .fused(let fused):
      if case .convolution(let attributes) = fused.base { return attributes }
      return nil
    case .input, .pool, .globalPool, .flatten, .dense, .dropout, .batchNorm, .activation, .add, .concat,
      .zeroPadding, .upsample, .lrn, .reorder:
      return nil
    }
  }
}
