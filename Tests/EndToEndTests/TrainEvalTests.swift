import Foundation
import Testing

/// `nnc train` and `nnc eval` on small models and the shipped digits data, through the binary.
@Suite struct TrainEvalTests {
  static let mlpLayers = """
        - flatten
        - dense: {units: 32, activation: relu}
        - dropout: 0.1
        - dense: 10
    """

  @Test func mlpLossFallsAndEvalReportsIt() throws {
    let directory = try TrainingSupport.temporaryDirectory("mlp")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.mlpLayers, train: "{epochs: 4, batch_size: 32, seed: 5}")
    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("test: loss"))
    let history = try TrainingSupport.history(run)
    #expect(history.count == 4)
    #expect(history.last!.train_loss < history.first!.train_loss)
    #expect(history.last!.val_accuracy! > 0.8)

    let predictions = directory.appendingPathComponent("predictions.csv")
    let eval = try NNCProcess.run([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--format", "json", "--predictions", predictions.path,
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    struct Report: Decodable {
      struct Metrics: Decodable {
        var loss: Double
        var accuracy: Double
      }
      var metrics: Metrics
      var samples: Int
    }
    let report = try JSONDecoder().decode(Report.self, from: Data(eval.stdout.utf8))
    #expect(report.samples == 360)
    #expect(report.metrics.accuracy > 0.8)
    let rows = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
    #expect(rows.first == "index,label,prediction," + (0..<10).map { "prob_\($0)" }.joined(separator: ","))
    #expect(rows.count == 361)
    // The predictions agree with the reported accuracy and each row's probabilities sum to one.
    var correct = 0
    for row in rows.dropFirst() {
      let fields = row.split(separator: ",")
      #expect(fields.count == 13)
      if fields[1] == fields[2] { correct += 1 }
      let total = fields[3...].compactMap { Double($0) }.reduce(0, +)
      #expect(abs(total - 1) < 1e-3)
    }
    #expect(abs(Double(correct) / 360 - report.metrics.accuracy) < 1e-9)

    // The metrics a spec lists are reported too, computed from the same predictions.
    let detailed = try NNCProcess.run([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--format", "json", "--set",
      "metrics=[f1, {f1: {average: micro}}, {top_k_accuracy: {k: 2}}, roc_auc, pr_auc, confusion_matrix]",
    ])
    #expect(detailed.status == 0, "\(detailed.stderr)")
    struct Averaged: Decodable {
      var macro: Double?
      var micro: Double?
      var weighted: Double?
      var per_class: [Double?]
    }
    struct Detailed: Decodable {
      struct Metrics: Decodable {
        var loss: Double
        var accuracy: Double
        var f1: Averaged
        var top_k_accuracy: [String: Double]
        var roc_auc: Averaged
        var average_precision: Averaged
        var confusion_matrix: [[Int]]
      }
      var metrics: Metrics
    }
    let full = try JSONDecoder().decode(Detailed.self, from: Data(detailed.stdout.utf8)).metrics
    #expect(full.f1.per_class.count == 10)
    #expect(abs(full.f1.micro! - report.metrics.accuracy) < 1e-12)
    #expect(Set(full.top_k_accuracy.keys) == ["2"])
    #expect(full.top_k_accuracy["2"]! >= report.metrics.accuracy)
    #expect(full.roc_auc.macro! > 0.9 && full.average_precision.macro! > 0.8)
    #expect(full.confusion_matrix.count == 10)
    #expect(full.confusion_matrix.flatMap { $0 }.reduce(0, +) == 360)
    let diagonal = (0..<10).reduce(0) { $0 + full.confusion_matrix[$1][$1] }
    #expect(diagonal == correct)
    // Only what the spec lists (plus loss and accuracy).
    let keys = try #require(
      try JSONSerialization.jsonObject(with: Data(detailed.stdout.utf8)) as? [String: Any])["metrics"]
    #expect(
      Set((keys as? [String: Any] ?? [:]).keys) == [
        "loss", "accuracy", "f1", "support", "top_k_accuracy", "roc_auc", "average_precision",
        "confusion_matrix",
        "confusion_matrix_normalized",
      ])

    // The predictions file scores the same without the model.
    let rescored = try NNCProcess.run(["eval", "--predictions-in", predictions.path, "--format", "json"])
    #expect(rescored.status == 0, "\(rescored.stderr)")
    struct Rescored: Decodable {
      struct Metrics: Decodable {
        var accuracy: Double
        var roc_auc: Averaged
      }
      var metrics: Metrics
    }
    let again = try JSONDecoder().decode(Rescored.self, from: Data(rescored.stdout.utf8)).metrics
    #expect(abs(again.accuracy - report.metrics.accuracy) < 1e-12)
    #expect(abs(again.roc_auc.macro! - full.roc_auc.macro!) < 1e-9)

    let plots = directory.appendingPathComponent("plots")
    let plotted = try NNCProcess.run([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--plots", plots.path,
    ])
    #expect(plotted.status == 0, "\(plotted.stderr)")
    for file in ["confusion_matrix.svg", "roc.svg", "pr.svg"] {
      let text = try String(contentsOf: plots.appendingPathComponent(file), encoding: .utf8)
      #expect(text.hasPrefix("<svg") && text.hasSuffix("</svg>\n"), "\(file)")
    }
    for file in ["loss.svg", "metrics.svg"] {
      #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file)")
    }
  }

  @Test func sameSeedGivesIdenticalHistory() throws {
    let directory = try TrainingSupport.temporaryDirectory("determinism")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.mlpLayers, train: "{epochs: 2, batch_size: 16, seed: 9}")
    var histories: [String] = []
    for index in 0..<2 {
      let run = directory.appendingPathComponent("run\(index)")
      let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
      #expect(result.status == 0, "\(result.stderr)")
      histories.append(try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8))
    }
    #expect(histories[0] == histories[1])
    let other = directory.appendingPathComponent("other")
    _ = try NNCProcess.run(["train", spec, "--run-dir", other.path, "--seed", "10"])
    #expect(
      try String(contentsOf: other.appendingPathComponent("history.jsonl"), encoding: .utf8) != histories[0])
  }

  @Test func killedRunResumesToTheSameWeights() throws {
    let directory = try TrainingSupport.temporaryDirectory("resume")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.mlpLayers, train: "{epochs: 6, batch_size: 8, seed: 2}")
    let straight = directory.appendingPathComponent("straight")
    let full = try NNCProcess.run(["train", spec, "--run-dir", straight.path])
    #expect(full.status == 0, "\(full.stderr)")

    // Kill a second run as soon as its first checkpoint exists, then resume it.
    let interrupted = directory.appendingPathComponent("interrupted")
    let process = try NNCProcess.start(["train", spec, "--run-dir", interrupted.path])
    let checkpoint = interrupted.appendingPathComponent("checkpoint-last.safetensors").path
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: checkpoint), process.isRunning, Date() < deadline {
      usleep(2_000)
    }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    #expect(FileManager.default.fileExists(atPath: checkpoint))
    let resumed = try NNCProcess.run(["train", spec, "--run-dir", interrupted.path, "--resume"])
    #expect(resumed.status == 0, "\(resumed.stderr)")

    let a = try Data(contentsOf: straight.appendingPathComponent("checkpoint-last.safetensors"))
    let b = try Data(contentsOf: interrupted.appendingPathComponent("checkpoint-last.safetensors"))
    #expect(a == b, "resumed weights differ from the uninterrupted run")
    let historyA = try String(contentsOf: straight.appendingPathComponent("history.jsonl"), encoding: .utf8)
    let historyB = try String(
      contentsOf: interrupted.appendingPathComponent("history.jsonl"), encoding: .utf8)
    #expect(historyA == historyB)
  }

  @Test(arguments: [
    (
      "residual",
      """
          - conv2d: {filters: 8, kernel: 3, padding: same, bias: false}
          - batchnorm
          - relu
          - basic: {filters: 8}
          - basic_down: {filters: 16}
          - global_avgpool
          - dense: 10
      """,
      """
      blocks:
        basic:
          params: [filters]
          layers:
            - residual:
                layers:
                  - conv2d: {filters: $filters, kernel: 3, padding: same, bias: false}
                  - batchnorm
                  - relu
                  - conv2d: {filters: $filters, kernel: 3, padding: same, bias: false}
                  - batchnorm
            - relu
        basic_down:
          params: [filters]
          layers:
            - residual:
                layers:
                  - conv2d: {filters: $filters, kernel: 3, stride: 2, padding: same, bias: false}
                  - batchnorm
                  - relu
                shortcut:
                  - conv2d: {filters: $filters, kernel: 1, stride: 2, bias: false}
                  - batchnorm
            - relu
      """
    ),
    (
      "inception",
      """
          - conv2d: {filters: 8, kernel: 3, padding: same, activation: relu}
          - concat:
              - branch: [{conv2d: {filters: 4, kernel: 1, activation: relu}}]
              - branch: [{conv2d: {filters: 4, kernel: 1, activation: relu}}, {conv2d: {filters: 6, kernel: 3, padding: same, activation: relu}}]
              - branch: [{maxpool: {size: 3, stride: 1, padding: same}}, {conv2d: {filters: 4, kernel: 1, activation: relu}}]
          - global_avgpool
          - dense: 10
      """,
      ""
    ),
    (
      "separable",
      """
          - conv2d: {filters: 8, kernel: 3, padding: same, activation: relu}
          - residual:
              layers:
                - separable_conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
                - batchnorm
                - relu
                - separable_conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
                - batchnorm
                - maxpool: {size: 3, stride: 2, padding: same}
              shortcut:
                - conv2d: {filters: 16, kernel: 1, stride: 2, bias: false}
                - batchnorm
          - global_avgpool
          - dense: 10
      """,
      ""
    ),
  ])
  func structuredModelsLearn(_ name: String, _ layers: String, _ blocks: String) throws {
    let directory = try TrainingSupport.temporaryDirectory(name)
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: layers, blocks: blocks, train: "{epochs: 3, batch_size: 32, seed: 1}")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    let history = try TrainingSupport.history(run)
    #expect(history.count == 3)
    #expect(history[2].train_loss < history[0].train_loss, "\(name): \(history.map(\.train_loss))")
  }
}

