/// A compiler-style message about a spec, with notes that point at related places.
public struct Diagnostic: Sendable, Equatable, Error {
  public enum Severity: String, Sendable, Equatable {
    case error
    case warning
    case note
  }

  public var severity: Severity
  public var message: String
  public var location: SourceLocation?
  public var notes: [Diagnostic]

  public init(
    _ severity: Severity, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []
  ) {
    self.severity = severity
    self.message = message
    self.location = location
    self.notes = notes
  }

  public static func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = [])
    -> Diagnostic
  {
    Diagnostic(.error, message, at: location, notes: notes)
  }

  public static func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = [])
    -> Diagnostic
  {
    Diagnostic(.warning, message, at: location, notes: notes)
  }

  public static func note(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
    Diagnostic(.note, message, at: location)
  }
}

/// Collects every independent problem of a run so the user sees them all at once.
public struct DiagnosticBag: Sendable {
  public private(set) var diagnostics: [Diagnostic] = []

  public init() {}

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  public mutating func append(_ diagnostic: Diagnostic) {
    // The same problem reached twice (say, through a block used many times) is reported once.
    if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
  }

  public mutating func append(contentsOf other: [Diagnostic]) {
    for diagnostic in other { append(diagnostic) }
  }

  public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
    append(.error(message, at: location, notes: notes))
  }

  public mutating func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
    append(.warning(message, at: location, notes: notes))
  }
}
