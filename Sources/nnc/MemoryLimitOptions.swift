import ArgumentParser
import NNCData
import NNCGraph
import NNCRuntime
import NNCTrain

/// A byte count on the command line: "4096", "512K", "8G" (see `MemoryBudget.parseSize`).
struct MemorySize: ExpressibleByArgument {
  var bytes: Int

  init?(argument: String) {
    guard let bytes = MemoryBudget.parseSize(argument), bytes > 0 else { return nil }
    self.bytes = bytes
  }
}

/// `--max-memory`, shared by the commands that build an executor: they estimate what the run needs
/// before allocating anything and refuse it when it exceeds the budget.
struct MemoryLimitOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Refuse to run when the estimated memory exceeds this many bytes (a K, M or G suffix multiplies by "
        + "1024, 1024², 1024³: 8G); default: the memory available to the process.",
      valueName: "size"))
  var maxMemory: MemorySize?

  var budget: MemoryBudget? { MemoryBudget.resolve(maxMemory: maxMemory?.bytes) }

  /// The run's estimate (see `RunPreparation.memoryEstimate`); a model that cannot be planned is
  /// reported like any other run error.
  func estimate(
    graph: Graph, configuration: TrainingConfiguration, mode: GraphMode, data: LoadedData?,
    optimization: OptimizationOptions, batchSize: Int? = nil
  ) throws -> MemoryEstimate {
    do {
      return try RunPreparation.memoryEstimate(
        graph: graph, configuration: configuration, mode: mode, data: data, optimization: optimization,
        batchSize: batchSize)
    } catch let error as TrainError {
      throw fail(error.message)
    }
  }

  /// Exits with status 1, naming the total, the limit and the largest parts, when `estimate` does
  /// not fit the budget.
  func enforce(_ estimate: MemoryEstimate, command: String) throws {
    guard let budget, let refusal = budget.refusal(estimate, command: command) else { return }
    throw fail(refusal)
  }
}
