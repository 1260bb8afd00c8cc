import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes output files whole or not at all: the bytes go to `.NAME.tmp-PID` beside the file, which
/// is renamed over it once complete. A killed process leaves the old file (or none) and at most the
/// temporary, which `PendingTemporaries` removes on SIGINT/SIGTERM. Failures are `DataError`s that
/// name the file and say why in words — a file size limit (`ulimit -f`: EFBIG, with SIGXFSZ
/// ignored), a full disk, a read-only or missing directory — rather than a Foundation error dump.
public enum AtomicFile {
  public static func write(_ text: String, to path: String, durable: Bool = false) throws {
    try write(Array(text.utf8), to: path, durable: durable)
  }

  /// With `durable`, the data and the rename are flushed to disk (checkpoints), so a power loss
  /// too leaves either the old file or the new one.
  public static func write(_ bytes: [UInt8], to path: String, durable: Bool = false) throws {
    try write(to: path, durable: durable) { temporary in
      let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard descriptor >= 0 else { throw DataError(path, createFailure(errno, path: temporary)) }
      var written = 0
      var failure: Int32?
      bytes.withUnsafeBytes { raw in
        while written < raw.count {
          let count = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
          if count < 0 {
            if errno == EINTR { continue }
            failure = errno
            return
          }
          written += count
        }
        if durable, fsync(descriptor) != 0 { failure = errno }
      }
      if close(descriptor) != 0, failure == nil { failure = errno }
      if let failure { throw DataError(path, writeFailure(failure, path: path, after: written)) }
    }
  }

  /// Runs `produce` to write the temporary file whose path it is given (for writers that take a
  /// path, such as the PNG encoder), then renames it over `path`; the temporary goes on failure.
  public static func write(to path: String, durable: Bool = false, _ produce: (String) throws -> Void) throws
  {
    let directory = directoryOf(path)
    let temporary = "\(directory)/.\(baseName(path)).tmp-\(getpid())"
    let slot = PendingTemporaries.register(temporary)
    defer { PendingTemporaries.unregister(slot) }
    do {
      try produce(temporary)
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw DataError(path, "cannot be replaced: \(String(cString: strerror(code)))")
    }
    guard durable else { return }
    // Make the rename itself durable; failing to open the directory only weakens durability.
    let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
      fsync(directoryDescriptor)
      close(directoryDescriptor)
    }
  }

  /// Appends `bytes` to an existing file whole or not at all: after a failed write (a size limit, a
  /// full disk) the file is cut back to its previous length, so no partial line is left.
  public static func append(_ bytes: [UInt8], to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard descriptor >= 0 else { throw DataError(path, createFailure(errno, path: path)) }
    defer { close(descriptor) }
    let start = lseek(descriptor, 0, SEEK_END)
    var written = 0
    var failure: Int32?
    bytes.withUnsafeBytes { raw in
      while written < raw.count {
        let count = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
        if count < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        written += count
      }
    }
    guard let failure else { return }
    if start >= 0 { _ = ftruncate(descriptor, start) }
    throw DataError(path, writeFailure(failure, path: path, after: written))
  }

  /// Creates a directory and its missing parents, with a message naming the part that failed.
  public static func createDirectory(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
      guard mkdir(prefix, 0o755) != 0 else { continue }
      let code = errno
      var status = stat()
      if stat(prefix, &status) == 0 {
        if status.st_mode & S_IFMT == S_IFDIR { continue }
        throw DataError(path, "cannot be created: \(prefix) exists and is not a directory")
      }
      throw DataError(path, "cannot be created: " + directoryFailure(code, at: prefix))
    }
  }

  static func directoryFailure(_ code: Int32, at path: String) -> String {
    let parent = directoryOf(path)
    return switch code {
    case EROFS: "\(parent) is on a read-only file system"
    case EACCES, EPERM: "\(parent) is not writable"
    case ENOTDIR: "\(parent) is not a directory"
    case ENOSPC: "no space left on the device of \(parent)"
    default: "\(path): \(String(cString: strerror(code)))"
    }
  }

  /// Why a file could not be created in its directory.
  static func createFailure(_ code: Int32, path: String) -> String {
    let directory = directoryOf(path)
    return switch code {
    case EROFS: "cannot be written: the directory \(directory) is on a read-only file system"
    case EACCES, EPERM: "cannot be written: the directory \(directory) is not writable"
    case ENOENT: "cannot be written: the directory \(directory) does not exist"
    case ENOTDIR: "cannot be written: \(directory) is not a directory"
    case ENOSPC: "cannot be written: no space left on the device of \(directory)"
    case EDQUOT: "cannot be written: the disk quota of \(directory) is exhausted"
    default: "cannot be written in \(directory): \(String(cString: strerror(code)))"
    }
  }

  /// Why writing the data failed after `written` bytes.
  static func writeFailure(_ code: Int32, path: String, after written: Int) -> String {
    switch code {
    case EFBIG:
      "cannot be written: it would exceed the file size limit (ulimit -f) after \(written) bytes; the "
        + "previous version, if any, is unchanged"
    case ENOSPC:
      "cannot be written: no space left on the device after \(written) bytes; the previous version, if "
        + "any, is unchanged"
    case EDQUOT: "cannot be written: the disk quota is exhausted after \(written) bytes"
    default: "cannot be written: \(String(cString: strerror(code))) after \(written) bytes"
    }
  }

  static func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  static func baseName(_ path: String) -> String {
    path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
  }
}

// `write` is shadowed by the methods above; this reaches the C function.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, buffer, count)
}
