import Foundation

extension ClassificationReport {
  /// A readable report: a table per class (precision, recall, F1, support, and ROC-AUC and average
  /// precision when selected) with the averages below it, like scikit-learn's `classification_report`;
  /// then the other figures, the confusion matrix and the warnings. `names` label the classes.
  public func text(names: [String]? = nil) -> String {
    let labels = (0..<classes).map { names?.indices.contains($0) == true ? names![$0] : String($0) }
    var columns: [(title: String, perClass: [Double?], averages: [Average: Double?])] = []
    if let classScores {
      for (score, wanted, title) in [
        (ClassScores.Score.precision, selection.precision, "precision"),
        (.recall, selection.recall, "recall"),
        (.f1, selection.f1, "f1-score"),
      ] where wanted {
        var averages: [Average: Double?] = [:]
        for average in self.averages {
          averages[average] = classScores.average(score, average, positiveClass: positiveClass)
        }
        columns.append((title, classScores.perClass(score), averages))
      }
    }
    for (values, title) in [(rocAUC, "roc-auc"), (averagePrecision, "avg-prec")] {
      guard let values else { continue }
      var averages: [Average: Double?] = [:]
      for average in self.averages { averages[average] = values.value(average, positiveClass: positiveClass) }
      columns.append((title, values.perClass, averages))
    }
    var out = ""
    let nameWidth = max(12, (labels.map(\.count).max() ?? 0))
    func pad(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func number(_ value: Double??) -> String {
      guard let value = value ?? nil else { return "-" }
      return String(format: "%.4f", value)
    }
    if !columns.isEmpty {
      out += pad("", nameWidth) + columns.map { pad($0.title, 10) }.joined() + pad("support", 10) + "\n\n"
      for c in 0..<classes {
        out += pad(labels[c], nameWidth) + columns.map { pad(number($0.perClass[c]), 10) }.joined()
        out += pad(String(confusionMatrix.support(c)), 10) + "\n"
      }
      out += "\n"
      for average in averages {
        let positiveName =
          labels.indices.contains(positiveClass) ? labels[positiveClass] : String(positiveClass)
        let title = average == .binary ? "binary (\(positiveName))" : "\(average.rawValue) avg"
        let supportText =
          average == .binary && positiveClass < classes ? confusionMatrix.support(positiveClass) : samples
        out += pad(title, nameWidth) + columns.map { pad(number($0.averages[average]), 10) }.joined()
        out += pad(String(supportText), 10) + "\n"
      }
      out += "\n"
    }
    var figures: [(String, Double)] = []
    if let loss { figures.append(("loss", loss)) }
    figures.append(("accuracy", accuracy))
    if let balancedAccuracy { figures.append(("balanced accuracy", balancedAccuracy)) }
    for (k, value) in topK { figures.append(("top-\(k) accuracy", value)) }
    if let logLoss { figures.append(("log loss", logLoss)) }
    let figureWidth = figures.map(\.0.count).max() ?? 0
    for (name, value) in figures {
      out += pad(name, figureWidth) + "  " + String(format: "%.4f", value) + "\n"
    }
    if selection.confusionMatrix { out += "\n" + confusionMatrix.table(names: names) }
    for warning in warnings { out += "note: \(warning)\n" }
    return out
  }
}
