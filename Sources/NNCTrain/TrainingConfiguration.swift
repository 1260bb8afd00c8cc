import Foundation
import NNCData
import NNCGraph
import NNCSpec

/// The `data`, `loss`, `optimizer`, `metrics` and `train` sections of a validated spec, as typed
/// values with defaults filled in. Paths are resolved against the spec file's directory.
public struct TrainingConfiguration: Sendable {
  public struct Split: Sendable, Equatable {
    public var images: String?
    public var labels: String?
    public var path: String?
  }

  public struct DataSettings: Sendable {
    public var format: String
    public var train: Split
    public var test: Split?
    public var validation: Split?
    public var classes: Int?
    public var scale: Double?
    public var mean: [Double]?
    public var std: [Double]?
    public var validationSplit: Double
    public var shuffle: Bool
    public var labelColumn: Int
    public var header: Bool
    /// `data.layout: nhwc`: npy samples stored channels last, transposed on load.
    public var channelsLast = false
    /// The folder format: the folder to train on when no `train` split is given.
    public var path: String? = nil
    public var skipCorrupt = false
    /// The folder format: the fraction of every class held out for validation.
    public var split: Double? = nil
    /// `data.classes_subset`: the classes kept (relabelled 0, 1, ... in this order).
    public var classesSubset: [Int]? = nil
    /// `data.target_columns`: the CSV columns of float targets (regression).
    public var targetColumns: [CSVColumn]? = nil
    /// `data.label_columns`: the CSV columns of 0/1 labels (multi-label).
    public var labelColumns: [CSVColumn]? = nil
    /// `data.label_lists`: the label column lists label indices separated by `;` (multi-label).
    public var labelLists = false
    /// `data.normalize_targets`: standardize float targets with the training split's statistics.
    public var normalizeTargets = false

    /// The CSV layout of targets other than one class label column, when the data section asks for one.
    public var csvTargets: CSVTargetLayout? {
      if let targetColumns { return .values(targetColumns) }
      if let labelColumns { return .multiHot(labelColumns) }
      return labelLists ? .labelLists(.index(labelColumn), labels: classes) : nil
    }
    /// `data.limit_per_class`: the training samples kept per class.
    public var limitPerClass: Int? = nil
    /// `data.max_image_pixels`: the largest image (by its header) the folder format decodes.
    public var maxImagePixels: Int? = nil
    /// `data.task`: what the model predicts, when the spec states it (else inferred from the head).
    public var task: TaskKind? = nil
    /// `data.workers`: loader threads (nil: `defaultWorkers`).
    public var workers: Int? = nil
    /// `data.prefetch`: batches assembled ahead of the step.
    public var prefetch = 2
    /// `data.cache`: where decoded images are kept between epochs.
    public var cache: ImageCache = .none
    /// `data.fast_jpeg`: scaled JPEG decoding for images much larger than the model's input.
    public var fastJPEG = false
    /// `data.center_crop`: the centre window every split but an augmented training split is cut to.
    public var centerCrop: CropSize? = nil

    /// The loader threads of a run: `data.workers`, or for an image folder half the cores (decoding
    /// then overlaps the compute threads without oversubscribing them), or 1 for data that is only
    /// copied and converted (a single thread keeps up with any model there).
    public var loaderWorkers: Int {
      if let workers { return workers }
      guard format == "folder" else { return 1 }
      return max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    }
  }

  public struct LossSettings: Sendable {
    public var kind: LossKind
    public var name: String { kind.rawValue }
    public var labelSmoothing: Double
    public var classWeights: [Double]?
    public var fromLogits: Bool
    /// `binary_cross_entropy(pos_weight)`: one weight, or one per label.
    public var positiveWeights: [Double]? = nil
    /// `huber(delta)`.
    public var huberDelta: Double = 1
  }

  public struct OptimizerSettings: Sendable {
    public var kind: OptimizerKind
    public var name: String { kind.rawValue }
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var rho: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
  }

