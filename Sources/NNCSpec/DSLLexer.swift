/// A token of the `.nnc` syntax.
struct DSLToken: Equatable, Sendable {
  enum Kind: Equatable, Sendable {
    case identifier(String)
    /// `$name` or `$"name"`: a reference to a block parameter.
    case reference(String)
    case string(String)
    case int(Int)
    case double(Double)
    /// One of `( ) [ ] { } , : ;`.
    case punctuation(Character)
    /// Text the lexer already reported; the parser skips it without a second message.
    case invalid
    case end
  }

  var kind: Kind
  var location: SourceLocation
  /// True when a line break separates this token from the previous one; layer lists, map entries and
  /// error recovery use line breaks as boundaries.
  var startsLine: Bool

  func isPunctuation(_ character: Character) -> Bool { kind == .punctuation(character) }

  var identifier: String? {
    if case .identifier(let name) = kind { return name }
    return nil
  }

  /// How the token reads in a message: `'conv2d'`, `'('`, `end of file`.
  /// Whether a value can start with this token.
  var startsValue: Bool {
    switch kind {
    case .identifier, .reference, .string, .int, .double: return true
    case .punctuation(let character): return character == "[" || character == "{"
    case .invalid, .end: return false
    }
  }

  var described: String {
    switch kind {
    case .identifier(let name): return "'\(name)'"
    case .reference(let name): return "'$\(name)'"
    case .string(let text): return "string \"\(text)\""
    case .int(let value): return "'\(value)'"
    case .double(let value): return "'\(value)'"
    case .punctuation(let character): return "'\(character)'"
    case .invalid: return "invalid text"
    case .end: return "end of file"
    }
  }
}

/// Splits `.nnc` text into tokens. Problems (an unterminated string, a malformed number, a stray
/// character) are reported once and become `.invalid` tokens, so lexing always reaches the end.
struct DSLLexer {
  private let scalars: [Unicode.Scalar]
  private let file: String
  private var index = 0
  private var line = 1
  private var column = 1
  private var sawLineBreak = true
  /// What went wrong, in file order; garbage input yields many, so the parser keeps only the first few.
  private(set) var problems: [Diagnostic] = []

  init(text: String, file: String) {
    var scalars = Array(text.unicodeScalars)
    // A byte-order mark some editors write is not part of the text.
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
    self.scalars = scalars
    self.file = file
  }

