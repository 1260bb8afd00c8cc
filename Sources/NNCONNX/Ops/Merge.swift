import NNCGraph

/// A residual's `add` and `concat`'s join along channels.
extension ONNXGraphExport {
  mutating func exportAdd(_ node: Node) {
    let inputs = node.inputs.map(input)
    builder.node(
      inputs.count == 2 ? "Add" : "Sum", name: node.name, inputs: inputs,
      outputs: [output(node.output, name: node.name)])
  }

  mutating func exportConcat(_ node: Node) {
    let inputs = node.inputs.map(input)
    builder.node(
      "Concat", name: node.name, inputs: inputs, outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.int("axis", 1)])
  }
}