@Test func gradientDescentUsesTheWholeTrainingSet() throws {
  let directory = try TrainingSupport.temporaryDirectory("gd")
  defer { try? FileManager.default.removeItem(at: directory) }
  let spec = try TrainingSupport.digitsSpec(
    in: directory, layers: TrainEvalTests.mlpLayers, optimizer: "{gd: {lr: 0.5}}",
    train: "{epochs: 3, seed: 1}")
  let run = directory.appendingPathComponent("run")
  let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
  #expect(result.status == 0, "\(result.stderr)")
  // 1,437 training images less the 10% validation split, all in one step per epoch.
  #expect(result.stdout.contains("1 step per epoch"), "\(result.stdout)")
  let history = try TrainingSupport.history(run)
  #expect(history[2].train_loss < history[0].train_loss)
}

@Test func explicitValidationFilesAreUsed() throws {
  let directory = try TrainingSupport.temporaryDirectory("val")
  defer { try? FileManager.default.removeItem(at: directory) }
  let spec = try TrainingSupport.digitsSpec(
    in: directory, layers: TrainEvalTests.mlpLayers, train: "{epochs: 1, batch_size: 64}")
  let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits").path
  let run = directory.appendingPathComponent("run")
  let result = try NNCProcess.run([
    "train", spec, "--run-dir", run.path, "--set", "data.validation_split=0",
    "--set", "data.val={images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}",
  ])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("training on 1437 samples, validating on 360"), "\(result.stdout)")
  let both = try NNCProcess.run([
    "train", spec, "--run-dir", run.path,
    "--set", "data.val={images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}",
  ])
  #expect(both.status == 1)
  #expect(both.stderr.contains("use one of them"))
}

