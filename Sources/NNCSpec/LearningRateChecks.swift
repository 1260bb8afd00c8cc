import Foundation

extension SpecValidator {
  /// A learning rate every phase starts from: the value, where it is written (nil for a default) and
  /// the epochs its schedule runs over.
  struct BaseRate {
    var value: Double
    var location: SourceLocation?
    var epochs: Int
  }

  /// Checks what each number's own range cannot: that the rate a schedule reaches stays a finite
  /// 32-bit float (a growing `gamma` over the epochs, times the largest `lr_multipliers` factor),
  /// and that a cosine schedule's `min_lr` is not above the rate it decays from. Training would
  /// otherwise stop on an infinite rate, or refuse the schedule, without a location. Numbers that
  /// are out of range on their own are reported by the schema and skipped here.
  static func checkLearningRates(_ spec: Spec, into diagnostics: inout DiagnosticBag) {
    guard case .map(let fields)? = spec.train?.kind else {
      checkSchedule(nil, warmup: 0, rates: baseRates(spec, fields: []), multiplier: nil, into: &diagnostics)
      return
    }
    let multiplier: (value: Double, location: SourceLocation)? =
      if case .map(let entries) = fields.first(where: { $0.key == "lr_multipliers" })?.value.kind {
        entries.compactMap { entry in finite(entry.value).map { ($0, entry.value.location) } }
          .max { $0.0 < $1.0 }
      } else { nil }
    var ignored = DiagnosticBag()
    let schedule = fields.first { $0.key == "schedule" }.flatMap {
      Spec.call(from: $0.value, diagnostics: &ignored)
    }
    let warmup: Int =
      if case .int(let value)? = fields.first(where: { $0.key == "warmup_epochs" })?.value.kind {
        max(value, 0)
      } else { 0 }
    checkSchedule(
      schedule, warmup: warmup, rates: baseRates(spec, fields: fields), multiplier: multiplier,
      into: &diagnostics)
  }

  static func checkSchedule(
    _ schedule: Call?, warmup: Int, rates: [BaseRate], multiplier: (value: Double, location: SourceLocation)?,
    into diagnostics: inout DiagnosticBag
  ) {
    var ignored = DiagnosticBag()
    let call = schedule.flatMap { call in
      Vocabulary.schedules.first { $0.name == call.name }.map {
        ArgumentChecker.labelled(call, $0, into: &ignored)
      }
    }
    func argument(_ name: String) -> (value: Double, location: SourceLocation)? {
      guard let expr = call?.arguments.first(where: { $0.label == name })?.value, let value = finite(expr)
      else { return nil }
      return (value, expr.location)
    }
    // Each cause is reported once, at the first phase it affects.
    var reportedPeak = false
    var reportedFloor = false
    for rate in rates {
      // The largest factor the decay multiplies the rate by: gamma to the number of decays, when
      // gamma grows; the last epoch is `epochs - 1` epochs after the first.
      var growthExponent = 0.0
      var growth: (value: Double, location: SourceLocation)?
      if let gamma = argument("gamma"), gamma.value > 1 {
        let elapsed = max(rate.epochs - 1 - warmup, 0)
        let every = call?.name == "step" ? Double(argument("every")?.value ?? 1) : 1
        growthExponent = (Double(elapsed) / max(every, 1)).rounded(.down)
        growth = gamma
      }
      let factor = multiplier.map { max($0.value, 1) } ?? 1
      let peakLog = log10(rate.value) + log10(factor) + growthExponent * log10(growth?.value ?? 1)
      if !reportedPeak, peakLog > log10(Double(Float.greatestFiniteMagnitude)) {
        reportedPeak = true
        var parts = ["the learning rate \(ArgumentChecker.formatted(rate.value))"]
        if let growth, growthExponent > 0 {
          parts.append(
            "\(call?.name ?? "") gamma \(ArgumentChecker.formatted(growth.value))^\(Int(growthExponent))")
        }
        if factor > 1 { parts.append("lr_multipliers factor \(ArgumentChecker.formatted(factor))") }
        let location = growth != nil && growthExponent > 0 ? growth!.location : multiplier?.location
        var notes: [Diagnostic] = []
        if let rateLocation = rate.location {
          notes.append(.note("the learning rate is set here", at: rateLocation))
        }
        let peak =
          peakLog < 308 ? String(format: "%.3g", pow(10, peakLog)) : "1e+\(Int(peakLog.rounded(.down)))"
        diagnostics.error(
          parts.joined(separator: " × ") + " reaches \(peak) over \(rate.epochs) "
            + (rate.epochs == 1 ? "epoch" : "epochs")
            + ", more than a 32-bit float holds (\(Float.greatestFiniteMagnitude))",
          at: location ?? rate.location, notes: notes)
      }
      if !reportedFloor, call?.name == "cosine", let minimum = argument("min_lr"), minimum.value > rate.value
      {
        reportedFloor = true
        var notes: [Diagnostic] = []
        if let rateLocation = rate.location {
          notes.append(.note("the learning rate is set here", at: rateLocation))
        }
        diagnostics.error(
          "'min_lr' of 'cosine' is \(ArgumentChecker.formatted(minimum.value)), more than the learning rate "
            + "\(ArgumentChecker.formatted(rate.value)) it decays from", at: minimum.location, notes: notes)
      }
    }
  }

