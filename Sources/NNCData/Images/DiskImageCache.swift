import Foundation
import Synchronization

/// `data.cache: disk`: an image folder's samples at model resolution in one file of the run
/// directory, filled as batches decode them during the first epoch and read back (one `pread` per
/// sample) in later ones, so only the first epoch decodes.
///
/// Layout: a 40-byte header (magic, version, the folder's fingerprint, sample count, values per
/// sample), one "written" byte per sample, then the samples as little-endian Float32. Samples are
/// stored as the Float32 values the resize produced (not UInt8): bilinear resizing yields values
/// between the 8-bit levels, and the cache must give the same bits as decoding. The fingerprint
/// covers every file's path, size and modification time and the decoding options; a file whose
/// header does not match is rebuilt from scratch. A sample's flag is written after its values, so an
/// interrupted run leaves at worst samples that are decoded again.
final class DiskImageCache: Sendable {
  static let magic: [UInt8] = Array("NNCIMGC1".utf8)
  static let headerBytes = 40

  let path: String
  private let descriptor: Int32
  let sampleCount: Int
  let sampleSize: Int
  private let written: Mutex<[Bool]>

  /// Whether the file held samples of the same folder (reused) or was started afresh.
  let reused: Bool

  init(path: String, files: [String], options: ImageFolderOptions) throws {
    let count = files.count
    let size = options.channels * options.height * options.width
    let fingerprint = try Self.fingerprint(files: files, options: options)
    var header = Self.magic
    for value in [fingerprint, UInt64(count), UInt64(size)] {
      withUnsafeBytes(of: value.littleEndian) { header += $0 }
    }
    header += [UInt8](repeating: 0, count: Self.headerBytes - header.count)
    let file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard file >= 0 else {
      throw DataError(path, "cannot open the image cache: \(String(cString: strerror(errno)))")
    }
    let flagsEnd = Self.headerBytes + count
    let dataEnd = Self.dataStart(count) + count * size * 4
    var existing = [UInt8](repeating: 0, count: flagsEnd)
    var status = stat()
    var matches = false
    if fstat(file, &status) == 0, Int(status.st_size) == dataEnd {
      let wanted = existing.count
      let got = existing.withUnsafeMutableBytes { pread(file, $0.baseAddress, wanted, 0) }
      matches = got == wanted && Array(existing[0..<Self.headerBytes]) == header
    }
    self.path = path
    descriptor = file
    sampleCount = count
    sampleSize = size
    reused = matches
    written = Mutex(
      matches
        ? existing[Self.headerBytes..<flagsEnd].map { $0 == 1 } : [Bool](repeating: false, count: count))
    if matches { return }
    // A stale or foreign file: emptied and started again (the sample area is sparse until written).
    // Every property is set here, so a throw below closes the descriptor through deinit.
    guard ftruncate(file, 0) == 0, ftruncate(file, off_t(dataEnd)) == 0 else {
      throw DataError(path, "cannot size the image cache: \(String(cString: strerror(errno)))")
    }
    try Self.write(file, header, at: 0, path: path)
  }

  deinit { close(descriptor) }

  static func dataStart(_ count: Int) -> Int { (headerBytes + count + 15) / 16 * 16 }

  /// Fills `output` with sample `index` when it has been written; false when it has not.
  func read(_ index: Int, into output: UnsafeMutableBufferPointer<Float>) throws -> Bool {
    guard written.withLock({ $0[index] }) else { return false }
    let byteCount = sampleSize * 4
    var done = 0
    let raw = UnsafeMutableRawBufferPointer(output)
    while done < byteCount {
      let count = pread(
        descriptor, raw.baseAddress! + done, byteCount - done, off_t(offset(index) + done))
      if count < 0, errno == EINTR { continue }
      guard count > 0 else {
        throw DataError(path, "the image cache cannot be read: \(String(cString: strerror(errno)))")
      }
      done += count
    }
    for position in output.indices {
      output[position] = Float(bitPattern: UInt32(littleEndian: output[position].bitPattern))
    }
    return true
  }

  /// Stores sample `index`, then marks it written.
  func write(_ index: Int, _ values: [Float]) throws {
    precondition(values.count == sampleSize, "a cached sample of the wrong size")
    var bytes = [UInt8]()
    bytes.reserveCapacity(sampleSize * 4)
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    try Self.write(descriptor, bytes, at: offset(index), path: path)
    try Self.write(descriptor, [1], at: Self.headerBytes + index, path: path)
    written.withLock { $0[index] = true }
  }

  private func offset(_ index: Int) -> Int { Self.dataStart(sampleCount) + index * sampleSize * 4 }

  private static func write(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws {
    var done = 0
    while done < bytes.count {
      let count = bytes.withUnsafeBytes {
        pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
      }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else {
        throw DataError(path, "cannot write the image cache: \(String(cString: strerror(errno)))")
      }
      done += count
    }
  }

  /// FNV-1a over every file's path, size and modification time and the options that shape a sample:
  /// any change to the folder or to how it is decoded gives another value.
  static func fingerprint(files: [String], options: ImageFolderOptions) throws -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mixBytes(_ bytes: UnsafeRawBufferPointer) {
      for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
      }
    }
    func mixInt(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { mixBytes($0) } }
    for value in [options.channels, options.height, options.width, options.fastJPEG ? 1 : 0] { mixInt(value) }
    for file in files {
      var status = stat()
      guard stat(file, &status) == 0 else {
        throw DataError(file, "cannot be read: \(String(cString: strerror(errno)))")
      }
      Array(file.utf8).withUnsafeBytes { mixBytes($0) }
      mixInt(0)
      mixInt(Int(status.st_size))
      mixInt(Int(status.st_mtim.tv_sec))
      mixInt(Int(status.st_mtim.tv_nsec))
    }
    return hash
  }
}
