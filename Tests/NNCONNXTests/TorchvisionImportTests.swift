import Foundation
import NNCData
import Testing

@testable import NNCONNX

/// torchvision architectures exported by PyTorch (torch.onnx.export, dynamo=False, opset 17) with
/// random weights and batchnorm statistics: a ResNet-18-shaped network at 1/8 width and
/// mobilenet_v2(width_mult=0.25). The imported spec computes PyTorch's outputs to 1e-4.
/// Made by Tests/Fixtures/onnx/make_torchvision_fixtures.py.
@Suite struct TorchvisionImportTests {
  static let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx")

  @Test(arguments: ["resnet18_w8", "mobilenet_v2_025"])
  func importedModelComputesPyTorchsOutputs(_ name: String) throws {
    let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent(name + ".onnx")))
    let imported = try ONNXImporter.convert(
      ONNXImporter.read(bytes: bytes), name: name, weightsFile: name + ".safetensors")
    let input = try NPYReader.read(Self.fixtures.appendingPathComponent(name + "_input.npy").path)
    let expected = try NPYReader.read(Self.fixtures.appendingPathComponent(name + "_output.npy").path)
    let batch = input.shape[0]
    let network = try ImportedNetwork(imported, maxBatch: batch)
    #expect(network.graph.inputShape.sample == Array(input.shape.dropFirst()))
    let actual = network.run(input.values, batch: batch)
    #expect(actual.count == expected.values.count)
    let excess = ImportedNetwork.excess(actual, expected.values, rtol: 0, atol: 1e-4)
    #expect(excess == 0, "outputs differ by up to \(excess) beyond 1e-4: \(actual) vs \(expected.values)")
  }
}
