import NNCGraph

/// Activations. Those without an ONNX op of their own at the chosen opset are compositions of
/// element-wise ops whose last node carries the layer's name: ReLU6 is `Clip(0, 6)`, SiLU is
/// x · sigmoid(x), and GELU (nnc's is the tanh approximation) is `Gelu(approximate="tanh")` from
/// opset 20 and 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))) below.
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
    case .gelu:
      if options.opset >= Self.geluOpset {
        single("Gelu", [Attribute.string("approximate", "tanh")])
      } else {
        exportGeluComposition(node, x: x)
      }
    }
  }

  private mutating func exportGeluComposition(_ node: Node, x: String) {
    let name = node.name
    func step(_ opType: String, _ role: String, _ inputs: [String]) -> String {
      let tensor = builder.tensorName(name + ":" + role)
      builder.node(opType, name: name + ":" + role, inputs: inputs, outputs: [tensor])
      return tensor
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
}
