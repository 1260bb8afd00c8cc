import NNCData
import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec

/// Readies a run's data for its model: loads it as training does, and checks that it fits the
/// model and the metrics. Every problem is a `TrainError` (or a `DataError` from loading).
public enum RunPreparation {
  /// Loads the data sets, seeded from `train.seed`, with the augment section's final `normalize`
  /// applied to the evaluation splits.
  public static func loadData(
    _ settings: TrainingConfiguration.DataSettings, configuration: TrainingConfiguration, graph: Graph
  ) throws -> LoadedData {
    var generator = RandomGenerator(seed: UInt64(configuration.seed)).derived(2)
    var data = try RunComponents.loadData(
      settings, inputShape: graph.inputShape.sample,
      task: PredictionRule.task(of: configuration, graph: graph),
      using: &generator)
    try RunComponents.normalizeEvaluationSplits(configuration.augmentation, &data)
    try RunComponents.cropCenters(settings.centerCrop, augmentation: configuration.augmentation, &data)
    return data
  }

  /// Checks the data against the model (sample size, classes against output units) and the
  /// metrics (`positive_class`), and returns the configuration as the run uses it: `gd` is
  /// gradient descent proper, every step sees the whole training set. `specPath` names the spec in
  /// messages.
  public static func check(
    _ data: LoadedData, graph: Graph, configuration: TrainingConfiguration, specPath: String
  ) throws -> TrainingConfiguration {
    let inputCount = graph.inputShape.sampleCount
    // Training samples as the model sees them: after the augment section's sized crop, if any.
    let sampleShape =
      configuration.augmentation?.outputShape(for: data.train.sampleShape) ?? data.train.sampleShape
    let sampleSize = sampleShape.reduce(1, *)
    guard sampleSize == inputCount else {
      let cropped = sampleShape != data.train.sampleShape ? " after random_crop" : ""
      throw TrainError(
        "\(data.train.source): samples have shape \(sampleShape)\(cropped) (\(sampleSize) values) but the model "
          + "input \(graph.inputShape) needs \(inputCount) values per sample")
    }
    for case let split? in [data.validation, data.test] where split.sampleSize != inputCount {
      throw TrainError(
        "\(split.source): samples have shape \(split.sampleShape) (\(split.sampleSize) values) but the model "
          + "input \(graph.inputShape) needs \(inputCount) values per sample"
          + (split.sampleShape.count == 3
            ? "; data.center_crop crops evaluation samples to the input's size" : ""))
    }
    let outputs = graph.outputShape.sampleCount
    let classes = data.train.classes
    let task = PredictionRule.task(of: configuration, graph: graph)
    if let targets = data.train.targets {
      guard targets.width == outputs else {
        let what = targets.kind == .multiHot ? "labels" : "targets"
        throw TrainError(
          "\(data.train.source): the data has \(targets.width) \(what) per sample but the model outputs "
            + "\(outputs) unit\(outputs == 1 ? "" : "s"); change the last layer")
      }
      return preparedConfiguration(configuration, data: data)
    }
    if task == .classification || task == .binary, configuration.loss.kind != .mse, outputs != classes,
      !(outputs == 1 && classes <= 2)
    {
      throw TrainError(
        "\(data.train.source): the data has \(classes) class\(classes == 1 ? "" : "es") but the model outputs "
          + "\(outputs) unit\(outputs == 1 ? "" : "s"); "
          + "set data.classes or change the last layer")
    }
    if let positive = MetricReport.positiveClass(configuration.metrics), positive >= max(classes, 2) {
      throw TrainError(
        "\(specPath): positive_class \(positive) is not one of the data's \(classes) classes "
          + "(0...\(max(classes, 2) - 1))")
    }
    return preparedConfiguration(configuration, data: data)
  }

  /// `gd` is gradient descent proper: every step sees the whole training set.
  static func preparedConfiguration(_ configuration: TrainingConfiguration, data: LoadedData)
    -> TrainingConfiguration
  {
    var configuration = configuration
    if configuration.optimizer.kind == .gd {
      configuration.batchSize = data.train.count
    }
    return configuration
  }

  /// The training split as evaluation sees it: cropped at the centre (`data.center_crop`) and with
  /// the augment section's final `normalize` (the other splits get both when loaded; training
  /// applies them after augmenting).
  public static func evaluationTrainingSplit(_ data: LoadedData, configuration: TrainingConfiguration) throws
    -> Dataset
  {
    var train = data.train
    do {
      // An augmented training split keeps its size for the random crop; evaluation takes the centre.
      if let size = configuration.data?.centerCrop { try train.cropCenter(size) }
      guard let normalization = configuration.augmentation?.normalization else { return train }
      try train.normalize(normalization)
    } catch let error as DataError {
      throw TrainError("\(error)")
    }
    return train
  }
}

extension RunPreparation {
  /// What a run needs in memory, from the plans alone (nothing is allocated): in training, the
  /// executor and optimizer state of its largest phase at `train.batch_size`; in inference, the
  /// executor; plus the data as loaded. Checked before any executor is built, so a model too large
  /// for the machine is refused instead of aborting in the allocator.
  public static func memoryEstimate(
    graph: Graph, configuration: TrainingConfiguration, mode: GraphMode, data: LoadedData?,
    optimization: OptimizationOptions, batchSize: Int? = nil
  ) throws -> MemoryEstimate {
    var options = optimization
    options.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    // Inference runs (eval, predict, bench) cache their prepared weights.
    let execution = ExecutionConfiguration(
      mode: mode, optimization: options, cachesPreparedWeights: mode == .inference)
    let batch = batchSize ?? configuration.batchSize
    var estimate = MemoryEstimate()
    do {
      if mode == .training {
        for phase in PhasePlan(graph: graph, configuration: configuration).phases {
          let plan = try ExecutionPlanner.plan(graph: phase.graph, configuration: execution, maxBatch: batch)
          estimate = MemoryEstimate.larger(
            estimate, MemoryEstimate(plan: plan, optimizerStateCopies: phase.optimizer.stateCopies))
        }
      } else {
        estimate = MemoryEstimate(
          plan: try ExecutionPlanner.plan(graph: graph, configuration: execution, maxBatch: batch))
      }
    } catch {
      throw TrainError("cannot plan the model: \(error)")
    }
    let splits = [("train", data?.train), ("validation", data?.validation), ("test", data?.test)]
    for case let (name, split?) in splits {
      // What each split holds in memory: in-memory Floats, inflated gzip bytes, labels and targets
      // (samples read by range from a file or decoded from an image folder take none).
      estimate.add(.data, owner: name, elements: split.residentBytes, elementBytes: 1)
    }
    return estimate
  }
}
