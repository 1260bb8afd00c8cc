import NNCSpec

/// An SSA value: produced once (by the input or a node), read by any number of nodes.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let index: Int
  public init(_ index: Int) { self.index = index }
  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }
  public var description: String { "%\(index)" }
}

public enum ParameterRole: String, Sendable, Equatable {
  case weight
  case bias
  case gamma
  case beta
  case runningMean = "running_mean"
  case runningVariance = "running_var"
}

/// How a parameter starts before training.
public enum InitializerKind: Sendable, Equatable {
  case heNormal
  case heUniform
  case glorotUniform
  case glorotNormal
  case zeros
  case ones
  /// Caffe's `xavier`: `U(-a, a)` with `a = sqrt(3 / n)`, `n` the fan-in, the fan-out or their mean.
  case xavier(XavierNorm)
  case lecunNormal
  case lecunUniform
  case normal(mean: Double, std: Double)
  case uniform(low: Double, high: Double)
  case constant(Double)
  case orthogonal(gain: Double)

  /// Caffe's `variance_norm`.
  public enum XavierNorm: String, Sendable, Equatable {
    case fanIn = "fan_in"
    case fanOut = "fan_out"
    case average
  }
}

/// A learned (or tracked) tensor owned by a node.
public struct ParameterInfo: Sendable, Equatable {
  /// Unique across the graph: `<node name>.<role>`.
  public var name: String
  public var shape: [Int]
  public var role: ParameterRole
  public var trainable: Bool
  public var initializer: InitializerKind
  /// Fan-in and fan-out used by the variance-scaling initializers.
  public var fanIn: Int
  public var fanOut: Int

  public var count: Int { shape.reduce(1, *) }
}

public struct Node: Sendable {
  public var name: String
  public var op: Op
  public var inputs: [ValueID]
  public var output: ValueID
  public var parameters: [ParameterInfo]
  /// The spec line the node came from.
  public var location: SourceLocation
  /// The vocabulary word shown in summaries (`separable_conv2d` lowers to two convolution nodes).
  public var layerName: String
  /// Set by the optimizer when the output shares its buffer with the first input: an activation that
  /// overwrites its input, or a `flatten` that is only a view of it.
  public var inPlace: Bool = false
  /// Names of the nodes the optimizer merged into this one, in order (for the IR dump).
  public var fusedNodes: [String] = []
  /// Set by `trainable: false` or a `train.freeze` pattern: the parameters stay fixed and a frozen
  /// batchnorm normalizes with its running statistics even while training (as Keras does).
  public var isFrozen = false
  /// Set by the layer's own `trainable: false`: frozen whatever `train.freeze` or a phase says.
  public var isFrozenInModel = false

  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

public struct ParameterTotals: Sendable, Equatable, Codable {
  public var trainable: Int
  public var nonTrainable: Int
  public var total: Int { trainable + nonTrainable }

  public init(trainable: Int, nonTrainable: Int) {
    self.trainable = trainable
    self.nonTrainable = nonTrainable
  }
}

/// The lowered model: nodes in topological order over SSA values with inferred shapes.
public struct Graph: Sendable {
  public var name: String
  public var input: ValueID
  public var output: ValueID
  public var nodes: [Node]
  /// Shapes by value index.
  public var shapes: [Shape]

  public func shape(of value: ValueID) -> Shape { shapes[value.index] }

  public var inputShape: Shape { shape(of: input) }
  public var outputShape: Shape { shape(of: output) }

  public var parameterTotals: ParameterTotals {
    var totals = ParameterTotals(trainable: 0, nonTrainable: 0)
    for parameter in nodes.flatMap(\.parameters) {
      if parameter.trainable {
        totals.trainable += parameter.count
      } else {
        totals.nonTrainable += parameter.count
      }
    }
    return totals
  }

  /// The node producing each value (nil for the graph input).
  public var producers: [Int?] {
    var result = [Int?](repeating: nil, count: shapes.count)
    for (index, node) in nodes.enumerated() { result[node.output.index] = index }
    return result
  }

  /// Forward floating-point operations for one sample (a multiply-add counts as two).
  public var flopsPerSample: Int {
    nodes.reduce(0) {
      $0 + $1.op.flops(inputs: $1.inputs.map { shape(of: $0) }, output: shape(of: $1.output))
    }
  }
}

extension Graph {
  /// Per value: whether training computes its gradient — it comes from a node with trainable
  /// parameters, or from a value that does. Below a frozen base nothing does, so backward stops
  /// there and no gradient memory is planned for those values.
  public var valuesNeedingGradient: [Bool] {
    var needs = [Bool](repeating: false, count: shapes.count)
    for node in nodes {
      needs[node.output.index] =
        node.parameters.contains(where: \.trainable) || node.inputs.contains { needs[$0.index] }
    }
    return needs
  }
}
