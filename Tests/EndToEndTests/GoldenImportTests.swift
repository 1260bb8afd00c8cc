import Foundation
import Testing

/// Each model in Tests/Golden/import (made by make_import_goldens.py there) is one `nnc import` must
/// refuse: its standard error must equal the `.expected` file beside it and the exit status be 1, with
/// nothing written. Set NNC_UPDATE_GOLDEN=1 to rewrite the expected files after an intended change.
@Suite struct GoldenImportTests {
  static let directory = "Tests/Golden/import"

  static var cases: [String] {
    let root = NNCProcess.repositoryRoot.appendingPathComponent(directory)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return files.filter { $0.hasSuffix(".onnx") }.sorted()
  }

  @Test func everyRefusalHasACase() {
    #expect(Self.cases.count >= 8, "\(Self.cases)")
  }

  @Test(arguments: cases)
  func refusalMatchesGolden(_ file: String) throws {
    let output = try TrainingSupport.temporaryDirectory("golden-import")
    defer { try? FileManager.default.removeItem(at: output) }
    let relative = "\(Self.directory)/\(file)"
    let result = try NNCProcess.run(["import", relative, "-o", output.path, "--name", "refused"])
    let expectedURL = NNCProcess.repositoryRoot.appendingPathComponent(relative + ".expected")
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
      try result.stderr.write(to: expectedURL, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: expectedURL, encoding: .utf8)
    #expect(result.stderr == expected)
    #expect(result.status == 1, "exit status \(result.status)")
    #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("refused.yaml").path))
  }
}
