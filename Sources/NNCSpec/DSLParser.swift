/// Parser for the `.nnc` syntax (see Grammar/nnc.ebnf). It builds the same `Spec` the YAML reader
/// builds; positional arguments keep a `nil` label, resolved afterwards by
/// `Spec.resolvingPositionalArguments` exactly as for YAML.
public enum DSLParser {
  /// Deeper nesting than this is refused with an error instead of exhausting the stack.
  static let maximumDepth = 200
  /// Past this many errors the rest of the file is not worth reading (it is likely not a spec at all).
  static let maximumErrors = 50

  /// The words that may start a top-level section.
  public static let sectionKeywords = [
    "model", "block", "data", "augment", "loss", "optimizer", "metrics", "train", "predict",
  ]

  /// Words with a meaning of their own inside a layer list; a layer with one of these names is quoted.
  static let layerKeywords: Set<String> = ["residual", "shortcut", "concat", "branch", "repeat", "input"]

  /// Parses `.nnc` text into a spec, appending every problem found to `diagnostics`. Returns what could
  /// be parsed (broken sections are left out), or `nil` when parsing had to stop early (nesting too
  /// deep, too many errors).
  public static func parse(text: String, file: String, diagnostics: inout DiagnosticBag) -> Spec? {
    var lexer = DSLLexer(text: text, file: file)
    let tokens = lexer.tokenize()
    let parser = Parser(tokens: tokens, file: file)
    parser.errorCount = min(lexer.problems.count, maximumErrors)
    let spec = parser.parseSpec()
    // Lexer and parser problems are merged in file order, so the first message is the first problem.
    var all = Array(lexer.problems.prefix(maximumErrors)) + parser.problems
    all = all.enumerated().sorted { lhs, rhs in
      let left = lhs.element.location ?? .unknown
      let right = rhs.element.location ?? .unknown
      if left.line != right.line { return left.line < right.line }
      if left.column != right.column { return left.column < right.column }
      return lhs.offset < rhs.offset
    }.map(\.element)
    diagnostics.append(contentsOf: all)
    if let stop = parser.stopped {
      diagnostics.append(stop)
    } else if lexer.problems.count > maximumErrors {
      diagnostics.error("too many errors; stopping here", at: lexer.problems[maximumErrors].location)
    }
    return spec
  }
}

/// Thrown after a problem has been reported. `fatal` stops the whole parse (nesting too deep, too many
/// errors); otherwise the nearest list recovers by skipping to the next line or closing brace.
private struct ParseFailure: Error {
  var fatal = false
}

private final class Parser {
  let tokens: [DSLToken]
  let file: String
  var position = 0
  var problems: [Diagnostic] = []
  var errorCount = 0
  /// Set when the parse gave up; reported after every other problem.
  var stopped: Diagnostic?

  init(tokens: [DSLToken], file: String) {
    self.tokens = tokens
    self.file = file
  }

  /// How each section looks, for messages that show the right form.
  static let sectionExample = [
    "model": "lenet5 { ... }", "block": "basic(filters) { ... }", "data": "{ format: idx, ... }",
    "augment": "{ hflip }", "loss": "cross_entropy", "optimizer": "adam(lr: 1e-3)",
    "metrics": "[accuracy]", "train": "{ epochs: 10 }", "predict": "{ threshold: 0.5 }",
  ]

  // MARK: Tokens

  var current: DSLToken { tokens[position] }

  var next: DSLToken { tokens[min(position + 1, tokens.count - 1)] }

  var atEnd: Bool { current.kind == .end }

  @discardableResult
  func advance() -> DSLToken {
    let token = current
    if position < tokens.count - 1 { position += 1 }
    return token
  }

  func at(_ punctuation: Character) -> Bool { current.isPunctuation(punctuation) }

  func accept(_ punctuation: Character) -> DSLToken? {
    at(punctuation) ? advance() : nil
  }

  /// A name: an identifier, or a quoted string for names that are not identifiers.
  var name: String? {
    switch current.kind {
    case .identifier(let text), .string(let text): return text
    default: return nil
    }
  }

