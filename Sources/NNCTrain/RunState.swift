/// What must survive an interruption besides weights and optimizer state: the epochs done, the best
/// monitored value (for `checkpoint-best`), and the early-stopping and plateau monitors. Stored in
/// a checkpoint's metadata.
struct RunState: Equatable {
  var completedEpochs = 0
  var bestValue: Double?
  var bestEpoch: Int?
  /// Nil without `train.early_stopping`.
  var stopping: EarlyStoppingMonitor?
  /// Nil unless the schedule is `plateau`.
  var plateau: PlateauMonitor?

  /// A fresh run's state, its monitors set up from the configuration; without validation data the
  /// monitors watch the training value of a `val_` metric.
  init(configuration: TrainingConfiguration, hasValidation: Bool) {
    if let settings = configuration.earlyStopping {
      stopping = EarlyStoppingMonitor(
        patience: settings.patience, minDelta: settings.minDelta, maximizes: settings.maximizes)
    }
    let schedule = configuration.schedule
    if schedule.kind == .plateau {
      plateau = PlateauMonitor(
        patience: schedule.patience, factor: schedule.factor,
        maximizes: EpochRecord.isMaximized(Self.metric(schedule.monitor, hasValidation: hasValidation)),
        minimumRate: schedule.minimumLearningRate)
    }
  }

  /// The metric a monitor reads: a `val_` metric falls back to its training value without validation.
  static func metric(_ name: String, hasValidation: Bool) -> String {
    !hasValidation && name.hasPrefix("val_") ? String(name.dropFirst(4)) : name
  }

  /// A new phase starts with its own learning rate: early stopping and the plateau start over.
  mutating func resetForPhase() {
    stopping?.reset()
    plateau?.reset()
  }

  /// The state's checkpoint metadata entries.
  var metadata: [String: String] {
    var metadata: [String: String] = [:]
    if let value = bestValue { metadata["best_value"] = String(value) }
    if let epoch = bestEpoch { metadata["best_epoch"] = String(epoch) }
    if let value = stopping?.best { metadata["stopping_best"] = String(value) }
    if let epoch = stopping?.bestEpoch { metadata["stopping_best_epoch"] = String(epoch) }
    metadata["epochs_without_improvement"] = String(stopping?.epochsWithoutImprovement ?? 0)
    metadata["plateau_scale"] = String(plateau?.scale ?? 1)
    metadata["plateau_epochs"] = String(plateau?.epochsWithoutImprovement ?? 0)
    if let value = plateau?.best { metadata["plateau_best"] = String(value) }
    return metadata
  }

  /// Reads back what `metadata` wrote, into a state whose monitors are already set up.
  mutating func restore(metadata: [String: String], completedEpochs: Int) {
    self.completedEpochs = completedEpochs
    bestValue = metadata["best_value"].flatMap(Double.init)
    bestEpoch = metadata["best_epoch"].flatMap(Int.init)
    stopping?.best = metadata["stopping_best"].flatMap(Double.init)
    stopping?.bestEpoch = metadata["stopping_best_epoch"].flatMap(Int.init)
    stopping?.epochsWithoutImprovement = metadata["epochs_without_improvement"].flatMap(Int.init) ?? 0
    plateau?.scale = metadata["plateau_scale"].flatMap(Double.init) ?? 1
    plateau?.epochsWithoutImprovement = metadata["plateau_epochs"].flatMap(Int.init) ?? 0
    plateau?.best = metadata["plateau_best"].flatMap(Double.init)
  }
}
