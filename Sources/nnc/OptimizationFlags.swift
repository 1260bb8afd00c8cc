import ArgumentParser
import NNCGraph
import NNCSpec

/// `--no-optimize` and `--disable-pass NAME`, shared by the commands that compile a graph.
struct OptimizationFlags: ParsableArguments {
  @Flag(help: "Run the graph as lowered: no fusion, no in-place activations, no memory reuse.")
  var noOptimize = false

  @Option(
    name: .customLong("disable-pass"),
    help: ArgumentHelp(
      "Skip one optimization (repeatable): \(PassManager.passNames.joined(separator: ", ")).",
      valueName: "NAME"))
  var disabledPasses: [String] = []

  func validate() throws {
    for name in disabledPasses where !PassManager.passNames.contains(name) {
      let hint =
        Suggestions.closest(to: name, in: PassManager.passNames).map { "; did you mean '\($0)'?" } ?? ""
      throw ValidationError(
        "unknown pass '\(name)'\(hint) (passes: \(PassManager.passNames.joined(separator: ", ")))")
    }
  }

  var options: OptimizationOptions {
    OptimizationOptions(enabled: !noOptimize, disabledPasses: Set(disabledPasses))
  }
}
