import NNCSpec

/// Grouped, strided, dilated 2-D convolution; depthwise convolution is the case groups == input
/// channels. Weight [filters, inChannels / groups, kh, kw], bias [filters].
public struct ConvolutionAttributes: Sendable, Equatable {
  public var filters: Int
  public var kernel: Size2
  public var stride: Size2
  public var dilation: Size2
  public var padding: Padding4
  public var groups: Int
  public var bias: Bool
  /// Set when the spec asked for a depthwise convolution (for display; the math is the grouped case).
  public var isDepthwise: Bool

  /// The extent of the kernel once dilated.
  public var effectiveKernel: Size2 {
    Size2(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
  }

  func flops(input: Shape, output: Shape) -> Int {
    let inChannels = input.sample[0]
    return 2 * output.sampleCount * (inChannels / groups) * kernel.height * kernel.width
  }

  public func parameterShapes(inChannels: Int) -> [(ParameterRole, [Int])] {
    var shapes: [(ParameterRole, [Int])] = [
      (.weight, [filters, inChannels / groups, kernel.height, kernel.width])
    ]
    if bias { shapes.append((.bias, [filters])) }
    return shapes
  }
}

/// Output size of a sliding window along one axis; nil (or ≤ 0) when the window does not fit.
public func slidingOutputSize(input: Int, window: Int, stride: Int, padBefore: Int, padAfter: Int) -> Int {
  let span = input + padBefore + padAfter - window
  if span < 0 { return 0 }
  return span / stride + 1
}

/// TensorFlow's `same`: output = ceil(input / stride), the extra padding going after.
public func samePadding(input: Int, window: Int, stride: Int) -> (before: Int, after: Int) {
  let output = (input + stride - 1) / stride
  let total = max((output - 1) * stride + window - input, 0)
  return (total / 2, total - total / 2)
}

public func resolvePadding(_ padding: PaddingValue, input: (Int, Int), window: Size2, stride: Size2)
  -> Padding4
{
  switch padding {
  case .valid: return .zero
  case .explicit(let top, let bottom, let left, let right):
    return Padding4(top: top, bottom: bottom, left: left, right: right)
  case .same:
    let vertical = samePadding(input: input.0, window: window.height, stride: stride.height)
    let horizontal = samePadding(input: input.1, window: window.width, stride: stride.width)
    return Padding4(
      top: vertical.before, bottom: vertical.after, left: horizontal.before, right: horizontal.after)
  }
}
