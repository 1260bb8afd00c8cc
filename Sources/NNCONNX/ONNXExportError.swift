import NNCSpec

/// Why a graph cannot be exported. `location` is the spec line of the layer at fault, when there is one.
public struct ONNXExportError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var location: SourceLocation?

  public init(_ message: String, at location: SourceLocation? = nil) {
    self.message = message
    self.location = location
  }

  public var description: String { message }

  /// The error as a diagnostic, rendered with the spec line like `nnc check`'s.
  public var diagnostic: Diagnostic { .error(message, at: location) }
}
