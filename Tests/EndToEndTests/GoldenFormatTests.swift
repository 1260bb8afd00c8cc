import Foundation
import Testing

/// `nnc fmt` keeps comments: each spec in Tests/Golden/fmt printed in both syntaxes must equal the
/// `<spec>.<syntax>.expected` files beside it, keep every comment of the spec, and print unchanged
/// when formatted again (in either direction). NNC_UPDATE_GOLDEN=1 rewrites the expected files.
@Suite struct GoldenFormatTests {
  static let directory = "Tests/Golden/fmt"

  static var cases: [String] {
    let root = NNCProcess.repositoryRoot.appendingPathComponent(directory)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".nnc") }.sorted()
  }

  /// The text after each `#` that starts a comment (the golden specs put '#' in strings only quoted).
  static func comments(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      var inString = false
      for (offset, character) in line.enumerated() {
        if character == "\"" { inString.toggle() }
        if character == "#", !inString { return String(line.dropFirst(offset + 1)) }
      }
      return nil
    }
  }

  @Test func thereAreCasesInBothSyntaxes() {
    #expect(Self.cases.contains { $0.hasSuffix(".yaml") } && Self.cases.contains { $0.hasSuffix(".nnc") })
  }

  @Test(arguments: cases)
  func formattingKeepsCommentsAndIsIdempotent(_ file: String) throws {
    let root = NNCProcess.repositoryRoot.appendingPathComponent(Self.directory)
    let source = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
    let scratch = try TrainingSupport.temporaryDirectory("fmt")
    defer { try? FileManager.default.removeItem(at: scratch) }
    for syntax in ["nnc", "yaml"] {
      let result = try NNCProcess.run(["fmt", "\(Self.directory)/\(file)", "--to", syntax])
      try #require(result.status == 0, "\(result.stderr)")
      let expectedURL = root.appendingPathComponent("\(file).\(syntax).expected")
      if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
        try result.stdout.write(to: expectedURL, atomically: true, encoding: .utf8)
      }
      #expect(result.stdout == (try String(contentsOf: expectedURL, encoding: .utf8)))
      #expect(Self.comments(result.stdout) == Self.comments(source), "\(file) as \(syntax)")
      // Formatting the output again, to either syntax, gives the same text.
      let printed = scratch.appendingPathComponent("printed.\(syntax)")
      try result.stdout.write(to: printed, atomically: true, encoding: .utf8)
      let again = try NNCProcess.run(["fmt", printed.path, "--to", syntax])
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.stdout == result.stdout, "\(file) as \(syntax) is not stable")
      let other = syntax == "nnc" ? "yaml" : "nnc"
      let across = try NNCProcess.run(["fmt", printed.path, "--to", other])
      #expect(across.status == 0, "\(across.stderr)")
      #expect(Self.comments(across.stdout) == Self.comments(source), "\(file) through \(syntax) to \(other)")
    }
  }
}
