/// An element-wise activation overwrites its input buffer when nothing else needs that buffer: the
/// input has no other reader, is neither the graph's input nor its result, and — in training — no
/// backward step reads it (the activation's own gradient must then follow from its output, as ReLU's
/// does). Buffers already shared through earlier in-place nodes (a flatten view) count as one.
public struct MakeActivationsInPlace: GraphPass {
  public init() {}
  public var name: String { "make-activations-in-place" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    let producers = graph.producers
    let uses = graph.useCounts
    var readByBackward = Set<ValueID>()
    if mode == .training {
      for node in graph.nodes { readByBackward.formUnion(node.valuesReadByBackward) }
    }
    for index in graph.nodes.indices {
      let node = graph.nodes[index]
      guard case .activation(let activation) = node.op, activation.isElementwise,
        mode == .inference || activation.gradientFromOutput
      else { continue }
      // Every value living in the input's buffer must be safe to overwrite.
      var value = node.inputs[0]
      var safe = true
      while true {
        if value == graph.input || uses[value.index] != 1 || readByBackward.contains(value) {
          safe = false
          break
        }
        guard let producer = producers[value.index], graph.nodes[producer].inPlace else { break }
        value = graph.nodes[producer].inputs[0]
      }
      if safe { graph.nodes[index].inPlace = true }
    }
    return graph
  }
}
