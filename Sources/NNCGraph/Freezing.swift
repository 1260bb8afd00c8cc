import NNCSpec

/// Layer-name patterns with `*` (any run of characters, `/` included) and `?` (one character), as
/// used by `train.freeze` and `train.lr_multipliers`.
public enum NamePattern {
  public static func matches(_ pattern: String, _ name: String) -> Bool {
    let p = Array(pattern)
    let n = Array(name)
    // Iterative wildcard matching with backtracking to the last star: linear in practice.
    var i = 0
    var j = 0
    var star = -1
    var resume = 0
    while j < n.count {
      if i < p.count, p[i] == "?" || p[i] == n[j] {
        i += 1
        j += 1
      } else if i < p.count, p[i] == "*" {
        star = i
        resume = j
        i += 1
      } else if star >= 0 {
        i = star + 1
        resume += 1
        j = resume
      } else {
        return false
      }
    }
    while i < p.count, p[i] == "*" { i += 1 }
    return i == p.count
  }
}

/// Which layers train: the value of `train.freeze`, or of a phase's `freeze` or `trainable`.
/// Layers with `trainable: false` in the model stay frozen whatever the selection says.
public enum TrainableSelection: Sendable, Equatable {
  /// Layers matching any pattern are frozen.
  case freeze([String])
  /// The named layer and every layer before it (in graph order, as `nnc check` lists them).
  case freezeUntil(String)
  /// Only layers matching a pattern train.
  case trainable([String])
  /// The named layer and every layer after it train.
  case trainableFrom(String)

  /// Reads `freeze: [patterns]` or `freeze: {until: layer}`; nil for anything else.
  public init?(freeze expr: Expr) {
    if let patterns = Self.strings(expr) {
      self = .freeze(patterns)
    } else if let layer = Self.field(expr, "until") {
      self = .freezeUntil(layer)
    } else {
      return nil
    }
  }

  /// Reads `trainable: [patterns]` or `trainable: {from: layer}`; nil for anything else.
  public init?(trainable expr: Expr) {
    if let patterns = Self.strings(expr) {
      self = .trainable(patterns)
    } else if let layer = Self.field(expr, "from") {
      self = .trainableFrom(layer)
    } else {
      return nil
    }
  }

  /// The selection of a phase map (`freeze` or `trainable`), nil when it has neither.
  public init?(phase expr: Expr) {
    guard case .map(let entries) = expr.kind else { return nil }
    if let freeze = entries.first(where: { $0.key == "freeze" }) {
      self.init(freeze: freeze.value)
    } else if let trainable = entries.first(where: { $0.key == "trainable" }) {
      self.init(trainable: trainable.value)
    } else {
      return nil
    }
  }

  static func strings(_ expr: Expr) -> [String]? {
    guard case .list(let items) = expr.kind else { return nil }
    return items.compactMap { if case .string(let text) = $0.kind { text } else { nil } }
  }

  static func field(_ expr: Expr, _ key: String) -> String? {
    guard case .map(let entries) = expr.kind, let entry = entries.first(where: { $0.key == key }),
      case .string(let text) = entry.value.kind
    else { return nil }
    return text
  }
}

extension Graph {
  /// The index of the last node named `layer`, or inside the block instance `layer` (`basic_1`
  /// stands for `basic_1/conv2d`, ..., `basic_1/relu_1`).
  public func lastNodeIndex(of layer: String) -> Int? {
    nodes.lastIndex { $0.name == layer || $0.name.hasPrefix(layer + "/") }
  }

  /// Whether the selection freezes node `index` (before the model's own `trainable: false`).
  func selects(_ selection: TrainableSelection, frozen index: Int) -> Bool {
    let name = nodes[index].name
    switch selection {
    case .freeze(let patterns): return patterns.contains { NamePattern.matches($0, name) }
    case .trainable(let patterns): return !patterns.contains { NamePattern.matches($0, name) }
    case .freezeUntil(let layer): return index <= (lastNodeIndex(of: layer) ?? -1)
    case .trainableFrom(let layer):
      guard let first = nodes.firstIndex(where: { $0.name == layer || $0.name.hasPrefix(layer + "/") })
      else { return false }
      return index < first
    }
  }

