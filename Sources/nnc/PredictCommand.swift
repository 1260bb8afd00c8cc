import ArgumentParser
import Foundation
import NNCData
import NNCGraph
import NNCRuntime
import NNCSpec
import NNCTrain

struct PredictCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Predict image files, folders of them, or IDX / NPY / CSV files of samples.",
    discussion: """
      Inputs are preprocessed like the spec's evaluation data (channels, resize, scale, normalization) \
      and run in batches. Folders are read recursively in sorted order. Class names come from the \
      checkpoint. Without --checkpoint, the weights of the spec's train.init, else its seeded initial \
      weights (with a warning).
      """
  )

  @OptionGroup var specOptions: SpecOptions

  @Option(help: "The checkpoint (.safetensors) to predict with.")
  var checkpoint: String?

  @ArgumentParser.Argument(help: "Image files (PNG, JPEG), folders, or IDX / NPY / CSV files of samples.")
  var inputs: [String]

  @Option(
    name: .customLong("top-k"), help: "How many classes to list per input (default 5, at most the classes).")
  var topK: Int?

  @Option(help: "Output format: text, csv or json (one object per line).")
  var format: PredictionWriter.Format = .text

  @Option(help: "Samples per batch (default: the spec's train.batch_size).")
  var batchSize: Int?

  @Option(name: .shortAndLong, help: "Write the results to this file instead of standard output.")
  var output: String?

  @Option(
    help: ArgumentHelp(
      "A binary head predicts class 1, and a multi-label head a label, at this probability or above "
        + "(default: the spec's predict.threshold, else 0.5)."))
  var threshold: Double?

  @Flag(help: "Skip unreadable inputs with a warning each instead of failing.")
  var skipCorrupt = false

  @Option(help: "Threads (default: train.threads, else every core).")
  var threads: Int?

  func validate() throws {
    if inputs.isEmpty { throw ValidationError("give at least one input file or folder") }
    if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, found \(topK)") }
    if let batchSize, batchSize < 1 {
      throw ValidationError("--batch-size must be at least 1, found \(batchSize)")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads)") }
    if let threshold, !(0...1).contains(threshold) {
      throw ValidationError("--threshold must be a probability in [0, 1], found \(threshold)")
    }
  }

  func run() throws {
    SignalHandling.installExitAtOnce()
    // With JSON lines on standard output, a failure is a JSON object there too.
    JSONErrorOutput.isEnabled = format == .json
    let spec = try SpecPipeline.load(specOptions)
    let configurationBeforeLoad = TrainingConfiguration(spec: spec.spec)
    let maxBatch = batchSize ?? configurationBeforeLoad.batchSize
    Executor.setBLASThreads(
      threads ?? configurationBeforeLoad.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    let model = try InferenceModel.load(
      spec, specPath: specOptions.spec, checkpoint: checkpoint, maxBatch: maxBatch,
      optimization: OptimizationOptions(),
      command: "predict")
    let task = model.task
    if threshold != nil, task != .binary, task != .multilabel {
      throw fail("--threshold applies to binary and multi-label heads; this model's task is \(task.rawValue)")
    }
    if topK != nil, task != .classification, task != .multilabel {
      throw fail(
        "--top-k applies to classification and multi-label heads; this model's task is \(task.rawValue)")
    }
    let loss = model.loss
    let rule = PredictionRule.of(model.configuration, graph: model.graph, loss: loss, threshold: threshold)
    let predictor = Predictor(
      executor: model.executor, loss: loss, rule: rule,
      targetNormalization: TargetNormalization(metadata: model.metadata))
    let preprocessing = InputPreprocessing(
      configuration: model.configuration, inputShape: model.graph.inputShape.sample)

    let (files, expansionErrors) = PredictionInputs.expand(inputs)
    let hasArrays = files.contains { $0.kind != .image }
    let longest = files.map(\.path.count).max() ?? 5
    let sink = try LineSink(destination: output)
    let writer = PredictionWriter(
      format: format, task: task, classNames: model.classNames, outputs: predictor.outputs,
      topK: min(topK ?? 5, predictor.outputs), threshold: threshold ?? model.configuration.threshold,
      scoresAreProbabilities: predictor.scoresAreProbabilities,
      inputWidth: min(max(longest + (hasArrays ? 8 : 0), 5), 60), sink: sink)
    var run = PredictionRun(
      predictor: predictor, writer: writer, preprocessing: preprocessing, maxBatch: maxBatch,
      skipCorrupt: skipCorrupt)
    do {
      for error in expansionErrors { run.unreadable(error) }
      try writer.header()
      try run.predict(files)
      guard run.failures == 0 else {
        sink.discard()
        throw fail(
          "\(run.failures) input\(run.failures == 1 ? "" : "s") could not be read (--skip-corrupt skips them)"
        )
      }
      try sink.commit()
    } catch {
      sink.discard()
      throw error
    }
  }
}

