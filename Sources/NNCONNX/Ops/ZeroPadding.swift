import NNCGraph
import NNCSpec

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

/// A constant zero `Pad` of the two spatial axes back to `zero_padding2d` (pads from the input from
/// opset 11, from the attribute before).
extension ONNXGraphImport {
  mutating func importZeroPadding(_ node: Onnx_NodeProto) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    guard attributes.string("mode", default: "constant") == "constant" else {
      throw ONNXImportError.unsupported(node, "only constant padding", alternative: "zero_padding2d")
    }
    if node.input.count >= 4, !node.input[3].isEmpty {
      throw ONNXImportError.unsupported(
        node, "it pads chosen axes (the axes input)", alternative: "zero_padding2d of height and width")
    }
    var pads: [Int]
    if node.input.count >= 2, !node.input[1].isEmpty {
      guard let constant = constants[node.input[1]], !constant.int64s.isEmpty else {
        throw ONNXImportError.unsupported(
          node, "its pads are not an int64 initializer", alternative: "zero_padding2d")
      }
      pads = constant.int64s.map { Int(clamping: $0) }
    } else {
      pads = try attributes.ints("pads") ?? []
    }
    // Before opset 11 the padding value is an attribute.
    let valueAttribute = attributes.float("value", default: 0)
    if opset < 11, valueAttribute != 0 {
      throw ONNXImportError.unsupported(
        node, "it pads with the value \(valueAttribute), not 0", alternative: "zero_padding2d")
    }
    if node.input.count >= 3, !node.input[2].isEmpty,
      let value = constants[node.input[2]], value.floats.contains(where: { $0 != 0 })
    {
      throw ONNXImportError.unsupported(
        node, "it pads with a value other than 0", alternative: "zero_padding2d")
    }
    guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0,
      pads.allSatisfy({ $0 >= 0 })
    else {
      throw ONNXImportError.unsupported(
        node, "it pads other than the height and width of an [N, C, H, W] value",
        alternative: "zero_padding2d")
    }
    return [
      asymmetricPadding(
        [pads[2], pads[3], pads[6], pads[7]], name: layerName(node, fallback: "zero_padding2d"))
    ]
  }

  /// `zero_padding2d` of [top, left, bottom, right].
  mutating func asymmetricPadding(_ pads: [Int], name: String) -> Layer {
    let padding = Expr.Kind.list([
      Self.list([pads[0], pads[2]]), Self.list([pads[1], pads[3]]),
    ])
    return layer("zero_padding2d", name: name, [("padding", padding)])
  }
}
