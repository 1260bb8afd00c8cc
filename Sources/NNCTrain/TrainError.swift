/// A training run that cannot go on, with a message fit for the user.
public struct TrainError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
