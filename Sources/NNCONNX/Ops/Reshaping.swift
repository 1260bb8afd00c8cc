import NNCGraph

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
