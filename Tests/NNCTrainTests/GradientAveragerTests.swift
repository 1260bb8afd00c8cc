import Testing

@testable import NNCTrain

/// Stands in for `ranks` ranks that hold the same values: a sum multiplies by `ranks`, and it
/// records the size of every message.
private final class IdenticalRanks: Communicator {
  let size: Int
  var messages: [Int] = []
  init(size: Int) { self.size = size }
  var rank: Int { 0 }
  func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
    messages.append(values.count)
    for index in values.indices { values[index] *= Float(size) }
  }
  func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
    for index in values.indices { values[index] *= Double(size) }
  }
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws {}
  func broadcast(bytes: [UInt8]) throws -> [UInt8] { bytes }
  func allGather(bytes: [UInt8]) throws -> [[UInt8]] { Array(repeating: bytes, count: size) }
  func allEqual(_ value: UInt64) throws -> Bool { true }
  func abort(_ message: String) -> Never { fatalError(message) }
}

@Suite struct GradientAveragerTests {
  /// Gradients of 5, 3 and 9 elements in buckets of 4 floats: pieces cross gradient and bucket
  /// boundaries, every value comes back averaged where it was, in ceil(17 / 4) messages.
  @Test func bucketsAverageEveryGradientInPlace() throws {
    let ranks = IdenticalRanks(size: 4)
    let averager = GradientAverager(communicator: ranks, bucketBytes: 16)
    let expected = [[Float]]([(0..<5).map(Float.init), (10..<13).map(Float.init), (20..<29).map(Float.init)])
    let buffers = expected.map { values in
      let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: values.count)
      _ = buffer.initialize(from: values)
      return buffer
    }
    defer { for buffer in buffers { buffer.deallocate() } }
    try averager.average(buffers, share: 0.25)
    #expect(buffers.map { Array($0) } == expected)
    #expect(ranks.messages == [4, 4, 4, 4, 1])
    // A share that is not 1 / ranks scales the result: the weight of a rank's part of the batch.
    try averager.average(buffers, share: 0.5)
    #expect(buffers.map { Array($0) } == expected.map { $0.map { $0 * 2 } })
  }
}
