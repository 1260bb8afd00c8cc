import Foundation
import Testing

@testable import NNCTrain

private func rates(
  _ schedule: LearningRateSchedule, epochs: Int, stepsPerEpoch: Int
) -> [[Float]] {
  (0..<epochs).map { epoch in
    (0..<stepsPerEpoch).map {
      schedule.learningRate(epoch: epoch, step: $0, stepsPerEpoch: stepsPerEpoch)
    }
  }
}

private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-6 * max(1, abs(b)) }

@Test func constantScheduleNeverChanges() throws {
  let schedule = LearningRateSchedule(base: 0.1)
  try schedule.validate()
  #expect(rates(schedule, epochs: 3, stepsPerEpoch: 2).joined().allSatisfy { close($0, 0.1) })
}

@Test func stepDecayPerEpoch() {
  let schedule = LearningRateSchedule(base: 1, decay: .step(every: 2, gamma: 0.5))
  let perEpoch = rates(schedule, epochs: 5, stepsPerEpoch: 3).map { $0[0] }
  // Epochs 0-1: 1, epochs 2-3: 0.5, epoch 4: 0.25; constant within each epoch.
  #expect(zip(perEpoch, [1, 1, 0.5, 0.5, 0.25]).allSatisfy { close($0, $1) })
  #expect(rates(schedule, epochs: 5, stepsPerEpoch: 3).allSatisfy { Set($0).count == 1 })
}

@Test func exponentialDecayPerEpochAndPerStep() {
  let perEpoch = LearningRateSchedule(base: 0.2, decay: .exponential(gamma: 0.9))
  #expect(close(perEpoch.learningRate(epoch: 3, step: 5, stepsPerEpoch: 10), 0.2 * 0.729))
  let perStep = LearningRateSchedule(base: 0.2, decay: .exponential(gamma: 0.9), unit: .step)
  // Global step 1 * 10 + 2 = 12.
  #expect(close(perStep.learningRate(epoch: 1, step: 2, stepsPerEpoch: 10), 0.2 * pow(0.9, 12)))
}

@Test func cosineReachesTheMinimumAtTheEnd() {
  let schedule = LearningRateSchedule(base: 1, decay: .cosine(total: 4, minimum: 0.1))
  let perEpoch = rates(schedule, epochs: 6, stepsPerEpoch: 1).map { $0[0] }
  // 0.1 + 0.9 (1 + cos(pi t / 4)) / 2 for t = 0...4, then held at the minimum.
  let expected = [
    1.0, 0.1 + 0.45 * (1 + 0.5.squareRoot()), 0.55, 0.1 + 0.45 * (1 - 0.5.squareRoot()), 0.1, 0.1,
  ]
  #expect(zip(perEpoch, expected).allSatisfy { close($0, $1) })
}

@Test func linearWarmupThenCosineOverSteps() throws {
  let schedule = LearningRateSchedule(
    base: 0.4, decay: .cosine(total: 10, minimum: 0), unit: .step, warmup: 4)
  try schedule.validate()
  let flat = Array(rates(schedule, epochs: 3, stepsPerEpoch: 4).joined())
  // Warm-up: 0.4 * (s + 1) / 4 for s = 0..3; then cosine over the remaining 6 steps.
  #expect(zip(flat.prefix(4), [0.1, 0.2, 0.3, 0.4]).allSatisfy { close($0, $1) })
  #expect(close(flat[4], 0.4))
  #expect(close(flat[7], 0.2))  // t = 3 of 6: halfway
  #expect(close(flat[10], 0))
  #expect(close(flat[11], 0))
}

@Test func warmupInEpochsRampsPerStepThenDecaysPerEpoch() {
  let schedule = LearningRateSchedule(base: 1, decay: .step(every: 1, gamma: 0.1), warmup: 1)
  let table = rates(schedule, epochs: 3, stepsPerEpoch: 4)
  #expect(zip(table[0], [0.25, 0.5, 0.75, 1]).allSatisfy { close($0, $1) })
  #expect(table[1].allSatisfy { close($0, 1) })  // first epoch after warm-up: t = 0
  #expect(table[2].allSatisfy { close($0, 0.1) })
}

@Test func invalidSchedulesAreRejected() {
  #expect(throws: TrainError.self) { try LearningRateSchedule(base: 0).validate() }
  #expect(throws: TrainError.self) {
    try LearningRateSchedule(base: 1, decay: .step(every: 0, gamma: 0.5)).validate()
  }
  #expect(throws: TrainError.self) {
    try LearningRateSchedule(base: 1, decay: .cosine(total: 10, minimum: 2)).validate()
  }
  #expect(throws: TrainError.self) { try LearningRateSchedule(base: 1, warmup: -1).validate() }
}
