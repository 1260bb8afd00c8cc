import Synchronization

/// A termination signal (SIGINT, SIGTERM) seen while a command runs. The CLI's signal handler only
/// records the signal here, the one thing a handler may safely do; the training loop polls it after
/// every step and after validation, and stops at that point.
public enum Interruption {
  private static let received = Atomic<Int32>(0)

  /// The signal received, or 0.
  public static var signal: Int32 { received.load(ordering: .relaxed) }

  /// Called from the signal handler.
  public static func record(_ signal: Int32) { received.store(signal, ordering: .relaxed) }

  /// Forgets a recorded signal (tests run several trainings in one process).
  public static func reset() { received.store(0, ordering: .relaxed) }
}

/// Training stopped at a step boundary because a signal arrived; the run directory holds the
/// checkpoint of the last completed epoch, if any.
public struct TrainingInterrupted: Error, CustomStringConvertible, Sendable {
  public var signal: Int32
  public var message: String
  public var description: String { message }
}
