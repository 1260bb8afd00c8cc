import Foundation
import Testing

/// `nnc check --emit ir` on LeNet-5 and a ResNet block must equal the dumps in Tests/Golden/ir, so a
/// change to lowering shows up as a reviewed diff. NNC_UPDATE_GOLDEN=1 rewrites them.
@Suite struct GoldenIRTests {
  @Test(arguments: [
    ("Specs/lenet5.yaml", "Tests/Golden/ir/lenet5.ir"),
    ("Specs/lenet5.nnc", "Tests/Golden/ir/lenet5.ir"),
    ("Tests/Golden/ir/resnet_block.yaml", "Tests/Golden/ir/resnet_block.ir"),
  ])
  func irDumpMatchesGolden(_ spec: String, _ golden: String) throws {
    let result = try NNCProcess.run(["check", spec, "--emit", "ir"])
    #expect(result.status == 0, "\(result.stderr)")
    // The two LeNet-5 files differ only in the locations printed after '#'.
    let dump =
      result.stdout.split(separator: "\n").map { line in
        line.range(of: "  # ").map { String(line[..<$0.lowerBound]) } ?? String(line)
      }.joined(separator: "\n") + "\n"
    let url = NNCProcess.repositoryRoot.appendingPathComponent(golden)
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1", spec.hasSuffix(".yaml") {
      try dump.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(dump == (try String(contentsOf: url, encoding: .utf8)))
  }
}
