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
      case .reorder:
        if mode == .training { throw fail("\(place) changes a layout in a training graph") }
        guard inputs == [output], output.sample.count == 3 else {
          throw fail("\(place) reorders \(inputs) into \(output)")
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
    try verifyLayouts(graph, fail: fail)
  }

  /// Channels-last values are read only by ops with a channels-last kernel, every input of such an
  /// op in the same layout, a reorder changes the layout, and the graph output is channels-first.
  private static func verifyLayouts(_ graph: Graph, fail: (String) -> PassError) throws(PassError) {
    let layouts = graph.valueLayouts
    for node in graph.nodes {
      let place = "node \"\(node.name)\" (\(node.op.mnemonic))"
      let inputLayouts = node.inputs.map { layouts[$0.index] }
      if case .reorder(let layout) = node.op {
        if inputLayouts.first == layout { throw fail("\(place) reorders a value already \(layout)") }
        continue
      }
      guard inputLayouts.contains(.channelsLast) else { continue }
      if Set(inputLayouts).count > 1 { throw fail("\(place) reads values of different layouts") }
      let runsChannelsLast =
        node.op.keepsInputLayout
        && (node.op.convolutionAttributes?.runsChannelsLast(input: graph.shape(of: node.inputs[0])) ?? true)
      if !runsChannelsLast {
        throw fail("\(place) has no channels-last kernel but reads a channels-last value")
      }
    }
    if layouts[graph.output.index] != .channelsFirst {
      throw fail("the graph output \(graph.output) is \(layouts[graph.output.index])")
    }
  }
}
