import NNCSpec
import Testing

@testable import NNCGraph

/// Parses YAML text and lowers it.
func lowerYAML(_ text: String) -> LoweringResult {
  let (spec, diagnostics) = SpecLoader.parse(text: text, path: "test.yaml")
  guard let spec else { return LoweringResult(graph: nil, diagnostics: diagnostics) }
  var result = Lowering.lower(spec)
  result.diagnostics = diagnostics + result.diagnostics
  return result
}

func errors(_ result: LoweringResult) -> [String] {
  result.diagnostics.filter { $0.severity == .error }.map(\.message)
}

@Test func lenetShapesAndParameters() throws {
  let result = lowerYAML(
    """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: {filters: 6, kernel: 5, padding: 2, activation: relu}
        - maxpool: 2
        - conv2d: {filters: 16, kernel: 5, activation: relu}
        - maxpool: 2
        - flatten
        - dense: {units: 120, activation: relu}
        - dense: {units: 84, activation: relu}
        - dense: 10
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  #expect(graph.outputShape.description == "[N,10]")
  // 156 + 2,416 + 48,120 + 10,164 + 850, counted by hand in the architecture reference.
  #expect(graph.parameterTotals == ParameterTotals(trainable: 61_706, nonTrainable: 0))
  let shapes = graph.nodes.filter { $0.op.mnemonic != "relu" }.map { graph.shape(of: $0.output).description }
  #expect(
    shapes == [
      "[N,6,28,28]", "[N,6,14,14]", "[N,16,10,10]", "[N,16,5,5]", "[N,400]", "[N,120]", "[N,84]", "[N,10]",
    ])
  // Multiply-adds of the two convolutions and three dense layers, times two.
  let expectedFlops =
    2 * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10)
  let counted = graph.nodes.filter { $0.op.mnemonic == "conv2d" || $0.op.mnemonic == "dense" }
    .reduce(0) {
      $0 + $1.op.flops(inputs: $1.inputs.map { graph.shape(of: $0) }, output: graph.shape(of: $1.output))
    }
  #expect(counted == expectedFlops)
}

@Test func samePaddingFollowsTensorFlow() {
  #expect(samePadding(input: 147, window: 3, stride: 2) == (1, 1))
  #expect(samePadding(input: 148, window: 3, stride: 2) == (0, 1))
  #expect(samePadding(input: 32, window: 3, stride: 1) == (1, 1))
  #expect(samePadding(input: 224, window: 7, stride: 2) == (2, 3))
  #expect(slidingOutputSize(input: 147, window: 3, stride: 2, padBefore: 1, padAfter: 1) == 74)
}

@Test func separableConvolutionCountsLikeKeras() throws {
  let result = lowerYAML(
    """
    model:
      input: [32, 16, 16]
      layers:
        - separable_conv2d: {filters: 64, kernel: 3, padding: same}
        - depthwise_conv2d: {kernel: 3, depth_multiplier: 2, bias: false}
    """)
  let graph = try #require(result.graph, "\(result.diagnostics)")
  // Keras: depthwise 3*3*32 + pointwise 32*64 + bias 64; then 3*3*64*2.
  #expect(graph.parameterTotals.trainable == 3 * 3 * 32 + 32 * 64 + 64 + 3 * 3 * 64 * 2)
  // The depthwise layer pads `valid` by default: 16 - 3 + 1.
  #expect(graph.outputShape.description == "[N,128,14,14]")
}

@Test func batchNormStatisticsAreNonTrainable() throws {
  let result = lowerYAML(
    """
    model:
      input: [8, 4, 4]
      layers:
        - batchnorm
        - batchnorm: {scale: false}
        - conv2d: {filters: 4, kernel: 1, trainable: false}
    """)
  let graph = try #require(result.graph)
  #expect(graph.parameterTotals.trainable == 16 + 8)
  #expect(graph.parameterTotals.nonTrainable == 16 + 16 + 4 * 8 + 4)
}

@Test func blocksRepeatsResidualsAndConcat() throws {
  let result = lowerYAML(
    """
    model:
      input: [16, 8, 8]
      layers:
        - repeat: {count: 3, layers: [{unit: {filters: 16}}]}
        - unit: {filters: 32, stride: 2, project: true}
        - concat:
            - branch: [{conv2d: {filters: 8, kernel: 1}}]
            - branch: [{maxpool: {size: 3, stride: 1, padding: same}}]
    blocks:
      unit:
        params: [filters, {stride: 1}, {project: false}]
        layers:
          - residual:
              layers:
                - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same}
    """)
  // `project` is accepted as a parameter but a residual without shortcut cannot change width.
  #expect(errors(result).count == 1)
  #expect(errors(result).first?.hasPrefix("cannot add [N,16,8,8] to [N,32,4,4]") == true)
  let good = lowerYAML(
    """
    model:
      input: [16, 8, 8]
      layers:
        - repeat: {count: 3, layers: [{unit: {filters: 16}}]}
        - concat:
            - branch: [{conv2d: {filters: 8, kernel: 1}}]
            - branch: [{maxpool: {size: 3, stride: 1, padding: same}}]
    blocks:
      unit:
        params: [filters, {stride: 1}]
        layers:
          - residual:
              layers:
                - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same}
    """)
  let graph = try #require(good.graph, "\(good.diagnostics)")
  #expect(graph.outputShape.description == "[N,24,8,8]")
  #expect(graph.nodes.filter { $0.op == .add }.count == 3)
  #expect(graph.nodes.map(\.name).contains("unit_2/conv2d"))
  #expect(Set(graph.nodes.map(\.name)).count == graph.nodes.count)
}

@Test func absurdExpansionIsRefusedNotHung() {
  let result = lowerYAML(
    """
    model:
      input: [4]
      layers:
        - repeat: {count: 10000, layers: [{repeat: {count: 10000, layers: [relu]}}]}
    """)
  #expect(result.graph == nil)
  #expect(errors(result).contains { $0.contains("more than") })
}

@Test func shapeErrorsDoNotCascade() {
  let result = lowerYAML(
    """
    model:
      input: [1, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 9}
        - conv2d: {filters: 4, kernel: 9}
        - dense: 10
    """)
  #expect(errors(result).count == 1)
}

@Test func namePatternsMatchWildcards() {
  #expect(NamePattern.matches("conv*", "conv2d_3"))
  #expect(NamePattern.matches("basic_?/*", "basic_2/conv2d"))
  #expect(!NamePattern.matches("basic_?/*", "basic_12/conv2d"))
  #expect(NamePattern.matches("*", ""))
  #expect(NamePattern.matches("*norm*", "block/batchnorm_1"))
  #expect(!NamePattern.matches("dense", "dense_1"))
}
