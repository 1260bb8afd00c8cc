import NNCGraph

/// `zero_padding2d` is a constant `Pad` of the two spatial axes; its pads are an input (opset 11 on),
/// begin values of every axis first.
extension ONNXGraphExport {
  mutating func exportZeroPadding(_ node: Node, _ padding: Padding4) {
    let pads = builder.initializer(
      node.name + ".pads",
      int64s: [0, 0, padding.top, padding.left, 0, 0, padding.bottom, padding.right].map(Int64.init),
      dims: [8])
    let x = input(node.inputs[0])
    builder.node(
      "Pad", name: node.name, inputs: [x, pads], outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.string("mode", "constant")])
  }
}
