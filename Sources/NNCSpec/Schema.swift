/// What a value in a spec may be. Used for layer arguments and for every key of every section, so
/// one checker produces the same diagnostics everywhere.
public indirect enum ValueType: Sendable, Equatable {
  case int
  /// Any number; integers are accepted.
  case number
  case bool
  case string
  /// One of a fixed set of words.
  case choice([String])
  /// An int, or a pair `[h, w]` (kernel sizes, strides, dilations).
  case intOrPair
  /// `same`, `valid`, an int, or a pair `[h, w]`.
  case padding
  case list(ValueType)
  /// A map whose keys are described by a schema.
  case map(Schema)
  /// A number or a list of numbers (per-channel normalization constants).
  case numberOrList
  /// A number, a list of numbers, or one of a few words (`fill: random`).
  case numberListOrWord([String])
  /// A map from any keys (layer-name patterns) to values of one type.
  case dictionary(ValueType)
  /// The name of one of these calls, bare (`cosine`) or with arguments (`step(every: 5)`).
  case call([Signature])
  /// Any one of these types (`freeze: [patterns]` or `freeze: {until: layer}`); the first that fits.
  case either([ValueType])

  public var description: String {
    switch self {
    case .int: return "an integer"
    case .number: return "a number"
    case .bool: return "true or false"
    case .string: return "a string"
    case .choice(let words): return "one of " + words.map { "'\($0)'" }.joined(separator: ", ")
    case .intOrPair: return "an integer or a pair [h, w]"
    case .padding: return "'same', 'valid', an integer or a pair [h, w]"
    case .list(let element): return "a list of \(element.pluralDescription)"
    case .map: return "a map"
    case .numberOrList: return "a number or a list of numbers"
    case .numberListOrWord(let words):
      return "a number, a list of numbers or " + words.map { "'\($0)'" }.joined(separator: ", ")
    case .dictionary(let value): return "a map of names to \(value.pluralDescription)"
    case .call(let signatures):
      return "one of " + signatures.map { "'\($0.name)'" }.joined(separator: ", ")
    case .either(let types): return types.map(\.description).joined(separator: " or ")
    }
  }

  var pluralDescription: String {
    switch self {
    case .int: return "integers"
    case .number: return "numbers"
    case .string: return "strings"
    case .bool: return "booleans"
    default: return "values (each \(description))"
    }
  }
}

/// An inclusive or exclusive bound on a number.
public struct Bound: Sendable, Equatable {
  public var value: Double
  public var inclusive: Bool
  public init(_ value: Double, inclusive: Bool = true) {
    self.value = value
    self.inclusive = inclusive
  }
}

public struct Parameter: Sendable, Equatable {
  public var name: String
  public var type: ValueType
  public var isRequired: Bool
  /// Shown in documentation and used when the argument is omitted.
  public var defaultValue: DefaultValue?
  public var minimum: Bound?
  public var maximum: Bound?
  public var doc: String

  public init(
    _ name: String, _ type: ValueType, required: Bool = false, default defaultValue: DefaultValue? = nil,
    min minimum: Bound? = nil, max maximum: Bound? = nil, doc: String = ""
  ) {
    self.name = name
    self.type = type
    self.isRequired = required
    self.defaultValue = defaultValue
    self.minimum = minimum
    self.maximum = maximum
    self.doc = doc
  }
}

public enum DefaultValue: Sendable, Equatable, CustomStringConvertible {
  case int(Int)
  case number(Double)
  case bool(Bool)
  case string(String)

  public var description: String {
    switch self {
    case .int(let value): return String(value)
    case .number(let value): return String(value)
    case .bool(let value): return String(value)
    case .string(let value): return value
    }
  }
}

/// The accepted arguments of a call; `positional` names the parameters that may be written without a
/// label, in order (`conv2d(64, 3)` is `conv2d(filters: 64, kernel: 3)`).
public struct Signature: Sendable, Equatable {
  public var name: String
  public var parameters: [Parameter]
  public var positional: [String]
  public var doc: String

  public init(_ name: String, positional: [String] = [], _ parameters: [Parameter], doc: String = "") {
    self.name = name
    self.parameters = parameters
    self.positional = positional
    self.doc = doc
  }

  public func parameter(_ name: String) -> Parameter? {
    parameters.first { $0.name == name }
  }
}

/// The keys a map may hold.
public struct Schema: Sendable, Equatable {
  public var keys: [Parameter]
  public init(_ keys: [Parameter]) { self.keys = keys }
  public func key(_ name: String) -> Parameter? { keys.first { $0.name == name } }
}
