import Foundation

/// A problem in a predictions CSV file, naming the file and the line.
public struct PredictionsFileError: Error, CustomStringConvertible, Sendable {
  public var description: String
  init(_ path: String, line: Int? = nil, _ message: String) {
    description = line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
  }
}

/// The CSV form of predictions that `nnc eval --predictions` writes and `--predictions-in` reads:
/// a header `index,label,prediction,prob_0,…,prob_{K-1}`, then one row per sample.
public enum PredictionsFile {
  public static func text(_ predictions: Predictions) -> String {
    let classes = predictions.classes
    var text = "index,label,prediction," + (0..<classes).map { "prob_\($0)" }.joined(separator: ",") + "\n"
    for index in 0..<predictions.count {
      let row = predictions.scores[(index * classes)..<((index + 1) * classes)]
      text += "\(index),\(predictions.labels[index]),\(predictions.predictions[index]),"
      // Nine significant digits write a Float32 exactly, so reading the file back gives the same metrics.
      text += row.map { String(format: "%.9g", $0) }.joined(separator: ",") + "\n"
    }
    return text
  }

  /// Reads a predictions file. Labels and predictions must be class indices below the number of
  /// `prob_` columns (one column stands for the probability of class 1 of two), scores finite numbers.
  public static func read(path: String) throws -> Predictions {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PredictionsFileError(path, "cannot read the file")
    }
    return try parse(String(decoding: data, as: UTF8.self), path: path)
  }

  public static func parse(_ text: String, path: String) throws -> Predictions {
    // "\r\n" is one Character in Swift, and a newline like "\n".
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    while lines.last?.isEmpty == true { lines.removeLast() }
    guard let header = lines.first else { throw PredictionsFileError(path, "the file is empty") }
    let names = header.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let probabilityNames = names.dropFirst(3)
    guard names.count >= 4, Array(names.prefix(3)) == ["index", "label", "prediction"],
      probabilityNames.enumerated().allSatisfy({ $0.element == "prob_\($0.offset)" })
    else {
      throw PredictionsFileError(
        path, line: 1,
        "expected the header 'index,label,prediction,prob_0,...,prob_{K-1}', found '\(header)'")
    }
    let columns = probabilityNames.count
    let classes = max(columns, 2)
    var labels: [Int] = []
    var decisions: [Int] = []
    var scores: [Double] = []
    for (offset, line) in lines.enumerated().dropFirst() {
      let number = offset + 1
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard fields.count == names.count else {
        throw PredictionsFileError(
          path, line: number, "expected \(names.count) fields, found \(fields.count)")
      }
      for (column, name) in [(1, "label"), (2, "prediction")] {
        guard let value = Int(fields[column]), value >= 0, value < classes else {
          throw PredictionsFileError(
            path, line: number,
            "the \(name) '\(fields[column])' is not a class index in 0...\(classes - 1)")
        }
        if column == 1 { labels.append(value) } else { decisions.append(value) }
      }
      for column in 3..<fields.count {
        guard let value = Double(fields[column]), value.isFinite else {
          throw PredictionsFileError(
            path, line: number, "\(names[column]) '\(fields[column])' is not a finite number")
        }
        scores.append(value)
      }
    }
    guard !labels.isEmpty else { throw PredictionsFileError(path, "the file has no predictions") }
    return Predictions(labels: labels, predictions: decisions, scores: scores, classes: columns)
  }
}
