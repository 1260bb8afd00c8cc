import Foundation
import Testing

/// Each spec in Tests/Golden/diagnostics is run through `nnc check`; its standard error must equal the
/// `.expected` file beside it, and the exit status must be 1 exactly when there are errors.
/// These specs are about the spec itself, and most name data files that are not there (a CSV beside
/// the spec, `images`): they run with `--skip-data-check`, except the `data_*` cases, which are about
/// the data check and name real files under Data/ (and misspelt ones) relative to this folder.
/// Set NNC_UPDATE_GOLDEN=1 to rewrite the expected files after an intended change (then review the diff).
@Suite struct GoldenDiagnosticsTests {
  static let directory = "Tests/Golden/diagnostics"

  static var cases: [String] {
    let root = NNCProcess.repositoryRoot.appendingPathComponent(directory)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".nnc") }.sorted()
  }

  @Test func everyCaseHasAnExpectedFile() {
    #expect(Self.cases.count >= 14)
  }

  @Test(arguments: cases)
  func diagnosticsMatchGolden(_ file: String) throws {
    let relative = "\(Self.directory)/\(file)"
    let dataCheck = file.hasPrefix("data_") ? [] : ["--skip-data-check"]
    let result = try NNCProcess.run(["check", relative] + dataCheck)
    let expectedURL = NNCProcess.repositoryRoot.appendingPathComponent(relative + ".expected")
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
      try result.stderr.write(to: expectedURL, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: expectedURL, encoding: .utf8)
    #expect(result.stderr == expected)
    let hasErrors = result.stderr.contains(": error: ")
    #expect(result.status == (hasErrors ? 1 : 0), "exit status \(result.status)")
    #expect(result.stderr.contains(": error: ") || result.stderr.contains(": warning: "))
  }
}
