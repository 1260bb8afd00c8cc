import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// Caffe's and Darknet's schedules (`inv`, `poly`, `multistep`, `step` in steps, warm-up in steps
/// with a power) read from a spec, against rates computed by hand from their definitions.
@Suite struct CaffeDarknetScheduleTests {
  func schedule(_ train: String, optimizer: String = "{sgd: {lr: 0.01}}") throws -> LearningRateSchedule {
    let text = """
      model:
        input: [4]
        layers:
          - dense: 2
      optimizer: \(optimizer)
      train: \(train)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/schedule.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    #expect(!lowered.hasErrors, "\(lowered.diagnostics)")
    let schedule = RunComponents.schedule(TrainingConfiguration(spec: parsed))
    try schedule.validate()
    return schedule
  }

  /// The rate at global step `step` with `perEpoch` steps per epoch.
  func rate(_ schedule: LearningRateSchedule, step: Int, perEpoch: Int) -> Double {
    Double(schedule.learningRate(epoch: step / perEpoch, step: step % perEpoch, stepsPerEpoch: perEpoch))
  }

  func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 * max(1, abs(b)) }

  @Test func caffeInvCountsIterations() throws {
    // Caffe's LeNet solver: base_lr 0.01, gamma 1e-4, power 0.75.
    let inv = try schedule("{epochs: 2, schedule: {inv: {gamma: 1.0e-4, power: 0.75}}}")
    #expect(close(rate(inv, step: 0, perEpoch: 600), 0.01))
    // 0.01 * (1 + 0.01)^-0.75 and 0.01 * (1 + 0.1)^-0.75.
    #expect(close(rate(inv, step: 100, perEpoch: 600), 0.009925650290))
    #expect(close(rate(inv, step: 1000, perEpoch: 600), 0.009310124446))
  }

  @Test func polyFallsToZeroAtTheEndOfTheRun() throws {
    // Darknet's cifar.cfg: learning_rate 0.4, poly, power 4. 4 epochs of 5 steps: T = 20.
    let poly = try schedule("{epochs: 4, schedule: {poly: {power: 4}}}", optimizer: "{sgd: {lr: 0.4}}")
    #expect(close(rate(poly, step: 0, perEpoch: 5), 0.4))
    #expect(close(rate(poly, step: 5, perEpoch: 5), 0.1265625))  // 0.4 * (3/4)^4
    #expect(close(rate(poly, step: 13, perEpoch: 5), 0.0060025))  // 0.4 * (7/20)^4
    #expect(close(rate(poly, step: 19, perEpoch: 5), 0.4 * 0.05 * 0.05 * 0.05 * 0.05))
  }

  @Test func multistepInEpochsAndInSteps() throws {
    let epochs = try schedule("{epochs: 10, schedule: {multistep: {milestones: [3, 5], gamma: 0.5}}}")
    let perEpoch = [0, 2, 3, 4, 5, 9].map { rate(epochs, step: $0 * 10 + 7, perEpoch: 10) }
    #expect(zip(perEpoch, [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]).allSatisfy { close($0, $1) })
    let steps = try schedule("{epochs: 3, schedule: {multistep: {milestone_steps: [4, 6]}}}")
    #expect(close(rate(steps, step: 3, perEpoch: 5), 0.01))
    #expect(close(rate(steps, step: 4, perEpoch: 5), 0.001))
    #expect(close(rate(steps, step: 6, perEpoch: 5), 0.0001))
  }

  @Test func stepEveryStepsIsCaffesStepsize() throws {
    let step = try schedule("{epochs: 3, schedule: {step: {every_steps: 4, gamma: 0.1}}}")
    #expect(close(rate(step, step: 3, perEpoch: 5), 0.01))
    #expect(close(rate(step, step: 4, perEpoch: 5), 0.001))
    #expect(close(rate(step, step: 8, perEpoch: 5), 0.0001))
  }

  @Test func warmupStepsWithAPowerIsDarknetsBurnIn() throws {
    let burnIn = try schedule("{epochs: 3, warmup_steps: 8, warmup_power: 4}", optimizer: "{sgd: {lr: 0.1}}")
    // 0.1 * ((s + 1) / 8)^4, then the base rate.
    #expect(close(rate(burnIn, step: 0, perEpoch: 5), 0.1 / 4096))
    #expect(close(rate(burnIn, step: 2, perEpoch: 5), 0.0019775390625))
    #expect(close(rate(burnIn, step: 7, perEpoch: 5), 0.1))
    #expect(close(rate(burnIn, step: 8, perEpoch: 5), 0.1))
    // A step warm-up does not shift the decay: epoch 2 of step(every: 2) has decayed once.
    let decayed = try schedule(
      "{epochs: 3, warmup_steps: 3, schedule: {step: {every: 2, gamma: 0.5}}}", optimizer: "{sgd: {lr: 0.1}}")
    #expect(close(rate(decayed, step: 1, perEpoch: 5), 0.1 * 2 / 3))
    #expect(close(rate(decayed, step: 9, perEpoch: 5), 0.1))
    #expect(close(rate(decayed, step: 10, perEpoch: 5), 0.05))
    // Nor a decay counted in steps: poly over 3 epochs of 5 steps still has T = 15.
    let poly = try schedule("{epochs: 3, warmup_steps: 3, schedule: poly}", optimizer: "{sgd: {lr: 0.1}}")
    #expect(close(rate(poly, step: 1, perEpoch: 5), 0.1 * 2 / 3))
    #expect(close(rate(poly, step: 6, perEpoch: 5), 0.1 * 9 / 15))
  }
}

/// `lr_multipliers` and `decay_multipliers` with tensor-name patterns (Caffe's `lr_mult: 2` on
/// biases, `decay_mult: 0`).
@Suite struct ParameterMultiplierTests {
  func step(_ train: String) throws -> TrainingStep {
    let text = """
      model:
        input: [5]
        layers:
          - dense: {units: 6, activation: relu, name: body}
          - batchnorm: {name: norm}
          - dense: {units: 3, name: head}
      optimizer: {sgd: {lr: 0.5, weight_decay: 0.01}}
      train: \(train)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/multipliers.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    #expect(!lowered.hasErrors, "\(lowered.diagnostics)")
    let benchmark = try TrainingBenchmark(
      graph: try #require(lowered.graph), configuration: TrainingConfiguration(spec: parsed), batch: 2,
      optimization: .all)
    return benchmark.step
  }

