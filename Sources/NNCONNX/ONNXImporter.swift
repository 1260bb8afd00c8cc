import Foundation
import NNCGraph
import NNCSpec
import SwiftProtobuf

/// Reads an ONNX model as an nnc spec and weights. The graph is walked back from its output: a
/// single-input op becomes a layer, an `Add` of two values becomes a `residual` and a `Concat` a
/// `concat`, each from the latest value both branches start from; every value inside a branch must be
/// read by that branch alone, so the spec computes exactly the graph. The mapping of each op family
/// (both directions) is in `Ops/<Family>.swift`.
public enum ONNXImporter {
  /// The opsets whose semantics the mapping follows: opsets 22 to 25 only widened the element types
  /// of the ops nnc imports (bfloat16, float8, int4), so their float32 meaning is opset 21's.
  public static let supportedOpsets = 9...25

  /// Parses a model, naming the first malformed field instead of crashing.
  public static func read(bytes: [UInt8]) throws -> Onnx_ModelProto {
    do {
      return try Onnx_ModelProto(serializedBytes: bytes)
    } catch let error as BinaryDecodingError {
      let location = ONNXWireFormat.firstProblem(in: bytes).map { ": " + $0 } ?? ""
      throw ONNXImportError("not a valid ONNX model (protobuf \(error))\(location)")
    } catch {
      throw ONNXImportError("not a valid ONNX model: \(error)")
    }
  }

  /// The spec (named `name`, its `train.init` reading `weightsFile`) and weights of `model`.
  public static func convert(_ model: Onnx_ModelProto, name: String, weightsFile: String) throws
    -> ONNXImportedModel
  {
    let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0
    guard supportedOpsets.contains(Int(opset)) else {
      throw ONNXImportError(
        "opset \(opset) is not supported: nnc imports opsets \(supportedOpsets.lowerBound) to "
          + "\(supportedOpsets.upperBound)")
    }
    if let foreign = model.opsetImport.first(where: { !($0.domain.isEmpty || $0.domain == "ai.onnx") }),
      model.graph.node.contains(where: { $0.domain == foreign.domain })
    {
      throw ONNXImportError("the model uses ops of the custom domain '\(foreign.domain)'")
    }
    let graph = try ONNXGraphSimplifier.simplify(model.graph, opset: Int(opset))
    var graphImport = try ONNXGraphImport(graph: graph, opset: Int(opset))
    let metadata = Dictionary(
      model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    if let names = metadata[ONNXExporter.constantParametersKey] {
      let list = (try? JSONSerialization.jsonObject(with: Data(names.utf8))) as? [String]
      graphImport.constantParameters = Set(list ?? [])
    }
    let (layers, head) = try graphImport.layers(task: metadata["nnc.task"])
    let location = SourceLocation(file: name, line: 0, column: 0)
    let modelDecl = ModelDecl(
      name: name, input: ONNXGraphImport.list(graphImport.inputShape), layers: layers, at: location)
    // A classification loss needs [N, classes] outputs; any other output is scored by mse.
    let outputRank = Lowering.lower(
      Spec(model: modelDecl, loss: Call(name: "mse", at: .unknown), optimizer: nil, train: nil, file: name)
    ).graph?.outputShape.sample.count
    let loss: String
    switch (metadata["nnc.task"] ?? "", head) {
    case ("regression", _): loss = "mse"
    case _ where outputRank != 1: loss = "mse"
    case (_, .sigmoid), ("binary", _), ("multilabel", _): loss = "binary_cross_entropy"
    case (_, .softmax), (_, .none): loss = "cross_entropy"
    }
    let initFrom = MapEntry(
      key: "from", keyLocation: .unknown, value: Expr(.string(weightsFile), at: .unknown))
    // A model without weights (activations, pools) has nothing for train.init to read.
    let train =
      graphImport.weights.isEmpty
      ? nil
      : Expr(
        .map([MapEntry(key: "init", keyLocation: .unknown, value: Expr(.map([initFrom]), at: .unknown))]),
        at: .unknown)
    let spec = Spec(
      model: modelDecl, loss: Call(name: loss, at: .unknown),
      optimizer: Call(name: "adam", at: .unknown), train: train, file: name + ".yaml")
    try graphImport.verify(spec)
    var weightMetadata: [String: String] = ["source": "nnc import"]
    for (key, renamed) in [
      ("nnc.classes", "classes"), ("nnc.target_normalization", "target_normalization"),
      ("nnc.input_normalization", "input_normalization"),
    ] {
      if let value = metadata[key] { weightMetadata[renamed] = value }
    }
    return ONNXImportedModel(
      spec: spec, weights: graphImport.weights, weightMetadata: weightMetadata, outputActivation: head)
  }
}

/// The state of one import: constants, who produces and who reads each tensor, the layer names in
/// use and the weights gathered so far.
struct ONNXGraphImport {
  let graph: Onnx_GraphProto
  let opset: Int
  var constants: [String: ONNXConstant] = [:]
  var producer: [String: Int] = [:]
  var readers: [String: Int] = [:]
  var weights: [String: (shape: [Int], values: [Float])] = [:]
  var layerNames: Set<String> = []
  var depth = 0
  /// Conditions on the sample rank of a layer's input that only the lowered spec can tell.
  var rankChecks: [ONNXRankCheck] = []
  /// Initializers `nnc export` names as no parameter (`nnc.constant_parameters`).
  var constantParameters: Set<String> = []
  let inputName: String
  let inputShape: [Int]

