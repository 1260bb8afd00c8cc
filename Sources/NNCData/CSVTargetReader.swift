import Foundation

/// A CSV column, by its 0-based index (negative counts from the end) or by its header name.
public enum CSVColumn: Sendable, Equatable, CustomStringConvertible {
  case index(Int)
  case name(String)

  public var description: String {
    switch self {
    case .index(let index): String(index)
    case .name(let name): "'\(name)'"
    }
  }

  /// The 0-based position of this column among `count` columns named `header` (nil without a header).
  func position(count: Int, header: [String]?, path: String) throws -> Int {
    switch self {
    case .index(let index):
      let position = index < 0 ? count + index : index
      guard (0..<count).contains(position) else {
        throw DataError(path, "column \(index) does not exist in a row of \(count) columns")
      }
      return position
    case .name(let name):
      guard let header else {
        throw DataError(path, "column '\(name)' is named, but the file has no header (set data.header: true)")
      }
      guard let position = header.firstIndex(of: name) else {
        throw DataError(
          path,
          "has no column '\(name)'; the header names " + header.map { "'\($0)'" }.joined(separator: ", "))
      }
      return position
    }
  }
}

/// Which CSV columns hold targets that are not one class index.
public enum CSVTargetLayout: Sendable, Equatable {
  /// Float targets (regression), one output per column.
  case values([CSVColumn])
  /// Multi-hot targets, one label per column with cells 0 or 1.
  case multiHot([CSVColumn])
  /// One column whose cells list label indices separated by `;` (`3;7`; an empty cell has none);
  /// `labels` is the number of labels, or the largest index + 1 when nil.
  case labelLists(CSVColumn, labels: Int?)

  var columns: [CSVColumn] {
    switch self {
    case .values(let columns), .multiHot(let columns): columns
    case .labelLists(let column, _): [column]
    }
  }
}

extension Dataset {
  /// Reads a CSV file whose targets are float values or label sets (`options.targets`); every other
  /// column is a numeric feature. Errors are reported as `file:line: ...`.
  static func parseTargetCSV(
    _ bytes: UnsafeRawBufferPointer, path: String, options: CSVOptions, layout: CSVTargetLayout
  ) throws -> Dataset {
    let rows = try csvRows(bytes, path: path, delimiter: options.delimiter, hasHeader: options.hasHeader)
    guard let first = rows.rows.first else { throw DataError(path, "has no data rows") }
    let count = first.fields.count
    let targetPositions = try layout.columns.map {
      try $0.position(count: count, header: rows.header, path: path)
    }
    guard Set(targetPositions).count == targetPositions.count else {
      throw DataError(path, "a target column is listed twice")
    }
    let featurePositions = (0..<count).filter { !targetPositions.contains($0) }
    guard !featurePositions.isEmpty else {
      throw DataError(path, "every column is a target; at least one feature is needed")
    }
    var samples: [Float] = []
    samples.reserveCapacity(rows.rows.count * featurePositions.count)
    var targetValues: [Float] = []
    var labelLists: [[Int]] = []
    for row in rows.rows {
      guard row.fields.count == count else {
        throw DataError(
          path, line: row.line,
          "row has \(row.fields.count) columns, expected \(count) as in line \(first.line)")
      }
      for position in featurePositions {
        samples.append(try number(row.fields[position], column: position, line: row.line, path: path))
      }
      if case .labelLists = layout {
        labelLists.append(try labelList(row.fields[targetPositions[0]], line: row.line, path: path))
      } else {
        for position in targetPositions {
          targetValues.append(try number(row.fields[position], column: position, line: row.line, path: path))
        }
      }
    }
    let names = rows.header.map { header in targetPositions.map { header[$0] } }
    let targets: Targets
    switch layout {
    case .values:
      targets = try Targets(
        kind: .values, values: targetValues, width: targetPositions.count, names: names, source: path)
    case .multiHot:
      targets = try Targets(
        kind: .multiHot, values: targetValues, width: targetPositions.count, names: names, source: path)
    case .labelLists(_, let labels):
      let largest = labelLists.joined().max() ?? -1
      let width = labels ?? largest + 1
      guard width > 0 else { throw DataError(path, "no sample lists a label; give data.classes") }
      if largest >= width {
        let sample = labelLists.firstIndex { $0.contains(largest) }!
        throw DataError(
          path, line: rows.rows[sample].line,
          "label \(largest) is out of range for \(width) labels (0...\(width - 1))")
      }
      var multiHot = [Float](repeating: 0, count: labelLists.count * width)
      for (sample, list) in labelLists.enumerated() {
        for label in list { multiHot[sample * width + label] = 1 }
      }
      targets = try Targets(kind: .multiHot, values: multiHot, width: width, source: path)
    }
    var sampleShape = [featurePositions.count]
    if let shape = options.sampleShape {
      guard shape.reduce(1, *) == featurePositions.count, shape.allSatisfy({ $0 > 0 }) else {
        throw DataError(
          path, "sample shape \(shape) does not hold the \(featurePositions.count) features of each row")
      }
      sampleShape = shape
    }
    return try Dataset(samples: samples, targets: targets, sampleShape: sampleShape, source: path)
  }
}

/// A CSV file split into trimmed fields: the header's (when asked for) and every non-blank row's.
func csvRows(_ bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, hasHeader: Bool) throws
  -> (header: [String]?, rows: [(line: Int, fields: [String])])
{
  var header: [String]?
  var rows: [(line: Int, fields: [String])] = []
  var headerPending = hasHeader
  var lineNumber = 0
  var lineStart = 0
  while lineStart < bytes.count {
    lineNumber += 1
    var lineEnd = lineStart
    while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
    defer { lineStart = lineEnd + 1 }
    var contentEnd = lineEnd
    if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
    if (lineStart..<contentEnd).allSatisfy({ isBlank(bytes[$0]) }) { continue }
    var fields: [String] = []
    var fieldStart = lineStart
    for position in lineStart...contentEnd where position == contentEnd || bytes[position] == delimiter {
      let text = trimmedField(bytes, from: fieldStart, to: position)
      // The number parsers stop at a NUL as C strings do, which would accept `5\0abc` as 5.
      if text.utf8.contains(0) {
        throw DataError(
          path, line: lineNumber, "column \(fields.count + 1) holds a NUL byte; is this a text file?")
      }
      fields.append(text)
      fieldStart = position + 1
    }
    if headerPending {
      headerPending = false
      header = fields
    } else {
      rows.append((lineNumber, fields))
    }
  }
  return (header, rows)
}

private func number(_ text: String, column: Int, line: Int, path: String) throws -> Float {
  guard let value = Float(text), value.isFinite else {
    throw DataError(
      path, line: line,
      text.isEmpty
        ? "empty value in column \(column + 1)" : "'\(text)' in column \(column + 1) is not a finite number")
  }
  return value
}

/// `3;7` as [3, 7]; an empty cell lists no label.
private func labelList(_ text: String, line: Int, path: String) throws -> [Int] {
  guard !text.isEmpty else { return [] }
  return try text.split(separator: ";", omittingEmptySubsequences: false).map { part in
    let item = part.trimmingCharacters(in: .whitespaces)
    guard let label = Int(item), label >= 0, label <= Int(Int32.max) else {
      throw DataError(path, line: line, "'\(item)' in the label list '\(text)' is not a non-negative integer")
    }
    return label
  }
}
