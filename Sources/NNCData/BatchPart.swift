/// Part `index` of `count` equal parts of every batch: in a data-parallel run of `count` ranks,
/// rank `index` reads only its part of each global batch, which is cut from the same shuffled
/// order as one process cuts it, so each step sees the same samples whatever the number of ranks.
/// A batch of `n` samples is split at `n * i / count`: equal parts when `count` divides `n`, and
/// otherwise (the last, partial batch of an epoch) parts that differ by at most one sample, some
/// of them empty when `n < count`.
public struct BatchPart: Sendable, Equatable {
  public let index: Int
  public let count: Int

  public init(index: Int, count: Int) {
    precondition(count > 0 && (0..<count).contains(index))
    self.index = index
    self.count = count
  }

  /// The whole batch (one process).
  public static let whole = BatchPart(index: 0, count: 1)

  /// The positions of this part within a batch of `size` samples.
  public func range(ofBatchSized size: Int) -> Range<Int> {
    size * index / count..<size * (index + 1) / count
  }
}
