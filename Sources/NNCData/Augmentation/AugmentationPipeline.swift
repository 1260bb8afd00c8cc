import NNCRandom

/// A checked augmentation configuration bound to a sample shape, ready to run on samples.
///
/// Each step draws from its own generator, derived from the sample's generator and the step's
/// position, so a sample's result depends only on the generator it is given (and a step's draws do
/// not shift when an earlier step is skipped or removed). Given to a `BatchLoader` as
/// `sampleTransform`, the generator comes from (seed, epoch, position in the epoch): the same seed
/// gives the same augmented images whatever thread runs them.
public struct AugmentationPipeline: Sendable {
  public let configuration: AugmentationConfiguration
  /// The shape of the samples the pipeline takes.
  public let shape: ImageShape
  /// The shape each step works on: `shape` until a sized crop makes samples smaller.
  let stepShapes: [ImageShape]
  /// The shape of the samples the pipeline gives (smaller than `shape` after `random_crop: {size}`).
  public var outputShape: ImageShape {
    stepShapes.last.map { shape(after: stepShapes.count - 1, $0) } ?? shape
  }

  /// Checks that every step fits `sampleShape`: spatial steps need [C, H, W], per-channel values
  /// come as one value or one per channel, ranges are ordered, `normalize` is last.
  public init(_ configuration: AugmentationConfiguration, sampleShape: [Int]) throws {
    guard let shape = ImageShape(sampleShape: sampleShape) else {
      throw DataError(
        "augment", "samples of shape \(sampleShape) cannot be augmented (need [C, H, W] or [F])")
    }
    var current = shape
    var stepShapes: [ImageShape] = []
    for (position, step) in configuration.steps.enumerated() {
      let name = "augment step \(position + 1)"
      stepShapes.append(current)
      guard step.probability >= 0, step.probability <= 1 else {
        throw DataError(name, "probability \(step.probability) is not in [0, 1]")
      }
      if step.augmentation.isSpatial, sampleShape.count != 3 {
        throw DataError(name, "moves pixels, so it needs samples [C, H, W], not \(sampleShape)")
      }
      var ranges: [ValueRange] = []
      var perChannel: [[Float]] = []
      switch step.augmentation {
      case .rotation(let degrees, _): ranges = [degrees]
      case .affine(let scale, let x, let y, _):
        ranges = [scale]
        guard scale.low > 0, x >= 0, y >= 0 else {
          throw DataError(name, "affine scale must be positive and translations not negative")
        }
      case .crop(let padding, _):
        guard padding >= 0 else { throw DataError(name, "padding \(padding) is negative") }
      case .sizedCrop(let size, let padding, _):
        // The bound keeps the padded size from overflowing; Limits allows far less.
        guard padding >= 0, padding <= 1 << 30 else {
          throw DataError(name, "padding \(padding) is out of range")
        }
        guard size.height > 0, size.width > 0, size.height <= current.height + 2 * padding,
          size.width <= current.width + 2 * padding
        else {
          throw DataError(
            name,
            "a crop of \(size) does not fit samples of \(current.height)x\(current.width) padded by \(padding)"
          )
        }
        current = size.applied(to: current)
      case .resizedCrop(let scale, let ratio):
        ranges = [scale, ratio]
        guard scale.low > 0, scale.high <= 1, ratio.low > 0 else {
          throw DataError(name, "resized crop needs scale in (0, 1] and a positive ratio")
        }
      case .elastic(let alpha, let sigma):
        guard alpha >= 0, sigma > 0 else { throw DataError(name, "elastic needs alpha >= 0 and sigma > 0") }
      case .brightness(let range), .contrast(let range), .saturation(let range), .hue(let range):
        ranges = [range]
      case .hsv(let hue, let saturation, let exposure):
        guard hue >= 0, hue <= 0.5, saturation >= 1, exposure >= 1, saturation.isFinite, exposure.isFinite
        else {
          throw DataError(name, "hsv needs hue in [0, 0.5] and saturation and exposure of at least 1")
        }
      case .gaussianNoise(let std):
        guard std >= 0 else { throw DataError(name, "noise std \(std) is negative") }
      case .gaussianBlur(let sigma):
        ranges = [sigma]
        guard sigma.low >= 0 else { throw DataError(name, "blur sigma must not be negative") }
      case .erasing(let area, let aspect, let fill):
        ranges = [area, aspect]
        guard area.low > 0, area.high <= 1, aspect.low > 0 else {
          throw DataError(name, "erasing needs area in (0, 1] and a positive aspect")
        }
        perChannel = fill.map { [$0] } ?? []
      case .normalize(let mean, let std):
        guard position == configuration.steps.count - 1 else {
          throw DataError(name, "normalize must be the last step")
        }
        guard std.allSatisfy({ $0 > 0 }) else { throw DataError(name, "normalize std must be positive") }
        perChannel = [mean, std]
      case .horizontalFlip, .verticalFlip: break
      }
      for range in ranges where !(range.low <= range.high) || !range.low.isFinite || !range.high.isFinite {
        throw DataError(name, "range [\(range.low), \(range.high)] is not an ordered pair of finite numbers")
      }
      for values in perChannel where values.count != 1 && values.count != shape.channels {
        throw DataError(
          name, "\(values.count) values for \(shape.channels) channels (give 1 or \(shape.channels))")
      }
    }
    self.configuration = configuration
    self.shape = shape
    self.stepShapes = stepShapes
  }

  /// The shape step `position` leaves, given the shape it takes.
  func shape(after position: Int, _ input: ImageShape) -> ImageShape {
    guard case .sizedCrop(let size, _, _) = configuration.steps[position].augmentation else { return input }
    return size.applied(to: input)
  }

