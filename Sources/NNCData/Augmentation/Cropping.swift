import NNCRandom

/// The height and width a crop keeps (Darknet's and Caffe's `crop_size`).
public struct CropSize: Sendable, Equatable, CustomStringConvertible {
  public var height: Int
  public var width: Int

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  /// `shape` with this height and width.
  public func applied(to shape: ImageShape) -> ImageShape {
    ImageShape(channels: shape.channels, height: height, width: width)
  }

  public var description: String { "\(height)x\(width)" }
}

/// Crops that make a sample smaller: a random window for training (`random_crop: {size}`) and the
/// centre window for evaluation and prediction (`data.center_crop`).
public enum Cropping {
  /// Copies the window of `size` whose top-left corner is at (`top`, `left`) of the image padded by
  /// `padding` on every side into `output` (`channels × size` values); pixels of the padding come
  /// from `fill`. `output` may start at `source`'s first element: every value is read before its
  /// position can be written.
  static func copyWindow(
    _ source: UnsafeBufferPointer<Float>, _ shape: ImageShape, padding: Int, top: Int, left: Int,
    size: CropSize, fill: Fill, into output: UnsafeMutableBufferPointer<Float>
  ) {
    let original = Array(source)
    original.withUnsafeBufferPointer { original in
      for channel in 0..<shape.channels {
        let plane = UnsafeBufferPointer(
          rebasing: original[channel * shape.planeSize..<(channel + 1) * shape.planeSize])
        let reader = PlaneReader(plane: plane, height: shape.height, width: shape.width, fill: fill)
        let base = channel * size.height * size.width
        for y in 0..<size.height {
          for x in 0..<size.width {
            output[base + y * size.width + x] = reader.pixel(x + left - padding, y + top - padding)
          }
        }
      }
    }
  }

  /// The random window of `size` in the image padded by `padding`: the top and left offsets are
  /// uniform over every window that fits (horizontal offset drawn first, as the same-size crop does).
  static func randomOffsets(
    _ shape: ImageShape, padding: Int, size: CropSize, using generator: inout RandomGenerator
  )
    -> (top: Int, left: Int)
  {
    let horizontalSpan = UInt64(shape.width + 2 * padding - size.width + 1)
    let verticalSpan = UInt64(shape.height + 2 * padding - size.height + 1)
    let left = Int(generator.next() % horizontalSpan)
    let top = Int(generator.next() % verticalSpan)
    return (top, left)
  }

  /// The top-left corner of the centre window of `size` (rounded towards the top left when the
  /// margin is odd, as Caffe and torchvision's `CenterCrop` do).
  public static func centerOffsets(_ shape: ImageShape, size: CropSize) -> (top: Int, left: Int) {
    ((shape.height - size.height) / 2, (shape.width - size.width) / 2)
  }

  /// Writes the centre window of `size` of `sample` (of `shape`) into `output`.
  public static func centerCrop(
    _ sample: UnsafeBufferPointer<Float>, _ shape: ImageShape, size: CropSize,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    let (top, left) = centerOffsets(shape, size: size)
    copyWindow(sample, shape, padding: 0, top: top, left: left, size: size, fill: Fill(), into: output)
  }
}