  // MARK: Problems

  func report(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) throws {
    guard errorCount < DSLParser.maximumErrors else {
      stopped = .error("too many errors; stopping here", at: location)
      throw ParseFailure(fatal: true)
    }
    errorCount += 1
    problems.append(.error(message, at: location, notes: notes))
  }

  /// Reports `message` at the current token (unless the lexer already reported that token) and throws.
  func fail(_ message: String, notes: [Diagnostic] = []) throws -> Never {
    if current.kind != .invalid { try report(message, at: current.location, notes: notes) }
    throw ParseFailure()
  }

  func expect(_ punctuation: Character, _ message: @autoclosure () -> String, notes: [Diagnostic] = [])
    throws -> DSLToken
  {
    if let token = accept(punctuation) { return token }
    try fail("\(message()), found \(current.described)", notes: notes)
  }

  func checkDepth(_ depth: Int) throws {
    guard depth > DSLParser.maximumDepth else { return }
    try report(
      "the spec nests deeper than \(DSLParser.maximumDepth) levels", at: current.location)
    throw ParseFailure(fatal: true)
  }

  var startsSectionAtMargin: Bool {
    guard current.startsLine, current.location.column == 1, let word = current.identifier else {
      return false
    }
    return DSLParser.sectionKeywords.contains(word)
  }

  /// Skips the rest of a broken line: stops before the first token that starts a line or closes the
  /// enclosing list, counting brackets opened on the way so their contents are skipped too.
  func skipRestOfLine() {
    var depth = 0
    while !atEnd {
      if depth == 0 && (current.startsLine || at("}")) { return }
      if at("(") || at("[") || at("{") {
        depth += 1
      } else if at(")") || at("]") || at("}") {
        depth = max(0, depth - 1)
      }
      advance()
    }
  }

  // MARK: Sections

  func parseSpec() -> Spec? {
    var spec = Spec(file: file)
    var seen: [String: SourceLocation] = [:]
    var blockLocations: [String: SourceLocation] = [:]
    while !atEnd {
      if accept(";") != nil { continue }
      let start = position
      do {
        guard case .identifier(let keyword) = current.kind else {
          try fail(
            "expected a section (\(DSLParser.sectionKeywords.joined(separator: ", "))), found "
              + current.described)
        }
        guard DSLParser.sectionKeywords.contains(keyword) else {
          try fail(
            "unknown section '\(keyword)'"
              + Suggestions.didYouMean(keyword, in: DSLParser.sectionKeywords))
        }
        let keywordToken = advance()
        if at(":") {
          try fail(
            "a section is written without ':' in .nnc, as in '\(keyword) \(Self.sectionExample[keyword] ?? "")'"
          )
        }
        if keyword != "block", let first = seen[keyword] {
          try report(
            "the '\(keyword)' section is written twice", at: keywordToken.location,
            notes: [.note("first written here", at: first)])
        }
        let isFirst = seen[keyword] == nil
        if isFirst { spec.sectionLines[keyword == "block" ? "blocks" : keyword] = keywordToken.location.line }
        if keyword != "block" { seen[keyword] = keywordToken.location }
        switch keyword {
        case "model":
          let model = try parseModel(keywordToken)
          if isFirst { spec.model = model }
        case "block":
          let block = try parseBlock()
          if let first = blockLocations[block.name] {
            try report(
              "block '\(block.name)' is defined twice", at: block.location,
              notes: [.note("first defined here", at: first)])
          } else {
            blockLocations[block.name] = block.location
            spec.blocks.append(block)
          }
        case "data":
          let data = try parseValue(scope: [], depth: 1)
          if isFirst { spec.data = data }
        case "train":
          let train = try parseValue(scope: [], depth: 1)
          if isFirst { spec.train = train }
        case "predict":
          let predict = try parseValue(scope: [], depth: 1)
          if isFirst { spec.predict = predict }
        case "augment":
          let calls = try parseAugment()
          if isFirst { spec.augment = calls }
        case "loss":
          let call = try parseCall("a loss, as in 'loss cross_entropy'", scope: [], depth: 1)
          if isFirst { spec.loss = call }
        case "optimizer":
          let call = try parseCall("an optimizer, as in 'optimizer adam(lr: 1e-3)'", scope: [], depth: 1)
          if isFirst { spec.optimizer = call }
        default:
          let calls = try parseMetrics()
          if isFirst { spec.metrics = calls }
        }
      } catch let failure as ParseFailure where failure.fatal {
        return nil
      } catch {
        if position == start { advance() }
        skipToNextSection()
      }
    }
    return spec
  }

