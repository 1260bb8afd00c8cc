/// Counts of (true label, predicted label) pairs over classes `0..<classes`: the basis of accuracy,
/// balanced accuracy, precision, recall and F1.
public struct ConfusionMatrix: Sendable, Equatable {
  public let classes: Int
  public private(set) var counts: [Int]

  public init(classes: Int) {
    self.classes = classes
    self.counts = [Int](repeating: 0, count: classes * classes)
  }

  /// Labels and predictions must lie in `0..<classes` (callers validate user input first).
  public init<Label: BinaryInteger>(labels: [Label], predictions: [Label], classes: Int) {
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

  /// The rows as nested arrays (rows: true labels, columns: predictions).
  public var rows: [[Int]] { (0..<classes).map { row in (0..<classes).map { self[row, $0] } } }

  public var accuracy: Double {
    let correct = (0..<classes).reduce(0) { $0 + self[$1, $1] }
    return total == 0 ? 0 : Double(correct) / Double(total)
  }

  /// The mean recall over classes that occur among the labels (scikit-learn's
  /// `balanced_accuracy_score`, which drops classes that are only predicted).
  public var balancedAccuracy: Double {
    let recalls = (0..<classes).compactMap { c in
      support(c) == 0 ? nil : Double(truePositives(c)) / Double(support(c))
    }
    return recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
  }

  public func truePositives(_ c: Int) -> Int { self[c, c] }
  /// Samples whose label is `c`.
  public func support(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + self[c, $1] } }
  /// Samples predicted as `c`.
  public func predicted(_ c: Int) -> Int { (0..<classes).reduce(0) { $0 + self[$1, c] } }

  /// What a normalized matrix divides each count by.
  public enum Normalization: String, Sendable, CaseIterable {
    /// Each row by its total (the fraction of a class predicted as each class: recall on the diagonal).
    case labels
    /// Each column by its total (precision on the diagonal).
    case predictions
    /// Every count by the number of samples.
    case all
  }

  /// Fractions instead of counts; an empty row or column stays 0 (scikit-learn's
  /// `confusion_matrix(normalize=...)` turns its 0/0 into 0 too).
  public func normalized(_ normalization: Normalization) -> [[Double]] {
    (0..<classes).map { row in
      (0..<classes).map { column in
        let divisor: Int
        switch normalization {
        case .labels: divisor = support(row)
        case .predictions: divisor = predicted(column)
        case .all: divisor = total
        }
        return divisor == 0 ? 0 : Double(self[row, column]) / Double(divisor)
      }
    }
  }

  /// A text table: rows are true labels, columns predictions; `names` label the classes.
  public func table(names: [String]? = nil) -> String {
    let labels = (0..<classes).map { names?[$0] ?? String($0) }
    let width = max(4, String(total).count + 1, (labels.map(\.count).max() ?? 0) + 1)
    func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
    var out = "confusion matrix (rows: label, columns: prediction)\n" + cell("")
    out += labels.map(cell).joined() + "\n"
    for row in 0..<classes {
      out += cell(labels[row]) + (0..<classes).map { cell(String(self[row, $0])) }.joined() + "\n"
    }
    return out
  }

  /// The counts table with default class names.
  public var table: String { table() }
}
