/// Writes a `Spec` as text in either syntax (`nnc fmt`). Printing and parsing again gives an equal
/// AST. The printers expect a spec whose positional arguments have been resolved (what `SpecLoader`
/// returns).
public enum SpecPrinter {
  /// The spec in the `.nnc` syntax: two-space indentation, sections in `Vocabulary.sections` order,
  /// leading arguments positional where the signature allows it.
  public static func nnc(_ spec: Spec) -> String {
    DSLPrinter(spec: spec).print()
  }

  /// The parameter names that may be written without a label, looked up the way
  /// `Spec.resolvingPositionalArguments` resolves them.
  static func positionalNames(forLayer name: String, in spec: Spec) -> [String] {
    if let signature = Vocabulary.layers[name] { return signature.positional }
    return spec.block(named: name)?.parameters.map(\.name) ?? []
  }

  static func positionalNames(for call: Call, in signatures: [Signature]) -> [String] {
    signatures.first { $0.name == call.name }?.positional ?? []
  }

  /// How many leading arguments are written positionally: those the author wrote without a label
  /// whose labels are the signature's positional names in order (or that have no label yet).
  static func positionalPrefix(_ call: Call, _ names: [String]) -> Int {
    var count = 0
    for (index, argument) in call.arguments.enumerated() {
      guard
        argument.label == nil
          || (argument.isPositional && index < names.count && argument.label == names[index])
      else { break }
      count += 1
    }
    return count
  }

  /// The shortest text that reads back as exactly `value`, always recognizable as a floating-point
  /// number: `0.5`, `1.0`, `1e-5` (DSL) or `1.0e-5` (YAML, whose 1.1 float form needs a dot and a
  /// signed exponent).
  static func format(_ value: Double, yamlStyle: Bool) -> String {
    let text = value.description
    guard value.isFinite else { return text }
    guard let exponentIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
      return text.contains(".") ? text : text + ".0"
    }
    var mantissa = String(text[..<exponentIndex])
    var exponent = Substring(text[text.index(after: exponentIndex)...])
    var negative = false
    if exponent.first == "-" || exponent.first == "+" {
      negative = exponent.first == "-"
      exponent = exponent.dropFirst()
    }
    let digits = exponent.drop { $0 == "0" }
    let exponentDigits = digits.isEmpty ? "0" : String(digits)
    if yamlStyle {
      if !mantissa.contains(".") { mantissa += ".0" }
      return mantissa + "e" + (negative ? "-" : "+") + exponentDigits
    }
    return mantissa + "e" + (negative ? "-" : "") + exponentDigits
  }
}

/// Builds the `.nnc` text line by line.
private struct DSLPrinter {
  let spec: Spec
  let width = 100

  init(spec: Spec) { self.spec = spec }

  func print() -> String {
    var chunks: [[String]] = []
    for section in Vocabulary.sections {
      switch section {
      case "model":
        if let model = spec.model { chunks.append(modelLines(model)) }
      case "blocks":
        for block in spec.blocks { chunks.append(blockLines(block)) }
      case "data":
        if let data = spec.data { chunks.append(sectionValue("data", data)) }
      case "augment":
        if let augment = spec.augment {
          if augment.isEmpty {
            chunks.append([mark("augment {}", sectionLocation("augment"))])
          } else {
            let calls = augment.map { mark("  " + call($0, Vocabulary.augmentations), $0.location) }
            chunks.append([mark("augment {", sectionLocation("augment"))] + calls + ["}"])
          }
        }
      case "loss":
        if let loss = spec.loss {
          chunks.append([
            mark("loss " + call(loss, Vocabulary.losses), sectionLocation("loss") ?? loss.location)
          ])
        }
      case "optimizer":
        if let optimizer = spec.optimizer {
          chunks.append([
            mark(
              "optimizer " + call(optimizer, Vocabulary.optimizers),
              sectionLocation("optimizer") ?? optimizer.location)
          ])
        }
      case "metrics":
        if let metrics = spec.metrics {
          chunks.append([
            mark(
              "metrics [" + metrics.map { call($0, Vocabulary.metrics) }.joined(separator: ", ") + "]",
              sectionLocation("metrics") ?? metrics.first?.location)
          ])
        }
      case "train":
        if let train = spec.train { chunks.append(sectionValue("train", train)) }
      case "predict":
        if let predict = spec.predict { chunks.append(sectionValue("predict", predict)) }
      default:
        break
      }
    }
    // Multi-line sections stand apart; consecutive one-line sections stay together.
    var out: [String] = []
    for (index, chunk) in chunks.enumerated() {
      if index > 0, chunk.count > 1 || chunks[index - 1].count > 1 { out.append("") }
      out += chunk
    }
    out = SpecComments.interleave(out, spec.comments)
    return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
  }

