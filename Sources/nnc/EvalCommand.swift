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
      predictions made elsewhere (index,label,prediction,prob_0,...; a regression's \
      index,target_<name>...,prediction_<name>...; a multi-label task's \
      index,target_<name>...,prob_<name>...,predicted); SPEC is then optional, and without it every \
      metric is reported.
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

  @Option(
    help:
      "Write every prediction to this CSV file (index,label,prediction,prob_0,...; regression: index,target_...,prediction_...; multi-label: index,target_...,prob_...,predicted)."
  )
  var predictions: String?

  @Option(
    name: .customLong("predictions-in"),
    help: ArgumentHelp(
      "Score the predictions in this CSV file instead of running a model.", valueName: "file"))
  var predictionsIn: String?

  @Option(
    help:
      "Write confusion_matrix.svg, roc.svg and pr.svg (regression: predicted_vs_actual.svg and residuals.svg; multi-label: roc.svg and pr.svg per label) into this directory."
  )
  var plots: String?

  @Option(help: "The class that 'binary' averages report (default: the spec's positive_class, else 1).")
  var positiveClass: Int?

  @Option(
    help:
      "A binary task predicts class 1 (a multi-label task each label) when its probability is at least this (overrides predict.threshold)."
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

  /// `--format json` of a regression or multi-label evaluation: `metrics` as `RegressionReport.JSON`
  /// or `MultilabelReport.JSON` document it, and where they came from.
  struct TargetReport<Metrics: Encodable>: Encodable {
    var task: String
    var metrics: Metrics
    /// The model's loss on the split (in the units it trained in); absent for a predictions file.
    var loss: Double?
    /// The spec's metrics under their per-epoch keys (`mae`, `r2`, `f1_micro`).
    var values: [String: Double]
    var samples: Int
    var split: String?
    var checkpoint: String?
    var predictions_in: String?
  }

  func run() throws {
    JSONErrorOutput.enable(format)
    SignalHandling.installExitAtOnce()
    var settings: [TrainingConfiguration.MetricSettings]?
    if let predictionsIn {
      if let spec {
        let loaded = try SpecPipeline.load(specOptions(spec))
        settings = TrainingConfiguration(spec: loaded.spec).metrics
      }
      let contents: TargetPredictionsFile.Contents
      do {
        contents = try TargetPredictionsFile.read(path: predictionsIn)
      } catch let error as PredictionsFileError {
        throw fail(error.description)
      }
      switch contents {
      case .classification(let scored):
        try reportClasses(scored, settings: settings, loss: nil, names: nil)
      case .regression(let targets, let predictions, let names):
        let metrics = TargetMetricReport(
          settings, targets: targets.map(Float.init), outputs: predictions.map(Float.init),
          width: names.count,
          rule: .regression, loss: nil, names: names)
        try writePlots(TargetPlots.regression(targets: targets, predictions: predictions, names: names))
        try reportTargets(metrics, samples: targets.count / names.count)
      case .multilabel(let targets, let scores, let predictions, let names):
        // The file's decisions are scored as they are; the probabilities serve the ranking metrics.
        let report = MultilabelReport(
          targets: targets, predictions: predictions, scores: scores, labels: names.count, names: names,
          loss: nil)
        let metrics = TargetMetricReport(settings, multilabel: report)
        try writePlots(TargetPlots.multilabel(targets: targets, scores: scores, names: names))
        try reportTargets(metrics, samples: report.metrics.samples)
      }
      return
    }
    let prepared = try PreparedRun.prepare(specOptions(spec!), command: "eval")
    try memoryLimit.enforce(
      memoryLimit.estimate(
        graph: prepared.graph, configuration: prepared.configuration, mode: .inference, data: prepared.data,
        optimization: optimization.options),
      command: "eval")
    settings = prepared.configuration.metrics
    let dataset = try evaluationSplit(prepared)
    let result = try evaluate(prepared, on: dataset, checkpoint: checkpoint)
    switch result.rule {
    case .argmax, .threshold:
      if let predictions { try writeFile(PredictionsFile.text(result.metricPredictions), to: predictions) }
      try reportClasses(
        result.metricPredictions, settings: settings, loss: result.loss, names: dataset.classNames)
    case .regression:
      let names = Self.targetNames(dataset, width: result.classes)
      let targets = result.targets.map(Double.init)
      let outputs = result.outputs.map(Double.init)
      if let predictions {
        try writeFile(
          TargetPredictionsFile.regressionText(
            targets: result.targets, predictions: result.outputs, names: names),
          to: predictions)
      }
      try writePlots(TargetPlots.regression(targets: targets, predictions: outputs, names: names))
      try reportTargets(TargetMetricReport(settings, result: result, names: names), samples: result.samples)
    case .multilabel:
      let names = Self.targetNames(dataset, width: result.classes)
      let decisions = result.outputs.indices.map {
        result.rule.predicts(probability: Double(result.outputs[$0]), label: $0 % result.classes)
      }
      if let predictions {
        try writeFile(
          TargetPredictionsFile.multilabelText(
            targets: result.targets, scores: result.outputs, predictions: decisions, names: names),
          to: predictions)
      }
      try writePlots(
        TargetPlots.multilabel(
          targets: result.targets.map { $0 == 1 }, scores: result.outputs.map(Double.init), names: names))
      try reportTargets(TargetMetricReport(settings, result: result, names: names), samples: result.samples)
    }
  }

  /// The names of a data set's targets (CSV headers), or `output_<i>` / `label_<i>` from the reports.
  static func targetNames(_ dataset: Dataset, width: Int) -> [String] {
    if let names = dataset.targets?.names ?? dataset.classNames, names.count == width { return names }
    let prefix = dataset.targets?.kind == .multiHot ? "label_" : "output_"
    return (0..<width).map { prefix + String($0) }
  }

  /// The classification report of a model's or a file's predictions.
  func reportClasses(
    _ scored: Predictions, settings: [TrainingConfiguration.MetricSettings]?, loss: Double?, names: [String]?
  ) throws {
    let positive = positiveClass ?? settings.flatMap(MetricReport.positiveClass) ?? 1
    guard positive < scored.classes else {
      throw fail(
        "the positive class \(positive) is not one of the \(scored.classes) classes (0...\(scored.classes - 1))"
      )
    }
    let metrics = MetricReport(settings, predictions: scored, loss: loss, positiveClass: positive)
    try writePlots(EvaluationPlots.files(scored, names: names, positiveClass: positive))
    let report = metrics.report
    switch format {
    case .json:
      let output = Report(
        metrics: report.json, samples: report.samples, classes: report.classes, positive_class: positive,
        split: predictionsIn == nil ? split.rawValue : nil, checkpoint: checkpoint,
        predictions_in: predictionsIn, warnings: report.warnings)
      print(try reportJSON(output))
    case .text:
      if let predictionsIn {
        print(
          "predictions: \(predictionsIn) (\(counted(report.samples, "sample")), "
            + "\(counted(report.classes, "class", plural: "classes")))\n")
      } else {
        print("split: \(split.rawValue) (\(counted(report.samples, "sample")))\n")
      }
      print(report.text(names: names), terminator: "")
    }
  }

  /// The report of a regression or a multi-label task, in text or JSON.
  func reportTargets(_ metrics: TargetMetricReport, samples: Int) throws {
    let values = Dictionary(
      metrics.values.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    let source =
      predictionsIn.map { "predictions: \($0) (\(counted(samples, "sample")))" }
      ?? "split: \(split.rawValue) (\(counted(samples, "sample")))"
    let origin = (
      split: predictionsIn == nil ? split.rawValue : nil, checkpoint: checkpoint, predictionsIn: predictionsIn
    )
    switch (metrics.report, format) {
    case (.regression(let report), .json):
      print(
        try reportJSON(
          TargetReport(
            task: TaskKind.regression.rawValue, metrics: report.json, loss: report.loss, values: values,
            samples: samples,
            split: origin.split, checkpoint: origin.checkpoint, predictions_in: origin.predictionsIn)))
    case (.multilabel(let report), .json):
      print(
        try reportJSON(
          TargetReport(
            task: TaskKind.multilabel.rawValue, metrics: report.json, loss: report.loss, values: values,
            samples: samples,
            split: origin.split, checkpoint: origin.checkpoint, predictions_in: origin.predictionsIn)))
    case (.regression(let report), .text):
      print(
        "\(source)\n\ntask: regression (\(report.names.count) output\(report.names.count == 1 ? "" : "s"))")
      print(report.text, terminator: "")
    case (.multilabel(let report), .text):
      print("\(source)\n\ntask: multi-label classification (\(counted(report.names.count, "label")))")
      print(report.text, terminator: "")
    }
  }

  /// Writes `--plots` figures, when asked for.
  func writePlots(_ files: [(name: String, svg: String)]) throws {
    guard let plots else { return }
    do {
      try AtomicFile.createDirectory(plots)
      for (name, svg) in files {
        try AtomicFile.write(svg, to: plots + "/" + name)
      }
    } catch {
      throw fail("cannot write plots to \(plots): \(error)")
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
    var dataset = dataset
    var normalization = prepared.data.targetNormalization
    do {
      var options = optimization.options
      options.lossTakesLogits = RunComponents.lossTakesLogits(prepared.configuration.loss)
      let executor = Executor(
        graph: prepared.graph, maxBatch: prepared.configuration.batchSize,
        configuration: ExecutionConfiguration(
          mode: .inference, optimization: options, cachesPreparedWeights: true))
      if let checkpoint {
        let saved = try Checkpoint.read(from: checkpoint)
        if let summary = saved.nonFiniteSummary {
          throw fail("\(checkpoint): the checkpoint holds \(summary); it cannot be evaluated")
        }
        try ModelWeights.load(saved, into: executor, path: checkpoint)
        try ModelWeights.checkClassNames(saved, against: dataset, path: checkpoint)
        // The model's outputs are in the units of the normalization it was trained with.
        if let recorded = TargetNormalization(metadata: saved.metadata), recorded != normalization {
          var split = LoadedData(train: dataset)
          split.targetNormalization = normalization
          try split.normalizeTargets(recorded)
          dataset = split.train
          normalization = recorded
        }
      } else if let settings = prepared.configuration.initialization {
        // Pretrained weights as training would start from them, rename rules and layout included.
        try ModelWeights.initialize(executor, seed: UInt64(prepared.configuration.seed))
        let report = try WeightImport.apply(settings, to: executor)
        Console.standardError(report.table)
      } else {
        throw fail("give --checkpoint, or train.init in the spec, for the weights to evaluate")
      }
      let loss = RunComponents.loss(prepared.configuration.loss, outputIsLogits: executor.outputIsLogits)
      let rule = PredictionRule.of(
        prepared.configuration, graph: prepared.graph, loss: loss, threshold: threshold)
      return try Evaluator(executor: executor, loss: loss, rule: rule, targetNormalization: normalization)
        .evaluate(
          dataset, keepPredictions: true)
    } catch let error as SafeTensorsError {
      throw fail("\(error)")
    } catch let error as TrainError {
      throw fail(error.message)
    } catch let error as DataError {
      throw fail("\(error)")
    }
  }

  func writeFile(_ text: String, to path: String) throws {
    do {
      try AtomicFile.write(text, to: path)
    } catch let error as DataError {
      throw fail("cannot write \(path): \(error)")
    }
  }
}
