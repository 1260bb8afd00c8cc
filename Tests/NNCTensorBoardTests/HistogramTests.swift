import Testing

@testable import NNCTensorBoard

@Suite struct HistogramTests {
  @Test func bucketsCoverTheRangeEvenly() throws {
    let values: [Float] = [-1, 0, 0, 1, 2, .nan, .infinity]
    let histogram = try #require(Histogram.make(values))
    #expect(histogram.num == 5)
    #expect(histogram.min == -1)
    #expect(histogram.max == 2)
    #expect(histogram.sum == 2)
    #expect(histogram.sumSquares == 6)
    #expect(histogram.bucket.count == Histogram.bucketCount)
    #expect(histogram.bucket.reduce(0, +) == 5)
    // Bucket i covers [min + i w, min + (i + 1) w) with w = 0.1; the maximum falls in the last one.
    #expect(histogram.bucket[0] == 1)
    #expect(histogram.bucket[10] == 2)
    #expect(histogram.bucket[20] == 1)
    #expect(histogram.bucket[29] == 1)
  }

  @Test func nothingFiniteGivesNoHistogram() {
    #expect(Histogram.make([]) == nil)
    #expect(Histogram.make([.nan]) == nil)
  }
}
