/// Padding as written: `same`, `valid`, or explicit amounts (top, bottom, left, right).
public enum PaddingValue: Sendable, Equatable {
  case same
  case valid
  case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// Arguments of a call after checking them against a signature: every value has the declared type
/// and lies in range, so the typed getters below cannot fail on a checked call.
public struct CheckedArguments: Sendable {
  public var values: [String: Expr]
  public let signature: Signature

  public func expr(_ name: String) -> Expr? { values[name] }

  public func isGiven(_ name: String) -> Bool { values[name] != nil }

  public func int(_ name: String) -> Int? {
    guard let expr = values[name] ?? defaultExpr(name), case .int(let value) = expr.kind else { return nil }
    return value
  }

  public func double(_ name: String) -> Double? {
    guard let expr = values[name] ?? defaultExpr(name) else { return nil }
    return expr.numberValue
  }

  public func bool(_ name: String) -> Bool? {
    guard let expr = values[name] ?? defaultExpr(name), case .bool(let value) = expr.kind else { return nil }
    return value
  }

  public func string(_ name: String) -> String? {
    guard let expr = values[name] ?? defaultExpr(name), case .string(let value) = expr.kind else {
      return nil
    }
    return value
  }

  /// An int `k` as `(k, k)`, or a pair `[h, w]`.
  public func pair(_ name: String) -> (Int, Int)? {
    guard let expr = values[name] ?? defaultExpr(name) else { return nil }
    return expr.intPair
  }

  public func padding(_ name: String) -> PaddingValue? {
    guard let expr = values[name] ?? defaultExpr(name) else { return nil }
    switch expr.kind {
    case .string("same"): return .same
    case .string("valid"): return .valid
    default:
      guard let (h, w) = expr.intPair else { return nil }
      return .explicit(top: h, bottom: h, left: w, right: w)
    }
  }

  public func numbers(_ name: String) -> [Double]? {
    guard let expr = values[name] ?? defaultExpr(name) else { return nil }
    if let value = expr.numberValue { return [value] }
    guard case .list(let items) = expr.kind else { return nil }
    return items.compactMap(\.numberValue)
  }

  private func defaultExpr(_ name: String) -> Expr? {
    guard let value = signature.parameter(name)?.defaultValue else { return nil }
    let kind: Expr.Kind =
      switch value {
      case .int(let v): .int(v)
      case .number(let v): .double(v)
      case .bool(let v): .bool(v)
      case .string(let v): .string(v)
      }
    return Expr(kind, at: .unknown)
  }
}

extension Expr {
  public var numberValue: Double? {
    switch kind {
    case .int(let value): return Double(value)
    case .double(let value): return value
    default: return nil
    }
  }

  public var intPair: (Int, Int)? {
    switch kind {
    case .int(let value): return (value, value)
    case .list(let items) where items.count == 2:
      guard case .int(let h) = items[0].kind, case .int(let w) = items[1].kind else { return nil }
      return (h, w)
    default: return nil
    }
  }

  /// How the value reads in a message.
  public var displayText: String {
    switch kind {
    case .int(let value): return String(value)
    case .double(let value): return String(value)
    case .bool(let value): return String(value)
    case .string(let value): return "'\(value)'"
    case .reference(let name): return "$\(name)"
    case .list(let items): return "[" + items.map(\.displayText).joined(separator: ", ") + "]"
    case .map: return "a map"
    }
  }
}

/// Checks values against the vocabulary's types and ranges, producing diagnostics with locations.
public enum ArgumentChecker {
  /// Checks a call's arguments: unknown labels (with a suggestion), missing required ones, types and
  /// ranges. `what` names the callee in messages ("layer 'conv2d'", "optimizer 'adam'").
  public static func check(
    _ call: Call, against signature: Signature, what: String, into diagnostics: inout DiagnosticBag
  ) -> CheckedArguments {
    var values: [String: Expr] = [:]
    var seen: [String: SourceLocation] = [:]
    let names = signature.parameters.map(\.name)
    for argument in call.arguments {
      guard let label = argument.label else { continue }
      if let first = seen[label] {
        diagnostics.error(
          "argument '\(label)' is given twice", at: argument.labelLocation,
          notes: [.note("first given here", at: first)])
        continue
      }
      seen[label] = argument.labelLocation
      if label.hasPrefix("_") {
        continue  // an excess positional argument, already reported
      }
      guard let parameter = signature.parameter(label) else {
        let hint =
          Suggestions.closest(to: label, in: names).map { "; did you mean '\($0)'?" }
          ?? (names.isEmpty ? "; it takes no arguments" : "; it takes " + names.joined(separator: ", "))
        diagnostics.error("unknown argument '\(label)' for \(what)\(hint)", at: argument.labelLocation)
        continue
      }
      if checkValue(argument.value, parameter, context: "'\(label)' of \(what)", into: &diagnostics) {
        values[label] = argument.value
      }
    }
    for parameter in signature.parameters where parameter.isRequired && seen[parameter.name] == nil {
      diagnostics.error("\(what) needs a value for '\(parameter.name)'", at: call.location)
    }
    return CheckedArguments(values: values, signature: signature)
  }