  init(graph: Onnx_GraphProto, opset: Int) throws {
    self.graph = graph
    self.opset = opset
    for tensor in graph.initializer { constants[tensor.name] = try ONNXConstant(tensor) }
    for (index, node) in graph.node.enumerated() {
      if node.opType == "Constant" {
        guard let value = node.attribute.first(where: { $0.name == "value" }), value.hasT else {
          throw ONNXImportError("Constant node '\(node.name)' has no tensor 'value' (only tensor constants)")
        }
        for output in node.output { constants[output] = try ONNXConstant(value.t) }
        continue
      }
      for output in node.output where !output.isEmpty {
        guard producer[output] == nil else {
          throw ONNXImportError("tensor '\(output)' is produced by two nodes")
        }
        producer[output] = index
      }
      for input in node.input where !input.isEmpty && constants[input] == nil {
        readers[input, default: 0] += 1
      }
    }
    for output in graph.output { readers[output.name, default: 0] += 1 }
    let constantNames = Set(constants.keys)
    let inputs = graph.input.filter { !constantNames.contains($0.name) }
    guard inputs.count == 1, graph.output.count == 1 else {
      throw ONNXImportError(
        "the graph has \(inputs.count) inputs and \(graph.output.count) outputs; nnc models have one of each")
    }
    inputName = inputs[0].name
    let dims = inputs[0].type.tensorType.shape.dim
    guard dims.count >= 2 else {
      throw ONNXImportError("the input '\(inputName)' has no shape [N, ...] (\(dims.count) dimensions)")
    }
    var shape: [Int] = []
    for (position, dimension) in dims.enumerated().dropFirst() {
      guard case .dimValue(let size) = dimension.value, size >= 1, size <= Int64(Limits.size) else {
        let given: String
        switch dimension.value {
        case .dimParam(let name): given = "the dynamic size '\(name)'"
        case .dimValue(let size): given = "the size \(size)"
        case nil: given = "no size"
        }
        throw ONNXImportError(
          "the input '\(inputName)' has \(given) in dimension \(position) (after the batch); nnc needs fixed "
            + "sizes there (export with a fixed input size)")
      }
      shape.append(Int(size))
    }
    inputShape = shape
  }

