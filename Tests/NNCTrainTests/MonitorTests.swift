import Testing

@testable import NNCTrain

/// Early stopping and reduce-on-plateau as small state machines, with Keras's patience: the
/// `patience`-th epoch in a row without improvement stops (or reduces the rate).
@Suite struct MonitorTests {
  @Test func earlyStoppingResetsOnImprovementAndEventuallyStops() {
    var monitor = EarlyStoppingMonitor(patience: 2, minDelta: 0, maximizes: false)
    #expect(monitor.update(1.0, epoch: 1) == .improved)
    #expect(monitor.update(1.5, epoch: 2) == .waiting)
    #expect(monitor.update(0.5, epoch: 3) == .improved)
    #expect(monitor.epochsWithoutImprovement == 0)
    #expect(monitor.best == 0.5 && monitor.bestEpoch == 3)
    var decisions: [EarlyStoppingMonitor.Decision] = []
    for epoch in 4..<20 {
      let decision = monitor.update(0.9, epoch: epoch)
      decisions.append(decision)
      if decision == .stop { break }
    }
    #expect(decisions.last == .stop)
    #expect(!decisions.contains(.improved))
    #expect(monitor.bestEpoch == 3)
  }

  @Test func earlyStoppingNeedsMoreThanMinDelta() {
    var monitor = EarlyStoppingMonitor(patience: 10, minDelta: 0.1, maximizes: true)
    #expect(monitor.update(0.5, epoch: 1) == .improved)
    #expect(monitor.update(0.55, epoch: 2) == .waiting)
    #expect(monitor.best == 0.5)
    #expect(monitor.update(0.65, epoch: 3) == .improved)
    #expect(monitor.best == 0.65)
  }

  @Test func earlyStoppingFollowsTheMode() {
    var maximizing = EarlyStoppingMonitor(patience: 5, minDelta: 0, maximizes: true)
    var minimizing = EarlyStoppingMonitor(patience: 5, minDelta: 0, maximizes: false)
    _ = maximizing.update(0.5, epoch: 1)
    _ = minimizing.update(0.5, epoch: 1)
    #expect(maximizing.update(0.7, epoch: 2) == .improved)
    #expect(minimizing.update(0.7, epoch: 2) == .waiting)
    #expect(maximizing.update(0.3, epoch: 3) == .waiting)
    #expect(minimizing.update(0.3, epoch: 3) == .improved)
  }

  @Test func earlyStoppingIgnoresMissingValuesAndResets() {
    var monitor = EarlyStoppingMonitor(patience: 3, minDelta: 0, maximizes: false)
    _ = monitor.update(1, epoch: 1)
    _ = monitor.update(2, epoch: 2)
    #expect(monitor.update(nil, epoch: 3) == .waiting)
    #expect(monitor.update(.nan, epoch: 4) == .waiting)
    #expect(monitor.epochsWithoutImprovement == 1)
    monitor.reset()
    #expect(monitor.best == nil && monitor.epochsWithoutImprovement == 0)
    #expect(monitor.update(5, epoch: 5) == .improved)
  }

  @Test func plateauReducesTheRateAfterAStallAndRestartsCounting() {
    var monitor = PlateauMonitor(patience: 1, factor: 0.5, maximizes: false, minimumRate: 0.01)
    #expect(monitor.update(1.0) == .improved)
    var decisions: [PlateauMonitor.Decision] = []
    for _ in 0..<10 {
      decisions.append(monitor.update(1.0))
      if decisions.last == .reduced { break }
    }
    #expect(decisions.last == .reduced)
    #expect(monitor.scale == 0.5)
    #expect(monitor.epochsWithoutImprovement == 0)
    #expect(monitor.learningRate(scheduled: 0.1) == Float(0.05))
    #expect(monitor.update(0.9) == .improved)
    // Never below the minimum rate.
    monitor.scale = 1e-6
    #expect(monitor.learningRate(scheduled: 0.1) == Float(0.01))
    monitor.reset()
    #expect(monitor.scale == 1 && monitor.best == nil)
  }

