import NNCGraph
import NNCTrain

/// What `nnc check` shows about staged fine-tuning: per phase, its epochs, optimizer and learning
/// rate, which layers and parameters train, and how many parameters are trainable and frozen.
/// Without `train.phases` the whole run is one phase.
struct PhaseSummary: Encodable {
  /// 1-based, as `nnc train` announces phases.
  var phase: Int
  var first_epoch: Int
  var last_epoch: Int
  var optimizer: String
  var lr: Double
  /// Parameters that train in this phase; `frozen_params` counts the rest (running statistics too).
  var trainable_params: Int
  var frozen_params: Int
  var trainable_layers: [String]
  var trainable_parameters: [String]

  /// NNCTrain's phase plan, as `nnc train` will run it.
  static func phases(graph: Graph, configuration: TrainingConfiguration) -> [PhaseSummary] {
    PhasePlan(graph: graph, configuration: configuration).phases.map { phase in
      let totals = phase.parameterTotals
      return PhaseSummary(
        phase: phase.index + 1, first_epoch: phase.firstEpoch + 1,
        last_epoch: phase.firstEpoch + phase.epochs, optimizer: phase.optimizer.name,
        lr: phase.optimizer.learningRate, trainable_params: totals.trainable,
        frozen_params: totals.nonTrainable, trainable_layers: phase.trainableLayers,
        trainable_parameters: phase.trainableParameterNames)
    }
  }

  /// Text lines for `nnc check`.
  static func render(_ phases: [PhaseSummary]) -> String {
    var out = "phases:\n"
    for phase in phases {
      out +=
        "  phase \(phase.phase): epochs \(phase.first_epoch)-\(phase.last_epoch), \(phase.optimizer) "
        + "lr \(phase.lr), trainable params \(SummaryTable.grouped(phase.trainable_params)), "
        + "frozen params \(SummaryTable.grouped(phase.frozen_params))\n"
      out +=
        "    trainable: "
        + (phase.trainable_layers.isEmpty ? "(none)" : phase.trainable_layers.joined(separator: ", ")) + "\n"
    }
    return out
  }
}