  /// The model's layers, and the output activation left to the loss.
  mutating func layers(task: String?) throws -> ([Layer], ONNXImportedHead?) {
    var output = graph.output[0].name
    var head: ONNXImportedHead?
    if let index = producer[output], !graph.node[index].input.isEmpty {
      let node = graph.node[index]
      let axis = try ONNXAttributes(node).int("axis", default: opset >= 13 ? -1 : 1)
      // Softmax over the features of [N, features] only: the loss normalizes axis 1 of any rank.
      let rank = declaredShape(of: output)?.count
      if node.opType == "Softmax", axis == 1 && (opset >= 13 || rank == 2) || axis == -1 && rank == 2,
        task != "regression"
      {
        head = .softmax
        output = node.input[0]
      } else if node.opType == "Sigmoid", task == "binary" || task == "multilabel" {
        head = .sigmoid
        output = node.input[0]
      }
    }
    let layers = try sequence(from: inputName, to: output)
    // A graph that only passes its input on (Identity, Dropout) is the identity layer.
    return (layers.isEmpty ? [layer("linear", name: uniqueName("identity"), [])] : layers, head)
  }

  /// The shape of a value the graph declares (input, output or value_info), batch dimension
  /// included, when every dimension after the batch is a fixed size.
  func declaredShape(of value: String) -> [Int]? {
    guard
      let info = graph.input.first(where: { $0.name == value })
        ?? graph.output.first(where: { $0.name == value })
        ?? graph.valueInfo.first(where: { $0.name == value }),
      info.type.tensorType.hasShape
    else { return nil }
    var shape: [Int] = []
    for (position, dimension) in info.type.tensorType.shape.dim.enumerated() {
      if case .dimValue(let size) = dimension.value, size >= 0, size <= Int64(Limits.size) {
        shape.append(Int(size))
      } else if position == 0 {
        shape.append(1)
      } else {
        return nil
      }
    }
    return shape
  }

  /// [height, width] of an [N, C, H, W] value the graph declares.
  func spatialSize(of value: String) -> [Int]? {
    if value == inputName { return inputShape.count == 3 ? Array(inputShape.dropFirst()) : nil }
    guard let shape = declaredShape(of: value), shape.count == 4 else { return nil }
    return Array(shape.dropFirst(2))
  }

  /// The layers that compute `end` from `start`.
  mutating func sequence(from start: String, to end: String) throws -> [Layer] {
    if end == start { return [] }
    // Each step goes back one node; more steps than nodes means the graph has a cycle.
    depth += 1
    defer { depth -= 1 }
    guard depth <= graph.node.count else {
      throw ONNXImportError("the graph has a cycle through '\(end)'")
    }
    guard let index = producer[end] else {
      if constants[end] != nil {
        throw ONNXImportError("the value '\(end)' is a constant; nnc layers compute from the input")
      }
      throw ONNXImportError("the value '\(end)' is not computed from the input '\(start)'")
    }
    let node = graph.node[index]
    let dynamic = node.input.filter { !$0.isEmpty && constants[$0] == nil }
    if dynamic.count >= 2 {
      return try merge(node, inputs: dynamic, from: start)
    }
    guard let x = dynamic.first else {
      throw ONNXImportError("\(node.opType) node '\(node.name)' reads only constants (fold it before import)")
    }
    let step = try importNode(node, input: x)
    try requireExclusive(step.input, start: start, reader: node)
    return try sequence(from: start, to: step.input) + step.layers
  }

  /// A value inside a chain must be read by the next node alone: else a branch no spec structure
  /// expresses reads it.
  func requireExclusive(_ value: String, start: String, reader node: Onnx_NodeProto) throws {
    guard value != start, readers[value, default: 0] > 1 else { return }
    throw ONNXImportError(
      "the value '\(value)' read by \(node.opType) node '\(node.name)' is also read by another branch that no "
        + "residual or concat expresses")
  }

