import Foundation
import NNCData
import NNCGraph
import NNCRandom
import NNCRuntime

/// How a training run ended.
public struct TrainingOutcome: Sendable {
  public var history: [EpochRecord]
  public var stoppedEarly: Bool
  public var bestEpoch: Int?
  public var bestValue: Double?
  public var lastCheckpoint: String
  public var bestCheckpoint: String
}

/// Trains a graph: batches from the data pipeline, forward, loss, backward, gradient clipping,
/// optimizer step; per epoch validation, history, checkpoints (last and best), early stopping and a
/// stop on a non-finite loss that keeps the last good checkpoint.
public final class Trainer {
  public let graph: Graph
  public let configuration: TrainingConfiguration
  public let runDirectory: String
  public let specHash: String
  /// Runs the current phase's graph; a phase that changes which layers train gets a new one.
  public private(set) var executor: Executor
  let loss: LossFunction
  var optimizer: any Optimizer
  var schedule: LearningRateSchedule
  /// Parameters the optimizer updates, in graph order.
  var trainable: [Executor.ParameterSlot]
  /// The phase the executor, optimizer and schedule are set up for (0 without `train.phases`).
  public private(set) var phase = 0
  let optimization: OptimizationOptions

  public var lastCheckpointPath: String { runDirectory + "/checkpoint-last.safetensors" }
  public var bestCheckpointPath: String { runDirectory + "/checkpoint-best.safetensors" }
  public var historyPath: String { runDirectory + "/history.jsonl" }
  /// The class names of image-folder data, by index (written when the data names its classes).
  public var classesPath: String { runDirectory + "/classes.json" }
  /// Recorded in checkpoints so a model's outputs can be named.
  var classNames: [String]?

  /// `optimization` selects the graph passes and memory planning of the executor (all by default).
  public init(
    graph: Graph, configuration: TrainingConfiguration, runDirectory: String, specHash: String,
    optimization: OptimizationOptions = .all
  ) throws {
    self.graph = graph
    self.configuration = configuration
    self.runDirectory = runDirectory
    self.specHash = specHash
    let seed = UInt64(configuration.seed)
    var optimization = optimization
    optimization.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    self.optimization = optimization
    executor = Executor(
      graph: Self.graph(graph, phase: 0, configuration), maxBatch: configuration.batchSize, seed: seed,
      configuration: ExecutionConfiguration(mode: .training, optimization: optimization))
    executor.generator = RandomGenerator(seed: seed).derived(4)
    loss = RunComponents.loss(configuration.loss, outputIsLogits: executor.outputIsLogits)
    (optimizer, schedule, trainable) = try Self.components(
      phase: 0, configuration: configuration, executor: executor)
    try Self.initializeParameters(of: executor, seed: seed)
    if let settings = configuration.initialization {
      transferReport = try WeightImport.apply(settings, to: executor)
    }
  }

  public private(set) var transferReport: TransferReport?

  /// The graph of a phase: its `freeze`/`trainable` selection, or `train.freeze` as lowered.
  static func graph(_ graph: Graph, phase: Int, _ configuration: TrainingConfiguration) -> Graph {
    guard configuration.phases.indices.contains(phase), let selection = configuration.phases[phase].selection
    else { return graph }
    return graph.applying(selection)
  }

  /// The optimizer settings of a phase: its own optimizer or the spec's, at its learning rate.
  static func optimizerSettings(phase: Int, _ configuration: TrainingConfiguration)
    -> TrainingConfiguration.OptimizerSettings
  {
    guard configuration.phases.indices.contains(phase) else { return configuration.optimizer }
    var settings = configuration.phases[phase].optimizer ?? configuration.optimizer
    if let rate = configuration.phases[phase].learningRate { settings.learningRate = rate }
    return settings
  }