  /// After a broken section: skip to the next line that starts, outside brackets, with a section keyword
  /// or with any word at the left margin (where sections are written, so a misspelt one is reported).
  func skipToNextSection() {
    var depth = 0
    while !atEnd {
      if current.startsLine, let word = current.identifier {
        let isKeyword = DSLParser.sectionKeywords.contains(word)
        let atMargin = current.location.column == 1
        // A keyword at the margin starts a section even when an unterminated string or an unclosed
        // bracket upset the bracket count.
        if (isKeyword && atMargin) || (depth == 0 && (isKeyword || atMargin)) { return }
      }
      if at("(") || at("[") || at("{") {
        depth += 1
      } else if at(")") || at("]") || at("}") {
        depth = max(0, depth - 1)
      }
      advance()
    }
  }

  func parseModel(_ keyword: DSLToken) throws -> ModelDecl {
    var modelName: String?
    if !at("{"), let text = name {
      modelName = text
      advance()
    }
    let owner = modelName.map { "model '\($0)'" } ?? "the model"
    var model = ModelDecl(name: modelName, input: nil, layers: [], at: keyword.location)
    var inputLocation: SourceLocation?
    var input: Expr?
    model.layers = try parseLayerList(owner: owner, scope: [], depth: 1) { parser in
      guard parser.current.identifier == "input" else { return false }
      let token = parser.advance()
      if parser.at(":") {
        try parser.fail("the input shape is written without ':', as in 'input [1, 28, 28]'")
      }
      if let first = inputLocation {
        try parser.report(
          "the model's input is written twice", at: token.location,
          notes: [.note("first written here", at: first)])
      }
      inputLocation = token.location
      let value = try parser.parseValue(scope: [], depth: 2)
      if input == nil { input = value }
      return true
    }
    model.input = input
    return model
  }

  func parseBlock() throws -> BlockDecl {
    guard let blockName = name else {
      try fail("expected the block's name after 'block', found \(current.described)")
    }
    let nameToken = advance()
    var parameters: [BlockParameter] = []
    if let open = accept("(") {
      var seen: [String: SourceLocation] = [:]
      while accept(")") == nil {
        guard let parameterName = name else {
          try fail("expected a parameter name in block '\(blockName)', found \(current.described)")
        }
        let parameterToken = advance()
        var defaultValue: Expr?
        if accept(":") != nil {
          // Defaults are evaluated where the block is used, so parameters are not in scope here.
          defaultValue = try parseValue(scope: [], depth: 2)
        }
        if let first = seen[parameterName] {
          try report(
            "parameter '\(parameterName)' is declared twice", at: parameterToken.location,
            notes: [.note("first declared here", at: first)])
        } else {
          seen[parameterName] = parameterToken.location
          parameters.append(
            BlockParameter(name: parameterName, defaultValue: defaultValue, at: parameterToken.location))
        }
        if accept(",") == nil, !at(")") {
          try fail(
            "expected ',' or ')' after a parameter of block '\(blockName)'",
            notes: [.note("'(' opened here", at: open.location)])
        }
      }
    }
    let scope = Set(parameters.map(\.name))
    let layers = try parseLayerList(owner: "block '\(blockName)'", scope: scope, depth: 1)
    return BlockDecl(name: blockName, parameters: parameters, layers: layers, at: nameToken.location)
  }

