import Foundation
import NNCData
import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec

/// How a training run ended.
public struct TrainingOutcome: Sendable {
  public var history: [EpochRecord]
  public var stoppedEarly: Bool
  /// The metric `checkpoint-best` is chosen by (`train.monitor`, as read without validation data).
  public var monitor: String
  /// The epoch whose weights `checkpoint-best` holds, and its monitored value.
  public var bestEpoch: Int?
  public var bestValue: Double?
  /// The epoch whose weights early stopping restored (by its own monitor), if it restored any.
  public var restoredEpoch: Int?
  public var lastCheckpoint: String
  public var bestCheckpoint: String
}

/// Trains a graph: batches from the data pipeline through the `TrainingStep`; per epoch validation,
/// history, checkpoints (last and best), early stopping and a stop on a non-finite loss that keeps
/// the last good checkpoint.
public final class Trainer {
  public let graph: Graph
  public let configuration: TrainingConfiguration
  public let runDirectory: String
  public let specHash: String
  public let plan: PhasePlan
  /// The current phase's step; a phase that changes which layers train gets a new executor.
  var step: TrainingStep
  /// Runs the current phase's graph.
  public var executor: Executor { step.executor }
  var loss: LossFunction { step.loss }
  var schedule: LearningRateSchedule
  /// The phase the step and schedule are set up for (0 without `train.phases`).
  public private(set) var phase = 0
  let optimization: OptimizationOptions
  let files: RunFiles

  public var lastCheckpointPath: String { runDirectory + "/checkpoint-last.safetensors" }
  public var bestCheckpointPath: String { runDirectory + "/checkpoint-best.safetensors" }
  /// Early stopping's best weights so far (written only when `restore_best` is set).
  public var stoppingBestPath: String { runDirectory + "/checkpoint-stopping-best.safetensors" }
  public var historyPath: String { files.historyPath }
  /// The class names of image-folder data, by index (written when the data names its classes).
  public var classesPath: String { files.classesPath }
  /// Recorded in checkpoints so a model's outputs can be named.
  var classNames: [String]?
  /// `data.normalize_targets`: recorded in checkpoints so evaluation and prediction undo it.
  var targetNormalization: TargetNormalization?
  /// Whether `--resume` may continue with settings that differ from the checkpoint's (`--force`).
  public var acceptsChangedSettings = false
  /// The run's settings, recorded in checkpoints and compared on resume.
  var settings = RunSettings(values: [:])
  /// Logs that receive every completed epoch (`--tensorboard`).
  public var logSinks: [any TrainingLogSink] = []
  /// The ranks of a data-parallel run (see `GradientAverager`); one process by default. Every rank
  /// runs the same epochs and decisions; only rank 0 writes the run's files.
  public let communicator: any Communicator
  /// The all-reduce bucket size of a data-parallel run (`train.allreduce_bucket_mb`).
  let bucketBytes: Int

  /// `optimization` selects the graph passes and memory planning of the executor (all by default).
  public init(
    graph: Graph, configuration: TrainingConfiguration, runDirectory: String, specHash: String,
    optimization: OptimizationOptions = .all, communicator: any Communicator = SingleProcess()
  ) throws {
    self.graph = graph
    self.communicator = communicator
    bucketBytes = Int(configuration.allreduceBucketMB * 1_048_576)
    self.configuration = configuration
    self.runDirectory = runDirectory
    self.specHash = specHash
    files = RunFiles(directory: runDirectory)
    plan = PhasePlan(graph: graph, configuration: configuration)
    let seed = UInt64(configuration.seed)
    var optimization = optimization
    optimization.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    self.optimization = optimization
    let executor = Executor(
      graph: plan.phases[0].graph, maxBatch: configuration.batchSize, seed: seed,
      configuration: ExecutionConfiguration(mode: .training, optimization: optimization))
    executor.generator = RandomGenerator(seed: seed).derived(4)
    step = try TrainingStep(executor: executor, configuration: configuration, phase: 0)
    schedule = try Self.schedule(phase: 0, configuration: configuration)
    try ModelWeights.initialize(executor, seed: seed)
    if let settings = configuration.initialization {
      transferReport = try WeightImport.apply(settings, to: executor)
    }
    if communicator.isDistributed {
      overlapsAllreduce = try configuration.allreduceOverlap ?? communicator.ranksSpanMachines()
      connectRanks(to: &step)
      // Rank 0's weights are the run's, whatever the other ranks initialized.
      try communicator.broadcast(executor.parameters)
    }
  }

