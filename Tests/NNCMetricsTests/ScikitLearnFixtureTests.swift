import Foundation
import Testing

@testable import NNCMetrics

/// NNCMetrics against the values scikit-learn computed for the cases in
/// Tests/Fixtures/metrics/metrics.json (written by make_fixtures.py there), to 1e-9.
struct ScikitLearnFixtureTests {
  /// A number that may be written as "inf" (the first ROC threshold). JSONDecoder reads decimal text
  /// exactly; JSONSerialization does not, so the fixture is decoded with Decodable types.
  struct Number: Decodable {
    var value: Double
    init(from decoder: Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let text = try? container.decode(String.self) {
        value = text == "inf" ? .infinity : text == "-inf" ? -.infinity : .nan
      } else {
        value = try container.decode(Double.self)
      }
    }
  }

  struct Averaged: Decodable {
    var per_class: [Double?]
    var macro: Double?
    var micro: Double?
    var weighted: Double?
    var binary: Double?

    func value(_ average: Average) -> Double? {
      switch average {
      case .macro: macro
      case .micro: micro
      case .weighted: weighted
      case .binary: binary
      }
    }
  }

  struct Curve: Decodable {
    struct ROC: Decodable {
      var fpr: [Double]
      var tpr: [Double]
      var thresholds: [Number]
    }
    struct PR: Decodable {
      var precision: [Double]
      var recall: [Double]
      var thresholds: [Double]
    }
    var `class`: Int
    var roc: ROC?
    var pr: PR?
  }

  struct Expected: Decodable {
    var accuracy: Double
    var balanced_accuracy: Double
    var confusion_matrix: [[Int]]
    var confusion_matrix_normalized: [[Double]]
    var log_loss: Double
    var top_k_accuracy: [String: Double]
    var precision: Averaged
    var recall: Averaged
    var f1: Averaged
    var roc_auc: Averaged
    var average_precision: Averaged
    var curves: [Curve]

    func scores(_ score: ClassScores.Score) -> Averaged {
      switch score {
      case .precision: precision
      case .recall: recall
      case .f1: f1
      }
    }
  }

  struct Case: Decodable, Sendable, CustomStringConvertible {
    var name: String
    var classes: Int
    var positive_class: Int
    var labels: [Int]
    var predictions: [Int]
    var scores: [Double]
    var expected: Expected
    var description: String { name }
    var positiveClass: Int { positive_class }
    var data: Predictions {
      Predictions(labels: labels, predictions: predictions, scores: scores, classes: classes)
    }
  }

  struct Fixture: Decodable {
    var sklearn_version: String
    var cases: [Case]
  }