  /// A fresh optimizer over the executor's trainable parameters, and the phase's schedule (which
  /// runs over the phase's epochs: each phase restarts it at its own learning rate).
  static func components(phase: Int, configuration: TrainingConfiguration, executor: Executor) throws
    -> (any Optimizer, LearningRateSchedule, [Executor.ParameterSlot])
  {
    var phaseConfiguration = configuration
    phaseConfiguration.optimizer = optimizerSettings(phase: phase, configuration)
    if configuration.phases.indices.contains(phase) {
      phaseConfiguration.epochs = configuration.phases[phase].epochs
    }
    var optimizer = try RunComponents.optimizer(phaseConfiguration.optimizer)
    let schedule = RunComponents.schedule(phaseConfiguration)
    try schedule.validate()
    let trainable = executor.parameterLayout.filter { $0.info.trainable }
    // Weight decay applies to weights, not to biases or normalization parameters.
    optimizer.decayMask = trainable.map { $0.info.role == .weight }
    let multipliers = configuration.learningRateMultipliers
    if !multipliers.isEmpty {
      optimizer.learningRateScales = trainable.map { slot in
        let layer = String(slot.info.name[..<(slot.info.name.lastIndex(of: ".") ?? slot.info.name.endIndex)])
        return Float(multipliers.first { NamePattern.matches($0.pattern, layer) }?.factor ?? 1)
      }
    }
    return (optimizer, schedule, trainable)
  }

  /// The epoch (0-based) at which `phase` starts.
  func phaseStart(_ phase: Int) -> Int {
    configuration.phases.prefix(phase).reduce(0) { $0 + $1.epochs }
  }

  /// The phase that runs epoch `epoch` (0-based); the last phase for anything past the end.
  func phase(ofEpoch epoch: Int) -> Int {
    var end = 0
    for (index, phase) in configuration.phases.enumerated() {
      end += phase.epochs
      if epoch < end { return index }
    }
    return max(configuration.phases.count - 1, 0)
  }

  /// Switches to a phase: a new executor for the phase's graph (its frozen parameters have no
  /// gradient buffers; parameters and random state carried over), a fresh optimizer and schedule.
  func enterPhase(_ index: Int) throws {
    guard index != phase else { return }
    let graph = Self.graph(self.graph, phase: index, configuration)
    let next = Executor(
      graph: graph, maxBatch: configuration.batchSize, seed: UInt64(configuration.seed),
      configuration: ExecutionConfiguration(mode: .training, optimization: optimization))
    next.parameters.baseAddress!.update(
      from: executor.parameters.baseAddress!, count: executor.parameterCount)
    next.generator = executor.generator
    executor = next
    (optimizer, schedule, trainable) = try Self.components(
      phase: index, configuration: configuration, executor: executor)
    phase = index
  }

  /// Fills every parameter of an executor with its initializer, from the seed, as training does.
  public static func initialize(_ executor: Executor, seed: UInt64) throws {
    try initializeParameters(of: executor, seed: seed)
  }

  /// Fills every parameter with its initializer, from the seed.
  static func initializeParameters(of executor: Executor, seed: UInt64) throws {
    var generator = RandomGenerator(seed: seed).derived(1)
    for slot in executor.parameterLayout {
      try RunComponents.initializer(slot.info.initializer).fill(
        executor.parameter(slot), fanIn: slot.info.fanIn, fanOut: slot.info.fanOut, generator: &generator)
    }
  }

  // MARK: Batches

  /// Copies a batch's samples into the executor's input.
  static func copy(_ batch: Batch, into executor: Executor) throws {
    let count = batch.count * executor.inputSampleCount
    guard batch.samples.count >= count else {
      throw TrainError("a batch holds \(batch.samples.count) values where \(count) were expected")
    }
    batch.samples.withUnsafeBufferPointer { executor.input.update(from: $0.baseAddress!, count: count) }
  }

  static func predictedClass(_ output: UnsafeBufferPointer<Float>, sample: Int, classes: Int) -> Int32 {
    let row = sample * classes
    if classes == 1 { return output[row] > 0 ? 1 : 0 }
    var best = 0
    for index in 1..<classes where output[row + index] > output[row + best] { best = index }
    return Int32(best)
  }

  // MARK: Running

