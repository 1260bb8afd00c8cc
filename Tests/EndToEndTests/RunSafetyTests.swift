import Foundation
import NNCTrain
import Testing

/// Signals, the run-directory lock, resuming with changed settings and non-finite values, through
/// the `nnc` binary.
@Suite struct RunSafetyEndToEndTests {
  static let layers = """
        - flatten
        - dense: {units: 32, activation: relu}
        - dense: 10
    """

  /// Starts a long training whose output goes to files, and waits until its first epoch is
  /// checkpointed.
  static func startLongTraining(spec: String, run: URL, logs: URL) throws -> Process {
    let process = Process()
    process.executableURL = NNCProcess.productsDirectory.appendingPathComponent("nnc")
    process.arguments = ["train", spec, "--run-dir", run.path, "--epochs", "100000"]
    process.currentDirectoryURL = NNCProcess.repositoryRoot
    _ = FileManager.default.createFile(atPath: logs.path + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: logs.path + ".err", contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logs.path + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logs.path + ".err"))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors").path
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning, Date() < deadline {
      let output = (try? String(contentsOfFile: logs.path + ".out", encoding: .utf8)) ?? ""
      if output.contains("epoch 1/"), FileManager.default.fileExists(atPath: checkpoint) { break }
      usleep(20_000)
    }
    return process
  }

  /// Waits at most a minute for a signalled run to end; a run that ignores the signal is killed, so
  /// the test fails instead of hanging.
  static func waitForExit(_ process: Process) {
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning, Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  @Test func sigintStopsAtAStepAndTheRunResumes() throws {
    let directory = try TrainingSupport.temporaryDirectory("sigint")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 2, batch_size: 32, seed: 1}")
    let run = directory.appendingPathComponent("run")
    let logs = directory.appendingPathComponent("log")
    let process = try Self.startLongTraining(spec: spec, run: run, logs: logs)
    #expect(process.isRunning)
    process.interrupt()
    Self.waitForExit(process)
    let stderr = try String(contentsOfFile: logs.path + ".err", encoding: .utf8)
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 130, "\(stderr)")
    #expect(stderr.contains("interrupted by SIGINT"), "\(stderr)")
    #expect(stderr.contains("continue with --resume"), "\(stderr)")
    let last = run.appendingPathComponent("checkpoint-last.safetensors").path
    let completed = try Checkpoint.read(from: last).epoch
    #expect(completed >= 1)
    #expect(try TrainingSupport.history(run).count == completed)
    let resumed = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--resume", "--epochs", String(completed + 1),
    ])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("after epoch \(completed)"), "\(resumed.stdout)")
    #expect(try Checkpoint.read(from: last).epoch == completed + 1)
  }

  @Test func aSecondTrainingOnTheSameDirectoryFailsAtOnce() throws {
    let directory = try TrainingSupport.temporaryDirectory("lock")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 2, batch_size: 32, seed: 1}")
    let run = directory.appendingPathComponent("run")
    let process = try Self.startLongTraining(
      spec: spec, run: run, logs: directory.appendingPathComponent("log"))
    let second = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--epochs", "1"])
    #expect(second.status == 1)
    #expect(second.stderr.contains("\(run.path) is in use"), "\(second.stderr)")
    process.terminate()
    Self.waitForExit(process)
    #expect(process.terminationStatus == 143)
    // The lock went with the process.
    let third = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--epochs", "1"])
    #expect(third.status == 0, "\(third.stderr)")
  }

  @Test func resumingWithChangedSettingsIsRefusedUnlessForced() throws {
    let directory = try TrainingSupport.temporaryDirectory("settings")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1, batch_size: 64, seed: 1}")
    let run = directory.appendingPathComponent("run")
    #expect(try NNCProcess.run(["train", spec, "--run-dir", run.path]).status == 0)
    let changed = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--resume", "--epochs", "2", "--seed", "7",
      "--set", "optimizer.adam.lr=0.01",
    ])
    #expect(changed.status == 1)
    #expect(changed.stderr.contains("train.seed: 1 -> 7"), "\(changed.stderr)")
    #expect(changed.stderr.contains("optimizer.adam.lr: 0.003 -> 0.01"), "\(changed.stderr)")
    #expect(!changed.stderr.contains("learningRate"), "\(changed.stderr)")
    #expect(changed.stderr.contains("--force"), "\(changed.stderr)")
    let forced = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--resume", "--epochs", "2", "--seed", "7", "--force",
    ])
    #expect(forced.status == 0, "\(forced.stderr)")
    // Only the epochs changed: no refusal.
    let extended = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--resume", "--epochs", "3", "--seed", "7",
    ])
    #expect(extended.status == 0, "\(extended.stderr)")
  }

  @Test func divergenceLeavesOnlyFiniteCheckpointsAndEvalRefusesNaN() throws {
    let directory = try TrainingSupport.temporaryDirectory("diverge")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, optimizer: "{sgd: {lr: 1.0e+12}}",
      train: "{epochs: 3, batch_size: 32, seed: 1}")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("training stopped"), "\(result.stderr)")
    for name in ["checkpoint-last", "checkpoint-best"] {
      let path = run.appendingPathComponent("\(name).safetensors").path
      if FileManager.default.fileExists(atPath: path) {
        #expect(try Checkpoint.read(from: path).nonFiniteTensors.isEmpty, "\(name) holds non-finite values")
      }
    }

    let stable = try TrainingSupport.digitsSpec(
      in: directory, name: "stable", layers: Self.layers, train: "{epochs: 1, batch_size: 64, seed: 1}")
    let good = directory.appendingPathComponent("good")
    #expect(try NNCProcess.run(["train", stable, "--run-dir", good.path]).status == 0)
    var checkpoint = try Checkpoint.read(
      from: good.appendingPathComponent("checkpoint-last.safetensors").path)
    let name = try #require(checkpoint.parameters.keys.sorted().first)
    checkpoint.parameters[name]!.values = checkpoint.parameters[name]!.values.map { _ in .nan }
    let poisoned = directory.appendingPathComponent("nan.safetensors").path
    try checkpoint.write(to: poisoned)
    let eval = try NNCProcess.run(["eval", stable, "--checkpoint", poisoned])
    #expect(eval.status == 1)
    #expect(eval.stderr.contains("non-finite values in \(name)"), "\(eval.stderr)")
  }
}
