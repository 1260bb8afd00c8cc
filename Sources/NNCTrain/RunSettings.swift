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
    func text(_ value: Any?) -> String {
      guard let value else { return "none" }
      return String(describing: value)
    }
    var values: [String: String] = [
      "seed": String(configuration.seed),
      "batch_size": String(configuration.batchSize),
      "loss": text(configuration.loss),
      "optimizer": text(configuration.optimizer),
      "schedule": text(configuration.schedule),
      "warmup_epochs": String(configuration.warmupEpochs),
      "clip_norm": text(configuration.clipNorm),
      "augment": text(configuration.augmentation),
      "freeze": text(configuration.selection),
      "phases": text(configuration.phases),
      "lr_multipliers": configuration.learningRateMultipliers.map { "\($0.pattern)=\($0.factor)" }
        .joined(separator: ","),
      "data.train_samples": String(trainSamples),
      "data.validation_samples": String(validationSamples),
    ]
    if let data = configuration.data {
      values["data.train"] = text(data.train)
      values["data.test"] = text(data.test)
      values["data.val"] = text(data.validation)
      values["data.validation_split"] = String(data.validationSplit)
      values["data.classes_subset"] = text(data.classesSubset)
      values["data.limit_per_class"] = text(data.limitPerClass)
      var rest = data
      rest.train = .init()
      rest.test = nil
      rest.validation = nil
      rest.validationSplit = 0
      rest.classesSubset = nil
      rest.limitPerClass = nil
      values["data.other"] = text(rest)
    }
    self.values = values
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
