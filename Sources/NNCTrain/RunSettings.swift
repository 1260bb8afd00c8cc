import Foundation

/// The settings a resumed run must share with the run that wrote its checkpoint (besides the model,
/// which the spec hash covers): data and its sizes, seed, augmentation, loss, optimizer, batch size,
/// schedule, freezing and phases. Each is kept as canonical text under a key, in the checkpoint's
/// metadata. `epochs`, threads, metrics and reporting are free to change.
struct RunSettings: Equatable {
  static let metadataKey = "run_settings"

  var values: [String: String]

  init(values: [String: String]) { self.values = values }

  init(configuration: TrainingConfiguration, trainSamples: Int, validationSamples: Int) {
    var values: [String: String] = [
      "seed": String(configuration.seed),
      "batch_size": String(configuration.batchSize),
      "warmup_epochs": String(configuration.warmupEpochs),
      "clip_norm": Self.text(configuration.clipNorm),
      "augment": Self.text(configuration.augmentation),
      "freeze": Self.text(configuration.selection),
      "phases": Self.text(configuration.phases),
      "lr_multipliers": configuration.learningRateMultipliers.map { "\($0.pattern)=\($0.factor)" }
        .joined(separator: ","),
      "data.train_samples": String(trainSamples),
      "data.validation_samples": String(validationSamples),
    ]
    // Written only when set, so checkpoints from before these keys existed still resume.
    if configuration.warmupSteps > 0 { values["warmup_steps"] = String(configuration.warmupSteps) }
    if configuration.warmupPower != 1 { values["warmup_power"] = String(configuration.warmupPower) }
    if !configuration.decayMultipliers.isEmpty {
      values["decay_multipliers"] = configuration.decayMultipliers.map { "\($0.pattern)=\($0.factor)" }
        .joined(separator: ",")
    }
    // One key per field, so a refusal names the hyperparameter that changed.
    func fields(_ prefix: String, _ value: Any?) {
      guard let value else { return values[prefix] = "none" }
      for child in Mirror(reflecting: value).children {
        values[prefix + "." + (child.label ?? "?")] = Self.text(child.value)
      }
    }
    fields("loss", configuration.loss)
    fields("optimizer", configuration.optimizer)
    fields("schedule", configuration.schedule)
    fields("data", configuration.data)
    self.values = values
  }

  /// A value as text; optionals unwrapped, nil as "none".
  static func text(_ value: Any?) -> String {
    guard let value else { return "none" }
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
      return mirror.children.first.map { text($0.value) } ?? "none"
    }
    return String(describing: value)
  }

  /// As one metadata string: a JSON object, keys sorted.
  var encoded: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "{}"
  }

  init?(encoded: String) {
    guard let values = try? JSONDecoder().decode([String: String].self, from: Data(encoded.utf8)) else {
      return nil
    }
    self.values = values
  }

  /// "seed: 1 -> 2" for every key whose value differs from `saved`, sorted by key.
  func changes(since saved: RunSettings) -> [String] {
    Set(values.keys).union(saved.values.keys).sorted().compactMap { key in
      let old = saved.values[key] ?? "none"
      let new = values[key] ?? "none"
      return old == new ? nil : "\(key): \(old) -> \(new)"
    }
  }
}
