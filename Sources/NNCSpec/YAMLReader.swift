import Yams

/// Builds the AST from YAML. libyaml (through Yams) does the parsing; this maps its node tree onto the
/// spec's structure and reports misplaced or mistyped entries with their line and column.
public enum YAMLReader {
  /// Aliases can make a small file describe an enormous tree; past this many nodes the spec is refused
  /// rather than letting the tool hang.
  static let nodeLimit = 1_000_000

  public static func read(text: String, file: String, diagnostics: inout DiagnosticBag) -> Spec? {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      diagnostics.append(diagnostic(for: error, file: file, text: text))
      return nil
    } catch {
      diagnostics.error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
      return nil
    }
    var reader = Reader(file: file)
    let spec = reader.spec(root)
    diagnostics.append(contentsOf: reader.diagnostics.diagnostics)
    return reader.exceededLimit ? nil : spec
  }

  /// Reads one YAML value (a scalar, `[1, 2]` or `{a: 1}`) written on the command line. Locations
  /// point into the pseudo-file `file`, at `line`, shifted right by `columnOffset`.
  public static func readValue(
    text: String, file: String, line: Int, columnOffset: Int, diagnostics: inout DiagnosticBag
  ) -> Expr? {
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      diagnostics.error(
        "cannot read the value '\(text)' as YAML",
        at: SourceLocation(file: file, line: line, column: columnOffset + 1))
      return nil
    }
    guard let node else {
      diagnostics.error(
        "the value is empty", at: SourceLocation(file: file, line: line, column: columnOffset + 1))
      return nil
    }
    var reader = Reader(file: file)
    reader.lineOverride = line
    reader.columnOffset = columnOffset
    let value = reader.expr(node)
    diagnostics.append(contentsOf: reader.diagnostics.diagnostics)
    return value
  }

  /// What to say after "unknown section 'key'": where a key of another section belongs, or the
  /// closest section name.
  static func misplacedSectionHint(_ key: String) -> String {
    let owners: [(String, [String])] = [
      ("model", ["layers", "input", "name"]),
      ("train", Vocabulary.trainSchema.keys.map(\.name)),
      ("data", Vocabulary.dataSchema.keys.map(\.name)),
    ]
    if let owner = owners.first(where: { $0.1.contains(key) }) {
      return "; '\(key)' belongs under '\(owner.0)', indented"
    }
    return Suggestions.didYouMean(key, in: Vocabulary.sections)
  }

  /// libyaml's words for the usual mistakes, in plainer ones: a tab in the indentation, a line
  /// indented less (or more) than the entries it belongs with.
  static func plainProblem(_ problem: String, at mark: Mark, text: String) -> String {
    if problem.contains("cannot start any token"), character(at: mark, in: text) == "\t" {
      return "tab characters are not allowed for indentation in YAML; indent with spaces"
    }
    if problem == "did not find expected key" || problem == "did not find expected '-' indicator" {
      return "this line is not indented like the entries before it (\(problem))"
    }
    return problem
  }

  static func character(at mark: Mark, in text: String) -> Character? {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard mark.line >= 1, mark.line <= lines.count else { return nil }
    let line = lines[mark.line - 1]
    guard mark.column >= 1, mark.column <= line.count else { return nil }
    return line[line.index(line.startIndex, offsetBy: mark.column - 1)]
  }

  static func diagnostic(for error: YamlError, file: String, text: String = "") -> Diagnostic {
    func located(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> Diagnostic {
      var notes: [Diagnostic] = []
      if let context {
        notes.append(
          .note(
            context.text, at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
          ))
      }
      return .error(
        "YAML syntax: \(plainProblem(problem, at: mark, text: text))",
        at: SourceLocation(file: file, line: mark.line, column: mark.column),
        notes: notes)
    }
    switch error {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      return located(problem, mark, context)
    case .duplicatedKeysInMapping(let duplicates, let context):
      // libyaml's composer (through Yams) refuses duplicate keys before the AST is built.
      return .error(
        "duplicate key " + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "),
        at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
    case .reader(let problem, let offset, _, _):
      return .error(
        "YAML cannot be read: \(problem)\(offset.map { " at byte \($0)" } ?? "")",
        at: SourceLocation(file: file, line: 1, column: 1))
    default:
      return .error("YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
  }

  fileprivate struct Reader {
    let file: String
    var diagnostics = DiagnosticBag()
    var visited = 0
    var exceededLimit = false
    /// For values read from the command line: every node is on this line, shifted by `columnOffset`.
    var lineOverride: Int?
    var columnOffset = 0

    init(file: String) { self.file = file }

    func location(_ node: Node) -> SourceLocation {
      guard let mark = node.mark else {
        return SourceLocation(file: file, line: lineOverride ?? 1, column: 1)
      }
      var length = 1
      if case .scalar(let scalar) = node { length = max(1, scalar.string.count) }
      return SourceLocation(
        file: file, line: lineOverride ?? mark.line, column: mark.column + columnOffset, length: length)
    }

    mutating func count() -> Bool {
      visited += 1
      if visited > YAMLReader.nodeLimit {
        if !exceededLimit {
          diagnostics.error(
            "the spec expands to more than \(YAMLReader.nodeLimit) YAML nodes (through aliases?)",
            at: SourceLocation(file: file, line: 1, column: 1))
        }
        exceededLimit = true
        return false
      }
      return true
    }

    mutating func expected(_ what: String, _ node: Node) {
      diagnostics.error("expected \(what), found \(describe(node))", at: location(node))
    }

    func describe(_ node: Node) -> String {
      switch node {
      case .scalar(let scalar): return "'\(scalar.string)'"
      case .mapping: return "a map"
      case .sequence: return "a list"
      case .alias: return "an alias"
      }
    }

    /// Map entries whose keys are plain scalars, in file order.
    mutating func entries(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
      guard case .mapping(let mapping) = node else {
        expected(what, node)
        return nil
      }
      // Duplicate keys never get here: the composer rejects them (see `diagnostic(for:)`).
      var result: [(String, Node, Node)] = []
      for (key, value) in mapping {
        guard case .scalar(let scalar) = key else {
          expected("a key", key)
          continue
        }
        result.append((scalar.string, key, value))
      }
      return result
    }

    mutating func spec(_ root: Node?) -> Spec {
      var spec = Spec(file: file)
      guard let root else {
        diagnostics.error("the spec is empty", at: SourceLocation(file: file, line: 1, column: 1))
        return spec
      }
      guard let sections = entries(root, "a map of sections (model, data, loss, ...)") else { return spec }
      for (key, keyNode, value) in sections {
        spec.sectionLines[key] = location(keyNode).line
        switch key {
        case "model": spec.model = model(value, at: location(keyNode))
        case "blocks": spec.blocks = blocks(value)
        case "data": spec.data = expr(value)
        case "augment": spec.augment = calls(value, "augmentations")
        case "loss": spec.loss = call(value)
        case "optimizer": spec.optimizer = call(value)
        case "metrics": spec.metrics = calls(value, "metrics")
        case "train": spec.train = expr(value)
        case "predict": spec.predict = expr(value)
        default:
          diagnostics.error(
            "unknown section '\(key)'" + YAMLReader.misplacedSectionHint(key),
            at: location(keyNode))
        }
      }
      return spec
    }

    mutating func model(_ node: Node, at keyLocation: SourceLocation) -> ModelDecl? {
      guard let fields = entries(node, "a map with 'input' and 'layers'") else { return nil }
      var model = ModelDecl(name: nil, input: nil, layers: [], at: keyLocation)
      for (key, keyNode, value) in fields {
        switch key {
        case "name":
          if case .scalar(let scalar) = value {
            model.name = scalar.string
          } else {
            expected("a name", value)
          }
        case "input": model.input = expr(value)
        case "layers": model.layers = layers(value)
        default:
          diagnostics.error(
            "unknown key '\(key)' in model\(Suggestions.didYouMean(key, in: ["name", "input", "layers"]))",
            at: location(keyNode))
        }
      }
      return model
    }

    mutating func blocks(_ node: Node) -> [BlockDecl] {
      guard let declarations = entries(node, "a map of block names to blocks") else { return [] }
      var result: [BlockDecl] = []
      for (name, nameNode, value) in declarations {
        var block = BlockDecl(name: name, parameters: [], layers: [], at: location(nameNode))
        guard let fields = entries(value, "a map with 'params' and 'layers'") else { continue }
        for (key, keyNode, field) in fields {
          switch key {
          case "params": block.parameters = blockParameters(field)
          case "layers": block.layers = layers(field)
          default:
            diagnostics.error(
              "unknown key '\(key)' in block '\(name)'\(Suggestions.didYouMean(key, in: ["params", "layers"]))",
              at: location(keyNode))
          }
        }
        result.append(block)
      }
      return result
    }

    /// `[filters, {stride: 1}]`: a bare name is required, a one-entry map gives a default.
    mutating func blockParameters(_ node: Node) -> [BlockParameter] {
      guard case .sequence(let items) = node else {
        expected("a list of parameter names", node)
        return []
      }
      var result: [BlockParameter] = []
      for item in items {
        switch item {
        case .scalar(let scalar):
          result.append(BlockParameter(name: scalar.string, defaultValue: nil, at: location(item)))
        case .mapping:
          for (key, keyNode, value) in entries(item, "a parameter") ?? [] {
            result.append(BlockParameter(name: key, defaultValue: expr(value), at: location(keyNode)))
          }
        default:
          expected("a parameter name or 'name: default'", item)
        }
      }
      return result
    }

    mutating func layers(_ node: Node) -> [Layer] {
      guard case .sequence(let items) = node else {
        expected("a list of layers", node)
        return []
      }
      return items.compactMap { layer($0) }
    }

    mutating func layer(_ node: Node) -> Layer? {
      guard count() else { return nil }
      switch node {
      case .scalar(let scalar):
        return Layer(.call(Call(name: scalar.string, at: location(node))), at: location(node))
      case .mapping(let mapping):
        guard mapping.count == 1, let (keyNode, value) = mapping.first,
          case .scalar(let keyScalar) = keyNode
        else {
          diagnostics.error(
            "a layer is written as one name with its arguments, like 'conv2d: {filters: 32, kernel: 3}'",
            at: location(node))
          return nil
        }
        let name = keyScalar.string
        let here = location(keyNode)
        switch name {
        case "residual":
          var main: [Layer] = []
          var shortcut: [Layer]?
          for (key, keyNode, field) in entries(value, "a map with 'layers' and an optional 'shortcut'") ?? []
          {
            switch key {
            case "layers": main = layers(field)
            case "shortcut": shortcut = layers(field)
            default:
              diagnostics.error(
                "unknown key '\(key)' in residual\(Suggestions.didYouMean(key, in: ["layers", "shortcut"]))",
                at: location(keyNode))
            }
          }
          return Layer(.residual(main: main, shortcut: shortcut), at: here)
        case "concat":
          guard case .sequence(let items) = value else {
            expected("a list of branches ('- branch: [...]')", value)
            return nil
          }
          var branches: [Branch] = []
          for item in items {
            guard let fields = entries(item, "'branch: [layers]'") else { continue }
            for (key, keyNode, field) in fields {
              if key == "branch" {
                branches.append(Branch(layers: layers(field), at: location(keyNode)))
              } else {
                diagnostics.error("expected 'branch', found '\(key)'", at: location(keyNode))
              }
            }
          }
          return Layer(.concat(branches: branches), at: here)
        case "repeat":
          var countExpr: Expr?
          var body: [Layer] = []
          for (key, keyNode, field) in entries(value, "a map with 'count' and 'layers'") ?? [] {
            switch key {
            case "count": countExpr = expr(field)
            case "layers": body = layers(field)
            default:
              diagnostics.error(
                "unknown key '\(key)' in repeat\(Suggestions.didYouMean(key, in: ["count", "layers"]))",
                at: location(keyNode))
            }
          }
          guard let countExpr else {
            diagnostics.error("'repeat' needs a 'count'", at: here)
            return nil
          }
          return Layer(.repeat(count: countExpr, body: body), at: here)
        default:
          return Layer(.call(Call(name: name, arguments: arguments(value), at: here)), at: here)
        }
      default:
        expected("a layer", node)
        return nil
      }
    }

    /// A map gives named arguments; any other value is the single positional argument.
    mutating func arguments(_ node: Node) -> [Argument] {
      if case .scalar(let scalar) = node, scalar.style == .plain,
        scalar.string.isEmpty || scalar.string == "~"
          || scalar.string == "null"
      {
        return []
      }
      if case .mapping = node {
        return (entries(node, "arguments") ?? []).compactMap { key, keyNode, value in
          expr(value).map { Argument(label: key, labelLocation: location(keyNode), value: $0) }
        }
      }
      return expr(node).map { [Argument(label: nil, labelLocation: location(node), value: $0)] } ?? []
    }

    /// `adam`, `{adam: {lr: 0.001}}` or `{sgd: 0.1}`.
    mutating func call(_ node: Node) -> Call? {
      switch node {
      case .scalar(let scalar):
        return Call(name: scalar.string, at: location(node))
      case .mapping(let mapping):
        guard mapping.count == 1, let (keyNode, value) = mapping.first, case .scalar(let key) = keyNode else {
          diagnostics.error(
            "expected one name with its arguments, like '{adam: {lr: 0.001}}'", at: location(node))
          return nil
        }
        return Call(name: key.string, arguments: arguments(value), at: location(keyNode))
      default:
        expected("a name or a map of one name to its arguments", node)
        return nil
      }
    }

    mutating func calls(_ node: Node, _ what: String) -> [Call] {
      guard case .sequence(let items) = node else {
        expected("a list of \(what)", node)
        return []
      }
      return items.compactMap { call($0) }
    }

    mutating func expr(_ node: Node) -> Expr? {
      guard count() else { return nil }
      let here = location(node)
      switch node {
      case .scalar(let scalar):
        return Expr(Self.scalarKind(scalar), at: here)
      case .sequence(let items):
        return Expr(.list(items.compactMap { expr($0) }), at: here)
      case .mapping:
        let fields = entries(node, "a map") ?? []
        return Expr(
          .map(
            fields.compactMap { key, keyNode, value in
              expr(value).map { MapEntry(key: key, keyLocation: location(keyNode), value: $0) }
            }), at: here)
      case .alias:
        expected("a value", node)
        return nil
      }
    }

    static func scalarKind(_ scalar: Node.Scalar) -> Expr.Kind {
      let text = scalar.string
      guard scalar.style == .plain else { return .string(text) }
      if text.hasPrefix("$"), text.count > 1 { return .reference(String(text.dropFirst())) }
      switch text {
      case "true", "True", "TRUE": return .bool(true)
      case "false", "False", "FALSE": return .bool(false)
      default: break
      }
      if let value = Int(text) { return .int(value) }
      // YAML 1.1 would read `1e-3` as a string; a spec means the number.
      if text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true,
        let value = Double(text),
        value.isFinite
      {
        return .double(value)
      }
      return .string(text)
    }
  }
}