  func parseAugment() throws -> [Call] {
    try parseBraced(owner: "augment", depth: 1) { parser in
      try parser.parseCall("an augmentation, as in 'random_crop(padding: 4)'", scope: [], depth: 2)
    }
  }

  func parseMetrics() throws -> [Call] {
    let open = try expect("[", "expected '[' after 'metrics', as in 'metrics [accuracy]'")
    var calls: [Call] = []
    while accept("]") == nil {
      calls.append(try parseCall("a metric, as in 'accuracy'", scope: [], depth: 2))
      if accept(",") == nil, !at("]") {
        try fail(
          "expected ',' or ']' in the list of metrics", notes: [.note("'[' opened here", at: open.location)])
      }
    }
    return calls
  }

  // MARK: Layers

  /// `{ item item ... }` with items separated by whitespace or `;`. A broken item is reported and
  /// skipped up to the next line, so later problems are reported too.
  func parseBraced<Item>(owner: String, depth: Int, _ item: (Parser) throws -> Item?) throws -> [Item] {
    try checkDepth(depth)
    let open = try expect("{", "expected '{' to start \(owner)")
    var items: [Item] = []
    while true {
      if accept(";") != nil || accept(",") != nil { continue }
      if accept("}") != nil { return items }
      // A section keyword at the left margin means the closing brace was forgotten: say so, and keep
      // what was read, so that the section still counts (no "the spec has no 'model' section").
      if atEnd || startsSectionAtMargin {
        try report(
          "expected '}' to close \(owner)", at: current.location,
          notes: [.note("'{' opened here", at: open.location)])
        return items
      }
      let start = position
      do {
        if let parsed = try item(self) { items.append(parsed) }
      } catch let failure as ParseFailure where !failure.fatal {
        if position == start { advance() }
        skipRestOfLine()
      }
    }
  }

  /// A braced list of layers. `special` may claim a statement first (the model's `input`).
  func parseLayerList(
    owner: String, scope: Set<String>, depth: Int, special: ((Parser) throws -> Bool)? = nil
  ) throws -> [Layer] {
    try parseBraced(owner: "the layers of \(owner)", depth: depth) { parser in
      if let special, try special(parser) { return nil }
      return try parser.parseLayer(scope: scope, depth: depth + 1)
    }
  }

  func parseLayer(scope: Set<String>, depth: Int) throws -> Layer {
    try checkDepth(depth)
    let token = current
    switch token.kind {
    case .identifier("residual"):
      advance()
      let main = try parseLayerList(owner: "residual", scope: scope, depth: depth)
      var shortcut: [Layer]?
      if current.identifier == "shortcut" {
        advance()
        shortcut = try parseLayerList(owner: "shortcut", scope: scope, depth: depth)
      }
      return Layer(.residual(main: main, shortcut: shortcut), at: token.location)
    case .identifier("concat"):
      advance()
      let branches = try parseBraced(owner: "the branches of concat", depth: depth) { parser in
        guard parser.current.identifier == "branch" else {
          try parser.fail("expected 'branch { ... }' inside concat, found \(parser.current.described)")
        }
        let branchToken = parser.advance()
        let layers = try parser.parseLayerList(owner: "branch", scope: scope, depth: depth + 1)
        return Branch(layers: layers, at: branchToken.location)
      }
      return Layer(.concat(branches: branches), at: token.location)
    case .identifier("repeat"):
      advance()
      let open = try expect("(", "expected '(' after 'repeat', as in 'repeat(3) { ... }'")
      if current.identifier == "count", next.isPunctuation(":") {
        advance()
        advance()
      }
      let count = try parseValue(scope: scope, depth: depth + 1)
      _ = try expect(
        ")", "expected ')' after the count of 'repeat'", notes: [.note("'(' opened here", at: open.location)])
      let body = try parseLayerList(owner: "repeat", scope: scope, depth: depth)
      return Layer(.repeat(count: count, body: body), at: token.location)
    case .identifier("shortcut"):
      try fail("'shortcut { ... }' must directly follow 'residual { ... }'")
    case .identifier("branch"):
      try fail("'branch { ... }' is only allowed inside 'concat { ... }'")
    case .identifier("input"):
      try fail("'input' is only allowed in the model")
    default:
      let call = try parseCall("a layer", scope: scope, depth: depth)
      return Layer(.call(call), at: call.location)
    }
  }

