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
    abstract: "Evaluate a trained checkpoint on a split of the spec's data, or score a predictions file.",
    discussion: """
      With --checkpoint, runs the model of SPEC on a split. With --predictions-in FILE.csv, scores \
      predictions made elsewhere (index,label,prediction,prob_0,...); SPEC is then optional, and \
      without it every metric is reported.
      """
  )

  enum Split: String, ExpressibleByArgument, CaseIterable {
    case test
    case val
    case train
  }

  @ArgumentParser.Argument(help: "The spec file (.yaml, .yml or .nnc); optional with --predictions-in.")
  var spec: String?

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override a value of the spec by its dotted path in the YAML form (repeatable).",
      valueName: "PATH=VALUE"))
  var overrides: [String] = []

  @OptionGroup var optimization: OptimizationFlags
  @OptionGroup var memoryLimit: MemoryLimitOptions

  @Option(
    help: "The checkpoint (.safetensors) to evaluate; without it, the weights of the spec's train.init.")
  var checkpoint: String?

  @Option(help: "Which data to evaluate: test, val or train.")
  var split: Split = .test

  @Option(help: "Output format: text or json.")
  var format: OutputFormat = .text

  @Option(help: "Write every prediction to this CSV file (index,label,prediction,prob_0,...).")
  var predictions: String?

  @Option(
    name: .customLong("predictions-in"),
    help: ArgumentHelp(
      "Score the predictions in this CSV file instead of running a model.", valueName: "file"))
  var predictionsIn: String?

  @Option(help: "Write confusion_matrix.svg, roc.svg and pr.svg into this directory.")
  var plots: String?

  @Option(help: "The class that 'binary' averages report (default: the spec's positive_class, else 1).")
  var positiveClass: Int?

  @Option(
    help:
      "A binary task predicts class 1 when its probability is at least this (overrides predict.threshold)."
  )
  var threshold: Double?

  func validate() throws {
    if predictionsIn != nil {
      if checkpoint != nil {
        throw ValidationError("--predictions-in scores a file of predictions; it takes no --checkpoint")
      }
      if predictions != nil {
        throw ValidationError(
          "--predictions writes a model's predictions; with --predictions-in there is no model")
      }
    } else {
      guard spec != nil else {
        throw ValidationError("give a spec and --checkpoint, or score a file with --predictions-in FILE.csv")
      }
    }
    if let threshold, !(0...1).contains(threshold) {
      throw ValidationError("--threshold must be a probability in [0, 1], found \(threshold)")
    }
    if let positiveClass, positiveClass < 0 {
      throw ValidationError("--positive-class must be a class index (0 or more), found \(positiveClass)")
    }
  }

  /// `--format json`: `metrics` as `ClassificationReport.JSON` documents it, and where they came from.
  struct Report: Encodable {
    var metrics: ClassificationReport.JSON
    var samples: Int
    var classes: Int
    var positive_class: Int
    var split: String?
    var checkpoint: String?
    var predictions_in: String?
    var warnings: [String]
  }

  /// `--format json` of a regression: its loss, with no class metrics.
  struct RegressionReport: Encodable {
    var task = TaskKind.regression.rawValue
    var loss: Double
    var samples: Int
    var split: String
    var checkpoint: String?
  }

  func run() throws {
    JSONErrorOutput.enable(format)
    SignalHandling.installExitAtOnce()
    var settings: [TrainingConfiguration.MetricSettings]?
    var scored: Predictions
    var loss: Double?
    var names: [String]?
    if let predictionsIn {
      if let spec {
        let loaded = try SpecPipeline.load(specOptions(spec))
        settings = TrainingConfiguration(spec: loaded.spec).metrics
      }
      do {
        scored = try PredictionsFile.read(path: predictionsIn)
      } catch let error as PredictionsFileError {
        throw fail(error.description)
      }
    } else {
      let prepared = try PreparedRun.prepare(specOptions(spec!), command: "eval")
      try memoryLimit.enforce(
        memoryLimit.estimate(
          graph: prepared.graph, configuration: prepared.configuration, mode: .inference, data: prepared.data,
          optimization: optimization.options),
        command: "eval")
      settings = prepared.configuration.metrics
      let dataset = try evaluationSplit(prepared)
      let result = try evaluate(prepared, on: dataset, checkpoint: checkpoint)
      guard result.rule.decidesClasses else { return try reportRegression(result) }
      if let predictions { try writePredictions(result.metricPredictions, to: predictions) }
      scored = result.metricPredictions
      loss = result.loss
      names = dataset.classNames
    }
    let positive = positiveClass ?? settings.flatMap(MetricReport.positiveClass) ?? 1
    guard positive < scored.classes else {
      throw fail(
        "the positive class \(positive) is not one of the \(scored.classes) classes (0...\(scored.classes - 1))"
      )
    }
    let metrics = MetricReport(settings, predictions: scored, loss: loss, positiveClass: positive)
    if let plots {
      do {
        try Plots.writeEvaluation(scored, names: names, positiveClass: positive, to: plots)
      } catch {
        throw fail("cannot write plots to \(plots): \(error.localizedDescription)")
      }
    }
    let report = metrics.report
    switch format {
    case .json:
      let output = Report(
        metrics: report.json, samples: report.samples, classes: report.classes, positive_class: positive,
        split: predictionsIn == nil ? split.rawValue : nil, checkpoint: checkpoint,
        predictions_in: predictionsIn, warnings: report.warnings)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(output), as: UTF8.self))
    case .text:
      if let predictionsIn {
        print("predictions: \(predictionsIn) (\(report.samples) samples, \(report.classes) classes)\n")
      } else {
        print("split: \(split.rawValue) (\(report.samples) samples)\n")
      }
      print(report.text(names: names), terminator: "")
    }
  }

  /// A regression's evaluation: its loss, as no class metric applies.
  func reportRegression(_ result: EvaluationResult) throws {
    if predictions != nil || plots != nil {
      throw fail("a regression makes no class predictions: --predictions and --plots need a classification")
    }
    switch format {
    case .json:
      let report = RegressionReport(
        loss: result.loss, samples: result.samples, split: split.rawValue, checkpoint: checkpoint)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    case .text:
      print("split: \(split.rawValue) (\(result.samples) samples)\n")
      print("task: regression")
      print(String(format: "loss: %.4f", result.loss))
    }
  }

  /// The spec and its `--set` overrides in the form the other commands share.
  func specOptions(_ spec: String) throws -> SpecOptions {
    try SpecOptions.parse([spec] + overrides.flatMap { ["--set", $0] })
  }

  func evaluationSplit(_ prepared: PreparedRun) throws -> Dataset {
    switch split {
    case .test:
      guard let test = prepared.data.test else {
        throw fail("\(spec ?? ""): the data section has no 'test' split")
      }
      return test
    case .val:
      guard let validation = prepared.data.validation else {
        throw fail("\(spec ?? ""): there is no validation split (set data.validation_split)")
      }
      return validation
    case .train:
      return try prepared.evaluationTrainingSplit()
    }
  }

  func evaluate(_ prepared: PreparedRun, on dataset: Dataset, checkpoint: String?) throws -> EvaluationResult
  {
    do {
      var options = optimization.options
      options.lossTakesLogits = RunComponents.lossTakesLogits(prepared.configuration.loss)
      let executor = Executor(
        graph: prepared.graph, maxBatch: prepared.configuration.batchSize,
        configuration: ExecutionConfiguration(mode: .inference, optimization: options))
      if let checkpoint {
        let saved = try Checkpoint.read(from: checkpoint)
        if let summary = saved.nonFiniteSummary {
          throw fail("\(checkpoint): the checkpoint holds \(summary); it cannot be evaluated")
        }
        try ModelWeights.load(saved, into: executor, path: checkpoint)
        try ModelWeights.checkClassNames(saved, against: dataset, path: checkpoint)
      } else if let settings = prepared.configuration.initialization {
        // Pretrained weights as training would start from them, rename rules and layout included.
        try ModelWeights.initialize(executor, seed: UInt64(prepared.configuration.seed))
        let report = try WeightImport.apply(settings, to: executor)
        FileHandle.standardError.write(Data(report.table.utf8))
      } else {
        throw fail("give --checkpoint, or train.init in the spec, for the weights to evaluate")
      }
      let loss = RunComponents.loss(prepared.configuration.loss, outputIsLogits: executor.outputIsLogits)
      let rule = PredictionRule.of(
        prepared.configuration, graph: prepared.graph, loss: loss, threshold: threshold)
      return try Evaluator(executor: executor, loss: loss, rule: rule).evaluate(
        dataset, keepPredictions: true)
    } catch let error as SafeTensorsError {
      throw fail("\(error)")
    } catch let error as TrainError {
      throw fail(error.message)
    } catch let error as DataError {
      throw fail("\(error)")
    }
  }

  func writePredictions(_ predictions: Predictions, to path: String) throws {
    do {
      try PredictionsFile.text(predictions).write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw fail("cannot write predictions to \(path): \(error.localizedDescription)")
    }
  }
}
