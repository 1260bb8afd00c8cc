/// A position in a spec file: 1-based line and column, and how many characters the construct spans
/// so diagnostics can underline it.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  public var length: Int

  public init(file: String, line: Int, column: Int, length: Int = 1) {
    self.file = file
    self.line = line
    self.column = column
    self.length = max(1, length)
  }

  /// For values that did not come from a file (command-line overrides, synthesized defaults).
  public static let unknown = SourceLocation(file: "<unknown>", line: 0, column: 0)

  public var isKnown: Bool { line > 0 }

  public var description: String { "\(file):\(line):\(column)" }
}

/// Wraps a value that must not take part in synthesized equality, so two ASTs parsed from different
/// syntaxes compare equal when they mean the same thing, wherever their nodes came from.
@propertyWrapper
public struct IgnoredInEquality<Value: Sendable>: Equatable, Sendable {
  public var wrappedValue: Value
  public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
  public static func == (lhs: Self, rhs: Self) -> Bool { true }
}
