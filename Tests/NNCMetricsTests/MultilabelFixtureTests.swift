import Foundation
import Testing

@testable import NNCMetrics

/// MultilabelMetrics against the values scikit-learn computed for the cases in
/// Tests/Fixtures/metrics/multilabel.json (written by make_fixtures.py there), to 1e-9.
struct MultilabelFixtureTests {
  struct Averaged: Decodable {
    var per_label: [Double?]
    var macro: Double?
    var micro: Double?
    var weighted: Double?
    var samples: Double?
  }

  struct Expected: Decodable {
    var subset_accuracy: Double
    var hamming_loss: Double
    var support: [Int]
    var precision: Averaged
    var recall: Averaged
    var f1: Averaged
    var roc_auc: Averaged
    var average_precision: Averaged
  }

  struct Case: Decodable, Sendable, CustomStringConvertible {
    var name: String
    var labels: Int
    var threshold: Double
    var targets: [Int]
    var scores: [Double]
    var predictions: [Int]
    var expected: Expected
    var description: String { name }
  }

  struct Fixture: Decodable {
    var cases: [Case]
  }

  static let cases: [Case] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics/multilabel.json")
    guard let data = try? Data(contentsOf: url),
      let fixture = try? JSONDecoder().decode(Fixture.self, from: data)
    else { return [] }
    return fixture.cases
  }()

  static func close(_ a: Double?, _ b: Double?) -> Bool { ScikitLearnFixtureTests.close(a, b) }

  @Test func fixturesAreThere() {
    #expect(Set(Self.cases.map(\.description)).isSuperset(of: ["random", "degenerate_labels", "perfect"]))
  }

  @Test(arguments: cases) func decisionMetrics(_ item: Case) {
    let targets = item.targets.map { $0 == 1 }
    let predictions = MultilabelMetrics.decisions(scores: item.scores, threshold: item.threshold)
    #expect(predictions == item.predictions.map { $0 == 1 })
    let metrics = MultilabelMetrics(targets: targets, predictions: predictions, labels: item.labels)
    #expect(metrics.support == item.expected.support)
    #expect(Self.close(metrics.subsetAccuracy, item.expected.subset_accuracy))
    #expect(Self.close(metrics.hammingLoss, item.expected.hamming_loss))
    for (score, expected) in [
      (ClassScores.Score.precision, item.expected.precision), (.recall, item.expected.recall),
      (.f1, item.expected.f1),
    ] {
      #expect(
        ScikitLearnFixtureTests.close(metrics.perLabel(score), expected.per_label), "\(score) per label")
      for (average, value) in [
        (MultilabelAverage.macro, expected.macro), (.micro, expected.micro), (.weighted, expected.weighted),
        (.samples, expected.samples),
      ] {
        #expect(Self.close(metrics.average(score, average), value), "\(score) \(average)")
      }
    }
  }

  @Test(arguments: cases) func rankingMetrics(_ item: Case) {
    let targets = item.targets.map { $0 == 1 }
    for (key, metric, expected) in [
      ("roc_auc", RankingMetrics.rocAUC, item.expected.roc_auc),
      ("average_precision", RankingMetrics.averagePrecision, item.expected.average_precision),
    ] as [(String, ([Double], [Bool]) -> Double?, Averaged)] {
      let values = MultilabelMetrics.ranking(
        scores: item.scores, targets: targets, labels: item.labels, metric)
      #expect(ScikitLearnFixtureTests.close(values.perClass, expected.per_label), "\(key) per label")
      #expect(Self.close(values.macro, expected.macro), "\(key) macro")
      #expect(Self.close(values.weighted, expected.weighted), "\(key) weighted")
      #expect(Self.close(values.micro, expected.micro), "\(key) micro")
    }
  }
}
