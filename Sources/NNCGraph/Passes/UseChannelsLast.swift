/// Inference: the depthwise-separable parts of a network (MobileNet's inverted residuals,
/// Xception's separable convolutions) run channels-last (NHWC). There a pointwise convolution is one
/// product over every pixel of the batch, and a depthwise kernel reads each pixel's channels as
/// contiguous vectors, where the channels-first kernels of small maps spend their time interleaving
/// planes into vectors (`DepthwiseConv2D.runsChannelBlocks`) and multiply a few pixels per sample.
///
/// A region is a connected set of nodes with a channels-last kernel (`Op.keepsInputLayout` and
/// `ConvolutionAttributes.runsChannelsLast`) joined through the values they pass each other; a
/// region with a depthwise and a pointwise convolution, enough work per element its reorders copy
/// and pointwise weights the channels-last kernel keeps in cache runs channels-last
/// (`channelsLastNodes`). A `reorder` node converts a value entering a region right after its
/// producer, and one leaving it (read by another node, or the graph output) right after its
/// producer in the region, once per value. Other regions stay channels-first: a ResNet's 1x1
/// layers (no depthwise convolution), which the channels-first kernels run well, a depthwise
/// convolution among ordinary ones (no pointwise), and regions cut small by max poolings, where
/// the reorders cost what the channels-last kernels save.
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

  /// The work a region must do per element its reorders copy. Measured on the shipped specs
  /// (`nnc bench --inference`, alternating with `--disable-pass channels-last`): MobileNetV2 at
  /// 64x64 (one region of 1,256 FLOPs per reordered element) ran 1.4-1.5x faster channels-last;
  /// `xception_mini` (regions of 50-79, cut by max poolings and strided projections) ran 0.8x, and
  /// Xception's first two entry-flow blocks at 96x96 (275 and 318) lost to their six reorders.
  static let minimumFlopsPerReorderedElement = 400

  /// Weights at most of a region's pointwise convolutions: the runtime's direct channels-last
  /// kernel keeps them in cache up to there (`Conv2D.directChannelsLastMaximumWeights`); past it,
  /// OpenBLAS on channels-last rows ran Xception's 728 x 728 layers 14 % slower than on channels-first
  /// planes.
  public static let maximumPointwiseWeights = 512 * 1024

  /// Per node: whether it runs channels-last: its region holds a depthwise and a pointwise
  /// convolution, none wider than `maximumPointwiseWeights`, and does
  /// `minimumFlopsPerReorderedElement` per element of its boundary values.
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
    var flops: [Int: Int] = [:]
    var tooWide = Set<Int>()
    for (index, node) in graph.nodes.enumerated() where candidates[index] {
      let region = root(index)
      flops[region, default: 0] = CheckedArithmetic.saturatingSum(
        flops[region, default: 0],
        node.op.flops(inputs: node.inputs.map { graph.shape(of: $0) }, output: graph.shape(of: node.output)))
      guard let attributes = node.op.convolutionAttributes else { continue }
      if attributes.isPointwiseProduct {
        let weights = CheckedArithmetic.saturatingProduct(
          graph.shape(of: node.inputs[0]).sample[0], attributes.filters)
        if weights > Self.maximumPointwiseWeights { tooWide.insert(region) }
        hasPointwise.insert(region)
      } else {
        hasDepthwise.insert(region)
      }
    }
    // The elements of each region's boundary values: what its reorders copy.
    var boundary: [Int: Set<ValueID>] = [:]
    for (index, node) in graph.nodes.enumerated() {
      for input in node.inputs {
        let producer = producers[input.index]
        let producerRegion = producer.flatMap { candidates[$0] ? root($0) : nil }
        let readerRegion = candidates[index] ? root(index) : nil
        guard producerRegion != readerRegion else { continue }
        if let producerRegion { boundary[producerRegion, default: []].insert(input) }
        if let readerRegion { boundary[readerRegion, default: []].insert(input) }
      }
    }
    if let producer = producers[graph.output.index], candidates[producer] {
      boundary[root(producer), default: []].insert(graph.output)
    }
    let selected = Set(
      hasDepthwise.intersection(hasPointwise).subtracting(tooWide).filter { region in
        let copied = (boundary[region] ?? []).reduce(0) { $0 + graph.shape(of: $1).sampleCount }
        return flops[region, default: 0] >= Self.minimumFlopsPerReorderedElement * max(copied, 1)
      })
    return graph.nodes.indices.map { candidates[$0] && selected.contains(root($0)) }
  }
}
