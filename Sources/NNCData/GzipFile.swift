import CZlib

/// Inflates gzip-compressed files (`*.gz`, the form MNIST and Fashion-MNIST are distributed in)
/// through zlib, with errors that name the file and the byte of the compressed data where it failed.
enum GzipFile {
  /// Whether `path` names a gzip file (by its extension, as the data sets are distributed).
  static func isGzip(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

  /// Every inflated byte of the gzip file at `path` (several members are inflated one after the
  /// other, as gunzip does).
  static func inflate(_ path: String) throws -> [UInt8] {
    let compressed = try RegularFile(path).allBytes()
    return try inflate(compressed, path: path)
  }

  static func inflate(_ compressed: [UInt8], path: String) throws -> [UInt8] {
    guard !compressed.isEmpty else {
      throw DataError(path, "truncated at byte 0: an empty file is not gzip data")
    }
    // The trailer's ISIZE is the size modulo 2^32 of the last member: a first guess only.
    let declared =
      compressed.count >= 4
      ? compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) } : compressed.count
    var output = [UInt8](repeating: 0, count: max(declared, 1 << 16))
    var produced = 0
    var consumed = 0
    var stream = z_stream()
    guard nnc_inflate_init_gzip(&stream) == Z_OK else {
      throw DataError(path, "cannot be inflated: zlib could not start")
    }
    defer { _ = inflateEnd(&stream) }
    let chunk = 1 << 20
    while true {
      if produced == output.count { output += [UInt8](repeating: 0, count: max(chunk, output.count / 2)) }
      let status = compressed.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
          stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed)
          stream.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
          stream.next_out = out.baseAddress! + produced
          stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
          let before = (stream.avail_in, stream.avail_out)
          let status = CZlib.inflate(&stream, Z_NO_FLUSH)
          consumed += Int(before.0 - stream.avail_in)
          produced += Int(before.1 - stream.avail_out)
          return status
        }
      }
      switch status {
      case Z_STREAM_END:
        guard consumed < compressed.count else {
          output.removeSubrange(produced...)
          return output
        }
        // Another member follows (or trailing garbage, which the next header check refuses).
        _ = inflateReset(&stream)
      case Z_OK:
        continue
      case Z_BUF_ERROR where consumed == compressed.count:
        throw DataError(
          path,
          "truncated at byte \(compressed.count): the gzip data ends before its end marker "
            + "(\(produced) bytes inflated); download the file again")
      case Z_BUF_ERROR:
        continue
      default:
        let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
        throw DataError(path, "corrupt gzip data at byte \(consumed): \(reason)")
      }
    }
  }
}