  static let cases: [Case] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics/metrics.json")
    guard let data = try? Data(contentsOf: url),
      let fixture = try? JSONDecoder().decode(Fixture.self, from: data)
    else { return [] }
    return fixture.cases
  }()

  static func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): a == b || abs(a - b) <= 1e-9
    default: false
    }
  }

  static func close(_ a: [Double?], _ b: [Double?]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1) }
  }

  static func close(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1) }
  }

  @Test func fixturesAreThere() {
    #expect(Self.cases.count >= 9)
    #expect(
      Set(Self.cases.map(\.description)).isSuperset(of: [
        "binary", "multiclass", "imbalanced", "perfect", "constant_score", "missing_class", "tied_scores",
      ]))
  }

  @Test(arguments: cases) func decisionMetrics(_ item: Case) {
    let p = item.data
    let matrix = ConfusionMatrix(labels: p.labels, predictions: p.predictions, classes: p.classes)
    #expect(matrix.rows == item.expected.confusion_matrix)
    #expect(
      Self.close(
        matrix.normalized(.labels).flatMap { $0 }, item.expected.confusion_matrix_normalized.flatMap { $0 }))
    #expect(Self.close(matrix.accuracy, item.expected.accuracy))
    #expect(Self.close(matrix.balancedAccuracy, item.expected.balanced_accuracy))
    let scores = ClassScores(matrix)
    for score in ClassScores.Score.allCases {
      let expected = item.expected.scores(score)
      #expect(Self.close(scores.perClass(score), expected.per_class), "\(score) per class")
      for average in [Average.macro, .micro, .weighted] {
        #expect(Self.close(scores.average(score, average), expected.value(average)), "\(score) \(average)")
      }
      if p.classes == 2 {
        #expect(
          Self.close(scores.average(score, .binary, positiveClass: item.positiveClass), expected.binary),
          "\(score) binary")
      }
    }
  }

  @Test(arguments: cases) func probabilityMetrics(_ item: Case) {
    let p = item.data
    #expect(
      Self.close(
        LogLoss.value(probabilities: p.scores, labels: p.labels, classes: p.classes), item.expected.log_loss))
    for (k, value) in item.expected.top_k_accuracy {
      #expect(
        Self.close(
          RankingMetrics.topKAccuracy(scores: p.scores, labels: p.labels, classes: p.classes, k: Int(k)!),
          value), "top-\(k)")
    }
    for (key, metric, expected) in [
      ("roc_auc", RankingMetrics.rocAUC, item.expected.roc_auc),
      ("average_precision", RankingMetrics.averagePrecision, item.expected.average_precision),
    ] as [(String, ([Double], [Bool]) -> Double?, Averaged)] {
      let values = RankingMetrics.oneVersusRest(
        scores: p.scores, labels: p.labels, classes: p.classes, metric)
      #expect(Self.close(values.perClass, expected.per_class), "\(key) per class")
      for average in [Average.macro, .micro, .weighted] {
        #expect(Self.close(values.value(average), expected.value(average)), "\(key) \(average)")
      }
      if p.classes == 2 {
        #expect(
          Self.close(values.value(.binary, positiveClass: item.positiveClass), expected.binary),
          "\(key) binary")
      }
    }
  }

  @Test(arguments: cases) func curves(_ item: Case) {
    let p = item.data
    for entry in item.expected.curves {
      let c = entry.class
      let positives = p.labels.map { $0 == c }
      let roc = ROCCurve(scores: p.column(c), positives: positives)
      if let expected = entry.roc {
        #expect(Self.close(roc?.falsePositiveRate ?? [], expected.fpr), "class \(c) fpr")
        #expect(Self.close(roc?.truePositiveRate ?? [], expected.tpr), "class \(c) tpr")
        #expect(Self.close(roc?.thresholds ?? [], expected.thresholds.map(\.value)), "class \(c) thresholds")
      } else {
        #expect(roc == nil)
      }
      let pr = PrecisionRecallCurve(scores: p.column(c), positives: positives)
      if let expected = entry.pr {
        #expect(Self.close(pr?.precision ?? [], expected.precision), "class \(c) precision")
        #expect(Self.close(pr?.recall ?? [], expected.recall), "class \(c) recall")
        #expect(Self.close(pr?.thresholds ?? [], expected.thresholds), "class \(c) thresholds")
      } else {
        #expect(pr == nil)
      }
    }
  }

  /// The report's JSON carries the same numbers under the documented keys.
  @Test(arguments: cases) func reportJSONShape(_ item: Case) throws {
    let report = ClassificationReport(
      item.data, selection: .all(classes: item.classes), positiveClass: item.positiveClass)
    let data = try JSONEncoder().encode(report.json)
    // The key sets, from a generic parse; the values, decoded exactly.
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var expectedKeys: Set<String> = [
      "accuracy", "balanced_accuracy", "log_loss", "precision", "recall", "f1", "support", "roc_auc",
      "average_precision", "confusion_matrix", "confusion_matrix_normalized",
    ]
    if item.classes > 2 { expectedKeys.insert("top_k_accuracy") }
    #expect(Set(object.keys) == expectedKeys)
    var averageKeys: Set<String> = ["macro", "micro", "weighted", "per_class"]
    if item.classes == 2 { averageKeys.insert("binary") }
    for key in ["precision", "recall", "f1", "roc_auc", "average_precision"] {
      #expect(Set((object[key] as? [String: Any] ?? [:]).keys) == averageKeys, "\(key)")
    }
    struct Decoded: Decodable {
      var accuracy: Double
      var balanced_accuracy: Double
      var log_loss: Double
      var top_k_accuracy: [String: Double]?
      var precision: Averaged
      var recall: Averaged
      var f1: Averaged
      var roc_auc: Averaged
      var average_precision: Averaged
      var confusion_matrix: [[Int]]
    }
    let decoded = try JSONDecoder().decode(Decoded.self, from: data)
    let expected = item.expected
    #expect(Self.close(decoded.accuracy, expected.accuracy))
    #expect(Self.close(decoded.balanced_accuracy, expected.balanced_accuracy))
    #expect(Self.close(decoded.log_loss, expected.log_loss))
    #expect(decoded.confusion_matrix == expected.confusion_matrix)
    for (k, value) in decoded.top_k_accuracy ?? [:] {
      #expect(Self.close(value, expected.top_k_accuracy[k]), "top-\(k)")
    }
    for (key, got, want) in [
      ("precision", decoded.precision, expected.precision), ("recall", decoded.recall, expected.recall),
      ("f1", decoded.f1, expected.f1), ("roc_auc", decoded.roc_auc, expected.roc_auc),
      ("average_precision", decoded.average_precision, expected.average_precision),
    ] {
      #expect(Self.close(got.per_class, want.per_class), "\(key)")
      for average in Average.allCases where average != .binary || item.classes == 2 {
        #expect(Self.close(got.value(average), want.value(average)), "\(key) \(average)")
      }
    }
  }
}