  /// The latest value every input is computed from: where the branches of a residual or concat start.
  func forkPoint(of inputs: [String], at node: Onnx_NodeProto, start: String) throws -> String {
    var common: Set<String>?
    for input in inputs {
      let ancestors = self.ancestors(of: input, start: start)
      common = common.map { $0.intersection(ancestors) } ?? ancestors
    }
    // The ancestor produced last (the input itself counts as produced first of all).
    let candidates = common ?? []
    guard
      let fork = candidates.max(by: { (producer[$0] ?? -1) < (producer[$1] ?? -1) })
    else {
      throw ONNXImportError(
        "the inputs of \(node.opType) node '\(node.name)' do not start from one value: a value inside one "
          + "branch is also read by another, which no residual or concat expresses")
    }
    return fork
  }

  /// Every computed value `value` depends on (itself included), back to `start`.
  func ancestors(of value: String, start: String) -> Set<String> {
    var seen: Set<String> = []
    var pending = [value]
    while let next = pending.popLast() {
      guard !seen.contains(next) else { continue }
      seen.insert(next)
      guard next != start, let index = producer[next] else { continue }
      pending += graph.node[index].input.filter { !$0.isEmpty && constants[$0] == nil }
    }
    return seen
  }

  /// One op's layers and the value they read.
  mutating func importNode(_ node: Onnx_NodeProto, input x: String) throws -> (layers: [Layer], input: String)
  {
    switch node.opType {
    case "Identity", "Dropout":
      return ([], x)
    case "Conv":
      return (try importConvolution(node, activation: nil), x)
    case "Gemm", "MatMul", "Add":
      return try importDense(node, input: x, activation: nil)
    case "BatchNormalization":
      return (try importBatchNorm(node), x)
    case "MaxPool", "AveragePool":
      return (try importPool(node), x)
    case "GlobalAveragePool", "GlobalMaxPool":
      // The graph's output: nnc's [N, C] holds the values of ONNX's [N, C, 1, 1] in the same order.
      if node.output.first == graph.output[0].name {
        let op = node.opType == "GlobalMaxPool" ? "global_maxpool" : "global_avgpool"
        return ([layer(op, name: layerName(node, fallback: op), [])], x)
      }
      throw ONNXImportError.unsupported(
        node, "its output [N, C, 1, 1] is not followed by Flatten or Reshape to [N, C]",
        alternative: "global_avgpool (which gives [N, C])")
    case "Flatten", "Reshape":
      return try importFlatten(node, input: x)
    case "Pad":
      return (try importZeroPadding(node), x)
    case "Resize", "Upsample":
      return (try importUpsample(node), x)
    case "LRN":
      return (try importLRN(node), x)
    case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softmax", "HardSigmoid", "Clip", "Gelu":
      return try importActivation(node, input: x)
    default:
      throw ONNXImportError.unsupported(node, "nnc has no such layer", alternative: Self.nearest(node.opType))
    }
  }

  static func nearest(_ opType: String) -> String {
    switch opType {
    case "ConvTranspose": return "upsample followed by conv2d"
    case "PRelu": return "leaky_relu"
    case "Selu", "Celu": return "elu"
    case "HardSwish", "Swish": return "silu"
    case "Mish", "Softplus": return "silu or elu"
    case "Sub", "Div", "Mul": return "residual (Add) or a layer's own scale and bias"
    case "Transpose", "Squeeze", "Unsqueeze": return "flatten (reshaping [N, C, 1, 1] after a pool to [N, C])"
    case "Shape", "Gather", "ConstantOfShape", "Slice", "Cast", "Expand":
      return "a constant (nnc folds shape computations when every size but the batch is declared)"
    case "ReduceMean": return "global_avgpool"
    case "ReduceMax": return "global_maxpool"
    default: return "one of the ops listed under `nnc import` in the README"
    }
  }

