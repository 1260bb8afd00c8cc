extension SpecPrinter {
  /// The spec in YAML, in the form `YAMLReader` reads: block style for sections and layer lists, flow
  /// style (`{...}`, `[...]`) for arguments and short values. Strings that YAML would read as something
  /// else are quoted; references print as `$name`.
  public static func yaml(_ spec: Spec) -> String {
    let lines = SpecComments.interleave(YAMLPrinter(spec: spec).print(), spec.comments)
    // An empty document would read as "no spec at all"; an empty map is a spec with no sections.
    return lines.isEmpty ? "{}\n" : lines.joined(separator: "\n") + "\n"
  }
}

/// Builds the YAML text line by line.
private struct YAMLPrinter {
  let spec: Spec
  let width = 100

  init(spec: Spec) { self.spec = spec }

  /// Where a section's key was written, when it was read from a file.
  func sectionLocation(_ key: String) -> SourceLocation? {
    spec.sectionLines[key].map { SourceLocation(file: spec.file, line: $0, column: 1) }
  }

  func mark(_ line: String, _ source: SourceLocation?) -> String { SpecComments.mark(line, source) }

  /// The lines, each marked with the source line of the element it starts (see `SpecComments`).
  func print() -> [String] {
    var out: [String] = []
    for section in Vocabulary.sections {
      switch section {
      case "model":
        if let model = spec.model { out += modelLines(model) }
      case "blocks":
        if !spec.blocks.isEmpty {
          out.append(mark("blocks:", sectionLocation("blocks")))
          for block in spec.blocks { out += blockLines(block) }
        }
      case "data":
        if let data = spec.data {
          out += entryLines(key: "data", data, indent: 0, source: sectionLocation("data") ?? data.location)
        }
      case "augment":
        if let augment = spec.augment {
          if augment.isEmpty {
            out.append(mark("augment: []", sectionLocation("augment")))
          } else {
            out.append(mark("augment:", sectionLocation("augment")))
            out += augment.map { mark("  - " + call($0, Vocabulary.augmentations), $0.location) }
          }
        }
      case "loss":
        if let loss = spec.loss {
          out.append(mark("loss: " + call(loss, Vocabulary.losses), sectionLocation("loss") ?? loss.location))
        }
      case "optimizer":
        if let optimizer = spec.optimizer {
          out.append(
            mark(
              "optimizer: " + call(optimizer, Vocabulary.optimizers),
              sectionLocation("optimizer") ?? optimizer.location))
        }
      case "metrics":
        if let metrics = spec.metrics {
          let items = metrics.map { call($0, Vocabulary.metrics) }
          let flat = "metrics: [" + items.joined(separator: ", ") + "]"
          let source = sectionLocation("metrics") ?? metrics.first?.location
          if flat.count <= width || items.isEmpty {
            out.append(mark(flat, source))
          } else {
            out.append(mark("metrics:", source))
            out += zip(items, metrics).map { mark("  - " + $0, $1.location) }
          }
        }
      case "train":
        if let train = spec.train {
          out += entryLines(
            key: "train", train, indent: 0, source: sectionLocation("train") ?? train.location)
        }
      case "predict":
        if let predict = spec.predict {
          out += entryLines(
            key: "predict", predict, indent: 0, source: sectionLocation("predict") ?? predict.location)
        }
      default:
        break
      }
    }
    return out
  }

  // MARK: Scalars

