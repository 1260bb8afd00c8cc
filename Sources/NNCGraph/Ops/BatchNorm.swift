/// Batch normalization per channel. gamma (if `scale`) and beta (if `center`) are trainable; the
/// running mean and variance are tracked, not learned, and count as non-trainable (as in Keras).
public struct BatchNormAttributes: Sendable, Equatable {
  public var epsilon: Double
  public var momentum: Double
  public var scale: Bool
  public var center: Bool

  public func parameterShapes(channels: Int) -> [(ParameterRole, [Int])] {
    var shapes: [(ParameterRole, [Int])] = []
    if scale { shapes.append((.gamma, [channels])) }
    if center { shapes.append((.beta, [channels])) }
    shapes.append((.runningMean, [channels]))
    shapes.append((.runningVariance, [channels]))
    return shapes
  }
}

extension Lowerer {
  mutating func lowerBatchNorm(_ layer: LayerContext) -> Flow? {
    let input = layer.input
    guard input.shape.rank == 2 || input.shape.rank == 4 else {
      diagnostics.error(
        "'batchnorm' expects a [N,C] or [N,C,H,W] input, got \(input.shape)", at: layer.location,
        notes: [input.origin.note(input.shape)])
      return nil
    }
    let arguments = layer.arguments
    let attributes = BatchNormAttributes(
      epsilon: arguments.double("epsilon") ?? 1e-5, momentum: arguments.double("momentum") ?? 0.1,
      scale: arguments.bool("scale") ?? true, center: arguments.bool("center") ?? true)
    return emit(
      .batchNorm(attributes), layer, shape: input.shape,
      parameters: attributes.parameterShapes(channels: input.shape.sample[0]), keepsUnits: true)
  }
}
