import Foundation
import Testing

/// The command-line surface of the optimizer: the `memory` report, `--no-optimize`,
/// `--disable-pass` and `nnc bench`.
@Suite struct OptimizationCommandTests {
  struct Estimate: Decodable {
    var naive_bytes: Int
    var planned_bytes: Int
  }

  struct Memory: Decodable {
    var inference: Estimate
    var training: Estimate
  }

  struct Report: Decodable {
    var batch_size: Int
    var memory: Memory
  }

  static func memory(_ arguments: [String]) throws -> Report {
    let result = try NNCProcess.run(["check", "--format", "json"] + arguments)
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
  }

  @Test func checkReportsPlannedAgainstNaiveMemory() throws {
    let report = try Self.memory(["Specs/resnet50.yaml"])
    // Naive: every value once (inference), and every value and its gradient (training), Float32.
    let naiveInference = report.memory.inference.naive_bytes
    #expect(naiveInference > 0)
    #expect(report.memory.training.naive_bytes == 2 * naiveInference)
    // In-place ReLU and reuse cut ResNet-50's training memory well below the naive sum.
    let trainingRatio =
      Double(report.memory.training.planned_bytes) / Double(report.memory.training.naive_bytes)
    #expect(trainingRatio < 0.4, "training ratio \(trainingRatio)")
    #expect(report.memory.inference.planned_bytes < naiveInference / 4)
  }

  @Test func noOptimizeKeepsEveryTensorApart() throws {
    let report = try Self.memory(["Specs/lenet5.yaml", "--no-optimize"])
    for estimate in [report.memory.inference, report.memory.training] {
      #expect(estimate.planned_bytes >= estimate.naive_bytes * 9 / 10)
    }
    // Without planning, the fused graph's tensors still each get a buffer: fewer than the naive sum
    // (fusion drops intermediate values), but more than with reuse.
    let withoutPlanning = try Self.memory(["Specs/lenet5.yaml", "--disable-pass", "plan-memory"])
    let planned = try Self.memory(["Specs/lenet5.yaml"])
    #expect(withoutPlanning.memory.training.planned_bytes > planned.memory.training.planned_bytes)
    #expect(withoutPlanning.memory.training.planned_bytes < withoutPlanning.memory.training.naive_bytes)
  }

  @Test func disabledPassesDisappearFromTheOptimizedIR() throws {
    let all = try NNCProcess.run(["check", "Specs/lenet5.yaml", "--emit", "optimized-ir"])
    #expect(all.stdout.contains("conv2d+relu"))
    let unfused = try NNCProcess.run([
      "check", "Specs/lenet5.yaml", "--emit", "optimized-ir", "--disable-pass", "fuse-activations",
    ])
    #expect(unfused.status == 0)
    #expect(!unfused.stdout.contains("conv2d+relu"))
    #expect(unfused.stdout.contains("in_place"))
    let none = try NNCProcess.run(["check", "Specs/lenet5.yaml", "--emit", "optimized-ir", "--no-optimize"])
    let lowered = try NNCProcess.run(["check", "Specs/lenet5.yaml", "--emit", "ir"])
    #expect(none.stdout == lowered.stdout)
  }

