import Testing

@testable import NNCTrain

@Test func theFirstStepShowsNoRateAndNoTimeLeft() {
  // The first step has ended a moment ago: dividing its batch by that moment gave 128000000 img/s.
  #expect(StepRate.imagesPerSecond(samples: 0, seconds: 1e-9, step: 1) == "-")
  #expect(StepRate.imagesPerSecond(samples: 128, seconds: 0, step: 1) == "-")
  #expect(StepRate.remainingSeconds(seconds: 1e-9, step: 1, stepsPerEpoch: 100) == nil)
}

@Test func laterStepsCountFromTheEndOfTheFirst() {
  // Steps 2 and 3 of 10 (128 images each) took 2 seconds: 128 img/s, 7 steps of 1 s left.
  #expect(StepRate.imagesPerSecond(samples: 256, seconds: 2, step: 3) == "128")
  #expect(StepRate.remainingSeconds(seconds: 2, step: 3, stepsPerEpoch: 10) == 7)
  #expect(StepRate.remainingSeconds(seconds: 4, step: 10, stepsPerEpoch: 10) == 0)
}