  // MARK: Calls and values

  /// `name` or `name(arguments)`; `what` describes the expected thing for the error message.
  func parseCall(_ what: String, scope: Set<String>, depth: Int) throws -> Call {
    try checkDepth(depth)
    guard let callName = name else { try fail("expected \(what), found \(current.described)") }
    let nameToken = advance()
    var call = Call(name: callName, at: nameToken.location)
    if let open = accept("(") {
      call.arguments = try parseArguments(of: callName, open: open, scope: scope, depth: depth + 1)
    }
    return call
  }

  /// The arguments after `(`, through the closing `)`.
  func parseArguments(of callName: String, open: DSLToken, scope: Set<String>, depth: Int) throws
    -> [Argument]
  {
    var arguments: [Argument] = []
    var labels: [String: SourceLocation] = [:]
    let openedHere = Diagnostic.note("'(' opened here", at: open.location)
    while accept(")") == nil {
      if atEnd {
        try fail("expected ')' to close the arguments of '\(callName)'", notes: [openedHere])
      }
      var label: String?
      var labelLocation = current.location
      if let text = name, next.isPunctuation(":") {
        label = text
        labelLocation = advance().location
        advance()
      } else if case .identifier(let text) = current.kind, !next.startsLine, next.startsValue,
        !next.isPunctuation("{")
      {
        // `kernel 5`: a label whose ':' is missing; say so and read the value as labelled.
        try report("expected ':' after '\(text)', as in '\(text): ...'", at: next.location)
        label = text
        labelLocation = advance().location
      } else if let previous = arguments.last, previous.label != nil {
        try fail(
          "a positional argument of '\(callName)' cannot follow a labelled one; give it a label")
      }
      let value = try parseValue(scope: scope, depth: depth)
      if let label {
        if let first = labels[label] {
          try report(
            "argument '\(label)' of '\(callName)' is given twice", at: labelLocation,
            notes: [.note("first given here", at: first)])
        } else {
          labels[label] = labelLocation
        }
      } else {
        labelLocation = value.location
      }
      arguments.append(Argument(label: label, labelLocation: labelLocation, value: value))
      if accept(",") != nil || at(")") { continue }
      if current.startsLine || atEnd || at("}") || at("{") {
        try fail("expected ')' to close the arguments of '\(callName)'", notes: [openedHere])
      }
      try fail(
        "expected ',' or ')' after an argument of '\(callName)', found \(current.described)",
        notes: [openedHere])
    }
    return arguments
  }

  func parseValue(scope: Set<String>, depth: Int) throws -> Expr {
    try checkDepth(depth)
    let token = current
    switch token.kind {
    case .int(let value):
      advance()
      return Expr(.int(value), at: token.location)
    case .double(let value):
      advance()
      return Expr(.double(value), at: token.location)
    case .string(let text):
      advance()
      return Expr(.string(text), at: token.location)
    case .reference(let text):
      advance()
      return Expr(.reference(text), at: token.location)
    case .identifier("true"):
      advance()
      return Expr(.bool(true), at: token.location)
    case .identifier("false"):
      advance()
      return Expr(.bool(false), at: token.location)
    case .identifier(let word):
      advance()
      if let open = accept("(") {
        return try parseValueCall(word, token: token, open: open, scope: scope, depth: depth + 1)
      }
      return Expr(scope.contains(word) ? .reference(word) : .string(word), at: token.location)
    case .punctuation("["):
      return try parseList(scope: scope, depth: depth + 1)
    case .punctuation("{"):
      return try parseMap(scope: scope, depth: depth + 1)
    default:
      try fail("expected a value, found \(token.described)")
    }
  }

