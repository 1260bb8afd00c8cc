/// `--set PATH=VALUE`: replaces one value of a spec, addressed by its dotted path in the YAML form
/// (`train.epochs=3`, `data.train.images=/data/x-idx3-ubyte`, `optimizer.adam.lr=0.01`,
/// `model.input=[3,64,64]`). The new value is checked exactly like one written in the file; its
/// diagnostics point into the pseudo-file `--set`, one line per override.
public struct Override: Sendable {
  public static let pseudoFile = "--set"

  public var path: [String]
  public var value: Expr
  public var pathLocation: SourceLocation

  /// Parses `PATH=VALUE`; `index` (1-based) is the override's line in the `--set` pseudo-file.
  public static func parse(_ text: String, index: Int, diagnostics: inout DiagnosticBag) -> Override? {
    let start = SourceLocation(file: pseudoFile, line: index, column: 1, length: text.count)
    guard let equals = text.firstIndex(of: "=") else {
      diagnostics.error("expected PATH=VALUE, like train.epochs=3", at: start)
      return nil
    }
    let pathText = String(text[..<equals])
    let path = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else {
      diagnostics.error("'\(pathText)' is not a dotted path like train.epochs", at: start)
      return nil
    }
    let valueText = String(text[text.index(after: equals)...])
    let offset = pathText.count + 1
    guard
      let value = YAMLReader.readValue(
        text: valueText, file: pseudoFile, line: index, columnOffset: offset, diagnostics: &diagnostics)
    else { return nil }
    return Override(
      path: path, value: value,
      pathLocation: SourceLocation(file: pseudoFile, line: index, column: 1, length: pathText.count))
  }

  /// The text of the pseudo-file, so diagnostics can quote the override.
  public static func pseudoFileText(_ overrides: [String]) -> String {
    overrides.joined(separator: "\n")
  }
}

extension Spec {
  /// The spec with every override applied; mistakes in paths are diagnostics.
  public func applying(_ overrides: [Override], diagnostics: inout DiagnosticBag) -> Spec {
    var spec = self
    for override in overrides {
      spec.apply(override, diagnostics: &diagnostics)
    }
    // A replaced call may use positional arguments (`optimizer={sgd: 0.1}`).
    return spec.resolvingPositionalArguments(into: &diagnostics)
  }

  mutating func apply(_ override: Override, diagnostics: inout DiagnosticBag) {
    let path = override.path
    let rest = Array(path.dropFirst())
    switch path[0] {
    case "train":
      train = Self.setting(rest, to: override.value, in: train, override, diagnostics: &diagnostics)
    case "data":
      data = Self.setting(rest, to: override.value, in: data, override, diagnostics: &diagnostics)
    case "predict":
      predict = Self.setting(rest, to: override.value, in: predict, override, diagnostics: &diagnostics)
    case "model":
      guard model != nil, rest.count == 1, rest[0] == "input" || rest[0] == "name" else {
        diagnostics.error(
          "only model.input and model.name can be overridden", at: override.pathLocation)
        return
      }
      if rest[0] == "input" {
        model?.input = override.value
      } else if case .string(let name) = override.value.kind {
        model?.name = name
      } else {
        diagnostics.error("model.name must be a name", at: override.value.location)
      }
    case "loss", "optimizer":
      let current = path[0] == "loss" ? loss : optimizer
      guard let call = Self.settingCall(rest, current, override, diagnostics: &diagnostics) else { return }
      if path[0] == "loss" { loss = call } else { optimizer = call }
    case "metrics", "augment":
      guard rest.isEmpty, case .list(let items) = override.value.kind else {
        diagnostics.error("\(path[0]) can only be replaced whole, by a list", at: override.pathLocation)
        return
      }
      var calls: [Call] = []
      for item in items {
        guard let call = Self.call(from: item, diagnostics: &diagnostics) else { return }
        calls.append(call)
      }
      if path[0] == "metrics" { metrics = calls } else { augment = calls }
    default:
      let sections = ["train", "data", "model", "loss", "optimizer", "metrics", "augment", "predict"]
      diagnostics.error(
        "cannot override '\(path[0])'\(Suggestions.didYouMean(path[0], in: sections))",
        at: override.pathLocation)
    }
  }

  static func setting(
    _ path: [String], to value: Expr, in map: Expr?, _ override: Override, diagnostics: inout DiagnosticBag
  ) -> Expr? {
    guard let key = path.first else { return value }
    var entries: [MapEntry] = []
    if let map {
      guard case .map(let existing) = map.kind else {
        diagnostics.error("'\(key)' is inside a value that is not a map", at: override.pathLocation)
        return map
      }
      entries = existing
    }
    if let index = entries.firstIndex(where: { $0.key == key }) {
      entries[index].value =
        setting(
          Array(path.dropFirst()), to: value, in: entries[index].value, override, diagnostics: &diagnostics)
        ?? value
    } else {
      let inner =
        setting(Array(path.dropFirst()), to: value, in: nil, override, diagnostics: &diagnostics) ?? value
      entries.append(MapEntry(key: key, keyLocation: override.pathLocation, value: inner))
    }
    return Expr(.map(entries), at: map?.location ?? override.pathLocation)
  }

  static func settingCall(
    _ path: [String], _ current: Call?, _ override: Override, diagnostics: inout DiagnosticBag
  ) -> Call? {
    if path.isEmpty { return call(from: override.value, diagnostics: &diagnostics) }
    guard path.count == 2 else {
      diagnostics.error("expected a path like optimizer.adam.lr", at: override.pathLocation)
      return nil
    }
    guard var call = current, call.name == path[0] else {
      let actual = current.map { "is '\($0.name)'" } ?? "is not set"
      diagnostics.error(
        "the \(override.path[0]) \(actual); set '\(override.path[0])=\(path[0])' first or use its name in the path",
        at: override.pathLocation)
      return nil
    }
    let argument = Argument(label: path[1], labelLocation: override.pathLocation, value: override.value)
    if let index = call.arguments.firstIndex(where: { $0.label == path[1] }) {
      call.arguments[index] = argument
    } else {
      call.arguments.append(argument)
    }
    return call
  }

  /// `adam` or `{adam: {lr: 0.01}}` as a call.
  static func call(from value: Expr, diagnostics: inout DiagnosticBag) -> Call? {
    switch value.kind {
    case .string(let name):
      return Call(name: name, at: value.location)
    case .map(let entries) where entries.count == 1:
      return Call(
        name: entries[0].key, arguments: ArgumentChecker.mapArguments(entries[0].value),
        at: entries[0].keyLocation)
    default:
      diagnostics.error("expected a name or {name: {arguments}}", at: value.location)
      return nil
    }
  }
}
