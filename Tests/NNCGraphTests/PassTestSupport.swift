import NNCSpec
import Testing

@testable import NNCGraph

/// Lowers YAML that must be valid.
func lowered(_ text: String) throws -> Graph {
  let result = lowerYAML(text)
  return try #require(result.graph, "\(result.diagnostics.map(\.message))")
}

/// The ops of a graph in order, as mnemonics.
func mnemonics(_ graph: Graph) -> [String] { graph.nodes.map(\.op.mnemonic) }

/// Every parameter name of a graph, in order.
func parameterNames(_ graph: Graph) -> [String] { graph.nodes.flatMap(\.parameters).map(\.name) }

let convBatchNormReLU = """
  model:
    input: [3, 8, 8]
    layers:
      - conv2d: {filters: 4, kernel: 3, padding: same, bias: false}
      - batchnorm
      - relu
      - dropout: 0.5
      - flatten
      - dense: {units: 5, activation: relu}
      - dense: 3
  """
