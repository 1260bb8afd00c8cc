import NNCGraph
import NNCSpec

/// `flatten` is `Flatten(axis=1)`; `dropout` is the identity at inference and leaves the graph.
extension ONNXGraphExport {
  mutating func exportFlatten(_ node: Node) {
    let x = input(node.inputs[0])
    builder.node(
      "Flatten", name: node.name, inputs: [x], outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.int("axis", 1)])
  }

  /// Readers of the dropout's output read its input instead.
  mutating func exportDropout(_ node: Node) {
    tensors[node.output.index] = input(node.inputs[0])
  }
}

/// `Flatten(axis=1)` and `Reshape` to [N, -1] back to `flatten`, or to nothing after a global pool
/// (nnc's global pools already give [N, C]).
extension ONNXGraphImport {
  mutating func importFlatten(_ node: Onnx_NodeProto, input x: String) throws -> (
    layers: [Layer], input: String
  ) {
    var sampleRank: Int?
    if node.opType == "Flatten" {
      // A negative axis -k is axis 1 of a rank-(k + 1) input.
      let axis = try ONNXAttributes(node).int("axis", default: 1)
      guard axis == 1 || axis < 0 else {
        throw ONNXImportError.unsupported(
          node, "axis \(axis); nnc flattens all but the batch (axis 1)", alternative: "flatten")
      }
      if axis < 0 { sampleRank = -axis }
    } else {
      guard node.input.count >= 2, let shape = constants[node.input[1]], shape.int64s.count == 2,
        [0, -1].contains(shape.int64s[0]) || shape.int64s[1] == -1
      else {
        throw ONNXImportError.unsupported(
          node, "only a Reshape to [N, features] of a constant shape is expressible", alternative: "flatten")
      }
    }
    if sampleRank == nil, let pooled = importGlobalPool(flattening: x) { return pooled }
    let name = layerName(node, fallback: "flatten")
    if let sampleRank {
      rankChecks.append(
        ONNXRankCheck(
          layer: name, sampleRank: sampleRank, node: node, reason: "its axis is not the axis after the batch",
          alternative: "flatten (axis 1)"))
    }
    return ([layer("flatten", name: name, [])], x)
  }
}