  /// Checks a map against a schema; returns the entries that passed.
  @discardableResult
  public static func check(
    map expr: Expr, against schema: Schema, what: String, into diagnostics: inout DiagnosticBag
  ) -> [String: Expr] {
    guard case .map(let entries) = expr.kind else {
      diagnostics.error(
        "\(what) must be a map of keys to values, found \(expr.displayText)", at: expr.location)
      return [:]
    }
    var result: [String: Expr] = [:]
    let keys = schema.keys.map(\.name)
    for entry in entries {
      guard let parameter = schema.key(entry.key) else {
        diagnostics.error(
          "unknown key '\(entry.key)' in \(what)\(Suggestions.didYouMean(entry.key, in: keys))",
          at: entry.keyLocation)
        continue
      }
      if checkValue(entry.value, parameter, context: "'\(entry.key)' in \(what)", into: &diagnostics) {
        result[entry.key] = entry.value
      }
    }
    for parameter in schema.keys where parameter.isRequired && result[parameter.name] == nil {
      if !entries.contains(where: { $0.key == parameter.name }) {
        diagnostics.error("\(what) needs a value for '\(parameter.name)'", at: expr.location)
      }
    }
    return result
  }

  /// Checks one value; returns whether it is usable.
  public static func checkValue(
    _ value: Expr, _ parameter: Parameter, context: String, into diagnostics: inout DiagnosticBag
  ) -> Bool {
    if case .reference(let name) = value.kind {
      diagnostics.error(
        "'$\(name)' refers to a block parameter, but \(context) is not inside a block", at: value.location)
      return false
    }
    guard matches(value, parameter.type, context: context, into: &diagnostics) else { return false }
    return inRange(value, parameter, context: context, into: &diagnostics)
  }

  static func typeError(
    _ value: Expr, _ type: ValueType, _ context: String, into diagnostics: inout DiagnosticBag
  ) {
    diagnostics.error(
      "\(context) must be \(type.description), found \(value.displayText)", at: value.location)
  }

  static func matches(
    _ value: Expr, _ type: ValueType, context: String, into diagnostics: inout DiagnosticBag
  ) -> Bool {
    switch (type, value.kind) {
    case (.int, .int), (.bool, .bool), (.string, .string): return true
    case (.number, .int), (.number, .double), (.numberOrList, .int), (.numberOrList, .double): return true
    case (.choice(let words), .string(let word)):
      if words.contains(word) { return true }
      diagnostics.error(
        "\(context) must be \(type.description), found '\(word)'\(Suggestions.didYouMean(word, in: words))",
        at: value.location)
      return false
    case (.intOrPair, _):
      if value.intPair != nil { return true }
    case (.padding, .string(let word)):
      if word == "same" || word == "valid" { return true }
      diagnostics.error(
        "\(context) must be \(type.description), found '\(word)'"
          + Suggestions.didYouMean(word, in: ["same", "valid"]), at: value.location)
      return false
    case (.padding, _):
      if value.intPair != nil { return true }
    case (.numberOrList, .list(let items)):
      if !items.isEmpty, items.allSatisfy({ $0.numberValue != nil }) { return true }
    case (.numberListOrWord, .int), (.numberListOrWord, .double): return true
    case (.numberListOrWord(let words), .string(let word)):
      if words.contains(word) { return true }
      diagnostics.error(
        "\(context) must be \(type.description), found '\(word)'\(Suggestions.didYouMean(word, in: words))",
        at: value.location)
      return false
    case (.numberListOrWord, .list(let items)):
      if !items.isEmpty, items.allSatisfy({ $0.numberValue != nil }) { return true }
    case (.list(let element), .list(let items)):
      return items.allSatisfy { matches($0, element, context: context, into: &diagnostics) }
    case (.map(let schema), .map):
      check(map: value, against: schema, what: context, into: &diagnostics)
      return true
    case (.either(let types), _):
      // The first alternative that fits without errors wins; its warnings are kept.
      for alternative in types {
        var trial = DiagnosticBag()
        if matches(value, alternative, context: context, into: &trial), !trial.hasErrors {
          diagnostics.append(contentsOf: trial.diagnostics)
          return true
        }
      }
      // A map is checked against the map alternative, for a precise message about its keys.
      if case .map = value.kind,
        let schema = types.first(where: { if case .map = $0 { true } else { false } })
      {
        return matches(value, schema, context: context, into: &diagnostics)
      }
    case (.dictionary(let element), .map(let entries)):
      return entries.allSatisfy {
        matches($0.value, element, context: "'\($0.key)' in \(context)", into: &diagnostics)
      }
    case (.call(let signatures), .string(let name)):
      guard let signature = signatures.first(where: { $0.name == name }) else {
        diagnostics.error(
          "\(context) must be \(type.description), found '\(name)'"
            + Suggestions.didYouMean(name, in: signatures.map(\.name)), at: value.location)
        return false
      }
      _ = check(
        Call(name: name, at: value.location), against: signature, what: "'\(name)'", into: &diagnostics)
      return true
    case (.call(let signatures), .map(let entries)) where entries.count == 1:
      let entry = entries[0]
      guard let signature = signatures.first(where: { $0.name == entry.key }) else {
        diagnostics.error(
          "\(context) must be \(type.description), found '\(entry.key)'"
            + Suggestions.didYouMean(entry.key, in: signatures.map(\.name)), at: entry.keyLocation)
        return false
      }
      let call = labelled(
        Call(name: entry.key, arguments: mapArguments(entry.value), at: entry.keyLocation), signature,
        into: &diagnostics)
      _ = check(call, against: signature, what: "'\(entry.key)'", into: &diagnostics)
      return true
    default: break
    }
    typeError(value, type, context, into: &diagnostics)
    return false
  }

