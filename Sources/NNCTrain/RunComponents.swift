import NNCData
import NNCGraph
import NNCRandom
import NNCSpec

/// Builds the run's pieces (data, loss, optimizer, schedule) from a training configuration, turning
/// every problem into a `TrainError` that names what is wrong.
public enum RunComponents {
  /// Loads the data sets of a run: train, test, and validation either from its own files (`data.val`)
  /// or carved from the training set (`data.validation_split`, or `data.split` per class).
  /// `inputShape` is the model's sample shape: image folders are converted and resized to it.
  ///
  /// A regression reads float targets (class labels become one value each) and a multi-label task
  /// multi-hot targets; neither has classes to select or stratify by.
  public static func loadData(
    _ settings: TrainingConfiguration.DataSettings, inputShape: [Int]? = nil,
    task: TaskKind = .classification,
    using generator: inout RandomGenerator
  ) throws -> LoadedData {
    if settings.validation != nil, settings.validationSplit > 0 || settings.split != nil {
      let key = settings.split != nil ? "split" : "validation_split"
      throw TrainError("data has both 'val' files and a '\(key)'; use one of them")
    }
    let readsTargets = task == .regression || task == .multilabel
    if readsTargets {
      let classKeys: [(String, Bool)] = [
        ("classes_subset", settings.classesSubset != nil), ("limit_per_class", settings.limitPerClass != nil),
        ("split", settings.split != nil),
      ]
      if let key = classKeys.first(where: \.1)?.0 {
        throw TrainError(
          "data.\(key) works on classes, but a \(task.title) has none; use data.validation_split instead")
      }
    } else if settings.csvTargets != nil || settings.normalizeTargets {
      let key =
        settings.targetColumns != nil
        ? "target_columns"
        : settings.labelColumns != nil
          ? "label_columns" : settings.labelLists ? "label_lists" : "normalize_targets"
      throw TrainError("data.\(key) gives targets per sample, but the task is \(task.title)")
    }
    var data = try dataConfiguration(settings, inputShape: inputShape, task: task).load(using: &generator)
    if task == .regression {
      try data.transformSplits { try $0.labelsAsTargets() }
    } else if task == .multilabel, data.train.targets?.kind != .multiHot {
      throw TrainError(
        "\(data.train.source): a multi-label task needs 0/1 targets per label: data.label_columns, "
          + "data.label_lists, or an npy labels array [N, K]")
    }
    if settings.normalizeTargets {
      guard task == .regression else {
        throw TrainError("data.normalize_targets standardizes float targets; the task is \(task.title)")
      }
      try data.normalizeTargets()
    }
    return data
  }

  static func source(
    _ split: TrainingConfiguration.Split, _ name: String, _ settings: TrainingConfiguration.DataSettings,
    inputShape: [Int]?, task: TaskKind
  ) throws -> DataSource {
    switch settings.format {
    case "idx", "npy":
      guard let images = split.images, let labels = split.labels else {
        throw TrainError("data.\(name) needs 'images' and 'labels' for the \(settings.format) format")
      }
      if settings.format == "npy" {
        // An npy labels array of a regression holds floats [N] or [N, K]; of a multi-label task 0/1 [N, K].
        switch task {
        case .regression: return .npyTargets(samples: images, targets: labels, kind: .values)
        case .multilabel: return .npyTargets(samples: images, targets: labels, kind: .multiHot)
        case .classification, .binary: return .npy(samples: images, labels: labels)
        }
      }
      return .idx(images: images, labels: labels)
    case "csv":
      guard let path = split.path else { throw TrainError("data.\(name) needs a 'path' for the csv format") }
      return .csv(
        path: path,
        options: CSVOptions(
          labelColumn: settings.labelColumn, hasHeader: settings.header, targets: settings.csvTargets))
    case "folder":
      guard let path = split.path ?? (name == "train" ? settings.path : nil) else {
        throw TrainError("data.\(name) needs a 'path' (a folder of class sub-folders) for the folder format")
      }
      guard let inputShape, inputShape.count == 3 else {
        throw TrainError(
          "the folder format needs a model input [channels, height, width], not \(inputShape ?? [])")
      }
      guard inputShape[0] == 1 || inputShape[0] == 3 else {
        throw TrainError(
          "images are read as grey (1 channel) or RGB (3 channels); the model input has \(inputShape[0])")
      }
      var options = ImageFolderOptions(
        channels: inputShape[0], height: inputShape[1], width: inputShape[2],
        skipCorrupt: settings.skipCorrupt, cache: settings.cache)
      options.fastJPEG = settings.fastJPEG
      return .folder(path: path, options: options)
    default:
      throw TrainError("data format '\(settings.format)' is not supported yet")
    }
  }

  /// `data.scale`, `data.mean` and `data.std`, applied to every split when it is loaded.
  public static func normalization(_ settings: TrainingConfiguration.DataSettings) -> Normalization {
    var normalization = Normalization.identity
    normalization.scale = Float(settings.scale ?? 1)
    if let mean = settings.mean { normalization.mean = mean.map(Float.init) }
    if let std = settings.std { normalization.std = std.map(Float.init) }
    return normalization
  }

