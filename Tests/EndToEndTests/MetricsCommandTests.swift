import Foundation
import Testing

/// `nnc eval --predictions-in` against the scikit-learn fixtures, its errors, and metrics monitored
/// during training.
@Suite struct MetricsCommandTests {
  struct Averaged: Decodable {
    var macro: Double?
    var micro: Double?
    var weighted: Double?
    var binary: Double?
    var per_class: [Double?]
  }

  struct Fixture: Decodable {
    struct Case: Decodable {
      struct Expected: Decodable {
        var accuracy: Double
        var balanced_accuracy: Double
        var log_loss: Double
        var top_k_accuracy: [String: Double]
        var precision: Averaged
        var recall: Averaged
        var f1: Averaged
        var roc_auc: Averaged
        var average_precision: Averaged
        var confusion_matrix: [[Int]]
      }
      var name: String
      var classes: Int
      var positive_class: Int
      var labels: [Int]
      var predictions: [Int]
      var scores: [Double]
      var expected: Expected
    }
    var cases: [Case]
  }

  struct Output: Decodable {
    struct Metrics: Decodable {
      var accuracy: Double
      var balanced_accuracy: Double
      var log_loss: Double
      var top_k_accuracy: [String: Double]?
      var precision: Averaged
      var recall: Averaged
      var f1: Averaged
      var roc_auc: Averaged
      var average_precision: Averaged
      var confusion_matrix: [[Int]]
    }
    var metrics: Metrics
    var samples: Int
    var classes: Int
    var positive_class: Int
    var warnings: [String]
  }

  static func fixture(_ name: String) throws -> Fixture.Case {
    let url = NNCProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/metrics/metrics.json")
    let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    return try #require(fixture.cases.first { $0.name == name })
  }

  /// The case as a predictions file; Swift's shortest round-trip printing keeps every score exact.
  static func csv(_ item: Fixture.Case) -> String {
    var text =
      "index,label,prediction," + (0..<item.classes).map { "prob_\($0)" }.joined(separator: ",") + "\n"
    for index in item.labels.indices {
      let row = item.scores[(index * item.classes)..<((index + 1) * item.classes)]
      text += "\(index),\(item.labels[index]),\(item.predictions[index]),"
      text += row.map { "\($0)" }.joined(separator: ",") + "\n"
    }
    return text
  }

