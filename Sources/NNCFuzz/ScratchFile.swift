import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A uniquely named temporary file holding one fuzz input, for readers that take a path (and so
/// also exercise their bounded, regular-files-only opening). Unique per call, because the test suite
/// runs targets and regression inputs in parallel.
enum ScratchFile {
  /// Writes `bytes` to a new temporary file ending in `suffix`, runs `body` with its path, removes it.
  static func with(_ bytes: some Collection<UInt8>, suffix: String, _ body: (String) -> Void) {
    var template = Array((NSTemporaryDirectory() + "/nnc-fuzz-XXXXXX" + suffix).utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer {
      mkstemps($0.baseAddress!, Int32(suffix.utf8.count))
    }
    guard descriptor >= 0 else {
      fatalError("cannot create a scratch file: \(String(cString: strerror(errno)))")
    }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { unlink(path) }
    let contents = Array(bytes)
    var written = 0
    contents.withUnsafeBytes { buffer in
      while written < buffer.count {
        let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
        guard count > 0 else { break }
        written += count
      }
    }
    close(descriptor)
    guard written == contents.count else { fatalError("cannot write a scratch file \(path)") }
    body(path)
  }

  /// Two files cut from one input: its first 4 bytes (little-endian) give the first file's length,
  /// the rest of the input is the two files. A mutation of the length only moves the cut.
  static func pair(_ bytes: [UInt8]) -> (first: ArraySlice<UInt8>, second: ArraySlice<UInt8>) {
    guard bytes.count >= 4 else { return (bytes[...], [][...]) }
    let declared = bytes.prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    let cut = 4 + min(declared, bytes.count - 4)
    return (bytes[4..<cut], bytes[cut...])
  }
}
