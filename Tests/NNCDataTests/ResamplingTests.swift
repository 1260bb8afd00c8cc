import NNCRandom
import Testing

@testable import NNCData

/// The loader's resampling kernels against the straightforward per-pixel definitions they replace:
/// equal bit for bit, so that the faster kernels change no sample of any run.
@Suite struct ResamplingTests {
  static func randomImage(channels: Int, height: Int, width: Int, seed: UInt64) -> Image {
    var generator = RandomGenerator(seed: seed)
    return Image(
      channels: channels, height: height, width: width,
      pixels: (0..<channels * height * width).map { _ in generator.nextUniform() })
  }

  /// `Image.resized` as a direct sum over each output pixel's triangle taps, rows then columns.
  static func referenceResize(_ image: Image, height outHeight: Int, width outWidth: Int) -> Image {
    let columns = Image.triangleTaps(from: image.width, to: outWidth)
    let rows = Image.triangleTaps(from: image.height, to: outHeight)
    var horizontal = [Float](repeating: 0, count: image.channels * image.height * outWidth)
    for channel in 0..<image.channels {
      for y in 0..<image.height {
        for (x, tap) in columns.enumerated() {
          var sum: Float = 0
          for (offset, weight) in tap.weights.enumerated() {
            sum += weight * image[channel, y, tap.start + offset]
          }
          horizontal[(channel * image.height + y) * outWidth + x] = sum
        }
      }
    }
    var result = Image(channels: image.channels, height: outHeight, width: outWidth)
    for channel in 0..<image.channels {
      for (y, tap) in rows.enumerated() {
        for x in 0..<outWidth {
          var sum: Float = 0
          for (offset, weight) in tap.weights.enumerated() {
            sum += weight * horizontal[(channel * image.height + tap.start + offset) * outWidth + x]
          }
          result[channel, y, x] = sum
        }
      }
    }
    return result
  }

  @Test(arguments: [
    (3, 256, 256, 224, 224), (1, 28, 28, 32, 32), (3, 17, 40, 9, 13), (1, 5, 7, 11, 3), (3, 100, 60, 100, 30),
  ])
  func resizingMatchesTheDirectSums(
    channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
  ) {
    let image = Self.randomImage(
      channels: channels, height: height, width: width, seed: UInt64(height * width))
    let resized = image.resized(height: outHeight, width: outWidth)
    let reference = Self.referenceResize(image, height: outHeight, width: outWidth)
    #expect(resized.pixels == reference.pixels)
  }

  /// `resizeCrop` against the general bilinear warp it specializes, over random boxes (including
  /// one-pixel-wide and whole-image boxes).
  @Test func resizedCropsMatchTheBilinearWarp() {
    var generator = RandomGenerator(seed: 41)
    for trial in 0..<60 {
      let shape = ImageShape(
        channels: trial % 2 == 0 ? 3 : 1, height: 1 + Int(generator.next() % 40),
        width: 1 + Int(generator.next() % 40))
      let width = 1 + Int(generator.next() % UInt64(shape.width))
      let height = 1 + Int(generator.next() % UInt64(shape.height))
      let box = GeometricTransforms.Box(
        x: Int(generator.next() % UInt64(shape.width - width + 1)),
        y: Int(generator.next() % UInt64(shape.height - height + 1)), width: width, height: height)
      let image = Self.randomImage(
        channels: shape.channels, height: shape.height, width: shape.width, seed: UInt64(trial))
      var fast = image.pixels
      fast.withUnsafeMutableBufferPointer { GeometricTransforms.resizeCrop($0, shape, box: box) }
      var reference = image.pixels
      let scaleX = Double(box.width) / Double(shape.width)
      let scaleY = Double(box.height) / Double(shape.height)
      reference.withUnsafeMutableBufferPointer {
        warp($0, shape, fill: Fill(.nearest)) { x, y in
          let sx = min(max((Double(x) + 0.5) * scaleX - 0.5, 0), Double(box.width - 1))
          let sy = min(max((Double(y) + 0.5) * scaleY - 0.5, 0), Double(box.height - 1))
          return (Double(box.x) + sx, Double(box.y) + sy)
        }
      }
      #expect(fast == reference, "trial \(trial): \(shape), \(box)")
    }
  }
}