  @Test func plateauFollowsTheDirectionOfItsMetric() {
    var accuracy = PlateauMonitor(patience: 3, factor: 0.1, maximizes: true, minimumRate: 0)
    _ = accuracy.update(0.5)
    #expect(accuracy.update(0.6) == .improved)
    #expect(accuracy.update(0.55) == .waiting)
    #expect(accuracy.update(nil) == .waiting)
    #expect(accuracy.epochsWithoutImprovement == 1)
  }

  /// The epoch (1-based) at which a monitor fed `values` stops, nil if it never does.
  static func stoppingEpoch(patience: Int, minDelta: Double = 0, maximizes: Bool = false, _ values: [Double])
    -> Int?
  {
    var monitor = EarlyStoppingMonitor(patience: patience, minDelta: minDelta, maximizes: maximizes)
    for (index, value) in values.enumerated() where monitor.update(value, epoch: index + 1) == .stop {
      return index + 1
    }
    return nil
  }

  @Test func earlyStoppingStopsAfterPatienceEpochsInARowWithoutImprovement() {
    // Keras: wait counts the epochs without improvement; stop when wait >= patience.
    #expect(Self.stoppingEpoch(patience: 1, [1.0, 1.2, 0.5, 0.6]) == 2)
    #expect(Self.stoppingEpoch(patience: 2, [1.0, 1.2, 1.1, 0.5]) == 3)
    #expect(Self.stoppingEpoch(patience: 2, [1.0, 1.2, 0.9, 1.3, 0.8, 0.85, 0.9]) == 7)
    #expect(Self.stoppingEpoch(patience: 3, [1.0, 0.9, 0.8, 0.7]) == nil)
  }

  @Test func earlyStoppingWithPatienceZeroStopsAtTheFirstEpochThatDoesNotImprove() {
    #expect(Self.stoppingEpoch(patience: 0, [1.0, 0.9, 0.9, 0.5]) == 3)
    #expect(Self.stoppingEpoch(patience: 0, maximizes: true, [0.5, 0.6, 0.55]) == 3)
  }

  @Test func earlyStoppingCountsAnImprovementWithinMinDeltaAsNone() {
    #expect(Self.stoppingEpoch(patience: 1, minDelta: 0.1, [1.0, 0.95]) == 2)
    #expect(Self.stoppingEpoch(patience: 1, minDelta: 0.1, [1.0, 0.85, 0.8]) == 3)
  }

  @Test func earlyStoppingKeepsTheFirstEpochOfTheBestValue() {
    var monitor = EarlyStoppingMonitor(patience: 2, minDelta: 0, maximizes: true)
    _ = monitor.update(0.5, epoch: 1)
    _ = monitor.update(0.8, epoch: 2)
    #expect(monitor.update(0.8, epoch: 3) == .waiting)
    #expect(monitor.update(0.7, epoch: 4) == .stop)
    #expect(monitor.bestEpoch == 2)
  }

  @Test func plateauReducesAtThePatienceEpochInARow() {
    // Keras's ReduceLROnPlateau with patience 2: two epochs without improvement reduce the rate.
    var monitor = PlateauMonitor(patience: 2, factor: 0.5, maximizes: false, minimumRate: 0)
    #expect(monitor.update(1.0) == .improved)
    #expect(monitor.update(1.0) == .waiting)
    #expect(monitor.update(1.1) == .reduced)
    #expect(monitor.update(1.1) == .waiting)
    #expect(monitor.update(1.2) == .reduced)
    #expect(monitor.scale == 0.25)
    var immediate = PlateauMonitor(patience: 0, factor: 0.5, maximizes: false, minimumRate: 0)
    _ = immediate.update(1.0)
    #expect(immediate.update(1.0) == .reduced)
  }
}
