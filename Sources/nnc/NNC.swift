import ArgumentParser
import NNCSpec

@main
struct NNC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nnc",
    abstract: "A declarative neural-network compiler and runner.",
    discussion: """
      Write a model, its data, loss, optimizer and training settings in one spec file (YAML or the \
      .nnc language), then check, train and evaluate it.
      """,
    version: NNCVersion.current,
    subcommands: [
      CheckCommand.self, FormatCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self,
      ExportCommand.self, ImportCommand.self, AugmentCommand.self, BenchCommand.self,
    ]
  )

  static func main() {
    BLASCore.selectBeforeStart()
    SignalHandling.ignoreFileSizeLimitSignal()
    AllocatorTuning.apply()
    main(nil)
  }
}
