/// Which optimizations run: all by default, none with `--no-optimize`, or all but some with
/// `--disable-pass NAME`. Memory planning counts as a pass (`plan-memory`).
public struct OptimizationOptions: Sendable, Equatable {
  public var enabled: Bool
  public var disabledPasses: Set<String>
  /// Set by a trainer whose loss is cross-entropy on probabilities and can switch to logits: the
  /// model's final softmax is then fused into the loss (`FuseSoftmaxIntoLoss`).
  public var lossTakesLogits: Bool

  public init(enabled: Bool = true, disabledPasses: Set<String> = [], lossTakesLogits: Bool = false) {
    self.enabled = enabled
    self.disabledPasses = disabledPasses
    self.lossTakesLogits = lossTakesLogits
  }

  public static let all = OptimizationOptions()
  public static let none = OptimizationOptions(enabled: false)

  public func runs(_ pass: String) -> Bool { enabled && !disabledPasses.contains(pass) }

  /// Whether buffers with disjoint lifetimes share memory (else every tensor has its own).
  public var plansMemory: Bool { runs(MemoryPlanner.passName) }

  /// The name under which `--disable-pass` keeps an inference plan from running a channels-last
  /// depthwise convolution inside the pointwise convolution after it (a fusion of the execution
  /// plan, not of the graph).
  public static let separableFusionName = "fuse-separable"

  /// Whether inference plans run depthwise and pointwise pairs in one step.
  public var fusesSeparableConvolutions: Bool { runs(Self.separableFusionName) }
}

/// A pass produced a graph that fails verification: a bug in the pass, reported with its name.
public struct PassError: Error, CustomStringConvertible, Sendable {
  public var pass: String
  public var message: String
  public var description: String { "internal error: after pass '\(pass)': \(message)" }
}

/// Runs the passes in a fixed order, verifying the graph before the first and after each one.
///
/// The order matters: dropout goes first so a batchnorm or activation behind it becomes adjacent to
/// its producer; batchnorm folds into a convolution before an activation fuses onto the result;
/// in-place marking runs last, on the final nodes, since it depends on who reads what.
public enum PassManager {
  public static let passes: [any GraphPass] = passes(lossTakesLogits: false)

  static func passes(lossTakesLogits: Bool) -> [any GraphPass] {
    [
      RemoveDropout(), FuseSoftmaxIntoLoss(lossTakesLogits: lossTakesLogits), FoldBatchNorm(),
      FuseActivations(),
      FuseElementwise(), EliminateDeadCode(), UseChannelsLast(), MakeFlattenViews(), MakeActivationsInPlace(),
    ]
  }

  /// Every name `--disable-pass` accepts.
  public static var passNames: [String] {
    passes.map(\.name) + [OptimizationOptions.separableFusionName, MemoryPlanner.passName]
  }

  public static func optimize(_ graph: Graph, mode: GraphMode, options: OptimizationOptions = .all)
    throws(PassError)
    -> Graph
  {
    try GraphVerifier.verify(graph, mode: mode, after: "lowering")
    var graph = graph
    for pass in passes(lossTakesLogits: options.lossTakesLogits)
    where options.runs(pass.name) && pass.applies(to: mode) {
      graph = pass.run(graph, mode: mode)
      try GraphVerifier.verify(graph, mode: mode, after: pass.name)
    }
    return graph
  }
}
