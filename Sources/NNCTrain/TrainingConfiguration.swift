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
    /// The folder format: the folder to train on when no `train` split is given.
    public var path: String? = nil
    public var skipCorrupt = false
    /// The folder format: the fraction of every class held out for validation.
    public var split: Double? = nil
    /// `data.classes_subset`: the classes kept (relabelled 0, 1, ... in this order).
    public var classesSubset: [Int]? = nil
    /// `data.limit_per_class`: the training samples kept per class.
    public var limitPerClass: Int? = nil
    /// `data.max_image_pixels`: the largest image (by its header) the folder format decodes.
    public var maxImagePixels: Int? = nil
  }

  public struct LossSettings: Sendable {
    public var name: String
    public var labelSmoothing: Double
    public var classWeights: [Double]?
    public var fromLogits: Bool
  }

  public struct OptimizerSettings: Sendable {
    public var name: String
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
    public var name: String
    public var every: Int
    public var gamma: Double
    public var minimumLearningRate: Double
    /// Reduce-on-plateau: factor, patience and the metric it watches.
    public var factor: Double = 0.1
    public var patience: Int = 3
    public var monitor: String = "val_loss"
  }

  public struct EarlyStopping: Sendable {
    public var monitor: String
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool
    /// `max` or `min`; nil infers it from the metric's name (`MetricNames.isMaximized`).
    public var mode: String? = nil

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
  /// Pretrained weights to initialize parameters from (`train.init`, or its shorthand `init_from`),
  /// the path resolved against the spec.
  public var initialization: WeightImportSettings?
  /// `train.freeze`, already applied to the lowered graph; phases without a selection keep it.
  public var selection: TrainableSelection?
  /// Staged fine-tuning; empty when the spec has no `train.phases` (one phase of `epochs`).
  public var phases: [Phase] = []
  /// Layer-name patterns and their learning-rate factors, in the order written.
  public var learningRateMultipliers: [(pattern: String, factor: Double)] = []
  /// The `augment` section; nil when the spec has none.
  public var augmentation: AugmentationConfiguration?

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
      data?.split = double(fields, "split")
      data?.classesSubset = numbers(fields, "classes_subset")?.map { Int($0) }
      if case .int(let limit) = fields["limit_per_class"]?.kind { data?.limitPerClass = limit }
      if case .int(let limit) = fields["max_image_pixels"]?.kind { data?.maxImagePixels = limit }
    }

    let lossArguments = checked(spec.loss, Vocabulary.losses, default: "cross_entropy")
    loss = LossSettings(
      name: lossArguments.signature.name, labelSmoothing: lossArguments.double("label_smoothing") ?? 0,
      classWeights: lossArguments.isGiven("class_weights") ? lossArguments.numbers("class_weights") : nil,
      fromLogits: lossArguments.bool("from_logits") ?? true)

    optimizer = Self.optimizerSettings(checked(spec.optimizer, Vocabulary.optimizers, default: "adam"))

    augmentation = spec.augment.map { AugmentationConfiguration(calls: $0) }

    metrics = (spec.metrics ?? [Call(name: "accuracy", at: .unknown)]).map { call in
      let arguments = checked(call, Vocabulary.metrics, default: "accuracy")
      return MetricSettings(
        name: call.name, average: arguments.string("average") ?? "macro", k: arguments.int("k") ?? 5,
        positiveClass: arguments.int("positive_class"))
    }

    let train = map(spec.train)
    epochs = int(train, "epochs", 10)
    batchSize = int(train, "batch_size", 32)
    seed = int(train, "seed", 0)
    warmupEpochs = int(train, "warmup_epochs", 0)
    clipNorm = double(train, "clip_norm")
    if case .string(let value) = train["monitor"]?.kind { monitor = value } else { monitor = "val_accuracy" }
    if case .string(let value) = train["mode"]?.kind { monitorMode = value }
    threads = train["threads"].flatMap { if case .int(let v) = $0.kind { v } else { nil } }
    if case .string(let path) = train["init_from"]?.kind {
      initialization = WeightImportSettings(path: resolve(path) ?? path)
    }
    let initFields = map(train["init"])
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
      settings.strict = bool(initFields, "strict", false)
      if case .string(let layout) = initFields["layout"]?.kind {
        settings.layout = WeightImportSettings.Layout(rawValue: layout) ?? .nnc
      }
      initialization = settings
    }
    selection = train["freeze"].flatMap { TrainableSelection(freeze: $0) }
    if case .map(let entries) = train["lr_multipliers"]?.kind {
      learningRateMultipliers = entries.compactMap { entry in entry.value.numberValue.map { (entry.key, $0) }
      }
    }

    var scheduleCall = Call(name: "constant", at: .unknown)
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
    let scheduleArguments = checked(scheduleCall, Vocabulary.schedules, default: "constant")
    schedule = ScheduleSettings(
      name: scheduleArguments.signature.name, every: scheduleArguments.int("every") ?? 1,
      gamma: scheduleArguments.double("gamma") ?? 0.1,
      minimumLearningRate: scheduleArguments.double("min_lr") ?? 0)
    schedule.factor = scheduleArguments.double("factor") ?? 0.1
    schedule.patience = scheduleArguments.int("patience") ?? 3
    schedule.monitor = scheduleArguments.string("monitor") ?? "val_loss"

    if train["early_stopping"] != nil {
      let fields = map(train["early_stopping"])
      var monitor = "val_loss"
      if case .string(let value) = fields["monitor"]?.kind { monitor = value }
      earlyStopping = EarlyStopping(
        monitor: monitor, patience: int(fields, "patience", 5), minDelta: double(fields, "min_delta") ?? 0,
        restoreBest: bool(fields, "restore_best", true))
      if case .string(let value) = fields["mode"]?.kind { earlyStopping?.mode = value }
    }

    if case .list(let items) = train["phases"]?.kind {
      let baseOptimizer = optimizer
      phases = items.map { item in
        let fields = map(item)
        var phase = Phase(
          epochs: int(fields, "epochs", 1), selection: TrainableSelection(phase: item), optimizer: nil,
          learningRate: double(fields, "lr"))
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
    OptimizerSettings(
      name: arguments.signature.name, learningRate: arguments.double("lr") ?? 0.001,
      momentum: arguments.double("momentum") ?? 0, nesterov: arguments.bool("nesterov") ?? false,
      rho: arguments.double("rho") ?? 0.9, beta1: arguments.double("beta1") ?? 0.9,
      beta2: arguments.double("beta2") ?? 0.999, epsilon: arguments.double("epsilon") ?? 1e-8,
      weightDecay: arguments.double("weight_decay") ?? 0)
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
    default: return Call(name: "adam", at: expr.location)
    }
  }
}
