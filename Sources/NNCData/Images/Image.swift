/// An image as planes of Float values: `channels × height × width`, channel after channel (the
/// layout of a sample of shape [C, H, W]). Decoded files hold values in [0, 1].
public struct Image: Sendable, Equatable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public var pixels: [Float]

  public init(channels: Int, height: Int, width: Int, pixels: [Float]) {
    precondition(pixels.count == channels * height * width, "pixels do not fill the image")
    self.channels = channels
    self.height = height
    self.width = width
    self.pixels = pixels
  }

  /// An image of one value.
  public init(channels: Int, height: Int, width: Int, value: Float = 0) {
    self.init(
      channels: channels, height: height, width: width,
      pixels: [Float](repeating: value, count: channels * height * width))
  }

  public subscript(channel: Int, y: Int, x: Int) -> Float {
    get { pixels[(channel * height + y) * width + x] }
    set { pixels[(channel * height + y) * width + x] = newValue }
  }

  /// Interleaved 8-bit values (RGBRGB… or grey), clamped to [0, 1] and rounded, for encoders.
  public func interleavedBytes() -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: pixels.count)
    let planeSize = height * width
    for channel in 0..<channels {
      for index in 0..<planeSize {
        let value = pixels[channel * planeSize + index]
        let clamped = value.isNaN ? 0 : min(max(value, 0), 1)
        bytes[index * channels + channel] = UInt8((clamped * 255).rounded())
      }
    }
    return bytes
  }

  /// The inverse of `interleavedBytes()`: 8-bit interleaved values to planes in [0, 1].
  public init(interleaved bytes: [UInt8], channels: Int, height: Int, width: Int) {
    let planeSize = height * width
    precondition(bytes.count == channels * planeSize, "bytes do not fill the image")
    let pixels = [Float](unsafeUninitializedCapacity: channels * planeSize) { planes, initialized in
      bytes.withUnsafeBufferPointer { bytes in
        for channel in 0..<channels {
          let plane = channel * planeSize
          for index in 0..<planeSize {
            planes[plane + index] = Float(bytes[index * channels + channel]) / 255
          }
        }
      }
      initialized = channels * planeSize
    }
    self.init(channels: channels, height: height, width: width, pixels: pixels)
  }
}
