import NNCGraph
import NNCSpec

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

/// `Gemm` (either `transB`), `MatMul` by a constant, and `MatMul` + `Add` of a constant back to
/// `dense`: the weight is stored [units, in].
extension ONNXGraphImport {
  mutating func importDense(_ node: Onnx_NodeProto, input x: String, activation: String?) throws -> (
    layers: [Layer], input: String
  ) {
    var matrixNode = node
    var bias: [Float]?
    if node.opType == "Add" {
      // MatMul + Add: the Add's constant is the bias.
      guard let matmulIndex = producer[x], graph.node[matmulIndex].opType == "MatMul", readers[x] == 1,
        let constant = node.input.first(where: { constants[$0] != nil }).flatMap({ constants[$0] }),
        !constant.floats.isEmpty
      else {
        throw ONNXImportError.unsupported(
          node, "it adds a constant to a value that is not a MatMul's", alternative: "dense (its bias)")
      }
      matrixNode = graph.node[matmulIndex]
      bias = constant.floats
    }
    let attributes = try ONNXAttributes(matrixNode)
    guard matrixNode.input.count >= 2, let b = constants[matrixNode.input[1]], b.dims.count == 2,
      !b.floats.isEmpty
    else {
      throw ONNXImportError.unsupported(
        matrixNode, "its second input is not a float [in, units] initializer", alternative: "dense")
    }
    guard try attributes.int("transA", default: 0) == 0 else {
      throw ONNXImportError.unsupported(matrixNode, "transA=1 transposes the input", alternative: "dense")
    }
    // Gemm computes alpha · A·B + beta · C: alpha scales the weight and beta the bias.
    let alpha = matrixNode.opType == "Gemm" ? attributes.float("alpha", default: 1) : 1
    let beta = matrixNode.opType == "Gemm" ? attributes.float("beta", default: 1) : 1
    let transB = try attributes.int("transB", default: 0)
    let transposed = matrixNode.opType == "Gemm" && transB == 1
    let (units, inputs) = transposed ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
    var weight = b.floats
    if !transposed {
      for unit in 0..<units {
        for feature in 0..<inputs { weight[unit * inputs + feature] = b.floats[feature * units + unit] }
      }
    }
    if alpha != 1 { weight = weight.map { $0 * alpha } }
    if matrixNode.opType == "Gemm", matrixNode.input.count >= 3, !matrixNode.input[2].isEmpty {
      guard let constant = constants[matrixNode.input[2]] else {
        throw ONNXImportError.unsupported(matrixNode, "its bias is not an initializer", alternative: "dense")
      }
      // A bias of one value, or of shape [1, units], is broadcast over the units and the batch.
      guard constant.dims.count <= 1 || constant.dims.dropLast().allSatisfy({ $0 == 1 }) else {
        throw ONNXImportError.unsupported(
          matrixNode, "its bias \(constant.dims) varies over the batch", alternative: "dense")
      }
      bias =
        (constant.floats.count == 1 ? [Float](repeating: constant.floats[0], count: units) : constant.floats)
        .map { $0 * beta }
    }
    if let values = bias, values.count != units {
      throw ONNXImportError.unsupported(
        node, "its bias has \(values.count) values for \(units) units (broadcast biases are not imported)",
        alternative: "dense")
    }
    let name = layerName(matrixNode, fallback: "dense")
    // MatMul multiplies the last axis of any rank; nnc's dense reads [N, features].
    rankChecks.append(
      ONNXRankCheck(
        layer: name, sampleRank: 1, node: matrixNode, reason: "its input is not [N, features]",
        alternative: "flatten, then dense"))
    var arguments: [(String, Expr.Kind)] = [("units", .int(units)), ("bias", .bool(bias != nil))]
    if let activation { arguments.append(("activation", .string(activation))) }
    var parameters = [(role: "weight", shape: [units, inputs], values: weight)]
    if let bias { parameters.append((role: "bias", shape: [units], values: bias)) }
    let input = node.opType == "Add" ? matrixNode.input[0] : x
    return ([layer("dense", name: name, arguments, weights: parameters)], input)
  }
}
