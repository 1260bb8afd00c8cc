import NNCGraph
import NNCSpec

/// Activations. Those without an ONNX op of their own at the chosen opset are compositions of
/// element-wise ops whose last node carries the layer's name: ReLU6 is `Clip(0, 6)`, SiLU is
/// x · sigmoid(x), and GELU is `Gelu` with its `approximate` attribute from opset 20 and its formula
/// below: 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))) for the tanh approximation (nnc's
/// default), 0.5 · x · (1 + erf(x / √2)) for `approximate: none`.
extension ONNXGraphExport {
  /// The first opset with a `Gelu` op.
  static let geluOpset = 20

  mutating func exportActivation(_ node: Node, _ activation: Activation) {
    let x = input(node.inputs[0])
    let name = node.name
    func single(_ opType: String, _ attributes: [Onnx_AttributeProto] = []) {
      builder.node(
        opType, name: name, inputs: [x], outputs: [output(node.output, name: name)], attributes: attributes)
    }
    switch activation {
    case .linear: single("Identity")
    case .relu: single("Relu")
    case .sigmoid: single("Sigmoid")
    case .tanh: single("Tanh")
    case .leakyRelu(let alpha): single("LeakyRelu", [Attribute.float("alpha", alpha)])
    case .elu(let alpha): single("Elu", [Attribute.float("alpha", alpha)])
    case .softmax: single("Softmax", [Attribute.int("axis", 1)])
    // nnc's hard sigmoid is clamp(x / 6 + 1/2, 0, 1) (PyTorch's), not ONNX's default alpha of 0.2.
    case .hardSigmoid:
      single("HardSigmoid", [Attribute.float("alpha", 1.0 / 6), Attribute.float("beta", 0.5)])
    case .relu6:
      let low = builder.scalar(name + ".min", 0)
      let high = builder.scalar(name + ".max", 6)
      builder.node("Clip", name: name, inputs: [x, low, high], outputs: [output(node.output, name: name)])
    case .silu:
      let gate = builder.tensorName(name + ":sigmoid")
      builder.node("Sigmoid", name: name + ":sigmoid", inputs: [x], outputs: [gate])
      builder.node("Mul", name: name, inputs: [x, gate], outputs: [output(node.output, name: name)])
    case .gelu(let approximation):
      if options.opset >= Self.geluOpset {
        single("Gelu", [Attribute.string("approximate", approximation.rawValue)])
      } else if approximation == .tanh {
        exportGeluComposition(node, x: x)
      } else {
        exportErfGeluComposition(node, x: x)
      }
    }
  }

  /// One node of a composition, named `<layer>:<role>` and writing the tensor of that name (Netron groups them).
  private mutating func compositionStep(layer: String, _ opType: String, _ role: String, _ inputs: [String])
    -> String
  {
    let tensor = builder.tensorName(layer + ":" + role)
    builder.node(opType, name: layer + ":" + role, inputs: inputs, outputs: [tensor])
    return tensor
  }

  private mutating func exportGeluComposition(_ node: Node, x: String) {
    let name = node.name
    func step(_ opType: String, _ role: String, _ inputs: [String]) -> String {
      compositionStep(layer: name, opType, role, inputs)
    }
    let square = step("Mul", "square", [x, x])
    let cube = step("Mul", "cube", [square, x])
    let cubic = step("Mul", "cubic", [cube, builder.scalar(name + ".cubic", 0.044_715)])
    let inner = step("Add", "inner", [x, cubic])
    let scaled = step("Mul", "scaled", [inner, builder.scalar(name + ".scale", 0.797_884_560_802_865_4)])
    let tanh = step("Tanh", "tanh", [scaled])
    let gate = step("Add", "gate", [tanh, builder.scalar(name + ".one", 1)])
    let half = step("Mul", "half", [x, builder.scalar(name + ".half", 0.5)])
    builder.node("Mul", name: name, inputs: [half, gate], outputs: [output(node.output, name: name)])
  }