@Test func checkListsTheAugmentationSteps() throws {
  let text = try NNCProcess.run(["check", "Specs/lenet5.yaml"])
  #expect(text.status == 0)
  #expect(text.stdout.contains("augment (training split): random_affine(translate: [0.08, 0.08])"))
  let json = try NNCProcess.run(["check", "Specs/lenet5.nnc", "--format", "json"])
  struct Report: Decodable { var augment: [String] }
  let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
  #expect(report.augment == ["random_affine(translate: [0.08, 0.08])"])
}

@Test func trainJSONLinesMatchTheHistory() throws {
  let directory = try TrainingSupport.temporaryDirectory("json")
  defer { try? FileManager.default.removeItem(at: directory) }
  let spec = try TrainingSupport.digitsSpec(
    in: directory, layers: TrainEvalTests.mlpLayers, train: "{epochs: 2, batch_size: 64, seed: 3}")
  let run = directory.appendingPathComponent("run")
  let result = try NNCProcess.run([
    "train", spec, "--run-dir", run.path, "--format", "json", "--threads", "1",
  ])
  #expect(result.status == 0, "\(result.stderr)")
  struct Event: Decodable {
    var event: String
    var epoch: Int?
    var train_loss: Double?
    var test_accuracy: Double?
    var test_samples: Int?
  }
  // Every line of standard output is one JSON object.
  let events = try result.stdout.split(separator: "\n").map {
    try JSONDecoder().decode(Event.self, from: Data($0.utf8))
  }
  let epochs = events.filter { $0.event == "epoch" }
  let history = try TrainingSupport.history(run)
  #expect(epochs.map(\.epoch) == [1, 2])
  #expect(epochs.map(\.train_loss) == history.map(\.train_loss))
  let done = try #require(events.last)
  #expect(done.event == "done")
  #expect(done.test_samples == 360)
  #expect((done.test_accuracy ?? 0) > 0.5)
}