  @Test func patternsWithADotMatchTensorNames() throws {
    let step = try step(#"{lr_multipliers: {"*.bias": 2, head: 0.5}}"#)
    let names = step.trainable.map(\.info.name)
    #expect(names == ["body.weight", "body.bias", "norm.gamma", "norm.beta", "head.weight", "head.bias"])
    // The first matching pattern wins: head.bias takes "*.bias".
    #expect(step.optimizer.learningRateScales == [1, 2, 1, 1, 0.5, 2])
    #expect(step.optimizer.decayScales.isEmpty)
    #expect((0..<6).map { step.optimizer.decayScale($0) } == [1, 0, 0, 0, 1, 0])
  }

  @Test func decayMultipliersReachBiasesAndNormalization() throws {
    let step = try step(#"{decay_multipliers: {"*.bias": 1, "head.weight": 0, norm: 0.5}}"#)
    // Unmatched parameters keep the default: weights 1, the rest 0.
    #expect(step.optimizer.decayScales == [1, 1, 0.5, 0.5, 0, 1])
  }

  @Test func aZeroDecayMultiplierLeavesTheWeightUndecayed() throws {
    var sgd = try SGD(weightDecay: 0.5)
    sgd.decayScales = [0, 2]
    var first: [Float] = [1]
    var second: [Float] = [1]
    var firstGradient: [Float] = [0]
    var secondGradient: [Float] = [0]
    try first.withUnsafeMutableBufferPointer { a in
      try second.withUnsafeMutableBufferPointer { b in
        try firstGradient.withUnsafeMutableBufferPointer { ga in
          try secondGradient.withUnsafeMutableBufferPointer { gb in
            try sgd.step(parameters: [a, b], gradients: [ga, gb], learningRate: 0.1)
          }
        }
      }
    }
    #expect(first == [1])
    #expect(second == [Float(1 - 0.1 * 2 * 0.5)])
  }
}
