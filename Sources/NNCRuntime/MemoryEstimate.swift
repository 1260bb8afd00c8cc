import NNCGraph

/// The memory a run needs, from an `ExecutionPlan`'s sizes alone: nothing is allocated, so a model
/// too large to build can be refused before it is built. The executor's buffers are counted exactly
/// as `Executor.init(plan:)` allocates them; callers add what the plan cannot know (optimizer state,
/// the data). Sizes use saturating arithmetic: a size that overflows `Int` stays at `Int.max`, which
/// no budget admits.
public struct MemoryEstimate: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case parameters
    case gradients
    case optimizerState = "optimizer state"
    case activations = "activation arena"
    case scratch = "kernel scratch"
    case contribution = "gradient contributions"
    case indices = "max-pooling indices"
    case saved = "saved statistics and masks"
    case folded = "folded batchnorm"
    case keptWeights = "kept prepared weights"
    case data
  }

  /// One buffer, or one layer's share of the parameters, gradients or optimizer state.
  public struct Part: Sendable, Equatable {
    public var kind: Kind
    /// The layer (parameters, gradients, optimizer state) or data split the part belongs to.
    public var owner: String?
    public var bytes: Int

    /// "parameters of 'dense'", "activation arena", "data 'train'".
    public var description: String {
      guard let owner else { return kind.rawValue }
      return kind == .data ? "data '\(owner)'" : "\(kind.rawValue) of '\(owner)'"
    }
  }

  public private(set) var parts: [Part] = []

  public init() {}

  /// The executor's buffers for `plan`, plus `optimizerStateCopies` copies of each trainable
  /// parameter (see `TrainingConfiguration.OptimizerSettings.stateCopies`).
  public init(plan: ExecutionPlan, optimizerStateCopies: Int = 0) {
    let floatBytes = MemoryLayout<Float>.stride
    var slots = plan.parameterLayout[...]
    var parameterElements = 0
    var gradientElements = 0
    for node in plan.sourceGraph.nodes where !node.parameters.isEmpty {
      var elements = 0
      var trainable = 0
      for _ in node.parameters {
        guard let slot = slots.popFirst() else { break }
        elements = Self.sum(elements, slot.info.count)
        if slot.gradientOffset != nil { trainable = Self.sum(trainable, slot.info.count) }
      }
      parameterElements = Self.sum(parameterElements, elements)
      gradientElements = Self.sum(gradientElements, trainable)
      add(.parameters, owner: node.name, elements: elements, elementBytes: floatBytes)
      if trainable > 0 {
        add(.gradients, owner: node.name, elements: trainable, elementBytes: floatBytes)
        add(
          .optimizerState, owner: node.name, elements: Self.product(trainable, optimizerStateCopies),
          elementBytes: floatBytes)
      }
    }
    // An empty store still allocates its one element (see `Arena.allocatedCount`).
    if parameterElements == 0 { add(.parameters, elements: 1, elementBytes: floatBytes) }
    if gradientElements == 0 { add(.gradients, elements: 1, elementBytes: floatBytes) }
    let sizes = plan.bufferSizes
    let buffers: [(Kind, Int, Int)] = [
      (.activations, plan.memoryPlan.arenaElements, floatBytes), (.scratch, sizes.scratch, floatBytes),
      (.contribution, sizes.contribution, floatBytes), (.indices, sizes.indices, MemoryLayout<Int32>.stride),
      (.saved, sizes.saved, floatBytes), (.folded, sizes.folded, floatBytes),
      (.keptWeights, sizes.keptWeights, floatBytes),
    ]
    for (kind, elements, elementBytes) in buffers {
      add(kind, elements: Arena<Float>.allocatedCount(elements), elementBytes: elementBytes)
    }
  }

  /// Adds `elements` of `elementBytes` each; empty parts are left out.
  public mutating func add(_ kind: Kind, owner: String? = nil, elements: Int, elementBytes: Int) {
    let bytes = Self.product(elements, elementBytes)
    guard bytes > 0 else { return }
    parts.append(Part(kind: kind, owner: owner, bytes: bytes))
  }

  public var totalBytes: Int { parts.reduce(0) { Self.sum($0, $1.bytes) } }

  /// True when a size overflowed: the run needs more bytes than an `Int` counts.
  public var overflows: Bool { totalBytes == Int.max }

  public func bytes(of kind: Kind) -> Int {
    parts.filter { $0.kind == kind }.reduce(0) { Self.sum($0, $1.bytes) }
  }

  /// The `count` largest parts, largest first (ties in the order they were added).
  public func largest(_ count: Int) -> [Part] {
    Array(
      parts.enumerated().sorted { ($0.element.bytes, -$0.offset) > ($1.element.bytes, -$1.offset) }
        .prefix(count).map(\.element))
  }

  /// The larger of two estimates (the one a run must fit).
  public static func larger(_ first: MemoryEstimate, _ second: MemoryEstimate) -> MemoryEstimate {
    second.totalBytes > first.totalBytes ? second : first
  }

  /// "4.0 GiB", or "more than 8.0 EiB" for a size that overflowed.
  public static func bytesText(_ bytes: Int) -> String {
    bytes == Int.max ? "more than 8.0 EiB" : MemoryPlanPrinter.bytesText(bytes)
  }

  static func sum(_ first: Int, _ second: Int) -> Int {
    let (result, overflow) = first.addingReportingOverflow(second)
    return overflow ? Int.max : result
  }

  static func product(_ first: Int, _ second: Int) -> Int {
    let (result, overflow) = first.multipliedReportingOverflow(by: second)
    return overflow ? Int.max : result
  }
}