  public struct ScheduleSettings: Sendable {
    public var kind: ScheduleKind
    public var name: String { kind.rawValue }
    public var every: Int
    /// `step(every_steps)`: the interval in optimizer steps instead of epochs.
    public var everySteps: Int?
    /// `multistep`: milestones in epochs, or in steps when `milestonesInSteps`.
    public var milestones: [Int] = []
    public var milestonesInSteps = false
    /// `inv` and `poly`.
    public var power: Double = 1
    public var gamma: Double
    public var minimumLearningRate: Double
    /// Reduce-on-plateau: factor, patience and the metric it watches.
    public var factor: Double
    public var patience: Int
    public var monitor: String
  }

  public struct EarlyStopping: Sendable {
    public var monitor: String
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool
    /// `max` or `min`; nil infers it from the metric's name (`MetricNames.isMaximized`).
    public var mode: String?

    /// Whether a larger monitored value is better.
    public var maximizes: Bool { EpochRecord.isMaximized(monitor, mode: mode) }
  }

  /// One stage of staged fine-tuning (`train.phases`).
  public struct Phase: Sendable {
    public var epochs: Int
    /// Which layers train; nil keeps `train.freeze`.
    public var selection: TrainableSelection?
    /// The phase's optimizer; nil keeps the spec's.
    public var optimizer: OptimizerSettings?
    /// The phase's base learning rate; nil keeps its optimizer's.
    public var learningRate: Double?

    public init(
      epochs: Int, selection: TrainableSelection? = nil, optimizer: OptimizerSettings? = nil,
      learningRate: Double? = nil
    ) {
      self.epochs = epochs
      self.selection = selection
      self.optimizer = optimizer
      self.learningRate = learningRate
    }
  }

  public var data: DataSettings?
  public var loss: LossSettings
  public var optimizer: OptimizerSettings
  public var schedule: ScheduleSettings
  public var warmupEpochs: Int
  /// `train.warmup_steps` and `warmup_power` (Darknet's `burn_in` and `power`).
  public var warmupSteps: Int
  public var warmupPower: Double
  /// A metric to report, with its options (`f1(average: micro)`, `top_k_accuracy(k: 5)`).
  public struct MetricSettings: Sendable, Equatable {
    public var name: String
    public var average: String
    public var k: Int
    /// The class `binary` averages report, when the spec sets `positive_class`.
    public var positiveClass: Int? = nil
  }

  public var metrics: [MetricSettings]
  public var epochs: Int
  public var batchSize: Int
  public var seed: Int
  public var clipNorm: Double?
  public var monitor: String
  /// `train.mode`: `max` or `min`; nil infers it from the monitored metric's name.
  public var monitorMode: String?
  public var earlyStopping: EarlyStopping?
  public var threads: Int?
  /// `train.allreduce_bucket_mb`: the all-reduce bucket of a data-parallel run, in MiB.
  public var allreduceBucketMB = 25.0
  /// `train.allreduce_overlap`: under mpirun, the buckets' all-reduces run under backward; nil leaves it to the
  /// ranks (on when they span several machines).
  public var allreduceOverlap: Bool?
  /// `train.sync_batchnorm`: under mpirun, batchnorm normalizes with the global batch's statistics.
  public var syncBatchNorm = false
  /// Pretrained weights to initialize parameters from (`train.init`, or its shorthand `init_from`),
  /// the path resolved against the spec.
  public var initialization: WeightImportSettings?
  /// `train.freeze`, already applied to the lowered graph; phases without a selection keep it.
  public var selection: TrainableSelection?
  /// Staged fine-tuning; empty when the spec has no `train.phases` (one phase of `epochs`).
  public var phases: [Phase] = []
  /// Layer-name patterns and their learning-rate factors, in the order written.
  public var learningRateMultipliers: [(pattern: String, factor: Double)] = []
  /// Patterns and their weight-decay factors (`train.decay_multipliers`), in the order written.
  public var decayMultipliers: [(pattern: String, factor: Double)] = []
  /// The `augment` section; nil when the spec has none.
  public var augmentation: AugmentationConfiguration?
  /// `predict.threshold`: a binary task predicts class 1 when its probability is at least this; a
  /// multi-label task predicts each label by its own threshold (one value serves every label).
  public var thresholds: [Double]
  /// The first threshold: the binary task's.
  public var threshold: Double { thresholds.first ?? 0.5 }
  /// `train.tensorboard`: where TensorBoard event files go, resolved against the spec; nil for none.
  public var tensorBoard: String?

