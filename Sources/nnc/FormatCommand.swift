import ArgumentParser
import NNCSpec

struct FormatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fmt",
    abstract: "Print a spec in either syntax (YAML or the .nnc language)."
  )

  enum Target: String, ExpressibleByArgument, CaseIterable {
    case yaml
    case nnc
  }

  @OptionGroup var options: SpecOptions

  @Option(help: "The syntax to print: yaml or nnc.")
  var to: Target

  func run() throws {
    let spec = try SpecPipeline.parse(options)
    switch to {
    case .yaml: print(SpecPrinter.yaml(spec), terminator: "")
    case .nnc: print(SpecPrinter.nnc(spec), terminator: "")
    }
  }
}
