/// A problem with a data file, naming the file and what is wrong with it.
public struct DataError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var message: String

  public init(_ path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { "\(path): \(message)" }
}
