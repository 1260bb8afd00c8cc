import CImageCodecs
import Foundation

/// PNG (libpng) and JPEG (libjpeg-turbo) reading and writing. Failures become `DataError`s naming the
/// file and the codec's message; nothing here exits or traps on a bad file.
public enum ImageCodec {
  /// Which decoder a file's first bytes call for.
  public enum Format: Sendable, Equatable {
    case png
    case jpeg
  }

  /// Recognizes PNG and JPEG by their signatures, not by the file name.
  public static func format(of data: Data) -> Format? {
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    if data.count >= png.count, Array(data.prefix(png.count)) == png { return .png }
    if data.count >= 3, Array(data.prefix(3)) == [0xFF, 0xD8, 0xFF] { return .jpeg }
    return nil
  }

  /// The largest image decoded unless a caller allows more (`data.max_image_pixels`): 64 megapixels
  /// (8192×8192). A few hundred bytes of PNG or JPEG header can declare gigapixels, and decoding
  /// allocates for the declared size; this bounds what a hostile or corrupt file can make nnc allocate.
  public static let defaultMaxPixels = 1 << 26

  /// Decodes a PNG or JPEG file's bytes into an image of `channels` (1: grey, 3: RGB) with values
  /// in [0, 1]; colour is converted to grey and grey to colour as needed. `path` names the file in
  /// errors. An image whose header declares more than `maxPixels` pixels is refused before anything
  /// is allocated for its pixels.
  public static func decode(_ data: Data, channels: Int, path: String, maxPixels: Int = defaultMaxPixels)
    throws -> Image
  {
    guard channels == 1 || channels == 3 else {
      throw DataError(path, "images can be read with 1 (grey) or 3 (RGB) channels, not \(channels)")
    }
    let (format, width, height) = try header(data, path: path, maxPixels: maxPixels)
    let name = format == .png ? "PNG" : "JPEG"
    var errorBuffer = [CChar](repeating: 0, count: 256)
    var bytes = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
    let status = data.withUnsafeBytes { raw -> Int32 in
      let source = raw.bindMemory(to: UInt8.self).baseAddress
      return bytes.withUnsafeMutableBufferPointer { output in
        switch format {
        case .png:
          nnc_png_decode(
            source, raw.count, Int32(channels), output.baseAddress, output.count, &errorBuffer,
            errorBuffer.count)
        case .jpeg:
          nnc_jpeg_decode(
            source, raw.count, Int32(channels), output.baseAddress, output.count, &errorBuffer,
            errorBuffer.count)
        }
      }
    }
    guard status == 0 else { throw DataError(path, "corrupt \(name) file: \(message(errorBuffer))") }
    return Image(interleaved: bytes, channels: channels, height: Int(height), width: Int(width))
  }

  /// The format and size a PNG or JPEG file's header declares, checked as `decode` checks them
  /// (signature, a usable size, at most `maxPixels` pixels), without decoding any pixel.
  public static func header(_ data: Data, path: String, maxPixels: Int = defaultMaxPixels) throws -> (
    format: Format, width: Int, height: Int
  ) {
    guard let format = format(of: data) else {
      throw DataError(path, "is neither a PNG nor a JPEG file (unrecognized signature)")
    }
    var errorBuffer = [CChar](repeating: 0, count: 256)
    var width: Int32 = 0
    var height: Int32 = 0
    let sized = data.withUnsafeBytes { raw -> Int32 in
      let bytes = raw.bindMemory(to: UInt8.self).baseAddress
      switch format {
      case .png: return nnc_png_size(bytes, raw.count, &width, &height, &errorBuffer, errorBuffer.count)
      case .jpeg: return nnc_jpeg_size(bytes, raw.count, &width, &height, &errorBuffer, errorBuffer.count)
      }
    }
    let name = format == .png ? "PNG" : "JPEG"
    guard sized == 0 else { throw DataError(path, "corrupt \(name) file: \(message(errorBuffer))") }
    guard width > 0, height > 0 else {
      throw DataError(path, "\(name) file claims an unusable size of \(width)x\(height) pixels")
    }
    guard Int(width) * Int(height) <= maxPixels else {
      throw DataError(
        path,
        "\(name) header declares \(width)x\(height) = \(Int(width) * Int(height)) pixels, more than the "
          + "limit of \(maxPixels) (data.max_image_pixels raises it)")
    }
    return (format, Int(width), Int(height))
  }

  /// How many leading bytes `readHeader` reads first: enough for a PNG's IHDR and for a JPEG's frame
  /// header behind the usual EXIF and colour-profile segments.
  static let headerPrefixBytes = 64 * 1024

