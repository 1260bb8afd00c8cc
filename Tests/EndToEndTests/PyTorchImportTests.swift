import Foundation
import Testing

/// Weights exported from PyTorch (Tests/Fixtures/transfer/make_fixture.py, a torchvision-style
/// ResNet in miniature) imported through `train.init` with rename rules: `nnc eval --predictions`
/// must give the class probabilities PyTorch gave for the same inputs.
@Suite struct PyTorchImportTests {
  static let fixtures = NNCProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/transfer")

  /// The probability columns of a CSV file with a header, by row.
  static func probabilities(_ url: URL, firstColumn: Int) throws -> [[Double]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").dropFirst().map { line in
      try line.split(separator: ",").dropFirst(firstColumn).map { try #require(Double(String($0))) }
    }
  }

  @Test func evalMatchesPyTorchProbabilities() throws {
    let directory = try TrainingSupport.temporaryDirectory("pytorch-import")
    defer { try? FileManager.default.removeItem(at: directory) }
    let predictions = directory.appendingPathComponent("predictions.csv")
    let spec = Self.fixtures.appendingPathComponent("tiny_resnet.yaml").path
    let result = try NNCProcess.run(["eval", spec, "--predictions", predictions.path])
    #expect(result.status == 0, "\(result.stderr)")
    // The import table: every tensor loaded but PyTorch's batch counters.
    #expect(result.stderr.contains("layer1.0.bn2.weight"), "\(result.stderr)")
    #expect(result.stderr.contains("loaded 17, skipped 0, left at their initializer 0, unused in the file 3"))

    let expected = try Self.probabilities(
      Self.fixtures.appendingPathComponent("expected_probabilities.csv"), firstColumn: 0)
    let actual = try Self.probabilities(predictions, firstColumn: 3)
    #expect(expected.count == 16)
    #expect(actual.count == expected.count)
    var worst = 0.0
    for (row, (a, e)) in zip(actual, expected).enumerated() {
      #expect(a.count == e.count, "row \(row)")
      for (x, y) in zip(a, e) { worst = max(worst, abs(x - y)) }
    }
    #expect(worst <= 1e-4, "largest difference from PyTorch: \(worst)")
  }

  @Test func withoutTheRenameRulesStrictImportFails() throws {
    let spec = Self.fixtures.appendingPathComponent("tiny_resnet.yaml").path
    let result = try NNCProcess.run(["eval", spec, "--set", "train.init.rename=[]"])
    #expect(result.status == 1)
    #expect(
      result.stderr.contains("train.init is strict, but 'bn1.gamma' is not in the file"), "\(result.stderr)")
  }
}