  /// `step(every: 5)` as a value is the map `{step: {every: 5}}`; `step()` is the string `step`.
  func parseValueCall(_ word: String, token: DSLToken, open: DSLToken, scope: Set<String>, depth: Int)
    throws -> Expr
  {
    let arguments = try parseArguments(of: word, open: open, scope: scope, depth: depth)
    if arguments.isEmpty { return Expr(.string(word), at: token.location) }
    // One unlabelled argument is the positional one, as YAML's `{constant: 0.1}`.
    if arguments.count == 1, arguments[0].label == nil {
      return Expr(
        .map([MapEntry(key: word, keyLocation: token.location, value: arguments[0].value)]),
        at: token.location)
    }
    var entries: [MapEntry] = []
    for argument in arguments {
      guard let label = argument.label else {
        try report(
          "the arguments of '\(word)' need labels here, as in '\(word)(name: value)'",
          at: argument.value.location)
        throw ParseFailure()
      }
      entries.append(MapEntry(key: label, keyLocation: argument.labelLocation, value: argument.value))
    }
    let inner = Expr(.map(entries), at: open.location)
    return Expr(.map([MapEntry(key: word, keyLocation: token.location, value: inner)]), at: token.location)
  }

  func span(from start: DSLToken, to end: DSLToken) -> SourceLocation {
    var location = start.location
    if end.location.line == start.location.line {
      location.length = end.location.column + end.location.length - start.location.column
    }
    return location
  }

  /// `[a, b, c]`; elements are separated by commas or line breaks, and a trailing comma is allowed.
  func parseList(scope: Set<String>, depth: Int) throws -> Expr {
    let open = advance()
    var elements: [Expr] = []
    while true {
      if let close = accept("]") { return Expr(.list(elements), at: span(from: open, to: close)) }
      if atEnd || at("}") || at(")") {
        try fail("expected ']' to close the list", notes: [.note("'[' opened here", at: open.location)])
      }
      if !elements.isEmpty {
        if accept(",") == nil && !current.startsLine {
          try fail(
            "expected ',' or ']' in the list, found \(current.described)",
            notes: [.note("'[' opened here", at: open.location)])
        }
        if at("]") { continue }
      }
      elements.append(try parseValue(scope: scope, depth: depth))
    }
  }

  /// `{ key: value, key: value }`; entries are separated by commas or line breaks.
  func parseMap(scope: Set<String>, depth: Int) throws -> Expr {
    let open = advance()
    var entries: [MapEntry] = []
    var keys: [String: SourceLocation] = [:]
    let openedHere = Diagnostic.note("'{' opened here", at: open.location)
    while true {
      if let close = accept("}") { return Expr(.map(entries), at: span(from: open, to: close)) }
      if atEnd || at("]") || at(")") {
        try fail("expected '}' to close the map", notes: [openedHere])
      }
      if !entries.isEmpty {
        if accept(",") == nil && !current.startsLine {
          try fail("expected ',' or '}' in the map, found \(current.described)", notes: [openedHere])
        }
        if at("}") { continue }
      }
      guard let key = name else { try fail("expected a key in the map, found \(current.described)") }
      let keyToken = advance()
      if accept(":") == nil {
        // `format idx`: the value follows on the line, so only the ':' is missing; reading on keeps
        // the rest of the map from producing follow-on errors.
        guard !current.startsLine, current.startsValue else {
          try fail("expected ':' after the key '\(key)', found \(current.described)")
        }
        try report("expected ':' after the key '\(key)', as in '\(key): ...'", at: current.location)
      }
      let value = try parseValue(scope: scope, depth: depth)
      if let first = keys[key] {
        try report(
          "duplicate key '\(key)'", at: keyToken.location, notes: [.note("first written here", at: first)])
      } else {
        keys[key] = keyToken.location
        entries.append(MapEntry(key: key, keyLocation: keyToken.location, value: value))
      }
    }
  }
}
