import Foundation
import Testing

/// `--format json` prints a JSON object on standard output even when the command fails, and exits 1.
@Suite struct JSONErrorOutputTests {
  static let invalidSpec = """
    model:
      input: [1, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 3, activation: rleu}
        - flatten
        - dense: 2
    data:
      format: idx
      train: {images: missing-images, labels: missing-labels}
    """

  static func report(_ output: String) throws -> [String: Any] {
    let line = try #require(output.split(separator: "\n").last, "no output")
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any])
  }

  @Test(arguments: [
    ["check"], ["train", "--epochs", "1"], ["bench", "--seconds", "0.1"],
    ["eval", "--checkpoint", "none.safetensors"], ["predict", "--checkpoint", "none.safetensors", "x.png"],
  ])
  func everyCommandReportsSpecErrorsAsJSON(_ command: [String]) throws {
    let directory = try TrainingSupport.temporaryDirectory("json-errors")
    let spec = directory.appendingPathComponent("bad.yaml")
    try Self.invalidSpec.write(to: spec, atomically: true, encoding: .utf8)
    let result = try NNCProcess.run([command[0], spec.path, "--format", "json"] + command.dropFirst())
    #expect(result.status == 1)
    let report = try Self.report(result.stdout)
    #expect(report["event"] as? String == "error")
    let diagnostics = try #require(report["diagnostics"] as? [[String: Any]])
    let error = try #require(diagnostics.first { $0["severity"] as? String == "error" })
    #expect((error["message"] as? String)?.contains("rleu") == true)
    #expect(error["line"] as? Int == 4)
    #expect(result.stderr.contains("error:"))
  }

  @Test func aFailureAfterTheSpecIsJSONToo() throws {
    let directory = try TrainingSupport.temporaryDirectory("json-errors-data")
    let spec = directory.appendingPathComponent("nodata.yaml")
    try Self.invalidSpec.replacingOccurrences(of: "rleu", with: "relu").write(
      to: spec, atomically: true, encoding: .utf8)
    let result = try NNCProcess.run([
      "train", spec.path, "--format", "json", "--run-dir", directory.path + "/run",
    ])
    #expect(result.status == 1)
    let report = try Self.report(result.stdout)
    #expect(report["event"] as? String == "error")
    #expect((report["message"] as? String)?.isEmpty == false)
  }
}