  static func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): abs(a - b) <= 1e-9
    default: false
    }
  }

  static func same(_ a: Averaged, _ b: Averaged, binary: Bool) -> Bool {
    close(a.macro, b.macro) && close(a.micro, b.micro) && close(a.weighted, b.weighted)
      && (!binary || close(a.binary, b.binary)) && a.per_class.count == b.per_class.count
      && zip(a.per_class, b.per_class).allSatisfy { close($0, $1) }
  }

  @Test(arguments: ["multiclass", "missing_class", "binary_positive_class_0"])
  func predictionsInWithoutSpecReportsEveryMetric(_ name: String) throws {
    let item = try Self.fixture(name)
    let directory = try TrainingSupport.temporaryDirectory("predictions-in")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("predictions.csv")
    try Self.csv(item).write(to: file, atomically: true, encoding: .utf8)
    let result = try NNCProcess.run([
      "eval", "--predictions-in", file.path, "--format", "json", "--positive-class", "\(item.positive_class)",
      "--plots", directory.appendingPathComponent("plots").path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
    let metrics = output.metrics
    let expected = item.expected
    let binary = item.classes == 2
    #expect(output.samples == item.labels.count && output.classes == item.classes)
    #expect(Self.close(metrics.accuracy, expected.accuracy))
    #expect(Self.close(metrics.balanced_accuracy, expected.balanced_accuracy))
    #expect(Self.close(metrics.log_loss, expected.log_loss))
    #expect(metrics.confusion_matrix == expected.confusion_matrix)
    for (k, value) in metrics.top_k_accuracy ?? [:] {
      #expect(Self.close(value, expected.top_k_accuracy[k]), "top-\(k)")
    }
    #expect(Self.same(metrics.precision, expected.precision, binary: binary))
    #expect(Self.same(metrics.recall, expected.recall, binary: binary))
    #expect(Self.same(metrics.f1, expected.f1, binary: binary))
    #expect(Self.same(metrics.roc_auc, expected.roc_auc, binary: binary))
    #expect(Self.same(metrics.average_precision, expected.average_precision, binary: binary))
    if name == "missing_class" {
      // Class 3 is in neither labels nor predictions: no score, and a note says so.
      #expect(metrics.f1.per_class[3] == nil && metrics.roc_auc.per_class[3] == nil)
      #expect(output.warnings.contains { $0.contains("ROC-AUC is undefined for classes 2, 3") })
    }
    for plot in ["confusion_matrix.svg", "roc.svg", "pr.svg"] {
      let text = try String(
        contentsOf: directory.appendingPathComponent("plots/\(plot)"), encoding: .utf8)
      #expect(text.hasPrefix("<svg") && text.hasSuffix("</svg>\n"), "\(plot)")
    }
    // The text report has the per-class table and the averages.
    let report = try NNCProcess.run(["eval", "--predictions-in", file.path])
    #expect(report.status == 0)
    #expect(report.stdout.contains("precision    recall  f1-score"))
    #expect(report.stdout.contains("macro avg") && report.stdout.contains("weighted avg"))
  }

  @Test func predictionsInWithSpecReportsTheSpecsMetrics() throws {
    let item = try Self.fixture("multiclass")
    let directory = try TrainingSupport.temporaryDirectory("predictions-spec")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("predictions.csv")
    try Self.csv(item).write(to: file, atomically: true, encoding: .utf8)
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: "    - flatten\n    - dense: 10", train: "{epochs: 1}")
    let result = try NNCProcess.run([
      "eval", spec, "--predictions-in", file.path, "--format", "json", "--set",
      "metrics=[f1, balanced_accuracy]",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let metrics = try #require(object["metrics"] as? [String: Any])
    #expect(Set(metrics.keys) == ["accuracy", "f1", "support", "balanced_accuracy"])
  }

  @Test func malformedPredictionsNameFileAndLine() throws {
    let directory = try TrainingSupport.temporaryDirectory("predictions-bad")
    defer { try? FileManager.default.removeItem(at: directory) }
    let cases = [
      ("index,label,prediction,prob_0,prob_1\n0,1,1,0.2,0.8\n1,2,0,0.5,0.5\n", ":3: the label '2'"),
      ("index,label,prediction,prob_0,prob_1\n0,1,1,0.2\n", ":2: expected 5 fields, found 4"),
      ("index,label,prediction,prob_0,prob_1\n0,1,1,0.2,x\n", ":2: prob_1 'x' is not a finite number"),
      ("index,label,probability\n", ":1: expected the header"),
      ("", ": the file is empty"),
    ]
    for (index, (text, message)) in cases.enumerated() {
      let file = directory.appendingPathComponent("bad\(index).csv")
      try text.write(to: file, atomically: true, encoding: .utf8)
      let result = try NNCProcess.run(["eval", "--predictions-in", file.path])
      #expect(result.status == 1, "\(text)")
      #expect(result.stderr.contains(file.path + message), "\(result.stderr)")
    }
    // Usage errors come from the argument parser.
    let noInput = try NNCProcess.run(["eval"])
    #expect(noInput.status == 64)
    #expect(noInput.stderr.contains("--predictions-in"))
    let both = try NNCProcess.run([
      "eval", "--predictions-in", "x.csv", "--checkpoint", "model.safetensors",
    ])
    #expect(both.status == 64)
  }

  @Test func trainingMonitorsValidationF1() throws {
    let directory = try TrainingSupport.temporaryDirectory("monitor-f1")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: TrainEvalTests.mlpLayers,
      train: "{epochs: 3, batch_size: 64, seed: 4, monitor: val_f1_macro, mode: max}")
    let metrics = "metrics=[accuracy, f1, {roc_auc: {average: weighted}}, balanced_accuracy]"
    let check = try NNCProcess.run(["check", spec, "--set", metrics])
    #expect(check.status == 0, "\(check.stderr)")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--set", metrics])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("val_f1_macro"))
    let lines = try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    #expect(lines.count == 3)
    var best = -1.0
    var bestEpoch = 0
    for line in lines {
      let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      for key in ["val_f1_macro", "train_f1_macro", "val_roc_auc_weighted", "val_balanced_accuracy"] {
        let value = try #require(record[key] as? Double, "\(key)")
        #expect(value >= 0 && value <= 1)
      }
      let f1 = record["val_f1_macro"] as! Double
      if f1 > best {
        best = f1
        bestEpoch = record["epoch"] as! Int
      }
    }
    // The best checkpoint was written at the epoch of the highest validation F1.
    #expect(
      result.stdout.split(separator: "\n").contains {
        $0.hasPrefix("epoch \(bestEpoch)/3") && $0.contains("* best val_f1_macro")
      })
    for file in ["loss.svg", "metrics.svg"] {
      let text = try String(contentsOf: run.appendingPathComponent(file), encoding: .utf8)
      #expect(text.contains("</svg>"))
    }
    #expect(
      try String(contentsOf: run.appendingPathComponent("metrics.svg"), encoding: .utf8).contains(
        "val f1_macro"))

    // A monitor that no metric produces is an error of nnc check, pointing at the value.
    let bad = try NNCProcess.run(["check", spec, "--set", "metrics=[accuracy]"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("no metric of the spec produces 'val_f1_macro'"))
  }
}
