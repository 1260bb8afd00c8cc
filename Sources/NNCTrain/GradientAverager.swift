import Dispatch
import NNCRuntime

/// Averages the gradients of a data-parallel step over the ranks. The gradients of the trainable
/// parameters lie one after another in one buffer; it is cut, from its end, into buckets of
/// `bucketElements` floats, and each bucket, scaled by the rank's share of the global batch, is
/// summed over the ranks in place with one all-reduce (fewer, larger messages than one per
/// parameter). Backward writes the last parameters' gradients first, so the buckets are cut from
/// the end: with `overlapsBackward`, a bucket's all-reduce starts as soon as backward has left every
/// node that writes into it, and communication runs under the rest of backward. Either way the
/// buckets hold the same elements and start in the same order, so MPI reduces them alike and the
/// results are the same bit for bit.
public final class GradientAverager {
  /// Where a parameter's gradient lies in the buffer, and the node after whose backward it is final.
  public struct Region: Sendable {
    public var offset: Int
    public var count: Int
    public var finalNode: Int

    public init(offset: Int, count: Int, finalNode: Int) {
      self.offset = offset
      self.count = count
      self.finalNode = finalNode
    }
  }

  public let communicator: any Communicator
  public let bucketElements: Int
  /// Whether `TrainingStep` starts each bucket during backward (`train.allreduce_overlap`).
  public let overlapsBackward: Bool
  let gradients: UnsafeMutableBufferPointer<Float>
  /// The buckets in the order they start: ranges of `gradients`, from its end.
  let buckets: [Range<Int>]
  /// Per bucket, the node index at which backward has made it (and every bucket before it) final.
  let startNodes: [Int]
  private var started = 0
  private var share: Float = 1
  private var stepStart: UInt64 = 0
  private var failure: (any Error)?
  /// Seconds spent in all-reduce calls so far (starting, progressing and waiting for the buckets,
  /// the wait for the slowest rank included), for `nnc bench`'s communication share.
  public private(set) var communicationSeconds = 0.0
  /// Bytes summed per rank in the all-reduces so far.
  public private(set) var communicatedBytes = 0

  /// Averages `gradients`, laid out as `regions` say, in buckets of `bucketBytes`.
  public init(
    communicator: any Communicator, bucketBytes: Int, gradients: UnsafeMutableBufferPointer<Float>,
    regions: [Region], overlapsBackward: Bool
  ) {
    self.communicator = communicator
    self.gradients = gradients
    self.overlapsBackward = overlapsBackward
    let elements = max(bucketBytes / MemoryLayout<Float>.stride, 1)
    bucketElements = elements
    var buckets: [Range<Int>] = []
    var end = gradients.count
    while end > 0 {
      buckets.append(max(end - elements, 0)..<end)
      end -= elements
    }
    self.buckets = buckets
    // A bucket waits for the first node writing into it; and for the buckets before it, so that
    // every rank starts them in one order whatever order the nodes make them final in.
    var earliest = Int.max
    startNodes = buckets.map { bucket in
      for region in regions
      where region.offset < bucket.upperBound && region.offset + region.count > bucket.lowerBound {
        earliest = min(earliest, region.finalNode)
      }
      return earliest
    }
  }

  /// The averager of `executor`'s trainable gradients.
  public convenience init(
    communicator: any Communicator, bucketBytes: Int, executor: Executor, overlapsBackward: Bool
  ) {
    let regions = executor.parameterLayout.compactMap { slot -> Region? in
      guard let offset = slot.gradientOffset, let node = executor.finalGradientNode(of: slot) else {
        return nil
      }
      return Region(offset: offset, count: slot.info.count, finalNode: node)
    }
    self.init(
      communicator: communicator, bucketBytes: bucketBytes, gradients: executor.parameterGradients,
      regions: regions, overlapsBackward: overlapsBackward)
  }

  /// Prepares a step in which this rank's gradients count `share` of the global batch's (its
  /// samples over the global batch's).
  public func beginStep(share: Float) {
    self.share = share
    started = 0
    failure = nil
  }

  /// Called as backward leaves node `index`: starts every bucket that became final and lets the
  /// started ones progress (MPI advances nonblocking collectives only inside its calls). An error
  /// is kept for `finishStep`, since backward cannot throw.
  public func backwardLeft(node index: Int) {
    guard failure == nil else { return }
    do {
      let start = DispatchTime.now().uptimeNanoseconds
      defer { communicationSeconds += Self.seconds(since: start) }
      var startedNow = false
      while started < buckets.count, startNodes[started] >= index {
        try startBucket()
        startedNow = true
      }
      if started > 0, !startedNow { try communicator.progressSums() }
    } catch {
      failure = error
    }
  }

  /// Starts the buckets backward has not started, and waits for all: the gradients are then the
  /// sums over the ranks of each rank's `share` times its own.
  public func finishStep() throws {
    if let failure { throw failure }
    let start = DispatchTime.now().uptimeNanoseconds
    defer { communicationSeconds += Self.seconds(since: start) }
    while started < buckets.count { try startBucket() }
    try communicator.waitForSums()
  }

  /// A whole step after backward: `beginStep`, then `finishStep`.
  public func average(share: Float) throws {
    beginStep(share: share)
    try finishStep()
  }

  private func startBucket() throws {
    let bucket = UnsafeMutableBufferPointer(rebasing: gradients[buckets[started]])
    let share = self.share
    for index in bucket.indices { bucket[index] *= share }
    try communicator.startSum(bucket)
    communicatedBytes += bucket.count * MemoryLayout<Float>.stride
    started += 1
  }

  private static func seconds(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }
}
