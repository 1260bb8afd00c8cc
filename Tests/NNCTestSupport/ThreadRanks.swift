import Foundation
import NNCTrain

/// Ranks simulated by the threads of this process (shared by the test targets): every collective is an all-gather of bytes
/// behind a barrier, combined in rank order, so the ranks of a test agree as MPI's do.
public final class ThreadHub: @unchecked Sendable {
  public let size: Int
  private let condition = NSCondition()
  private var contributions: [[UInt8]?]
  private var arrived = 0
  private var generation = 0
  private var result: [[UInt8]] = []

  public init(size: Int) {
    self.size = size
    contributions = Array(repeating: nil, count: size)
  }

  public func exchange(rank: Int, _ bytes: [UInt8]) -> [[UInt8]] {
    condition.lock()
    defer { condition.unlock() }
    contributions[rank] = bytes
    arrived += 1
    let mine = generation
    if arrived == size {
      result = contributions.map { $0! }
      contributions = Array(repeating: nil, count: size)
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == mine { condition.wait() }
    }
    return result
  }

  /// Runs `body(rank)` on one thread per rank and returns when all finished.
  public func run(_ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for rank in 0..<size {
      done.enter()
      Thread {
        body(rank)
        done.leave()
      }.start()
    }
    done.wait()
  }
}

public final class ThreadRank: Communicator {
  public let hub: ThreadHub
  public let rank: Int
  public var size: Int { hub.size }

  public init(hub: ThreadHub, rank: Int) {
    self.hub = hub
    self.rank = rank
  }

  private func gathered<Element>(_ values: UnsafeMutableBufferPointer<Element>) -> [[Element]] {
    hub.exchange(rank: rank, Array(UnsafeRawBufferPointer(values))).map { bytes in
      bytes.withUnsafeBytes { Array($0.bindMemory(to: Element.self)) }
    }
  }

  public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
    let all = gathered(values)
    for index in values.indices { values[index] = all.reduce(0) { $0 + $1[index] } }
  }

  public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
    let all = gathered(values)
    for index in values.indices { values[index] = all.reduce(0) { $0 + $1[index] } }
  }

  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws {
    let all = gathered(values)
    for index in values.indices { values[index] = all[0][index] }
  }

  public func broadcast(bytes: [UInt8]) throws -> [UInt8] { hub.exchange(rank: rank, bytes)[0] }
  public func allGather(bytes: [UInt8]) throws -> [[UInt8]] { hub.exchange(rank: rank, bytes) }

  public func allEqual(_ value: UInt64) throws -> Bool {
    var copy = value
    let all = withUnsafeMutablePointer(to: &copy) {
      gathered(UnsafeMutableBufferPointer(start: $0, count: 1))
    }
    return all.allSatisfy { $0 == all[0] }
  }

  public func abort(_ message: String) -> Never { fatalError(message) }
}
