import ArgumentParser
import Foundation
import NNCGraph
import NNCSpec

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

  @Option(help: "What the optimized IR and the plan are compiled for: training or inference.")
  var mode: GraphMode = .training

  @Option(help: "Output format of the summary: text or json.")
  var format: OutputFormat = .text

  @Option(help: "Print an intermediate stage instead of the summary: ast, ir, optimized-ir or plan.")
  var emit: Stage?

  func run() throws {
    if emit == .ast {
      let spec = try SpecPipeline.parse(options)
      print(ASTPrinter.print(spec), terminator: "")
      return
    }
    let loaded = try SpecPipeline.load(options)
    let batchSize = loaded.spec.batchSize
    switch emit {
    case .ir:
      print(IRPrinter.print(loaded.graph), terminator: "")
      return
    case .optimizedIR:
      print(IRPrinter.print(try optimized(loaded.graph, mode: mode)), terminator: "")
      return
    case .plan:
      let graph = try optimized(loaded.graph, mode: mode)
      let plan = MemoryPlanner.plan(
        graph, mode: mode, batchSize: batchSize, reuse: optimization.options.plansMemory)
      print(MemoryPlanPrinter.print(plan, graph: graph), terminator: "")
      return
    case .ast, nil:
      break
    }
    let summary = ModelSummary(graph: loaded.graph, batchSize: batchSize)
    switch format {
    case .text: print(SummaryTable.render(summary), terminator: "")
    case .json:
      var report = CheckReport(summary: summary, diagnostics: loaded.diagnostics)
      report.memory = CheckReport.Memory(
        inference: try memory(loaded.graph, mode: .inference, batchSize: batchSize),
        training: try memory(loaded.graph, mode: .training, batchSize: batchSize))
      print(try report.jsonString())
    }
  }

  func optimized(_ graph: Graph, mode: GraphMode) throws -> Graph {
    do {
      return try PassManager.optimize(graph, mode: mode, options: optimization.options)
    } catch {
      throw fail(error.description)
    }
  }

  /// Activation memory at `batchSize`: every tensor apart, and as planned after optimization.
  func memory(_ graph: Graph, mode: GraphMode, batchSize: Int) throws -> CheckReport.MemoryEstimate {
    let plan = MemoryPlanner.plan(
      try optimized(graph, mode: mode), mode: mode, batchSize: batchSize, reuse: optimization.options.plansMemory)
    return CheckReport.MemoryEstimate(naive_bytes: plan.naiveBytes, planned_bytes: plan.plannedBytes)
  }
}

extension GraphMode: ExpressibleByArgument {}
