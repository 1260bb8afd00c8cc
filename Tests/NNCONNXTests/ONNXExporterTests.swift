import Foundation
import NNCGraph
import NNCSpec
import SwiftProtobuf
import Testing

@testable import NNCONNX

/// Lowers YAML that must be valid.
private func graph(_ text: String) throws -> Graph {
  let (spec, diagnostics) = SpecLoader.parse(text: text, path: "test.yaml")
  let parsed = try #require(spec, "\(diagnostics.map(\.message))")
  let result = Lowering.lower(parsed)
  return try #require(result.graph, "\(result.diagnostics.map(\.message))")
}

/// Every parameter filled with distinct values from a simple sequence.
private func weights(_ graph: Graph) -> [String: [Float]] {
  var weights: [String: [Float]] = [:]
  var counter = 0
  for parameter in graph.nodes.flatMap(\.parameters) {
    weights[parameter.name] = (0..<parameter.count).map { index in
      counter += 1
      // Variances must stay positive; everything else takes both signs.
      let value = Float((counter * 37) % 23) / 10 - 1
      return parameter.role == .runningVariance ? abs(value) + 0.5 : value
    }
  }
  return weights
}

private func floats(_ tensor: Onnx_TensorProto) -> [Float] {
  tensor.rawData.withUnsafeBytes { bytes in
    (0..<(bytes.count / 4)).map {
      Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
    }
  }
}

private let convBatchNorm = """
  model:
    input: [2, 5, 5]
    layers:
      - conv2d: {filters: 3, kernel: 3, padding: same}
      - batchnorm: {epsilon: 0.001, momentum: 0.2}
      - relu
      - dropout: 0.5
      - global_avgpool
      - dense: 4
  """

