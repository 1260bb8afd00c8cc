import Foundation
import Testing

@Test func binaryPrintsHelp() throws {
  let result = try NNCProcess.run(["--help"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("nnc"))
}

/// The subcommands `nnc --help` lists.
private func subcommands() throws -> [String] {
  let help = try NNCProcess.run(["--help"]).stdout
  guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
  return help[start.upperBound...].split(separator: "\n").compactMap { line in
    // "  check                   Parse a spec, ..."; continuation lines are indented further.
    guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
    guard let name = line.split(separator: " ").first, name.allSatisfy(\.isLowercase) else { return nil }
    return String(name)
  }
}

/// Help paragraphs flow: the argument parser wraps them at 80 columns, so a line that is followed by
/// more of its paragraph is nearly full. A short one means a line break written in the middle of a
/// sentence in the source (a multi-line string without `\` at its line ends).
@Test func helpTextsAreNotWrappedMidSentence() throws {
  let commands = try subcommands()
  #expect(commands.contains("train") && commands.contains("bench") && commands.count >= 8, "\(commands)")
  for command in [nil] + commands {
    let result = try NNCProcess.run((command.map { [$0] } ?? []) + ["--help"])
    #expect(result.status == 0)
    // The overview and discussion: everything before the usage line.
    let overview = result.stdout.components(separatedBy: "\nUSAGE:")[0].components(separatedBy: "\n")
    for (line, next) in zip(overview, overview.dropFirst()) where !line.isEmpty && !next.isEmpty {
      #expect(line.count >= 60, "nnc \(command ?? "") --help breaks a paragraph early: '\(line)' / '\(next)'")
    }
  }
}