  /// `{step: {every: 5}}` carries its arguments as a map; a scalar is a single positional value.
  public static func mapArguments(_ value: Expr) -> [Argument] {
    switch value.kind {
    case .map(let entries):
      return entries.map { Argument(label: $0.key, labelLocation: $0.keyLocation, value: $0.value) }
    default:
      return [Argument(label: nil, labelLocation: value.location, value: value)]
    }
  }

  /// Labels positional arguments by the signature's positional parameters; extra ones are reported.
  public static func labelled(_ call: Call, _ signature: Signature, into diagnostics: inout DiagnosticBag)
    -> Call
  {
    var call = call
    var positional = signature.positional[...]
    for index in call.arguments.indices where call.arguments[index].label == nil {
      if let name = positional.popFirst() {
        call.arguments[index].label = name
      } else {
        diagnostics.error(
          "'\(call.name)' takes no more positional arguments", at: call.arguments[index].value.location)
        call.arguments[index].label = "_"
      }
    }
    return call
  }

  static func inRange(
    _ value: Expr, _ parameter: Parameter, context: String, into diagnostics: inout DiagnosticBag
  ) -> Bool {
    for (item, isNested) in numberItems(value, parameter.type, depth: 0) {
      guard let number = item.numberValue else { continue }
      let shown = if case .int(let int) = item.kind { String(int) } else { formatted(number) }
      // Every number ends up a Float (or an Int for integers): 1e39 or nan would be inf or nan there.
      if case .double = item.kind, !Float(number).isFinite {
        diagnostics.error(
          "\(context) must be a finite number of at most \(Float.greatestFiniteMagnitude) in magnitude, "
            + "found \(shown)", at: item.location)
        return false
      }
      // Lists of lists have their own layout checks, which report a negative amount with the layout.
      if !isNested, let minimum = parameter.minimum,
        minimum.inclusive ? number < minimum.value : number <= minimum.value
      {
        let bound = minimum.inclusive ? "at least" : "greater than"
        diagnostics.error(
          "\(context) must be \(bound) \(formatted(minimum.value)), found \(shown)", at: item.location)
        return false
      }
      if let maximum = parameter.maximum,
        maximum.inclusive ? number > maximum.value : number >= maximum.value
      {
        let bound = maximum.inclusive ? "at most" : "less than"
        diagnostics.error(
          "\(context) must be \(bound) \(formatted(maximum.value)), found \(shown)", at: item.location)
        return false
      }
    }
    return true
  }

  /// The numbers of a value, at any depth of lists (`[[top, bottom], [left, right]]`) and, for a
  /// dictionary type, its map's values.
  static func numberItems(_ value: Expr, _ type: ValueType, depth: Int) -> [(Expr, isNested: Bool)] {
    switch value.kind {
    case .int, .double: return [(value, depth > 1)]
    case .list(let items): return items.flatMap { numberItems($0, type, depth: depth + 1) }
    case .map(let entries):
      guard case .dictionary = type else { return [] }
      return entries.flatMap { numberItems($0.value, type, depth: depth + 1) }
    default: return []
    }
  }

  static func formatted(_ number: Double) -> String {
    number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
  }
}
