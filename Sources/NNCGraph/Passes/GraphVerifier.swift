/// Checks the invariants every pass must keep: values defined once and before use, shapes that fit
/// each op, unique parameter names, fused and in-place nodes that make sense in the graph's mode.
public enum GraphVerifier {
  public static func verify(_ graph: Graph, mode: GraphMode, after pass: String) throws(PassError) {
    func fail(_ message: String) -> PassError { PassError(pass: pass, message: message) }
    var defined = [Bool](repeating: false, count: graph.shapes.count)
    guard graph.input.index < graph.shapes.count else { throw fail("the input \(graph.input) has no shape") }
    defined[graph.input.index] = true
    var parameterNames = Set<String>()
    for node in graph.nodes {
      let place = "node \"\(node.name)\" (\(node.op.mnemonic))"
      for input in node.inputs {
        guard input.index < defined.count, defined[input.index] else {
          throw fail("\(place) reads \(input) before it is defined")
        }
      }
      guard node.output.index < defined.count, !defined[node.output.index] else {
        throw fail("\(place) defines \(node.output) a second time")
      }
      defined[node.output.index] = true
      for parameter in node.parameters {
        guard parameterNames.insert(parameter.name).inserted else {
          throw fail("parameter '\(parameter.name)' appears twice")
        }
      }
      let inputs = node.inputs.map { graph.shape(of: $0) }
      let output = graph.shape(of: node.output)
      switch node.op {
      case .activation(let activation):
        guard inputs == [output] else { throw fail("\(place) changes the shape \(inputs) to \(output)") }
        if node.inPlace, !activation.isElementwise { throw fail("\(place) cannot run in place") }
        if node.inPlace, mode == .training, !activation.gradientFromOutput {
          throw fail("\(place) runs in place in training but its gradient needs its input")
        }
      case .flatten:
        guard inputs.count == 1, inputs[0].sampleCount == output.sampleCount else {
          throw fail("\(place) changes the element count")
        }
      case .fused(let attributes):
        if attributes.activation == .softmax {
          throw fail("\(place) fuses softmax, which is not element-wise")
        }
        if let batchNorm = attributes.batchNorm {
          if mode == .training { throw fail("\(place) folds a batchnorm into a training graph") }
          let roles = Set(node.parameters.map(\.role))
          guard roles.contains(.runningMean), roles.contains(.runningVariance),
            roles.contains(.gamma) == batchNorm.scale, roles.contains(.beta) == batchNorm.center
          else { throw fail("\(place) lacks the folded batchnorm's parameters") }
        }
        if mode == .training, attributes.activation != .linear, !attributes.activation.gradientFromOutput {
          throw fail("\(place) fuses \(attributes.activation.name), whose gradient needs its input")
        }
        if case .add = attributes.base, inputs.contains(where: { $0 != output }) {
          throw fail("\(place) adds \(inputs) into \(output)")
        }
        if node.inPlace { throw fail("\(place) cannot run in place") }
      case .input, .convolution, .pool, .globalPool, .dense, .dropout, .batchNorm, .add, .concat,
        .zeroPadding,
        .upsample, .lrn:
        if node.inPlace { throw fail("\(place) cannot run in place") }
      }
    }
    guard graph.output.index < defined.count, defined[graph.output.index] else {
      throw fail("the graph output \(graph.output) is never defined")
    }
  }
}
