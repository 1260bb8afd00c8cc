/// Early stopping (`train.early_stopping`) with Keras's semantics: watches one metric per epoch and
/// stops after `patience` epochs in a row without an improvement of more than `minDelta` (`patience: 0`
/// stops at the first epoch that does not improve).
public struct EarlyStoppingMonitor: Sendable, Equatable {
  public enum Decision: Sendable, Equatable {
    /// A new best value: the weights of this epoch are the ones to restore.
    case improved
    /// No improvement yet, within the patience.
    case waiting
    /// Out of patience: the run (or the phase) stops.
    case stop
  }

  public var patience: Int
  public var minDelta: Double
  public var maximizes: Bool
  /// The best value so far and the (1-based) epoch it was reached at.
  public var best: Double?
  public var bestEpoch: Int?
  public var epochsWithoutImprovement = 0

  public init(patience: Int, minDelta: Double, maximizes: Bool) {
    self.patience = patience
    self.minDelta = minDelta
    self.maximizes = maximizes
  }

  /// Takes an epoch's value; nil or a non-finite value counts as neither better nor worse.
  public mutating func update(_ value: Double?, epoch: Int) -> Decision {
    guard let value, value.isFinite else { return .waiting }
    if let best, maximizes ? value <= best + minDelta : value >= best - minDelta {
      epochsWithoutImprovement += 1
      return epochsWithoutImprovement >= patience ? .stop : .waiting
    }
    best = value
    bestEpoch = epoch
    epochsWithoutImprovement = 0
    return .improved
  }

  /// A new phase starts watching afresh.
  public mutating func reset() {
    best = nil
    bestEpoch = nil
    epochsWithoutImprovement = 0
  }
}