  /// Transforms one sample in place: the result is the first `outputShape.count` values of
  /// `sample` (all of them unless a step crops to a smaller size).
  public func apply(to sample: UnsafeMutableBufferPointer<Float>, using generator: inout RandomGenerator) {
    precondition(sample.count == shape.count, "a sample of \(sample.count) values for shape \(shape)")
    for (position, step) in configuration.steps.enumerated() {
      let stepShape = stepShapes[position]
      let values = UnsafeMutableBufferPointer(rebasing: sample[0..<stepShape.count])
      var stepGenerator = generator.derived(UInt64(position))
      if step.probability < 1, Double(stepGenerator.nextUniform()) >= step.probability {
        // A crop that is skipped still makes the sample the size later steps expect: its centre.
        if case .sizedCrop(let size, _, _) = step.augmentation {
          Cropping.centerCrop(UnsafeBufferPointer(values), stepShape, size: size, into: values)
        }
        continue
      }
      Self.apply(step.augmentation, to: values, stepShape, using: &stepGenerator)
    }
  }

  /// Transforms an image (of this pipeline's shape) in place; a sized crop makes it smaller.
  public func apply(to image: inout Image, using generator: inout RandomGenerator) {
    image.pixels.withUnsafeMutableBufferPointer { apply(to: $0, using: &generator) }
    let output = outputShape
    guard output != shape else { return }
    image = Image(
      channels: output.channels, height: output.height, width: output.width,
      pixels: Array(image.pixels.prefix(output.count)))
  }

  /// The pipeline as a `BatchLoader` transform (whose `sampleShape` is `outputShape`).
  public var sampleTransform: SampleTransform {
    { sample, _, generator in self.apply(to: sample, using: &generator) }
  }

  static func apply(
    _ augmentation: Augmentation, to sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape,
    using generator: inout RandomGenerator
  ) {
    switch augmentation {
    case .rotation(let degrees, let fill):
      GeometricTransforms.rotate(sample, shape, degrees: degrees.sample(&generator), fill: fill)
    case .affine(let scale, let translateX, let translateY, let fill):
      let factor = scale.sample(&generator)
      let shiftX = ValueRange.symmetric(translateX * Double(shape.width)).sample(&generator)
      let shiftY = ValueRange.symmetric(translateY * Double(shape.height)).sample(&generator)
      GeometricTransforms.affine(sample, shape, scale: factor, shiftX: shiftX, shiftY: shiftY, fill: fill)
    case .crop(let requested, let fill):
      guard requested > 0 else { return }
      // Beyond a billion pixels every window is fill anyway; the bound keeps 2p + 1 from overflowing.
      let padding = min(requested, 1 << 30)
      let span = UInt64(2 * padding + 1)
      let offsetX = Int(generator.next() % span)
      let offsetY = Int(generator.next() % span)
      GeometricTransforms.crop(
        sample, shape, padding: padding, offsetX: offsetX, offsetY: offsetY, fill: fill)
    case .sizedCrop(let size, let padding, let fill):
      let (top, left) = Cropping.randomOffsets(shape, padding: padding, size: size, using: &generator)
      Cropping.copyWindow(
        UnsafeBufferPointer(sample), shape, padding: padding, top: top, left: left, size: size, fill: fill,
        into: sample)
    case .resizedCrop(let scale, let ratio):
      let box = GeometricTransforms.resizedCropBox(shape, scale: scale, ratio: ratio, using: &generator)
      GeometricTransforms.resizeCrop(sample, shape, box: box)
    case .horizontalFlip: GeometricTransforms.flipHorizontally(sample, shape)
    case .verticalFlip: GeometricTransforms.flipVertically(sample, shape)
    case .elastic(let alpha, let sigma):
      ElasticDeformation.apply(sample, shape, alpha: alpha, sigma: sigma, using: &generator)
    case .brightness(let range):
      PhotometricTransforms.brightness(sample, offset: Float(range.sample(&generator)))
    case .contrast(let range):
      PhotometricTransforms.contrast(sample, factor: Float(range.sample(&generator)))
    case .saturation(let range):
      PhotometricTransforms.saturation(sample, shape, factor: Float(range.sample(&generator)))
    case .hue(let range):
      PhotometricTransforms.hue(sample, shape, shift: Float(range.sample(&generator)))
    case .hsv(let hue, let saturation, let exposure):
      let shift = Float(ValueRange.symmetric(hue).sample(&generator))
      let saturationFactor = Float(PhotometricTransforms.darknetScale(saturation, using: &generator))
      let exposureFactor = Float(PhotometricTransforms.darknetScale(exposure, using: &generator))
      PhotometricTransforms.hsv(
        sample, shape, hueShift: shift, saturation: saturationFactor, exposure: exposureFactor)
    case .gaussianNoise(let std):
      PhotometricTransforms.noise(sample, std: Float(std), using: &generator)
    case .gaussianBlur(let sigma):
      GaussianBlur.blur(sample, shape, sigma: sigma.sample(&generator))
    case .erasing(let area, let aspect, let fill):
      RandomErasing.apply(sample, shape, area: area, aspect: aspect, fill: fill, using: &generator)
    case .normalize(let mean, let std):
      for channel in 0..<shape.channels {
        let m = mean.count == 1 ? mean[0] : mean[channel]
        let inverse = 1 / (std.count == 1 ? std[0] : std[channel])
        for index in (channel * shape.planeSize)..<((channel + 1) * shape.planeSize) {
          sample[index] = (sample[index] - m) * inverse
        }
      }
    }
  }
}
