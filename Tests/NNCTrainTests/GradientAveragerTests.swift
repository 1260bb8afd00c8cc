import Testing

@testable import NNCTrain

/// Stands in for `ranks` ranks that hold the same values: a sum multiplies by `ranks`, and it
/// records every message (its start in the buffer and its size) and when it was started.
private final class IdenticalRanks: Communicator {
  let size: Int
  let base: UnsafeMutablePointer<Float>
  var messages: [(start: Int, count: Int)] = []
  var waits = 0
  init(size: Int, base: UnsafeMutablePointer<Float>) {
    self.size = size
    self.base = base
  }
  var rank: Int { 0 }
  func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
    messages.append((values.baseAddress! - base, values.count))
    for index in values.indices { values[index] *= Float(size) }
  }
  func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
    for index in values.indices { values[index] *= Double(size) }
  }
  func waitForSums() throws { waits += 1 }
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws {}
  func broadcast(bytes: [UInt8]) throws -> [UInt8] { bytes }
  func allGather(bytes: [UInt8]) throws -> [[UInt8]] { Array(repeating: bytes, count: size) }
  func allEqual(_ value: UInt64) throws -> Bool { true }
  func abort(_ message: String) -> Never { fatalError(message) }
}

@Suite struct GradientAveragerTests {
  /// Gradients of 5, 3 and 9 elements, one after another, final after backward leaves nodes 1, 2
  /// and 3 (the last parameters' gradients come first, as in backward).
  static let regions = [
    GradientAverager.Region(offset: 0, count: 5, finalNode: 1),
    GradientAverager.Region(offset: 5, count: 3, finalNode: 2),
    GradientAverager.Region(offset: 8, count: 9, finalNode: 3),
  ]

  /// Buckets of 4 floats cut from the end: pieces cross gradient boundaries, every value comes back
  /// averaged where it was, in ceil(17 / 4) messages.
  @Test func bucketsAverageEveryGradientInPlace() throws {
    let expected = (0..<17).map(Float.init)
    var values = expected
    try values.withUnsafeMutableBufferPointer { buffer in
      let ranks = IdenticalRanks(size: 4, base: buffer.baseAddress!)
      let averager = GradientAverager(
        communicator: ranks, bucketBytes: 16, gradients: buffer, regions: Self.regions,
        overlapsBackward: false)
      try averager.average(share: 0.25)
      #expect(Array(buffer) == expected)
      #expect(ranks.messages.map(\.start) == [13, 9, 5, 1, 0])
      #expect(ranks.messages.map(\.count) == [4, 4, 4, 4, 1])
      #expect(averager.communicatedBytes == 17 * 4)
      // A share that is not 1 / ranks scales the result: the weight of a rank's part of the batch.
      try averager.average(share: 0.5)
      #expect(Array(buffer) == expected.map { $0 * 2 })
    }
  }

  /// During backward, a bucket starts once backward has left the first node writing into it, and
  /// only after the buckets before it; the rest start at the end; the result is the same.
  @Test func bucketsStartAsBackwardMakesThemFinal() throws {
    let expected = (0..<17).map { Float($0) * 0.5 }
    var values = expected
    try values.withUnsafeMutableBufferPointer { buffer in
      let ranks = IdenticalRanks(size: 2, base: buffer.baseAddress!)
      let averager = GradientAverager(
        communicator: ranks, bucketBytes: 16, gradients: buffer, regions: Self.regions, overlapsBackward: true
      )
      averager.beginStep(share: 0.5)
      averager.backwardLeft(node: 4)
      #expect(ranks.messages.isEmpty)
      // Node 3 makes elements 8..<17 final: buckets 13..<17 and 9..<13, not 5..<9 (element 5 is node 2's).
      averager.backwardLeft(node: 3)
      #expect(ranks.messages.map(\.start) == [13, 9])
      averager.backwardLeft(node: 2)
      #expect(ranks.messages.map(\.start) == [13, 9, 5])
      try averager.finishStep()
      #expect(ranks.messages.map(\.start) == [13, 9, 5, 1, 0])
      #expect(ranks.waits == 1)
      #expect(Array(buffer) == expected)
    }
  }

  /// A bucket made final early waits for the one before it, so every rank starts them in one order.
  @Test func bucketsStartInOrderWhateverOrderBackwardFinishesThem() throws {
    var values = [Float](repeating: 1, count: 8)
    try values.withUnsafeMutableBufferPointer { buffer in
      let ranks = IdenticalRanks(size: 2, base: buffer.baseAddress!)
      let regions = [
        GradientAverager.Region(offset: 0, count: 4, finalNode: 5),
        GradientAverager.Region(offset: 4, count: 4, finalNode: 2),
      ]
      let averager = GradientAverager(
        communicator: ranks, bucketBytes: 16, gradients: buffer, regions: regions, overlapsBackward: true)
      averager.beginStep(share: 1)
      averager.backwardLeft(node: 5)
      #expect(ranks.messages.isEmpty)
      averager.backwardLeft(node: 2)
      #expect(ranks.messages.map(\.start) == [4, 0])
      try averager.finishStep()
      #expect(Array(buffer) == [Float](repeating: 2, count: 8))
    }
  }
}
