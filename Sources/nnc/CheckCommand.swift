import ArgumentParser
import Foundation
import NNCGraph
import NNCRuntime
import NNCSpec
import NNCTrain

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Parse a spec, infer every shape and print a model summary.",
    discussion: "Mistakes are reported as compiler diagnostics on standard error; the exit status is then 1."
  )

  enum Stage: String, ExpressibleByArgument, CaseIterable {
    case ast
    case ir
    case optimizedIR = "optimized-ir"
    case plan
  }

  @OptionGroup var options: SpecOptions
  @OptionGroup var optimization: OptimizationFlags
  @OptionGroup var memoryLimit: MemoryLimitOptions

  @Option(help: "What the optimized IR and the plan are compiled for: training or inference.")
  var mode: GraphMode = .training

  @Option(help: "Output format of the summary: text or json.")
  var format: OutputFormat = .text

  @Option(help: "Print an intermediate stage instead of the summary: ast, ir, optimized-ir or plan.")
  var emit: Stage?

  @Flag(help: "Do not look at the data files (that they exist, and the sample shape of IDX and NPY files).")
  var skipDataCheck = false

  func run() throws {
    JSONErrorOutput.enable(format)
    if emit == .ast {
      let spec = try SpecPipeline.parse(options)
      print(ASTPrinter.print(spec), terminator: "")
      return
    }
    let loaded = try SpecPipeline.load(options, checkData: !skipDataCheck)
    let batchSize = loaded.spec.batchSize
    // As `nnc train` and `nnc eval` compile it: a final softmax fuses into a loss on probabilities.
    let lossTakesLogits = RunComponents.lossTakesLogits(TrainingConfiguration(spec: loaded.spec).loss)
    switch emit {
    case .ir:
      print(IRPrinter.print(loaded.graph), terminator: "")
      return
    case .optimizedIR:
      print(
        IRPrinter.print(try optimized(loaded.graph, mode: mode, lossTakesLogits: lossTakesLogits)),
        terminator: "")
      return
    case .plan:
      // The executor's own plan, so the algorithms printed are those `nnc train` runs.
      var options = optimization.options
      options.lossTakesLogits = lossTakesLogits
      let plan: ExecutionPlan
      do {
        plan = try ExecutionPlanner.plan(
          graph: loaded.graph, configuration: ExecutionConfiguration(mode: mode, optimization: options),
          maxBatch: batchSize)
      } catch {
        throw fail(error.description)
      }
      print(ExecutionPlanPrinter.print(plan), terminator: "")
      return
    case .ast, nil:
      break
    }
    let summary = ModelSummary(graph: loaded.graph, batchSize: batchSize)
    let augmentation = (loaded.spec.augment ?? []).map { call in
      call.sourceText(positional: Vocabulary.augmentations.first { $0.name == call.name }?.positional ?? [])
    }
    let configuration = TrainingConfiguration(spec: loaded.spec)
    let phases = PhaseSummary.phases(graph: loaded.graph, configuration: configuration)
    let task = TaskKind.of(spec: loaded.spec, graph: loaded.graph)
    let budget = memoryLimit.budget
    let run = CheckReport.RunEstimate(
      try memoryLimit.estimate(
        graph: loaded.graph, configuration: configuration, mode: .training, data: nil,
        optimization: optimization.options),
      budget: budget)
    if run.exceeds_half_available, let budget {
      let largest = run.largest.map { "\($0.name) \(NNCRuntime.MemoryEstimate.bytesText($0.bytes))" }
      let total = NNCRuntime.MemoryEstimate.bytesText(run.total_bytes)
      let warning =
        "warning: training at batch \(batchSize) needs about \(total), more than half of the "
        + "\(budget.availableText); largest parts: \(largest.joined(separator: ", "))\n"
      Console.standardError(warning)
    }
    switch format {
    case .text:
      print(SummaryTable.render(summary), terminator: "")
      print("task:                 \(task.title)")
      print(run.text)
      if !augmentation.isEmpty { print("augment (training split): " + augmentation.joined(separator: ", ")) }
      if !configuration.phases.isEmpty { print(PhaseSummary.render(phases), terminator: "") }
    case .json:
      var report = CheckReport(summary: summary, diagnostics: loaded.diagnostics)
      report.task = task.rawValue
      report.augment = augmentation
      report.phases = phases
      report.memory = CheckReport.Memory(
        inference: try memory(
          loaded.graph, mode: .inference, batchSize: batchSize, lossTakesLogits: lossTakesLogits),
        training: try memory(
          loaded.graph, mode: .training, batchSize: batchSize, lossTakesLogits: lossTakesLogits),
        run: run)
      print(try report.jsonString())
    }
  }

  func optimized(_ graph: Graph, mode: GraphMode, lossTakesLogits: Bool) throws -> Graph {
    var options = optimization.options
    options.lossTakesLogits = lossTakesLogits
    do {
      return try PassManager.optimize(graph, mode: mode, options: options)
    } catch {
      throw fail(error.description)
    }
  }

  /// Activation memory at `batchSize`: every tensor apart, and as planned after optimization.
  func memory(_ graph: Graph, mode: GraphMode, batchSize: Int, lossTakesLogits: Bool) throws
    -> CheckReport.MemoryEstimate
  {
    let plan = MemoryPlanner.plan(
      try optimized(graph, mode: mode, lossTakesLogits: lossTakesLogits), mode: mode, batchSize: batchSize,
      reuse: optimization.options.plansMemory)
    return CheckReport.MemoryEstimate(naive_bytes: plan.naiveBytes, planned_bytes: plan.plannedBytes)
  }
}

extension GraphMode: ExpressibleByArgument {}
