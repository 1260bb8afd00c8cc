import NNCGraph

/// The phases of a run as `Trainer` runs them: each phase's epochs, graph (its `freeze`/`trainable`
/// selection applied) and optimizer at its learning rate. Without `train.phases` the whole run is
/// one phase of `train.epochs` with the spec's optimizer and the lowered graph.
public struct PhasePlan: Sendable {
  public struct Phase: Sendable {
    /// 0-based.
    public var index: Int
    /// The 0-based epoch the phase starts at.
    public var firstEpoch: Int
    public var epochs: Int
    public var optimizer: TrainingConfiguration.OptimizerSettings
    /// The lowered graph with the phase's trainable selection.
    public var graph: Graph

    /// The layers with a trainable parameter, in graph order.
    public var trainableLayers: [String] { trainableNodes.map(\.name) }
    /// The trainable parameters' names, in graph order.
    public var trainableParameterNames: [String] {
      trainableNodes.flatMap { $0.parameters.filter(\.trainable).map(\.name) }
    }
    /// Trainable and frozen parameter counts (running statistics count as frozen).
    public var parameterTotals: ParameterTotals { graph.parameterTotals }

    var trainableNodes: [Node] { graph.nodes.filter { $0.parameters.contains(where: \.trainable) } }
  }

  public let phases: [Phase]

  public init(graph: Graph, configuration: TrainingConfiguration) {
    let count = max(configuration.phases.count, 1)
    var start = 0
    phases = (0..<count).map { index in
      let phases = configuration.phases
      let epochs = phases.indices.contains(index) ? phases[index].epochs : configuration.epochs
      defer { start += epochs }
      return Phase(
        index: index, firstEpoch: start, epochs: epochs,
        optimizer: Self.optimizerSettings(phase: index, configuration),
        graph: Self.graph(graph, phase: index, configuration))
    }
  }

  /// The graph of a phase: its `freeze`/`trainable` selection, or `train.freeze` as lowered.
  static func graph(_ graph: Graph, phase: Int, _ configuration: TrainingConfiguration) -> Graph {
    guard configuration.phases.indices.contains(phase), let selection = configuration.phases[phase].selection
    else { return graph }
    return graph.applying(selection)
  }

  /// The optimizer settings of a phase: its own optimizer or the spec's, at its learning rate.
  static func optimizerSettings(phase: Int, _ configuration: TrainingConfiguration)
    -> TrainingConfiguration.OptimizerSettings
  {
    guard configuration.phases.indices.contains(phase) else { return configuration.optimizer }
    var settings = configuration.phases[phase].optimizer ?? configuration.optimizer
    if let rate = configuration.phases[phase].learningRate { settings.learningRate = rate }
    return settings
  }

  /// The epoch (0-based) at which `phase` starts.
  public func start(of phase: Int) -> Int {
    phases.indices.contains(phase) ? phases[phase].firstEpoch : phases.reduce(0) { $0 + $1.epochs }
  }

  /// The phase that runs epoch `epoch` (0-based); the last phase for anything past the end.
  public func phase(ofEpoch epoch: Int) -> Int {
    phases.firstIndex { epoch < $0.firstEpoch + $0.epochs } ?? phases.count - 1
  }
}
