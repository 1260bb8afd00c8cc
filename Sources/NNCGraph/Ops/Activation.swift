import NNCSpec

/// Element-wise activations, and softmax over channels. Every fact about an activation besides its
/// math (word, default alpha, FLOPs, gradient source) is read from `Vocabulary.activations`; the
/// runtime's kernels switch on this enum's cases through one exhaustive mapping.
public enum Activation: Sendable, Equatable {
  case linear
  case relu
  case relu6
  case sigmoid
  case tanh
  case leakyRelu(alpha: Double)
  case elu(alpha: Double)
  case softmax
  case gelu(approximate: GeluApproximation)
  case silu
  case hardSigmoid

  public init?(name: String, alpha: Double? = nil, approximate: String? = nil) {
    guard let definition = Vocabulary.activation(named: name) else { return nil }
    let alpha = alpha ?? definition.defaultAlpha ?? 0
    switch name {
    case "linear": self = .linear
    case "relu": self = .relu
    case "relu6": self = .relu6
    case "sigmoid": self = .sigmoid
    case "tanh": self = .tanh
    case "leaky_relu": self = .leakyRelu(alpha: alpha)
    case "elu": self = .elu(alpha: alpha)
    case "softmax": self = .softmax
    case "gelu":
      guard let approximation = GeluApproximation(rawValue: approximate ?? GeluApproximation.tanh.rawValue)
      else { return nil }
      self = .gelu(approximate: approximation)
    case "silu": self = .silu
    case "hard_sigmoid": self = .hardSigmoid
    default: preconditionFailure("Vocabulary.activations lists '\(name)' but Activation has no case for it")
    }
  }

  /// Every activation with its default arguments, in the table's order.
  public static var allWithDefaults: [Activation] {
    Vocabulary.activations.map { Activation(name: $0.name)! }
  }

  public var name: String {
    switch self {
    case .linear: return "linear"
    case .relu: return "relu"
    case .relu6: return "relu6"
    case .sigmoid: return "sigmoid"
    case .tanh: return "tanh"
    case .leakyRelu: return "leaky_relu"
    case .elu: return "elu"
    case .softmax: return "softmax"
    case .gelu: return "gelu"
    case .silu: return "silu"
    case .hardSigmoid: return "hard_sigmoid"
    }
  }

  public var alpha: Double? {
    switch self {
    case .leakyRelu(let alpha), .elu(let alpha): return alpha
    case .linear, .relu, .relu6, .sigmoid, .tanh, .softmax, .gelu, .silu, .hardSigmoid: return nil
    }
  }

  public var definition: ActivationDefinition {
    guard let definition = Vocabulary.activation(named: name) else {
      preconditionFailure("Activation.\(name) is missing from Vocabulary.activations")
    }
    return definition
  }

  /// The default tanh GELU prints nothing, as before `approximate` existed, so IR dumps and model
  /// fingerprints of existing specs are unchanged.
  var attributeText: String {
    if case .gelu(.erf) = self { return "approximate=none" }
    return alpha.map { "alpha=\($0)" } ?? ""
  }

  var flopsPerElement: Int { definition.flopsPerElement }

  /// True when the gradient can be computed from the output alone (so the input may be overwritten);
  /// softmax's VJP also uses only its output.
  public var gradientFromOutput: Bool { definition.gradientFromOutput(alpha: alpha) }

  /// Applied value by value, so it may write its output over its input.
  public var isElementwise: Bool { self != .softmax }

  func valuesReadByBackward(input: ValueID, output: ValueID) -> [ValueID] {
    gradientFromOutput ? [output] : [input]
  }
}

/// GELU's two forms: ONNX's and PyTorch's `approximate` attribute, whose values are the raw values.
public enum GeluApproximation: String, Sendable, CaseIterable {
  /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), nnc's default (what `gelu` always computed).
  case tanh
  /// The exact 0.5 x (1 + erf(x / sqrt(2))).
  case erf = "none"
}

extension Lowerer {
  /// `relu`, `elu(0.5)`, ...: the same shape out as in.
  mutating func lowerActivation(_ layer: LayerContext) -> Flow? {
    guard
      let activation = Activation(
        name: layer.call.name, alpha: layer.arguments.double("alpha"),
        approximate: layer.arguments.string("approximate"))
    else {
      return nil
    }
    let input = layer.input
    if activation == .softmax, input.shape.rank != 2, input.shape.rank != 4 {
      diagnostics.error(
        "'softmax' expects a [N,C] or [N,C,H,W] input, got \(input.shape)", at: layer.location)
      return nil
    }
    return emit(.activation(activation), layer, shape: input.shape, keepsUnits: true)
  }

  /// The checked `activation:` value: a word (`relu`) or a one-entry map with the activation's
  /// arguments (`{leaky_relu: {alpha: 0.1}}`, `{elu: 0.5}`).
  static func activationArgument(_ arguments: CheckedArguments) -> Activation? {
    guard let expr = arguments.expr("activation") else { return nil }
    switch expr.kind {
    case .string(let word): return Activation(name: word)
    case .map(let entries) where entries.count == 1:
      let name = entries[0].key
      guard let signature = Vocabulary.activationCalls.first(where: { $0.name == name }) else { return nil }
      // The checker has reported any problem with the value; here it only needs reading.
      var ignored = DiagnosticBag()
      let call = ArgumentChecker.labelled(
        Call(name: name, arguments: ArgumentChecker.mapArguments(entries[0].value), at: expr.location),
        signature, into: &ignored)
      let checked = ArgumentChecker.check(call, against: signature, what: name, into: &ignored)
      return Activation(
        name: name, alpha: checked.double("alpha"), approximate: checked.string("approximate"))
    default: return nil
    }
  }

  /// `activation: relu` on a convolution or dense layer becomes its own node, which the optimizer
  /// fuses back; keeping it separate keeps the IR small and uniform.
  mutating func applyActivation(
    _ arguments: CheckedArguments, to flow: Flow, name: String, description: String
  ) -> Flow {
    guard let activation = Self.activationArgument(arguments), activation != .linear else { return flow }
    let word = activation.name
    return emit(
      .activation(activation), layerName: word, name: name + "/" + word, inputs: [flow], shape: flow.shape,
      location: arguments.expr("activation")?.location ?? flow.origin.location, description: description,
      keepsUnits: true)
  }
}