  @Test func unknownPassNamesAreRejectedWithASuggestion() throws {
    let result = try NNCProcess.run(["check", "Specs/lenet5.yaml", "--disable-pass", "fuse-activation"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("unknown pass 'fuse-activation'; did you mean 'fuse-activations'?"))
  }

  @Test func benchMeasuresBothPhases() throws {
    struct Phase: Decodable {
      var steps_per_second: Double
      var images_per_second: Double
      var gflops_per_second: Double
    }
    struct Bench: Decodable {
      var model: String
      var batch_size: Int
      var threads: Int
      var optimized: Bool
      var training: Phase
      var inference: Phase
    }
    let result = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--format",
      "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let bench = try JSONDecoder().decode(Bench.self, from: Data(result.stdout.utf8))
    #expect(bench.model == "lenet5")
    #expect(bench.batch_size == 4)
    #expect(bench.threads == 1)
    #expect(bench.optimized)
    for phase in [bench.training, bench.inference] {
      #expect(phase.steps_per_second > 0)
      #expect(abs(phase.images_per_second - 4 * phase.steps_per_second) < 1e-6 * phase.images_per_second)
      #expect(phase.gflops_per_second > 0)
    }
  }

  @Test func benchProfileReportsTimePerNodeKind() throws {
    struct Row: Decodable {
      var kind: String
      var nodes: Int
      var forward_ms: Double
      var backward_ms: Double
    }
    struct Bench: Decodable { var training_profile: [Row] }
    let result = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--profile",
      "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let rows = try JSONDecoder().decode(Bench.self, from: Data(result.stdout.utf8)).training_profile
    // LeNet-5's two convolutions appear, with a forward and a backward time; so does the optimizer step.
    let convolutions = rows.filter { $0.kind.hasPrefix("conv2d") }
    #expect(convolutions.reduce(0) { $0 + $1.nodes } == 2, "\(rows.map(\.kind))")
    #expect(convolutions.allSatisfy { $0.forward_ms > 0 && $0.backward_ms > 0 })
    // 5x5 kernels on few channels: the direct kernel, named in the kind with the output shape.
    #expect(convolutions.allSatisfy { $0.kind.hasSuffix(" direct") && $0.kind.contains(" -> ") })
    #expect(rows.contains { $0.kind == "optimizer step" })
    let text = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--profile",
    ])
    #expect(text.stdout.contains("training step profile (ms per step)"), "\(text.stdout)")
    // Without --inference, --profile gives both profiles.
    #expect(text.stdout.contains("inference batch profile (ms per batch)"), "\(text.stdout)")
  }

  @Test func benchInferenceTimesInferenceOnly() throws {
    let result = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--inference",
      "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    #expect(report["training"] == nil, "--inference reports no training phase")
    let inference = try #require(report["inference"] as? [String: Any])
    #expect((inference["images_per_second"] as? Double ?? 0) > 0)
    let text = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--inference",
    ])
    #expect(text.status == 0 && text.stdout.contains("inference:") && !text.stdout.contains("training:"))
    #expect(!text.stdout.contains("profile"), "no profile without --profile: \(text.stdout)")
  }

  @Test func benchInferenceProfileReportsTimePerNodeKind() throws {
    struct Row: Decodable {
      var kind: String
      var nodes: Int
      var ms: Double
    }
    struct Bench: Decodable {
      var training_profile: [Row]?
      var inference_profile: [Row]
    }
    let result = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--inference",
      "--profile", "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let bench = try JSONDecoder().decode(Bench.self, from: Data(result.stdout.utf8))
    #expect(bench.training_profile == nil, "--inference profiles no training step")
    let rows = bench.inference_profile
    // LeNet-5's two convolutions appear with their time; so do its dense layers.
    let convolutions = rows.filter { $0.kind.hasPrefix("conv2d") }
    #expect(convolutions.reduce(0) { $0 + $1.nodes } == 2, "\(rows.map(\.kind))")
    #expect(convolutions.allSatisfy { $0.ms > 0 && $0.kind.contains(" -> ") })
    #expect(rows.contains { $0.kind.hasPrefix("dense") && $0.ms > 0 }, "\(rows.map(\.kind))")
    #expect(rows.allSatisfy { $0.nodes > 0 && $0.ms >= 0 })
    let text = try NNCProcess.run([
      "bench", "Specs/lenet5.yaml", "--batch-size", "4", "--threads", "1", "--seconds", "0.05", "--inference",
      "--profile",
    ])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("inference batch profile (ms per batch)"), "\(text.stdout)")
    #expect(!text.stdout.contains("training step profile"), "\(text.stdout)")
  }

  @Test func benchRejectsABadBatchSize() throws {
    let result = try NNCProcess.run(["bench", "Specs/lenet5.yaml", "--batch-size", "0"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("--batch-size must be at least 1"))
  }
}
