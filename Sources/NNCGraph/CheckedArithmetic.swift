/// Sizes come from specs, so their products can exceed `Int`. Lowering multiplies them with these
/// and reports a located diagnostic instead of trapping; once a graph exists, every count fits.
enum CheckedArithmetic {
  /// The product, or nil when it overflows `Int`.
  static func product(_ factors: [Int]) -> Int? {
    var result = 1
    for factor in factors {
      let (next, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// The sum, or nil when it overflows `Int`.
  static func sum(_ terms: [Int]) -> Int? {
    var result = 0
    for term in terms {
      let (next, overflow) = result.addingReportingOverflow(term)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// The product of non-negative factors, `Int.max` when it overflows: for counts (FLOPs) that are
  /// only compared against a limit far below `Int.max`.
  static func saturatingProduct(_ factors: Int...) -> Int { product(factors) ?? Int.max }

  static func saturatingSum(_ terms: Int...) -> Int { sum(terms) ?? Int.max }
}