  /// Reads a spec that `Lowering.lower` accepted without errors.
  public init(spec: Spec) {
    var ignored = DiagnosticBag()
    let specPath =
      spec.file.hasPrefix("/") ? spec.file : FileManager.default.currentDirectoryPath + "/" + spec.file
    let directory = (specPath as NSString).deletingLastPathComponent
    func resolve(_ path: String?) -> String? {
      guard let path else { return nil }
      if path.hasPrefix("/") { return path }
      return ((directory as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
    func checked(_ call: Call?, _ signatures: [Signature], default name: String) -> CheckedArguments {
      let call = call ?? Call(name: name, at: .unknown)
      let signature = signatures.first { $0.name == call.name } ?? signatures.first { $0.name == name }!
      return ArgumentChecker.check(call, against: signature, what: call.name, into: &ignored)
    }
    func map(_ expr: Expr?) -> [String: Expr] {
      guard case .map(let entries) = expr?.kind else { return [:] }
      return Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
    func split(_ expr: Expr?) -> Split? {
      guard expr != nil else { return nil }
      let fields = map(expr)
      func string(_ key: String) -> String? {
        if case .string(let value) = fields[key]?.kind { return value }
        return nil
      }
      return Split(
        images: resolve(string("images")), labels: resolve(string("labels")), path: resolve(string("path")))
    }
    func int(_ fields: [String: Expr], _ key: String, _ fallback: Int) -> Int {
      if case .int(let value) = fields[key]?.kind { return value }
      return fallback
    }
    func double(_ fields: [String: Expr], _ key: String) -> Double? { fields[key]?.numberValue }
    func numbers(_ fields: [String: Expr], _ key: String) -> [Double]? {
      guard let expr = fields[key] else { return nil }
      if let value = expr.numberValue { return [value] }
      if case .list(let items) = expr.kind { return items.compactMap(\.numberValue) }
      return nil
    }
    func bool(_ fields: [String: Expr], _ key: String, _ fallback: Bool) -> Bool {
      if case .bool(let value) = fields[key]?.kind { return value }
      return fallback
    }

    if spec.data != nil {
      let fields = map(spec.data)
      var format = "idx"
      if case .string(let value) = fields["format"]?.kind { format = value }
      data = DataSettings(
        format: format, train: split(fields["train"]) ?? Split(), test: split(fields["test"]),
        validation: split(fields["val"]),
        classes: fields["classes"].flatMap { if case .int(let v) = $0.kind { v } else { nil } },
        scale: double(fields, "scale"), mean: numbers(fields, "mean"), std: numbers(fields, "std"),
        validationSplit: double(fields, "validation_split") ?? 0, shuffle: bool(fields, "shuffle", true),
        labelColumn: int(fields, "label_column", 0), header: bool(fields, "header", false))
      if case .string(let value) = fields["path"]?.kind { data?.path = resolve(value) }
      data?.skipCorrupt = bool(fields, "skip_corrupt", false)
      func columns(_ key: String) -> [CSVColumn]? {
        guard case .list(let items) = fields[key]?.kind else { return nil }
        return items.compactMap { item in
          switch item.kind {
          case .int(let index): .index(index)
          case .string(let name): .name(name)
          default: nil
          }
        }
      }
      data?.targetColumns = columns("target_columns")
      data?.labelColumns = columns("label_columns")
      data?.labelLists = bool(fields, "label_lists", false)
      data?.normalizeTargets = bool(fields, "normalize_targets", false)
      if case .string("nhwc") = fields["layout"]?.kind { data?.channelsLast = true }
      data?.split = double(fields, "split")
      data?.classesSubset = numbers(fields, "classes_subset")?.map { Int($0) }
      if case .int(let limit) = fields["limit_per_class"]?.kind { data?.limitPerClass = limit }
      if case .int(let limit) = fields["max_image_pixels"]?.kind { data?.maxImagePixels = limit }
      if case .string(let name) = fields["task"]?.kind { data?.task = TaskKind(rawValue: name) }
      if case .int(let workers) = fields["workers"]?.kind { data?.workers = workers }
      if case .int(let prefetch) = fields["prefetch"]?.kind { data?.prefetch = prefetch }
      data?.fastJPEG = bool(fields, "fast_jpeg", false)
      data?.centerCrop = fields["center_crop"]?.intPair.map { CropSize(height: $0.0, width: $0.1) }
      if case .string(let cache) = fields["cache"]?.kind {
        data?.cache = ImageCache(rawValue: cache) ?? .none
      }
    }

    let lossArguments = checked(spec.loss, Vocabulary.losses, default: LossKind.specDefault.rawValue)
    // Options a loss does not take keep neutral values it never reads.
    loss = LossSettings(
      kind: LossKind(rawValue: lossArguments.signature.name)!,
      labelSmoothing: lossArguments.double("label_smoothing") ?? 0,
      classWeights: lossArguments.isGiven("class_weights") ? lossArguments.numbers("class_weights") : nil,
      fromLogits: lossArguments.bool("from_logits") ?? true,
      positiveWeights: lossArguments.isGiven("pos_weight") ? lossArguments.numbers("pos_weight") : nil,
      huberDelta: lossArguments.double("delta") ?? 1)

    optimizer = Self.optimizerSettings(
      checked(spec.optimizer, Vocabulary.optimizers, default: OptimizerKind.specDefault.rawValue))

    augmentation = spec.augment.map { AugmentationConfiguration(calls: $0) }

    metrics = (spec.metrics ?? [Call(name: "accuracy", at: .unknown)]).map { call in
      let arguments = checked(call, Vocabulary.metrics, default: "accuracy")
      return MetricSettings(
        name: call.name, average: arguments.string("average") ?? "macro", k: arguments.int("k") ?? 5,
        positiveClass: arguments.int("positive_class"))
    }

    let predict = SectionFields(spec.predict, schema: Vocabulary.predictSchema)
    if case .list(let items) = predict["threshold"]?.kind {
      thresholds = items.compactMap(\.numberValue)
    } else {
      thresholds = [predict.double("threshold")!]
    }

    let train = SectionFields(spec.train, schema: Vocabulary.trainSchema)
    // Every key below has a default in `Vocabulary.trainSchema` or is optional.
    epochs = train.int("epochs")!
    batchSize = train.int("batch_size")!
    seed = train.int("seed")!
    warmupEpochs = train.int("warmup_epochs")!
    warmupSteps = train.int("warmup_steps")!
    warmupPower = train.double("warmup_power")!
    clipNorm = train.double("clip_norm")
    monitor = train.string("monitor")!
    monitorMode = train.string("mode")
    threads = train.int("threads")
    allreduceBucketMB = train.double("allreduce_bucket_mb")!
    allreduceOverlap = train.bool("allreduce_overlap")
    syncBatchNorm = train.bool("sync_batchnorm")!
    tensorBoard = resolve(train.string("tensorboard"))
    if case .string(let path) = train["init_from"]?.kind {
      initialization = WeightImportSettings(path: resolve(path) ?? path)
    }
    let initFields = SectionFields(train["init"], schema: Vocabulary.initSchema)
    if case .string(let path) = initFields["from"]?.kind {
      var settings = WeightImportSettings(path: resolve(path) ?? path)
      if case .list(let rules) = initFields["rename"]?.kind {
        settings.rename = rules.compactMap { rule in
          let fields = map(rule)
          guard case .string(let pattern) = fields["pattern"]?.kind,
            case .string(let replacement) = fields["replace"]?.kind
          else { return nil }
          return WeightImportSettings.RenameRule(pattern: pattern, replacement: replacement)
        }
      }
      settings.strict = initFields.bool("strict")!
      settings.layout = initFields.string("layout").flatMap(WeightImportSettings.Layout.init) ?? .nnc
      initialization = settings
    }
    selection = train["freeze"].flatMap { TrainableSelection(freeze: $0) }
    if case .map(let entries) = train["lr_multipliers"]?.kind {
      learningRateMultipliers = entries.compactMap { entry in entry.value.numberValue.map { (entry.key, $0) }
      }
    }
    if case .map(let entries) = train["decay_multipliers"]?.kind {
      decayMultipliers = entries.compactMap { entry in entry.value.numberValue.map { (entry.key, $0) } }
    }

    var scheduleCall = Call(name: train.string("schedule")!, at: .unknown)
    if let expr = train["schedule"] {
      switch expr.kind {
      case .string(let name): scheduleCall = Call(name: name, at: expr.location)
      case .map(let entries) where entries.count == 1:
        scheduleCall = Call(
          name: entries[0].key, arguments: ArgumentChecker.mapArguments(entries[0].value), at: expr.location)
        if let signature = Vocabulary.schedules.first(where: { $0.name == scheduleCall.name }) {
          scheduleCall = ArgumentChecker.labelled(scheduleCall, signature, into: &ignored)
        }
      default: break
      }
    }
    let scheduleArguments = checked(scheduleCall, Vocabulary.schedules, default: train.string("schedule")!)
    // Options a schedule does not take keep neutral values it never reads.
    schedule = ScheduleSettings(
      kind: ScheduleKind(rawValue: scheduleArguments.signature.name)!,
      every: scheduleArguments.int("every") ?? 1, everySteps: scheduleArguments.int("every_steps"),
      milestones: (scheduleArguments.numbers("milestones") ?? scheduleArguments.numbers("milestone_steps")
        ?? [])
        .map { Int($0) },
      milestonesInSteps: scheduleArguments.isGiven("milestone_steps"),
      power: scheduleArguments.double("power") ?? 1, gamma: scheduleArguments.double("gamma") ?? 1,
      minimumLearningRate: scheduleArguments.double("min_lr") ?? 0,
      factor: scheduleArguments.double("factor") ?? 1, patience: scheduleArguments.int("patience") ?? 0,
      monitor: scheduleArguments.string("monitor") ?? "")

    if train["early_stopping"] != nil {
      let fields = SectionFields(train["early_stopping"], schema: Vocabulary.earlyStoppingSchema)
      earlyStopping = EarlyStopping(
        monitor: fields.string("monitor")!, patience: fields.int("patience")!,
        minDelta: fields.double("min_delta")!, restoreBest: fields.bool("restore_best")!,
        mode: fields.string("mode"))
    }

    if case .list(let items) = train["phases"]?.kind {
      let baseOptimizer = optimizer
      phases = items.map { item in
        let fields = SectionFields(item, schema: Vocabulary.phaseSchema)
        var phase = Phase(
          // `epochs` is required: a spec that lowered has it.
          epochs: fields.int("epochs") ?? 0, selection: TrainableSelection(phase: item), optimizer: nil,
          learningRate: fields.double("lr"))
        if let expr = fields["optimizer"] {
          phase.optimizer = Self.optimizerSettings(
            checked(Self.call(expr), Vocabulary.optimizers, default: baseOptimizer.name))
        }
        return phase
      }
      // The phases set the length of the run; an explicit train.epochs (or --epochs) caps it.
      let total = phases.reduce(0) { $0 + $1.epochs }
      epochs = train["epochs"] == nil ? total : min(epochs, total)
    }
  }

  static func optimizerSettings(_ arguments: CheckedArguments) -> OptimizerSettings {
    // Every optimizer's signature gives `lr` and `weight_decay` defaults; options an optimizer does
    // not take keep neutral values it never reads.
    OptimizerSettings(
      kind: OptimizerKind(rawValue: arguments.signature.name)!, learningRate: arguments.double("lr")!,
      momentum: arguments.double("momentum") ?? 0, nesterov: arguments.bool("nesterov") ?? false,
      rho: arguments.double("rho") ?? 0, beta1: arguments.double("beta1") ?? 0,
      beta2: arguments.double("beta2") ?? 0, epsilon: arguments.double("epsilon") ?? 0,
      weightDecay: arguments.double("weight_decay")!)
  }

  /// A phase's `optimizer: adam(lr: 1e-3)` (the map `{adam: {lr: 1e-3}}`) or bare `sgd`, as a call.
  static func call(_ expr: Expr) -> Call {
    var ignored = DiagnosticBag()
    switch expr.kind {
    case .string(let name): return Call(name: name, at: expr.location)
    case .map(let entries) where entries.count == 1:
      let call = Call(
        name: entries[0].key, arguments: ArgumentChecker.mapArguments(entries[0].value), at: expr.location)
      guard let signature = Vocabulary.optimizers.first(where: { $0.name == call.name }) else { return call }
      return ArgumentChecker.labelled(call, signature, into: &ignored)
    default: return Call(name: OptimizerKind.specDefault.rawValue, at: expr.location)
    }
  }
}
