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
    return CheckedArithmetic.saturatingProduct(
      2, output.sampleCount, inChannels / groups, kernel.height, kernel.width)
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

extension Lowerer {
  /// `conv2d`, `depthwise_conv2d`, and `separable_conv2d` (a depthwise node then a 1x1 pointwise one).
  mutating func lowerConvolution(_ layer: LayerContext) -> Flow? {
    guard let (channels, height, width) = requireImage(layer) else { return nil }
    let arguments = layer.arguments
    let call = layer.call
    let kernel = size(arguments.pair("kernel"))
    let stride = size(arguments.pair("stride"))
    let dilation = size(arguments.pair("dilation"))
    let effective = Size2(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
    let padding = resolvePadding(
      arguments.padding("padding") ?? .valid, input: (height, width), window: effective, stride: stride)
    guard
      let (outHeight, outWidth) = windowOutput(
        layer, window: effective, stride: stride, padding: padding, what: "kernel")
    else { return nil }
    let bias = arguments.bool("bias") ?? true
    let initializer = weightInitializer(arguments)
    let biasInitializer = biasInitializer(arguments)
    let window = kernel.height * kernel.width

    if call.name == "conv2d" {
      let filters = arguments.int("filters") ?? 1
      let groups = arguments.int("groups") ?? 1
      guard channels % groups == 0, filters % groups == 0 else {
        diagnostics.error(
          "groups (\(groups)) must divide both the input channels (\(channels)) and filters (\(filters))",
          at: arguments.expr("groups")?.location ?? layer.location,
          notes: [layer.input.origin.note(layer.input.shape)])
        return nil
      }
      let attributes = ConvolutionAttributes(
        filters: filters, kernel: kernel, stride: stride, dilation: dilation, padding: padding,
        groups: groups, bias: bias, isDepthwise: false)
      let flow = emit(
        .convolution(attributes), layer, shape: Shape(batchOf: [filters, outHeight, outWidth]),
        parameters: attributes.parameterShapes(inChannels: channels), initializer: initializer,
        biasInitializer: biasInitializer,
        fan: (
          CheckedArithmetic.saturatingProduct(channels / groups, window),
          CheckedArithmetic.saturatingProduct(filters / groups, window)
        ))
      return applyActivation(arguments, to: flow, name: layer.name, description: layer.description)
    }

    let multiplier = arguments.int("depth_multiplier") ?? 1
    let depthwise = ConvolutionAttributes(
      filters: channels * multiplier, kernel: kernel, stride: stride, dilation: dilation, padding: padding,
      groups: channels, bias: call.name == "depthwise_conv2d" ? bias : false, isDepthwise: true)
    let separable = call.name == "separable_conv2d"
    var flow = emit(
      .convolution(depthwise), layerName: call.name, name: separable ? layer.name + "/depthwise" : layer.name,
      inputs: [layer.input], shape: Shape(batchOf: [channels * multiplier, outHeight, outWidth]),
      parameters: depthwise.parameterShapes(inChannels: channels), trainable: layer.trainable,
      initializer: initializer, biasInitializer: biasInitializer, fan: (window, multiplier * window),
      location: layer.location,
      description: layer.description)
    if separable {
      let filters = arguments.int("filters") ?? 1
      let pointwise = ConvolutionAttributes(
        filters: filters, kernel: Size2(1, 1), stride: Size2(1, 1), dilation: Size2(1, 1), padding: .zero,
        groups: 1, bias: bias, isDepthwise: false)
      flow = emit(
        .convolution(pointwise), layerName: call.name, name: layer.name + "/pointwise", inputs: [flow],
        shape: Shape(batchOf: [filters, outHeight, outWidth]),
        parameters: pointwise.parameterShapes(inChannels: channels * multiplier), trainable: layer.trainable,
        initializer: initializer, biasInitializer: biasInitializer, fan: (channels * multiplier, filters),
        location: layer.location,
        description: layer.description)
    }
    return applyActivation(arguments, to: flow, name: layer.name, description: layer.description)
  }
}
