import NNCGraph
import NNCSpec

/// Writes an nnc graph and its weights as an ONNX model: the inference graph (dropout removed,
/// batchnorm folded into the layer before it unless kept), a node per layer named as nnc names it, and
/// every value's shape, so Netron shows the spec's structure. The mapping of each op family is in
/// `Ops/<Family>.swift`.
public enum ONNXExporter {
  public static let inputName = "input"
  public static let outputName = "output"
  /// The metadata key listing the initializers that hold no parameter (a JSON array of names).
  public static let constantParametersKey = "nnc.constant_parameters"

  /// `graph` must be the graph as lowered (not optimized); `weights` holds every parameter by its
  /// name (`conv2d.weight`), in nnc's layout.
  public static func export(_ graph: Graph, weights: [String: [Float]], options: ONNXExportOptions) throws
    -> Onnx_ModelProto
  {
    guard ONNXExportOptions.supportedOpsets.contains(options.opset) else {
      throw ONNXExportError(
        "opset \(options.opset) is not supported: nnc exports opsets \(ONNXExportOptions.supportedOpsets.lowerBound) "
          + "to \(ONNXExportOptions.supportedOpsets.upperBound)")
    }
    if case .fixed(let size) = options.batch, size < 1 {
      throw ONNXExportError("the batch size must be at least 1, not \(size)")
    }
    var export = ONNXGraphExport(graph: graph, weights: weights, options: options)
    try export.run()

    var onnxGraph = Onnx_GraphProto()
    onnxGraph.name = graph.name
    onnxGraph.node = export.builder.nodes
    onnxGraph.initializer = export.builder.initializers
    onnxGraph.input = [valueInfo(inputName, export.dims(graph.inputShape))]
    onnxGraph.output = [valueInfo(outputName, export.dims(graph.outputShape))]
    onnxGraph.valueInfo = export.builder.valueInfo

    var model = Onnx_ModelProto()
    model.irVersion = options.irVersion
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Int64(options.opset)
    model.opsetImport = [opset]
    model.producerName = "nnc"
    model.producerVersion = options.producerVersion
    model.graph = onnxGraph
    var metadata = options.metadata
    if !export.constantParameters.isEmpty {
      let names = export.constantParameters.map { "\"\($0)\"" }.joined(separator: ", ")
      metadata.append((key: ONNXExporter.constantParametersKey, value: "[\(names)]"))
    }
    model.metadataProps = metadata.map { entry in
      var property = Onnx_StringStringEntryProto()
      property.key = entry.key
      property.value = entry.value
      return property
    }
    return model
  }
}

/// The state of one export: the builder, the ONNX tensor holding each nnc value, and which
/// batchnorm folds into which layer.
struct ONNXGraphExport {
  let graph: Graph
  let weights: [String: [Float]]
  let options: ONNXExportOptions
  var builder = ONNXGraphBuilder(reserving: [ONNXExporter.inputName, ONNXExporter.outputName])
  /// The tensor name of each nnc value, once produced.
  var tensors: [String?]
  /// Batchnorm node index → the convolution or dense node it folds into, and back.
  var foldedBatchNorm: [Int: Int] = [:]
  var foldTarget: [Int: Int] = [:]
  /// Initializers ONNX requires that are no parameter of the spec (the gamma of `scale: false`, the
  /// beta of `center: false`), listed in `nnc.constant_parameters` so that import leaves them fixed.
  var constantParameters: [String] = []

  init(graph: Graph, weights: [String: [Float]], options: ONNXExportOptions) {
    self.graph = graph
    self.weights = weights
    self.options = options
    tensors = [String?](repeating: nil, count: graph.shapes.count)
    tensors[graph.input.index] = ONNXExporter.inputName
  }

  mutating func run() throws {
    if !options.keepBatchNorm { planFolds() }
    for (index, node) in graph.nodes.enumerated() where foldedBatchNorm[index] == nil {
      try export(node, index: index)
    }
    if let activation = options.outputActivation {
      let last = input(graph.output)
      switch activation {
      case .softmax:
        builder.node(
          "Softmax", name: "probabilities", inputs: [last], outputs: [ONNXExporter.outputName],
          attributes: [Attribute.int("axis", 1)])
      case .sigmoid:
        builder.node("Sigmoid", name: "probabilities", inputs: [last], outputs: [ONNXExporter.outputName])
      }
    } else if input(graph.output) != ONNXExporter.outputName {
      // The last layer wrote nothing of its own (a dropout at the end): give the output its name.
      builder.node(
        "Identity", name: "output", inputs: [input(graph.output)], outputs: [ONNXExporter.outputName])
    }
  }

