/// Where a data set's sample values live, in the type they are stored in: they become Float32 one
/// sample at a time, as batches are assembled, so a data set never needs `count × sampleSize`
/// Floats in memory.
public enum SampleStorage: Sendable {
  /// Floats in memory (CSV, and samples built in code).
  case floats([Float])
  /// The elements of a binary file (IDX, NPY) in their stored type: read by range from the file, or
  /// held inflated in memory for a gzip-compressed file.
  case elements(ElementStore)
  /// An image folder's files, decoded and resized per sample.
  case images(ImageFolderIndex)
}

/// The samples of an IDX or NPY array, `sampleSize` elements of `elementType` each, stored one after
/// the other from `dataStart` either in a file (read by range) or in memory (an inflated gzip file).
public final class ElementStore: Sendable {
  public enum Bytes: Sendable {
    case file(RegularFile)
    case memory([UInt8])
  }

  public let bytes: Bytes
  public let elementType: ElementType
  public let bigEndian: Bool
  public let dataStart: Int
  public let sampleSize: Int
  public let sampleCount: Int
  /// The file (for messages).
  public let path: String

  init(
    bytes: Bytes, elementType: ElementType, bigEndian: Bool, dataStart: Int, sampleSize: Int,
    sampleCount: Int,
    path: String
  ) {
    self.bytes = bytes
    self.elementType = elementType
    self.bigEndian = bigEndian
    self.dataStart = dataStart
    self.sampleSize = sampleSize
    self.sampleCount = sampleCount
    self.path = path
  }

  /// The bytes this store keeps in memory (an inflated file; zero for a file read by range).
  public var residentBytes: Int {
    switch bytes {
    case .file: 0
    case .memory(let data): data.count
    }
  }

  /// Decodes samples `first..<first + count` into `output` (`count × sampleSize` Floats).
  func read(first: Int, count: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
    let elements = count * sampleSize
    let byteCount = elements * elementType.byteCount
    let start = dataStart + first * sampleSize * elementType.byteCount
    switch bytes {
    case .memory(let data):
      data.withUnsafeBytes { raw in
        elementType.decodeFloats(
          UnsafeRawBufferPointer(rebasing: raw[start..<start + byteCount]), into: output, count: elements,
          bigEndian: bigEndian)
      }
    case .file(let file):
      try withUnsafeTemporaryAllocation(byteCount: byteCount, alignment: 16) { raw in
        try file.read(start..<start + byteCount, into: raw)
        elementType.decodeFloats(
          UnsafeRawBufferPointer(raw), into: output, count: elements, bigEndian: bigEndian)
      }
    }
  }

  /// Refuses NaN and infinite elements as a whole-file decode did, reading the file in chunks so
  /// that it is never held whole.
  func checkFinite() throws {
    switch elementType {
    case .float16, .float32, .float64: break
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64, .bool: return
    }
    let chunkSamples = max(1, (1 << 20) / max(1, sampleSize))
    var values = [Float](repeating: 0, count: chunkSamples * sampleSize)
    var first = 0
    while first < sampleCount {
      let count = min(chunkSamples, sampleCount - first)
      try values.withUnsafeMutableBufferPointer { try read(first: first, count: count, into: $0) }
      let chunk = Array(values[0..<count * sampleSize])
      try NNCData.checkFinite(
        chunk, elementType: elementType,
        dataStart: dataStart + first * sampleSize * elementType.byteCount, path: path,
        firstElement: first * sampleSize)
      first += count
    }
  }
}
