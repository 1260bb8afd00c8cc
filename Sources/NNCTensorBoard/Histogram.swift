/// A TensorBoard histogram of a tensor's values: count, sum, sum of squares, extremes and equal-width
/// buckets between the smallest and largest value (TensorBoard draws each bucket from the previous
/// limit, or the minimum, to its own limit).
enum Histogram {
  static let bucketCount = 30

  /// Nil when `values` holds no finite value; non-finite values are left out.
  static func make(_ values: [Float]) -> Tensorboard_HistogramProto? {
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else { return nil }
    var histogram = Tensorboard_HistogramProto()
    histogram.min = Double(low)
    histogram.max = Double(high)
    histogram.num = Double(finite.count)
    histogram.sum = finite.reduce(0) { $0 + Double($1) }
    histogram.sumSquares = finite.reduce(0) { $0 + Double($1) * Double($1) }
    guard high > low else {
      histogram.bucketLimit = [Double(high)]
      histogram.bucket = [Double(finite.count)]
      return histogram
    }
    let width = (Double(high) - Double(low)) / Double(bucketCount)
    var counts = [Double](repeating: 0, count: bucketCount)
    for value in finite {
      counts[min(Int((Double(value) - Double(low)) / width), bucketCount - 1)] += 1
    }
    histogram.bucketLimit = (1...bucketCount).map {
      $0 == bucketCount ? Double(high) : Double(low) + width * Double($0)
    }
    histogram.bucket = counts
    return histogram
  }
}