  /// The graph with `selection` deciding which layers train (nil: only the model's own
  /// `trainable: false`). Frozen layers' parameters are non-trainable and a frozen batchnorm uses
  /// its running statistics; running statistics are never trainable.
  public func applying(_ selection: TrainableSelection?) -> Graph {
    var graph = self
    for index in graph.nodes.indices {
      let frozen =
        graph.nodes[index].isFrozenInModel || (selection.map { selects($0, frozen: index) } ?? false)
      graph.nodes[index].isFrozen = frozen
      for parameter in graph.nodes[index].parameters.indices {
        let role = graph.nodes[index].parameters[parameter].role
        graph.nodes[index].parameters[parameter].trainable =
          !frozen && role.canTrain
      }
    }
    return graph
  }

  /// Applies `train.freeze` and checks it and every phase's `freeze`/`trainable` against the layer
  /// names: a pattern that matches nothing is a warning, an unknown layer in `until`/`from` an error.
  mutating func applyTrainSelections(_ train: Expr?, into diagnostics: inout DiagnosticBag) {
    guard case .map(let entries) = train?.kind else { return }
    if let freeze = entries.first(where: { $0.key == "freeze" }) {
      check(freeze.value, key: "freeze", into: &diagnostics)
      if let selection = TrainableSelection(freeze: freeze.value) { self = applying(selection) }
    }
    if let phases = entries.first(where: { $0.key == "phases" }), case .list(let items) = phases.value.kind {
      for item in items {
        guard case .map(let fields) = item.kind else { continue }
        for field in fields where field.key == "freeze" || field.key == "trainable" {
          check(field.value, key: field.key, into: &diagnostics)
        }
      }
    }
  }

  func check(_ expr: Expr, key: String, into diagnostics: inout DiagnosticBag) {
    switch expr.kind {
    case .list(let items):
      for item in items {
        guard case .string(let text) = item.kind else { continue }
        if !nodes.contains(where: { NamePattern.matches(text, $0.name) }) {
          diagnostics.warning(
            "\(key) pattern '\(text)' matches no layer", at: item.location,
            notes: [.note("layer names are shown by 'nnc check'; '*' matches any characters, '?' one")])
        }
        let frozenInModel = nodes.filter {
          $0.isFrozenInModel && !$0.parameters.isEmpty && NamePattern.matches(text, $0.name)
        }
        if key == "trainable", let first = frozenInModel.first {
          let names = frozenInModel.prefix(3).map { "'\($0.name)'" }.joined(separator: ", ")
          diagnostics.warning(
            "trainable pattern '\(text)' matches \(names)\(frozenInModel.count > 3 ? ", ..." : ""), which "
              + "'trainable: false' in the model keeps frozen in every phase", at: item.location,
            notes: [
              .note(
                "'trainable: false' is set here; remove it to train the layer in a phase", at: first.location)
            ])
        }
      }
    case .map(let fields):
      for field in fields {
        guard case .string(let layer) = field.value.kind, lastNodeIndex(of: layer) == nil else { continue }
        var names = nodes.map(\.name)
        names += Set(nodes.compactMap { $0.name.split(separator: "/").first.map(String.init) })
        diagnostics.error(
          "\(key).\(field.key): no layer is named '\(layer)'\(Suggestions.didYouMean(layer, in: names))",
          at: field.value.location,
          notes: [.note("layer names are shown by 'nnc check'; a block instance name stands for its layers")])
      }
    default: break
    }
  }
}

extension ParameterRole {
  /// Running statistics are never trainable: batchnorm updates them from the batches it sees.
  public var canTrain: Bool { self != .runningMean && self != .runningVariance }
}
