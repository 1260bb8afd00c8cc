import Foundation
import Testing

/// The task kinds end to end, as a new user meets them on digits 3 against 8: a binary head's
/// predictions, a sigmoid the loss applies again, a regression head, and early stopping's patience.
@Suite struct TaskKindTests {
  /// The digits data, 3 against 8 (relabelled 0 and 1) when `subset`, else every digit as it is.
  static func data(subset: Bool) -> String {
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits").path
    return """
      data:
        format: idx
        train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
        test: {images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}
      \(subset ? "  classes_subset: [3, 8]\n" : "")  scale: 0.0625
        validation_split: 0.2
      """
  }

  static func spec(
    in directory: URL, head: String, loss: String, subset: Bool = true, metrics: String = "[accuracy]",
    train: String = "{epochs: 6, batch_size: 16, seed: 1}"
  ) throws -> String {
    let text = """
      model:
        input: [1, 8, 8]
        layers:
          - flatten
          - dense: {units: 16, activation: relu}
          - dense: \(head)
      \(data(subset: subset))
      loss: \(loss)
      optimizer: {adam: {lr: 1.0e-2}}
      metrics: \(metrics)
      train: \(train)

      """
    let path = directory.appendingPathComponent("model.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// The rows of a predictions file: label, prediction and the probability of class 1.
  static func predictionRows(_ url: URL) throws -> [(label: Int, prediction: Int, probability: Double)] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
    return lines.map { line in
      let cells = line.split(separator: ",").map(String.init)
      return (Int(cells[1])!, Int(cells[2])!, Double(cells[4])!)
    }
  }

  @Test func sigmoidOutputsArePredictedByTheirProbability() throws {
    let directory = try TrainingSupport.temporaryDirectory("binary-sigmoid")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.spec(
      in: directory, head: "{units: 1, activation: sigmoid}",
      loss: "{binary_cross_entropy: {from_logits: false}}")
    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(train.status == 0, "\(train.stderr)")
    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors").path
    let predictions = directory.appendingPathComponent("predictions.csv")
    let eval = try NNCProcess.run([
      "eval", spec, "--checkpoint", checkpoint, "--predictions", predictions.path,
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    let rows = try Self.predictionRows(predictions)
    #expect(rows.count > 50)
    for row in rows { #expect(row.prediction == (row.probability >= 0.5 ? 1 : 0), "\(row)") }
    #expect(Set(rows.map(\.prediction)) == [0, 1])
    let correct = rows.filter { $0.label == $0.prediction }.count
    #expect(Double(correct) / Double(rows.count) > 0.9)

    // --threshold overrides predict.threshold: at 0 every sample is class 1.
    let everything = directory.appendingPathComponent("threshold0.csv")
    let lowered = try NNCProcess.run([
      "eval", spec, "--checkpoint", checkpoint, "--predictions", everything.path, "--threshold", "0",
    ])
    #expect(lowered.status == 0, "\(lowered.stderr)")
    #expect(try Self.predictionRows(everything).allSatisfy { $0.prediction == 1 })
  }

  @Test func logitOutputsAreThresholdedAfterTheSigmoid() throws {
    let directory = try TrainingSupport.temporaryDirectory("binary-logit")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.spec(
      in: directory, head: "1", loss: "binary_cross_entropy",
      train: "{epochs: 6, batch_size: 16, seed: 1}\npredict: {threshold: 0.7}")
    let run = directory.appendingPathComponent("run")
    #expect(try NNCProcess.run(["train", spec, "--run-dir", run.path]).status == 0)
    let predictions = directory.appendingPathComponent("predictions.csv")
    let eval = try NNCProcess.run([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--predictions", predictions.path,
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    let rows = try Self.predictionRows(predictions)
    for row in rows {
      #expect(row.probability >= 0 && row.probability <= 1)
      #expect(row.prediction == (row.probability >= 0.7 ? 1 : 0), "\(row)")
    }
  }

  @Test func aSigmoidBeforeALogitsLossIsReported() throws {
    let directory = try TrainingSupport.temporaryDirectory("binary-twice")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.spec(
      in: directory, head: "{units: 1, activation: sigmoid}", loss: "binary_cross_entropy")
    let check = try NNCProcess.run(["check", spec])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(
      check.stderr.contains("the model ends in sigmoid, but 'binary_cross_entropy' applies sigmoid"),
      "\(check.stderr)")
    #expect(check.stdout.contains("task:                 binary classification"), "\(check.stdout)")
  }

  @Test func aRegressionTrainsAndEvaluatesWithoutClasses() throws {
    let directory = try TrainingSupport.temporaryDirectory("regression")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.spec(
      in: directory, head: "1", loss: "mse", subset: false, metrics: "[loss]",
      train: "{epochs: 3, batch_size: 32, seed: 1}")
    let check = try NNCProcess.run(["check", spec, "--format", "json"])
    #expect(check.status == 0, "\(check.stderr)")
    struct CheckTask: Decodable { var task: String }
    #expect(try JSONDecoder().decode(CheckTask.self, from: Data(check.stdout.utf8)).task == "regression")

    let run = directory.appendingPathComponent("run")
    let train = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("test: loss"), "\(train.stdout)")
    #expect(!train.stdout.contains("acc"), "\(train.stdout)")
    // The default monitor (val_accuracy) becomes the loss: checkpoint-best exists.
    #expect(
      FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint-best.safetensors").path))

    let eval = try NNCProcess.run([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--format", "json",
    ])
    #expect(eval.status == 0, "\(eval.stderr)")
    struct Report: Decodable {
      var task: String
      var loss: Double
      var samples: Int
    }
    let report = try JSONDecoder().decode(Report.self, from: Data(eval.stdout.utf8))
    #expect(report.task == "regression" && report.samples == 360 && report.loss.isFinite)
  }

  @Test func earlyStoppingWithPatienceOneStopsAtTheFirstEpochWithoutImprovement() throws {
    let directory = try TrainingSupport.temporaryDirectory("patience-one")
    defer { try? FileManager.default.removeItem(at: directory) }
    // No epoch can improve val_loss by 10: epoch 1 sets the best, epoch 2 stops and restores it.
    let spec = try Self.spec(
      in: directory, head: "2", loss: "cross_entropy",
      train:
        "{epochs: 6, batch_size: 16, seed: 1, early_stopping: {monitor: val_loss, patience: 1, min_delta: 10}}"
    )
    let run = directory.appendingPathComponent("run")
    let text = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(try TrainingSupport.history(run).count == 2)
    let lines = text.stdout.split(separator: "\n").map(String.init)
    let epochLine = try #require(lines.firstIndex { $0.hasPrefix("epoch 2/6") })
    let stopLine = try #require(
      lines.firstIndex { $0 == "early stopping: val_loss did not improve for 1 epoch" }, "\(text.stdout)")
    #expect(epochLine < stopLine)

    struct Event: Decodable {
      var event: String
      var best_epoch: Int?
      var restored_epoch: Int?
    }
    let jsonRun = directory.appendingPathComponent("json")
    let json = try NNCProcess.run(["train", spec, "--run-dir", jsonRun.path, "--format", "json"])
    #expect(json.status == 0, "\(json.stderr)")
    let done = try #require(
      try json.stdout.split(separator: "\n").map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
        .last)
    let history = try TrainingSupport.history(jsonRun)
    // best_epoch follows train.monitor (val_accuracy), restored_epoch early stopping's val_loss.
    let bestAccuracy = history.compactMap(\.val_accuracy).max()
    #expect(done.event == "done")
    #expect(done.best_epoch == history.first { $0.val_accuracy == bestAccuracy }?.epoch)
    #expect(done.restored_epoch == 1)
  }

  @Test func theBinaryMNISTExampleReachesItsDocumentedAccuracy() throws {
    let directory = try TrainingSupport.temporaryDirectory("binary-mnist")
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run([
      "train", "Specs/binary_mnist.yaml", "--run-dir", run.path, "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    struct Event: Decodable {
      var event: String
      var test_accuracy: Double?
      var test_samples: Int?
    }
    let done = try #require(
      try result.stdout.split(separator: "\n").map {
        try JSONDecoder().decode(Event.self, from: Data($0.utf8))
      }
      .last)
    #expect(done.event == "done")
    #expect((done.test_samples ?? 0) > 150)
    #expect((done.test_accuracy ?? 0) >= 0.98, "test accuracy \(done.test_accuracy ?? 0)")
  }
}
