import Foundation
import NNCData
import NNCGraph
import NNCRuntime
import NNCSpec
import NNCTrain

/// A spec's model compiled for inference with its weights: from `--checkpoint`, else the spec's
/// `train.init`, else the seeded initial weights training would start from (with a warning).
struct InferenceModel {
  var loaded: LoadedSpec
  var configuration: TrainingConfiguration
  var executor: Executor
  /// The checkpoint's metadata (class names, version), empty without a checkpoint.
  var metadata: [String: String]

  var graph: Graph { loaded.graph }

  static func load(
    _ loaded: LoadedSpec, specPath: String, checkpoint: String?, maxBatch: Int,
    optimization: OptimizationOptions,
    command: String
  ) throws -> InferenceModel {
    let configuration = TrainingConfiguration(spec: loaded.spec)
    var execution = optimization
    execution.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    let executor = Executor(
      graph: loaded.graph, maxBatch: maxBatch,
      configuration: ExecutionConfiguration(
        mode: .inference, optimization: execution, cachesPreparedWeights: true))
    var metadata: [String: String] = [:]
    do {
      if let checkpoint {
        let saved = try Checkpoint.read(from: checkpoint)
        if let summary = saved.nonFiniteSummary {
          throw fail("\(checkpoint): the checkpoint holds \(summary); it cannot be used")
        }
        try ModelWeights.load(saved, into: executor, path: checkpoint)
        metadata = saved.metadata
      } else if let settings = configuration.initialization {
        try ModelWeights.initialize(executor, seed: UInt64(configuration.seed))
        let report = try WeightImport.apply(settings, to: executor)
        Console.standardError(report.table)
      } else {
        try ModelWeights.initialize(executor, seed: UInt64(configuration.seed))
        Console.standardError(
          "warning: no --checkpoint and no train.init in \(specPath): nnc \(command) uses the untrained "
            + "initial weights of train.seed \(configuration.seed)\n")
      }
    } catch let error as SafeTensorsError {
      throw fail("\(error)")
    } catch let error as TrainError {
      throw fail(error.message)
    }
    return InferenceModel(
      loaded: loaded, configuration: configuration, executor: executor, metadata: metadata)
  }

  /// The class names the checkpoint records (image-folder data), by index.
  var classNames: [String]? {
    guard let text = metadata[Checkpoint.classesKey] else { return nil }
    return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
  }

  /// The task of the model (`data.task`, or what the loss and the head imply).
  var task: TaskKind { PredictionRule.task(of: configuration, graph: graph) }

  /// The loss the evaluation of this executor uses, which decides how outputs become probabilities.
  var loss: LossFunction { RunComponents.loss(configuration.loss, outputIsLogits: executor.outputIsLogits) }
}
