import Foundation
import NNCRandom
import Testing

@testable import NNCTrain

@Test func checkpointRoundTripResumesOptimizerAndGenerator() throws {
  var generator = RandomGenerator(seed: 99)
  for _ in 0..<5 { _ = generator.next() }
  var adam = try Adam()
  var weights: [Float] = [0.5, -0.5, 1, 2]
  var gradient: [Float] = [0.1, 0.2, -0.3, 0.4]
  try weights.withUnsafeMutableBufferPointer { w in
    try gradient.withUnsafeMutableBufferPointer { g in
      try adam.step(parameters: [w], gradients: [g], learningRate: 0.01)
    }
  }
  let checkpoint = Checkpoint(
    parameters: ["dense1.weight": .init(shape: [2, 2], values: weights)],
    optimizerState: adam.stateTensors(), optimizerStepCount: adam.stepCount, epoch: 3,
    randomState: generator.stateWords, metadata: ["spec_sha256": "abc"])

  let directory = NSTemporaryDirectory() + "nnc-checkpoint-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = directory + "/last.safetensors"
  try checkpoint.write(to: path)
  let restored = try Checkpoint.read(from: path)
  #expect(restored == checkpoint)

  var resumedGenerator = try #require(RandomGenerator(state: restored.randomState ?? []))
  #expect(resumedGenerator.next() == generator.next())
  var resumedAdam = try Adam()
  try resumedAdam.restore(state: restored.optimizerState, parameterSizes: [4])
  resumedAdam.stepCount = restored.optimizerStepCount
  #expect(resumedAdam.stateTensors() == adam.stateTensors() && resumedAdam.stepCount == 1)
}

@Test func plainWeightFilesLoadAsParameters() throws {
  let file = SafeTensorsFile(tensors: ["fc.bias": try SafeTensor([1, 2] as [Float])])
  let checkpoint = try Checkpoint(file: file, path: "weights.safetensors")
  #expect(checkpoint.parameters["fc.bias"] == .init(shape: [2], values: [1, 2]))
  #expect(checkpoint.epoch == 0 && checkpoint.optimizerState.isEmpty && checkpoint.randomState == nil)
}

@Test func malformedCheckpointCountersAreReported() throws {
  let file = SafeTensorsFile(tensors: ["__training__/epoch": try SafeTensor([1.5] as [Float])])
  #expect(throws: SafeTensorsError.self) { try Checkpoint(file: file, path: "bad.safetensors") }
  let reserved = Checkpoint(parameters: ["__optimizer__/x": .init(shape: [1], values: [0])])
  #expect(throws: TrainError.self) { try reserved.file() }
  let misshapen = Checkpoint(parameters: ["w": .init(shape: [3], values: [0])])
  #expect(throws: TrainError.self) { try misshapen.file() }
}