  /// 0.5 · x · (1 + erf(x · 1/√2)), in the same shape as the tanh form: x read twice.
  private mutating func exportErfGeluComposition(_ node: Node, x: String) {
    let name = node.name
    func step(_ opType: String, _ role: String, _ inputs: [String]) -> String {
      compositionStep(layer: name, opType, role, inputs)
    }
    let scaled = step("Mul", "scaled", [x, builder.scalar(name + ".scale", 0.707_106_781_186_547_5)])
    let erf = step("Erf", "erf", [scaled])
    let gate = step("Add", "gate", [erf, builder.scalar(name + ".one", 1)])
    let half = step("Mul", "half", [x, builder.scalar(name + ".half", 0.5)])
    builder.node("Mul", name: name, inputs: [half, gate], outputs: [output(node.output, name: name)])
  }
}

/// Activations back to their layers: `Clip(0, 6)` is ReLU6, `HardSigmoid(1/6, 1/2)` nnc's hard
/// sigmoid, `Mul(x, Sigmoid(x))` SiLU and `Gelu` GELU (`approximate` tanh or none). An activation named
/// `<layer>/<activation>` right after that convolution or dense layer (as `nnc export` writes a
/// layer's `activation:`) becomes that argument again.
extension ONNXGraphImport {
  mutating func importActivation(_ node: Onnx_NodeProto, input x: String) throws -> (
    layers: [Layer], input: String
  ) {
    let attributes = try ONNXAttributes(node)
    var arguments: [(String, Expr.Kind)] = []
    let op: String
    switch node.opType {
    case "Relu": op = "relu"
    case "Sigmoid": op = "sigmoid"
    case "Tanh": op = "tanh"
    case "LeakyRelu":
      op = "leaky_relu"
      arguments = [("alpha", Self.number(attributes.float("alpha", default: 0.01)))]
    case "Elu":
      op = "elu"
      arguments = [("alpha", Self.number(attributes.float("alpha", default: 1)))]
    case "Softmax":
      // nnc's softmax normalizes axis 1. Before opset 13 an axis flattens every later axis into one,
      // which is axis 1 only for [N, features]; a negative axis -k is axis 1 of rank k + 1.
      let axis = try attributes.int("axis", default: opset >= 13 ? -1 : 1)
      let name = layerName(node, fallback: "softmax")
      let reason = "axis \(axis) is not the axis after the batch"
      let alternative = "softmax (over axis 1)"
      if opset < 13, axis == 1 || axis == -1 {
        rankChecks.append(
          ONNXRankCheck(layer: name, sampleRank: 1, node: node, reason: reason, alternative: alternative))
      } else if axis < 0 {
        rankChecks.append(
          ONNXRankCheck(layer: name, sampleRank: -axis, node: node, reason: reason, alternative: alternative))
      } else if axis != 1 {
        throw ONNXImportError.unsupported(node, reason, alternative: alternative)
      }
      return ([layer("softmax", name: name, [])], x)
    case "HardSigmoid":
      let alpha = attributes.float("alpha", default: 0.2)
      let beta = attributes.float("beta", default: 0.5)
      guard abs(alpha - 1.0 / 6) < 1e-6, abs(beta - 0.5) < 1e-6 else {
        throw ONNXImportError.unsupported(
          node, "alpha \(alpha) and beta \(beta) (nnc's is clamp(x / 6 + 1/2, 0, 1))",
          alternative: "hard_sigmoid")
      }
      op = "hard_sigmoid"
    case "Clip":
      switch try clipBounds(node, attributes) {
      case (0, 6): op = "relu6"
      case (0, .infinity): op = "relu"
      case let (low, high):
        throw ONNXImportError.unsupported(
          node, "Clip(\(low), \(high)): only Clip(0, 6) and Clip(0, inf) are activations",
          alternative: "relu6 or relu")
      }
    case "Gelu":
      let approximate = attributes.string("approximate", default: "none")
      guard let approximation = GeluApproximation(rawValue: approximate) else {
        throw ONNXImportError.unsupported(
          node, "approximate '\(approximate)' (ONNX defines tanh and none)", alternative: "gelu")
      }
      op = "gelu"
      if approximation == .erf { arguments = [("approximate", .string(approximation.rawValue))] }
    default:
      throw ONNXImportError.unsupported(
        node, "nnc has no such activation", alternative: Self.nearest(node.opType))
    }
    // Activations with an alpha stay layers of their own, as they always were; gelu merges in both forms.
    if arguments.isEmpty || op == "gelu",
      let merged = try layerWithActivation(op, arguments: arguments, node: node, input: x, readersOfInput: 1)
    {
      return merged
    }
    return ([layer(op, name: layerName(node, fallback: op), arguments)], x)
  }