  /// Folds a batchnorm into the convolution or dense layer that alone feeds it.
  mutating func planFolds() {
    var readers = [Int](repeating: 0, count: graph.shapes.count)
    for node in graph.nodes { for value in node.inputs { readers[value.index] += 1 } }
    let producers = graph.producers
    for (index, node) in graph.nodes.enumerated() {
      guard case .batchNorm = node.op, let source = node.inputs.first, readers[source.index] == 1,
        source != graph.output, let producer = producers[source.index]
      else { continue }
      switch graph.nodes[producer].op {
      case .convolution, .dense:
        foldedBatchNorm[index] = producer
        foldTarget[producer] = index
      case .input, .pool, .globalPool, .flatten, .dropout, .batchNorm, .activation, .add, .concat,
        .zeroPadding, .upsample, .lrn, .fused, .reorder:
        continue
      }
    }
  }

  /// Maps one node; no `default:`, so a new op fails to compile until it has a mapping.
  mutating func export(_ node: Node, index: Int) throws {
    switch node.op {
    case .input:
      return
    case .convolution(let attributes):
      try exportConvolution(node, attributes, foldedInto: foldTarget[index].map { graph.nodes[$0] })
    case .dense(let attributes):
      try exportDense(node, attributes, foldedInto: foldTarget[index].map { graph.nodes[$0] })
    case .pool(let attributes):
      exportPool(node, attributes)
    case .globalPool(let kind):
      exportGlobalPool(node, kind)
    case .flatten:
      exportFlatten(node)
    case .dropout:
      exportDropout(node)
    case .batchNorm(let attributes):
      try exportBatchNorm(node, attributes)
    case .activation(let activation):
      exportActivation(node, activation)
    case .add:
      exportAdd(node)
    case .concat:
      exportConcat(node)
    case .zeroPadding(let padding):
      exportZeroPadding(node, padding)
    case .upsample(let attributes):
      exportUpsample(node, attributes)
    case .lrn(let attributes):
      exportLRN(node, attributes)
    case .fused, .reorder:
      throw ONNXExportError(
        "'\(node.name)' is an optimizer's node; export the graph as lowered, before optimization",
        at: node.location)
    }
  }

  /// The tensor holding `value`.
  func input(_ value: ValueID) -> String {
    guard let name = tensors[value.index] else {
      preconditionFailure("value \(value) is read before it is produced")
    }
    return name
  }

  /// Names the tensor of `value` after the node producing it (`output` for the model's output) and
  /// records its shape for Netron and the checker.
  mutating func output(_ value: ValueID, name: String) -> String {
    let isModelOutput = value == graph.output && options.outputActivation == nil
    let tensor = isModelOutput ? ONNXExporter.outputName : builder.tensorName(name)
    tensors[value.index] = tensor
    if !isModelOutput { builder.valueInfo.append(valueInfo(tensor, dims(graph.shape(of: value)))) }
    return tensor
  }

  /// ONNX dimensions of an nnc shape: the batch as `N` or the fixed size asked for.
  func dims(_ shape: Shape) -> [Int?] {
    shape.dimensions.map { dimension in
      switch dimension {
      case .fixed(let size): return size
      case .batch:
        if case .fixed(let size) = options.batch { return size }
        return nil
      }
    }
  }

  /// A parameter's values, checked against its shape.
  func weight(_ node: Node, _ role: ParameterRole) throws -> (info: ParameterInfo, values: [Float])? {
    guard let info = node.parameters.first(where: { $0.role == role }) else { return nil }
    guard let values = weights[info.name] else {
      throw ONNXExportError("no weights for '\(info.name)' \(info.shape)", at: node.location)
    }
    guard values.count == info.count else {
      throw ONNXExportError(
        "'\(info.name)' has \(values.count) values but its shape \(info.shape) needs \(info.count)",
        at: node.location)
    }
    return (info, values)
  }

  /// Adds a parameter as an initializer under its nnc name.
  mutating func initializer(_ node: Node, _ role: ParameterRole) throws -> String? {
    guard let (info, values) = try weight(node, role) else { return nil }
    return builder.initializer(info.name, floats: values, dims: info.shape)
  }
}
