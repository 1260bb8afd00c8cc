/// Max and average pooling over windows, and their global forms.
public struct PoolAttributes: Sendable, Equatable {
  public enum Kind: String, Sendable { case max, average }
  public var kind: Kind
  public var window: Size2
  public var stride: Size2
  public var padding: Padding4

  func flops(output: Shape) -> Int {
    CheckedArithmetic.saturatingProduct(output.sampleCount, window.height, window.width)
  }
}

public enum GlobalPoolKind: String, Sendable, Equatable {
  case max
  case average
}

extension Lowerer {
  /// `maxpool`, `avgpool`: the stride defaults to the window.
  mutating func lowerPool(_ layer: LayerContext) -> Flow? {
    guard let (channels, height, width) = requireImage(layer) else { return nil }
    let arguments = layer.arguments
    let window = size(arguments.pair("size"))
    let stride = arguments.isGiven("stride") ? size(arguments.pair("stride")) : window
    var padding = resolvePadding(
      arguments.padding("padding") ?? .valid, input: (height, width), window: window, stride: stride)
    if arguments.bool("ceil_mode") == true {
      padding.bottom += ceilModeOverhang(
        input: height, window: window.height, stride: stride.height, before: padding.top,
        after: padding.bottom)
      padding.right += ceilModeOverhang(
        input: width, window: window.width, stride: stride.width, before: padding.left, after: padding.right)
    }
    guard
      let (outHeight, outWidth) = windowOutput(
        layer, window: window, stride: stride, padding: padding, what: "pooling window")
    else { return nil }
    if padding.top >= window.height || padding.left >= window.width {
      diagnostics.error(
        "padding \(padding) must be smaller than the pooling window \(window)",
        at: arguments.expr("padding")?.location ?? layer.location)
      return nil
    }
    let kind: PoolAttributes.Kind = layer.call.name == "maxpool" ? .max : .average
    return emit(
      .pool(PoolAttributes(kind: kind, window: window, stride: stride, padding: padding)), layer,
      shape: Shape(batchOf: [channels, outHeight, outWidth]), keepsUnits: true)
  }

  /// `ceil_mode`, PyTorch's rule: the output size rounds up, but the last window must start inside
  /// the input plus the padding before it. The kernels clip windows to the input and average over the
  /// real pixels only, so the overhang becomes extra padding after the input.
  func ceilModeOverhang(input: Int, window: Int, stride: Int, before: Int, after: Int) -> Int {
    let padded = input + before + after
    guard padded >= window else { return 0 }
    var output = (padded - window + stride - 1) / stride + 1
    if (output - 1) * stride >= input + before { output -= 1 }
    return max((output - 1) * stride + window - padded, 0)
  }

  /// `global_avgpool`, `global_maxpool`: [N,C,H,W] -> [N,C].
  mutating func lowerGlobalPool(_ layer: LayerContext) -> Flow? {
    guard let (channels, _, _) = requireImage(layer) else { return nil }
    return emit(
      .globalPool(layer.call.name == "global_maxpool" ? .max : .average), layer,
      shape: Shape(batchOf: [channels]), keepsUnits: true)
  }
}