  /// Where a section's keyword was written, when it was read from a file.
  func sectionLocation(_ keyword: String) -> SourceLocation? {
    spec.sectionLines[keyword].map { SourceLocation(file: spec.file, line: $0, column: 1) }
  }

  func mark(_ line: String, _ source: SourceLocation?) -> String { SpecComments.mark(line, source) }

  // MARK: Names

  /// An identifier as is; anything else (or a word with a meaning of its own here) quoted.
  func name(_ text: String, reserved: Set<String> = []) -> String {
    DSLLexer.isIdentifier(text) && !reserved.contains(text) ? text : quoted(text)
  }

  /// Other control characters as `\u{X}`, which the lexer reads back.
  func quoted(_ text: String) -> String {
    doubleQuoted(text) { scalar in
      if scalar == "\0" { return "\\0" }
      return scalar.value < 0x20 || scalar.value == 0x7F
        ? "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" : nil
    }
  }

  // MARK: Values

  /// A value on one line. `scope` holds the block parameters a bare word refers to.
  func value(_ expr: Expr, scope: Set<String>, callForm: Bool = true) -> String {
    switch expr.kind {
    case .int(let number): return String(number)
    case .double(let number): return SpecPrinter.format(number, yamlStyle: false)
    case .bool(let flag): return flag ? "true" : "false"
    case .string(let text):
      let plain = DSLLexer.isIdentifier(text) && text != "true" && text != "false" && !scope.contains(text)
      return plain ? text : quoted(text)
    case .reference(let text):
      if scope.contains(text), DSLLexer.isIdentifier(text), text != "true", text != "false" { return text }
      return "$" + (DSLLexer.isIdentifier(text) ? text : quoted(text))
    case .list(let elements):
      return "[" + elements.map { value($0, scope: scope) }.joined(separator: ", ") + "]"
    case .map(let entries):
      if entries.isEmpty { return "{}" }
      if callForm, let (word, arguments) = callShape(entries) {
        let text = arguments.map { name($0.key) + ": " + value($0.value, scope: scope) }
        return word + "(" + text.joined(separator: ", ") + ")"
      }
      let text = entries.map { name($0.key) + ": " + value($0.value, scope: scope) }
      return "{ " + text.joined(separator: ", ") + " }"
    }
  }

  /// `{step: {every: 5}}` reads best as `step(every: 5)`: one entry, named by a plain word, whose value
  /// is a non-empty map of scalars.
  func callShape(_ entries: [MapEntry]) -> (String, [MapEntry])? {
    guard entries.count == 1, let entry = entries.first, DSLLexer.isIdentifier(entry.key),
      entry.key != "true", entry.key != "false", case .map(let inner) = entry.value.kind, !inner.isEmpty,
      inner.allSatisfy({ entry in
        switch entry.value.kind {
        case .list, .map: return false
        default: return true
        }
      })
    else { return nil }
    return (entry.key, inner)
  }

  /// A section's value: on one line when it fits, otherwise one map entry per line.
  func sectionValue(_ keyword: String, _ expr: Expr) -> [String] {
    valueLines(
      prefix: keyword + " ", expr, indent: 0, scope: [], callForm: false,
      source: sectionLocation(keyword) ?? expr.location)
  }

  /// `source` is where the value (or the key it follows) was written.
  func valueLines(
    prefix: String, _ expr: Expr, indent: Int, scope: Set<String>, callForm: Bool = true,
    source: SourceLocation? = nil
  ) -> [String] {
    let pad = String(repeating: " ", count: indent)
    let flat = value(expr, scope: scope, callForm: callForm)
    if indent + prefix.count + flat.count <= width, !SpecComments.inside(expr, from: source, spec.comments) {
      return [mark(pad + prefix + flat, source)]
    }
    switch expr.kind {
    case .map(let entries) where !entries.isEmpty:
      var out = [mark(pad + prefix + "{", source)]
      for entry in entries {
        out += valueLines(
          prefix: name(entry.key) + ": ", entry.value, indent: indent + 2, scope: scope,
          source: entry.keyLocation)
      }
      return out + [pad + "}"]
    case .list(let elements) where !elements.isEmpty:
      var out = [mark(pad + prefix + "[", source)]
      for element in elements {
        var elementLines = valueLines(
          prefix: "", element, indent: indent + 2, scope: scope, source: element.location)
        elementLines[elementLines.count - 1] += ","
        out += elementLines
      }
      return out + [pad + "]"]
    default:
      return [mark(pad + prefix + flat, source)]
    }
  }

