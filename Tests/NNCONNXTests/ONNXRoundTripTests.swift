import Foundation
import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCONNX

/// import(export --keep-batchnorm (spec)) for every spec in Specs/: the same parameter counts and
/// the same outputs (within 1e-5 of the largest output), with the exporter and importer in process.
/// One sample per spec keeps the large ImageNet specs fast; they run one at a time to bound memory.
@Suite(.serialized) struct ONNXRoundTripTests {
  static let specsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Specs")

  static let specs: [String] = {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: specsDirectory.path)) ?? []
    return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".nnc") }.sorted()
      + [
        "transfer/finetune.yaml", "transfer/pretrain.yaml", "transfer/scratch.yaml",
        "transfer/imported_finetune.yaml", "transfer/imported_scratch.yaml",
        "transfer/imported/mnist_resnet.yaml",
      ]
  }()

  @Test func everySpecIsCovered() {
    #expect(Self.specs.count >= 20, "\(Self.specs)")
  }

  @Test(arguments: specs)
  func importOfExportComputesTheSpec(_ file: String) throws {
    let path = Self.specsDirectory.appendingPathComponent(file).path
    try Self.checkRoundTrip(try String(contentsOfFile: path, encoding: .utf8), path: path)
  }

  /// lrn and the exact gelu, as layers and as a layer's `activation:`, at the opsets where gelu is
  /// composed (below 20) and where it is ONNX's `Gelu`.
  @Test(arguments: [13, 17, 20, 21])
  func lrnAndExactGeluRoundTrip(opset: Int) throws {
    try Self.checkRoundTrip(
      """
      model:
        input: [6, 5, 5]
        layers:
          - conv2d: {filters: 8, kernel: 3, padding: same, activation: {gelu: {approximate: none}}}
          - lrn: {size: 5, alpha: 0.5, beta: 0.75, bias: 2}
          - gelu: {approximate: none}
          - lrn: 3
          - conv2d: {filters: 4, kernel: 3, activation: gelu}
          - flatten
          - dense: {units: 3, activation: {gelu: {approximate: none}}}
      """, path: "lrn_gelu.yaml", opset: opset)
  }

  static func checkRoundTrip(_ text: String, path: String, opset: Int? = nil) throws {
    let (parsed, diagnostics) = SpecLoader.parse(text: text, path: path)
    let spec = try #require(parsed, "\(diagnostics.map(\.message))")
    let lowered = Lowering.lower(spec)
    let graph = try #require(lowered.graph, "\(lowered.diagnostics.map(\.message))")

    let original = Executor(
      graph: graph, maxBatch: 1, configuration: ExecutionConfiguration(mode: .inference, optimization: .none))
    var generator = RandomGenerator(seed: 17)
    var weights: [String: [Float]] = [:]
    for slot in original.parameterLayout {
      let buffer = original.parameter(slot)
      // Variance-preserving values keep deep specs' outputs of order one; statistics stay plausible.
      let limit = (3 / Float(max(slot.info.fanIn, 1))).squareRoot()
      for index in buffer.indices {
        switch slot.info.role {
        case .runningVariance: buffer[index] = generator.nextUniform(0.5, 1.5)
        case .gamma: buffer[index] = generator.nextUniform(0.8, 1.2)
        case .beta, .runningMean, .bias: buffer[index] = generator.nextUniform(-0.1, 0.1)
        case .weight: buffer[index] = generator.nextUniform(-limit, limit)
        }
      }
      weights[slot.info.name] = Array(buffer)
    }

    var options = ONNXExportOptions(keepBatchNorm: true, producerVersion: "test")
    if let opset { options.opset = opset }
    let exported = try ONNXExporter.export(graph, weights: weights, options: options)
    let bytes = try ONNXModelFile.serialized(exported)
    let model = try ONNXImporter.read(bytes: bytes)
    let imported = try ONNXImporter.convert(model, name: "imported", weightsFile: "imported.safetensors")
    let network = try ImportedNetwork(imported, maxBatch: 1)

    #expect(network.graph.parameterTotals.total == graph.parameterTotals.total)
    #expect(network.graph.parameterTotals.trainable == graph.parameterTotals.trainable)
    #expect(network.graph.inputShape.sample == graph.inputShape.sample)
    #expect(network.graph.outputShape.sample == graph.outputShape.sample)

    let input = (0..<original.inputSampleCount).map { _ in generator.nextUniform(-1, 1) }
    let expected = ImportedNetwork.forward(original, input, batch: 1)
    let actual = network.run(input, batch: 1)
    try #require(actual.count == expected.count)
    let scale = max(1, expected.map(abs).max() ?? 0)
    let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= 1e-5 * scale, "largest difference \(worst) (outputs up to \(scale))")
  }
}