  public private(set) var transferReport: TransferReport?

  /// The phase's schedule, which runs over the phase's epochs: each phase restarts it at its own
  /// learning rate.
  static func schedule(phase: Int, configuration: TrainingConfiguration) throws -> LearningRateSchedule {
    var phaseConfiguration = configuration
    phaseConfiguration.optimizer = PhasePlan.optimizerSettings(phase: phase, configuration)
    if configuration.phases.indices.contains(phase) {
      phaseConfiguration.epochs = configuration.phases[phase].epochs
    }
    let schedule = RunComponents.schedule(phaseConfiguration)
    try schedule.validate()
    return schedule
  }

  /// Switches to a phase: a new executor for the phase's graph (its frozen parameters have no
  /// gradient buffers; parameters and random state carried over), a fresh optimizer and schedule.
  func enterPhase(_ index: Int) throws {
    guard index != phase else { return }
    let next = Executor(
      graph: plan.phases[index].graph, maxBatch: configuration.batchSize, seed: UInt64(configuration.seed),
      configuration: ExecutionConfiguration(mode: .training, optimization: optimization))
    next.parameters.baseAddress!.update(
      from: executor.parameters.baseAddress!, count: executor.parameterCount)
    next.generator = executor.generator
    step = try TrainingStep(executor: next, configuration: configuration, phase: index)
    if communicator.isDistributed { connectRanks(to: &step) }
    schedule = try Self.schedule(phase: index, configuration: configuration)
    phase = index
  }

  // MARK: Running

  /// `data.cache: disk`: the training and validation folders keep their decoded samples in
  /// `image-cache-train.bin` and `image-cache-val.bin` of the run directory.
  func useDiskCaches(_ data: LoadedData) throws {
    let splits: [(Dataset?, String)] = [(data.train, "train"), (data.validation, "val")]
    for (split, name) in splits {
      guard let split, case .images(let index) = split.storage else { continue }
      do {
        try index.useDiskCache(at: runDirectory + "/image-cache-\(name).bin")
      } catch let error as DataError {
        throw TrainError(error.description)
      }
    }
  }