  /// Trains from scratch, or from `checkpoint-last` when `resume` is set, and returns the history.
  /// The configuration's augmentation pipeline runs on the training split only; validation data is
  /// used as given (see `RunComponents.normalizeEvaluationSplits` for a final `normalize` step).
  ///
  /// With `train.phases`, each phase starts with a fresh optimizer and schedule, and with early
  /// stopping, plateau and stopping state reset; early stopping ends the current phase (restoring
  /// its best weights when asked) and the next phase starts at its scheduled epoch.
  public func run(data: LoadedData, resume: Bool, observer: TrainingObserver?) throws -> TrainingOutcome {
    try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
    classNames = data.train.classNames
    if let classNames {
      try writeClassNames(classNames)
    }
    let augmentation = try RunComponents.augmentationPipeline(configuration.augmentation, for: data.train)
    let monitor =
      data.validation == nil && configuration.monitor.hasPrefix("val_")
      ? String(configuration.monitor.dropFirst(4)) : configuration.monitor
    let stopping = configuration.earlyStopping
    let stoppingMonitor = stopping.map {
      data.validation == nil && $0.monitor.hasPrefix("val_") ? String($0.monitor.dropFirst(4)) : $0.monitor
    }
    var state = RunState()
    var history: [EpochRecord] = []
    if resume {
      state = try restore(from: lastCheckpointPath)
      history = try readHistory(limit: state.completedEpochs)
      observer?.note("resuming from \(lastCheckpointPath) after epoch \(state.completedEpochs)")
    }
    try writeHistory(history)

    let loader = try BatchLoader(
      dataset: data.train, batchSize: configuration.batchSize, shuffle: true,
      seed: UInt64(configuration.seed) &+ 3,
      prefetch: true, transform: augmentation?.sampleTransform)
    var evaluator = Evaluator(executor: executor, loss: loss)
    let classes = executor.outputSampleCount
    let wantsMetrics = MetricReport.needsPredictions(configuration.metrics)
    var trainLog = PredictionLog()
    var gradientBuffer = [Float](repeating: 0, count: configuration.batchSize * classes)
    var probabilityBuffer = gradientBuffer
    var parameterBuffers = trainable.map { executor.parameter($0) }
    var gradientBuffers = trainable.map { executor.gradient($0) }
    observer?.trainingStarted(
      startEpoch: state.completedEpochs, epochs: configuration.epochs, stepsPerEpoch: loader.batchesPerEpoch,
      trainSamples: data.train.count, validationSamples: data.validation?.count ?? 0)

    if !configuration.phases.isEmpty, phase(ofEpoch: state.completedEpochs) == phase {
      observer?.note(phaseDescription(from: state.completedEpochs))
    }

    var batch = Batch()
    var stoppedEarly = false
    var epoch = state.completedEpochs
    while epoch < configuration.epochs {
      let phaseIndex = phase(ofEpoch: epoch)
      if phaseIndex != phase {
        try enterPhase(phaseIndex)
        evaluator = Evaluator(executor: executor, loss: loss)
        parameterBuffers = trainable.map { executor.parameter($0) }
        gradientBuffers = trainable.map { executor.gradient($0) }
        state.resetForPhase()
        observer?.note(phaseDescription(from: epoch))
      }
      loader.startEpoch(epoch)
      if wantsMetrics { trainLog.reset(reserving: data.train.count, classes: classes) }
      var step = 0
      var lossSum = 0.0
      var correct = 0
      var seen = 0
      let learningRateAtStart = Double(
        learningRate(epoch: epoch, step: 0, stepsPerEpoch: loader.batchesPerEpoch, state: state))
      while loader.next(into: &batch) {
        let count = batch.count
        let batchLoss = try loss.forward(
          batch, on: executor, training: true, gradient: &gradientBuffer, probabilities: &probabilityBuffer)
        let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
        guard batchLoss.isFinite else {
          throw TrainError(
            "the loss became \(batchLoss) at epoch \(epoch + 1), step \(step + 1); training stopped. "
              + (FileManager.default.fileExists(atPath: lastCheckpointPath)
                ? "The last good checkpoint is \(lastCheckpointPath)."
                : "No checkpoint was written yet.")
              + " Try a smaller learning rate or gradient clipping (train.clip_norm).")
        }
        correct += trainLog.record(
          batch, output: output, probabilities: probabilityBuffer, classes: classes, loss: loss,
          keep: wantsMetrics)
        gradientBuffer.withUnsafeBufferPointer {
          executor.outputGradient.update(from: $0.baseAddress!, count: count * classes)
        }
        executor.zeroParameterGradients()
        executor.backward(batch: count)
        if let clipNorm = configuration.clipNorm {
          _ = clipGradients(gradientBuffers, maxNorm: Float(clipNorm))
        }
        let rate = learningRate(epoch: epoch, step: step, stepsPerEpoch: loader.batchesPerEpoch, state: state)
        try optimizer.step(parameters: parameterBuffers, gradients: gradientBuffers, learningRate: rate)
        lossSum += Double(batchLoss) * Double(count)
        seen += count
        step += 1
        observer?.stepFinished(
          epoch: epoch, step: step, stepsPerEpoch: loader.batchesPerEpoch, loss: lossSum / Double(seen),
          accuracy: Double(correct) / Double(seen), samples: count)
      }

      var record = EpochRecord(
        epoch: epoch + 1, learning_rate: learningRateAtStart, train_loss: lossSum / Double(max(seen, 1)),
        train_accuracy: Double(correct) / Double(max(seen, 1)), val_loss: nil, val_accuracy: nil)
      if wantsMetrics {
        record.trainMetrics = Self.epochMetrics(
          MetricReport(configuration.metrics, predictions: trainLog.predictions(classes: classes), loss: nil))
      }
      if let validation = data.validation {
        let result = try evaluator.evaluate(validation, keepPredictions: wantsMetrics)
        record.val_loss = result.loss
        record.val_accuracy = result.accuracy
        if wantsMetrics {
          record.validationMetrics = Self.epochMetrics(MetricReport(configuration.metrics, result: result))
        }
      }
      history.append(record)
      state.completedEpochs = epoch + 1

      var improved = false
      if let value = record.value(of: monitor), value.isFinite {
        let maximize = EpochRecord.isMaximized(monitor, mode: configuration.monitorMode)
        if state.bestValue == nil || (maximize ? value > state.bestValue! : value < state.bestValue!) {
          state.bestValue = value
          state.bestEpoch = epoch + 1
          improved = true
        }
      }
      updatePlateau(record, &state, hasValidation: data.validation != nil)
      if let stopping, let stoppingMonitor, let value = record.value(of: stoppingMonitor), value.isFinite {
        let maximize = stopping.maximizes
        let reference = state.stoppingBest
        if reference == nil
          || (maximize ? value > reference! + stopping.minDelta : value < reference! - stopping.minDelta)
        {
          state.stoppingBest = value
          state.stoppingBestEpoch = epoch + 1
          state.epochsWithoutImprovement = 0
          if stopping.restoreBest { try weightsCheckpoint().write(to: stoppingBestPath) }
        } else {
          state.epochsWithoutImprovement += 1
        }
      }
      try appendHistory(record)
      var stopsPhase = false
      if let stopping, state.epochsWithoutImprovement > stopping.patience {
        observer?.note(
          "early stopping: \(stoppingMonitor ?? monitor) did not improve for \(state.epochsWithoutImprovement) epochs"
        )
        if stopping.restoreBest, let best = state.stoppingBestEpoch,
          FileManager.default.fileExists(atPath: stoppingBestPath)
        {
          _ = try restore(from: stoppingBestPath, weightsOnly: true)
          observer?.note("restored the weights of epoch \(best) (best \(stoppingMonitor ?? monitor))")
        }
        stopsPhase = true
        if phase + 1 < configuration.phases.count, phaseStart(phase + 1) < configuration.epochs {
          state.completedEpochs = phaseStart(phase + 1)
          observer?.note(
            "phase \(phase + 1) ends early; the next phase starts at epoch \(state.completedEpochs + 1)")
        } else {
          stoppedEarly = true
        }
      }
      try checkpoint(state).write(to: lastCheckpointPath)
      if improved { try checkpoint(state).write(to: bestCheckpointPath) }
      observer?.epochFinished(record, improved: improved, monitor: monitor)
      if stoppedEarly { break }
      epoch = stopsPhase ? state.completedEpochs : epoch + 1
    }
    loader.cancel()
    return TrainingOutcome(
      history: history, stoppedEarly: stoppedEarly, bestEpoch: state.bestEpoch, bestValue: state.bestValue,
      lastCheckpoint: lastCheckpointPath, bestCheckpoint: bestCheckpointPath)
  }