  /// The convolution or dense layer before `node` with `op` as its `activation:` argument, when `node`
  /// is named `<layer>/...` and alone reads the layer's output (`readersOfInput` reads, counting the
  /// composition's own).
  mutating func layerWithActivation(
    _ op: String, arguments: [(String, Expr.Kind)] = [], node: Onnx_NodeProto, input x: String,
    readersOfInput: Int
  ) throws -> (layers: [Layer], input: String)? {
    guard let index = producer[x], readers[x] == readersOfInput,
      node.name.hasPrefix(graph.node[index].name + "/")
    else { return nil }
    let layerNode = graph.node[index]
    guard let layerInput = layerNode.input.first(where: { !$0.isEmpty && constants[$0] == nil }) else {
      return nil
    }
    if layerNode.opType == "Conv" {
      return (
        Self.activation(op, arguments, on: try importConvolution(layerNode, activation: op)), layerInput
      )
    }
    if layerNode.opType == "Gemm" || layerNode.opType == "MatMul" {
      let (layers, input) = try importDense(layerNode, input: layerInput, activation: op)
      return (Self.activation(op, arguments, on: layers), input)
    }
    return nil
  }

  /// The last layer's `activation: op` as `activation: {op: {arguments}}` when the activation has
  /// arguments (`{gelu: {approximate: none}}`).
  static func activation(_ op: String, _ arguments: [(String, Expr.Kind)], on layers: [Layer]) -> [Layer] {
    guard !arguments.isEmpty, var last = layers.last, case .call(var call) = last.kind,
      let index = call.arguments.firstIndex(where: { $0.label == "activation" })
    else { return layers }
    let entries = arguments.map {
      MapEntry(key: $0.0, keyLocation: .unknown, value: Expr($0.1, at: .unknown))
    }
    let value = Expr(.map(entries), at: .unknown)
    call.arguments[index].value = Expr(
      .map([MapEntry(key: op, keyLocation: .unknown, value: value)]), at: .unknown)
    last.kind = .call(call)
    return layers.dropLast() + [last]
  }