  /// Trains from scratch, or from `checkpoint-last` when `resume` is set, and returns the history.
  /// The configuration's augmentation pipeline runs on the training split only; validation data is
  /// used as given (see `RunComponents.normalizeEvaluationSplits` for a final `normalize` step).
  ///
  /// With `train.phases`, each phase starts with a fresh optimizer and schedule, and with early
  /// stopping, plateau and stopping state reset; early stopping ends the current phase (restoring
  /// its best weights when asked) and the next phase starts at its scheduled epoch.
  public func run(data: LoadedData, resume: Bool, observer: TrainingObserver?) throws -> TrainingOutcome {
    let ranks = communicator.size
    guard configuration.batchSize % ranks == 0 else {
      throw TrainError(
        "train.batch_size \(configuration.batchSize) is the global batch and must be divisible by the "
          + "\(ranks) ranks of mpirun, so that every rank takes an equal part of it")
    }
    try checkSynchronizedBatchNorm(trainSamples: data.train.count)
    let isRoot = communicator.isRoot
    if isRoot { try files.prepareDirectory() }
    let lock = try isRoot ? RunDirectoryLock(directory: runDirectory) : nil
    defer { withExtendedLifetime(lock) {} }
    if isRoot { files.removeStaleTemporaries() }
    // The cache file lives in the run directory, which only rank 0 writes; other ranks decode.
    if isRoot, configuration.data?.cache == .disk {
      try useDiskCaches(data)
    }
    settings = RunSettings(
      configuration: configuration, trainSamples: data.train.count,
      validationSamples: data.validation?.count ?? 0)
    classNames = data.train.classNames
    targetNormalization = data.targetNormalization
    if let classNames, isRoot {
      try files.writeClassNames(classNames)
    }
    let augmentation = try RunComponents.augmentationPipeline(configuration.augmentation, for: data.train)
    let hasValidation = data.validation != nil
    let rule = PredictionRule.of(configuration, graph: graph, loss: loss)
    for split in [data.train, data.validation].compactMap({ $0 }) {
      try Evaluator.checkTargets(of: split, rule: rule, outputs: executor.outputSampleCount)
    }
    // A regression has no accuracy: the default monitor (val_accuracy) becomes its loss.
    let monitorName =
      rule == .regression && configuration.monitor.hasSuffix("accuracy") ? "val_loss" : configuration.monitor
    let monitor = RunState.metric(monitorName, hasValidation: hasValidation)
    let stoppingMonitor = configuration.earlyStopping.map {
      RunState.metric($0.monitor, hasValidation: hasValidation)
    }
    let plateauMetric = RunState.metric(configuration.schedule.monitor, hasValidation: hasValidation)
    var state = RunState(configuration: configuration, hasValidation: hasValidation)
    var history: [EpochRecord] = []
    if resume {
      state = try restore(from: lastCheckpointPath, into: state)
      // Only rank 0 reports and writes the history.
      history = isRoot ? try files.readHistory(limit: state.completedEpochs) : []
      observer?.note("resuming from \(lastCheckpointPath) after epoch \(state.completedEpochs)")
    }
    if isRoot { try files.writeHistory(history) }
    if communicator.isDistributed {
      observer?.note(
        "data-parallel on \(ranks) ranks: global batch \(configuration.batchSize), "
          + "\(configuration.batchSize / ranks) samples per rank")
    }
    defer { for sink in logSinks { sink.runFinished() } }
    for sink in logSinks { try sink.runStarted(startEpoch: state.completedEpochs, graph: graph) }

    let workers = configuration.data?.loaderWorkers ?? 1
    let skipUnreadable = configuration.data?.skipCorrupt ?? false
    let part = BatchPart(index: communicator.rank, count: ranks)
    let loader = try BatchLoader(
      dataset: data.train, batchSize: configuration.batchSize, shuffle: true,
      seed: UInt64(configuration.seed) &+ 3,
      prefetch: true, prefetchDepth: configuration.data?.prefetch ?? 2, workers: workers,
      skipUnreadable: skipUnreadable, transform: augmentation?.sampleTransform,
      part: part,
      sampleShape: augmentation.map { $0.configuration.outputShape(for: data.train.sampleShape) })
    func makeEvaluator() -> Evaluator {
      Evaluator(
        executor: executor, loss: loss, rule: rule, targetNormalization: data.targetNormalization,
        loaderWorkers: workers, skipUnreadable: skipUnreadable, communicator: communicator)
    }
    var evaluator = makeEvaluator()
    let classes = executor.outputSampleCount
    let wantsMetrics = MetricReport.needsPredictions(configuration.metrics)
    var trainLog = PredictionLog()
    observer?.trainingStarted(
      startEpoch: state.completedEpochs, epochs: configuration.epochs, stepsPerEpoch: loader.batchesPerEpoch,
      trainSamples: data.train.count, validationSamples: data.validation?.count ?? 0)

    if !configuration.phases.isEmpty, plan.phase(ofEpoch: state.completedEpochs) == phase {
      observer?.note(phaseDescription(from: state.completedEpochs))
    }

    var batch = Batch()
    var stoppedEarly = false
    var restoredEpoch: Int?
    var epoch = state.completedEpochs
    while epoch < configuration.epochs {
      let phaseIndex = plan.phase(ofEpoch: epoch)
      if phaseIndex != phase {
        try enterPhase(phaseIndex)
        evaluator = makeEvaluator()
        state.resetForPhase()
        observer?.note(phaseDescription(from: epoch))
      }
      loader.startEpoch(epoch)
      if wantsMetrics { trainLog.reset(reserving: data.train.count, classes: classes) }
      var stepIndex = 0
      var lossSum = 0.0
      var correct = 0
      var seen = 0
      let learningRateAtStart = Double(
        learningRate(epoch: epoch, step: 0, stepsPerEpoch: loader.batchesPerEpoch, state: state))
      let waitedBefore = loader.waitSeconds
      let loopStart = DispatchTime.now().uptimeNanoseconds
      while try loader.next(into: &batch) {
        let count = batch.count
        let globalCount = min(
          configuration.batchSize, data.train.count - batch.index * configuration.batchSize)
        if communicator.isDistributed {
          // Dropout draws the masks one process draws for the global batch, and keeps this part's.
          executor.dropoutWindow = DropoutWindow(
            offset: part.range(ofBatchSized: globalCount).lowerBound, total: globalCount)
        }
        // A rank's part of a last batch smaller than the number of ranks may be empty.
        var batchLoss: Float = 0
        if count == 0 {
          // Only a rank's part can be empty (one process skips a batch whose files all failed,
          // drawing nothing, as before).
          if communicator.isDistributed { executor.skipDropoutDraws(samples: globalCount) }
        } else {
          try executor.setInput(batch)
          batchLoss = try batch.withLossTargets { try step.forwardLoss(batch: count, targets: $0) }
          guard batchLoss.isFinite else {
            throw nonFinite("the loss became \(batchLoss)", at: "epoch \(epoch + 1), step \(stepIndex + 1)")
          }
          let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
          correct += trainLog.record(
            batch, output: output, probabilities: step.probabilities, classes: classes, loss: loss,
            rule: rule,
            keep: wantsMetrics)
        }
        if wantsMetrics { trainLog.endBatch() }
        let rate = learningRate(
          epoch: epoch, step: stepIndex, stepsPerEpoch: loader.batchesPerEpoch, state: state)
        guard rate.isFinite else {
          throw nonFinite("the learning rate became \(rate)", at: "epoch \(epoch + 1), step \(stepIndex + 1)")
        }
        try step.update(batch: count, learningRate: rate, share: Float(count) / Float(max(globalCount, 1)))
        lossSum += Double(batchLoss) * Double(count)
        seen += count
        stepIndex += 1
        observer?.stepFinished(
          epoch: epoch, step: stepIndex, stepsPerEpoch: loader.batchesPerEpoch, loss: lossSum / Double(seen),
          accuracy: rule.accuracy(correct: correct, seen: seen), samples: count)
        try stopIfInterrupted(during: "epoch \(epoch + 1), step \(stepIndex)", state: state)
      }
      let loopSeconds = Double(DispatchTime.now().uptimeNanoseconds - loopStart) / 1e9
      let loaderShare = (loader.waitSeconds - waitedBefore) / max(loopSeconds, 1e-9)
      if loaderShare >= LoaderShare.reportedFrom, stepIndex > 1 {
        observer?.loaderBottleneck(epoch: epoch + 1, share: loaderShare, workers: workers)
      }
      let skipped = loader.skipLog.take()
      if !skipped.isEmpty {
        observer?.note(
          "epoch \(epoch + 1): skipped \(skipped.count) unreadable file\(skipped.count == 1 ? "" : "s") "
            + "(data.skip_corrupt): " + skipped.map(\.description).joined(separator: "; "))
      }
      // The loss can stay finite while the weights already overflow.
      if let summary = weightsCheckpoint().nonFiniteSummary {
        throw nonFinite("the weights hold \(summary)", at: "the end of epoch \(epoch + 1)")
      }
      if communicator.isDistributed {
        try checkWeightsAgree(epoch: epoch)
        // The epoch's loss and accuracy are over every rank's samples.
        var totals = [lossSum, Double(seen), Double(correct)]
        try communicator.sum(&totals)
        lossSum = totals[0]
        seen = Int(totals[1])
        correct = Int(totals[2])
      }

      var record = EpochRecord(
        epoch: epoch + 1, learning_rate: learningRateAtStart, train_loss: lossSum / Double(max(seen, 1)),
        train_accuracy: rule.accuracy(correct: correct, seen: seen), val_loss: nil, val_accuracy: nil)
      if wantsMetrics {
        if communicator.isDistributed {
          // Every rank's predictions, in the order one process makes them.
          trainLog = try PredictionLog.interleavingBatches(
            of: communicator.allGather(bytes: trainLog.encoded()).map(PredictionLog.init(encoded:)))
        }
        record.trainMetrics = Self.epochMetrics(trainMetricValues(trainLog, rule: rule))
      }
      if let validation = data.validation {
        let result = try evaluator.evaluate(validation, keepPredictions: wantsMetrics)
        let skippedValidation = evaluator.skipLog.take()
        if !skippedValidation.isEmpty {
          observer?.note(
            "validation of epoch \(epoch + 1): skipped \(skippedValidation.count) unreadable file"
              + "\(skippedValidation.count == 1 ? "" : "s") (data.skip_corrupt): "
              + skippedValidation.map(\.description).joined(separator: "; "))
        }
        // An interrupted validation is abandoned with its epoch.
        try stopIfInterrupted(during: "the validation of epoch \(epoch + 1)", state: state)
        guard result.loss.isFinite else {
          throw nonFinite("the validation loss became \(result.loss)", at: "epoch \(epoch + 1)")
        }
        record.val_loss = result.loss
        record.val_accuracy = result.accuracy
        if wantsMetrics {
          record.validationMetrics = Self.epochMetrics(
            rule.decidesClasses
              ? MetricReport(configuration.metrics, result: result).values
              : TargetMetricReport(configuration.metrics, result: result).values)
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
      _ = state.plateau?.update(record.value(of: plateauMetric))
      let stoppingValue = stoppingMonitor.flatMap { record.value(of: $0) }
      let stopping = state.stopping?.update(stoppingValue, epoch: epoch + 1)
      if stopping == .improved, configuration.earlyStopping?.restoreBest == true, isRoot {
        try write(weightsCheckpoint(), to: stoppingBestPath)
      }
      if isRoot { try files.appendHistory(record) }
      for sink in logSinks {
        try sink.epochFinished(record, parameters: sink.wantsParameters ? parameterSnapshots() : [])
      }
      // checkpoint-best holds this epoch's own weights: taken before early stopping may restore others,
      // written after checkpoint-last (see below).
      let best = improved ? checkpoint(state) : nil
      observer?.epochFinished(record, improved: improved, monitor: monitor)
      var stopsPhase = false
      if stopping == .stop, let settings = configuration.earlyStopping, let monitorState = state.stopping {
        let epochs = monitorState.epochsWithoutImprovement
        observer?.note(
          "early stopping: \(stoppingMonitor ?? monitor) did not improve for \(epochs) epoch\(epochs == 1 ? "" : "s")"
        )
        if settings.restoreBest, let best = monitorState.bestEpoch, try sharedFileExists(stoppingBestPath) {
          if isRoot { try restoreWeights(from: stoppingBestPath) }
          try communicator.broadcast(executor.parameters)
          restoredEpoch = best
          observer?.note("restored the weights of epoch \(best) (best \(stoppingMonitor ?? monitor))")
        }
        stopsPhase = true
        if phase + 1 < configuration.phases.count, plan.start(of: phase + 1) < configuration.epochs {
          state.completedEpochs = plan.start(of: phase + 1)
          observer?.note(
            "phase \(phase + 1) ends early; the next phase starts at epoch \(state.completedEpochs + 1)")
        } else {
          stoppedEarly = true
        }
      }
      // Last, then best: a kill between the two renames is repaired on resume (`reconcileBest`).
      if isRoot {
        try write(checkpoint(state), to: lastCheckpointPath)
        if let best { try write(best, to: bestCheckpointPath) }
      }
      if stoppedEarly { break }
      epoch = stopsPhase ? state.completedEpochs : epoch + 1
    }
    loader.cancel()
    return TrainingOutcome(
      history: history, stoppedEarly: stoppedEarly, monitor: monitor, bestEpoch: state.bestEpoch,
      bestValue: state.bestValue, restoredEpoch: restoredEpoch, lastCheckpoint: lastCheckpointPath,
      bestCheckpoint: bestCheckpointPath)
  }

  /// "phase 2 of 3 from epoch 21: 105541 trainable parameters (4 layers)", for the current phase.
  func phaseDescription(from epoch: Int) -> String {
    let trainable = step.trainable
    let layers = Set(
      trainable.map { $0.info.name[..<($0.info.name.lastIndex(of: ".") ?? $0.info.name.endIndex)] })
    return "phase \(phase + 1) of \(configuration.phases.count) from epoch \(epoch + 1): "
      + "\(trainable.reduce(0) { $0 + $1.info.count }) trainable parameters (\(layers.count) layer\(layers.count == 1 ? "" : "s"))"
  }

  /// A report's values besides loss and accuracy (the record holds those already).
  static func epochMetrics(_ values: [(key: String, value: Double)]) -> [String: Double] {
    Dictionary(
      values.filter { $0.key != "loss" && $0.key != "accuracy" }.map { ($0.key, $0.value) },
      uniquingKeysWith: { first, _ in first })
  }

  /// The spec's metrics on an epoch's training predictions, by the task.
  func trainMetricValues(_ log: PredictionLog, rule: PredictionRule) -> [(key: String, value: Double)] {
    let classes = executor.outputSampleCount
    guard !rule.decidesClasses else {
      return MetricReport(configuration.metrics, predictions: log.predictions(classes: classes), loss: nil)
        .values
    }
    let (targets, outputs) = log.targetsAndOutputs(undoing: targetNormalization, rule: rule)
    return TargetMetricReport(
      configuration.metrics, targets: targets, outputs: outputs, width: classes, rule: rule, loss: nil
    ).values
  }

  /// The scheduled rate, times what reduce-on-plateau has taken off (never below its `min_lr`).
  func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int, state: RunState) -> Float {
    // Each phase runs its schedule from its own first epoch.
    let scheduled = schedule.learningRate(
      epoch: epoch - plan.start(of: phase), step: step, stepsPerEpoch: stepsPerEpoch)
    return state.plateau?.learningRate(scheduled: scheduled) ?? scheduled
  }

  /// The documented stop on a non-finite value; the checkpoints on disk are all finite, since none
  /// is written with a non-finite value.
  func nonFinite(_ what: String, at place: String) -> TrainError {
    TrainError(
      "\(what) at \(place); training stopped. "
        + (FileManager.default.fileExists(atPath: lastCheckpointPath)
          ? "The last good checkpoint is \(lastCheckpointPath)."
          : "No checkpoint was written yet.")
        + " Try a smaller learning rate or gradient clipping (train.clip_norm).")
  }

  /// Ends the run at a step boundary once SIGINT or SIGTERM arrived: the unfinished epoch is
  /// abandoned, and `checkpoint-last` keeps the last completed one, from which `--resume` replays
  /// the abandoned epoch exactly.
  func stopIfInterrupted(during place: String, state: RunState) throws {
    var signal = Interruption.signal
    if communicator.isDistributed {
      // Every rank stops at the same step, or the others would wait for it in the next all-reduce.
      var signals = [Double(signal)]
      try communicator.sum(&signals)
      signal = signal != 0 ? signal : signals[0] == 0 ? 0 : SIGINT
    }
    guard signal != 0 else { return }
    let name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)"
    let kept =
      state.completedEpochs > 0 && FileManager.default.fileExists(atPath: lastCheckpointPath)
      ? "\(lastCheckpointPath) holds epoch \(state.completedEpochs); continue with --resume."
      : "no epoch was completed, so there is nothing to resume."
    throw TrainingInterrupted(
      signal: signal, message: "interrupted by \(name) during \(place); that epoch was abandoned. " + kept)
  }

