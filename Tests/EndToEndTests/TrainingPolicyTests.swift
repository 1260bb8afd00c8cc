import Foundation
import Testing

/// Learning-rate schedules and early stopping as the trainer applies them, read back from history.
@Suite struct TrainingPolicyTests {
  struct Record: Decodable {
    var epoch: Int
    var learning_rate: Double
  }

  static func records(_ run: URL) throws -> [Record] {
    let text = try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
  }

  @Test func stepScheduleHalvesEveryTwoEpochs() throws {
    let directory = try TrainingSupport.temporaryDirectory("schedule")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10", optimizer: "{sgd: {lr: 0.08, momentum: 0.9}}",
      train: "{epochs: 5, batch_size: 128, seed: 1, schedule: {step: {every: 2, gamma: 0.5}}}")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    let rates = try Self.records(run).map(\.learning_rate)
    let expected = [0.08, 0.08, 0.04, 0.04, 0.02]
    #expect(rates.count == 5)
    for (rate, value) in zip(rates, expected) { #expect(abs(rate - value) < 1e-7, "\(rates)") }

    let cosine = directory.appendingPathComponent("cosine")
    let second = try NNCProcess.run([
      "train", spec, "--run-dir", cosine.path, "--set", "train.schedule={cosine: {min_lr: 0.01}}",
      "--set", "train.epochs=3",
    ])
    #expect(second.status == 0, "\(second.stderr)")
    // Cosine from 0.08 to 0.01 over 3 epochs, read at the start of each epoch: t = 0, 1/3, 2/3.
    let cosineRates = try Self.records(cosine).map(\.learning_rate)
    let expectedCosine = [0.0, 1.0 / 3, 2.0 / 3].map { 0.01 + 0.5 * 0.07 * (1 + cos(Double.pi * $0)) }
    for (rate, value) in zip(cosineRates, expectedCosine) {
      #expect(abs(rate - value) < 1e-6, "\(cosineRates)")
    }
  }

  @Test func plateauHalvesTheRateWhenTheMetricStalls() throws {
    let directory = try TrainingSupport.temporaryDirectory("plateau")
    defer { try? FileManager.default.removeItem(at: directory) }
    // A rate of 1e-12 leaves the predictions, and so the accuracy, unchanged: every epoch stalls.
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10", optimizer: "{sgd: {lr: 1.0e-12}}",
      train:
        "{epochs: 4, batch_size: 64, seed: 1, schedule: {plateau: {factor: 0.5, patience: 0, monitor: val_accuracy}}}"
    )
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    let rates = try Self.records(run).map(\.learning_rate)
    let expected = [1e-12, 1e-12, 5e-13, 2.5e-13]
    #expect(rates.count == 4)
    for (rate, value) in zip(rates, expected) { #expect(abs(rate - value) < 1e-18, "\(rates)") }
  }

  @Test func earlyStoppingStopsAfterPatienceAndRestoresTheBest() throws {
    let directory = try TrainingSupport.temporaryDirectory("early")
    defer { try? FileManager.default.removeItem(at: directory) }
    // No epoch can improve val_loss by 10, so every epoch after the first counts against patience.
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10",
      train:
        "{epochs: 10, batch_size: 64, seed: 1, early_stopping: {monitor: val_loss, patience: 2, min_delta: 10}}"
    )
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    // Keras's patience: the second epoch in a row without improvement (epoch 3) stops.
    #expect(try Self.records(run).count == 3)
    #expect(
      result.stdout.contains("early stopping: val_loss did not improve for 2 epochs"), "\(result.stdout)")
    #expect(result.stdout.contains("restored the weights of epoch"))
  }
}