  /// Words YAML (1.1 or 1.2) gives a meaning of their own.
  static let reservedWords: Set<String> = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
  ]

  /// `text` as a YAML scalar that reads back as the same string.
  static func scalar(_ text: String) -> String {
    needsQuotes(text) ? quoted(text) : text
  }

  static func needsQuotes(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first else { return true }
    let isLetter = DSLLexer.isIdentifierStart(first)
    guard isLetter || first == "." || first == "/" else { return true }
    let safe = text.unicodeScalars.allSatisfy { scalar in
      DSLLexer.isIdentifierContinue(scalar) || scalar == "." || scalar == "/" || scalar == "-"
    }
    guard safe else { return true }
    if reservedWords.contains(text.lowercased()) { return true }
    // `.5`, `.inf` and the like would read as numbers.
    return Int(text) != nil || Double(text) != nil
      || text.lowercased().hasPrefix(".")
        && text.dropFirst().allSatisfy(\.isLetter)
  }

  /// A double-quoted YAML scalar; control characters and Unicode line separators are escaped so the
  /// string survives line folding.
  static func quoted(_ text: String) -> String {
    doubleQuoted(text) { scalar in
      if scalar == "\0" { return "\\0" }
      let code = scalar.value
      guard
        code < 0x20 || (code >= 0x7F && code <= 0x9F) || code == 0x2028 || code == 0x2029 || code == 0xFEFF
      else { return nil }
      let hex = String(code, radix: 16, uppercase: true)
      return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
  }

  // MARK: Values

  func flow(_ expr: Expr) -> String {
    switch expr.kind {
    case .int(let number): return String(number)
    case .double(let number): return SpecPrinter.format(number, yamlStyle: true)
    case .bool(let flag): return flag ? "true" : "false"
    case .string(let text): return Self.scalar(text)
    case .reference(let name): return "$" + name
    case .list(let elements): return "[" + elements.map(flow).joined(separator: ", ") + "]"
    case .map(let entries):
      return "{" + entries.map { Self.scalar($0.key) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
    }
  }

  /// `key: value`, in flow style when it fits on the line, otherwise as a block map or list.
  /// `source` is where the key was written.
  func entryLines(key: String, _ expr: Expr, indent: Int, source: SourceLocation?) -> [String] {
    let pad = String(repeating: " ", count: indent)
    let head = pad + Self.scalar(key) + ":"
    let flat = flow(expr)
    switch expr.kind {
    case .map(let entries)
    where !entries.isEmpty
      && (head.count + 1 + flat.count > width || indent == 0
        || SpecComments.inside(expr, from: source, spec.comments)):
      // Sections (indent 0) are always block maps: one setting per line reads best.
      return [mark(head, source)]
        + entries.flatMap { entryLines(key: $0.key, $0.value, indent: indent + 2, source: $0.keyLocation) }
    case .list(let elements)
    where !elements.isEmpty
      && (head.count + 1 + flat.count > width || SpecComments.inside(expr, from: source, spec.comments)):
      return [mark(head, source)] + elements.flatMap { itemLines($0, indent: indent + 2) }
    default:
      return [mark(head + " " + flat, source)]
    }
  }

  /// `- value` in a block list; a long map starts on the next line.
  func itemLines(_ expr: Expr, indent: Int) -> [String] {
    let pad = String(repeating: " ", count: indent)
    let flat = flow(expr)
    if pad.count + 2 + flat.count <= width { return [mark(pad + "- " + flat, expr.location)] }
    switch expr.kind {
    case .map(let entries) where !entries.isEmpty:
      return [mark(pad + "-", expr.location)]
        + entries.flatMap { entryLines(key: $0.key, $0.value, indent: indent + 2, source: $0.keyLocation) }
    case .list(let elements) where !elements.isEmpty:
      return [mark(pad + "-", expr.location)] + elements.flatMap { itemLines($0, indent: indent + 2) }
    default:
      return [mark(pad + "- " + flat, expr.location)]
    }
  }

  // MARK: Calls and layers

  /// The arguments of a call as YAML reads them: a lone leading positional argument that is not a map
  /// as the value itself (`dense: 10`), otherwise a map of labels.
  func argumentsValue(_ call: Call, positional: [String]) -> Expr? {
    guard !call.arguments.isEmpty else { return nil }
    if call.arguments.count == 1, let argument = call.arguments.first,
      SpecPrinter.positionalPrefix(call, positional) == 1
    {
      if case .map = argument.value.kind {} else { return argument.value }
    }
    let entries = call.arguments.enumerated().map { index, argument in
      MapEntry(key: argument.label ?? "_\(index)", keyLocation: argument.labelLocation, value: argument.value)
    }
    return Expr(.map(entries), at: call.location)
  }

  /// `adam`, `{adam: {lr: 1.0e-3}}`.
  func call(_ call: Call, _ signatures: [Signature]) -> String {
    let positional = SpecPrinter.positionalNames(for: call, in: signatures)
    guard let arguments = argumentsValue(call, positional: positional) else { return Self.scalar(call.name) }
    return "{" + Self.scalar(call.name) + ": " + flow(arguments) + "}"
  }

  func modelLines(_ model: ModelDecl) -> [String] {
    var out = [mark("model:", sectionLocation("model") ?? model.location)]
    if let name = model.name { out.append("  name: " + Self.scalar(name)) }
    if let input = model.input { out += entryLines(key: "input", input, indent: 2, source: input.location) }
    out += layerListLines(key: "layers", model.layers, indent: 2)
    return out
  }

  func blockLines(_ block: BlockDecl) -> [String] {
    var out = [mark("  " + Self.scalar(block.name) + ":", block.location)]
    if !block.parameters.isEmpty {
      let parameters = block.parameters.map { parameter in
        guard let defaultValue = parameter.defaultValue else { return Self.scalar(parameter.name) }
        return "{" + Self.scalar(parameter.name) + ": " + flow(defaultValue) + "}"
      }
      out.append("    params: [" + parameters.joined(separator: ", ") + "]")
    }
    out += layerListLines(key: "layers", block.layers, indent: 4)
    return out
  }

  /// `key:` followed by the layers as a block list, or `key: []`.
  func layerListLines(key: String, _ layers: [Layer], indent: Int) -> [String] {
    let pad = String(repeating: " ", count: indent)
    if layers.isEmpty { return [pad + key + ": []"] }
    return [pad + key + ":"] + layers.flatMap { layerLines($0, indent: indent + 2) }
  }

  func layerLines(_ layer: Layer, indent: Int) -> [String] {
    let pad = String(repeating: " ", count: indent)
    switch layer.kind {
    case .call(let call):
      let positional = SpecPrinter.positionalNames(forLayer: call.name, in: spec)
      guard let arguments = argumentsValue(call, positional: positional) else {
        return [mark(pad + "- " + Self.scalar(call.name), layer.location)]
      }
      let line = pad + "- " + Self.scalar(call.name) + ": " + flow(arguments)
      if line.count <= width { return [mark(line, layer.location)] }
      guard case .map(let entries) = arguments.kind else { return [mark(line, layer.location)] }
      return [mark(pad + "- " + Self.scalar(call.name) + ":", layer.location)]
        + entries.flatMap { entryLines(key: $0.key, $0.value, indent: indent + 4, source: $0.keyLocation) }
    case .residual(let main, let shortcut):
      var out = [mark(pad + "- residual:", layer.location)]
      out += layerListLines(key: "layers", main, indent: indent + 4)
      if let shortcut { out += layerListLines(key: "shortcut", shortcut, indent: indent + 4) }
      return out
    case .concat(let branches):
      if branches.isEmpty { return [mark(pad + "- concat: []", layer.location)] }
      var out = [mark(pad + "- concat:", layer.location)]
      let branchPad = String(repeating: " ", count: indent + 4)
      for branch in branches {
        if branch.layers.isEmpty {
          out.append(mark(branchPad + "- branch: []", branch.location))
        } else {
          out.append(mark(branchPad + "- branch:", branch.location))
          out += branch.layers.flatMap { layerLines($0, indent: indent + 8) }
        }
      }
      return out
    case .repeat(let count, let body):
      var out = [mark(pad + "- repeat:", layer.location)]
      out += entryLines(key: "count", count, indent: indent + 4, source: count.location)
      out += layerListLines(key: "layers", body, indent: indent + 4)
      return out
    }
  }
}
