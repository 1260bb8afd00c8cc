import Foundation
import Testing

/// The regression and multi-label examples end to end: trained from the README's commands, evaluated
/// with predictions, plots and a re-scoring of the predictions file.
@Suite struct TargetTaskTests {
  struct Done: Decodable {
    var event: String
    var test_loss: Double?
    var test_accuracy: Double?
    var test_samples: Int?
    var test_metrics: [String: Double]?
  }

  static func done(_ stdout: String) throws -> Done {
    try #require(
      try stdout.split(separator: "\n").map { try JSONDecoder().decode(Done.self, from: Data($0.utf8)) }.last)
  }

  struct Report: Decodable {
    var task: String
    var loss: Double?
    var samples: Int
    var values: [String: Double]
  }

  /// The rows of a CSV file after its header, split into cells.
  static func rows(_ path: URL) throws -> (header: [String], rows: [[String]]) {
    let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n")
    let split = { (line: Substring) in
      line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    return (split(lines[0]), lines.dropFirst().map(split))
  }

  @Test func theDiabetesRegressionReachesItsDocumentedR2() throws {
    let directory = try TrainingSupport.temporaryDirectory("diabetes")
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run([
      "train", "Specs/diabetes_regression.yaml", "--run-dir", run.path, "--format", "json",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let done = try Self.done(train.stdout)
    #expect(done.event == "done" && done.test_samples == 89)
    #expect(done.test_accuracy == nil)
    let r2 = try #require(done.test_metrics?["r2"])
    #expect(r2 >= 0.48, "test R² \(r2)")
    let history = try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8)
    #expect(history.contains("\"val_r2\""), "\(history)")

    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors").path
    let predictions = directory.appendingPathComponent("predictions.csv")
    let plots = directory.appendingPathComponent("plots")
    let eval = try NNCProcess.run([
      "eval", "Specs/diabetes_regression.yaml", "--checkpoint", checkpoint, "--predictions", predictions.path,
      "--plots", plots.path, "--format", "json",
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    let report = try JSONDecoder().decode(Report.self, from: Data(eval.stdout.utf8))
    #expect(report.task == "regression" && report.samples == 89)
    #expect(abs((report.values["r2"] ?? 0) - r2) < 1e-9)

    // Predictions are in the data's units (normalize_targets undone): R² from the file agrees.
    let file = try Self.rows(predictions)
    #expect(file.header == ["index", "target_target", "prediction_target"])
    let targets = file.rows.map { Double($0[1])! }
    let outputs = file.rows.map { Double($0[2])! }
    let mean = targets.reduce(0, +) / Double(targets.count)
    let residual = zip(targets, outputs).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let total = targets.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
    #expect(abs((1 - residual / total) - r2) < 1e-5)
    for name in ["predicted_vs_actual.svg", "residuals.svg"] {
      let svg = try String(contentsOf: plots.appendingPathComponent(name), encoding: .utf8)
      #expect(svg.contains("<svg"), "\(name)")
    }
    #expect(
      !FileManager.default.fileExists(atPath: plots.appendingPathComponent("confusion_matrix.svg").path))

    let rescored = try NNCProcess.run(["eval", "--predictions-in", predictions.path, "--format", "json"])
    #expect(rescored.status == 0, "\(rescored.stderr)")
    let again = try JSONDecoder().decode(Report.self, from: Data(rescored.stdout.utf8))
    #expect(abs((again.values["r2"] ?? 0) - r2) < 1e-6)
    let text = try NNCProcess.run(["eval", "Specs/diabetes_regression.yaml", "--checkpoint", checkpoint])
    #expect(
      text.stdout.contains("task: regression") && text.stdout.contains("explained_variance"), "\(text.stdout)"
    )
  }

  @Test func theDigitsMultilabelExampleReachesItsDocumentedScores() throws {
    let directory = try TrainingSupport.temporaryDirectory("multilabel")
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run([
      "train", "Specs/digits_multilabel.yaml", "--run-dir", run.path, "--format", "json",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let done = try Self.done(train.stdout)
    #expect(done.test_samples == 360)
    // accuracy is the subset accuracy: every label of a sample right.
    #expect((done.test_accuracy ?? 0) >= 0.88, "subset accuracy \(done.test_accuracy ?? 0)")
    #expect((done.test_metrics?["f1_micro"] ?? 0) >= 0.94)
    #expect((done.test_metrics?["average_precision_macro"] ?? 0) >= 0.98)

    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors").path
    let predictions = directory.appendingPathComponent("predictions.csv")
    let plots = directory.appendingPathComponent("plots")
    let eval = try NNCProcess.run([
      "eval", "Specs/digits_multilabel.yaml", "--checkpoint", checkpoint, "--predictions", predictions.path,
      "--plots", plots.path, "--format", "json",
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    let report = try JSONDecoder().decode(Report.self, from: Data(eval.stdout.utf8))
    #expect(report.task == "multilabel")
    #expect(abs((report.values["accuracy"] ?? 0) - (done.test_accuracy ?? -1)) < 1e-9)

    let file = try Self.rows(predictions)
    #expect(
      file.header == [
        "index", "target_even", "target_greater_than_4", "target_loop", "prob_even", "prob_greater_than_4",
        "prob_loop", "predicted",
      ])
    var exact = 0
    for row in file.rows {
      let predicted = Set(row[7].split(separator: ";").map { Int($0)! })
      let expected = Set((0..<3).filter { Double(row[4 + $0])! >= 0.5 })
      #expect(predicted == expected, "\(row)")
      if Set((0..<3).filter { row[1 + $0] == "1" }) == predicted { exact += 1 }
    }
    #expect(abs(Double(exact) / Double(file.rows.count) - (report.values["accuracy"] ?? 0)) < 1e-9)
    for name in ["roc.svg", "pr.svg"] {
      #expect(FileManager.default.fileExists(atPath: plots.appendingPathComponent(name).path), "\(name)")
    }

    let rescored = try NNCProcess.run([
      "eval", "Specs/digits_multilabel.yaml", "--predictions-in", predictions.path, "--format", "json",
    ])
    #expect(rescored.status == 0, "\(rescored.stderr)")
    let again = try JSONDecoder().decode(Report.self, from: Data(rescored.stdout.utf8))
    #expect(abs((again.values["f1_micro"] ?? 0) - (report.values["f1_micro"] ?? -1)) < 1e-9)

    // --threshold 0 predicts every label of every sample.
    let everything = directory.appendingPathComponent("all.csv")
    let lowered = try NNCProcess.run([
      "eval", "Specs/digits_multilabel.yaml", "--checkpoint", checkpoint, "--predictions", everything.path,
      "--threshold", "0",
    ])
    #expect(lowered.status == 0, "\(lowered.stderr)")
    #expect(try Self.rows(everything).rows.allSatisfy { $0[7] == "0;1;2" })
  }

  @Test func targetKeysOnAClassificationAreRefused() throws {
    let directory = try TrainingSupport.temporaryDirectory("targets-on-classes")
    defer { try? FileManager.default.removeItem(at: directory) }
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/diabetes").path
    let spec = directory.appendingPathComponent("model.yaml")
    // A stated classification over float target columns.
    try """
    model:
      input: [10]
      layers:
        - dense: 2
    data:
      format: csv
      header: true
      train: {path: \(data)/train.csv}
      target_columns: [target]
      task: classification
    loss: cross_entropy

    """.write(to: spec, atomically: true, encoding: .utf8)
    let check = try NNCProcess.run(["check", spec.path])
    #expect(check.status != 0)
    #expect(
      check.stderr.contains("'data.target_columns' gives the targets of a regression"), "\(check.stderr)")
  }

  @Test func labelListsTrainAMultilabelModelWithoutClassPaths() throws {
    let directory = try TrainingSupport.temporaryDirectory("label-lists")
    defer { try? FileManager.default.removeItem(at: directory) }
    // Label k is present when feature k is positive; a row lists its labels as `0;2`.
    var rows: [String] = []
    for index in 0..<120 {
      let features = (0..<3).map { Double((index * (7 + $0 * 5)) % 11) - 5 }
      let labels = (0..<3).filter { features[$0] > 0 }.map(String.init).joined(separator: ";")
      rows.append(labels + "," + features.map { String($0) }.joined(separator: ","))
    }
    let data = directory.appendingPathComponent("data.csv")
    try (rows.joined(separator: "\n") + "\n").write(to: data, atomically: true, encoding: .utf8)
    let spec = directory.appendingPathComponent("model.yaml")
    try """
    model:
      input: [3]
      layers:
        - dense: 3
    data:
      format: csv
      train: {path: \(data.path)}
      test: {path: \(data.path)}
      label_lists: true
      classes: 3
      validation_split: 0.2
    loss: binary_cross_entropy
    optimizer: {adam: {lr: 5.0e-2}}
    metrics: [hamming_loss, {f1: {average: samples}}]
    train: {epochs: 30, batch_size: 16, seed: 1, monitor: val_hamming_loss}

    """.write(to: spec, atomically: true, encoding: .utf8)
    let check = try NNCProcess.run(["check", spec.path])
    #expect(check.stdout.contains("task:                 multi-label classification"), "\(check.stdout)")
    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run(["train", spec.path, "--run-dir", run.path, "--format", "json"])
    #expect(train.status == 0, "\(train.stderr)")
    let done = try Self.done(train.stdout)
    #expect(done.test_samples == 120)
    #expect((done.test_metrics?["hamming_loss"] ?? 1) < 0.1, "\(train.stdout)")
    #expect(done.test_metrics?["f1_samples"] != nil)
  }
}
