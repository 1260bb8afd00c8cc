extension TrainingConfiguration.OptimizerSettings {
  /// How many copies of the trainable parameters the optimizer keeps as state (its `StateSlots`):
  /// none for plain gradient descent, the velocity of SGD with momentum, RMSProp's square average
  /// (and its momentum buffer), Adam's two moment estimates.
  public var stateCopies: Int {
    switch kind {
    case .gd: 0
    case .sgd: momentum > 0 ? 1 : 0
    case .rmsprop: momentum > 0 ? 2 : 1
    case .adam, .adamw: 2
    }
  }
}