/// The inputs of one `nnc predict` run flowing through batches: samples gather until a batch is full,
/// then the batch runs and its lines are written.
struct PredictionRun {
  let predictor: Predictor
  let writer: PredictionWriter
  let preprocessing: InputPreprocessing
  let maxBatch: Int
  let skipCorrupt: Bool
  var pendingSamples: [Float] = []
  var pendingNames: [String] = []
  var failures = 0

  init(
    predictor: Predictor, writer: PredictionWriter, preprocessing: InputPreprocessing, maxBatch: Int,
    skipCorrupt: Bool
  ) {
    self.predictor = predictor
    self.writer = writer
    self.preprocessing = preprocessing
    self.maxBatch = maxBatch
    self.skipCorrupt = skipCorrupt
  }

  /// An input that cannot be read: a warning under `--skip-corrupt`, else an error counted for exit 1.
  mutating func unreadable(_ error: DataError) {
    let line = skipCorrupt ? "warning: \(error.description) (skipped)\n" : "error: \(error.description)\n"
    Console.standardError(line)
    if !skipCorrupt { failures += 1 }
  }

  mutating func predict(_ files: [PredictionInput]) throws {
    var index = 0
    while index < files.count {
      if files[index].kind == .image {
        // A run of images decodes a batch at a time, on every core.
        var end = index
        while end < files.count, end - index < maxBatch, files[end].kind == .image { end += 1 }
        try images(files[index..<end].map(\.path))
        index = end
      } else {
        try array(files[index])
        index += 1
      }
    }
    try flush()
  }

  mutating func images(_ paths: [String]) throws {
    guard let options = preprocessing.imageOptions else {
      for path in paths {
        unreadable(
          DataError(
            path,
            "is an image, but the model input \(preprocessing.inputShape) is not [1 or 3, height, width]"))
      }
      return
    }
    var decoded: [[Float]] = []
    var names: [String] = []
    for (path, result) in zip(paths, Dataset.decodeAll(paths, options: options)) {
      switch result {
      case .success(let image):
        decoded.append(image.pixels)
        names.append(path)
      case .failure(let error):
        unreadable(error)
      }
    }
    guard !decoded.isEmpty else { return }
    var dataset = try preprocessing.images(decoded)
    try normalize(&dataset)
    try append(dataset, names: names)
  }

  mutating func array(_ input: PredictionInput) throws {
    var dataset: Dataset
    do {
      dataset = try PredictionInputs.readSamples(
        input, sampleSize: preprocessing.inputShape.reduce(1, *), csv: preprocessing.csv,
        centerCrop: preprocessing.centerCrop)
    } catch let error as DataError {
      unreadable(error)
      return
    }
    try normalize(&dataset)
    try append(dataset, names: (0..<dataset.count).map { "\(input.path):\($0)" })
  }

  func normalize(_ dataset: inout Dataset) throws {
    do {
      try preprocessing.normalize(&dataset)
    } catch let error as DataError {
      throw fail("\(error)")
    }
  }

  mutating func append(_ dataset: Dataset, names: [String]) throws {
    let size = dataset.sampleSize
    for sample in 0..<dataset.count {
      pendingSamples.append(contentsOf: dataset.samples[(sample * size)..<((sample + 1) * size)])
      pendingNames.append(names[sample])
      if pendingNames.count == maxBatch { try flush() }
    }
  }

  mutating func flush() throws {
    guard !pendingNames.isEmpty else { return }
    let (scores, decisions) = try predictor.predict(pendingSamples[...], count: pendingNames.count)
    for (index, name) in pendingNames.enumerated() {
      try writer.write(input: name, scores: scores[index], decision: decisions[index])
    }
    pendingSamples.removeAll(keepingCapacity: true)
    pendingNames.removeAll(keepingCapacity: true)
  }
}
