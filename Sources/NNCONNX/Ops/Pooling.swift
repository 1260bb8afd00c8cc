import NNCGraph

/// `maxpool`, `avgpool` and their global forms. nnc's windows end inside the padded input (floor
/// division: `ceil_mode=0`) and its average leaves padding out (`count_include_pad=0`).
extension ONNXGraphExport {
  mutating func exportPool(_ node: Node, _ attributes: PoolAttributes) {
    let padding = attributes.padding
    var onnxAttributes = [
      Attribute.int("ceil_mode", 0),
      Attribute.ints("kernel_shape", [attributes.window.height, attributes.window.width]),
      Attribute.ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
      Attribute.ints("strides", [attributes.stride.height, attributes.stride.width]),
    ]
    let opType: String
    switch attributes.kind {
    case .max: opType = "MaxPool"
    case .average:
      opType = "AveragePool"
      onnxAttributes.insert(Attribute.int("count_include_pad", 0), at: 1)
    }
    let x = input(node.inputs[0])
    builder.node(
      opType, name: node.name, inputs: [x], outputs: [output(node.output, name: node.name)],
      attributes: onnxAttributes)
  }

  /// ONNX's global pools keep [N,C,1,1]; nnc's give [N,C], so a `Flatten` follows.
  mutating func exportGlobalPool(_ node: Node, _ kind: GlobalPoolKind) {
    let opType = kind == .max ? "GlobalMaxPool" : "GlobalAveragePool"
    let pooled = builder.tensorName(node.name + ":pooled")
    builder.node(opType, name: node.name, inputs: [input(node.inputs[0])], outputs: [pooled])
    builder.node(
      "Flatten", name: node.name + ":flatten", inputs: [pooled],
      outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.int("axis", 1)])
  }
}
