import Synchronization
import Testing

@testable import NNCRuntime

/// The worker pool behind `Parallel`: every part runs exactly once, on however many threads, and a
/// loop returns only when all its parts are done — also over many short loops in a row, where a
/// worker still spinning from one loop meets the next.
@Suite struct WorkerPoolTests {
  @Test func everyPartRunsOnceAndIsDoneOnReturn() {
    let pool = WorkerPool(workers: 3)
    for threads in [1, 2, 4] {
      for parts in [1, 2, 3, 7, 64, 1000] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        #expect(pool.run(parts: parts, threads: threads) { part in counts[part] += 1 })
        #expect(counts.allSatisfy { $0 == 1 }, "\(parts) parts on \(threads) threads")
      }
    }
  }

  @Test func manyShortLoopsInARow() {
    let pool = WorkerPool(workers: 1)
    let total = Atomic<Int>(0)
    var expected = 0
    for loop in 0..<20_000 {
      let parts = 1 + loop % 5
      _ = pool.run(parts: parts, threads: 2) { part in total.add(part + 1, ordering: .relaxed) }
      expected += parts * (parts + 1) / 2
      if total.load(ordering: .relaxed) != expected {
        Issue.record("loop \(loop): \(total.load(ordering: .relaxed)) instead of \(expected)")
        return
      }
    }
  }

  @Test func aSecondCallerIsTurnedAwayNotInterleaved() {
    let pool = WorkerPool(workers: 1)
    var inner: Bool?
    let ran = pool.run(parts: 2, threads: 2) { part in
      if part == 0 { inner = pool.run(parts: 2, threads: 2) { _ in } }
    }
    #expect(ran && inner == false)
  }

  @Test func partsCoverTheRangeInAlignedBlocks() {
    for (count, parts, alignment) in [(100, 3, 16), (5, 8, 1), (1000, 8, 4), (33, 2, 16)] {
      let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
      hits.initialize(repeating: 0)
      defer { hits.deallocate() }
      let misaligned = Atomic<Int>(0)
      Parallel.forEachPart(count, parts: parts, alignment: alignment) { range in
        if range.lowerBound % alignment != 0 { misaligned.add(1, ordering: .relaxed) }
        for index in range { hits[index] += 1 }
      }
      #expect(hits.allSatisfy { $0 == 1 }, "\(count) in \(parts) parts")
      #expect(misaligned.load(ordering: .relaxed) == 0)
    }
  }

  /// Parts tile the units in order, no two differ by more than one unit, and the longer ones come
  /// first: claimed in order by two threads, each thread's share is then within one unit of the
  /// other's (36 positions in 8 parts: 5, 5, 5, 5, 4, 4, 4, 4, never 4, 5, 4, 5, …).
  @Test func longerPartsComeFirst() {
    for (units, parts) in [(36, 8), (13, 8), (8, 8), (7, 8), (1000, 16), (33, 2), (5, 4)] {
      let ranges = (0..<parts).map { Parallel.partRange($0, of: parts, units: units) }
      #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == units)
      #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
      #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.count >= $1.count })
      #expect(ranges.first!.count - ranges.last!.count <= 1, "\(units) in \(parts)")
      let alternate = stride(from: 0, to: parts, by: 2).map { ranges[$0].count }.reduce(0, +)
      #expect(abs(2 * alternate - units) <= 1, "\(units) in \(parts): every other part holds \(alternate)")
    }
  }
}
