import Foundation

/// The shape an IDX or NPY file declares, read from its header alone (a gzip IDX file is inflated
/// first), so that `nnc check` can compare it with the model's input without loading the data.
public enum DataFileHeader {
  /// The dimensions of the array in `path`, read as `format` ("idx" or "npy"); the header is checked
  /// against the file's size as the readers check it.
  public static func shape(of path: String, format: String) throws -> [Int] {
    if format == "npy" {
      let file = try RegularFile(path)
      let preamble = try file.bytes(0..<min(file.size, 12))
      let (headerStart, headerLength) = try preamble.withUnsafeBytes {
        try NPYReader.parsePreamble($0, fileSize: file.size, path: path)
      }
      let headerBytes = try file.bytes(0..<headerStart + headerLength)
      return try headerBytes.withUnsafeBytes {
        try NPYReader.parseHeader($0, fileSize: file.size, path: path).shape
      }
    }
    if GzipFile.isGzip(path) { return try IDXReader.openSamples(path).header.dimensions }
    let file = try RegularFile(path)
    let prefix = try file.bytes(0..<min(file.size, 4 + 4 * 255))
    return try prefix.withUnsafeBytes {
      try IDXReader.parseHeader($0, fileSize: file.size, path: path).dimensions
    }
  }
}