  // MARK: Data-parallel runs

  /// Whether the all-reduces start under backward: `train.allreduce_overlap`, or, unset, whether the ranks run on
  /// several machines.
  private var overlapsAllreduce = false

  /// Averages the step's gradients over the ranks and, with `train.sync_batchnorm`, makes its
  /// batchnorms normalize with the global batch's statistics.
  func connectRanks(to step: inout TrainingStep) {
    step.averager = GradientAverager(
      communicator: communicator, bucketBytes: bucketBytes, executor: step.executor,
      overlapsBackward: overlapsAllreduce)
    if configuration.syncBatchNorm {
      step.executor.batchStatisticsReduction = communicator.batchStatisticsReduction()
    }
  }

  /// Refuses a synchronized batchnorm run in which a rank could have no samples in a step: it
  /// would skip the forward pass and leave the others waiting in its reductions.
  func checkSynchronizedBatchNorm(trainSamples: Int) throws {
    guard communicator.isDistributed, configuration.syncBatchNorm else { return }
    let ranks = communicator.size
    let last = trainSamples % configuration.batchSize
    if last > 0, last < ranks {
      throw TrainError(
        "train.sync_batchnorm: the last batch of each epoch has \(last) sample\(last == 1 ? "" : "s"), fewer "
          + "than the \(ranks) ranks, so a rank would have none; choose a train.batch_size that leaves at "
          + "least \(ranks) samples in the last batch (the training split has \(trainSamples))")
    }
    if configuration.data?.skipCorrupt == true {
      throw TrainError(
        "train.sync_batchnorm cannot be combined with data.skip_corrupt under mpirun: a step whose files "
          + "were all skipped on one rank would leave the others waiting in its reductions")
    }
  }

