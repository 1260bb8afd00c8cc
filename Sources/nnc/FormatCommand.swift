import ArgumentParser
import NNCSpec

struct FormatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fmt",
    abstract: "Print a valid spec in either syntax (YAML or the .nnc language)."
  )

  enum Target: String, ExpressibleByArgument, CaseIterable {
    case yaml
    case nnc
  }

  @OptionGroup var options: SpecOptions

  @Option(help: "The syntax to print: yaml or nnc.")
  var to: Target

  func run() throws {
    // A spec with errors is refused, as `check` would: printing it would invent what it means.
    let spec = try SpecPipeline.load(options).spec
    switch to {
    case .yaml: print(SpecPrinter.yaml(spec), terminator: "")
    case .nnc: print(SpecPrinter.nnc(spec), terminator: "")
    }
  }
}
