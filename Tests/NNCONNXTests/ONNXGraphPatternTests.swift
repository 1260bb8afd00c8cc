import Foundation
import NNCGraph
import NNCSpec
import Testing

@testable import NNCONNX

/// The graph rewrites before the import (ONNXGraphSimplifier) on hand-built graphs: an n-ary Sum,
/// shape computations and constant subgraphs folded, reshaping between a pool and Gemm folded into
/// the global pool; each compared with the plain pattern it must compute the same as.
@Suite struct ONNXGraphPatternTests {
  typealias Build = ONNXImporterTests

  static func ints(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
    var tensor = Onnx_TensorProto()
    tensor.name = name
    tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    tensor.dims = [Int64(values.count)]
    tensor.int64Data = values
    return tensor
  }

  static func constantNode(_ output: String, _ tensor: Onnx_TensorProto) -> Onnx_NodeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = "value"
    attribute.type = .tensor
    attribute.t = tensor
    return Build.node("Constant", output + "_constant", [], [output], [attribute])
  }

  static func inputs(_ count: Int) -> [Float] {
    (0..<count).map { Float(($0 * 37) % 23) / 11 - 1 }
  }

  static func outputs(_ model: Onnx_ModelProto, batch: Int, sample: Int) throws -> [Float] {
    let imported = try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    let network = try ImportedNetwork(imported, maxBatch: batch)
    return network.run(inputs(batch * sample), batch: batch)
  }

  static func yaml(_ model: Onnx_ModelProto) throws -> String {
    SpecPrinter.yaml(try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors").spec)
  }

  static func message(_ model: Onnx_ModelProto) -> String {
    do {
      _ = try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
      return ""
    } catch {
      return (error as? ONNXImportError)?.message ?? "\(error)"
    }
  }

  @Test func sumOfThreeBranchesIsANestedResidual() throws {
    let nodes = [
      Build.node("Relu", "a", ["x"], ["ra"]),
      Build.node("Sigmoid", "b", ["x"], ["sb"]),
      Build.node("Tanh", "c", ["x"], ["tc"]),
      Build.node("Sum", "join", ["ra", "sb", "tc"], ["y"]),
    ]
    let model = Build.model(nodes, initializers: [], input: [nil, 6], output: "y")
    let yaml = try Self.yaml(model)
    #expect(yaml.components(separatedBy: "residual").count - 1 == 2, "\(yaml)")
    let x = Self.inputs(2 * 6)
    let actual = try Self.outputs(model, batch: 2, sample: 6)
    let expected = x.map { max($0, 0) + 1 / (1 + exp(-$0)) + tanh($0) }
    try #require(actual.count == expected.count)
    for (got, want) in zip(actual, expected) { #expect(abs(got - want) <= 1e-5, "\(actual) vs \(expected)") }
  }

  @Test func sumWithTheInputAsOneSummandKeepsTheIdentityShortcut() throws {
    let nodes = [
      Build.node("Relu", "a", ["x"], ["ra"]),
      Build.node("Tanh", "c", ["x"], ["tc"]),
      Build.node("Sum", "join", ["x", "ra", "tc"], ["s"]),
      Build.node("Sum", "single", ["s"], ["y"]),
    ]
    let model = Build.model(nodes, initializers: [], input: [nil, 5], output: "y")
    let x = Self.inputs(3 * 5)
    let actual = try Self.outputs(model, batch: 3, sample: 5)
    let expected = x.map { $0 + max($0, 0) + tanh($0) }
    try #require(actual.count == expected.count)
    for (got, want) in zip(actual, expected) { #expect(abs(got - want) <= 1e-5) }
  }

  /// Conv, GlobalAveragePool, `reshaping` nodes from the pool's output `p` to `f`, Gemm.
  static func pooledModel(_ reshaping: [Onnx_NodeProto], extra: [Onnx_TensorProto] = [], opset: Int64 = 17)
    -> Onnx_ModelProto
  {
    let nodes =
      [
        Build.node("Conv", "conv", ["x", "w"], ["c"], [Attribute.ints("kernel_shape", [3, 3])]),
        Build.node("GlobalAveragePool", "pool", ["c"], ["p"]),
      ] + reshaping + [Build.node("Gemm", "fc", ["f", "fc_w", "fc_b"], ["y"], [Attribute.int("transB", 1)])]
    var model = Build.model(
      nodes,
      initializers: [
        Build.floats("w", [4, 2, 3, 3]), Build.floats("fc_w", [3, 4]), Build.floats("fc_b", [3]),
      ]
        + extra,
      input: [nil, 2, 6, 6], output: "y", opset: opset)
    model.graph.valueInfo = [valueInfo("p", [nil, 4, 1, 1])]
    return model
  }

  static let plain = pooledModel([Build.node("Flatten", "flatten", ["p"], ["f"], [Attribute.int("axis", 1)])])

  @Test func pyTorchShapeChainBeforeGemmIsFolded() throws {
    // x.view(x.size(0), -1) as PyTorch's older exporters write it.
    var index = Self.ints("zero", [0])
    index.dims = []
    let chain = [
      Build.node("Shape", "shape", ["p"], ["s"]),
      Self.constantNode("i", index),
      Build.node("Gather", "gather", ["s", "i"], ["n"], [Attribute.int("axis", 0)]),
      Build.node("Unsqueeze", "unsqueeze", ["n", "axes"], ["n1"]),
      Self.constantNode("rest", Self.ints("rest", [-1])),
      Build.node("Concat", "concat", ["n1", "rest"], ["target"], [Attribute.int("axis", 0)]),
      Build.node("Reshape", "reshape", ["p", "target"], ["f"]),
    ]
    let model = Self.pooledModel(chain, extra: [Self.ints("axes", [0])])
    let yaml = try Self.yaml(model)
    #expect(yaml.contains("global_avgpool") && !yaml.contains("flatten"), "\(yaml)")
    #expect(try Self.outputs(model, batch: 2, sample: 72) == Self.outputs(Self.plain, batch: 2, sample: 72))
  }

  @Test func squeezeTransposeAndUnsqueezeBeforeGemmAreFolded() throws {
    let runs: [[Onnx_NodeProto]] = [
      [Build.node("Squeeze", "squeeze", ["p", "axes"], ["f"])],
      [
        Build.node("Transpose", "nhwc", ["p"], ["t"], [Attribute.ints("perm", [0, 2, 3, 1])]),
        Build.node("Reshape", "reshape", ["t", "shape"], ["f"]),
      ],
      [
        Build.node("Flatten", "flatten", ["p"], ["q"], [Attribute.int("axis", 1)]),
        Build.node("Unsqueeze", "unsqueeze", ["q", "one"], ["u"]),
        Build.node("Transpose", "swap", ["u"], ["v"], [Attribute.ints("perm", [0, 2, 1])]),
        Build.node("Squeeze", "squeeze", ["v", "two"], ["f"]),
      ],
    ]
    let extra = [
      Self.ints("axes", [2, 3]), Self.ints("shape", [0, -1]), Self.ints("one", [1]), Self.ints("two", [2]),
    ]
    let expected = try Self.outputs(Self.plain, batch: 2, sample: 72)
    for run in runs {
      let model = Self.pooledModel(run, extra: extra)
      let yaml = try Self.yaml(model)
      #expect(yaml.contains("global_avgpool") && !yaml.contains("flatten"), "\(yaml)")
      #expect(try Self.outputs(model, batch: 2, sample: 72) == expected, "\(run.map(\.opType))")
    }
    // Opset 11: Squeeze's axes are an attribute.
    let attributeAxes = Self.pooledModel(
      [Build.node("Squeeze", "squeeze", ["p"], ["f"], [Attribute.ints("axes", [3, 2])])], opset: 11)
    #expect(try Self.outputs(attributeAxes, batch: 2, sample: 72) == expected)
  }

  @Test func transposeThatMovesTheDataIsRefused() throws {
    let model = Self.pooledModel([
      Build.node("Transpose", "swap", ["p"], ["t"], [Attribute.ints("perm", [1, 0, 2, 3])]),
      Build.node("Flatten", "flatten", ["t"], ["f"], [Attribute.int("axis", 1)]),
    ])
    let message = Self.message(model)
    #expect(
      message.contains("Transpose node 'swap' cannot be imported: its perm [1, 0, 2, 3] moves"), "\(message)")
    #expect(message.contains("nearest supported: flatten"))
  }

  @Test func constantSubgraphsBecomeWeights() throws {
    // The Gemm's bias is ConstantOfShape([3]) of 0.5 plus a Constant; its weight a Reshape of a constant.
    var half = Build.floats("half", [1])
    half.floatData = [0.5]
    var fill = Onnx_AttributeProto()
    fill.name = "value"
    fill.type = .tensor
    fill.t = half
    let nodes = [
      Self.constantNode("count", Self.ints("count", [3])),
      Build.node("ConstantOfShape", "fill", ["count"], ["halves"], [fill]),
      Build.node("Cast", "cast", ["halves"], ["bias"], [Attribute.int("to", 1)]),
      Build.node("Add", "shift", ["bias", "offset"], ["b"]),
      Build.node("Reshape", "matrix", ["flat_w", "w_shape"], ["w"]),
      Build.node("Gemm", "fc", ["x", "w", "b"], ["y"], [Attribute.int("transB", 1)]),
    ]
    var offset = Build.floats("offset", [3])
    offset.floatData = [1, 2, 3]
    let model = Build.model(
      nodes, initializers: [offset, Build.floats("flat_w", [12]), Self.ints("w_shape", [3, 4])],
      input: [nil, 4], output: "y")
    let imported = try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    #expect(imported.weights["fc.bias"]?.values == [1.5, 2.5, 3.5])
    #expect(imported.weights["fc.weight"]?.shape == [3, 4])
    #expect(imported.weights["fc.weight"]?.values == Build.floats("flat_w", [12]).floatData)
  }

  @Test func shapesThatDependOnTheBatchElsewhereAreRefused() throws {
    // Reshape(x, [-1, N]): the batch size as the second size.
    var index = Self.ints("zero", [0])
    index.dims = []
    let nodes = [
      Build.node("Shape", "shape", ["x"], ["s"]),
      Build.node("Gather", "gather", ["s", "zero"], ["n"]),
      Build.node("Unsqueeze", "unsqueeze", ["n", "axes"], ["n1"]),
      Build.node("Concat", "concat", ["rest", "n1"], ["target"], [Attribute.int("axis", 0)]),
      Build.node("Reshape", "reshape", ["x", "target"], ["y"]),
    ]
    let model = Build.model(
      nodes, initializers: [index, Self.ints("axes", [0]), Self.ints("rest", [-1])], input: [nil, 4],
      output: "y")
    let message = Self.message(model)
    #expect(
      message.contains("'target' read by Reshape node 'reshape' depends on the batch size"), "\(message)")
  }

  @Test func reshapeAtTheGraphsFixedBatchIsAFlatten() throws {
    // Reshape(x, [1, 36]) in a graph declared for batch 1 flattens; imported, it runs at any batch.
    func model(_ reshape: Onnx_NodeProto, _ extra: [Onnx_TensorProto], batch: Int?) -> Onnx_ModelProto {
      Build.model(
        [reshape, Build.node("Gemm", "fc", ["f", "fc_w", "fc_b"], ["y"], [Attribute.int("transB", 1)])],
        initializers: [Build.floats("fc_w", [3, 36]), Build.floats("fc_b", [3])] + extra,
        input: [batch, 4, 3, 3], output: "y")
    }
    let fixed = model(
      Build.node("Reshape", "flat", ["x", "target"], ["f"]), [Self.ints("target", [1, 36])], batch: 1)
    let plain = model(Build.node("Flatten", "flat", ["x"], ["f"]), [], batch: nil)
    #expect(try Self.yaml(fixed).contains("flatten"))
    #expect(try Self.outputs(fixed, batch: 2, sample: 36) == Self.outputs(plain, batch: 2, sample: 36))
  }

  @Test func aModelWithoutWeightsHasNoTrainInit() throws {
    let model = Build.model(
      [Build.node("Relu", "relu", ["x"], ["y"])], initializers: [], input: [nil, 4], output: "y")
    let imported = try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    #expect(imported.spec.train == nil)
    #expect(imported.weights.isEmpty)
  }

  @Test func padBeforeOpset11WithAValueIsRefused() throws {
    let pad = Build.node(
      "Pad", "pad", ["x"], ["y"],
      [Attribute.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), Attribute.float("value", 2)])
    let model = Build.model([pad], initializers: [], input: [nil, 2, 4, 4], output: "y", opset: 10)
    let message = Self.message(model)
    #expect(
      message.contains("Pad node 'pad' cannot be imported: it pads with the value 2.0, not 0"), "\(message)")
  }

  @Test func degenerateNodesAreErrorsNotCrashes() throws {
    // A Sum of nothing, a reshaping op without output, a Reshape to sizes whose product overflows, an
    // Identity whose first input is the empty name.
    let cases: [[Onnx_NodeProto]] = [
      [Build.node("Sum", "empty", [], ["y"])],
      [
        Build.node("GlobalAveragePool", "pool", ["x"], ["p"]), Build.node("Squeeze", "squeeze", ["p"], []),
        Build.node("Relu", "relu", ["x"], ["r"]), Build.node("Add", "add", ["r", "w"], ["y"]),
      ],
      [Build.node("Reshape", "big", ["w", "huge"], ["r"]), Build.node("Add", "add", ["x", "r"], ["y"])],
      [Build.node("Identity", "first", ["", "w"], ["r"]), Build.node("Add", "add", ["x", "r"], ["y"])],
    ]
    let constants = [Build.floats("w", [4]), Self.ints("huge", [Int64.max, Int64.max])]
    for nodes in cases {
      let model = Build.model(nodes, initializers: constants, input: [nil, 4, 1, 1], output: "y")
      #expect(!Self.message(model).isEmpty, "\(nodes.map(\.opType)) imported")
    }
  }

  @Test func malformedNestedFieldIsNamedWithItsOffset() throws {
    // ModelProto.graph (7) holding GraphProto.node (1) whose length 5 runs past the 2 bytes left.
    let bytes: [UInt8] = [0x3A, 0x04, 0x0A, 0x05, 0x22, 0x01]
    #expect {
      _ = try ONNXImporter.read(bytes: bytes)
    } throws: { error in
      let message = (error as? ONNXImportError)?.message ?? ""
      return message.contains(
        "field 'graph.node' (1) of GraphProto at byte 2: its length 5 runs past the end")
    }
  }
}
