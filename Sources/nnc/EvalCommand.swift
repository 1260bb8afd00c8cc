import ArgumentParser
import Foundation
import NNCData
import NNCMetrics
import NNCRuntime
import NNCSpec
import NNCTrain

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate a trained checkpoint on a split of the spec's data."
  )

  enum Split: String, ExpressibleByArgument, CaseIterable {
    case test
    case val
    case train
  }

  @OptionGroup var options: SpecOptions
  @OptionGroup var optimization: OptimizationFlags

  @Option(
    help: "The checkpoint (.safetensors) to evaluate; without it, the weights of the spec's train.init.")
  var checkpoint: String?

  @Option(help: "Which data to evaluate: test, val or train.")
  var split: Split = .test

  @Option(help: "Output format: text or json.")
  var format: OutputFormat = .text

  @Option(help: "Write every prediction to this CSV file (index,label,prediction,prob_0,...).")
  var predictions: String?

  @Option(help: "Write confusion_matrix.svg, roc.svg and pr.svg into this directory.")
  var plots: String?

  /// `--format json`: `metrics` always holds `loss` and `accuracy`, plus every metric the spec lists;
  /// `confusion_matrix` (rows: labels, columns: predictions) when the spec asks for it.
  struct Report: Encodable {
    var metrics: [String: Double]
    var confusion_matrix: [[Int]]?
    var samples: Int
    var split: String
    var checkpoint: String
  }

  func run() throws {
    let prepared = try PreparedRun.prepare(options, command: "eval")
    let dataset: Dataset
    switch split {
    case .test:
      guard let test = prepared.data.test else {
        throw fail("\(options.spec): the data section has no 'test' split")
      }
      dataset = test
    case .val:
      guard let validation = prepared.data.validation else {
        throw fail("\(options.spec): there is no validation split (set data.validation_split)")
      }
      dataset = validation
    case .train:
      dataset = try prepared.evaluationTrainingSplit()
    }
    let result: EvaluationResult
    do {
      var options = optimization.options
      options.lossTakesLogits = RunComponents.lossTakesLogits(prepared.configuration.loss)
      let executor = Executor(
        graph: prepared.graph, maxBatch: prepared.configuration.batchSize,
        configuration: ExecutionConfiguration(mode: .inference, optimization: options))
      if let checkpoint {
        let saved = try Checkpoint.read(from: checkpoint)
        try Trainer.load(saved, into: executor, path: checkpoint)
        try Trainer.checkClassNames(saved, against: dataset, path: checkpoint)
      } else if let settings = prepared.configuration.initialization {
        // Pretrained weights as training would start from them, rename rules and layout included.
        try Trainer.initialize(executor, seed: UInt64(prepared.configuration.seed))
        let report = try WeightImport.apply(settings, to: executor)
        FileHandle.standardError.write(Data(report.table.utf8))
      } else {
        throw fail("give --checkpoint, or train.init in the spec, for the weights to evaluate")
      }
      let loss = RunComponents.loss(prepared.configuration.loss, outputIsLogits: executor.outputIsLogits)
      result = try Evaluator(executor: executor, loss: loss).evaluate(dataset, keepPredictions: true)
    } catch let error as SafeTensorsError {
      throw fail("\(error)")
    } catch let error as TrainError {
      throw fail(error.message)
    } catch let error as DataError {
      throw fail("\(error)")
    }
    if let predictions { try writePredictions(result, to: predictions) }
    if let plots {
      do {
        try Plots.writeEvaluation(result, to: plots)
      } catch {
        throw fail("cannot write plots to \(plots): \(error.localizedDescription)")
      }
    }
    let metrics = MetricReport(prepared.configuration.metrics, result: result)
    let matrix = metrics.confusionMatrix
    switch format {
    case .json:
      let report = Report(
        metrics: Dictionary(
          metrics.values.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
        confusion_matrix: matrix.map { m in (0..<m.classes).map { row in (0..<m.classes).map { m[row, $0] } }
        },
        samples: result.samples, split: split.rawValue,
        checkpoint: checkpoint ?? prepared.configuration.initialization?.path ?? "")
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    case .text:
      print("split: \(split.rawValue) (\(result.samples) samples)")
      let width = metrics.values.map(\.key.count).max() ?? 0
      for (key, value) in metrics.values {
        print(
          key + ":" + String(repeating: " ", count: width - key.count + 1) + String(format: "%.4f", value))
      }
      if let matrix { print(matrix.table) }
    }
  }

  func writePredictions(_ result: EvaluationResult, to path: String) throws {
    var text =
      "index,label,prediction," + (0..<result.classes).map { "prob_\($0)" }.joined(separator: ",") + "\n"
    for index in 0..<result.labels.count {
      let row = result.probabilities[(index * result.classes)..<((index + 1) * result.classes)]
      text += "\(index),\(result.labels[index]),\(result.predictions[index]),"
      text += row.map { String(format: "%.6g", $0) }.joined(separator: ",") + "\n"
    }
    do {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw fail("cannot write predictions to \(path): \(error.localizedDescription)")
    }
  }
}
