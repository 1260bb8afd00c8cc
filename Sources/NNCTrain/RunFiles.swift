import Foundation
import NNCData

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The files of a run directory besides checkpoints: `history.jsonl` (one epoch record per line)
/// and `classes.json` (the class names of image-folder data, by index).
public struct RunFiles: Sendable {
  public let directory: String

  public init(directory: String) { self.directory = directory }

  public var historyPath: String { directory + "/history.jsonl" }
  public var classesPath: String { directory + "/classes.json" }

  /// Class names as a JSON array, index i naming class i (also recorded in checkpoints).
  static func classNamesJSON(_ names: [String]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(names), as: UTF8.self)) ?? "[]"
  }

  /// Creates the directory if needed and makes sure files can be written in it, so a read-only or
  /// missing place fails before training with a message naming the directory.
  func prepareDirectory() throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch let error as DataError {
      throw TrainError("the run directory \(directory) \(error.message); give another --run-dir")
    }
    guard access(directory, W_OK | X_OK) == 0 else {
      throw TrainError(
        "the run directory \(directory) is not writable (\(String(cString: strerror(errno)))); "
          + "give another --run-dir")
    }
  }

  /// Removes the temporary files (`.NAME.tmp-PID`) that atomic writes of processes killed mid-write
  /// left behind; only files of processes no longer alive (or of this one, which has written nothing
  /// yet) go. Returns the names removed.
  @discardableResult
  func removeStaleTemporaries() -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    var removed: [String] = []
    for name in names where name.hasPrefix(".") {
      guard let marker = name.range(of: ".tmp-", options: .backwards),
        let pid = Int32(name[marker.upperBound...]), pid > 0
      else { continue }
      let alive = pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)
      if !alive, unlink(directory + "/" + name) == 0 { removed.append(name) }
    }
    return removed
  }

  func writeClassNames(_ names: [String]) throws {
    try AtomicFile.write(Self.classNamesJSON(names) + "\n", to: classesPath)
  }

  /// The first `limit` records of the history (a resumed run keeps those of its completed epochs).
  func readHistory(limit: Int) throws -> [EpochRecord] {
    guard let data = FileManager.default.contents(atPath: historyPath) else { return [] }
    let decoder = JSONDecoder()
    var records: [EpochRecord] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where records.count < limit {
      records.append(try decoder.decode(EpochRecord.self, from: Data(line.utf8)))
    }
    return records
  }

  /// One history line, keys sorted.
  static func encode(_ record: EpochRecord) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(record), as: UTF8.self)
  }

  func writeHistory(_ records: [EpochRecord]) throws {
    let text = try records.map { try Self.encode($0) + "\n" }.joined()
    try AtomicFile.write(text, to: historyPath)
  }

  func appendHistory(_ record: EpochRecord) throws {
    try AtomicFile.append(Array((try Self.encode(record) + "\n").utf8), to: historyPath)
  }
}
