/// One activation of `Vocabulary.activations`: its word, default arguments, cost and whether its
/// gradient survives the loss of its input.
public struct ActivationDefinition: Sendable, Equatable {
  /// What the backward pass reads to compute f'(x).
  public enum GradientSource: Sendable, Equatable {
    /// y alone determines f'(x), so the activation may overwrite its input while training.
    case fromOutput
    /// Only where alpha >= 0 is x -> y invertible where the derivative changes (y > 0 exactly when x > 0).
    case fromOutputWhenAlphaNonNegative
    case fromInput
  }

  public var name: String
  /// The default of the `alpha` argument; nil when the activation takes none.
  public var defaultAlpha: Double?
  /// Rough cost for the FLOP estimate: transcendental functions count a few operations.
  public var flopsPerElement: Int
  public var gradient: GradientSource
  /// Whether a layer with this `activation:` defaults to He initialization (the rectifier family,
  /// whose variance halves through the unit) rather than Glorot's (saturating and linear units).
  public var rectifying: Bool
  /// Arguments besides `alpha` (gelu's `approximate`), as the layer and `activation:` take them.
  public var arguments: [Parameter]
  public var doc: String

  public init(
    _ name: String, alpha: Double? = nil, flopsPerElement: Int, gradient: GradientSource,
    rectifying: Bool = false, arguments: [Parameter] = [], doc: String
  ) {
    self.name = name
    self.defaultAlpha = alpha
    self.flopsPerElement = flopsPerElement
    self.gradient = gradient
    self.rectifying = rectifying
    self.arguments = arguments
    self.doc = doc
  }

  /// Whether the gradient can be computed from the output for this value of alpha.
  public func gradientFromOutput(alpha: Double?) -> Bool {
    switch gradient {
    case .fromOutput: return true
    case .fromOutputWhenAlphaNonNegative: return (alpha ?? defaultAlpha ?? 0) >= 0
    case .fromInput: return false
    }
  }
}
