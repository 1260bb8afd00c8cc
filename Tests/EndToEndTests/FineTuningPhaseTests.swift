import Foundation
import NNCTrain
import Testing

/// Staged fine-tuning and early stopping, end to end on the digits data: frozen parameters stay
/// bit-identical, unfrozen ones move, phases survive a resume, and early stopping restores the
/// best epoch's weights.
@Suite struct FineTuningPhaseTests {
  static let layers = """
        - flatten
        - dense: {units: 16, activation: relu, name: body}
        - batchnorm: {name: norm}
        - dense: {units: 10, name: head}
    """

  @Test func phasesFreezeThenUnfreezeAcrossAResume() throws {
    let directory = try TrainingSupport.temporaryDirectory("phases")
    defer { try? FileManager.default.removeItem(at: directory) }
    let base = try TrainingSupport.digitsSpec(
      in: directory, name: "base", layers: Self.layers, train: "{epochs: 1, batch_size: 32, seed: 1}")
    let baseRun = directory.appendingPathComponent("base-run")
    #expect(try NNCProcess.run(["train", base, "--run-dir", baseRun.path]).status == 0)
    let baseCheckpoint = baseRun.appendingPathComponent("checkpoint-last.safetensors").path

    let tuned = try TrainingSupport.digitsSpec(
      in: directory, name: "tuned", layers: Self.layers,
      train: """
        {batch_size: 32, seed: 2, init: {from: \(baseCheckpoint)},
          phases: [{epochs: 1, trainable: [head], lr: 0.01}, {epochs: 1, freeze: {until: body}, lr: 0.001}]}
        """)
    let check = try NNCProcess.run(["check", tuned])
    #expect(check.status == 0, "\(check.stderr)")
    // 64*16+16 (body) + 4*16 (norm) + 16*10+10 (head) = 1,274 parameters. Phase 1 trains the head
    // alone; phase 2 norm's gamma and beta too (its running statistics never train).
    #expect(
      check.stdout.contains("phase 1: epochs 1-1, adam lr 0.01, trainable params 170, frozen params 1,104"))
    #expect(
      check.stdout.contains("phase 2: epochs 2-2, adam lr 0.001, trainable params 202, frozen params 1,072"))
    #expect(check.stdout.contains("    trainable: norm, head"), "\(check.stdout)")
    let json = try NNCProcess.run(["check", tuned, "--format", "json"])
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let phases = try #require(report["phases"] as? [[String: Any]])
    #expect(phases.count == 2)
    #expect(phases[0]["trainable_parameters"] as? [String] == ["head.weight", "head.bias"])
    #expect(phases[1]["first_epoch"] as? Int == 2)
    #expect(phases[1]["frozen_params"] as? Int == 1072)

    // Phase 1 only (--epochs caps the run): everything but the head is exactly the base run's,
    // batchnorm running statistics included (a frozen batchnorm uses and keeps them).
    let run = directory.appendingPathComponent("tuned-run")
    let first = try NNCProcess.run(["train", tuned, "--run-dir", run.path, "--epochs", "1"])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("1274 parameters, trainable by phase"), "\(first.stdout)")
    #expect(first.stdout.contains("phase 1 of 2 from epoch 1: 170 trainable parameters"), "\(first.stdout)")
    let before = try Checkpoint.read(from: baseCheckpoint)
    let last = run.appendingPathComponent("checkpoint-last.safetensors").path
    let afterPhase1 = try Checkpoint.read(from: last)
    let frozenInPhase1 = [
      "body.weight", "body.bias", "norm.gamma", "norm.beta", "norm.running_mean", "norm.running_var",
    ]
    for name in frozenInPhase1 {
      #expect(afterPhase1.parameters[name] == before.parameters[name], "\(name) changed in phase 1")
    }
    #expect(afterPhase1.parameters["head.weight"] != before.parameters["head.weight"])

    // Resumed into phase 2: body stays; norm trains (batch statistics, so its running ones move).
    let second = try NNCProcess.run(["train", tuned, "--run-dir", run.path, "--resume"])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.contains("phase 2 of 2 from epoch 2"), "\(second.stdout)")
    let afterPhase2 = try Checkpoint.read(from: last)
    #expect(afterPhase2.epoch == 2)
    for name in ["body.weight", "body.bias"] {
      #expect(afterPhase2.parameters[name] == before.parameters[name], "\(name) changed in phase 2")
    }
    for name in ["norm.gamma", "norm.beta", "norm.running_mean", "head.weight"] {
      #expect(afterPhase2.parameters[name] != afterPhase1.parameters[name], "\(name) did not move in phase 2")
    }
  }

  @Test func earlyStoppingRestoresTheBestEpochsWeights() throws {
    let directory = try TrainingSupport.temporaryDirectory("early-stopping")
    defer { try? FileManager.default.removeItem(at: directory) }
    // No later epoch can beat the first by 100: training stops after epoch 2 (patience 0) and
    // restores epoch 1.
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers,
      train: """
        {epochs: 5, batch_size: 32, seed: 1,
          early_stopping: {monitor: val_loss, mode: min, patience: 0, min_delta: 100, restore_best: true}}
        """)
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("restored the weights of epoch 1"), "\(result.stdout)")
    #expect(try TrainingSupport.history(run).count == 2)

    // The same run cut after one epoch has the weights early stopping must have restored.
    let reference = directory.appendingPathComponent("reference")
    #expect(try NNCProcess.run(["train", spec, "--run-dir", reference.path, "--epochs", "1"]).status == 0)
    let expected = try Checkpoint.read(
      from: reference.appendingPathComponent("checkpoint-last.safetensors").path)
    let restored = try Checkpoint.read(from: run.appendingPathComponent("checkpoint-last.safetensors").path)
    #expect(restored.parameters == expected.parameters)
    // The weights that were replaced differ (the check above is not vacuous).
    let epoch2 = try NNCProcess.run([
      "train", spec, "--run-dir", reference.path + "2", "--epochs", "2",
      "--set", "train.early_stopping.restore_best=false",
    ])
    #expect(epoch2.status == 0)
    let unrestored = try Checkpoint.read(from: reference.path + "2/checkpoint-last.safetensors")
    #expect(unrestored.parameters != expected.parameters)
  }
}
