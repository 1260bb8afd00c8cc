import NNCGraph
import NNCSpec

/// A residual's `add` and `concat`'s join along channels.
extension ONNXGraphExport {
  mutating func exportAdd(_ node: Node) {
    let inputs = node.inputs.map(input)
    builder.node(
      inputs.count == 2 ? "Add" : "Sum", name: node.name, inputs: inputs,
      outputs: [output(node.output, name: node.name)])
  }

  mutating func exportConcat(_ node: Node) {
    let inputs = node.inputs.map(input)
    builder.node(
      "Concat", name: node.name, inputs: inputs, outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.int("axis", 1)])
  }
}

/// `Add`/`Sum` of two computed values back to a `residual`, `Concat(axis=1)` to a `concat`, each from
/// the latest value all operands start from (`forkPoint`); the two-input patterns of activations too.
extension ONNXGraphImport {
  /// `Add`/`Sum` of two values as a residual, `Concat` as branches, `Mul(x, Sigmoid(x))` as SiLU.
  mutating func merge(_ node: Onnx_NodeProto, inputs: [String], from start: String) throws -> [Layer] {
    switch node.opType {
    case "Mul":
      if let silu = try importSiLU(node, inputs: inputs) {
        return try sequence(from: start, to: silu.input) + silu.layers
      }
      if let gelu = try importGeluComposition(node, inputs: inputs) {
        return try sequence(from: start, to: gelu.input) + gelu.layers
      }
      throw ONNXImportError.unsupported(
        node, "only Mul(x, Sigmoid(x)) (SiLU) and the GELU composition multiply two values",
        alternative: "silu or gelu")
    case "Add", "Sum":
      guard inputs.count == 2 else {
        throw ONNXImportError.unsupported(
          node, "\(inputs.count) summands; a residual adds two", alternative: "residual")
      }
      let fork = try forkPoint(of: inputs, at: node, start: start)
      for input in inputs where input != fork { try requireExclusive(input, start: fork, reader: node) }
      let mainIndex = inputs[0] == fork ? 1 : 0
      let main = try sequence(from: fork, to: inputs[mainIndex])
      let shortcutEnd = inputs[1 - mainIndex]
      var shortcut: [Layer]?
      if shortcutEnd != fork { shortcut = try sequence(from: fork, to: shortcutEnd) }
      let layer = Layer(.residual(main: main, shortcut: shortcut), at: .unknown)
      return try sequence(from: start, to: fork) + [layer]
    case "Concat":
      let axis = try ONNXAttributes(node).int("axis", default: 1)
      guard axis == 1 else {
        throw ONNXImportError.unsupported(
          node, "axis \(axis); nnc joins channels (axis 1)", alternative: "concat")
      }
      let fork = try forkPoint(of: inputs, at: node, start: start)
      for input in inputs where input != fork { try requireExclusive(input, start: fork, reader: node) }
      var branches: [Branch] = []
      for input in inputs {
        branches.append(Branch(layers: try sequence(from: fork, to: input), at: .unknown))
      }
      return try sequence(from: start, to: fork) + [Layer(.concat(branches: branches), at: .unknown)]
    default:
      throw ONNXImportError.unsupported(
        node, "it reads \(inputs.count) computed values", alternative: "Add (residual) or Concat (concat)")
    }
  }
}
