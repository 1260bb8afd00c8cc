import Foundation
import NNCTrain
import SwiftProtobuf

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Appends `Event` records to a new event file in one TensorBoard run directory
/// (`events.out.tfevents.<seconds>.<host>.<pid>.<n>`, TensorFlow's naming, which TensorBoard lists
/// by). Each record goes to the file with one `write(2)` as soon as it is added, so a run that dies
/// leaves whole records behind; every failure is a `TrainError` naming the file.
final class EventFileWriter {
  let path: String
  private(set) var descriptor: Int32

  /// Creates `directory` if needed and a new event file in it, starting with the `file_version`
  /// record TensorBoard expects first.
  init(directory: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw TrainError(
        "cannot create the TensorBoard directory \(directory): \(Self.reason(of: error))")
    }
    path = directory + "/" + Self.fileName(in: directory)
    descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw TrainError(
        "cannot create the TensorBoard event file \(path): \(String(cString: strerror(errno)))")
    }
    var version = Tensorboard_Event()
    version.wallTime = Date().timeIntervalSince1970
    version.fileVersion = "brain.Event:2"
    try write(version)
  }

  deinit { close() }

  /// A file name that sorts after every event file already in `directory`: TensorBoard reads a run's
  /// files in name order, so a resumed run's records must come after the earlier run's even when
  /// both start within the same second.
  static func fileName(in directory: String) -> String {
    let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let latest = existing.compactMap { name -> Int? in
      guard name.hasPrefix(prefix) else { return nil }
      return Int(name.dropFirst(prefix.count).prefix { $0.isNumber })
    }.max()
    let seconds = max(Int(Date().timeIntervalSince1970), (latest ?? -1) + 1)
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
    return prefix + String(format: "%010d", seconds) + ".\(host).\(getpid()).0"
  }

  static let prefix = "events.out.tfevents."

  /// Whether `directory` already holds an event file.
  static func hasEventFiles(in directory: String) -> Bool {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.contains { $0.hasPrefix(prefix) }
  }

  func write(_ event: Tensorboard_Event) throws {
    let data: Data
    do {
      data = try event.serializedBytes()
    } catch {
      throw TrainError("cannot encode a TensorBoard event for \(path): \(error)")
    }
    try writeAll(TFRecord.frame(data))
  }

  private func writeAll(_ bytes: Data) throws {
    guard descriptor >= 0 else { throw TrainError("the TensorBoard event file \(path) is already closed") }
    try bytes.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw TrainError(
            "cannot write the TensorBoard event file \(path): \(String(cString: strerror(errno)))")
        }
        offset += written
      }
    }
  }

  /// Syncs and closes the file (again: nothing).
  func close() {
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    systemClose(descriptor)
    descriptor = -1
  }

  static func reason(of error: Error) -> String {
    (error as NSError).localizedDescription
  }
}

// The class's own `write` and `close` hide the system calls inside it.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}

private func systemClose(_ descriptor: Int32) {
  close(descriptor)
}
