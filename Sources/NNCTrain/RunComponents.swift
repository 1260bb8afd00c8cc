import NNCData
import NNCGraph
import NNCRandom

/// Builds the run's pieces (data, loss, optimizer, schedule) from a training configuration, turning
/// every problem into a `TrainError` that names what is wrong.
public enum RunComponents {
  /// Loads the data sets of a run: train, test, and validation either from its own files (`data.val`)
  /// or carved from the training set (`data.validation_split`).
  public static func loadData(
    _ settings: TrainingConfiguration.DataSettings, using generator: inout RandomGenerator
  ) throws -> LoadedData {
    let configuration = try dataConfiguration(settings)
    var data = try configuration.load(using: &generator)
    if let validation = settings.validation {
      guard settings.validationSplit == 0 else {
        throw TrainError("data has both 'val' files and a 'validation_split'; use one of them")
      }
      var set = try DatasetConfiguration(
        source: try source(validation, "val", settings), classes: data.train.classes,
        normalization: configuration.train.normalization
      ).load()
      guard set.sampleShape == data.train.sampleShape else {
        throw TrainError(
          "\(set.source): samples have shape \(set.sampleShape) but the training samples have "
            + "\(data.train.sampleShape)")
      }
      set.classes = data.train.classes
      data.validation = set
    }
    return data
  }

  static func source(
    _ split: TrainingConfiguration.Split, _ name: String, _ settings: TrainingConfiguration.DataSettings
  ) throws -> DataSource {
    switch settings.format {
    case "idx", "npy":
      guard let images = split.images, let labels = split.labels else {
        throw TrainError("data.\(name) needs 'images' and 'labels' for the \(settings.format) format")
      }
      return settings.format == "idx"
        ? .idx(images: images, labels: labels) : .npy(samples: images, labels: labels)
    case "csv":
      guard let path = split.path else { throw TrainError("data.\(name) needs a 'path' for the csv format") }
      return .csv(
        path: path, options: CSVOptions(labelColumn: settings.labelColumn, hasHeader: settings.header))
    default:
      throw TrainError("data format '\(settings.format)' is not supported yet")
    }
  }

  public static func dataConfiguration(_ settings: TrainingConfiguration.DataSettings) throws
    -> DataConfiguration
  {
    var normalization = Normalization.identity
    normalization.scale = Float(settings.scale ?? 1)
    if let mean = settings.mean { normalization.mean = mean.map(Float.init) }
    if let std = settings.std { normalization.std = std.map(Float.init) }
    let train = DatasetConfiguration(
      source: try source(settings.train, "train", settings), classes: settings.classes,
      normalization: normalization)
    let test = try settings.test.map {
      DatasetConfiguration(
        source: try source($0, "test", settings), classes: settings.classes, normalization: normalization)
    }
    return DataConfiguration(
      train: train, test: test, validationSplit: settings.validationSplit > 0 ? settings.validationSplit : nil
    )
  }

  public static func loss(_ settings: TrainingConfiguration.LossSettings) -> LossFunction {
    switch settings.name {
    case "binary_cross_entropy": return .binaryCrossEntropy(fromLogits: settings.fromLogits)
    case "mse": return .meanSquaredError
    default:
      return .crossEntropy(
        fromLogits: settings.fromLogits, labelSmoothing: Float(settings.labelSmoothing),
        classWeights: settings.classWeights?.map(Float.init))
    }
  }

  public static func optimizer(_ settings: TrainingConfiguration.OptimizerSettings) throws -> any Optimizer {
    let decay = Float(settings.weightDecay)
    switch settings.name {
    case "gd": return GradientDescent(weightDecay: decay)
    case "sgd":
      return try SGD(momentum: Float(settings.momentum), nesterov: settings.nesterov, weightDecay: decay)
    case "rmsprop":
      return try RMSProp(
        rho: Float(settings.rho), epsilon: Float(settings.epsilon), momentum: Float(settings.momentum),
        weightDecay: decay)
    case "adamw":
      return try Adam.adamW(
        beta1: Float(settings.beta1), beta2: Float(settings.beta2), epsilon: Float(settings.epsilon),
        weightDecay: decay)
    default:
      return try Adam(
        beta1: Float(settings.beta1), beta2: Float(settings.beta2), epsilon: Float(settings.epsilon),
        weightDecay: decay)
    }
  }

  public static func schedule(_ configuration: TrainingConfiguration) -> LearningRateSchedule {
    let settings = configuration.schedule
    let decay: LearningRateSchedule.Decay
    switch settings.name {
    case "step": decay = .step(every: settings.every, gamma: settings.gamma)
    case "exponential": decay = .exponential(gamma: settings.gamma)
    case "cosine":
      decay = .cosine(total: configuration.epochs, minimum: settings.minimumLearningRate)
    default: decay = .constant
    }
    return LearningRateSchedule(
      base: configuration.optimizer.learningRate, decay: decay, unit: .epoch,
      warmup: configuration.warmupEpochs)
  }

  /// The initializer of a graph parameter.
  public static func initializer(_ kind: InitializerKind) -> Initializer {
    switch kind {
    case .heNormal: return .heNormal
    case .heUniform: return .heUniform
    case .glorotUniform: return .glorotUniform
    case .glorotNormal: return .glorotNormal
    case .zeros: return .zeros
    case .ones: return .ones
    }
  }
}
