import NNCRandom

/// One batch: `count` samples copied out of a data set, row-major, with their labels. A `Batch` is
/// a reusable buffer: pass the same variable to `BatchLoader.next(into:)` every step and its storage
/// is recycled (keep no other copy of its arrays, or copy-on-write will allocate).
public struct Batch: Sendable {
  /// `count × sampleSize` values.
  public var samples: [Float]
  public var labels: [Int32]
  /// The targets of a data set with `Dataset.targets` (regression values or multi-hot labels),
  /// `targets.width` per sample; empty for class labels, which go to `labels`.
  public var targets: [Float]
  /// The data set index of each sample (for predictions and tests).
  public var indices: [Int]
  /// The epoch and the position of this batch within it.
  public var epoch: Int
  public var index: Int

  public init() {
    samples = []
    labels = []
    targets = []
    indices = []
    epoch = 0
    index = 0
  }

  /// The number of samples in this batch (the last batch of an epoch may be short).
  public var count: Int { indices.count }
}

/// A per-sample transform (augmentation): it may rewrite the sample's values in place. It receives
/// the sample's index in the data set and a generator derived from (seed, epoch, position in the
/// epoch), so its results do not depend on which thread runs it or when.
public typealias SampleTransform =
  @Sendable (inout UnsafeMutableBufferPointer<Float>, Int, inout RandomGenerator) -> Void
