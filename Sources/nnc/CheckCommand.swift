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
  }

  @OptionGroup var options: SpecOptions

  @Option(help: "Output format of the summary: text or json.")
  var format: OutputFormat = .text

  @Option(help: "Print an intermediate stage instead of the summary: ast or ir.")
  var emit: Stage?

  func run() throws {
    if emit == .ast {
      let spec = try SpecPipeline.parse(options)
      print(ASTPrinter.print(spec), terminator: "")
      return
    }
    let loaded = try SpecPipeline.load(options)
    if emit == .ir {
      print(IRPrinter.print(loaded.graph), terminator: "")
      return
    }
    let summary = ModelSummary(graph: loaded.graph, batchSize: loaded.spec.batchSize)
    switch format {
    case .text: print(SummaryTable.render(summary), terminator: "")
    case .json: print(try CheckReport(summary: summary, diagnostics: loaded.diagnostics).jsonString())
    }
  }
}
