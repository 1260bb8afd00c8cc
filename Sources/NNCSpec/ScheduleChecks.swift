extension SpecValidator {
  /// Checks what the schedule's schema cannot: `step` needs its interval in epochs or in steps,
  /// `multistep` its milestones in one of the two, increasing, and one warm-up length at most.
  static func checkSchedule(_ train: Expr, into diagnostics: inout DiagnosticBag) {
    guard case .map(let fields) = train.kind else { return }
    let warmups = fields.filter { entry in
      guard entry.key == "warmup_epochs" || entry.key == "warmup_steps" else { return false }
      if case .int(0) = entry.value.kind { return false }
      return true
    }
    if warmups.count == 2 {
      diagnostics.error(
        "'warmup_steps' and 'warmup_epochs' in train both set the warm-up; keep one",
        at: warmups[1].keyLocation, notes: [.note("the other is set here", at: warmups[0].keyLocation)])
    }
    guard let schedule = fields.first(where: { $0.key == "schedule" })?.value else { return }
    let name: String
    let nameLocation: SourceLocation
    var arguments: [MapEntry] = []
    switch schedule.kind {
    case .string(let word):
      (name, nameLocation) = (word, schedule.location)
    case .map(let entries) where entries.count == 1:
      (name, nameLocation) = (entries[0].key, entries[0].keyLocation)
      // A lone value is positional, and neither schedule takes one: the argument checker says so.
      guard case .map(let given) = entries[0].value.kind else { return }
      arguments = given
    default: return
    }
    guard name == "step" || name == "multistep" else { return }
    let alternatives = name == "step" ? ("every", "every_steps") : ("milestones", "milestone_steps")
    let given = arguments.filter { $0.key == alternatives.0 || $0.key == alternatives.1 }
    if given.isEmpty {
      diagnostics.error(
        "'\(name)' needs '\(alternatives.0)' (epochs) or '\(alternatives.1)' (optimizer steps)",
        at: nameLocation)
    } else if given.count > 1 {
      diagnostics.error(
        "'\(alternatives.0)' and '\(alternatives.1)' in '\(name)' both set the interval; keep one",
        at: given[1].keyLocation)
    }
    for entry in given where name == "multistep" {
      guard case .list(let items) = entry.value.kind else { continue }
      let values = items.compactMap { item -> (Int, SourceLocation)? in
        if case .int(let value) = item.kind { return (value, item.location) }
        return nil
      }
      if let bad = zip(values, values.dropFirst()).first(where: { $0.0 >= $1.0 }) {
        diagnostics.error(
          "'\(entry.key)' must increase: \(bad.1.0) follows \(bad.0.0)", at: bad.1.1)
      }
    }
  }
}
