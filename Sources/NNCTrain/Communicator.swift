import Foundation

/// The processes of a data-parallel run and the collective operations training needs. Every rank
/// calls the same collectives in the same order; `SingleProcess` is the run of one process, where
/// every collective is the identity.
public protocol Communicator: AnyObject {
  /// This process's index, 0 ..< `size`; rank 0 writes the run's files and prints its progress.
  var rank: Int { get }
  var size: Int { get }
  /// Replaces `values` on every rank by their element-wise sum over the ranks.
  func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
  func sum(_ values: UnsafeMutableBufferPointer<Double>) throws
  /// Starts replacing `values` by their sum over the ranks and returns without waiting: `values`
  /// must stay untouched until `waitForSums`. Every rank starts the same sums in the same order.
  func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws
  /// Lets the started sums advance without waiting for them.
  func progressSums() throws
  /// Returns once every started sum is complete.
  func waitForSums() throws
  /// Replaces `values` on every rank by rank 0's.
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws
  /// Rank 0's bytes on every rank (the argument is ignored elsewhere).
  func broadcast(bytes: [UInt8]) throws -> [UInt8]
  /// Every rank's bytes, in rank order, on every rank.
  func allGather(bytes: [UInt8]) throws -> [[UInt8]]
  /// Whether every rank holds `value`.
  func allEqual(_ value: UInt64) throws -> Bool
  /// Ends every rank after printing `message`: a failing rank must never leave the others waiting.
  func abort(_ message: String) -> Never
}

extension Communicator {
  /// A communicator without nonblocking sums sums at once.
  public func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws { try sum(values) }
  public func progressSums() throws {}
  public func waitForSums() throws {}

  public var isRoot: Bool { rank == 0 }
  public var isDistributed: Bool { size > 1 }

  /// Whether the ranks run on more than one machine (their host names differ). A collective: every rank calls it.
  /// Overlapping the all-reduces with backward pays only there: on one machine the transfer is a copy on the
  /// ranks' own cores, which competes with backward (README, "Training on several machines").
  public func ranksSpanMachines() throws -> Bool {
    guard isDistributed else { return false }
    var name = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&name, name.count - 1) == 0
      ? Array(name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }) : []
    return Set(try allGather(bytes: host)).count > 1
  }

  public func sum(_ values: inout [Double]) throws {
    try values.withUnsafeMutableBufferPointer { try sum($0) }
  }
}

/// A last message before a rank ends: write(2), which neither traps nor buffers.
func writeStandardError(_ text: String) {
  let bytes = Array(text.utf8)
  _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
