// The one abstract syntax tree both front ends (YAML and the .nnc DSL) produce. Every node keeps the
// location it came from; locations do not take part in equality, so a spec and its translation into
// the other syntax compare equal.

/// A value written in a spec: a scalar, a list, a map, or a reference to a block parameter.
public struct Expr: Equatable, Sendable {
  public indirect enum Kind: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    /// Both quoted strings and bare words (`relu`, `same`) are strings.
    case string(String)
    /// `$name` in YAML, a bare parameter name inside a block in the DSL.
    case reference(String)
    case list([Expr])
    case map([MapEntry])
  }

  public var kind: Kind
  @IgnoredInEquality public var location: SourceLocation

  public init(_ kind: Kind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

public struct MapEntry: Equatable, Sendable {
  public var key: String
  @IgnoredInEquality public var keyLocation: SourceLocation
  public var value: Expr

  public init(key: String, keyLocation: SourceLocation, value: Expr) {
    self.key = key
    self.keyLocation = keyLocation
    self.value = value
  }
}

/// `name: value` passed to a layer, block, optimizer, loss, metric or augmentation. Front ends
/// resolve positional arguments to their parameter names (see `Spec.resolvingPositionalArguments`), so
/// after parsing every argument has a label.
public struct Argument: Equatable, Sendable {
  /// `nil` only between parsing and positional resolution.
  public var label: String?
  @IgnoredInEquality public var labelLocation: SourceLocation
  public var value: Expr
  /// Written without a label (`dense(10)`, `dense: 10`); the printers keep it so.
  @IgnoredInEquality public var isPositional: Bool

  public init(label: String?, labelLocation: SourceLocation, value: Expr, isPositional: Bool? = nil) {
    self.label = label
    self.labelLocation = labelLocation
    self.value = value
    self.isPositional = isPositional ?? (label == nil)
  }
}

/// A named thing with arguments: `conv2d(6, kernel: 5)`, `adam(lr: 1e-3)`, `f1(average: macro)`.
public struct Call: Equatable, Sendable {
  public var name: String
  public var arguments: [Argument]
  /// Where the name is written; diagnostics about the call point here.
  @IgnoredInEquality public var location: SourceLocation

  public init(name: String, arguments: [Argument] = [], at location: SourceLocation) {
    self.name = name
    self.arguments = arguments
    self.location = location
  }

  public func argument(_ label: String) -> Argument? {
    arguments.first { $0.label == label }
  }
}

/// One entry of a layer list.
public struct Layer: Equatable, Sendable {
  public indirect enum Kind: Equatable, Sendable {
    /// A layer of the vocabulary or an invocation of a user block.
    case call(Call)
    /// `main` + shortcut, added element-wise; an absent shortcut is the identity.
    case residual(main: [Layer], shortcut: [Layer]?)
    /// Branches applied to the same input, joined along channels (Inception).
    case concat(branches: [Branch])
    /// The body written `count` times in sequence.
    case `repeat`(count: Expr, body: [Layer])
  }

  public var kind: Kind
  @IgnoredInEquality public var location: SourceLocation

  public init(_ kind: Kind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

public struct Branch: Equatable, Sendable {
  public var layers: [Layer]
  @IgnoredInEquality public var location: SourceLocation

  public init(layers: [Layer], at location: SourceLocation) {
    self.layers = layers
    self.location = location
  }
}

public struct BlockParameter: Equatable, Sendable {
  public var name: String
  /// `nil` means the caller must pass it.
  public var defaultValue: Expr?
  @IgnoredInEquality public var location: SourceLocation

  public init(name: String, defaultValue: Expr?, at location: SourceLocation) {
    self.name = name
    self.defaultValue = defaultValue
    self.location = location
  }
}

/// A named, parametrized, reusable list of layers.
public struct BlockDecl: Equatable, Sendable {
  public var name: String
  public var parameters: [BlockParameter]
  public var layers: [Layer]
  @IgnoredInEquality public var location: SourceLocation

  public init(name: String, parameters: [BlockParameter], layers: [Layer], at location: SourceLocation) {
    self.name = name
    self.parameters = parameters
    self.layers = layers
    self.location = location
  }
}

public struct ModelDecl: Equatable, Sendable {
  public var name: String?
  /// The per-sample input shape, `[C, H, W]` or `[features]`.
  public var input: Expr?
  public var layers: [Layer]
  @IgnoredInEquality public var location: SourceLocation

  public init(name: String?, input: Expr?, layers: [Layer], at location: SourceLocation) {
    self.name = name
    self.input = input
    self.layers = layers
    self.location = location
  }
}

/// A whole spec file. Sections other than the model are kept as written (maps and calls) and given
/// meaning by the validator and by the commands that use them.
public struct Spec: Equatable, Sendable {
  public var model: ModelDecl?
  public var blocks: [BlockDecl]
  public var data: Expr?
  public var augment: [Call]?
  public var loss: Call?
  public var optimizer: Call?
  public var metrics: [Call]?
  public var train: Expr?
  /// `predict`: how outputs become class decisions (`threshold` of a binary task).
  public var predict: Expr?
  /// The file it was read from; relative data paths are resolved against its directory.
  @IgnoredInEquality public var file: String
  /// The `#` comments of the file, for `nnc fmt` to print again.
  @IgnoredInEquality public var comments: [SpecComment] = []
  /// The line each section's keyword (or key) is written on, for placing comments.
  @IgnoredInEquality public var sectionLines: [String: Int] = [:]

  public init(
    model: ModelDecl? = nil, blocks: [BlockDecl] = [], data: Expr? = nil, augment: [Call]? = nil,
    loss: Call? = nil, optimizer: Call? = nil, metrics: [Call]? = nil, train: Expr? = nil,
    predict: Expr? = nil, file: String
  ) {
    self.model = model
    self.blocks = blocks
    self.data = data
    self.augment = augment
    self.loss = loss
    self.optimizer = optimizer
    self.metrics = metrics
    self.train = train
    self.predict = predict
    self.file = file
  }

  public func block(named name: String) -> BlockDecl? {
    blocks.first { $0.name == name }
  }
}