@Suite struct ONNXExporterTests {
  @Test func foldsBatchNormIntoTheConvolution() throws {
    let graph = try graph(convBatchNorm)
    let values = weights(graph)
    let model = try ONNXExporter.export(
      graph, weights: values, options: ONNXExportOptions(producerVersion: "test"))
    let nodes = model.graph.node
    #expect(nodes.map(\.opType) == ["Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"])
    #expect(nodes.map(\.name) == ["conv2d", "relu", "global_avgpool", "global_avgpool:flatten", "dense"])
    let initializers = Dictionary(uniqueKeysWithValues: model.graph.initializer.map { ($0.name, $0) })
    let weight = floats(try #require(initializers["conv2d.weight"]))
    let bias = floats(try #require(initializers["conv2d.bias"]))
    let gamma = values["batchnorm.gamma"]!, beta = values["batchnorm.beta"]!
    let mean = values["batchnorm.running_mean"]!, variance = values["batchnorm.running_var"]!
    let original = values["conv2d.weight"]!, originalBias = values["conv2d.bias"]!
    for filter in 0..<3 {
      let factor = Double(gamma[filter]) / (Double(variance[filter]) + 0.001).squareRoot()
      for index in (filter * 18)..<((filter + 1) * 18) {
        #expect(abs(Double(weight[index]) - Double(original[index]) * factor) < 1e-6)
      }
      let expectedBias = (Double(originalBias[filter]) - Double(mean[filter])) * factor + Double(beta[filter])
      #expect(abs(Double(bias[filter]) - expectedBias) < 1e-6)
    }
    // The dropout is gone: the pool reads the relu's output.
    #expect(nodes[2].input == nodes[1].output)
    #expect(model.graph.output.map(\.name) == ["output"])
    #expect(nodes.last?.output == ["output"])
  }

  @Test func keepsBatchNormWithONNXMomentum() throws {
    let graph = try graph(convBatchNorm)
    let model = try ONNXExporter.export(
      graph, weights: weights(graph), options: ONNXExportOptions(keepBatchNorm: true, producerVersion: "test")
    )
    let batchNorm = try #require(model.graph.node.first { $0.opType == "BatchNormalization" })
    let attributes = Dictionary(uniqueKeysWithValues: batchNorm.attribute.map { ($0.name, $0.f) })
    #expect(abs(Double(attributes["momentum"] ?? 0) - 0.8) < 1e-7)
    #expect(abs(Double(attributes["epsilon"] ?? 0) - 0.001) < 1e-9)
    #expect(batchNorm.input.count == 5)
  }

  @Test func geluIsAnOpFromOpset20AndAComposition() throws {
    let graph = try graph(
      """
      model:
        input: [4]
        layers:
          - dense: {units: 3, activation: gelu}
      """)
    let values = weights(graph)
    let modern = try ONNXExporter.export(
      graph, weights: values, options: ONNXExportOptions(opset: 20, producerVersion: "t"))
    #expect(modern.graph.node.map(\.opType) == ["Gemm", "Gelu"])
    let gelu = try #require(modern.graph.node.last)
    #expect(gelu.attribute.first?.s == Data("tanh".utf8))
    let composed = try ONNXExporter.export(
      graph, weights: values, options: ONNXExportOptions(opset: 17, producerVersion: "t"))
    #expect(
      composed.graph.node.map(\.opType) == [
        "Gemm", "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul",
      ])
    #expect(composed.graph.node.last?.name == "dense/gelu")
    #expect(composed.irVersion == 8)
  }

  @Test func exactGeluIsGeluNoneFromOpset20AndAnErfComposition() throws {
    let graph = try graph(
      """
      model:
        input: [4]
        layers:
          - dense: {units: 3, activation: {gelu: {approximate: none}}}
      """)
    let values = weights(graph)
    let modern = try ONNXExporter.export(
      graph, weights: values, options: ONNXExportOptions(opset: 20, producerVersion: "t"))
    #expect(modern.graph.node.map(\.opType) == ["Gemm", "Gelu"])
    #expect(modern.graph.node.last?.attribute.first?.s == Data("none".utf8))
    let composed = try ONNXExporter.export(
      graph, weights: values, options: ONNXExportOptions(opset: 17, producerVersion: "t"))
    #expect(composed.graph.node.map(\.opType) == ["Gemm", "Mul", "Erf", "Add", "Mul", "Mul"])
    #expect(composed.graph.node.last?.name == "dense/gelu")
  }

  @Test(arguments: 13...21)
  func lrnIsLRNAtEveryOpset(opset: Int) throws {
    let graph = try graph(
      """
      model:
        input: [6, 4, 4]
        layers:
          - lrn: {size: 3, alpha: 0.5, beta: 0.6, bias: 2, name: norm}
      """)
    let model = try ONNXExporter.export(
      graph, weights: [:], options: ONNXExportOptions(opset: opset, producerVersion: "t"))
    let lrn = try #require(model.graph.node.first)
    #expect(model.graph.node.map(\.opType) == ["LRN"])
    #expect(lrn.name == "norm")
    #expect(lrn.attribute.first { $0.name == "size" }?.i == 3)
    #expect(lrn.attribute.first { $0.name == "alpha" }?.f == 0.5)
    #expect(lrn.attribute.first { $0.name == "beta" }?.f == 0.6)
    #expect(lrn.attribute.first { $0.name == "bias" }?.f == 2)
  }

  @Test func softmaxAppendedForLogitsAndFixedBatch() throws {
    let graph = try graph(
      """
      model:
        input: [1, 4, 4]
        layers:
          - zero_padding2d: [[1, 0], [0, 2]]
          - upsample: {scale: 2, mode: bilinear}
          - flatten
          - dense: 2
      """)
    let model = try ONNXExporter.export(
      graph, weights: weights(graph),
      options: ONNXExportOptions(batch: .fixed(3), outputActivation: .softmax, producerVersion: "t"))
    #expect(model.graph.node.map(\.opType) == ["Pad", "Resize", "Flatten", "Gemm", "Softmax"])
    let pads = try #require(model.graph.initializer.first { $0.name == "zero_padding2d.pads" })
    #expect(pads.int64Data == [0, 0, 1, 0, 0, 0, 0, 2])
    #expect(ONNXModelDump.type(model.graph.input[0].type) == "float[3,1,4,4]")
    #expect(ONNXModelDump.type(model.graph.output[0].type) == "float[3,2]")
  }

  @Test func refusesOpsetsOutsideTheSupportedRange() throws {
    let graph = try graph(convBatchNorm)
    for opset in [12, 22] {
      #expect(throws: ONNXExportError.self) {
        try ONNXExporter.export(
          graph, weights: weights(graph), options: ONNXExportOptions(opset: opset, producerVersion: "t"))
      }
    }
  }

  @Test func missingWeightsAreLocatedAtTheLayer() throws {
    let graph = try graph(convBatchNorm)
    var values = weights(graph)
    values["dense.weight"] = nil
    do {
      _ = try ONNXExporter.export(graph, weights: values, options: ONNXExportOptions(producerVersion: "t"))
      Issue.record("export without dense.weight succeeded")
    } catch let error as ONNXExportError {
      #expect(error.message == "no weights for 'dense.weight' [4, 3]")
      #expect(error.location?.line == 9)
    }
  }

  @Test func roundTripsThroughSerializedBytes() throws {
    let graph = try graph(convBatchNorm)
    let model = try ONNXExporter.export(
      graph, weights: weights(graph),
      options: ONNXExportOptions(metadata: [(key: "nnc.spec", value: "m")], producerVersion: "t"))
    let bytes: Data = try model.serializedBytes()
    let read = try Onnx_ModelProto(serializedBytes: bytes)
    #expect(read == model)
    #expect(ONNXModelDump.text(read) == ONNXModelDump.text(model))
    #expect(read.metadataProps.map(\.key) == ["nnc.spec"])
  }
}