  // MARK: Calls and layers

  func call(_ call: Call, _ signatures: [Signature]) -> String {
    self.call(call, positional: SpecPrinter.positionalNames(for: call, in: signatures), scope: [])
  }

  func call(_ call: Call, positional: [String], scope: Set<String>, reserved: Set<String> = []) -> String {
    let callName = name(call.name, reserved: reserved)
    guard !call.arguments.isEmpty else { return callName }
    let leading = SpecPrinter.positionalPrefix(call, positional)
    let arguments = call.arguments.enumerated().map { index, argument in
      let text = value(argument.value, scope: scope)
      guard index >= leading, let label = argument.label else { return text }
      return name(label) + ": " + text
    }
    return callName + "(" + arguments.joined(separator: ", ") + ")"
  }

  func modelLines(_ model: ModelDecl) -> [String] {
    var header = "model "
    if let modelName = model.name { header += name(modelName) + " " }
    var body: [String] = []
    if let input = model.input { body.append(mark("  input " + value(input, scope: []), input.location)) }
    body += model.layers.flatMap { layerLines($0, indent: 2, scope: []) }
    let source = sectionLocation("model") ?? model.location
    return body.isEmpty ? [mark(header + "{}", source)] : [mark(header + "{", source)] + body + ["}"]
  }

  func blockLines(_ block: BlockDecl) -> [String] {
    var header = "block " + name(block.name)
    if !block.parameters.isEmpty {
      let parameters = block.parameters.map { parameter in
        // Defaults are not in the parameters' scope, so a reference there keeps its `$`.
        name(parameter.name) + (parameter.defaultValue.map { ": " + value($0, scope: []) } ?? "")
      }
      header += "(" + parameters.joined(separator: ", ") + ")"
    }
    let scope = Set(block.parameters.map(\.name))
    return braced(header, block.layers, indent: 0, scope: scope, source: block.location)
  }

  /// `header {` layers `}`, or `header {}` when there are none.
  func braced(
    _ header: String, _ layers: [Layer], indent: Int, scope: Set<String>, source: SourceLocation? = nil
  ) -> [String] {
    let pad = String(repeating: " ", count: indent)
    if layers.isEmpty { return [mark(pad + header + " {}", source)] }
    let body = layers.flatMap { layerLines($0, indent: indent + 2, scope: scope) }
    return [mark(pad + header + " {", source)] + body + [pad + "}"]
  }

  func layerLines(_ layer: Layer, indent: Int, scope: Set<String>) -> [String] {
    let pad = String(repeating: " ", count: indent)
    switch layer.kind {
    case .call(let layerCall):
      let positional = SpecPrinter.positionalNames(forLayer: layerCall.name, in: spec)
      return [
        mark(
          pad + call(layerCall, positional: positional, scope: scope, reserved: DSLParser.layerKeywords),
          layer.location)
      ]
    case .residual(let main, let shortcut):
      var out = braced("residual", main, indent: indent, scope: scope, source: layer.location)
      if let shortcut {
        let tail = braced("shortcut", shortcut, indent: indent, scope: scope)
        out[out.count - 1] += " " + tail[0].dropFirst(indent)
        out += tail.dropFirst()
      }
      return out
    case .concat(let branches):
      if branches.isEmpty { return [mark(pad + "concat {}", layer.location)] }
      var out = [mark(pad + "concat {", layer.location)]
      for branch in branches {
        out += braced("branch", branch.layers, indent: indent + 2, scope: scope, source: branch.location)
      }
      return out + [pad + "}"]
    case .repeat(let count, let body):
      return braced(
        "repeat(" + value(count, scope: scope) + ")", body, indent: indent, scope: scope,
        source: layer.location)
    }
  }
}
