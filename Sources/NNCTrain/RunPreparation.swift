import NNCData
import NNCGraph
import NNCRandom

/// Readies a run's data for its model: loads it as training does, and checks that it fits the
/// model and the metrics. Every problem is a `TrainError` (or a `DataError` from loading).
public enum RunPreparation {
  /// Loads the data sets, seeded from `train.seed`, with the augment section's final `normalize`
  /// applied to the evaluation splits.
  public static func loadData(
    _ settings: TrainingConfiguration.DataSettings, configuration: TrainingConfiguration, graph: Graph
  ) throws -> LoadedData {
    var generator = RandomGenerator(seed: UInt64(configuration.seed)).derived(2)
    var data = try RunComponents.loadData(settings, inputShape: graph.inputShape.sample, using: &generator)
    try RunComponents.normalizeEvaluationSplits(configuration.augmentation, &data)
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
    let sampleShape = data.train.sampleShape
    guard data.train.sampleSize == inputCount else {
      throw TrainError(
        "\(data.train.source): samples have shape \(sampleShape) (\(data.train.sampleSize) values) but the model "
          + "input \(graph.inputShape) needs \(inputCount) values per sample")
    }
    let outputs = graph.outputShape.sampleCount
    let classes = data.train.classes
    if configuration.loss.kind != .mse, outputs != classes, !(outputs == 1 && classes <= 2) {
      throw TrainError(
        "\(data.train.source): the data has \(classes) classes but the model outputs \(outputs) units; "
          + "set data.classes or change the last layer")
    }
    if let positive = MetricReport.positiveClass(configuration.metrics), positive >= max(classes, 2) {
      throw TrainError(
        "\(specPath): positive_class \(positive) is not one of the data's \(classes) classes "
          + "(0...\(max(classes, 2) - 1))")
    }
    var configuration = configuration
    if configuration.optimizer.kind == .gd {
      configuration.batchSize = data.train.count
    }
    return configuration
  }

  /// The training split as evaluation sees it: with the augment section's final `normalize` (the
  /// other splits get it when loaded; training applies it after augmenting).
  public static func evaluationTrainingSplit(_ data: LoadedData, configuration: TrainingConfiguration) throws
    -> Dataset
  {
    var train = data.train
    guard let normalization = configuration.augmentation?.normalization else { return train }
    try train.normalize(normalization)
    return train
  }
}
