import NNCGraph
import NNCSpec

/// `lrn` is ONNX's `LRN` (the same in every opset from 1 to 21): both sum x^2 over `size` channels
/// around the channel and divide by (bias + alpha / size * sum)^beta.
extension ONNXGraphExport {
  mutating func exportLRN(_ node: Node, _ attributes: LRNAttributes) {
    builder.node(
      "LRN", name: node.name, inputs: [input(node.inputs[0])],
      outputs: [output(node.output, name: node.name)],
      attributes: [
        Attribute.int("size", attributes.size), Attribute.float("alpha", attributes.alpha),
        Attribute.float("beta", attributes.beta), Attribute.float("bias", attributes.bias),
      ])
  }
}

/// `LRN` back to `lrn`, with ONNX's defaults (alpha 1e-4, beta 0.75, bias 1). An even size is refused:
/// ONNX puts the window's extra channel after the centre, PyTorch and Caffe's users before it, and
/// nnc accepts only the odd sizes on which they agree.
extension ONNXGraphImport {
  mutating func importLRN(_ node: Onnx_NodeProto) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    let size = try attributes.int("size", default: 0)
    let alpha = attributes.float("alpha", default: 1e-4)
    let beta = attributes.float("beta", default: 0.75)
    let bias = attributes.float("bias", default: 1)
    guard size >= 1, size % 2 == 1, size <= Limits.window else {
      throw ONNXImportError.unsupported(
        node, "size \(size); lrn's window is an odd number of channels up to \(Limits.window)",
        alternative: "lrn (odd size)")
    }
    guard alpha >= 0, alpha.isFinite, beta >= 0, beta <= Float(Limits.power), bias > 0, bias.isFinite else {
      throw ONNXImportError.unsupported(
        node,
        "alpha \(alpha), beta \(beta), bias \(bias); lrn takes alpha >= 0, 0 <= beta <= \(Limits.power), "
          + "bias > 0", alternative: "lrn")
    }
    return [
      layer(
        "lrn", name: layerName(node, fallback: "lrn"),
        [
          ("size", .int(size)), ("alpha", Self.number(alpha)), ("beta", Self.number(beta)),
          ("bias", Self.number(bias)),
        ])
    ]
  }
}