  /// "phase 2 of 3 from epoch 21: 105541 trainable parameters (4 layers)", for the current phase.
  func phaseDescription(from epoch: Int) -> String {
    let layers = Set(
      trainable.map { $0.info.name[..<($0.info.name.lastIndex(of: ".") ?? $0.info.name.endIndex)] })
    return "phase \(phase + 1) of \(configuration.phases.count) from epoch \(epoch + 1): "
      + "\(trainable.reduce(0) { $0 + $1.info.count }) trainable parameters (\(layers.count) layers)"
  }

  /// Early stopping's best weights so far (written only when `restore_best` is set).
  public var stoppingBestPath: String { runDirectory + "/checkpoint-stopping-best.safetensors" }

  /// The parameters alone, as a checkpoint.
  func weightsCheckpoint() -> Checkpoint {
    var parameters: [String: Checkpoint.Parameter] = [:]
    for slot in executor.parameterLayout {
      parameters[slot.info.name] = Checkpoint.Parameter(
        shape: slot.info.shape, values: Array(executor.parameter(slot)))
    }
    return Checkpoint(parameters: parameters, metadata: ["spec_hash": specHash])
  }

  /// A report's values besides loss and accuracy (the record holds those already).
  static func epochMetrics(_ report: MetricReport) -> [String: Double] {
    Dictionary(
      report.values.filter { $0.key != "loss" && $0.key != "accuracy" }.map { ($0.key, $0.value) },
      uniquingKeysWith: { first, _ in first })
  }

