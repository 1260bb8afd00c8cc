import Foundation
import Testing

/// Runs too large for the memory they may use are refused before anything is allocated, with the
/// total, the limit and the largest parts; `nnc check` reports the estimate and warns.
@Suite struct MemoryLimitTests {
  @Test func trainRefusesAHugeLayerBeforeAllocating() throws {
    let directory = try TrainingSupport.temporaryDirectory("memory-huge")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 16777216\n    - dense: 10",
      train: "{epochs: 1, batch_size: 32, seed: 1}")
    let start = Date()
    let result = try NNCProcess.run([
      "train", spec, "--run-dir", directory.appendingPathComponent("run").path,
    ])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.hasPrefix("error: nnc train needs about "))
    #expect(result.stderr.contains(" available ("))
    #expect(result.stderr.contains("parameters of 'dense'"))
    // Nothing the size of the model was touched: refusing takes no longer than loading the data.
    #expect(Date().timeIntervalSince(start) < 30)
  }

  @Test func maxMemoryRefusesASmallModelNamingItsLargestPart() throws {
    let directory = try TrainingSupport.temporaryDirectory("memory-small")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10", train: "{epochs: 1, batch_size: 32, seed: 1}")
    for command in ["train", "bench"] {
      let result = try NNCProcess.run([command, spec, "--max-memory", "1K"])
      #expect(result.status == 1, "\(result.stderr)")
      #expect(result.stderr.contains("more than the 1.0 KiB available (--max-memory)"))
      // The digits data outweighs this model: it is the largest part of training, never of bench.
      let largest = command == "train" ? "largest parts: data 'train' " : "largest parts: "
      #expect(result.stderr.contains(largest), "\(result.stderr)")
    }
    let eval = try NNCProcess.run(["eval", spec, "--checkpoint", "missing.safetensors", "--max-memory", "2K"])
    #expect(eval.status == 1 && eval.stderr.contains("nnc eval needs about"))
    let fits = try NNCProcess.run([
      "train", spec, "--max-memory", "1G", "--run-dir", directory.appendingPathComponent("run").path,
    ])
    #expect(fits.status == 0, "\(fits.stderr)")
  }

  @Test func badSizesAreUsageErrors() throws {
    for text in ["8X", "1.5G", "-1", "0"] {
      let result = try NNCProcess.run(["train", "Specs/lenet5.yaml", "--max-memory", text])
      #expect(result.status == 64, "\(text): \(result.stderr)")
      #expect(result.stderr.contains("--max-memory"))
    }
  }

  @Test func checkReportsTheEstimateAndWarnsAboutAModelLargerThanMemory() throws {
    let directory = try TrainingSupport.temporaryDirectory("memory-check")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = directory.appendingPathComponent("huge.yaml")
    // 2^35 parameters: within the spec limits (2^36), far beyond any machine's memory.
    try "model:\n  input: [2048]\n  layers:\n    - dense: 16777216\n".write(
      to: spec, atomically: true, encoding: .utf8)
    let text = try NNCProcess.run(["check", spec.path])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stderr.contains("warning: training at batch 32 needs about "))
    #expect(text.stderr.contains("parameters of 'dense' 128."))
    #expect(text.stdout.contains("memory (training, data aside): about "))

    struct Report: Decodable {
      struct Memory: Decodable {
        struct Run: Decodable {
          var total_bytes: Int
          var parameters_bytes: Int
          var optimizer_state_bytes: Int
          var exceeds_half_available: Bool
        }
        var run: Run
      }
      var memory: Memory
    }
    let json = try NNCProcess.run(["check", spec.path, "--format", "json"])
    let run = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8)).memory.run
    #expect(run.parameters_bytes == 4 * (2048 * 16_777_216 + 16_777_216))
    // Adam, the default optimizer, keeps two copies.
    #expect(run.optimizer_state_bytes == 2 * run.parameters_bytes)
    #expect(run.total_bytes > 4 * run.parameters_bytes && run.exceeds_half_available)

    let lenet = try NNCProcess.run(["check", "Specs/lenet5.yaml", "--format", "json"])
    #expect(lenet.status == 0 && !lenet.stderr.contains("warning: training at batch"))
    let small = try JSONDecoder().decode(Report.self, from: Data(lenet.stdout.utf8)).memory.run
    #expect(!small.exceeds_half_available && small.parameters_bytes == 4 * 61706)
  }
}
