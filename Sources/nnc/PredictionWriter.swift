import ArgumentParser
import Foundation
import NNCData
import NNCSpec

/// Prints `nnc predict`'s results one input at a time as text, CSV or JSON lines, shaped by the task:
/// the top-k classes of a classification, the probability of class 1 of a binary head, the label set
/// of a multi-label head, the values of a regression. Lines go out as they are made, so no result
/// stays in memory.
struct PredictionWriter {
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case text
    case csv
    case json
  }

  var format: Format
  var task: TaskKind
  var classNames: [String]?
  var outputs: Int
  var topK: Int
  var threshold: Double
  /// Class probabilities, or raw scores (a model trained with `mse`).
  var scoresAreProbabilities: Bool
  /// The width of the text table's input column.
  var inputWidth: Int
  var sink: LineSink

  var scoreKey: String { scoresAreProbabilities ? "probability" : "score" }

  func label(_ index: Int) -> String {
    if let classNames, index < classNames.count { return classNames[index] }
    return String(index)
  }

  func name(_ index: Int) -> String? {
    guard let classNames, index < classNames.count else { return nil }
    return classNames[index]
  }

  /// Classes by descending score; ties keep the lower index first.
  func ranked(_ scores: [Float]) -> [Int] {
    scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
  }

  func header() throws {
    switch format {
    case .json: return
    case .csv:
      var columns = ["input"]
      switch task {
      case .classification:
        for rank in 1...topK {
          columns.append("class_\(rank)")
          if classNames != nil { columns.append("name_\(rank)") }
          columns.append("\(scoreKey)_\(rank)")
        }
      case .binary:
        columns += ["prediction"] + (classNames != nil ? ["name"] : []) + ["probability"]
      case .multilabel:
        columns += ["labels"] + (0..<outputs).map { "probability_\($0)" }
      case .regression:
        columns += outputs == 1 ? ["value"] : (0..<outputs).map { "value_\($0)" }
      }
      try sink.write(columns.joined(separator: ","))
    case .text:
      let first = "input".padding(toLength: inputWidth, withPad: " ", startingAt: 0)
      switch task {
      case .classification: try sink.write("\(first)  top \(topK) (class \(scoreKey))")
      case .binary:
        try sink.write("\(first)  class  probability of class 1 (threshold \(formatted(threshold)))")
      case .multilabel:
        try sink.write("\(first)  labels (probability >= \(formatted(threshold)))  top \(topK)")
      case .regression: try sink.write("\(first)  value" + (outputs == 1 ? "" : "s"))
      }
    }
  }

  /// One input's line: `scores` as the predictor gives them, `decision` the class of a binary head.
  func write(input: String, scores: [Float], decision: Int32?) throws {
    switch task {
    case .classification: try writeClassification(input, scores)
    case .binary: try writeBinary(input, scores[0], decision: Int(decision ?? 0))
    case .multilabel: try writeMultilabel(input, scores)
    case .regression: try writeRegression(input, scores)
    }
  }

  struct Ranked: Encodable {
    var `class`: Int
    var name: String?
    var probability: Float?
    var score: Float?
  }

  func rankedEntry(_ index: Int, _ scores: [Float]) -> Ranked {
    Ranked(
      class: index, name: name(index), probability: scoresAreProbabilities ? scores[index] : nil,
      score: scoresAreProbabilities ? nil : scores[index])
  }

  func writeClassification(_ input: String, _ scores: [Float]) throws {
    let top = Array(ranked(scores).prefix(topK))
    switch format {
    case .json:
      struct Line: Encodable {
        var input: String
        var top: [Ranked]
      }
      try sink.write(try jsonLine(Line(input: input, top: top.map { rankedEntry($0, scores) })))
    case .csv:
      var fields = [csvField(input)]
      for index in top {
        fields.append(String(index))
        if classNames != nil { fields.append(csvField(label(index))) }
        fields.append(number(scores[index]))
      }
      try sink.write(fields.joined(separator: ","))
    case .text:
      let cells = top.map { "\(label($0)) \(String(format: "%.4f", scores[$0]))" }
      try sink.write(textInput(input) + "  " + cells.joined(separator: "  "))
    }
  }

  func writeBinary(_ input: String, _ probability: Float, decision: Int) throws {
    switch format {
    case .json:
      struct Line: Encodable {
        var input: String
        var `class`: Int
        var name: String?
        var probability: Float
        var threshold: Double
      }
      try sink.write(
        try jsonLine(
          Line(
            input: input, class: decision, name: name(decision), probability: probability,
            threshold: threshold)))
    case .csv:
      let fields =
        [csvField(input), String(decision)] + (classNames != nil ? [csvField(label(decision))] : [])
        + [number(probability)]
      try sink.write(fields.joined(separator: ","))
    case .text:
      let decided = label(decision).padding(toLength: 5, withPad: " ", startingAt: 0)
      try sink.write(textInput(input) + "  " + decided + "  " + String(format: "%.4f", probability))
    }
  }

  func writeMultilabel(_ input: String, _ scores: [Float]) throws {
    let labels = scores.indices.filter { Double(scores[$0]) >= threshold }
    switch format {
    case .json:
      struct Line: Encodable {
        var input: String
        var labels: [Ranked]
        var top: [Ranked]
      }
      try sink.write(
        try jsonLine(
          Line(
            input: input, labels: labels.map { rankedEntry($0, scores) },
            top: ranked(scores).prefix(topK).map { rankedEntry($0, scores) })))
    case .csv:
      let fields = [csvField(input), csvField(labels.map(label).joined(separator: ";"))] + scores.map(number)
      try sink.write(fields.joined(separator: ","))
    case .text:
      let set = "{" + labels.map(label).joined(separator: ", ") + "}"
      let cells = ranked(scores).prefix(topK).map { "\(label($0)) \(String(format: "%.4f", scores[$0]))" }
      try sink.write(textInput(input) + "  " + set + "  " + cells.joined(separator: "  "))
    }
  }

  func writeRegression(_ input: String, _ values: [Float]) throws {
    switch format {
    case .json:
      struct Line: Encodable {
        var input: String
        var values: [Float]
      }
      try sink.write(try jsonLine(Line(input: input, values: values)))
    case .csv:
      try sink.write(([csvField(input)] + values.map(number)).joined(separator: ","))
    case .text:
      try sink.write(
        textInput(input) + "  " + values.map { String(format: "%.6g", $0) }.joined(separator: "  "))
    }
  }

  func textInput(_ input: String) -> String {
    input.count >= inputWidth ? input : input.padding(toLength: inputWidth, withPad: " ", startingAt: 0)
  }

  /// Nine significant digits: a Float32 reads back exactly (as in `nnc eval --predictions`).
  func number(_ value: Float) -> String { String(format: "%.9g", value) }

  func formatted(_ value: Double) -> String { String(format: "%g", value) }

  /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
  func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// Where result lines go: standard output, or a temporary file renamed onto the destination once
