import Foundation
import NNCTrain
import Testing

/// Fine-tuning: a second spec starts from the first run's checkpoint, replaces the head, freezes the
/// body by a name pattern and scales the learning rate of a layer.
@Suite struct TransferLearningTests {
  @Test func fineTuningLoadsFreezesAndReplacesTheHead() throws {
    let directory = try TrainingSupport.temporaryDirectory("transfer")
    defer { try? FileManager.default.removeItem(at: directory) }
    let body = """
          - flatten
          - dense: {units: 32, activation: relu, name: body}
          - batchnorm: {name: norm}
      """
    let base = try TrainingSupport.digitsSpec(
      in: directory, name: "base", layers: body + "\n    - dense: {units: 10, name: head}",
      train: "{epochs: 2, batch_size: 32, seed: 1}")
    let baseRun = directory.appendingPathComponent("base-run")
    #expect(try NNCProcess.run(["train", base, "--run-dir", baseRun.path]).status == 0)
    let baseCheckpoint = baseRun.appendingPathComponent("checkpoint-last.safetensors")

    // The new head has another name, so it starts fresh; the body and its batchnorm are frozen.
    let tuned = try TrainingSupport.digitsSpec(
      in: directory, name: "tuned", layers: body + "\n    - dense: {units: 10, name: new_head}",
      train: """
        {epochs: 2, batch_size: 32, seed: 7, init_from: \(baseCheckpoint.path), freeze: [bod*, norm],
          lr_multipliers: {new_head: 2.0}}
        """)
    let check = try NNCProcess.run(["check", tuned])
    #expect(check.status == 0, "\(check.stderr)")
    // Frozen: 64*32+32 (body) + 32+32 (gamma, beta) + 64 running statistics; trainable: the head.
    #expect(check.stdout.contains("trainable params:     330"), "\(check.stdout)")
    #expect(check.stdout.contains("non-trainable params: 2,208"), "\(check.stdout)")

    let tunedRun = directory.appendingPathComponent("tuned-run")
    let result = try NNCProcess.run(["train", tuned, "--run-dir", tunedRun.path])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
    #expect(
      lines.contains { $0.hasPrefix("loaded 6, skipped 0, left at their initializer 2") }, "\(result.stdout)")
    for name in ["new_head.weight", "new_head.bias"] {
      #expect(lines.contains { $0.hasPrefix("- \(name) ") && $0.hasSuffix("initializer: not in the file") })
    }

    let before = try Checkpoint.read(from: baseCheckpoint.path)
    let after = try Checkpoint.read(from: tunedRun.appendingPathComponent("checkpoint-last.safetensors").path)
    // Frozen layers, running statistics included, are exactly the base run's.
    for name in [
      "body.weight", "body.bias", "norm.gamma", "norm.beta", "norm.running_mean", "norm.running_var",
    ] {
      #expect(after.parameters[name] == before.parameters[name], "\(name) changed")
    }
    let history = try TrainingSupport.history(tunedRun)
    #expect(history.last!.val_accuracy! > 0.5)
  }

  @Test func unmatchedFreezePatternWarnsAndForeignCheckpointFails() throws {
    let directory = try TrainingSupport.temporaryDirectory("transfer-errors")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10",
      train: "{epochs: 1, freeze: [conv*]}")
    let check = try NNCProcess.run(["check", spec])
    #expect(check.status == 0)
    #expect(check.stderr.contains("warning: freeze pattern 'conv*' matches no layer"), "\(check.stderr)")
    let negative = try NNCProcess.run(["check", spec, "--set", "train.lr_multipliers={dense: -1}"])
    #expect(negative.status == 1)
    #expect(negative.stderr.contains("must be at least 0, found -1"), "\(negative.stderr)")

    let other = try TrainingSupport.digitsSpec(
      in: directory, name: "other", layers: "    - flatten\n    - dense: {units: 10, name: elsewhere}",
      train: "{epochs: 1}")
    let run = directory.appendingPathComponent("run")
    #expect(try NNCProcess.run(["train", other, "--run-dir", run.path]).status == 0)
    let foreign = try NNCProcess.run([
      "train", spec, "--set", "train.freeze=[]",
      "--set", "train.init_from=\(run.path)/checkpoint-last.safetensors", "--run-dir", directory.path + "/x",
    ])
    #expect(foreign.status == 1)
    #expect(foreign.stderr.contains("no tensor of the file matches"), "\(foreign.stderr)")
  }
}
