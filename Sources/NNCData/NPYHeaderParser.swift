/// A value in an .npy header dict: the header is a Python literal, of which only strings, booleans,
/// integer tuples and (for structured dtypes, which are refused later) lists occur.
enum NPYHeaderValue: Equatable {
  case string(String)
  case bool(Bool)
  case tuple([Int])
  case list
}

/// A small parser for the Python dict literal in an .npy header.
struct NPYHeaderParser {
  struct Failure: Error {
    /// The byte offset into the header text (not the character offset: a header may hold non-ASCII
    /// text, and the file's offsets are bytes).
    var offset: Int
    var message: String
  }

  private let characters: [Character]
  private var position = 0

  init(_ text: String) { characters = Array(text) }

  mutating func parseDictionary() throws -> [String: NPYHeaderValue] {
    skipSpace()
    try expect("{")
    var result: [String: NPYHeaderValue] = [:]
    while true {
      skipSpace()
      if peek == "}" {
        position += 1
        return result
      }
      let key = try parseString()
      skipSpace()
      try expect(":")
      skipSpace()
      result[key] = try parseValue()
      skipSpace()
      if peek == "," {
        position += 1
      } else if peek != "}" {
        throw fail("expected ',' or '}'")
      }
    }
  }

  private var peek: Character? { position < characters.count ? characters[position] : nil }

  private func fail(_ message: String) -> Failure {
    Failure(
      offset: String(characters[..<position]).utf8.count,
      message: message + (peek.map { " but found '\($0)'" } ?? " but the header ended"))
  }

  private mutating func skipSpace() {
    while let character = peek, character.isWhitespace { position += 1 }
  }

  private mutating func expect(_ character: Character) throws {
    guard peek == character else { throw fail("expected '\(character)'") }
    position += 1
  }

  private mutating func parseString() throws -> String {
    guard let quote = peek, quote == "'" || quote == "\"" else { throw fail("expected a quoted string") }
    position += 1
    var text = ""
    while let character = peek, character != quote {
      text.append(character)
      position += 1
    }
    try expect(quote)
    return text
  }

  private mutating func parseValue() throws -> NPYHeaderValue {
    switch peek {
    case "'", "\"":
      return .string(try parseString())
    case "(":
      position += 1
      var sizes: [Int] = []
      while true {
        skipSpace()
        if peek == ")" {
          position += 1
          return .tuple(sizes)
        }
        var digits = ""
        while let character = peek, character.isASCII, character.isNumber {
          digits.append(character)
          position += 1
        }
        // Python 2 era files may write sizes as `3L`.
        if peek == "L" { position += 1 }
        guard let size = Int(digits) else { throw fail("expected a non-negative integer in the shape") }
        sizes.append(size)
        skipSpace()
        if peek == "," {
          position += 1
        } else if peek != ")" {
          throw fail("expected ',' or ')' in the shape")
        }
      }
    case "[":
      // A structured dtype: skip to the matching bracket; the caller refuses it with a clear message.
      var depth = 0
      repeat {
        if peek == "[" { depth += 1 }
        if peek == "]" { depth -= 1 }
        guard peek != nil else { throw fail("unterminated list") }
        position += 1
      } while depth > 0
      return .list
    default:
      for (word, value) in [("True", true), ("False", false)] where characters[position...].starts(with: word)
      {
        position += word.count
        return .bool(value)
      }
      throw fail("expected a string, True/False or a tuple")
    }
  }
}
