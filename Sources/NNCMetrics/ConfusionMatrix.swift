/// Counts of (true label, predicted label) pairs; the basis of accuracy, precision, recall and F1.
public struct ConfusionMatrix: Sendable, Equatable {
  public let classes: Int
  public private(set) var counts: [Int]

  public init(classes: Int) {
    self.classes = classes
    self.counts = [Int](repeating: 0, count: classes * classes)
  }

  public mutating func add(label: Int, prediction: Int) {
    counts[label * classes + prediction] += 1
  }

  public subscript(label: Int, prediction: Int) -> Int { counts[label * classes + prediction] }

  public var total: Int { counts.reduce(0, +) }

  public var accuracy: Double {
    let correct = (0..<classes).reduce(0) { $0 + self[$1, $1] }
    return total == 0 ? 0 : Double(correct) / Double(total)
  }
}
