import NNCGraph
import Testing

@testable import NNCRuntime

/// Batchnorms followed by ReLU6 and ReLU that run in place: both applied while normalizing.
private let fusedModel = """
  model:
    input: [3, 6, 6]
    layers:
      - conv2d: {filters: 4, kernel: 3, padding: 1, bias: false}
      - batchnorm
      - relu6
      - conv2d: {filters: 5, kernel: 3, padding: 1, bias: false}
      - batchnorm
      - relu
      - global_avgpool
      - dense: 3
  """

/// The first batchnorm's output is also the residual block's shortcut: its ReLU cannot run in place,
/// and the batchnorm writes it unactivated.
private let sharedModel = """
  model:
    input: [4, 6, 6]
    layers:
      - conv2d: {filters: 4, kernel: 3, padding: 1, bias: false}
      - batchnorm
      - residual:
          layers:
            - relu
            - conv2d: {filters: 4, kernel: 3, padding: 1, bias: false}
      - global_avgpool
      - dense: 3
  """

@Suite struct BatchNormActivationTests {
  /// The plan marks both pairs (and its text says so), and training and evaluation compute what the
  /// unoptimized graph does.
  @Test func activationsInPlaceAfterBatchNormsAreAppliedWhileNormalizing() throws {
    let model = try graph(fusedModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 4)
    let text = ExecutionPlanPrinter.print(plan)
    #expect(plan.steps.compactMap(\.activationAfterNormalizing) == [.relu6, .relu], "\(text)")
    #expect(plan.steps.filter(\.isActivatedByProducer).count == 2, "\(text)")
    #expect(
      text.contains("relu6 applied while normalizing") && text.contains("relu applied while normalizing"))
    OptimizationEquivalenceTests.checkTraining(model, batch: 4)
    try expectSameEvaluation(model, batch: 3)
  }

  @Test func anActivationThatCannotRunInPlaceStaysApart() throws {
    let model = try graph(sharedModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 4)
    #expect(plan.steps.allSatisfy { $0.activationAfterNormalizing == nil && !$0.isActivatedByProducer })
    OptimizationEquivalenceTests.checkTraining(model, batch: 4)
  }

  /// A training executor's forward pass outside training (running statistics): the same bits as the
  /// unoptimized graph's.
  private func expectSameEvaluation(_ model: Graph, batch: Int) throws {
    let optimized = Executor(graph: model, maxBatch: batch, seed: 3, configuration: .training)
    let reference = Executor(
      graph: model, maxBatch: batch, seed: 3,
      configuration: ExecutionConfiguration(mode: .training, optimization: .none))
    OptimizationEquivalenceTests.prepare([optimized, reference], batch: batch, seed: 5)
    optimized.forward(batch: batch, training: false)
    reference.forward(batch: batch, training: false)
    let outputs = [optimized, reference].map { OptimizationEquivalenceTests.output($0, batch: batch) }
    #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern))
  }
}