  /// What must survive an interruption besides weights and optimizer state.
  struct RunState {
    var completedEpochs = 0
    var bestValue: Double?
    var bestEpoch: Int?
    var stoppingBest: Double?
    var stoppingBestEpoch: Int?
    var epochsWithoutImprovement = 0
    /// Reduce-on-plateau: the factor applied so far, the best monitored value and the epochs since.
    var plateauScale = 1.0
    var plateauBest: Double?
    var plateauEpochs = 0

    /// A new phase starts with its own learning rate: early stopping and the plateau start over.
    mutating func resetForPhase() {
      stoppingBest = nil
      stoppingBestEpoch = nil
      epochsWithoutImprovement = 0
      plateauScale = 1
      plateauBest = nil
      plateauEpochs = 0
    }
  }

  /// The scheduled rate, times what reduce-on-plateau has taken off (never below its `min_lr`).
  func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int, state: RunState) -> Float {
    // Each phase runs its schedule from its own first epoch.
    let scheduled = schedule.learningRate(
      epoch: epoch - phaseStart(phase), step: step, stepsPerEpoch: stepsPerEpoch)
    guard configuration.schedule.name == "plateau" else { return scheduled }
    return Float(max(Double(scheduled) * state.plateauScale, configuration.schedule.minimumLearningRate))
  }

  /// Reduce-on-plateau: after `patience` epochs without improvement of the monitored metric, the
  /// learning rate is multiplied by `factor`.
  func updatePlateau(_ record: EpochRecord, _ state: inout RunState, hasValidation: Bool) {
    let settings = configuration.schedule
    guard settings.name == "plateau" else { return }
    let metric =
      !hasValidation && settings.monitor.hasPrefix("val_")
      ? String(settings.monitor.dropFirst(4)) : settings.monitor
    guard let value = record.value(of: metric), value.isFinite else { return }
    let maximize = EpochRecord.isMaximized(metric)
    if let best = state.plateauBest, maximize ? value <= best : value >= best {
      state.plateauEpochs += 1
      if state.plateauEpochs > settings.patience {
        state.plateauScale *= settings.factor
        state.plateauEpochs = 0
      }
    } else {
      state.plateauBest = value
      state.plateauEpochs = 0
    }
  }

  // MARK: Checkpoints and history

  func checkpoint(_ state: RunState) -> Checkpoint {
    var parameters: [String: Checkpoint.Parameter] = [:]
    for slot in executor.parameterLayout {
      parameters[slot.info.name] = Checkpoint.Parameter(
        shape: slot.info.shape, values: Array(executor.parameter(slot)))
    }
    var metadata = ["spec_hash": specHash, "seed": String(configuration.seed)]
    if let value = state.bestValue { metadata["best_value"] = String(value) }
    if let epoch = state.bestEpoch { metadata["best_epoch"] = String(epoch) }
    if let value = state.stoppingBest { metadata["stopping_best"] = String(value) }
    if let epoch = state.stoppingBestEpoch { metadata["stopping_best_epoch"] = String(epoch) }
    metadata["epochs_without_improvement"] = String(state.epochsWithoutImprovement)
    metadata["plateau_scale"] = String(state.plateauScale)
    metadata["plateau_epochs"] = String(state.plateauEpochs)
    if let value = state.plateauBest { metadata["plateau_best"] = String(value) }
    if let classNames { metadata["classes"] = Self.classNamesJSON(classNames) }
    return Checkpoint(
      parameters: parameters, optimizerState: optimizer.stateTensors(),
      optimizerStepCount: optimizer.stepCount,
      epoch: state.completedEpochs, randomState: executor.generator.stateWords, metadata: metadata)
  }

  /// Loads a checkpoint into the executor (and, unless `weightsOnly`, the optimizer and generator).
  @discardableResult
  func restore(from path: String, weightsOnly: Bool = false) throws -> RunState {
    let checkpoint = try Checkpoint.read(from: path)
    if !weightsOnly, let hash = checkpoint.metadata["spec_hash"], hash != specHash {
      throw TrainError(
        "\(path): the checkpoint was written for a different model (spec hash \(hash), this model \(specHash))"
      )
    }
    if !weightsOnly {
      // The optimizer state belongs to the phase of the last completed epoch.
      try enterPhase(phase(ofEpoch: max(checkpoint.epoch - 1, 0)))
    }
    try Self.load(checkpoint, into: executor, path: path)
    guard !weightsOnly else { return RunState() }
    try optimizer.restore(state: checkpoint.optimizerState, parameterSizes: trainable.map(\.info.count))
    optimizer.stepCount = checkpoint.optimizerStepCount
    if let words = checkpoint.randomState {
      guard let generator = RandomGenerator(state: words) else {
        throw TrainError("\(path): the saved random generator state is invalid")
      }
      executor.generator = generator
    }
    var state = RunState()
    state.completedEpochs = checkpoint.epoch
    state.bestValue = checkpoint.metadata["best_value"].flatMap(Double.init)
    state.bestEpoch = checkpoint.metadata["best_epoch"].flatMap(Int.init)
    state.stoppingBest = checkpoint.metadata["stopping_best"].flatMap(Double.init)
    state.stoppingBestEpoch = checkpoint.metadata["stopping_best_epoch"].flatMap(Int.init)
    state.epochsWithoutImprovement = checkpoint.metadata["epochs_without_improvement"].flatMap(Int.init) ?? 0
    state.plateauScale = checkpoint.metadata["plateau_scale"].flatMap(Double.init) ?? 1
    state.plateauEpochs = checkpoint.metadata["plateau_epochs"].flatMap(Int.init) ?? 0
    state.plateauBest = checkpoint.metadata["plateau_best"].flatMap(Double.init)
    return state
  }

  /// Copies a checkpoint's tensors into an executor, naming any tensor that is missing or misshapen.
  public static func load(_ checkpoint: Checkpoint, into executor: Executor, path: String) throws {
    for slot in executor.parameterLayout {
      guard let saved = checkpoint.parameters[slot.info.name] else {
        throw TrainError("\(path): the checkpoint has no tensor '\(slot.info.name)' \(slot.info.shape)")
      }
      guard saved.shape == slot.info.shape, saved.values.count == slot.info.count else {
        throw TrainError(
          "\(path): tensor '\(slot.info.name)' has shape \(saved.shape) but the model needs \(slot.info.shape)"
        )
      }
      let buffer = executor.parameter(slot)
      saved.values.withUnsafeBufferPointer {
        buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
      }
    }
  }

  /// Refuses a checkpoint whose recorded class names differ from the data's (an image folder whose
  /// classes changed would silently swap labels).
  public static func checkClassNames(_ checkpoint: Checkpoint, against dataset: Dataset, path: String)
    throws
  {
    guard let saved = checkpoint.metadata["classes"], let names = dataset.classNames else { return }
    let current = classNamesJSON(names)
    guard saved == current else {
      throw TrainError(
        "\(path): the checkpoint was trained on the classes \(saved), but \(dataset.source) has \(current)")
    }
  }

  /// Class names as a JSON array, index i naming class i.
  static func classNamesJSON(_ names: [String]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(names), as: UTF8.self)) ?? "[]"
  }

  func writeClassNames(_ names: [String]) throws {
    try (Self.classNamesJSON(names) + "\n").write(toFile: classesPath, atomically: true, encoding: .utf8)
  }

  func readHistory(limit: Int) throws -> [EpochRecord] {
    guard let data = FileManager.default.contents(atPath: historyPath) else { return [] }
    let decoder = JSONDecoder()
    var records: [EpochRecord] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where records.count < limit {
      records.append(try decoder.decode(EpochRecord.self, from: Data(line.utf8)))
    }
    return records
  }

  static func encode(_ record: EpochRecord) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(record), as: UTF8.self)
  }

  func writeHistory(_ records: [EpochRecord]) throws {
    let text = try records.map { try Self.encode($0) + "\n" }.joined()
    try text.write(toFile: historyPath, atomically: true, encoding: .utf8)
  }

  func appendHistory(_ record: EpochRecord) throws {
    guard let handle = FileHandle(forWritingAtPath: historyPath) else {
      throw TrainError("cannot open \(historyPath) for writing")
    }
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data((try Self.encode(record) + "\n").utf8))
  }
}
