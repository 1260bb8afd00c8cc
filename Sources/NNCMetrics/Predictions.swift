/// What a classifier said about a set of samples: the true labels, its decisions, and its scores
/// (class probabilities, row-major, `classes` per sample). Everything in NNCMetrics is computed from
/// this, whether the predictions come from `nnc eval` or from a CSV file made elsewhere.
public struct Predictions: Sendable, Equatable {
  public var labels: [Int]
  public var predictions: [Int]
  public var scores: [Double]
  public var classes: Int

  /// A single score column (a sigmoid output) stands for the probability of class 1 and becomes the two
  /// columns `[1 − p, p]`, as scikit-learn's `log_loss` does.
  public init(labels: [Int], predictions: [Int], scores: [Double], classes: Int) {
    self.labels = labels
    self.predictions = predictions
    if classes == 1 {
      self.scores = scores.flatMap { [1 - $0, $0] }
      self.classes = 2
    } else {
      self.scores = scores
      self.classes = classes
    }
  }

  public var count: Int { labels.count }

  /// The scores of class `c` for every sample.
  public func column(_ c: Int) -> [Double] { labels.indices.map { scores[$0 * classes + c] } }
}
