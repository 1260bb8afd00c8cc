import NNCSpec
import Testing

@testable import NNCGraph

/// Every vocabulary layer is lowered by an op family, and every activation of the table is a case
/// of `Activation` that maps back to its row.
@Test func everyVocabularyLayerHasAnOpFamily() {
  #expect(Set(Lowerer.layerFamilies.keys) == Set(Vocabulary.layers.keys))
}

@Test func everyActivationRowRoundTripsThroughTheEnum() throws {
  for definition in Vocabulary.activations {
    let activation = try #require(Activation(name: definition.name))
    #expect(activation.name == definition.name)
    #expect(activation.alpha == definition.defaultAlpha)
    #expect(activation.flopsPerElement == definition.flopsPerElement)
  }
}

private func flops(_ graph: Graph, _ node: Node) -> Int {
  node.op.flops(inputs: node.inputs.map { graph.shape(of: $0) }, output: graph.shape(of: node.output))
}

@Test(arguments: [
  ("zero_padding2d", [3, 5, 7], [3, 7, 9], Padding4(top: 1, bottom: 1, left: 1, right: 1)),
  ("zero_padding2d: 2", [3, 5, 7], [3, 9, 11], Padding4(top: 2, bottom: 2, left: 2, right: 2)),
  ("zero_padding2d: [1, 3]", [2, 4, 4], [2, 6, 10], Padding4(top: 1, bottom: 1, left: 3, right: 3)),
  (
    "zero_padding2d: {padding: [[1, 2], [3, 4]]}", [2, 4, 5], [2, 7, 12],
    Padding4(top: 1, bottom: 2, left: 3, right: 4)
  ),
])
func zeroPaddingShapeRule(layer: String, input: [Int], output: [Int], padding: Padding4) throws {
  let result = lowerYAML(
    """
    model:
      input: \(input)
      layers:
        - \(layer)
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  let node = try #require(graph.nodes.last)
  #expect(node.op == .zeroPadding(padding))
  #expect(graph.outputShape == Shape(batchOf: output))
  #expect(node.parameters.isEmpty)
  #expect(flops(graph, node) == 0)
  #expect(node.valuesReadByBackward.isEmpty)
}

@Test func zeroPaddingRejectsMalformedAmounts() {
  for padding in ["[[1, 2], [3]]", "[[1, 2], [3, -4]]", "[[1, 2]]"] {
    let result = lowerYAML(
      """
      model:
        input: [1, 4, 4]
        layers:
          - zero_padding2d: {padding: \(padding)}
      """)
    #expect(result.graph == nil)
    #expect(errors(result).contains { $0.contains("[[top, bottom], [left, right]]") }, "\(padding)")
  }
}

@Test(arguments: [
  ("upsample", 2, UpsampleAttributes.Mode.nearest),
  ("upsample: 3", 3, .nearest),
  ("upsample: {scale: 2, mode: bilinear}", 2, .bilinear),
  ("upsample: {scale: 1, mode: bilinear}", 1, .bilinear),
])
func upsampleShapeRule(layer: String, scale: Int, mode: UpsampleAttributes.Mode) throws {
  let result = lowerYAML(
    """
    model:
      input: [3, 4, 5]
      layers:
        - \(layer)
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  let node = try #require(graph.nodes.last)
  #expect(node.op == .upsample(UpsampleAttributes(scale: scale, mode: mode)))
  #expect(graph.outputShape == Shape(batchOf: [3, 4 * scale, 5 * scale]))
  #expect(node.parameters.isEmpty)
  #expect(flops(graph, node) == (mode == .nearest ? 0 : 7 * 3 * 4 * scale * 5 * scale))
  #expect(node.valuesReadByBackward.isEmpty)
}

@Test func upsampleAndZeroPaddingNeedImages() {
  for layer in ["upsample", "zero_padding2d"] {
    let result = lowerYAML(
      """
      model:
        input: [12]
        layers:
          - \(layer)
      """)
    #expect(errors(result) == ["'\(layer)' expects a [N,C,H,W] input, got [N,12]"])
  }
  let badScale = lowerYAML(
    """
    model:
      input: [1, 4, 4]
      layers:
        - upsample: 0
    """)
  #expect(badScale.graph == nil)
}

@Test(arguments: GraphMode.allCases)
func paddingAndUpsamplePlanDisjointBuffers(_ mode: GraphMode) throws {
  let graph = try PassManager.optimize(
    try lowered(
      """
      model:
        input: [3, 8, 8]
        layers:
          - conv2d: {filters: 4, kernel: 3, activation: relu}
          - zero_padding2d: 1
          - upsample: {mode: bilinear}
          - conv2d: {filters: 2, kernel: 3, stride: 2}
          - upsample: 3
          - global_avgpool
          - dense: 2
      """), mode: mode)
  let plan = MemoryPlanner.plan(graph, mode: mode, batchSize: 4, reuse: true)
  expectDisjoint(plan)
  #expect(plan.plannedBytes < plan.naiveBytes)
  for node in graph.nodes { #expect(plan.valueOffsets[node.output.index] != nil) }
}

@Test(arguments: [
  ("lrn: 5", LRNAttributes(size: 5, alpha: 1e-4, beta: 0.75, bias: 1)),
  ("lrn: {size: 3, alpha: 0.5, beta: 1, bias: 2}", LRNAttributes(size: 3, alpha: 0.5, beta: 1, bias: 2)),
  ("lrn: {size: 1, beta: 0}", LRNAttributes(size: 1, alpha: 1e-4, beta: 0, bias: 1)),
])
func lrnShapeRule(layer: String, attributes: LRNAttributes) throws {
  let result = lowerYAML(
    """
    model:
      input: [6, 4, 5]
      layers:
        - \(layer)
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  let node = try #require(graph.nodes.last)
  #expect(node.op == .lrn(attributes))
  #expect(graph.outputShape == Shape(batchOf: [6, 4, 5]))
  #expect(node.parameters.isEmpty)
  #expect(flops(graph, node) == (2 * attributes.size + 11) * 6 * 4 * 5)
  #expect(node.valuesReadByBackward == node.inputs)
}

@Test func lrnRefusesEvenSizesAndVectors() {
  let even = lowerYAML(
    """
    model:
      input: [6, 4, 4]
      layers:
        - lrn: 4
    """)
  #expect(
    errors(even) == [
      "'size' of 'lrn' must be odd, found 4: the window is centred on the channel, (size - 1) / 2 channels on "
        + "each side"
    ])
  let vector = lowerYAML(
    """
    model:
      input: [12]
      layers:
        - lrn: 3
    """)
  #expect(errors(vector) == ["'lrn' expects a [N,C,H,W] input, got [N,12]"])
  for bad in [
    "lrn: 0", "lrn: {size: 3, alpha: -1}", "lrn: {size: 3, bias: 0}", "lrn: {size: 3, beta: 65}", "lrn",
  ] {
    let result = lowerYAML(
      """
      model:
        input: [6, 4, 4]
        layers:
          - \(bad)
      """)
    #expect(result.graph == nil, "\(bad)")
  }
}

@Test(arguments: [
  ("gelu", Activation.gelu(approximate: .tanh), ""),
  ("gelu: {approximate: tanh}", .gelu(approximate: .tanh), ""),
  ("gelu: {approximate: none}", .gelu(approximate: .erf), "approximate=none"),
  (
    "dense: {units: 3, activation: {gelu: {approximate: none}}}", .gelu(approximate: .erf), "approximate=none"
  ),
])
func geluApproximationArgument(layer: String, activation: Activation, attributeText: String) throws {
  let result = lowerYAML(
    """
    model:
      input: [4]
      layers:
        - \(layer)
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  let node = try #require(graph.nodes.last)
  #expect(node.op == .activation(activation))
  #expect(node.op.attributeText == attributeText)
  #expect(node.valuesReadByBackward == node.inputs)
}
