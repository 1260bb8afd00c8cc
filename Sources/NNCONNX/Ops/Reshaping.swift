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
    if node.opType == "Flatten" {
      let axis = try ONNXAttributes(node).int("axis", default: 1)
      guard axis == 1 else {
        throw ONNXImportError.unsupported(
          node, "axis \(axis); nnc flattens all but the batch", alternative: "flatten")
      }
    } else {
      guard node.input.count >= 2, let shape = constants[node.input[1]], shape.int64s.count == 2,
        [0, -1].contains(shape.int64s[0]) || shape.int64s[1] == -1
      else {
        throw ONNXImportError.unsupported(
          node, "only a Reshape to [N, features] of a constant shape is expressible", alternative: "flatten")
      }
    }
    if let pooled = importGlobalPool(flattening: x) { return pooled }
    return ([layer("flatten", name: layerName(node, fallback: "flatten"), [])], x)
  }
}
