import Foundation
import NNCONNX
import NNCSpec
import Testing

/// `nnc export` on LeNet-5 and a ResNet block: the file, read back with swift-protobuf, must equal the
/// structure dumps in Tests/Golden/onnx (NNC_UPDATE_GOLDEN=1 rewrites them), and bad options are refused.
@Suite struct ONNXExportTests {
  @Test(arguments: [
    ("Specs/lenet5.yaml", [String](), "Tests/Golden/onnx/lenet5.txt"),
    ("Tests/Golden/ir/resnet_block.yaml", [], "Tests/Golden/onnx/resnet_block.txt"),
    (
      "Tests/Golden/ir/resnet_block.yaml", ["--keep-batchnorm", "--opset", "21", "--batch", "8"],
      "Tests/Golden/onnx/resnet_block_keep_batchnorm.txt"
    ),
  ])
  func exportedGraphMatchesGolden(_ spec: String, _ flags: [String], _ golden: String) throws {
    let directory = try TrainingSupport.temporaryDirectory("export")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.onnx").path
    let result = try NNCProcess.run(["export", spec, "-o", path] + flags)
    #expect(result.status == 0, "\(result.stderr)")
    // Neither a checkpoint nor train.init: the seeded initial weights, with a warning.
    #expect(result.stderr.contains("uses the untrained initial weights"), "\(result.stderr)")
    #expect(result.stdout.hasPrefix("wrote \(path): opset "), "\(result.stdout)")
    let model = try ONNXModelFile.read(path)
    let dump = ONNXModelDump.text(model)
    let url = NNCProcess.repositoryRoot.appendingPathComponent(golden)
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
      try dump.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(dump == (try String(contentsOf: url, encoding: .utf8)))
    #expect(model.producerVersion == NNCVersion.current)
    // Every nnc parameter is an initializer, batchnorm's folded into the convolutions by default.
    let names = Set(model.graph.initializer.map(\.name))
    #expect(names.contains(where: { $0.hasSuffix("conv2d.weight") }))
    #expect(names.contains(where: { $0.hasSuffix("running_mean") }) == flags.contains("--keep-batchnorm"))
  }

  @Test func refusesOpsetsAndBatchSizesOutOfRange() throws {
    let opset = try NNCProcess.run(["export", "Specs/lenet5.yaml", "--opset", "12", "-o", "/dev/null"])
    #expect(opset.status != 0)
    #expect(
      opset.stderr.contains("opset 12 is not supported: nnc exports opsets 13 to 21"), "\(opset.stderr)")
    let batch = try NNCProcess.run(["export", "Specs/lenet5.yaml", "--batch", "0", "-o", "/dev/null"])
    #expect(batch.status != 0)
    #expect(batch.stderr.contains("--batch must be a positive size or 'dynamic', found 0"), "\(batch.stderr)")
  }

  @Test func versionIsTheOneConstant() throws {
    let result = try NNCProcess.run(["--version"])
    #expect(result.status == 0)
    #expect(result.stdout == NNCVersion.current + "\n")
  }
}
