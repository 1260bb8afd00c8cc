import NNCGraph

/// `upsample` is `Resize` by [1, 1, scale, scale]. Nearest repeats each pixel: output pixel i reads
/// input floor(i / scale) (`asymmetric`, `floor`); bilinear samples at (i + 0.5) / scale - 0.5, which
/// is `half_pixel`.
extension ONNXGraphExport {
  mutating func exportUpsample(_ node: Node, _ attributes: UpsampleAttributes) {
    let scale = Float(attributes.scale)
    let scales = builder.initializer(node.name + ".scales", floats: [1, 1, scale, scale], dims: [4])
    let modeAttributes: [Onnx_AttributeProto]
    switch attributes.mode {
    case .nearest:
      modeAttributes = [
        Attribute.string("coordinate_transformation_mode", "asymmetric"), Attribute.string("mode", "nearest"),
        Attribute.string("nearest_mode", "floor"),
      ]
    case .bilinear:
      modeAttributes = [
        Attribute.string("coordinate_transformation_mode", "half_pixel"), Attribute.string("mode", "linear"),
      ]
    }
    let x = input(node.inputs[0])
    // The empty name skips the optional `roi` input.
    builder.node(
      "Resize", name: node.name, inputs: [x, "", scales], outputs: [output(node.output, name: node.name)],
      attributes: modeAttributes)
  }
}
