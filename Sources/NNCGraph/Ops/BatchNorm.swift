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
