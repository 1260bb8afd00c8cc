import NNCGraph
import NNCSpec

/// `batchnorm`: folded into the convolution or dense layer before it (the default), or a
/// `BatchNormalization` node (`--keep-batchnorm`).
extension ONNXGraphExport {
  /// Kept as `BatchNormalization`. nnc's `momentum` weighs the new batch statistic (PyTorch's
  /// convention); ONNX's weighs the running value, so it is 1 - momentum. `scale: false` and
  /// `center: false` become a gamma of ones and a beta of zeros, which ONNX requires.
  mutating func exportBatchNorm(_ node: Node, _ attributes: BatchNormAttributes) throws {
    let channels = graph.shape(of: node.output).sample[0]
    var gamma = try initializer(node, .gamma)
    if gamma == nil {
      gamma = builder.initializer(
        node.name + ".gamma", floats: [Float](repeating: 1, count: channels), dims: [channels])
      constantParameters.append(gamma!)
    }
    var beta = try initializer(node, .beta)
    if beta == nil {
      beta = builder.initializer(
        node.name + ".beta", floats: [Float](repeating: 0, count: channels), dims: [channels])
      constantParameters.append(beta!)
    }
    guard let mean = try initializer(node, .runningMean),
      let variance = try initializer(node, .runningVariance)
    else {
      throw ONNXExportError("'\(node.name)' has no running statistics", at: node.location)
    }
    let x = input(node.inputs[0])
    let y = output(node.output, name: node.name)
    builder.node(
      "BatchNormalization", name: node.name, inputs: [x, gamma!, beta!, mean, variance], outputs: [y],
      attributes: [
        Attribute.float("epsilon", attributes.epsilon), Attribute.float("momentum", 1 - attributes.momentum),
      ])
  }

  /// The per-channel factor and shift that fold batchnorm `node` into the layer before it:
  /// w' = w · factor and b' = b · factor + shift, with factor = gamma / sqrt(var + epsilon) and
  /// shift = beta - mean · factor (computed in Double, as nnc's fused kernel derives the same).
  func batchNormFold(_ node: Node) throws -> (factor: [Double], shift: [Double]) {
    guard case .batchNorm(let attributes) = node.op,
      let mean = try weight(node, .runningMean)?.values,
      let variance = try weight(node, .runningVariance)?.values
    else {
      throw ONNXExportError("'\(node.name)' is not a batchnorm with running statistics", at: node.location)
    }
    let gamma = try weight(node, .gamma)?.values
    let beta = try weight(node, .beta)?.values
    var factor: [Double] = []
    var shift: [Double] = []
    for channel in mean.indices {
      let scale = Double(gamma?[channel] ?? 1) / (Double(variance[channel]) + attributes.epsilon).squareRoot()
      factor.append(scale)
      shift.append(Double(beta?[channel] ?? 0) - Double(mean[channel]) * scale)
    }
    return (factor, shift)
  }

  /// Weights of `outputs` rows (filters or units) and bias with a batchnorm folded in.
  func folded(weights: [Float], bias: [Float]?, outputs: Int, batchNorm: Node) throws -> (
    weights: [Float], bias: [Float]
  ) {
    let (factor, shift) = try batchNormFold(batchNorm)
    let rowSize = weights.count / outputs
    var scaled = weights
    for row in 0..<outputs {
      for index in (row * rowSize)..<((row + 1) * rowSize) {
        scaled[index] = Float(Double(weights[index]) * factor[row])
      }
    }
    let newBias = (0..<outputs).map { Float(Double(bias?[$0] ?? 0) * factor[$0] + shift[$0]) }
    return (scaled, newBias)
  }
}

/// `BatchNormalization` (inference form) back to `batchnorm`: ONNX's momentum weighs the running
/// value, nnc's the batch statistic.
extension ONNXGraphImport {
  mutating func importBatchNorm(_ node: Onnx_NodeProto) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    guard node.output.count == 1 || node.output.dropFirst().allSatisfy(\.isEmpty),
      try attributes.int("training_mode", default: 0) == 0
    else {
      throw ONNXImportError.unsupported(node, "it is in training mode", alternative: "batchnorm (inference)")
    }
    let roles = ["gamma", "beta", "running_mean", "running_var"]
    guard node.input.count == 5 else {
      throw ONNXImportError.unsupported(
        node, "it has \(node.input.count) inputs, not 5", alternative: "batchnorm")
    }
    let values = try node.input.dropFirst().map { input in
      guard let constant = constants[input], constant.dims.count == 1, !constant.floats.isEmpty else {
        throw ONNXImportError.unsupported(
          node, "'\(input)' is not a float per-channel initializer", alternative: "batchnorm")
      }
      return constant.floats
    }
    let channels = values[0].count
    guard values.allSatisfy({ $0.count == channels }) else {
      throw ONNXImportError.unsupported(node, "its statistics differ in length", alternative: "batchnorm")
    }
    let epsilon = attributes.float("epsilon", default: 1e-5)
    let running = attributes.float("momentum", default: 0.9)
    // 1 - 0.9 in decimal (0.1), not in Float32 (0.100000024).
    let momentum = Float(1 - (Double("\(running)") ?? Double(running)))
    // `nnc export` writes `scale: false` as a gamma of ones and `center: false` as a beta of zeros
    // (ONNX requires both) and names them in `nnc.constant_parameters`: they read back as the flags,
    // so the parameter count round-trips.
    let scale = !constantParameters.contains(node.input[1])
    let center = !constantParameters.contains(node.input[2])
    let parameters = zip(roles, values).map { (role: $0, shape: [channels], values: $1) }
      .filter { ($0.role != "gamma" || scale) && ($0.role != "beta" || center) }
    var arguments: [(String, Expr.Kind)] = [
      ("epsilon", Self.number(epsilon)), ("momentum", Self.number(momentum)),
    ]
    if !scale { arguments.append(("scale", .bool(false))) }
    if !center { arguments.append(("center", .bool(false))) }
    return [layer("batchnorm", name: layerName(node, fallback: "batchnorm"), arguments, weights: parameters)]
  }
}