  /// `inputShape` is the model's sample shape: image folders are converted and resized to it.
  public static func dataConfiguration(
    _ settings: TrainingConfiguration.DataSettings, inputShape: [Int]? = nil, task: TaskKind = .classification
  ) throws -> DataConfiguration {
    let normalization = self.normalization(settings)
    func configuration(_ split: TrainingConfiguration.Split, _ name: String) throws -> DatasetConfiguration {
      var configuration = DatasetConfiguration(
        source: try source(split, name, settings, inputShape: inputShape, task: task),
        classes: settings.classes, normalization: normalization)
      configuration.channelsLast = settings.channelsLast
      return configuration
    }
    let train = try configuration(settings.train, "train")
    let test = try settings.test.map { try configuration($0, "test") }
    let validation = try settings.validation.map { try configuration($0, "val") }
    // `split` holds out the same fraction of every class; `validation_split` a fraction of the whole.
    let fraction = settings.split ?? (settings.validationSplit > 0 ? settings.validationSplit : nil)
    var data = DataConfiguration(
      train: train, test: test, validationSplit: fraction, stratify: settings.split != nil,
      validation: validation)
    data.classesSubset = settings.classesSubset
    data.maxImagePixels = settings.maxImagePixels
    data.limitPerClass = settings.limitPerClass
    return data
  }

  /// Whether the loss reads probabilities and could read logits instead, so that the optimizer may
  /// fuse the model's final softmax into it.
  public static func lossTakesLogits(_ settings: TrainingConfiguration.LossSettings) -> Bool {
    settings.kind == .crossEntropy && !settings.fromLogits
  }

  /// The loss of `settings`, on logits when the executor removed the final softmax.
  public static func loss(_ settings: TrainingConfiguration.LossSettings, outputIsLogits: Bool)
    -> LossFunction
  {
    guard outputIsLogits else { return loss(settings) }
    var settings = settings
    settings.fromLogits = true
    return loss(settings)
  }

  public static func loss(_ settings: TrainingConfiguration.LossSettings) -> LossFunction {
    switch settings.kind {
    case .binaryCrossEntropy:
      guard let weights = settings.positiveWeights else {
        return .binaryCrossEntropy(fromLogits: settings.fromLogits)
      }
      return .weightedBinaryCrossEntropy(
        fromLogits: settings.fromLogits, positiveWeights: weights.map(Float.init))
    case .mse: return .meanSquaredError
    case .mae: return .meanAbsoluteError
    case .huber: return .huber(delta: Float(settings.huberDelta))
    case .crossEntropy:
      return .crossEntropy(
        fromLogits: settings.fromLogits, labelSmoothing: Float(settings.labelSmoothing),
        classWeights: settings.classWeights?.map(Float.init))
    }
  }

  public static func optimizer(_ settings: TrainingConfiguration.OptimizerSettings) throws -> any Optimizer {
    let decay = Float(settings.weightDecay)
    switch settings.kind {
    case .gd: return GradientDescent(weightDecay: decay)
    case .sgd:
      return try SGD(momentum: Float(settings.momentum), nesterov: settings.nesterov, weightDecay: decay)
    case .rmsprop:
      return try RMSProp(
        rho: Float(settings.rho), epsilon: Float(settings.epsilon), momentum: Float(settings.momentum),
        weightDecay: decay)
    case .adamw:
      return try Adam.adamW(
        beta1: Float(settings.beta1), beta2: Float(settings.beta2), epsilon: Float(settings.epsilon),
        weightDecay: decay)
    case .adam:
      return try Adam(
        beta1: Float(settings.beta1), beta2: Float(settings.beta2), epsilon: Float(settings.epsilon),
        weightDecay: decay)
    }
  }

  public static func schedule(_ configuration: TrainingConfiguration) -> LearningRateSchedule {
    let settings = configuration.schedule
    let decay: LearningRateSchedule.Decay
    var unit = LearningRateSchedule.Unit.epoch
    switch settings.kind {
    case .step:
      decay = .step(every: settings.everySteps ?? settings.every, gamma: settings.gamma)
      if settings.everySteps != nil { unit = .step }
    case .exponential: decay = .exponential(gamma: settings.gamma)
    case .cosine: decay = .cosine(total: configuration.epochs, minimum: settings.minimumLearningRate)
    case .multistep:
      decay = .multistep(milestones: settings.milestones, gamma: settings.gamma)
      if settings.milestonesInSteps { unit = .step }
    // Caffe's inv and poly count iterations.
    case .inv:
      decay = .inverse(gamma: settings.gamma, power: settings.power)
      unit = .step
    case .poly:
      decay = .poly(totalEpochs: configuration.epochs, power: settings.power)
      unit = .step
    // Reduce-on-plateau scales the constant rate as the run goes (see `PlateauMonitor`).
    case .constant, .plateau: decay = .constant
    }
    // `check` refuses both warm-ups at once.
    let inSteps = configuration.warmupSteps > 0
    return LearningRateSchedule(
      base: configuration.optimizer.learningRate, decay: decay, unit: unit,
      warmup: inSteps ? configuration.warmupSteps : configuration.warmupEpochs,
      warmupUnit: inSteps ? .step : .epoch, warmupPower: configuration.warmupPower,
      warmupShiftsDecay: !inSteps)
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
    case .xavier(let norm): return .xavier(norm)
    case .lecunNormal: return .lecunNormal
    case .lecunUniform: return .lecunUniform
    case .normal(let mean, let std): return .normal(mean: Float(mean), std: Float(std))
    case .uniform(let low, let high): return .uniform(low: Float(low), high: Float(high))
    case .constant(let value): return .constant(Float(value))
    case .orthogonal(let gain): return .orthogonal(gain: Float(gain))
    }
  }
}
