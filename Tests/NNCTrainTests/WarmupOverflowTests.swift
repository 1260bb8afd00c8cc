import Testing

@testable import NNCTrain

/// A warm-up too long for `Int` steps (`check` refuses it; a hand-built schedule may not) saturates.
@Test func hugeWarmupSaturatesInsteadOfTrapping() {
  let schedule = LearningRateSchedule(base: 0.1, warmup: 4_611_686_018_427_387_904)
  let rate = schedule.learningRate(epoch: 3, step: 2, stepsPerEpoch: 100)
  #expect(rate.isFinite)
  #expect(rate > 0 && rate < 1e-10)
  let late = schedule.learningRate(epoch: Int.max / 2, step: 99, stepsPerEpoch: 1 << 20)
  #expect(late.isFinite && late <= 0.1)
}
