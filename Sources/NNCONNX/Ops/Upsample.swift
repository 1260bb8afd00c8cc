import NNCGraph
import NNCSpec

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

/// `Resize` by constant scales [1, 1, s, s] back to `upsample` (nearest: asymmetric + floor;
/// bilinear: half_pixel).
extension ONNXGraphImport {
  mutating func importUpsample(_ node: Onnx_NodeProto) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    let scalesInput = node.opType == "Upsample" ? 1 : 2
    guard node.input.count > scalesInput, let scales = constants[node.input[scalesInput]],
      scales.floats.count == 4, scales.floats[0] == 1, scales.floats[1] == 1,
      scales.floats[2] == scales.floats[3],
      scales.floats[2] >= 1, scales.floats[2] <= 1024, scales.floats[2] == scales.floats[2].rounded()
    else {
      throw ONNXImportError.unsupported(
        node, "only constant scales [1, 1, s, s] with an integer s (not sizes)", alternative: "upsample")
    }
    let mode = attributes.string("mode", default: "nearest")
    let transformation = attributes.string("coordinate_transformation_mode", default: "half_pixel")
    let nnMode: String
    if mode == "nearest", node.opType == "Upsample" || transformation == "asymmetric",
      attributes.string("nearest_mode", default: "round_prefer_floor") == "floor" || node.opType == "Upsample"
    {
      nnMode = "nearest"
    } else if mode == "linear" || mode == "bilinear",
      transformation == "half_pixel" || transformation == "pytorch_half_pixel"
    {
      nnMode = "bilinear"
    } else {
      throw ONNXImportError.unsupported(
        node, "mode '\(mode)' with '\(transformation)' coordinates",
        alternative: "upsample (nearest asymmetric floor, or linear half_pixel)")
    }
    return [
      layer(
        "upsample", name: layerName(node, fallback: "upsample"),
        [("scale", .int(Int(scales.floats[2]))), ("mode", .string(nnMode))])
    ]
  }
}