  /// Checks an image file's header (see `header`) reading only its first bytes; a JPEG whose frame
  /// header lies further in (large metadata segments) is read whole. Indexing a folder of 10^5–10^6
  /// files this way costs a small read per file instead of a decode; damage past the header is
  /// found when the file is decoded.
  public static func readHeader(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> (
    format: Format, width: Int, height: Int
  ) {
    let file = try RegularFile(path)
    guard file.size > headerPrefixBytes else {
      return try header(Data(try file.allBytes()), path: path, maxPixels: maxPixels)
    }
    do {
      return try header(Data(try file.bytes(0..<headerPrefixBytes)), path: path, maxPixels: maxPixels)
    } catch {
      return try header(Data(try file.allBytes()), path: path, maxPixels: maxPixels)
    }
  }

  /// The largest libjpeg-turbo scale-down (8, 4 or 2; 1 for none) that still leaves a `width × height`
  /// JPEG at least `targetWidth × targetHeight`, so the resize after it only ever shrinks.
  public static func scaleDenominator(width: Int, height: Int, targetWidth: Int, targetHeight: Int) -> Int {
    for denominator in [8, 4, 2]
    where (width + denominator - 1) / denominator >= targetWidth
      && (height + denominator - 1) / denominator >= targetHeight
    {
      return denominator
    }
    return 1
  }

  /// `data.fast_jpeg`: decodes a JPEG file's bytes at the smallest of 1/2, 1/4, 1/8 of its size that
  /// is still at least `targetHeight × targetWidth` (PNG and small JPEGs decode in full, as `decode`).
  /// Faster for large photos, but the pixels differ slightly from a full decode and resize.
  public static func decodeReduced(
    _ data: Data, channels: Int, path: String, maxPixels: Int = defaultMaxPixels, targetHeight: Int,
    targetWidth: Int
  ) throws -> Image {
    let (format, width, height) = try header(data, path: path, maxPixels: maxPixels)
    let denominator = scaleDenominator(
      width: width, height: height, targetWidth: targetWidth, targetHeight: targetHeight)
    guard format == .jpeg, denominator > 1, channels == 1 || channels == 3 else {
      return try decode(data, channels: channels, path: path, maxPixels: maxPixels)
    }
    let reducedWidth = (width + denominator - 1) / denominator
    let reducedHeight = (height + denominator - 1) / denominator
    var bytes = [UInt8](repeating: 0, count: reducedWidth * reducedHeight * channels)
    var errorBuffer = [CChar](repeating: 0, count: 256)
    var decodedWidth: Int32 = 0
    var decodedHeight: Int32 = 0
    let status = data.withUnsafeBytes { raw -> Int32 in
      let source = raw.bindMemory(to: UInt8.self).baseAddress
      return bytes.withUnsafeMutableBufferPointer { output in
        nnc_jpeg_decode_scaled(
          source, raw.count, Int32(channels), Int32(denominator), output.baseAddress, output.count,
          &decodedWidth, &decodedHeight, &errorBuffer, errorBuffer.count)
      }
    }
    guard status == 0 else { throw DataError(path, "corrupt JPEG file: \(message(errorBuffer))") }
    let count = Int(decodedWidth) * Int(decodedHeight) * channels
    return Image(
      interleaved: Array(bytes.prefix(count)), channels: channels, height: Int(decodedHeight),
      width: Int(decodedWidth))
  }

  /// Reads and decodes an image file (refused when it is not a regular file or declares more than
  /// `maxPixels` pixels).
  public static func read(_ path: String, channels: Int, maxPixels: Int = defaultMaxPixels) throws -> Image {
    try decode(try readFileBytes(path), channels: channels, path: path, maxPixels: maxPixels)
  }

  /// Writes a 1- or 3-channel image as an 8-bit PNG (values clamped to [0, 1]).
  public static func writePNG(_ image: Image, to path: String) throws {
    guard image.channels == 1 || image.channels == 3 else {
      throw DataError(path, "a PNG is written from 1 or 3 channels, not \(image.channels)")
    }
    let bytes = image.interleavedBytes()
    var errorBuffer = [CChar](repeating: 0, count: 256)
    let status = bytes.withUnsafeBufferPointer { pixels in
      nnc_png_write(
        path, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
        &errorBuffer, errorBuffer.count)
    }
    guard status == 0 else { throw DataError(path, "cannot write PNG: \(message(errorBuffer))") }
  }

  /// Encodes a 1- or 3-channel image as a baseline JPEG of `quality` (1...100).
  public static func encodeJPEG(_ image: Image, quality: Int = 95) throws -> Data {
    guard image.channels == 1 || image.channels == 3 else {
      throw DataError("JPEG", "a JPEG is written from 1 or 3 channels, not \(image.channels)")
    }
    let bytes = image.interleavedBytes()
    var errorBuffer = [CChar](repeating: 0, count: 256)
    var output: UnsafeMutablePointer<UInt8>?
    var outputSize = 0
    let status = bytes.withUnsafeBufferPointer { pixels in
      nnc_jpeg_encode(
        pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
        Int32(min(max(quality, 1), 100)), &output, &outputSize, &errorBuffer, errorBuffer.count)
    }
    guard status == 0, let output else { throw DataError("JPEG", "cannot encode: \(message(errorBuffer))") }
    defer { nnc_free(output) }
    return Data(bytes: output, count: outputSize)
  }

  static func message(_ buffer: [CChar]) -> String {
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.isEmpty ? "unknown error" : text
  }
}
