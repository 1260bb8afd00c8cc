/// The textual form of the IR (`nnc check --emit ir`): one SSA assignment per line with attributes,
/// parameters, the inferred shape and the spec location it came from.
public enum IRPrinter {
  public static func print(_ graph: Graph, locations: Bool = true) -> String {
    var out = "graph @\(graph.name)(\(graph.input): \(graph.inputShape)) -> \(graph.outputShape) {\n"
    for node in graph.nodes {
      let operands = node.inputs.map(\.description).joined(separator: ", ")
      var line = "  \(node.output) = \(node.op.mnemonic)(\(operands))"
      let attributes = node.op.attributeText
      if !attributes.isEmpty { line += " {\(attributes)}" }
      if node.inPlace { line += " in_place" }
      line += " : \(graph.shape(of: node.output))"
      line += "  \"\(node.name)\""
      if !node.fusedNodes.isEmpty {
        line += " fuses(" + node.fusedNodes.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
      }
      if !node.parameters.isEmpty {
        let parameters = node.parameters.map { parameter in
          "\(parameter.role.rawValue)\(parameter.shape)" + (parameter.trainable ? "" : "!")
        }
        line += " params(\(parameters.joined(separator: ", ")))"
      }
      if locations, node.location.isKnown {
        line += "  # \(node.location.file.split(separator: "/").last.map(String.init) ?? ""):"
        line += "\(node.location.line):\(node.location.column)"
      }
      out += line + "\n"
    }
    out += "  return \(graph.output)\n}\n"
    return out
  }
}
