import Foundation
import NNCTrain
import Testing

/// What a data-parallel step shares with one process beyond the gradients: bucket all-reduces that
/// overlap backward give the bits of those started after it, dropout draws the masks one process
/// draws, and the epoch's training metrics cover every rank's predictions. Skipped when Open MPI's
/// `mpirun` is not installed.
@Suite struct DataParallelStepTests {
  /// The history's training metrics besides loss and accuracy, by key.
  static func trainingMetrics(_ run: URL) throws -> [[String: Double]] {
    let text = try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      return object.compactMapValues { $0 as? Double }.filter {
        $0.key.hasPrefix("train_") && $0.key != "train_loss" && $0.key != "train_accuracy"
      }
    }
  }

  /// LeNet-5 with two dropout layers and f1, precision, ROC-AUC, log loss and top-5 accuracy on its
  /// training predictions, 2 epochs of 7 batches of 32 (the last one 15, split 7 and 8), in buckets
  /// of 0.1 MiB (3 for its 0.24 MiB of gradients).
  @Test func twoRanksDrawTheDropoutMasksAndReportTheTrainingMetricsOfOneProcess() throws {
    guard let mpirun = DataParallelTrainingTests.mpirun else {
      print("DataParallelStepTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-step")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try DataParallelTrainingTests.lenetSpec(
      in: directory, batchSize: 32, dropout: true, metrics: true)
    func train(_ name: String, ranks: Int, _ extra: [String] = []) throws -> Checkpoint {
      let run = directory.appendingPathComponent(name)
      let arguments = ["train", spec, "--run-dir", run.path, "--threads", "1"] + extra
      let result =
        ranks == 1
        ? try NNCProcess.run(arguments)
        : try DataParallelTrainingTests.mpiRun(mpirun, ranks: ranks, arguments)
      #expect(result.status == 0, "\(name): \(result.stdout)\n\(result.stderr)")
      return try Checkpoint.read(from: run.appendingPathComponent("checkpoint-last.safetensors").path)
    }
    let single = try train("single", ranks: 1)
    // Stated both ways: unset, ranks on one machine start the all-reduces after backward.
    let overlapped = try train("overlapped", ranks: 2, ["--set", "train.allreduce_overlap=true"])
    let after = try train("after-backward", ranks: 2, ["--set", "train.allreduce_overlap=false"])
    let unset = try train("unset", ranks: 2)
    for (name, tensor) in after.parameters {
      #expect(unset.parameters[name]?.values == tensor.values, "\(name) differs with the default")
    }

    // Overlapping the all-reduces with backward changes when they run, not what they sum.
    #expect(Set(overlapped.parameters.keys) == Set(after.parameters.keys))
    for (name, tensor) in after.parameters {
      #expect(overlapped.parameters[name]?.values == tensor.values, "\(name) differs with overlap")
    }
    #expect(overlapped.optimizerStepCount == 2 * 7)
    // With the masks of one process, the ranks train its weights (up to the order of the sums).
    try DataParallelTrainingTests.expectSameWeights(overlapped, single)

    let expected = try Self.trainingMetrics(directory.appendingPathComponent("single"))
    let actual = try Self.trainingMetrics(directory.appendingPathComponent("overlapped"))
    #expect(expected.count == 2 && actual.count == 2)
    for (epoch, (want, got)) in zip(expected, actual).enumerated() {
      #expect(Set(got.keys) == Set(want.keys))
      #expect(
        want.keys.contains("train_roc_auc_macro") || want.keys.contains { $0.hasPrefix("train_roc_auc") })
      for (key, value) in want {
        let other = try #require(got[key], "epoch \(epoch + 1): \(key) missing")
        #expect(
          abs(other - value) <= 1e-4 * max(1, abs(value)), "epoch \(epoch + 1): \(key) \(other) vs \(value)")
      }
    }
  }
}
