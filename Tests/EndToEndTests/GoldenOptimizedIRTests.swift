import Foundation
import Testing

/// `nnc check --emit optimized-ir` (and `--emit plan`) pinned for LeNet-5 and a ResNet block: the
/// fused nodes, the folded batchnorms (inference), the in-place markers and the arena layout must
/// equal the `.expected` files in Tests/Golden/optimized-ir. NNC_UPDATE_GOLDEN=1 rewrites them.
@Suite struct GoldenOptimizedIRTests {
  static let directory = "Tests/Golden/optimized-ir"

  struct Case: CustomTestStringConvertible, Sendable {
    var spec: String
    var arguments: [String]
    var expected: String
    var testDescription: String { expected }
  }

  static let cases: [Case] = [
    Case(
      spec: "Specs/lenet5.yaml", arguments: ["--emit", "optimized-ir"], expected: "lenet5.training.expected"),
    Case(
      spec: "Specs/lenet5.yaml", arguments: ["--emit", "optimized-ir", "--mode", "inference"],
      expected: "lenet5.inference.expected"),
    Case(spec: "Specs/lenet5.yaml", arguments: ["--emit", "plan"], expected: "lenet5.plan.expected"),
    Case(
      spec: "\(directory)/resnet_block.yaml", arguments: ["--emit", "optimized-ir"],
      expected: "resnet_block.training.expected"),
    Case(
      spec: "\(directory)/resnet_block.yaml", arguments: ["--emit", "optimized-ir", "--mode", "inference"],
      expected: "resnet_block.inference.expected"),
    Case(
      spec: "\(directory)/resnet_block.yaml", arguments: ["--emit", "plan", "--mode", "inference"],
      expected: "resnet_block.plan.expected"),
  ]

  @Test(arguments: cases)
  func optimizedIRMatchesGolden(_ testCase: Case) throws {
    let result = try NNCProcess.run(["check", testCase.spec] + testCase.arguments)
    #expect(result.status == 0, "\(result.stderr)")
    let expectedURL = NNCProcess.repositoryRoot.appendingPathComponent(
      "\(Self.directory)/\(testCase.expected)")
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
      try result.stdout.write(to: expectedURL, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: expectedURL, encoding: .utf8)
    #expect(result.stdout == expected)
  }
}
