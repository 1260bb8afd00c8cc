import Foundation

/// How a CSV file of labelled samples is laid out.
public struct CSVOptions: Sendable, Equatable {
  /// The 0-based column holding the label; negative counts from the end (-1 is the last column).
  public var labelColumn: Int
  /// Skip the first non-blank line (column names).
  public var hasHeader: Bool
  /// The field separator, an ASCII character.
  public var delimiter: UInt8
  /// Reshape each row's features, e.g. `[1, 8, 8]` for 64 pixels; nil keeps `[features]`.
  public var sampleShape: [Int]?
  /// Float or multi-label targets instead of the class label column (`labelColumn` is then unused).
  public var targets: CSVTargetLayout?
  /// Whether rows have a label column; without one (samples to predict) every column is a feature and
  /// every label is 0.
  public var labelled = true

  public init(
    labelColumn: Int = 0, hasHeader: Bool = false, delimiter: UInt8 = UInt8(ascii: ","),
    sampleShape: [Int]? = nil, targets: CSVTargetLayout? = nil
  ) {
    self.labelColumn = labelColumn
    self.hasHeader = hasHeader
    self.delimiter = delimiter
    self.sampleShape = sampleShape
    self.targets = targets
  }
}

extension Dataset {
  /// Reads a CSV file with one sample per line: a label column and numeric features. Every row must
  /// have the same number of columns; errors are reported as `file:line: ...`. Blank lines are skipped.
  public static func readCSV(_ path: String, options: CSVOptions = CSVOptions(), classes: Int? = nil)
    throws -> Dataset
  {
    let data = try readFileBytes(path)
    return try data.withUnsafeBytes { bytes in
      try parseCSV(bytes, path: path, options: options, classes: classes)
    }
  }

  static func parseCSV(_ bytes: UnsafeRawBufferPointer, path: String, options: CSVOptions, classes: Int?)
    throws -> Dataset
  {
    if let classes, classes <= 0 {
      throw DataError(path, "the number of classes must be positive, not \(classes)")
    }
    if var layout = options.targets {
      // A label list's width may come from data.classes.
      if case .labelLists(let column, nil) = layout, let classes {
        layout = .labelLists(column, labels: classes)
      }
      return try parseTargetCSV(bytes, path: path, options: options, layout: layout)
    }
    var samples: [Float] = []
    var labels: [Int32] = []
    var columnCount: Int?
    var firstRowLine = 0
    var labelIndex = 0
    var headerPending = options.hasHeader
    var fieldStarts: [Int] = []
    var fieldEnds: [Int] = []
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
      if headerPending {
        headerPending = false
        continue
      }
      fieldStarts.removeAll(keepingCapacity: true)
      fieldEnds.removeAll(keepingCapacity: true)
      var fieldStart = lineStart
      for position in lineStart...contentEnd
      where position == contentEnd || bytes[position] == options.delimiter {
        fieldStarts.append(fieldStart)
        fieldEnds.append(position)
        fieldStart = position + 1
      }
      if let columnCount {
        guard fieldStarts.count == columnCount else {
          throw DataError(
            path, line: lineNumber,
            "row has \(fieldStarts.count) columns, expected \(columnCount) as in line \(firstRowLine)")
        }
      } else {
        let count = fieldStarts.count
        guard count >= (options.labelled ? 2 : 1) else {
          throw DataError(
            path, line: lineNumber,
            "row has \(count) column; a label and at least one feature are needed "
              + "(is the delimiter '\(Character(UnicodeScalar(options.delimiter)))' right?)")
        }
        labelIndex = options.labelColumn < 0 ? count + options.labelColumn : options.labelColumn
        if !options.labelled { labelIndex = -1 }
        guard !options.labelled || (0..<count).contains(labelIndex) else {
          throw DataError(
            path, line: lineNumber,
            "label column \(options.labelColumn) does not exist in a row of \(count) columns")
        }
        columnCount = count
        firstRowLine = lineNumber
      }
      for column in 0..<fieldStarts.count {
        let text = trimmedField(bytes, from: fieldStarts[column], to: fieldEnds[column])
        // The number parsers stop at a NUL as C strings do, which would accept `5\0abc` as 5.
        if let nul = text.utf8.firstIndex(of: 0) {
          throw DataError(
            path, line: lineNumber,
            "column \(column + 1) holds a NUL byte after '\(String(decoding: text.utf8[..<nul], as: UTF8.self))'; "
              + "is this a text file?")
        }
        if column == labelIndex {
          let label = try parseLabel(text, path: path, line: lineNumber)
          if let classes, Int(label) >= classes {
            throw DataError(
              path, line: lineNumber,
              "label \(label) of sample \(labels.count) is out of range for \(classes) classes "
                + "(0...\(classes - 1))")
          }
          labels.append(label)
        } else {
          guard let value = Float(text), value.isFinite else {
            throw DataError(
              path, line: lineNumber,
              text.isEmpty
                ? "empty value in column \(column + 1)"
                : "'\(text)' in column \(column + 1) is not a finite number")
          }
          samples.append(value)
        }
      }
      if !options.labelled { labels.append(0) }
    }
    guard let columnCount else { throw DataError(path, "has no data rows") }
    let features = options.labelled ? columnCount - 1 : columnCount
    var sampleShape = [features]
    if let shape = options.sampleShape {
      guard shape.reduce(1, *) == features, shape.allSatisfy({ $0 > 0 }) else {
        throw DataError(
          path, "sample shape \(shape) does not hold the \(features) features of each row")
      }
      sampleShape = shape
    }
    return try Dataset(
      samples: samples, labels: labels, sampleShape: sampleShape, classes: classes, source: path)
  }
}

func isBlank(_ byte: UInt8) -> Bool {
  byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
}

func trimmedField(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> String {
  var low = start
  var high = end
  while low < high && isBlank(bytes[low]) { low += 1 }
  while high > low && isBlank(bytes[high - 1]) { high -= 1 }
  return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[low..<high]), as: UTF8.self)
}

private func parseLabel(_ text: String, path: String, line: Int) throws -> Int32 {
  if let label = Int32(text) {
    guard label >= 0 else { throw DataError(path, line: line, "label \(label) is negative") }
    return label
  }
  // Labels written as floats ("3.0") are accepted when they are whole numbers.
  if let value = Double(text), value.isFinite, value.rounded() == value, value >= 0,
    value <= Double(Int32.max)
  {
    return Int32(value)
  }
  throw DataError(path, line: line, "label '\(text)' is not a non-negative integer")
}
