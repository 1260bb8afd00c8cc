import Foundation

extension SpecValidator {
  /// Checks what the schema cannot: `init` and `init_from` together, rename patterns that are not
  /// valid regular expressions, and a phase that says both `freeze` and `trainable`.
  static func checkTransfer(_ train: Expr, into diagnostics: inout DiagnosticBag) {
    guard case .map(let entries) = train.kind else { return }
    let initEntry = entries.first { $0.key == "init" }
    if let initEntry, let shorthand = entries.first(where: { $0.key == "init_from" }) {
      diagnostics.error(
        "'init_from' and 'init' in train both say where weights come from", at: shorthand.keyLocation,
        notes: [
          .note("'init_from: PATH' is short for 'init: {from: PATH}'; keep one", at: initEntry.keyLocation)
        ])
    }
    if case .map(let fields) = initEntry?.value.kind,
      case .list(let rules) = fields.first(where: { $0.key == "rename" })?.value.kind
    {
      for rule in rules {
        guard case .map(let ruleFields) = rule.kind,
          let pattern = ruleFields.first(where: { $0.key == "pattern" }),
          case .string(let text) = pattern.value.kind
        else { continue }
        do {
          _ = try NSRegularExpression(pattern: text)
        } catch {
          diagnostics.error(
            "'\(text)' in train.init.rename is not a valid regular expression", at: pattern.value.location,
            notes: [.note("patterns use ICU syntax: escape a literal dot as '\\\\.', group with ( )")])
        }
      }
    }
    if case .list(let phases) = entries.first(where: { $0.key == "phases" })?.value.kind {
      if phases.isEmpty {
        diagnostics.error("train.phases is empty; remove it or list at least one phase", at: train.location)
      }
      for phase in phases {
        guard case .map(let fields) = phase.kind,
          let freeze = fields.first(where: { $0.key == "freeze" }),
          fields.contains(where: { $0.key == "trainable" })
        else { continue }
        diagnostics.error(
          "a phase takes 'freeze' or 'trainable', not both", at: freeze.keyLocation,
          notes: [.note("'trainable: [patterns]' freezes every other layer")])
      }
    }
  }
}