  /// Stops the run when the ranks' weights differ at the end of an epoch (they must stay the same
  /// bits: the same averaged gradients and the same optimizer step everywhere).
  func checkWeightsAgree(epoch: Int) throws {
    let hash = ModelWeights.hash(of: executor)
    guard try communicator.allEqual(hash) else {
      throw TrainError(
        "the weights of the \(communicator.size) ranks differ at the end of epoch \(epoch + 1) "
          + "(rank \(communicator.rank) hash \(String(hash, radix: 16))); the data-parallel run is stopped")
    }
  }

  /// Whether rank 0 sees the file, on every rank (the run directory may be local to rank 0).
  func sharedFileExists(_ path: String) throws -> Bool {
    var exists = [communicator.isRoot && FileManager.default.fileExists(atPath: path) ? 1.0 : 0]
    try communicator.sum(&exists)
    return exists[0] > 0
  }

  // MARK: Checkpoints

  /// Writes a checkpoint that holds numbers only; a non-finite one is never written.
  func write(_ checkpoint: Checkpoint, to path: String) throws {
    if let summary = checkpoint.nonFiniteSummary {
      throw nonFinite("the checkpoint for \(path) would hold \(summary)", at: "epoch \(checkpoint.epoch)")
    }
    try checkpoint.write(to: path)
  }

