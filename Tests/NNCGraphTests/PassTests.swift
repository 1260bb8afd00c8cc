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

@Test func foldBatchNormOnlyAtInferenceAndKeepsParameterNames() throws {
  let graph = try lowered(convBatchNormReLU)
  #expect(FoldBatchNorm().applies(to: .inference))
  #expect(!FoldBatchNorm().applies(to: .training))
  let folded = FoldBatchNorm().run(graph, mode: .inference)
  #expect(mnemonics(folded) == ["conv2d+batchnorm", "relu", "dropout", "flatten", "dense", "relu", "dense"])
  #expect(parameterNames(folded) == parameterNames(graph))
  #expect(folded.nodes[0].fusedNodes == ["batchnorm"])
  #expect(folded.nodes[0].output == graph.nodes[1].output)
  try GraphVerifier.verify(folded, mode: .inference, after: "test")
  // Verifying the folded graph as a training graph must fail: training needs batch statistics.
  #expect(throws: PassError.self) { try GraphVerifier.verify(folded, mode: .training, after: "test") }
}

@Test func fuseActivationsMergesIntoConvolutionAndDense() throws {
  let graph = try lowered(convBatchNormReLU)
  let fused = FuseActivations().run(graph, mode: .training)
  #expect(mnemonics(fused) == ["conv2d", "batchnorm", "relu", "dropout", "flatten", "dense+relu", "dense"])
  let all = try PassManager.optimize(graph, mode: .inference)
  #expect(mnemonics(all) == ["conv2d+batchnorm+relu", "flatten", "dense+relu", "dense"])
  #expect(all.nodes[0].fusedNodes == ["batchnorm", "relu"])
  #expect(parameterNames(all) == parameterNames(graph))
}

@Test func activationsWhoseGradientNeedsTheInputDoNotFuseForTraining() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: {units: 4, activation: gelu}
        - dense: {units: 4, activation: tanh}
        - dense: 2
    """)
  #expect(
    mnemonics(FuseActivations().run(graph, mode: .training)) == ["dense", "gelu", "dense+tanh", "dense"])
  #expect(mnemonics(FuseActivations().run(graph, mode: .inference)) == ["dense+gelu", "dense+tanh", "dense"])
}

@Test func activationsDoNotFuseIntoAProducerWithOtherReaders() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 1}
        - residual:
            layers: [relu]
    """)
  // The convolution's output feeds both the relu and the shortcut.
  let fused = FuseActivations().run(graph, mode: .inference)
  #expect(mnemonics(fused) == ["conv2d", "relu", "add"])
}

@Test func fuseElementwiseMergesResidualAddAndActivation() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 3, padding: same}
        - residual:
            layers:
              - conv2d: {filters: 2, kernel: 3, padding: same}
        - relu
        - global_avgpool
    """)
  let fused = FuseElementwise().run(graph, mode: .training)
  #expect(mnemonics(fused) == ["conv2d", "conv2d", "add+relu", "global_avgpool"])
  #expect(fused.nodes[2].fusedNodes == ["relu"])
  try GraphVerifier.verify(fused, mode: .training, after: "test")
}

@Test func removeDropoutAtInferenceAndRateZeroInTraining() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dropout: 0.5
        - dense: 3
        - dropout: 0
    """)
  #expect(mnemonics(RemoveDropout().run(graph, mode: .training)) == ["dropout", "dense"])
  let inference = RemoveDropout().run(graph, mode: .inference)
  #expect(mnemonics(inference) == ["dense"])
  #expect(inference.nodes[0].inputs == [inference.input])
  #expect(inference.output == inference.nodes[0].output)
}

@Test func eliminateDeadCodeRemovesNodesNotReachingTheOutput() throws {
  var graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: 3
        - relu
        - dense: 2
    """)
  // Make the graph end at the relu: the last dense becomes dead.
  graph.output = graph.nodes[1].output
  let live = EliminateDeadCode().run(graph, mode: .training)
  #expect(mnemonics(live) == ["dense", "relu"])
}

@Test func inPlaceActivationsRespectReadersAndTheBackwardPass() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 3, padding: same, bias: false}
        - batchnorm
        - relu
        - sigmoid
        - relu
        - residual:
            layers: [relu]
        - flatten
        - relu
        - dense: 2
    """)
  let training = MakeActivationsInPlace().run(MakeFlattenViews().run(graph, mode: .training), mode: .training)
  let flags = training.nodes.map { "\($0.op.mnemonic)\($0.inPlace ? "!" : "")" }
  // relu after batchnorm: batchnorm's backward reads its input, not its output: in place.
  // sigmoid after relu: relu's backward reads relu's output: not in place. relu after sigmoid: same.
  // relu in the residual: its input has two readers: not in place. The relu after the flatten view:
  // the view's input is the add's output (one reader, read by nobody's backward): in place.
  #expect(
    flags == ["conv2d", "batchnorm", "relu!", "sigmoid", "relu", "relu", "add", "flatten!", "relu!", "dense"])
  let inference = MakeActivationsInPlace().run(graph, mode: .inference)
  #expect(
    inference.nodes.map(\.inPlace) == [false, false, true, true, true, false, false, false, true, false])
}

@Test func passManagerSkipsDisabledPassesAndNoneWhenOff() throws {
  let graph = try lowered(convBatchNormReLU)
  let unoptimized = try PassManager.optimize(graph, mode: .inference, options: .none)
  #expect(mnemonics(unoptimized) == mnemonics(graph))
  #expect(!unoptimized.nodes.contains { $0.inPlace })
  let withoutFold = try PassManager.optimize(
    graph, mode: .inference, options: OptimizationOptions(disabledPasses: ["fold-batchnorm"]))
  #expect(mnemonics(withoutFold) == ["conv2d", "batchnorm", "relu", "flatten", "dense+relu", "dense"])
  #expect(withoutFold.nodes[2].inPlace)
  #expect(PassManager.passNames.contains("plan-memory"))
  #expect(!OptimizationOptions(disabledPasses: ["plan-memory"]).plansMemory)
}

@Test func verifierRejectsBrokenGraphs() throws {
  let graph = try lowered(convBatchNormReLU)
  var useBeforeDefinition = graph
  useBeforeDefinition.nodes.swapAt(0, 1)
  #expect(throws: PassError.self) {
    try GraphVerifier.verify(useBeforeDefinition, mode: .training, after: "t")
  }
  var duplicated = graph
  duplicated.nodes[1].parameters[0].name = duplicated.nodes[0].parameters[0].name
  #expect(throws: PassError.self) { try GraphVerifier.verify(duplicated, mode: .training, after: "t") }
  var badInPlace = graph
  badInPlace.nodes[0].inPlace = true
  #expect(throws: PassError.self) { try GraphVerifier.verify(badInPlace, mode: .training, after: "t") }
}

@Test func finalSoftmaxFusesIntoTheLossOnlyWhenAsked() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: 3
        - softmax
    """)
  #expect(mnemonics(try PassManager.optimize(graph, mode: .training)) == ["dense", "softmax"])
  let fused = try PassManager.optimize(
    graph, mode: .training, options: OptimizationOptions(lossTakesLogits: true))
  #expect(mnemonics(fused) == ["dense"])
  #expect(graph.lostFinalSoftmax(in: fused))
  #expect(!graph.lostFinalSoftmax(in: graph))
}
