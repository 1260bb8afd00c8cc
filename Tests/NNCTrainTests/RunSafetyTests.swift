import Foundation
import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// The pure parts of a run's safety: finite checkpoints, the settings a resume must keep, stale
/// temporary files, the run-directory lock and the best/last checkpoint pair after a kill.
@Suite struct RunSafetyTests {
  func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nnc-safety-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  func configuration(_ sections: String) throws -> TrainingConfiguration {
    let text = """
      model:
        input: [4]
        layers:
          - dense: 2
      \(sections)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/safety.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    #expect(!Lowering.lower(parsed).hasErrors)
    return TrainingConfiguration(spec: parsed)
  }

  @Test func nonFiniteValuesAreCountedByTensor() {
    var checkpoint = Checkpoint(
      parameters: [
        "a.weight": .init(shape: [3], values: [1, .infinity, -.infinity]),
        "a.bias": .init(shape: [2], values: [0, 1]),
      ], optimizerState: ["adam_m.0": [.nan, 2]])
    #expect(checkpoint.nonFiniteTensors.map(\.name) == ["__optimizer__/adam_m.0", "a.weight"])
    #expect(checkpoint.nonFiniteTensors.map(\.count) == [1, 2])
    #expect(checkpoint.nonFiniteSummary?.contains("2 in a.weight") == true)
    checkpoint.parameters["a.weight"]!.values = [1, 2, 3]
    checkpoint.optimizerState = [:]
    #expect(checkpoint.nonFiniteTensors.isEmpty)
    #expect(checkpoint.nonFiniteSummary == nil)
  }

  @Test func settingsListWhatChangedButNotTheEpochs() throws {
    let base = try configuration("optimizer: {sgd: {lr: 0.1}}\ntrain: {epochs: 2, seed: 1}")
    let longer = try configuration("optimizer: {sgd: {lr: 0.1}}\ntrain: {epochs: 9, seed: 1}")
    let changed = try configuration("optimizer: {adam: {lr: 0.1}}\ntrain: {epochs: 2, seed: 5}")
    let saved = RunSettings(configuration: base, trainSamples: 10, validationSamples: 2)
    let restored = try #require(RunSettings(encoded: saved.encoded))
    #expect(restored == saved)
    #expect(
      RunSettings(configuration: longer, trainSamples: 10, validationSamples: 2).changes(since: saved).isEmpty
    )
    let changes = RunSettings(configuration: changed, trainSamples: 12, validationSamples: 2).changes(
      since: saved)
    let keys = Set(changes.map { String($0.prefix { $0 != ":" }) })
    #expect(keys.isSuperset(of: ["data (training samples)", "optimizer", "train.seed"]), "\(changes)")
    #expect(!keys.contains("optimizer.adam.lr") && !keys.contains("train.batch_size"), "\(changes)")
    #expect(changes.contains("train.seed: 1 -> 5"))
    #expect(changes.contains("optimizer: sgd -> adam"))
    #expect(changes.contains("data (training samples): 10 -> 12"))
  }

  /// A refusal names settings as the spec writes them, never as the configuration's Swift fields.
  @Test func changedSettingsAreNamedBySpecKeys() throws {
    let saved = RunSettings(
      configuration: try configuration(
        "optimizer: {adam: {lr: 0.1, beta2: 0.99, weight_decay: 0}}\n"
          + "train: {batch_size: 8, schedule: {cosine: {min_lr: 0.001}}, clip_norm: 1}\n"
          + "loss: {cross_entropy: {label_smoothing: 0.1}}"),
      trainSamples: 10, validationSamples: 2)
    let changes = RunSettings(
      configuration: try configuration(
        "optimizer: {adam: {lr: 0.01, beta2: 0.9, weight_decay: 0.5}}\n"
          + "train: {batch_size: 16, schedule: {cosine: {min_lr: 0.0001}}, clip_norm: 2}\n"
          + "loss: {cross_entropy: {label_smoothing: 0.2}}"),
      trainSamples: 10, validationSamples: 2
    ).changes(since: saved)
    #expect(
      Set(changes.map { String($0.prefix { $0 != ":" }) }) == [
        "optimizer.adam.lr", "optimizer.adam.beta2", "optimizer.adam.weight_decay", "train.batch_size",
        "train.schedule.cosine.min_lr", "train.clip_norm", "loss.cross_entropy.label_smoothing",
      ], "\(changes)")
    #expect(changes.contains("optimizer.adam.lr: 0.1 -> 0.01"), "\(changes)")
    #expect(changes.contains("train.batch_size: 8 -> 16"), "\(changes)")
    // No Swift field name (camelCase) in any line.
    #expect(changes.allSatisfy { !$0.prefix { $0 != ":" }.contains { $0.isUppercase } }, "\(changes)")
  }

  @Test func staleTemporariesOfDeadProcessesAreRemoved() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // A child that has exited: its PID belongs to no live process once it is reaped.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = ".checkpoint-last.safetensors.tmp-\(child.processIdentifier)"
    let alive = ".checkpoint-best.safetensors.tmp-\(getppid())"
    for name in [dead, alive, "checkpoint-last.safetensors", ".notes.tmp-x"] {
      #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data([1])))
    }
    let removed = RunFiles(directory: directory).removeStaleTemporaries()
    #expect(removed == [dead])
    let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(left == [alive, ".notes.tmp-x", "checkpoint-last.safetensors"].sorted())
  }

  @Test func aSecondLockOnARunDirectoryFailsNamingIt() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var first: RunDirectoryLock? = try RunDirectoryLock(directory: directory)
    #expect(first != nil)
    do {
      _ = try RunDirectoryLock(directory: directory)
      Issue.record("a second lock was granted")
    } catch let error as TrainError {
      #expect(error.message.contains(directory) && error.message.contains("in use"), "\(error.message)")
    }
    first = nil
    #expect(throws: Never.self) { _ = try RunDirectoryLock(directory: directory) }
  }

  /// The kill between the renames of `checkpoint-last` and `checkpoint-best` in an improving epoch:
  /// last names epoch 2 as the best, best still holds epoch 1.
  @Test func aKillBetweenTheRenamesIsRepairedOnResume() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let bestPath = directory + "/checkpoint-best.safetensors"
    func checkpoint(epoch: Int, best: Int, value: Float) -> Checkpoint {
      Checkpoint(
        parameters: ["w": .init(shape: [1], values: [value])], epoch: epoch,
        metadata: ["best_epoch": String(best)])
    }
    try checkpoint(epoch: 1, best: 1, value: 1).write(to: bestPath)
    let last = checkpoint(epoch: 2, best: 2, value: 2)
    #expect(try Trainer.reconcileBest(last: last, bestPath: bestPath))
    let repaired = try Checkpoint.read(from: bestPath)
    #expect(repaired.metadata["best_epoch"] == "2")
    #expect(repaired.parameters["w"]?.values == [2])
    // Once consistent (or when the last epoch did not improve), nothing is rewritten.
    #expect(try !Trainer.reconcileBest(last: last, bestPath: bestPath))
    #expect(try !Trainer.reconcileBest(last: checkpoint(epoch: 3, best: 2, value: 3), bestPath: bestPath))
    #expect(try Checkpoint.read(from: bestPath).parameters["w"]?.values == [2])
  }
}
