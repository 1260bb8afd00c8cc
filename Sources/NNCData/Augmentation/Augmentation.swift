import NNCRandom

/// A closed interval `[low, high]` a transform draws a parameter from (uniformly).
public struct ValueRange: Sendable, Equatable {
  public var low: Double
  public var high: Double

  public init(_ low: Double, _ high: Double) {
    self.low = low
    self.high = high
  }

  /// `[value, value]`: always the same parameter.
  public static func constant(_ value: Double) -> ValueRange { ValueRange(value, value) }

  /// `[-delta, delta]`.
  public static func symmetric(_ delta: Double) -> ValueRange { ValueRange(-delta, delta) }

  /// A value in the range; a constant range draws nothing, so it leaves the generator untouched.
  public func sample(_ generator: inout RandomGenerator) -> Double {
    if low == high { return low }
    return low + (high - low) * Double(generator.nextUniform())
  }
}

/// How pixels that come from outside the image are filled by geometric transforms.
public struct Fill: Sendable, Equatable {
  public enum Mode: String, Sendable, Equatable {
    /// `value` everywhere outside.
    case constant
    /// The nearest edge pixel.
    case nearest
    /// The image mirrored at its edges (without repeating the edge pixel).
    case reflect
  }

  public var mode: Mode
  public var value: Float

  public init(_ mode: Mode = .constant, value: Float = 0) {
    self.mode = mode
    self.value = value
  }
}

/// One transform of a sample. Geometric transforms keep the sample's size (but `sizedCrop`); photometric ones and
/// erasing assume values in [0, 1] and keep them there; `normalize` maps to the network's input
/// scale and comes last.
public enum Augmentation: Sendable, Equatable {
  /// Rotation about the centre by an angle in degrees (positive: counter-clockwise as displayed).
  case rotation(degrees: ValueRange, fill: Fill)
  /// Zoom about the centre by a factor from `scale`, then a shift of up to `translateX · width` and
  /// `translateY · height` pixels in either direction.
  case affine(scale: ValueRange, translateX: Double, translateY: Double, fill: Fill)
  /// Pad by `padding` pixels on every side and crop the original size at a random offset.
  case crop(padding: Int, fill: Fill)
  /// Pad by `padding` pixels on every side and crop a window of `size` at a random offset: the
  /// sample becomes smaller, and later steps see the cropped size.
  case sizedCrop(size: CropSize, padding: Int, fill: Fill)
  /// Crop a box of a random area fraction (`scale`) and aspect ratio width/height (`ratio`) and resize
  /// it to the full size.
  case resizedCrop(scale: ValueRange, ratio: ValueRange)
  case horizontalFlip
  case verticalFlip
  /// Displace every pixel by a random field smoothed with a gaussian of `sigma` and scaled by `alpha`.
  case elastic(alpha: Double, sigma: Double)
  /// Add an offset drawn from the range.
  case brightness(ValueRange)
  /// Scale the distance from the image mean by a factor drawn from the range.
  case contrast(ValueRange)
  /// Scale each pixel's distance from its grey value by a factor drawn from the range (RGB only).
  case saturation(ValueRange)
  /// Rotate the hue by a fraction of a turn drawn from the range (RGB only).
  case hue(ValueRange)
  /// Darknet's colour jitter in HSV: shift the hue by a turn fraction in [-hue, hue] and multiply the
  /// HSV saturation and the value (exposure) by factors drawn as Darknet's `rand_scale` does: a
  /// number in [1, s], inverted with probability 1/2. Grey samples get the exposure factor only.
  case hsv(hue: Double, saturation: Double, exposure: Double)
  case gaussianNoise(std: Double)
  case gaussianBlur(sigma: ValueRange)
  /// Replace a box covering an `area` fraction of the image with aspect height/width from `aspect`,
  /// with `fill` (one value or one per channel) or, when nil, uniform random values in [0, 1].
  case erasing(area: ValueRange, aspect: ValueRange, fill: [Float]?)
  /// `(x - mean) / std` per channel (one value or one per channel each).
  case normalize(mean: [Float], std: [Float])

  /// Whether the transform moves pixels, and so needs a sample shape [C, H, W].
  public var isSpatial: Bool {
    switch self {
    case .rotation, .affine, .crop, .sizedCrop, .resizedCrop, .horizontalFlip, .verticalFlip, .elastic,
      .gaussianBlur,
      .erasing:
      return true
    default: return false
    }
  }
}

/// A transform applied with probability `probability`.
public struct AugmentationStep: Sendable, Equatable {
  public var augmentation: Augmentation
  public var probability: Double

  public init(_ augmentation: Augmentation, probability: Double = 1) {
    self.augmentation = augmentation
    self.probability = probability
  }
}

/// The steps of an augmentation pipeline, in order.
public struct AugmentationConfiguration: Sendable, Equatable {
  public var steps: [AugmentationStep]

  public init(steps: [AugmentationStep]) { self.steps = steps }

  /// The final `normalize` step's constants, if there is one; validation and test data get the
  /// same normalization (and no other step).
  public var normalization: Normalization? {
    guard case .normalize(let mean, let std) = steps.last?.augmentation else { return nil }
    return Normalization(mean: mean, std: std)
  }

  /// The size of the last crop that makes samples smaller (`random_crop: {size}`), if any.
  public var cropSize: CropSize? {
    steps.reversed().lazy.compactMap { step -> CropSize? in
      guard case .sizedCrop(let size, _, _) = step.augmentation else { return nil }
      return size
    }.first
  }

  /// The shape of samples of `sampleShape` after the pipeline (the last sized crop's).
  public func outputShape(for sampleShape: [Int]) -> [Int] {
    guard let cropSize, sampleShape.count == 3 else { return sampleShape }
    return [sampleShape[0], cropSize.height, cropSize.width]
  }

  /// The steps before the final `normalize`, for looking at images (`nnc augment --preview`).
  public var withoutNormalization: AugmentationConfiguration {
    guard normalization != nil else { return self }
    return AugmentationConfiguration(steps: Array(steps.dropLast()))
  }
}
