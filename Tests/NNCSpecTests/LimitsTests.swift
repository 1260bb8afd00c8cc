import Testing

@testable import NNCSpec

/// Every integer a spec may give has an upper bound (the README's "Limits"), so products of them are
/// checked against known ranges.
@Suite struct LimitsTests {
  static func takesIntegers(_ type: ValueType) -> Bool {
    switch type {
    case .int, .intOrPair, .padding: return true
    case .list(let element), .dictionary(let element): return takesIntegers(element)
    case .either(let types): return types.contains(where: takesIntegers)
    case .number, .bool, .string, .choice, .map, .numberOrList, .numberListOrWord, .call: return false
    }
  }

  /// Every parameter of every signature and schema, with where it is, recursing into nested maps.
  static func parameters(of schema: [Parameter], at path: String) -> [(String, Parameter)] {
    schema.flatMap { parameter -> [(String, Parameter)] in
      let here = "\(path).\(parameter.name)"
      return [(here, parameter)] + nestedSchemas(parameter.type).flatMap { parameters(of: $0.keys, at: here) }
    }
  }

  static func nestedSchemas(_ type: ValueType) -> [Schema] {
    switch type {
    case .map(let schema): return [schema]
    case .list(let element), .dictionary(let element): return nestedSchemas(element)
    case .either(let types): return types.flatMap(nestedSchemas)
    case .call(let signatures): return signatures.map { Schema($0.parameters) }
    default: return []
    }
  }

  static var everyParameter: [(String, Parameter)] {
    let signatures =
      Array(Vocabulary.layers.values) + Vocabulary.losses + Vocabulary.optimizers + Vocabulary.schedules
      + Vocabulary.metrics + Vocabulary.augmentations
    return signatures.flatMap { parameters(of: $0.parameters, at: $0.name) }
      + parameters(of: Vocabulary.dataSchema.keys, at: "data")
      + parameters(of: Vocabulary.trainSchema.keys, at: "train")
  }

  @Test func everyIntegerKeyHasAnUpperBound() {
    let integers = Self.everyParameter.filter { Self.takesIntegers($0.1.type) }
    #expect(integers.count > 20)
    for (path, parameter) in integers {
      #expect(parameter.maximum != nil, "\(path) has no upper bound")
      if let maximum = parameter.maximum { #expect(maximum.value <= Double(Limits.seed), "\(path)") }
    }
  }

  @Test func valuesAtTheLimitPassAndPastItFail() {
    let units = Vocabulary.layers["dense"]!.parameter("units")!
    var diagnostics = DiagnosticBag()
    let atLimit = Expr(.int(Limits.size), at: .unknown)
    #expect(ArgumentChecker.checkValue(atLimit, units, context: "units", into: &diagnostics))
    let past = Expr(.int(Limits.size + 1), at: .unknown)
    #expect(!ArgumentChecker.checkValue(past, units, context: "units", into: &diagnostics))
    #expect(diagnostics.diagnostics.map(\.message) == ["units must be at most 16777216, found 16777217"])
  }

  @Test(arguments: [Double.nan, Double.infinity, 1e39, -1e39])
  func numbersMustBeFiniteAsFloat(_ value: Double) {
    let rate = Vocabulary.optimizers.first { $0.name == "sgd" }!.parameter("momentum")!
    var diagnostics = DiagnosticBag()
    #expect(
      !ArgumentChecker.checkValue(Expr(.double(value), at: .unknown), rate, context: "m", into: &diagnostics))
    #expect(diagnostics.diagnostics.first?.message.contains("must be a finite number") == true)
  }
}