  static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
  }

  static func isIdentifierContinue(_ scalar: Unicode.Scalar) -> Bool {
    isIdentifierStart(scalar) || isDigit(scalar)
  }

  static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }

  /// Whether `text` lexes as a single identifier token.
  static func isIdentifier(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, isIdentifierStart(first) else { return false }
    return text.unicodeScalars.allSatisfy(isIdentifierContinue)
  }

  private mutating func report(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) {
    problems.append(.error(message, at: location, notes: notes))
  }

  private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
    index + offset < scalars.count ? scalars[index + offset] : nil
  }

  private mutating func advance() {
    guard index < scalars.count else { return }
    if scalars[index] == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    index += 1
  }

  private func here(length: Int = 1) -> SourceLocation {
    SourceLocation(file: file, line: line, column: column, length: length)
  }

  mutating func tokenize() -> [DSLToken] {
    var tokens: [DSLToken] = []
    while true {
      skipTrivia()
      let startsLine = sawLineBreak
      sawLineBreak = false
      let start = here()
      guard let scalar = peek() else {
        tokens.append(DSLToken(kind: .end, location: start, startsLine: true))
        return tokens
      }
      var token: DSLToken.Kind
      if Self.isIdentifierStart(scalar) {
        token = .identifier(identifierText())
      } else if Self.isDigit(scalar)
        || ((scalar == "-" || scalar == "+") && peek(1).map(Self.isDigit) == true)
      {
        token = number(start: start)
      } else if scalar == "\"" {
        token = string(start: start).map { .string($0) } ?? .invalid
      } else if scalar == "$" {
        advance()
        if let next = peek(), Self.isIdentifierStart(next) {
          token = .reference(identifierText())
        } else if peek() == "\"" {
          token = string(start: start).map { .reference($0) } ?? .invalid
        } else {
          report("expected a parameter name after '$'", at: start)
          token = .invalid
        }
      } else if "()[]{},:;".unicodeScalars.contains(scalar) {
        advance()
        token = .punctuation(Character(scalar))
      } else {
        advance()
        report("unexpected character '\(Character(scalar))'", at: start)
        token = .invalid
      }
      var location = start
      if line == start.line { location.length = max(1, column - start.column) }
      tokens.append(DSLToken(kind: token, location: location, startsLine: startsLine))
    }
  }

  /// Spaces, tabs, carriage returns, line breaks and `#` comments.
  private mutating func skipTrivia() {
    while let scalar = peek() {
      if scalar == "\n" {
        sawLineBreak = true
        advance()
      } else if scalar == " " || scalar == "\t" || scalar == "\r" {
        advance()
      } else if scalar == "#" {
        while let next = peek(), next != "\n" { advance() }
      } else {
        return
      }
    }
  }

  private mutating func identifierText() -> String {
    var text = String.UnicodeScalarView()
    while let scalar = peek(), Self.isIdentifierContinue(scalar) {
      text.append(scalar)
      advance()
    }
    return String(text)
  }

  /// `-12`, `0.5`, `1e-3`, `2.5E+4`. A number running into letters or a second dot (`12ab`, `1.2.3`)
  /// is one bad number rather than several confusing tokens.
  private mutating func number(start: SourceLocation) -> DSLToken.Kind {
    var text = ""
    func take(_ lexer: inout DSLLexer) {
      if let scalar = lexer.peek() {
        text.unicodeScalars.append(scalar)
        lexer.advance()
      }
    }
    if peek() == "-" || peek() == "+" { take(&self) }
    var isFloat = false
    while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
    if peek() == ".", let next = peek(1), Self.isDigit(next) {
      isFloat = true
      take(&self)
      while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
    }
    if peek() == "e" || peek() == "E" {
      let signed = peek(1) == "-" || peek(1) == "+"
      if let digit = peek(signed ? 2 : 1), Self.isDigit(digit) {
        isFloat = true
        take(&self)
        if signed { take(&self) }
        while let scalar = peek(), Self.isDigit(scalar) { take(&self) }
      }
    }
    var malformed = false
    while let scalar = peek(), Self.isIdentifierContinue(scalar) || scalar == "." {
      malformed = true
      take(&self)
    }
    var location = start
    location.length = text.unicodeScalars.count
    if malformed {
      report("bad number '\(text)'", at: location)
      return .invalid
    }
    if !isFloat {
      if let value = Int(text) { return .int(value) }
      report("integer '\(text)' is too large", at: location)
      return .invalid
    }
    guard let value = Double(text), value.isFinite else {
      report("number '\(text)' is out of range", at: location)
      return .invalid
    }
    return .double(value)
  }

  /// A double-quoted string with the escapes `\" \\ \n \t \r \0 \u{XXXX}`; it may not span lines.
  private mutating func string(start: SourceLocation) -> String? {
    advance()  // the opening quote
    var text = String.UnicodeScalarView()
    var valid = true
    while true {
      guard let scalar = peek(), scalar != "\n" else {
        report(
          "unterminated string", at: start,
          notes: [.note("add a closing '\"' before the end of the line", at: here())])
        return nil
      }
      if scalar == "\"" {
        advance()
        return valid ? String(text) : nil
      }
      if scalar != "\\" {
        text.append(scalar)
        advance()
        continue
      }
      let escapeStart = here(length: 2)
      advance()
      guard let escaped = peek(), escaped != "\n" else { continue }
      advance()
      switch escaped {
      case "\"": text.append("\"")
      case "\\": text.append("\\")
      case "n": text.append("\n")
      case "t": text.append("\t")
      case "r": text.append("\r")
      case "0": text.append("\0")
      case "u":
        if let value = unicodeEscape() {
          text.append(value)
        } else {
          report("invalid unicode escape; write it as \\u{1F600}", at: escapeStart)
          valid = false
        }
      default:
        report("unknown escape '\\\(Character(escaped))' in string", at: escapeStart)
        valid = false
      }
    }
  }

  /// The `{XXXX}` after `\u`, consumed up to the closing brace if it is well formed.
  private mutating func unicodeEscape() -> Unicode.Scalar? {
    guard peek() == "{" else { return nil }
    var digits = ""
    var offset = 1
    while let scalar = peek(offset), scalar.properties.isASCIIHexDigit, digits.count < 8 {
      digits.unicodeScalars.append(scalar)
      offset += 1
    }
    guard peek(offset) == "}", let value = UInt32(digits, radix: 16), let result = Unicode.Scalar(value)
    else { return nil }
    for _ in 0...offset { advance() }
    return result
  }
}
