import Foundation
import NNCData
import NNCGraph
import NNCMetrics
import NNCRandom
import NNCRuntime
import NNCSpec
import NNCTestSupport
import Testing

@testable import NNCTrain

/// Collected across the rank threads.
private final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var results: [Int: EvaluationResult] = [:]
  func set(_ rank: Int, _ result: EvaluationResult) { lock.withLock { results[rank] = result } }
  func get(_ rank: Int) -> EvaluationResult { lock.withLock { results[rank]! } }
}

/// Validation and test sharded over ranks: each evaluates a contiguous part, the sums are reduced
/// and the predictions gathered, so every rank reports what one process reports on the whole set,
/// the ranking metrics (ROC-AUC, average precision) and the confusion matrix included.
@Suite struct ShardedEvaluationTests {
  static let spec = """
    model:
      input: [5]
      layers:
        - dense: {units: 8, activation: tanh}
        - dense: {units: 3, activation: softmax}
    loss: cross_entropy
    metrics: [roc_auc, pr_auc, confusion_matrix, f1]
    train: {batch_size: 4}
    """

  @Test(arguments: [2, 3])
  func ranksReportTheMetricsOfOneProcess(ranks: Int) throws {
    let (parsed, diagnostics) = SpecLoader.parse(text: Self.spec, path: "/specs/shards.yaml")
    let spec = try #require(parsed, "\(diagnostics)")
    let graph = try #require(Lowering.lower(spec).graph)
    let configuration = TrainingConfiguration(spec: spec)
    var generator = RandomGenerator(seed: 5)
    let samples = 23
    let data = try Dataset(
      samples: (0..<(samples * 5)).map { _ in generator.nextUniform(-2, 2) },
      labels: (0..<samples).map { _ in Int32(generator.next() % 3) }, sampleShape: [5], classes: 3)

    func executor() throws -> Executor {
      let executor = Executor(graph: graph, maxBatch: 4, configuration: .inference)
      try ModelWeights.initialize(executor, seed: 7)
      return executor
    }
    let loss = RunComponents.loss(configuration.loss, outputIsLogits: try executor().outputIsLogits)
    let rule = PredictionRule.of(configuration, graph: graph, loss: loss)
    let alone = try Evaluator(executor: executor(), loss: loss, rule: rule).evaluate(
      data, keepPredictions: true)

    let hub = ThreadHub(size: ranks)
    let collected = Collected()
    let executors = try (0..<ranks).map { _ in try executor() }
    nonisolated(unsafe) let shared = executors
    hub.run { rank in
      let evaluator = Evaluator(
        executor: shared[rank], loss: loss, rule: rule, communicator: ThreadRank(hub: hub, rank: rank))
      collected.set(rank, try! evaluator.evaluate(data, keepPredictions: true))
    }
    let expected = MetricReport(configuration.metrics, result: alone)
    for rank in 0..<ranks {
      let result = collected.get(rank)
      #expect(result.samples == alone.samples)
      #expect(result.labels == alone.labels)
      #expect(result.predictions == alone.predictions)
      #expect(result.accuracy == alone.accuracy)
      #expect(abs(result.loss - alone.loss) <= 1e-6 * abs(alone.loss))
      #expect(zip(result.probabilities, alone.probabilities).allSatisfy { abs($0 - $1) <= 1e-6 })
      let report = MetricReport(configuration.metrics, result: result)
      #expect(report.values.map(\.key) == expected.values.map(\.key))
      for (actual, wanted) in zip(report.values, expected.values) {
        // The loss sums per-batch means in Float over other batches; the rest are the same predictions.
        #expect(abs(actual.value - wanted.value) <= 1e-6 * max(1, abs(wanted.value)), "\(actual.key)")
      }
      #expect(report.confusionMatrix?.rows == expected.confusionMatrix?.rows)
      #expect(report.values.contains { $0.key == "roc_auc_macro" })
    }
  }
}
