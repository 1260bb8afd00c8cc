import Foundation
import NNCGraph
import NNCSpec
import SwiftProtobuf
import Testing

@testable import NNCONNX

/// The importer on hand-built graphs: exporter patterns it folds, ops it refuses (with type, node
/// name and alternative), shared values no structure expresses, and bytes that are no model.
@Suite struct ONNXImporterTests {
  static func floats(_ name: String, _ dims: [Int]) -> Onnx_TensorProto {
    var tensor = Onnx_TensorProto()
    tensor.name = name
    tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensor.dims = dims.map(Int64.init)
    tensor.floatData = (0..<dims.reduce(1, *)).map { Float($0 % 7) / 7 - 0.4 }
    return tensor
  }

  static func node(
    _ opType: String, _ name: String, _ inputs: [String], _ outputs: [String],
    _ attributes: [Onnx_AttributeProto] = []
  ) -> Onnx_NodeProto {
    var node = Onnx_NodeProto()
    node.opType = opType
    node.name = name
    node.input = inputs
    node.output = outputs
    node.attribute = attributes
    return node
  }

  static func model(
    _ nodes: [Onnx_NodeProto], initializers: [Onnx_TensorProto], input: [Int?], output: String,
    opset: Int64 = 17
  ) -> Onnx_ModelProto {
    var graph = Onnx_GraphProto()
    graph.node = nodes
    graph.initializer = initializers
    graph.input = [valueInfo("x", input)]
    graph.output = [valueInfo(output, [nil])]
    var model = Onnx_ModelProto()
    var opsetID = Onnx_OperatorSetIdProto()
    opsetID.version = opset
    model.opsetImport = [opsetID]
    model.graph = graph
    return model
  }

