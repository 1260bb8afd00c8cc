#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to standard output and error with write(2) instead of Foundation's `FileHandle`, whose
/// `write` traps when the write fails: past a file size limit (`ulimit -f`, EFBIG), on a full disk
/// or a closed pipe, a message that cannot be written is lost and the command goes on to report
/// its own error and exit status.
enum Console {
  static func standardError(_ text: String) { writeAll(STDERR_FILENO, text) }

  /// Flushes what `print` buffered first, so lines keep their order.
  static func standardOutput(_ text: String) {
    fflush(nil)
    writeAll(STDOUT_FILENO, text)
  }

  /// Sends standard output (`print` and `standardOutput`) to /dev/null from now on.
  static func silenceStandardOutput() {
    fflush(nil)
    let null = open("/dev/null", O_WRONLY)
    guard null >= 0 else { return }
    dup2(null, STDOUT_FILENO)
    close(null)
  }

  private static func writeAll(_ descriptor: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var written = 0
    bytes.withUnsafeBytes { raw in
      while written < raw.count {
        let count = write(descriptor, raw.baseAddress! + written, raw.count - written)
        if count < 0, errno == EINTR { continue }
        guard count > 0 else { return }
        written += count
      }
    }
  }
}
