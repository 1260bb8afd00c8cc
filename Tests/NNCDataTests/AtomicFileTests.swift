import Foundation
import Testing

@testable import NNCData

/// Whole-or-nothing output files, and the temporaries a signal handler removes.
@Suite struct AtomicFileTests {
  func temporaryDirectory() throws -> String {
    let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
      "nnc-atomic-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test func aWriteReplacesTheFileWholeAndLeavesNoTemporary() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/out.csv"
    try AtomicFile.write("old\n", to: path)
    try AtomicFile.write("new\n", to: path, durable: true)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.csv"])
  }

  /// While a write is in progress its temporary is registered, and `removeAll` (what the SIGINT and
  /// SIGTERM handlers of eval and bench call before exiting) deletes it; afterwards nothing is left.
  @Test func temporariesInProgressAreRemovedForASignal() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/plot.svg"
    struct Abandoned: Error {}
    #expect(throws: Abandoned.self) {
      try AtomicFile.write(to: path) { temporary in
        #expect(FileManager.default.createFile(atPath: temporary, contents: Data("partial".utf8)))
        PendingTemporaries.removeAll(under: directory)
        #expect(!FileManager.default.fileExists(atPath: temporary))
        throw Abandoned()
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    // A finished write is no longer registered: removeAll leaves it alone.
    try AtomicFile.write("done", to: path)
    PendingTemporaries.removeAll(under: directory)
    #expect(FileManager.default.fileExists(atPath: path))
  }

  @Test func failuresNameThePlaceInWords() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let file = directory + "/file"
    try AtomicFile.write("x", to: file)
    #expect {
      try AtomicFile.createDirectory(file + "/plots")
    } throws: { error in
      "\(error)".contains("\(file) exists and is not a directory")
    }
    #expect {
      try AtomicFile.write("x", to: directory + "/missing/out.csv")
    } throws: { error in
      "\(error)".contains("the directory \(directory)/missing does not exist")
    }
    try AtomicFile.createDirectory(directory + "/a/b/c")
    try AtomicFile.createDirectory(directory + "/a/b/c")
    #expect(FileManager.default.fileExists(atPath: directory + "/a/b/c"))
  }

  @Test func appendAddsWholeLines() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/history.jsonl"
    try AtomicFile.write("1\n", to: path)
    try AtomicFile.append(Array("2\n".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "1\n2\n")
  }
}