  /// Repairs a kill between the renames of `checkpoint-last` and `checkpoint-best` in the epoch that
  /// improved: then `checkpoint-last` names a best epoch that `checkpoint-best` does not hold, and
  /// since both were written from the same state, `checkpoint-last` is what `checkpoint-best` should
  /// be. In any other epoch the best checkpoint was already complete. Returns whether it repaired.
  @discardableResult
  static func reconcileBest(last: Checkpoint, bestPath: String) throws -> Bool {
    guard let bestEpoch = last.metadata["best_epoch"] else { return false }
    let best = try? Checkpoint.read(from: bestPath)
    guard best?.metadata["best_epoch"] != bestEpoch else { return false }
    try last.write(to: bestPath)
    return true
  }

  /// Every parameter with the gradient of the last step, in the executor's layout order.
  func parameterSnapshots() -> [ParameterSnapshot] {
    executor.parameterLayout.map { slot in
      ParameterSnapshot(
        name: slot.info.name, values: Array(executor.parameter(slot)),
        gradient: slot.gradientOffset == nil ? nil : Array(executor.gradient(slot)))
    }
  }

  /// The parameters alone, as a checkpoint.
  func weightsCheckpoint() -> Checkpoint {
    Checkpoint(
      parameters: ModelWeights.parameters(of: executor),
      metadata: ["spec_hash": specHash, Checkpoint.versionKey: NNCVersion.current])
  }