  /// The optimizer's rate over `train.epochs`, or each phase's rate over the phase's epochs.
  static func baseRates(_ spec: Spec, fields: [MapEntry]) -> [BaseRate] {
    func optimizerRate(_ call: Call?) -> (value: Double, location: SourceLocation?)? {
      guard let call, let signature = Vocabulary.optimizers.first(where: { $0.name == call.name }) else {
        return nil
      }
      var ignored = DiagnosticBag()
      let labelled = ArgumentChecker.labelled(call, signature, into: &ignored)
      if let expr = labelled.arguments.first(where: { $0.label == "lr" })?.value {
        return finite(expr).map { ($0, expr.location) }
      }
      guard case .number(let value)? = signature.parameters.first(where: { $0.name == "lr" })?.defaultValue
      else { return nil }
      return (value, nil)
    }
    let main = optimizerRate(spec.optimizer ?? Call(name: OptimizerKind.specDefault.rawValue, at: .unknown))
    func integer(_ key: String, in entries: [MapEntry]) -> Int? {
      if case .int(let value)? = entries.first(where: { $0.key == key })?.value.kind { return value }
      return nil
    }
    guard case .list(let phases)? = fields.first(where: { $0.key == "phases" })?.value.kind, !phases.isEmpty
    else {
      guard let main else { return [] }
      return [
        BaseRate(value: main.value, location: main.location, epochs: integer("epochs", in: fields) ?? 10)
      ]
    }
    return phases.compactMap { phase -> BaseRate? in
      guard case .map(let entries) = phase.kind, let epochs = integer("epochs", in: entries) else {
        return nil
      }
      if let lr = entries.first(where: { $0.key == "lr" })?.value {
        return finite(lr).map { BaseRate(value: $0, location: lr.location, epochs: epochs) }
      }
      var ignored = DiagnosticBag()
      let own = entries.first { $0.key == "optimizer" }.flatMap {
        Spec.call(from: $0.value, diagnostics: &ignored)
      }
      guard let rate = own.map({ optimizerRate($0) }) ?? main else { return nil }
      return BaseRate(value: rate.value, location: rate.location, epochs: epochs)
    }
  }

  /// A positive number that is finite as a Float; anything else the schema reports on its own.
  static func finite(_ expr: Expr) -> Double? {
    let value: Double
    switch expr.kind {
    case .int(let int): value = Double(int)
    case .double(let double): value = double
    default: return nil
    }
    return value > 0 && Float(value).isFinite ? value : nil
  }
}