  @Test func exporterPatternsBecomeLayers() throws {
    // Identity, Dropout, Clip(0, 6), GlobalAveragePool + Reshape, MatMul + Add.
    let nodes = [
      Self.node("Identity", "id", ["x"], ["a"]),
      Self.node(
        "Conv", "stem/conv", ["a", "w"], ["b"],
        [Attribute.ints("kernel_shape", [3, 3]), Attribute.string("auto_pad", "SAME_UPPER")]),
      Self.node("Clip", "stem/clip", ["b", "low", "high"], ["c"]),
      Self.node("Dropout", "drop", ["c"], ["d"]),
      Self.node("GlobalAveragePool", "pool", ["d"], ["e"]),
      Self.node("Reshape", "reshape", ["e", "shape"], ["f"]),
      Self.node("MatMul", "fc", ["f", "matrix"], ["g"]),
      Self.node("Add", "fc_bias", ["g", "bias"], ["y"]),
    ]
    var low = Self.floats("low", [])
    low.floatData = [0]
    var high = Self.floats("high", [])
    high.floatData = [6]
    var shape = Onnx_TensorProto()
    shape.name = "shape"
    shape.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    shape.dims = [2]
    shape.int64Data = [0, -1]
    let model = Self.model(
      nodes,
      initializers: [
        Self.floats("w", [4, 2, 3, 3]), low, high, shape, Self.floats("matrix", [4, 3]),
        Self.floats("bias", [3]),
      ], input: [nil, 2, 5, 5], output: "y")
    let imported = try ONNXImporter.convert(model, name: "patterns", weightsFile: "patterns.safetensors")
    let yaml = SpecPrinter.yaml(imported.spec)
    #expect(
      yaml.contains("conv2d: {filters: 4, kernel: 3, padding: 1, bias: false, name: stem_conv}"), "\(yaml)")
    #expect(yaml.contains("relu6"), "\(yaml)")
    #expect(yaml.contains("global_avgpool"), "\(yaml)")
    #expect(yaml.contains("dense: {units: 3, bias: true, name: fc}"), "\(yaml)")
    #expect(!yaml.contains("flatten") && !yaml.contains("dropout"), "\(yaml)")
    // MatMul's [in, units] weight is stored transposed, as nnc's [units, in].
    let dense = try #require(imported.weights["fc.weight"])
    #expect(dense.shape == [3, 4])
    let matrix = Self.floats("matrix", [4, 3]).floatData
    #expect(dense.values[1 * 4 + 2] == matrix[2 * 3 + 1])
    #expect(imported.weights["stem_conv.weight"]?.shape == [4, 2, 3, 3])
  }

  @Test func refusesOpsItCannotExpress() throws {
    let model = Self.model(
      [Self.node("Selu", "act1", ["x"], ["y"])], initializers: [], input: [nil, 3, 8, 8], output: "y")
    #expect {
      try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    } throws: { error in
      let message = (error as? ONNXImportError)?.message ?? ""
      return message.contains("Selu node 'act1' cannot be imported")
        && message.contains("nearest supported: elu")
    }
  }

  @Test func lrnBecomesTheLayerWithONNXDefaults() throws {
    let nodes = [
      Self.node("LRN", "norm1", ["x"], ["a"], [Attribute.int("size", 5)]),
      Self.node(
        "LRN", "norm2", ["a"], ["y"],
        [
          Attribute.int("size", 3), Attribute.float("alpha", 0.5), Attribute.float("beta", 1),
          Attribute.float("bias", 2),
        ]),
    ]
    let model = Self.model(nodes, initializers: [], input: [nil, 3, 8, 8], output: "y")
    let imported = try ONNXImporter.convert(model, name: "lrn", weightsFile: "lrn.safetensors")
    let yaml = SpecPrinter.yaml(imported.spec)
    #expect(yaml.contains("lrn: {size: 5, alpha: 0.0001, beta: 0.75, bias: 1.0, name: norm1}"), "\(yaml)")
    #expect(yaml.contains("lrn: {size: 3, alpha: 0.5, beta: 1.0, bias: 2.0, name: norm2}"), "\(yaml)")
  }

  @Test(arguments: [
    ([Attribute.int("size", 4)], "size 4"), ([], "size 0"),
    ([Attribute.int("size", 3), Attribute.float("bias", 0)], "alpha 0.0001, beta 0.75, bias 0.0"),
    ([Attribute.int("size", 3), Attribute.float("alpha", -1)], "alpha -1.0"),
  ])
  func lrnOutsideTheLayerIsRefused(attributes: [Onnx_AttributeProto], reason: String) throws {
    let model = Self.model(
      [Self.node("LRN", "norm1", ["x"], ["y"], attributes)], initializers: [], input: [nil, 3, 8, 8],
      output: "y")
    #expect {
      try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    } throws: { error in
      let message = (error as? ONNXImportError)?.message ?? ""
      return message.contains("LRN node 'norm1' cannot be imported: \(reason)")
        && message.contains("nearest supported: lrn")
    }
  }

  @Test func geluOfEitherApproximationAndTheErfFormulaImport() throws {
    var half = Self.floats("half", [])
    half.floatData = [0.5]
    var one = Self.floats("one", [])
    one.floatData = [1]
    var scale = Self.floats("scale", [])
    scale.floatData = [0.707_106_77]
    let nodes = [
      Self.node("Gelu", "exact", ["x"], ["a"]),
      Self.node("Gelu", "approximate", ["a"], ["b"], [Attribute.string("approximate", "tanh")]),
      Self.node("Mul", "formula:scaled", ["b", "scale"], ["c"]),
      Self.node("Erf", "formula:erf", ["c"], ["d"]),
      Self.node("Add", "formula:gate", ["d", "one"], ["e"]),
      Self.node("Mul", "formula:half", ["b", "half"], ["f"]),
      Self.node("Mul", "formula", ["f", "e"], ["y"]),
    ]
    let model = Self.model(
      nodes, initializers: [half, one, scale], input: [nil, 4], output: "y", opset: 20)
    let imported = try ONNXImporter.convert(model, name: "gelu", weightsFile: "gelu.safetensors")
    let yaml = SpecPrinter.yaml(imported.spec)
    #expect(yaml.contains("gelu: {approximate: none, name: exact}"), "\(yaml)")
    #expect(yaml.contains("gelu: {name: approximate}"), "\(yaml)")
    #expect(yaml.contains("gelu: {approximate: none, name: formula}"), "\(yaml)")
    // After a Gemm named fc, `fc/gelu` is the dense layer's activation again, in either form.
    for (approximate, argument) in [("none", "{gelu: {approximate: none}}"), ("tanh", "gelu")] {
      let merged = Self.model(
        [
          Self.node("Gemm", "fc", ["x", "matrix", "bias"], ["a"], [Attribute.int("transB", 1)]),
          Self.node("Gelu", "fc/gelu", ["a"], ["y"], [Attribute.string("approximate", approximate)]),
        ], initializers: [Self.floats("matrix", [3, 4]), Self.floats("bias", [3])], input: [nil, 4],
        output: "y",
        opset: 20)
      let yaml = SpecPrinter.yaml(
        try ONNXImporter.convert(merged, name: "fc", weightsFile: "fc.safetensors").spec)
      #expect(yaml.contains("dense: {units: 3, bias: true, activation: \(argument), name: fc}"), "\(yaml)")
    }
    let refused = Self.model(
      [Self.node("Gelu", "g", ["x"], ["y"], [Attribute.string("approximate", "fast")])], initializers: [],
      input: [nil, 4], output: "y", opset: 20)
    #expect(throws: ONNXImportError.self) {
      try ONNXImporter.convert(refused, name: "m", weightsFile: "m.safetensors")
    }
  }

  @Test func refusesAValueSharedByUnrelatedBranches() throws {
    // `b` is read inside the inner residual's branch and again by the outer Add: the branches overlap,
    // which neither nesting of residuals expresses.
    let nodes = [
      Self.node("Relu", "r", ["x"], ["a"]),
      Self.node("Sigmoid", "s", ["a"], ["b"]),
      Self.node("Tanh", "t", ["b"], ["c"]),
      Self.node("Add", "inner", ["c", "a"], ["d"]),
      Self.node("Add", "outer", ["d", "b"], ["y"]),
    ]
    let model = Self.model(nodes, initializers: [], input: [nil, 4], output: "y")
    #expect(throws: ONNXImportError.self) {
      try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
    }
  }

  @Test func malformedBytesAreAnErrorNotACrash() throws {
    for bytes: [UInt8] in [[0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x08], [0x3A, 0x05, 0x0A, 0x01]] {
      #expect(throws: ONNXImportError.self) {
        let model = try ONNXImporter.read(bytes: bytes)
        _ = try ONNXImporter.convert(model, name: "m", weightsFile: "m.safetensors")
      }
    }
  }
}
