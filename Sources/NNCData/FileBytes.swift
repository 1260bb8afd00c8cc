import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file opened for reading, with its size taken when it was opened. Every data and
/// checkpoint reader opens its files through this, so a device (`/dev/zero`), a FIFO, a socket or a
/// directory is refused at once with a message naming the file, instead of being read without bound
/// or blocking forever; and every read is bounded by the size (readers check their header against
/// it before reading the body).
public final class RegularFile: Sendable {
  public let path: String
  /// The size in bytes when the file was opened.
  public let size: Int
  private let descriptor: Int32

  /// Opens `path`; failures are `DataError`s naming the file.
  public init(_ path: String) throws {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It does not change
    // reads from a regular file, the only kind read below.
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      // A socket cannot be opened at all; say what it is rather than what open(2) says.
      var status = stat()
      if code != ENOENT, stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw DataError(path, Self.notRegular(status.st_mode & S_IFMT))
      }
      throw DataError(
        path, code == ENOENT ? "no such file" : "cannot be opened: \(String(cString: strerror(code)))")
    }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let reason = String(cString: strerror(errno))
      close(descriptor)
      throw DataError(path, "cannot be examined: \(reason)")
    }
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
      close(descriptor)
      throw DataError(path, Self.notRegular(kind))
    }
    self.path = path
    self.size = Int(status.st_size)
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }

  static func notRegular(_ kind: mode_t) -> String {
    "\(describe(kind)), not a regular file; data and checkpoint files must be regular files"
  }

  static func describe(_ kind: mode_t) -> String {
    switch kind {
    case S_IFDIR: "is a directory"
    case S_IFCHR: "is a character device"
    case S_IFBLK: "is a block device"
    case S_IFIFO: "is a FIFO (named pipe)"
    case S_IFSOCK: "is a socket"
    default: "is a special file"
    }
  }

  /// Reads the bytes in `range`, which must lie within `size`; a file that shrank since it was
  /// opened is an error rather than a short result.
  public func bytes(_ range: Range<Int>) throws -> [UInt8] {
    var result = [UInt8](repeating: 0, count: range.count)
    try result.withUnsafeMutableBytes { try read(range, into: $0) }
    return result
  }

  /// Reads the bytes in `range` into `buffer` (which holds at least `range.count` bytes): the range
  /// must lie within `size`. Streaming readers call this per sample, so a file truncated during
  /// training is an error naming it, never a short read (and, unlike a memory map, never a SIGBUS).
  public func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
    precondition(range.lowerBound >= 0 && range.upperBound <= size, "read outside the file's size")
    precondition(buffer.count >= range.count, "read into a buffer that is too small")
    var done = 0
    while done < range.count {
      let count = pread(
        descriptor, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
      if count < 0 {
        if errno == EINTR { continue }
        throw DataError(path, "cannot be read: \(String(cString: strerror(errno)))")
      }
      if count == 0 {
        throw DataError(
          path, "ended at byte \(range.lowerBound + done) while reading; it shrank since it was opened")
      }
      done += count
    }
  }

  /// Every byte of the file (as large as it was when opened).
  public func allBytes() throws -> [UInt8] { try bytes(0..<size) }
}

/// Reads a whole regular file, turning a missing, unreadable or non-regular file into a `DataError`
/// naming it.
func readFileBytes(_ path: String) throws -> Data {
  Data(try RegularFile(path).allBytes())
}
