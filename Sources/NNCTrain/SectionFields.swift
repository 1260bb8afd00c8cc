import NNCSpec

/// The entries of a spec map (the `train` section, `early_stopping`, a phase) read against its
/// schema: a key that is not written takes the schema's default, so defaults live in `Vocabulary`
/// alone.
struct SectionFields {
  let entries: [String: Expr]
  let schema: Schema

  init(_ expr: Expr?, schema: Schema) {
    if case .map(let entries) = expr?.kind {
      self.entries = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    } else {
      entries = [:]
    }
    self.schema = schema
  }

  subscript(_ key: String) -> Expr? { entries[key] }

  func int(_ key: String) -> Int? {
    if case .int(let value) = entries[key]?.kind { return value }
    if case .int(let value) = schema.key(key)?.defaultValue { return value }
    return nil
  }

  func double(_ key: String) -> Double? {
    if let value = entries[key]?.numberValue { return value }
    switch schema.key(key)?.defaultValue {
    case .number(let value): return value
    case .int(let value): return Double(value)
    default: return nil
    }
  }

  func bool(_ key: String) -> Bool? {
    if case .bool(let value) = entries[key]?.kind { return value }
    if case .bool(let value) = schema.key(key)?.defaultValue { return value }
    return nil
  }

  func string(_ key: String) -> String? {
    if case .string(let value) = entries[key]?.kind { return value }
    if case .string(let value) = schema.key(key)?.defaultValue { return value }
    return nil
  }
}
