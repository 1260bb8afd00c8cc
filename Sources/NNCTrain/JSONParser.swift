/// A JSON value with the byte offset where it starts, so errors can point into the file.
struct JSONValue {
  enum Kind {
    case object([(key: String, value: JSONValue)])  // in file order, duplicates kept for the caller
    case array([JSONValue])
    case string(String)
    case number(String)  // the literal text, so integers beyond 2^53 are not rounded through Double
    case bool(Bool)
    case null
  }
  var kind: Kind
  var offset: Int
}

/// A strict RFC 8259 parser over a byte range, for safetensors headers. It never traps on malformed
/// input and bounds nesting so that hostile input cannot exhaust the stack.
struct JSONParser {
  struct Failure: Error {
    var message: String
    var offset: Int
  }

  static let maximumDepth = 64

  private let bytes: [UInt8]
  private let end: Int
  private var position: Int
  private var depth = 0

  init(bytes: [UInt8], range: Range<Int>) {
    self.bytes = bytes
    self.position = range.lowerBound
    self.end = range.upperBound
  }

  /// One value, then only whitespace (safetensors pads its header with spaces).
  mutating func parseDocument() throws -> JSONValue {
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    guard position == end else { throw failure("unexpected \(describe(position)) after the JSON value") }
    return value
  }

  private mutating func parseValue() throws -> JSONValue {
    guard position < end else { throw failure("unexpected end of header, expected a value") }
    let start = position
    switch bytes[position] {
    case UInt8(ascii: "{"): return JSONValue(kind: try parseObject(), offset: start)
    case UInt8(ascii: "["): return JSONValue(kind: try parseArray(), offset: start)
    case UInt8(ascii: "\""): return JSONValue(kind: .string(try parseString()), offset: start)
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return JSONValue(kind: .bool(true), offset: start)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return JSONValue(kind: .bool(false), offset: start)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return JSONValue(kind: .null, offset: start)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return JSONValue(kind: .number(try parseNumber()), offset: start)
    default:
      throw failure("unexpected \(describe(position)), expected a value")
    }
  }

  private mutating func parseObject() throws -> JSONValue.Kind {
    try enter()
    defer { depth -= 1 }
    position += 1  // {
    var members: [(key: String, value: JSONValue)] = []
    skipWhitespace()
    if peek(UInt8(ascii: "}")) {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard peek(UInt8(ascii: "\"")) else {
        throw failure("expected a string key, found \(describe(position))")
      }
      let key = try parseString()
      skipWhitespace()
      guard peek(UInt8(ascii: ":")) else {
        throw failure("expected ':' after key, found \(describe(position))")
      }
      position += 1
      skipWhitespace()
      members.append((key, try parseValue()))
      skipWhitespace()
      if peek(UInt8(ascii: ",")) {
        position += 1
        continue
      }
      if peek(UInt8(ascii: "}")) {
        position += 1
        return .object(members)
      }
      throw failure("expected ',' or '}' in object, found \(describe(position))")
    }
  }

  private mutating func parseArray() throws -> JSONValue.Kind {
    try enter()
    defer { depth -= 1 }
    position += 1  // [
    var items: [JSONValue] = []
    skipWhitespace()
    if peek(UInt8(ascii: "]")) {
      position += 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      items.append(try parseValue())
      skipWhitespace()
      if peek(UInt8(ascii: ",")) {
        position += 1
        continue
      }
      if peek(UInt8(ascii: "]")) {
        position += 1
        return .array(items)
      }
      throw failure("expected ',' or ']' in array, found \(describe(position))")
    }
  }

  private mutating func parseString() throws -> String {
    let start = position
    position += 1  // opening quote
    var scalars: [UInt8] = []
    while true {
      guard position < end else {
        throw Failure(message: "unterminated string", offset: start)
      }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        break
      }
      if byte < 0x20 { throw failure("control character 0x\(String(byte, radix: 16)) in a string") }
      if byte != UInt8(ascii: "\\") {
        scalars.append(byte)
        position += 1
        continue
      }
      position += 1
      guard position < end else { throw Failure(message: "unterminated string", offset: start) }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
      case UInt8(ascii: "b"): scalars.append(0x08)
      case UInt8(ascii: "f"): scalars.append(0x0C)
      case UInt8(ascii: "n"): scalars.append(0x0A)
      case UInt8(ascii: "r"): scalars.append(0x0D)
      case UInt8(ascii: "t"): scalars.append(0x09)
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
          // A high surrogate must be followed by an escaped low surrogate.
          guard position + 1 < end, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw failure("unpaired surrogate in \\u escape") }
          position += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid low surrogate in \\u escape") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
          throw failure("unpaired surrogate in \\u escape")
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
      default:
        throw Failure(message: "invalid escape '\\\(describeByte(escape))'", offset: position - 2)
      }
    }
    guard let text = String(validating: scalars, as: UTF8.self) else {
      throw Failure(message: "string is not valid UTF-8", offset: start)
    }
    return text
  }

  private mutating func parseHex4() throws -> UInt32 {
    guard position + 4 <= end else { throw failure("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw failure("invalid hex digit in \\u escape")
      }
      value = value * 16 + UInt32(digit)
      position += 1
    }
    return value
  }

  private mutating func parseNumber() throws -> String {
    let start = position
    if peek(UInt8(ascii: "-")) { position += 1 }
    if peek(UInt8(ascii: "0")) {
      position += 1
    } else {
      guard skipDigits() > 0 else { throw failure("invalid number") }
    }
    if peek(UInt8(ascii: ".")) {
      position += 1
      guard skipDigits() > 0 else { throw failure("invalid number: digits expected after '.'") }
    }
    if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
      position += 1
      if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { position += 1 }
      guard skipDigits() > 0 else { throw failure("invalid number: digits expected in exponent") }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func skipDigits() -> Int {
    let start = position
    while position < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
      position += 1
    }
    return position - start
  }

  private mutating func expectLiteral(_ literal: String) throws {
    for expected in literal.utf8 {
      guard position < end, bytes[position] == expected else {
        throw failure("invalid literal, expected '\(literal)'")
      }
      position += 1
    }
  }

  private mutating func enter() throws {
    depth += 1
    guard depth <= Self.maximumDepth else {
      throw failure("nesting deeper than \(Self.maximumDepth) levels")
    }
  }

  private mutating func skipWhitespace() {
    while position < end {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  private func peek(_ byte: UInt8) -> Bool { position < end && bytes[position] == byte }

  private func failure(_ message: String) -> Failure { Failure(message: message, offset: position) }

  private func describe(_ offset: Int) -> String {
    offset < end ? "'\(describeByte(bytes[offset]))'" : "end of header"
  }

  private func describeByte(_ byte: UInt8) -> String {
    (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
  }
}