  /// Clip's bounds: inputs from opset 11, attributes before.
  func clipBounds(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws -> (Float, Float) {
    if opset < 11 {
      return (attributes.float("min", default: -.infinity), attributes.float("max", default: .infinity))
    }
    func bound(_ position: Int, _ fallback: Float) throws -> Float {
      guard node.input.count > position, !node.input[position].isEmpty else { return fallback }
      guard let constant = constants[node.input[position]], constant.floats.count == 1 else {
        throw ONNXImportError.unsupported(
          node, "its bounds are not float scalar constants", alternative: "relu6")
      }
      return constant.floats[0]
    }
    return (try bound(1, -.infinity), try bound(2, .infinity))
  }

  /// `Mul(x, Sigmoid(x))` where the sigmoid alone reads x's value for the product.
  mutating func importSiLU(_ node: Onnx_NodeProto, inputs: [String]) throws -> (
    layers: [Layer], input: String
  )? {
    for (gate, x) in [(inputs[0], inputs[1]), (inputs[1], inputs[0])] {
      guard let index = producer[gate], graph.node[index].opType == "Sigmoid",
        graph.node[index].input.first == x,
        readers[gate] == 1, readers[x] == 2
      else { continue }
      if let merged = try layerWithActivation("silu", node: node, input: x, readersOfInput: 2) {
        return merged
      }
      return ([layer("silu", name: layerName(node, fallback: "silu"), [])], x)
    }
    return nil
  }

  /// GELU as `nnc export` composes it below opset 20: the tanh approximation
  /// 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), x read five times, or the exact
  /// 0.5 · x · (1 + erf(x · 1/√2)), x read twice.
  mutating func importGeluComposition(_ node: Onnx_NodeProto, inputs: [String]) throws -> (
    layers: [Layer], input: String
  )? {
    if let exact = try importErfGeluComposition(node, inputs: inputs) { return exact }
    for (half, gate) in [(inputs[0], inputs[1]), (inputs[1], inputs[0])] {
      guard let (halfInputs, halfConstant) = step(half, "Mul"), halfConstant == 0.5, halfInputs.count == 1,
        let x = halfInputs.first, readers[x] == 5,
        let (gateInputs, one) = step(gate, "Add"), one == 1, gateInputs.count == 1,
        let (tanhInputs, _) = step(gateInputs[0], "Tanh"), tanhInputs.count == 1,
        let (scaledInputs, scale) = step(tanhInputs[0], "Mul"), let scale, abs(scale - 0.797_884_6) < 1e-6,
        let (innerInputs, _) = step(scaledInputs[0], "Add"), innerInputs.count == 2, innerInputs.contains(x),
        let cubic = innerInputs.first(where: { $0 != x }),
        let (cubicInputs, coefficient) = step(cubic, "Mul"), let coefficient,
        abs(coefficient - 0.044_715) < 1e-7,
        let (cubeInputs, _) = step(cubicInputs[0], "Mul"), cubeInputs.count == 2, cubeInputs.contains(x),
        let square = cubeInputs.first(where: { $0 != x }),
        let (squareInputs, _) = step(square, "Mul"), squareInputs == [x, x]
      else { continue }
      if let merged = try layerWithActivation("gelu", node: node, input: x, readersOfInput: 5) {
        return merged
      }
      return ([layer("gelu", name: layerName(node, fallback: "gelu"), [])], x)
    }
    return nil
  }

  private mutating func importErfGeluComposition(_ node: Onnx_NodeProto, inputs: [String]) throws -> (
    layers: [Layer], input: String
  )? {
    for (half, gate) in [(inputs[0], inputs[1]), (inputs[1], inputs[0])] {
      guard let (halfInputs, halfConstant) = step(half, "Mul"), halfConstant == 0.5, halfInputs.count == 1,
        let x = halfInputs.first, readers[x] == 2,
        let (gateInputs, one) = step(gate, "Add"), one == 1, gateInputs.count == 1,
        let (erfInputs, _) = step(gateInputs[0], "Erf"), erfInputs.count == 1,
        let (scaledInputs, scale) = step(erfInputs[0], "Mul"), scaledInputs == [x], let scale,
        abs(scale - 0.707_106_8) < 1e-6
      else { continue }
      let arguments: [(String, Expr.Kind)] = [("approximate", .string("none"))]
      if let merged = try layerWithActivation(
        "gelu", arguments: arguments, node: node, input: x, readersOfInput: 2)
      {
        return merged
      }
      return ([layer("gelu", name: layerName(node, fallback: "gelu"), arguments)], x)
    }
    return nil
  }

  /// The computed inputs and the scalar constant of the `opType` node producing `value`, when it is
  /// read once.
  private func step(_ value: String, _ opType: String) -> ([String], Float?)? {
    guard readers[value] == 1, let index = producer[value], graph.node[index].opType == opType else {
      return nil
    }
    let inputs = graph.node[index].input
    let constant = inputs.compactMap { constants[$0] }.first { $0.floats.count == 1 }?.floats[0]
    return (inputs.filter { !$0.isEmpty && constants[$0] == nil }, constant)
  }
}