/// every input is done (so an interrupted or failed run leaves no partial file).
final class LineSink {
  let handle: FileHandle
  let destination: String?
  let temporary: String?
  /// The temporary's slot in `PendingTemporaries`, so that SIGINT/SIGTERM removes it.
  var pendingSlot: Int?

  init(destination: String?) throws {
    self.destination = destination
    guard let destination else {
      handle = FileHandle.standardOutput
      temporary = nil
      return
    }
    let url = URL(fileURLWithPath: destination)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    ).path
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else {
      throw fail("cannot write \(destination)")
    }
    self.handle = handle
    self.temporary = temporary
    pendingSlot = PendingTemporaries.register(temporary)
  }

  func write(_ line: String) throws {
    do {
      try handle.write(contentsOf: Data((line + "\n").utf8))
    } catch {
      throw fail("cannot write \(destination ?? "standard output"): \(error.localizedDescription)")
    }
  }

  /// Moves the finished file into place.
  func commit() throws {
    guard let destination, let temporary else { return }
    defer { PendingTemporaries.unregister(pendingSlot) }
    try handle.close()
    guard rename(temporary, destination) == 0 else {
      unlink(temporary)
      throw fail("cannot write \(destination): \(String(cString: strerror(errno)))")
    }
  }

  /// Drops the unfinished file.
  func discard() {
    guard let temporary else { return }
    try? handle.close()
    unlink(temporary)
    PendingTemporaries.unregister(pendingSlot)
  }
}
