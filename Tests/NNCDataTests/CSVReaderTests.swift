import Foundation
import Testing

@testable import NNCData

@Test func readsLabelFirstRowsAndSkipsBlankLines() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(directory, "a.csv", "2, 0.5,1\r\n\n0,-3,1e2\n1.0,4,5\n")
  let dataset = try Dataset.readCSV(path)
  #expect(dataset.sampleShape == [2])
  #expect(dataset.samples == [0.5, 1, -3, 100, 4, 5])
  #expect(dataset.labels == [2, 0, 1])
  #expect(dataset.classes == 3)
}

@Test func readsHeaderLastLabelColumnDelimiterAndShape() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(directory, "b.csv", "p0;p1;p2;p3;label\n1;2;3;4;1\n5;6;7;8;0\n")
  let options = CSVOptions(
    labelColumn: -1, hasHeader: true, delimiter: UInt8(ascii: ";"), sampleShape: [1, 2, 2])
  let dataset = try Dataset.readCSV(path, options: options, classes: 4)
  #expect(dataset.sampleShape == [1, 2, 2])
  #expect(dataset.samples == [1, 2, 3, 4, 5, 6, 7, 8])
  #expect(dataset.labels == [1, 0])
  #expect(dataset.classes == 4)
  let middle = try Dataset.readCSV(path, options: CSVOptions(labelColumn: 1, hasHeader: true, delimiter: 59))
  #expect(middle.labels == [2, 6])
  #expect(middle.samples == [1, 3, 4, 1, 5, 7, 8, 0])
}

@Test func csvProblemsAreReportedAtTheirLine() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  func csvError(_ text: String, options: CSVOptions = CSVOptions(), classes: Int? = nil) throws -> String? {
    let path = try writeFile(directory, "c.csv", text)
    return dataError { try Dataset.readCSV(path, options: options, classes: classes) }?.description
  }
  let path = directory + "/c.csv"
  #expect(try csvError("1,2,3\n0,4,5\n1,6\n") == "\(path):3: row has 2 columns, expected 3 as in line 1")
  #expect(try csvError("\n1,2,3\n0,4,5,6\n") == "\(path):3: row has 4 columns, expected 3 as in line 2")
  #expect(try csvError("1,2,3\n0,4,abc\n") == "\(path):2: 'abc' in column 3 is not a finite number")
  #expect(try csvError("1,2,3\n0,,5\n") == "\(path):2: empty value in column 2")
  #expect(try csvError("1,2,nan\n") == "\(path):1: 'nan' in column 3 is not a finite number")
  #expect(try csvError("1,2\n-1,3\n") == "\(path):2: label -1 is negative")
  #expect(try csvError("1,2\n1.5,3\n") == "\(path):2: label '1.5' is not a non-negative integer")
  #expect(try csvError("x,y\n1,2\n") == "\(path):1: label 'x' is not a non-negative integer")
  #expect(
    try csvError("1,2\n3,4\n9,5\n", classes: 5)
      == "\(path):3: label 9 of sample 2 is out of range for 5 classes (0...4)")
  #expect(try csvError("\n\n") == "\(path): has no data rows")
  #expect(try csvError("a,b\n", options: CSVOptions(hasHeader: true)) == "\(path): has no data rows")
  #expect(
    try csvError("1;2;3\n")
      == "\(path):1: row has 1 column; a label and at least one feature are needed (is the delimiter ',' right?)"
  )
  #expect(
    try csvError("1,2,3\n", options: CSVOptions(labelColumn: 3))
      == "\(path):1: label column 3 does not exist in a row of 3 columns")
  #expect(
    try csvError("1,2,3\n", options: CSVOptions(sampleShape: [1, 3]))
      == "\(path): sample shape [1, 3] does not hold the 2 features of each row")
}
