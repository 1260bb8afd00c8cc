import ArgumentParser

@main
struct NNC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nnc",
    abstract: "A declarative neural-network compiler and runner.",
    subcommands: []
  )
}
