/// `lrn`: local response normalization across channels (AlexNet, GoogLeNet, Caffe's `LRN`
/// ACROSS_CHANNELS, ONNX `LRN`): y = x / (bias + alpha / size * sum of x^2 over the window)^beta, the
/// window being the (size - 1) / 2 channels on each side of the channel, clipped at the edges. No
/// parameters; the backward pass reads the input and recomputes the window sums.
public struct LRNAttributes: Sendable, Equatable {
  public var size: Int
  public var alpha: Double
  public var beta: Double
  public var bias: Double

  public init(size: Int, alpha: Double, beta: Double, bias: Double) {
    self.size = size
    self.alpha = alpha
    self.beta = beta
    self.bias = bias
  }

  /// Channels of the window before and after the channel. Only odd sizes are accepted: for even ones
  /// ONNX puts the extra channel after the centre and PyTorch before it.
  public var channelsBefore: Int { (size - 1) / 2 }
  public var channelsAfter: Int { size / 2 }

  var attributeText: String { "size=\(size), alpha=\(alpha), beta=\(beta), bias=\(bias)" }

  /// Per output value: a square and an add per window channel, the scale and bias (2), the power
  /// (counted as 8, like a transcendental activation) and the division.
  func flops(output: Shape) -> Int { (2 * size + 11) * output.sampleCount }
}

extension Lowerer {
  mutating func lowerLRN(_ layer: LayerContext) -> Flow? {
    guard requireImage(layer) != nil else { return nil }
    guard let size = layer.arguments.int("size") else { return nil }
    if size % 2 == 0 {
      diagnostics.error(
        "'size' of 'lrn' must be odd, found \(size): the window is centred on the channel, (size - 1) / 2 "
          + "channels on each side", at: layer.arguments.expr("size")?.location ?? layer.location)
      return nil
    }
    let attributes = LRNAttributes(
      size: size, alpha: layer.arguments.double("alpha") ?? 1e-4,
      beta: layer.arguments.double("beta") ?? 0.75,
      bias: layer.arguments.double("bias") ?? 1)
    return emit(.lrn(attributes), layer, shape: layer.input.shape, keepsUnits: true)
  }
}
