/// Reduce-on-plateau (`schedule: plateau`) with the semantics of Keras's `ReduceLROnPlateau`: after
/// `patience` epochs in a row without improvement of the watched metric, the learning rate is
/// multiplied by `factor` (never below `minimumRate`).
public struct PlateauMonitor: Sendable, Equatable {
  public enum Decision: Sendable, Equatable {
    case improved
    case waiting
    /// The rate was just reduced; the count of epochs without improvement starts over.
    case reduced
  }

  public var patience: Int
  public var factor: Double
  public var maximizes: Bool
  public var minimumRate: Double
  /// The factor applied so far, the best value and the epochs since it.
  public var scale = 1.0
  public var best: Double?
  public var epochsWithoutImprovement = 0

  public init(patience: Int, factor: Double, maximizes: Bool, minimumRate: Double) {
    self.patience = patience
    self.factor = factor
    self.maximizes = maximizes
    self.minimumRate = minimumRate
  }

  /// Takes an epoch's value; nil or a non-finite value changes nothing.
  public mutating func update(_ value: Double?) -> Decision {
    guard let value, value.isFinite else { return .waiting }
    if let best, maximizes ? value <= best : value >= best {
      epochsWithoutImprovement += 1
      guard epochsWithoutImprovement >= patience else { return .waiting }
      scale *= factor
      epochsWithoutImprovement = 0
      return .reduced
    }
    best = value
    epochsWithoutImprovement = 0
    return .improved
  }

  /// The scheduled rate times the reductions so far, never below the minimum.
  public func learningRate(scheduled: Float) -> Float {
    Float(max(Double(scheduled) * scale, minimumRate))
  }

  /// A new phase starts with its own learning rate.
  public mutating func reset() {
    scale = 1
    best = nil
    epochsWithoutImprovement = 0
  }
}
