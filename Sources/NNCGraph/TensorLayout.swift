/// How a value's [channels, height, width] samples lie in memory. Every value is channels-first
/// (NCHW) unless an inference graph's `UseChannelsLast` pass put it in a channels-last (NHWC)
/// region, entered and left through `reorder` nodes; shapes stay [C, H, W] either way.
public enum TensorLayout: String, Sendable, Hashable, CustomStringConvertible {
  case channelsFirst = "nchw"
  case channelsLast = "nhwc"

  public var description: String { rawValue }
}

extension Graph {
  /// Per value: its layout. A `reorder` writes the layout it names; the ops a channels-last region
  /// holds (`Op.keepsInputLayout`) write their first input's; every other op writes channels-first.
  public var valueLayouts: [TensorLayout] {
    var layouts = [TensorLayout](repeating: .channelsFirst, count: shapes.count)
    for node in nodes {
      if case .reorder(let layout) = node.op {
        layouts[node.output.index] = layout
      } else if node.op.keepsInputLayout, let first = node.inputs.first {
        layouts[node.output.index] = layouts[first.index]
      }
    }
    return layouts
  }
}

extension Op {
  /// Whether the op computes in its input's layout, channels-last included: pointwise and
  /// depthwise convolutions (the geometry `runsChannelsLast` checks), additions and element-wise
  /// activations, fused or not. Every other op reads and writes channels-first only.
  public var keepsInputLayout: Bool {
    switch self {
    case .convolution, .add: return true
    case .activation(let activation): return activation.isElementwise
    case .fused(let attributes):
      switch attributes.base {
      case .convolution, .add: return true
      case .dense: return false
      }
    case .input, .pool, .globalPool, .flatten, .dense, .dropout, .batchNorm, .concat, .zeroPadding, .upsample,
      .lrn, .reorder:
      return false
    }
  }
}

extension ConvolutionAttributes {
  /// Whether the runtime has a channels-last kernel for this convolution on `input`: a pointwise
  /// one (1x1, stride 1, unpadded, ungrouped: one product over every pixel of the batch) or a
  /// depthwise one with a multiplier of 1 (one group per channel).
  public func runsChannelsLast(input: Shape) -> Bool {
    isPointwiseProduct || isDepthwiseWithoutMultiplier(inChannels: input.sample[0])
  }

  var isPointwiseProduct: Bool {
    kernel == Size2(1, 1) && stride == Size2(1, 1) && padding == .zero && groups == 1
  }

  func isDepthwiseWithoutMultiplier(inChannels: Int) -> Bool {
    groups > 1 && groups == inChannels && filters == inChannels
  }
}