  func checkpoint(_ state: RunState) -> Checkpoint {
    var metadata = state.metadata
    metadata["spec_hash"] = specHash
    metadata[RunSettings.metadataKey] = settings.encoded
    metadata["seed"] = String(configuration.seed)
    metadata[Checkpoint.versionKey] = NNCVersion.current
    if let classNames { metadata["classes"] = RunFiles.classNamesJSON(classNames) }
    if let targetNormalization {
      metadata[TargetNormalization.metadataKey] = targetNormalization.metadataJSON
    }
    return Checkpoint(
      parameters: ModelWeights.parameters(of: executor), optimizerState: step.optimizer.stateTensors(),
      optimizerStepCount: step.optimizer.stepCount,
      epoch: state.completedEpochs, randomState: executor.generator.stateWords, metadata: metadata)
  }

  /// Loads a checkpoint's weights alone into the executor.
  func restoreWeights(from path: String) throws {
    try ModelWeights.load(try Checkpoint.read(from: path), into: executor, path: path)
  }

  /// Loads a checkpoint into the executor, the optimizer and the generator, and returns the run
  /// state it records (`state` supplies the monitors' settings).
  func restore(from path: String, into state: RunState) throws -> RunState {
    // Rank 0 reads the file; every rank parses the same bytes.
    let bytes = try communicator.broadcast(
      bytes: communicator.isRoot ? SafeTensorsFile.read(from: path).serialized() : [])
    let checkpoint = try Checkpoint(file: SafeTensorsFile.parse(bytes, file: path), path: path)
    if let hash = checkpoint.metadata["spec_hash"], hash != specHash {
      throw TrainError(
        "\(path): the checkpoint was written for a different model (spec hash \(hash), this model \(specHash))"
      )
    }
    if let saved = checkpoint.metadata[RunSettings.metadataKey].flatMap(RunSettings.init(encoded:)) {
      let changes = settings.changes(since: saved)
      if !changes.isEmpty, !acceptsChangedSettings {
        throw TrainError(
          "\(path): the run's settings changed since the checkpoint was written:\n  "
            + changes.joined(separator: "\n  ")
            + "\nResume with the same settings, or pass --force to continue with the changed ones.")
      }
    }
    if communicator.isRoot { try Self.reconcileBest(last: checkpoint, bestPath: bestCheckpointPath) }
    // The optimizer state belongs to the phase of the last completed epoch.
    try enterPhase(plan.phase(ofEpoch: max(checkpoint.epoch - 1, 0)))
    try ModelWeights.load(checkpoint, into: executor, path: path)
    try step.optimizer.restore(
      state: checkpoint.optimizerState, parameterSizes: step.trainable.map(\.info.count))
    step.optimizer.stepCount = checkpoint.optimizerStepCount
    if let words = checkpoint.randomState {
      guard let generator = RandomGenerator(state: words) else {
        throw TrainError("\(path): the saved random generator state is invalid")
      }
      executor.generator = generator
    }
    var state = state
    state.restore(metadata: checkpoint.metadata, completedEpochs: checkpoint.epoch)
    return state
  }
}
