import Foundation

/// The predictions of a task without one class per sample, as `nnc eval --predictions` writes them
/// and `--predictions-in` reads them:
/// - regression: `index,target_<name>…,prediction_<name>…`, one column pair per output;
/// - multi-label: `index,target_<name>…,prob_<name>…,predicted`, the targets 0 or 1, each label's
///   probability, and the predicted label set as label indices separated by `;` (empty for none).
public enum TargetPredictionsFile {
  /// What a predictions file holds, by its header.
  public enum Contents: Sendable {
    case classification(Predictions)
    case regression(targets: [Double], predictions: [Double], names: [String])
    case multilabel(targets: [Bool], scores: [Double], predictions: [Bool], names: [String])
  }

  public static func regressionText(targets: [Float], predictions: [Float], names: [String]) -> String {
    let width = names.count
    var text = (["index"] + names.map { "target_\($0)" } + names.map { "prediction_\($0)" }).joined(
      separator: ",")
    text += "\n"
    for sample in 0..<(targets.count / width) {
      let row = sample * width..<(sample + 1) * width
      text +=
        "\(sample),"
        + (targets[row] + predictions[row]).map { String(format: "%.9g", $0) }.joined(separator: ",")
      text += "\n"
    }
    return text
  }

  public static func multilabelText(targets: [Float], scores: [Float], predictions: [Bool], names: [String])
    -> String
  {
    let width = names.count
    var text = (["index"] + names.map { "target_\($0)" } + names.map { "prob_\($0)" } + ["predicted"])
      .joined(separator: ",")
    text += "\n"
    for sample in 0..<(targets.count / width) {
      let row = sample * width..<(sample + 1) * width
      let predicted = row.filter { predictions[$0] }.map { String($0 - row.lowerBound) }.joined(
        separator: ";")
      text += "\(sample)," + targets[row].map { String(Int($0)) }.joined(separator: ",") + ","
      text += scores[row].map { String(format: "%.9g", $0) }.joined(separator: ",") + ",\(predicted)\n"
    }
    return text
  }

  /// Reads a predictions file of any task: classification files as `PredictionsFile` reads them.
  public static func read(path: String) throws -> Contents {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PredictionsFileError(path, "cannot read the file")
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let header = text.split(whereSeparator: \.isNewline).first,
      header.split(separator: ",").dropFirst().first?.trimmingCharacters(in: .whitespaces).hasPrefix(
        "target_")
        == true
    else {
      return .classification(try PredictionsFile.parse(text, path: path))
    }
    return try parse(text, path: path)
  }

  static func parse(_ text: String, path: String) throws -> Contents {
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    while lines.last?.isEmpty == true { lines.removeLast() }
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let targetNames = header.dropFirst().prefix { $0.hasPrefix("target_") }.map { String($0.dropFirst(7)) }
    let width = targetNames.count
    let rest = Array(header.dropFirst(1 + width))
    let isRegression = rest.count == width && rest == targetNames.map { "prediction_\($0)" }
    let isMultilabel =
      rest.count == width + 1 && rest.dropLast() == targetNames.map { "prob_\($0)" }[...]
      && rest.last == "predicted"
    guard header.first == "index", isRegression || isMultilabel else {
      throw PredictionsFileError(
        path, line: 1,
        "expected the header 'index,target_<name>…,prediction_<name>…' (regression) or "
          + "'index,target_<name>…,prob_<name>…,predicted' (multi-label), found '\(lines[0])'")
    }
    var targets: [Double] = []
    var outputs: [Double] = []
    var predicted: [Bool] = []
    for (offset, line) in lines.enumerated().dropFirst() {
      let number = offset + 1
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard fields.count == header.count else {
        throw PredictionsFileError(
          path, line: number, "expected \(header.count) fields, found \(fields.count)")
      }
      for column in 1..<(1 + 2 * width) {
        guard let value = Double(fields[column]), value.isFinite else {
          throw PredictionsFileError(
            path, line: number, "\(header[column]) '\(fields[column])' is not a finite number")
        }
        if column <= width {
          if isMultilabel, value != 0, value != 1 {
            throw PredictionsFileError(
              path, line: number, "\(header[column]) '\(fields[column])' is not 0 or 1")
          }
          targets.append(value)
        } else {
          outputs.append(value)
        }
      }
      if isMultilabel {
        var set = [Bool](repeating: false, count: width)
        let cell = fields[header.count - 1]
        for item in cell.split(separator: ";", omittingEmptySubsequences: false) where !cell.isEmpty {
          guard let label = Int(item.trimmingCharacters(in: .whitespaces)), (0..<width).contains(label) else {
            throw PredictionsFileError(
              path, line: number,
              "the predicted set '\(cell)' lists '\(item)', not a label index in 0...\(width - 1)")
          }
          set[label] = true
        }
        predicted += set
      }
    }
    guard !targets.isEmpty else { throw PredictionsFileError(path, "the file has no predictions") }
    if isRegression { return .regression(targets: targets, predictions: outputs, names: targetNames) }
    return .multilabel(
      targets: targets.map { $0 == 1 }, scores: outputs, predictions: predicted, names: targetNames)
  }
}
