import NNCGraph

/// `conv2d`, `depthwise_conv2d` and both halves of `separable_conv2d` are one grouped `Conv`: nnc's
/// weight layout [filters, in/groups, kh, kw] is ONNX's, and its explicit padding goes in `pads`
/// (begin values first: top, left, bottom, right).
extension ONNXGraphExport {
  mutating func exportConvolution(
    _ node: Node, _ attributes: ConvolutionAttributes, foldedInto batchNorm: Node?
  )
    throws
  {
    guard let (info, weights) = try weight(node, .weight) else {
      throw ONNXExportError("'\(node.name)' has no weight", at: node.location)
    }
    var inputs = [input(node.inputs[0])]
    if let batchNorm {
      let bias = try weight(node, .bias)?.values
      let folded = try folded(weights: weights, bias: bias, outputs: attributes.filters, batchNorm: batchNorm)
      inputs.append(builder.initializer(info.name, floats: folded.weights, dims: info.shape))
      inputs.append(builder.initializer(node.name + ".bias", floats: folded.bias, dims: [attributes.filters]))
    } else {
      inputs.append(builder.initializer(info.name, floats: weights, dims: info.shape))
      if let bias = try initializer(node, .bias) { inputs.append(bias) }
    }
    let y = output(batchNorm?.output ?? node.output, name: node.name)
    let padding = attributes.padding
    builder.node(
      "Conv", name: node.name, inputs: inputs, outputs: [y],
      attributes: [
        Attribute.ints("dilations", [attributes.dilation.height, attributes.dilation.width]),
        Attribute.int("group", attributes.groups),
        Attribute.ints("kernel_shape", [attributes.kernel.height, attributes.kernel.width]),
        Attribute.ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
        Attribute.ints("strides", [attributes.stride.height, attributes.stride.width]),
      ])
  }
}
