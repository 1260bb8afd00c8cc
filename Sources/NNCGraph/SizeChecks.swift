import NNCSpec

/// The bounds of `Limits` applied while lowering: each key is bounded by the checker, but bounded
/// sizes still multiply across layers (two `dense(16777216)` make 2^48 weights), and the expansion of
/// repeats is bounded as work rather than as layers produced.
extension Lowerer {
  /// Counts one step of expansion; false (with a diagnostic, once) when the budget is spent.
  mutating func takeExpansionStep(at location: SourceLocation) -> Bool {
    expansionSteps += 1
    guard expansionSteps > Limits.expansionSteps else { return true }
    if !aborted {
      aborted = true
      diagnostics.error(
        "expanding the model takes more than \(Limits.expansionSteps) steps (layers and repeat "
          + "iterations); check 'repeat' counts", at: location)
    }
    return false
  }

  /// Reports a value past its limit and stops lowering: the shapes after it are meaningless.
  mutating func reportTooLarge(_ what: String, limit: Int, at location: SourceLocation) {
    aborted = true
    diagnostics.error("\(what) would exceed the limit of \(limit); the model is too large", at: location)
  }

  /// Checks one node's output, parameters and FLOPs, and the model's running totals.
  mutating func checkSizes(
    _ op: Op, inputs: [Shape], output: Shape, parameters: [[Int]], at location: SourceLocation
  ) {
    guard let elements = CheckedArithmetic.product(output.sample), elements <= Limits.elements else {
      reportTooLarge("the elements per sample of its output \(output)", limit: Limits.elements, at: location)
      return
    }
    var parameterCount = 0
    for shape in parameters {
      guard let count = CheckedArithmetic.product(shape),
        let sum = CheckedArithmetic.sum([parameterCount, count])
      else {
        reportTooLarge("the parameters of a \(shape) weight", limit: Limits.elements, at: location)
        return
      }
      parameterCount = sum
    }
    guard let parameters = CheckedArithmetic.sum([totalParameters, parameterCount]),
      parameters <= Limits.elements
    else {
      reportTooLarge("the model's parameter count", limit: Limits.elements, at: location)
      return
    }
    guard let activations = CheckedArithmetic.sum([totalElements, elements]), activations <= Limits.elements
    else {
      reportTooLarge("the model's activation elements per sample", limit: Limits.elements, at: location)
      return
    }
    let nodeFlops = op.flops(inputs: inputs, output: output)
    guard let flops = CheckedArithmetic.sum([totalFlops, nodeFlops]), flops <= Limits.flops else {
      reportTooLarge("the model's forward FLOPs per sample", limit: Limits.flops, at: location)
      return
    }
    totalParameters = parameters
    totalElements = activations
    totalFlops = flops
  }
}