  /// A unique layer name from an ONNX node's: characters a name pattern could misread become `_`.
  mutating func layerName(_ node: Onnx_NodeProto, fallback: String) -> String {
    let base = node.name.isEmpty ? fallback : node.name
    var cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    while cleaned.hasPrefix("_") { cleaned.removeFirst() }
    if cleaned.isEmpty || cleaned.first!.isNumber { cleaned = fallback + "_" + cleaned }
    return uniqueName(cleaned)
  }

  /// `base`, or `base_2`, `base_3`, ... when a layer already has that name.
  mutating func uniqueName(_ cleaned: String) -> String {
    var name = cleaned
    var suffix = 2
    while layerNames.contains(name) {
      name = "\(cleaned)_\(suffix)"
      suffix += 1
    }
    layerNames.insert(name)
    return name
  }

  /// A layer call `op` named `name` with `arguments` (label, value), recording its weights.
  mutating func layer(
    _ op: String, name: String, _ arguments: [(String, Expr.Kind)],
    weights parameters: [(role: String, shape: [Int], values: [Float])] = []
  ) -> Layer {
    var call = Call(name: op, at: .unknown)
    call.arguments = arguments.map { label, value in
      Argument(label: label, labelLocation: .unknown, value: Expr(value, at: .unknown), isPositional: false)
    }
    call.arguments.append(
      Argument(
        label: "name", labelLocation: .unknown, value: Expr(.string(name), at: .unknown), isPositional: false)
    )
    for parameter in parameters {
      weights[name + "." + parameter.role] = (parameter.shape, parameter.values)
    }
    return Layer(.call(call), at: .unknown)
  }

  static func list(_ values: [Int]) -> Expr {
    Expr(.list(values.map { Expr(.int($0), at: .unknown) }), at: .unknown)
  }

  /// An int, or `[h, w]` when they differ.
  static func pair(_ height: Int, _ width: Int) -> Expr.Kind {
    height == width
      ? .int(height) : .list([Expr(.int(height), at: .unknown), Expr(.int(width), at: .unknown)])
  }

  /// A float attribute as the shortest decimal that reads back as the same Float32 (1e-05, not
  /// 9.99999974737875e-06).
  static func number(_ value: Float) -> Expr.Kind {
    .double(Double("\(value)") ?? Double(value))
  }

  /// Lowers the spec and checks that every parameter has an initializer of its shape, and that no
  /// initializer is left over: the spec then computes the graph with the graph's weights.
  func verify(_ spec: Spec) throws {
    let result = Lowering.lower(spec)
    guard let graph = result.graph else {
      let errors = result.diagnostics.filter { $0.severity == .error }.map(\.message)
      throw ONNXImportError("the imported spec does not check: " + errors.joined(separator: "; "))
    }
    for check in rankChecks {
      guard let node = graph.nodes.first(where: { $0.name == check.layer }) else { continue }
      let rank = graph.shape(of: node.inputs[0]).sample.count
      guard rank == check.sampleRank else {
        throw ONNXImportError.unsupported(
          check.node, "\(check.reason) (its input has \(rank + 1) dimensions)", alternative: check.alternative
        )
      }
    }
    var unused = Set(weights.keys)
    for node in graph.nodes {
      for parameter in node.parameters {
        guard let weight = weights[parameter.name] else {
          throw ONNXImportError(
            "the imported spec has a parameter '\(parameter.name)' the model has no value for")
        }
        guard weight.shape == parameter.shape else {
          throw ONNXImportError(
            "'\(parameter.name)' is \(weight.shape) in the model but \(parameter.shape) in the imported spec")
        }
        unused.remove(parameter.name)
      }
    }
    if let name = unused.sorted().first {
      throw ONNXImportError("the model's weight '\(name)' has no parameter in the imported spec")
    }
  }
}

/// A mapping that holds only when the layer's input has `sampleRank` dimensions after the batch (a
/// negative axis, a Softmax or Flatten whose meaning depends on the rank).
struct ONNXRankCheck {
  var layer: String
  var sampleRank: Int
  var node: Onnx_NodeProto
  var reason: String
  var alternative: String
}
