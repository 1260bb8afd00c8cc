/// Counts of (true label, predicted label) pairs; the basis of accuracy, precision, recall and F1.
public struct ConfusionMatrix: Sendable, Equatable {
  public let classes: Int
  public private(set) var counts: [Int]

  public init(classes: Int) {
    self.classes = classes
    self.counts = [Int](repeating: 0, count: classes * classes)
  }

  public init(labels: [Int32], predictions: [Int32], classes: Int) {
    self.init(classes: classes)
    for (label, prediction) in zip(labels, predictions) {
      add(label: Int(label), prediction: Int(prediction))
    }
  }

  public mutating func add(label: Int, prediction: Int) {
    counts[label * classes + prediction] += 1
  }

  /// Samples of class `label` predicted as `prediction`.
  public subscript(label: Int, prediction: Int) -> Int { counts[label * classes + prediction] }

  public var total: Int { counts.reduce(0, +) }

  public var accuracy: Double {
    let correct = (0..<classes).reduce(0) { $0 + self[$1, $1] }
    return total == 0 ? 0 : Double(correct) / Double(total)
  }

  public func truePositives(_ c: Int) -> Int { self[c, c] }
  public func support(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + self[c, $1] } }
  public func predicted(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + self[$1, c] } }

  public enum Average: String, Sendable, CaseIterable {
    case macro
    case micro
    case weighted
  }

  /// Precision per class is TP / predicted; a class never predicted counts 0 (scikit-learn's
  /// `zero_division=0`).
  public func precision(_ average: Average) -> Double {
    averaged(average) { (truePositives($0), predicted($0)) }
  }

  public func recall(_ average: Average) -> Double {
    averaged(average) { (truePositives($0), support($0)) }
  }

  public func f1(_ average: Average) -> Double {
    if average == .micro { return accuracy }
    let scores = (0..<classes).map { c -> Double in
      let p = ratio(truePositives(c), predicted(c))
      let r = ratio(truePositives(c), support(c))
      return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
    return combine(scores, average)
  }

  private func averaged(_ average: Average, _ parts: (Int) -> (Int, Int)) -> Double {
    if average == .micro {
      // Summed over classes, true positives over all predictions (or all labels) is the accuracy.
      return accuracy
    }
    return combine(
      (0..<classes).map { c in
        let (a, b) = parts(c); return ratio(a, b)
      }, average)
  }

  private func combine(_ scores: [Double], _ average: Average) -> Double {
    guard classes > 0 else { return 0 }
    switch average {
    case .weighted:
      let total = Double(self.total)
      guard total > 0 else { return 0 }
      return (0..<classes).reduce(0.0) { $0 + scores[$1] * Double(support($1)) } / total
    default:
      return scores.reduce(0, +) / Double(classes)
    }
  }

  private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

  /// A text table: rows are true labels, columns predictions.
  public var table: String {
    let width = max(4, String(total).count + 1)
    func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
    var out = "confusion matrix (rows: label, columns: prediction)\n" + cell("")
    out += (0..<classes).map { cell(String($0)) }.joined() + "\n"
    for row in 0..<classes {
      out += cell(String(row)) + (0..<classes).map { cell(String(self[row, $0])) }.joined() + "\n"
    }
    return out
  }
}
