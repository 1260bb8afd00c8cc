import Foundation
import Testing

/// Bad data, bad checkpoints and diverging runs end with a clear error and exit status 1.
@Suite struct TrainErrorTests {
  static let layers = """
        - flatten
        - dense: 10
    """

  @Test func corruptAndMismatchedCheckpointsAreNamed() throws {
    let directory = try TrainingSupport.temporaryDirectory("checkpoints")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1, batch_size: 64, seed: 1}")
    let run = directory.appendingPathComponent("run")
    #expect(try NNCProcess.run(["train", spec, "--run-dir", run.path]).status == 0)
    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors")

    // Truncated: the reader names the file and the byte offset.
    let bytes = try Data(contentsOf: checkpoint)
    let truncated = directory.appendingPathComponent("truncated.safetensors")
    try bytes.prefix(bytes.count / 2).write(to: truncated)
    let cut = try NNCProcess.run(["eval", spec, "--checkpoint", truncated.path])
    #expect(cut.status == 1)
    #expect(cut.stderr.contains("truncated.safetensors"))
    #expect(cut.stderr.contains("byte"))

    // Garbage: never a crash.
    let garbage = directory.appendingPathComponent("garbage.safetensors")
    try Data((0..<300).map { UInt8(($0 * 37) % 256) }).write(to: garbage)
    let bad = try NNCProcess.run(["eval", spec, "--checkpoint", garbage.path])
    #expect(bad.status == 1)
    #expect(bad.stderr.hasPrefix("error: "))

    // A different model: the missing or misshapen tensor is named.
    let wider = try TrainingSupport.digitsSpec(
      in: directory, name: "wider",
      layers: """
            - flatten
            - dense: 12
            - dense: 10
        """, train: "{epochs: 1}")
    let mismatch = try NNCProcess.run(["eval", wider, "--checkpoint", checkpoint.path])
    #expect(mismatch.status == 1)
    #expect(mismatch.stderr.contains("'dense.weight'"), "\(mismatch.stderr)")
    let resume = try NNCProcess.run(["train", wider, "--run-dir", run.path, "--resume"])
    #expect(resume.status == 1)
    #expect(resume.stderr.contains("different model"), "\(resume.stderr)")
  }

  @Test func divergingLossStopsAndKeepsTheLastCheckpoint() throws {
    let directory = try TrainingSupport.temporaryDirectory("nan")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory,
      layers: """
            - flatten
            - dense: {units: 64, activation: relu}
            - dense: 10
        """, optimizer: "{sgd: {lr: 1.0e+12}}", train: "{epochs: 5, batch_size: 32, seed: 1}")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("the loss became"), "\(result.stderr)")
    // Whatever was checkpointed before the divergence is still a readable checkpoint.
    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors")
    if FileManager.default.fileExists(atPath: checkpoint.path) {
      #expect(try NNCProcess.run(["eval", spec, "--checkpoint", checkpoint.path]).status == 0)
    }
  }

  @Test func missingDataAndBadOverridesAreErrors() throws {
    let directory = try TrainingSupport.temporaryDirectory("data")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1}")
    let missing = try NNCProcess.run([
      "train", spec, "--run-dir", directory.path, "--set", "data.train.images=/nonexistent/images-idx3-ubyte",
    ])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("/nonexistent/images-idx3-ubyte"))
    let override = try NNCProcess.run(["train", spec, "--set", "train.batch_size=zero"])
    #expect(override.status == 1)
    #expect(override.stderr.contains("--set:1:18: error: 'batch_size' in train must be an integer"))
    let resume = try NNCProcess.run([
      "train", spec, "--run-dir", directory.appendingPathComponent("none").path, "--resume",
    ])
    #expect(resume.status == 1)
    #expect(resume.stderr.contains("nothing to resume"))
  }
}
