import Foundation

/// The settings a resumed run must share with the run that wrote its checkpoint (besides the model,
/// which the spec hash covers): data and its sizes, seed, augmentation, loss, optimizer, batch size,
/// schedule, freezing and phases. Each is kept as canonical text under a key, in the checkpoint's
/// metadata. `epochs`, threads, metrics and reporting are free to change.
struct RunSettings: Equatable {
  static let metadataKey = "run_settings"

  var values: [String: String]

  init(values: [String: String]) { self.values = values }

  /// `data.workers`, `data.prefetch` and `data.cache`: batches are the same bits whatever they are.
  static let loaderFields: Set<String> = ["workers", "prefetch", "cache"]

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
        // How the loader reads the data changes no result: a run may resume with other values.
        if prefix == "data", let label = child.label, Self.loaderFields.contains(label) { continue }
        // Stored only when on, so checkpoints from before `data.fast_jpeg` existed still resume.
        if prefix == "data", child.label == "fastJPEG", child.value as? Bool == false { continue }
        if prefix == "data", child.label == "centerCrop", Self.text(child.value) == "none" { continue }
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

  /// "train.seed: 1 -> 2" for every setting whose value differs from `saved`, named by its spec key
  /// (`optimizer.adam.lr`, `train.batch_size`), sorted by that name.
  func changes(since saved: RunSettings) -> [String] {
    Set(values.keys).union(saved.values.keys).compactMap { key -> (String, String)? in
      let old = saved.values[key] ?? "none"
      let new = values[key] ?? "none"
      guard old != new else { return nil }
      // Kinds are stored as Swift case names (crossEntropy); the spec writes cross_entropy.
      let shown = key.hasSuffix(".kind") ? (Self.snakeCase(old), Self.snakeCase(new)) : (old, new)
      return (specKey(key, saved: saved), "\(shown.0) -> \(shown.1)")
    }.sorted { $0.0 < $1.0 }.map { "\($0.0): \($0.1)" }
  }

  /// Where a setting is written in a spec. Settings are stored under the configuration's field
  /// names (checkpoints already written keep matching); the user reads the keys they write. A
  /// field of the optimizer, loss or schedule is named under its current kind (the old one when it
  /// was removed).
  func specKey(_ key: String, saved: RunSettings) -> String {
    if let name = Self.topLevelKeys[key] { return name }
    let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
    guard parts.count == 2, let section = Self.sections[parts[0]] else { return key }
    if parts[1] == "kind" { return section }
    let field = Self.fieldKeys[parts[1]] ?? Self.snakeCase(parts[1])
    guard parts[0] != "data" else { return "data." + field }
    let kind = Self.snakeCase(values[parts[0] + ".kind"] ?? saved.values[parts[0] + ".kind"] ?? "?")
    return "\(section).\(kind).\(field)"
  }

  static let topLevelKeys = [
    "seed": "train.seed", "batch_size": "train.batch_size", "warmup_epochs": "train.warmup_epochs",
    "clip_norm": "train.clip_norm", "augment": "augment", "freeze": "train.freeze", "phases": "train.phases",
    "lr_multipliers": "train.lr_multipliers", "data.train_samples": "data (training samples)",
    "data.validation_samples": "data (validation samples)", "data": "data",
  ]

  /// The spec key of each stored section.
  static let sections = [
    "loss": "loss", "optimizer": "optimizer", "schedule": "train.schedule", "data": "data",
  ]

  /// Fields whose spec key is not their name in snake case.
  static let fieldKeys = [
    "learningRate": "lr", "minimumLearningRate": "min_lr", "validation": "val", "fastJPEG": "fast_jpeg",
  ]

  static func snakeCase(_ name: String) -> String {
    name.reduce(into: "") { result, character in
      if character.isUppercase {
        result += "_" + character.lowercased()
      } else {
        result.append(character)
      }
    }
  }
}
