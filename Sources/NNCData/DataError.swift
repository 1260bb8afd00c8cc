/// A problem with a data file, naming the file and what is wrong with it (with the line for text
/// files; binary readers put the byte offset into the message).
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
  public var path: String
  public var line: Int?
  public var message: String

  public init(_ path: String, _ message: String) {
    self.path = path
    self.line = nil
    self.message = message
  }

  /// An error at a 1-based line of a text file, printed as `path:line: message`.
  public init(_ path: String, line: Int, _ message: String) {
    self.path = path
    self.line = line
    self.message = message
  }

  public var description: String {
    if let line { return "\(path):\(line): \(message)" }
    return "\(path): \(message)"
  }
}
