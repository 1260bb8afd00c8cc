import NNCSpec
import Testing

@testable import NNCGraph

/// `activation:` of a convolution or dense layer takes an activation's arguments, as a standalone
/// activation layer does, in both syntaxes.
@Suite struct ActivationArgumentTests {
  static func activations(_ text: String, path: String) throws -> [Activation] {
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: path)
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    let graph = try #require(lowered.graph, "\(lowered.diagnostics)")
    return graph.nodes.compactMap { node in
      if case .activation(let activation) = node.op { return activation }
      return nil
    }
  }

  @Test func bothSyntaxesCarryTheArguments() throws {
    let yaml = """
      model:
        input: [1, 8, 8]
        layers:
          - conv2d: {filters: 4, kernel: 3, activation: {leaky_relu: {alpha: 0.1}}}
          - conv2d: {filters: 4, kernel: 3, activation: {elu: 0.5}}
          - conv2d: {filters: 4, kernel: 3, activation: leaky_relu}
          - flatten
          - dense: {units: 2, activation: {leaky_relu: 0.2}}
      """
    let nnc = """
      model m {
        input [1, 8, 8]
        conv2d(4, kernel: 3, activation: leaky_relu(alpha: 0.1))
        conv2d(4, kernel: 3, activation: elu(0.5))
        conv2d(4, kernel: 3, activation: leaky_relu)
        flatten
        dense(2, activation: leaky_relu(0.2))
      }
      """
    let expected: [Activation] = [
      .leakyRelu(alpha: 0.1), .elu(alpha: 0.5), .leakyRelu(alpha: 0.01), .leakyRelu(alpha: 0.2),
    ]
    #expect(try Self.activations(yaml, path: "a.yaml") == expected)
    #expect(try Self.activations(nnc, path: "a.nnc") == expected)
  }

  @Test func aRectifierWithArgumentsStillChoosesHeInitialization() throws {
    let (spec, _) = SpecLoader.parse(
      text: "model:\n  input: [3]\n  layers:\n    - dense: {units: 2, activation: {leaky_relu: 0.1}}\n",
      path: "b.yaml")
    let parsed = try #require(spec)
    let graph = try #require(Lowering.lower(parsed).graph)
    #expect(graph.nodes.first?.parameters.first?.initializer == .heNormal)
  }
}
