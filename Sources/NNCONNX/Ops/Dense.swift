import NNCGraph

/// `dense` is `Gemm` with `transB=1`: nnc's weight is [units, in], ONNX's B transposed.
extension ONNXGraphExport {
  mutating func exportDense(_ node: Node, _ attributes: DenseAttributes, foldedInto batchNorm: Node?) throws {
    guard let (info, weights) = try weight(node, .weight) else {
      throw ONNXExportError("'\(node.name)' has no weight", at: node.location)
    }
    var inputs = [input(node.inputs[0])]
    if let batchNorm {
      let bias = try weight(node, .bias)?.values
      let folded = try folded(weights: weights, bias: bias, outputs: attributes.units, batchNorm: batchNorm)
      inputs.append(builder.initializer(info.name, floats: folded.weights, dims: info.shape))
      inputs.append(builder.initializer(node.name + ".bias", floats: folded.bias, dims: [attributes.units]))
    } else {
      inputs.append(builder.initializer(info.name, floats: weights, dims: info.shape))
      if let bias = try initializer(node, .bias) { inputs.append(bias) }
    }
    let y = output(batchNorm?.output ?? node.output, name: node.name)
    builder.node(
      "Gemm", name: node.name, inputs: inputs, outputs: [y], attributes: [Attribute.int("transB", 1)])
  }
}
