/// Inference: the depthwise-separable parts of a network (MobileNet's inverted residuals,
/// Xception's separable convolutions) run channels-last (NHWC). There a pointwise convolution is one
/// product over every pixel of the batch, and a depthwise kernel reads each pixel's channels as
/// contiguous vectors, where the channels-first kernels of small maps spend their time interleaving
/// planes into vectors (`DepthwiseConv2D.runsChannelBlocks`) and multiply a few pixels per sample.
///
/// A region is a connected set of nodes with a channels-last kernel (`Op.keepsInputLayout` and
/// `ConvolutionAttributes.runsChannelsLast`) joined through the values they pass each other; a
/// region with a depthwise and a pointwise convolution runs channels-last. A `reorder` node converts a
/// value entering a region right after its producer, and one leaving it (read by another node, or
/// the graph output) right after its producer in the region, once per value. Other regions stay
/// channels-first: a ResNet's 1x1 layers (no depthwise convolution), which the channels-first
/// kernels run well, and a depthwise convolution among ordinary ones (no pointwise), where the two
/// reorders would cost what the channels-last depthwise kernel saves.
public struct UseChannelsLast: GraphPass {
  public init() {}
  public var name: String { "channels-last" }
  public func applies(to mode: GraphMode) -> Bool { mode == .inference }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    let selected = Self.channelsLastNodes(graph)
    guard selected.contains(true) else { return graph }
    var produced = [TensorLayout](repeating: .channelsFirst, count: graph.shapes.count)
    for (index, node) in graph.nodes.enumerated() where selected[index] {
      produced[node.output.index] = .channelsLast
    }
    // The layouts each value is read in, besides the one it is produced in.
    var readIn = [Set<TensorLayout>](repeating: [], count: graph.shapes.count)
    for (index, node) in graph.nodes.enumerated() {
      for input in node.inputs {
        readIn[input.index].insert(selected[index] ? .channelsLast : .channelsFirst)
      }
    }
    readIn[graph.output.index].insert(.channelsFirst)

    var result = graph
    result.nodes = []
    // The reordered copy of each value that needs one.
    var reordered: [ValueID: ValueID] = [:]
    func appendReorders(of value: ValueID, producer: Node?) {
      for layout in readIn[value.index] where layout != produced[value.index] {
        let copy = ValueID(result.shapes.count)
        result.shapes.append(graph.shape(of: value))
        let name = (producer?.name ?? "input") + ".to_\(layout)"
        result.nodes.append(
          Node(
            name: name, op: .reorder(layout), inputs: [value], output: copy, parameters: [],
            location: producer?.location ?? graph.nodes[0].location, layerName: "reorder"))
        reordered[value] = copy
      }
    }
    appendReorders(of: graph.input, producer: nil)
    for (index, var node) in graph.nodes.enumerated() {
      let layout: TensorLayout = selected[index] ? .channelsLast : .channelsFirst
      node.inputs = node.inputs.map { produced[$0.index] == layout ? $0 : reordered[$0]! }
      result.nodes.append(node)
      appendReorders(of: node.output, producer: node)
    }
    if produced[graph.output.index] != .channelsFirst { result.output = reordered[graph.output]! }
    return result
  }

  /// Per node: whether it runs channels-last (its region holds a depthwise and a pointwise
  /// convolution).
  static func channelsLastNodes(_ graph: Graph) -> [Bool] {
    let candidates = graph.nodes.map { node in
      node.op.keepsInputLayout
        && (node.op.convolutionAttributes?.runsChannelsLast(input: graph.shape(of: node.inputs[0])) ?? true)
        && node.inputs.allSatisfy { graph.shape(of: $0).sample.count == 3 }
        && graph.shape(of: node.output).sample.count == 3
    }
    // Regions by union-find over candidate producers and consumers.
    var parent = Array(graph.nodes.indices)
    func root(_ node: Int) -> Int {
      var node = node
      while parent[node] != node {
        parent[node] = parent[parent[node]]
        node = parent[node]
      }
      return node
    }
    let producers = graph.producers
    for (index, node) in graph.nodes.enumerated() where candidates[index] {
      for input in node.inputs {
        guard let producer = producers[input.index], candidates[producer] else { continue }
        parent[root(index)] = root(producer)
      }
    }
    var (hasDepthwise, hasPointwise) = (Set<Int>(), Set<Int>())
    for (index, node) in graph.nodes.enumerated() where candidates[index] {
      guard let attributes = node.op.convolutionAttributes else { continue }
      if attributes.isPointwiseProduct {
        hasPointwise.insert(root(index))
      } else {
        hasDepthwise.insert(root(index))
      }
    }
    return graph.nodes.indices.map {
      candidates[$0] && hasDepthwise.contains(root($0)) && hasPointwise.contains(root($0))
    }
  }
}
