import Foundation
import Testing

@testable import NNCMetrics

/// NNCMetrics against the values scikit-learn computed for the cases in
/// Tests/Fixtures/metrics/metrics.json (written by make_fixtures.py there), to 1e-9.
struct ScikitLearnFixtureTests {
  struct Case: @unchecked Sendable, CustomStringConvertible {
    var name: String
    var predictions: Predictions
    var positiveClass: Int
    var expected: [String: Any]
    var description: String { name }
  }

  static let cases: [Case] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics/metrics.json")
    guard let data = try? Data(contentsOf: url),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let cases = root["cases"] as? [[String: Any]]
    else { return [] }
    return cases.map { item in
      let classes = item["classes"] as! Int
      return Case(
        name: item["name"] as! String,
        predictions: Predictions(
          labels: item["labels"] as! [Int], predictions: item["predictions"] as! [Int],
          scores: (item["scores"] as! [NSNumber]).map(\.doubleValue), classes: classes),
        positiveClass: item["positive_class"] as! Int, expected: item["expected"] as! [String: Any])
    }
  }()

  static func number(_ value: Any?) -> Double? {
    switch value {
    case let number as NSNumber: number.doubleValue
    case let text as String where text == "inf": .infinity
    case let text as String where text == "-inf": -.infinity
    default: nil
    }
  }

  static func numbers(_ value: Any?) -> [Double?] { (value as? [Any] ?? []).map(number) }

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

  @Test func fixturesAreThere() {
    #expect(Self.cases.count >= 9)
    #expect(
      Set(Self.cases.map(\.name)).isSuperset(of: [
        "binary", "multiclass", "imbalanced", "perfect", "constant_score", "missing_class", "tied_scores",
      ]))
  }

  @Test(arguments: cases) func decisionMetrics(_ item: Case) {
    let p = item.predictions
    let matrix = ConfusionMatrix(labels: p.labels, predictions: p.predictions, classes: p.classes)
    #expect(matrix.rows == item.expected["confusion_matrix"] as! [[Int]])
    let normalized = (item.expected["confusion_matrix_normalized"] as! [[NSNumber]]).map {
      $0.map(\.doubleValue)
    }
    #expect(Self.close(matrix.normalized(.labels).flatMap { $0 }, normalized.flatMap { $0 }))
    #expect(Self.close(matrix.accuracy, Self.number(item.expected["accuracy"])))
    #expect(Self.close(matrix.balancedAccuracy, Self.number(item.expected["balanced_accuracy"])))
    let scores = ClassScores(matrix)
    for score in ClassScores.Score.allCases {
      let expected = item.expected[score.rawValue] as! [String: Any]
      #expect(Self.close(scores.perClass(score), Self.numbers(expected["per_class"])), "\(score) per class")
      for average in [Average.macro, .micro, .weighted] {
        #expect(
          Self.close(scores.average(score, average), Self.number(expected[average.rawValue])),
          "\(score) \(average)")
      }
      if p.classes == 2 {
        #expect(
          Self.close(
            scores.average(score, .binary, positiveClass: item.positiveClass), Self.number(expected["binary"])),
          "\(score) binary")
      }
    }
  }

  @Test(arguments: cases) func probabilityMetrics(_ item: Case) {
    let p = item.predictions
    #expect(
      Self.close(
        LogLoss.value(probabilities: p.scores, labels: p.labels, classes: p.classes),
        Self.number(item.expected["log_loss"])))
    let topK = item.expected["top_k_accuracy"] as! [String: Any]
    for (k, value) in topK {
      #expect(
        Self.close(
          RankingMetrics.topKAccuracy(scores: p.scores, labels: p.labels, classes: p.classes, k: Int(k)!),
          Self.number(value)), "top-\(k)")
    }
    for (key, metric) in [
      ("roc_auc", RankingMetrics.rocAUC), ("average_precision", RankingMetrics.averagePrecision),
    ] as [(String, ([Double], [Bool]) -> Double?)] {
      let expected = item.expected[key] as! [String: Any]
      let values = RankingMetrics.oneVersusRest(scores: p.scores, labels: p.labels, classes: p.classes, metric)
      #expect(Self.close(values.perClass, Self.numbers(expected["per_class"])), "\(key) per class")
      for average in [Average.macro, .micro, .weighted] {
        #expect(
          Self.close(values.value(average), Self.number(expected[average.rawValue])), "\(key) \(average)")
      }
      if p.classes == 2 {
        #expect(
          Self.close(
            values.value(.binary, positiveClass: item.positiveClass), Self.number(expected["binary"])),
          "\(key) binary")
      }
    }
  }

  @Test(arguments: cases) func curves(_ item: Case) {
    let p = item.predictions
    for entry in item.expected["curves"] as! [[String: Any]] {
      let c = entry["class"] as! Int
      let positives = p.labels.map { $0 == c }
      let roc = ROCCurve(scores: p.column(c), positives: positives)
      if let expected = entry["roc"] as? [String: Any] {
        #expect(Self.close(roc?.falsePositiveRate ?? [], Self.numbers(expected["fpr"])), "class \(c) fpr")
        #expect(Self.close(roc?.truePositiveRate ?? [], Self.numbers(expected["tpr"])), "class \(c) tpr")
        #expect(Self.close(roc?.thresholds ?? [], Self.numbers(expected["thresholds"])), "class \(c) thresholds")
      } else {
        #expect(roc == nil)
      }
      let pr = PrecisionRecallCurve(scores: p.column(c), positives: positives)
      if let expected = entry["pr"] as? [String: Any] {
        #expect(Self.close(pr?.precision ?? [], Self.numbers(expected["precision"])), "class \(c) precision")
        #expect(Self.close(pr?.recall ?? [], Self.numbers(expected["recall"])), "class \(c) recall")
        #expect(Self.close(pr?.thresholds ?? [], Self.numbers(expected["thresholds"])), "class \(c) thresholds")
      } else {
        #expect(pr == nil)
      }
    }
  }

  /// The report's JSON carries the same numbers under the documented keys.
  @Test(arguments: cases) func reportJSONShape(_ item: Case) throws {
    let report = ClassificationReport(
      item.predictions, selection: .all(classes: item.predictions.classes), positiveClass: item.positiveClass)
    let encoder = JSONEncoder()
    let data = try encoder.encode(report.json)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(Self.close(Self.number(object["accuracy"]), Self.number(item.expected["accuracy"])))
    #expect(Self.close(Self.number(object["balanced_accuracy"]), Self.number(item.expected["balanced_accuracy"])))
    #expect(Self.close(Self.number(object["log_loss"]), Self.number(item.expected["log_loss"])))
    #expect(object["confusion_matrix"] as? [[Int]] == item.expected["confusion_matrix"] as? [[Int]])
    let topK = try #require(object["top_k_accuracy"] as? [String: Any])
    let expectedTopK = item.expected["top_k_accuracy"] as! [String: Any]
    #expect(Set(topK.keys) == Set(["2", "3", "5"].filter { Int($0)! < item.predictions.classes }))
    for (k, value) in topK { #expect(Self.close(Self.number(value), Self.number(expectedTopK[k]))) }
    for key in ["precision", "recall", "f1", "roc_auc", "average_precision"] {
      let entry = try #require(object[key] as? [String: Any], "\(key)")
      let expected = item.expected[key] as! [String: Any]
      var keys: Set<String> = ["macro", "micro", "weighted", "per_class"]
      if item.predictions.classes == 2 { keys.insert("binary") }
      #expect(Set(entry.keys) == keys, "\(key)")
      for average in keys where average != "per_class" {
        #expect(Self.close(Self.number(entry[average]), Self.number(expected[average])), "\(key) \(average)")
      }
      #expect(Self.close(Self.numbers(entry["per_class"]), Self.numbers(expected["per_class"])), "\(key)")
    }
  }
}
