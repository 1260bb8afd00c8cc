/// A checkpoint is only worth keeping when every value in it is a number: a diverging run can keep
/// a finite loss for a while its weights already hold infinities.
extension Checkpoint {
  /// The parameters and optimizer-state tensors holding NaN or infinite values, by name, with how
  /// many such values each holds; sorted by name.
  public var nonFiniteTensors: [(name: String, count: Int)] {
    var found: [(name: String, count: Int)] = []
    for (name, parameter) in parameters {
      let count = parameter.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
      if count > 0 { found.append((name, count)) }
    }
    for (key, values) in optimizerState {
      let count = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
      if count > 0 { found.append((Self.optimizerPrefix + key, count)) }
    }
    return found.sorted { $0.name < $1.name }
  }

  /// "12 non-finite values in fc1.weight, 3 in fc1.bias", or nil when every value is finite.
  public var nonFiniteSummary: String? {
    let found = nonFiniteTensors
    guard let first = found.first else { return nil }
    let shown = found.prefix(3).dropFirst().map { "\($0.count) in \($0.name)" }
    let more = found.count > 3 ? ", and \(found.count - 3) more tensors" : ""
    return (["\(first.count) non-finite values in \(first.name)"] + shown).joined(separator: ", ") + more
  }
}
