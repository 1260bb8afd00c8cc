import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// An image with values spread over [low, high], different at every position and channel.
private func randomImage(
  channels: Int, height: Int, width: Int, seed: UInt64, low: Float = 0, high: Float = 1
) -> Image {
  var generator = RandomGenerator(seed: seed)
  return Image(
    channels: channels, height: height, width: width,
    pixels: (0..<(channels * height * width)).map { _ in generator.nextUniform(low, high) })
}

/// Runs one step with probability 1 on a copy of `image`.
private func applied(_ augmentation: Augmentation, to image: Image, seed: UInt64 = 7) throws -> Image {
  let pipeline = try AugmentationPipeline(
    AugmentationConfiguration(steps: [AugmentationStep(augmentation)]),
    sampleShape: [image.channels, image.height, image.width])
  var result = image
  var generator = RandomGenerator(seed: seed)
  pipeline.apply(to: &result, using: &generator)
  return result
}

/// Reference transposition of every channel of a square image.
private func transposed(_ image: Image) -> Image {
  var result = image
  for c in 0..<image.channels {
    for y in 0..<image.height { for x in 0..<image.width { result[c, y, x] = image[c, x, y] } }
  }
  return result
}

private func mirroredLeftRight(_ image: Image) -> Image {
  var result = image
  for c in 0..<image.channels {
    for y in 0..<image.height {
      for x in 0..<image.width { result[c, y, x] = image[c, y, image.width - 1 - x] }
    }
  }
  return result
}

private let identityParameters: [(String, Augmentation)] = [
  ("rotation 0", .rotation(degrees: .constant(0), fill: Fill())),
  ("rotation 360", .rotation(degrees: .constant(360), fill: Fill(.reflect))),
  ("affine scale 1", .affine(scale: .constant(1), translateX: 0, translateY: 0, fill: Fill())),
  ("crop padding 0", .crop(padding: 0, fill: Fill())),
  ("resized crop of everything", .resizedCrop(scale: .constant(1), ratio: .constant(1))),
  ("elastic alpha 0", .elastic(alpha: 0, sigma: 3)),
  ("brightness 0", .brightness(.constant(0))),
  ("contrast 1", .contrast(.constant(1))),
  ("saturation 1", .saturation(.constant(1))),
  ("hue 0", .hue(.constant(0))),
  ("hsv identity", .hsv(hue: 0, saturation: 1, exposure: 1)),
  ("noise std 0", .gaussianNoise(std: 0)),
  ("blur sigma 0", .gaussianBlur(sigma: .constant(0))),
  ("normalize 0 1", .normalize(mean: [0], std: [1])),
]

@Test(arguments: identityParameters.map(\.0))
func identityParametersLeaveImagesUnchanged(_ name: String) throws {
  let augmentation = try #require(identityParameters.first { $0.0 == name }?.1)
  for (channels, size) in [(1, 12), (3, 9)] {
    let image = randomImage(channels: channels, height: size, width: size, seed: 3)
    #expect(try applied(augmentation, to: image) == image, "\(name) on \(channels) channels")
  }
}

@Test func probabilityZeroSkipsAStep() throws {
  let image = randomImage(channels: 1, height: 8, width: 8, seed: 5)
  let pipeline = try AugmentationPipeline(
    AugmentationConfiguration(steps: [
      AugmentationStep(.horizontalFlip, probability: 0),
      AugmentationStep(.gaussianNoise(std: 0.5), probability: 0),
    ]), sampleShape: [1, 8, 8])
  var result = image
  var generator = RandomGenerator(seed: 1)
  pipeline.apply(to: &result, using: &generator)
  #expect(result == image)
}

@Test func flippingTwiceIsTheIdentity() throws {
  let image = randomImage(channels: 3, height: 7, width: 10, seed: 11)
  let once = try applied(.horizontalFlip, to: image)
  #expect(once == mirroredLeftRight(image))
  #expect(try applied(.horizontalFlip, to: once) == image)
  let down = try applied(.verticalFlip, to: image)
  #expect(down != image)
  #expect(down[1, 0, 3] == image[1, 6, 3])
  #expect(try applied(.verticalFlip, to: down) == image)
}

@Test(arguments: [1, 3])
func aQuarterTurnMatchesATransposition(channels: Int) throws {
  let image = randomImage(channels: channels, height: 9, width: 9, seed: 13)
  // Counter-clockwise as displayed: the right column becomes the top row.
  let rotated = try applied(.rotation(degrees: .constant(90), fill: Fill()), to: image)
  #expect(rotated == transposed(mirroredLeftRight(image)))
  let back = try applied(.rotation(degrees: .constant(-90), fill: Fill()), to: rotated)
  #expect(back == image)
  let halfTurn = try applied(.rotation(degrees: .constant(180), fill: Fill()), to: image)
  #expect(halfTurn == (try applied(.verticalFlip, to: mirroredLeftRight(image))))
}

@Test func rotationFillsCornersByMode() throws {
  let image = Image(channels: 1, height: 8, width: 8, value: 0.5)
  let constant = try applied(.rotation(degrees: .constant(45), fill: Fill(.constant, value: 0.9)), to: image)
  #expect(constant[0, 0, 0] == 0.9)  // the corner comes from outside the image
  #expect(constant[0, 4, 4] == 0.5)
  let nearest = try applied(.rotation(degrees: .constant(45), fill: Fill(.nearest)), to: image)
  #expect(nearest.pixels.allSatisfy { $0 == 0.5 })
}

@Test func translationShiftsPixelsAndFills() {
  var image = randomImage(channels: 1, height: 6, width: 6, seed: 17)
  let original = image
  image.pixels.withUnsafeMutableBufferPointer { sample in
    GeometricTransforms.affine(
      sample, ImageShape(channels: 1, height: 6, width: 6), scale: 1, shiftX: 2, shiftY: -1,
      fill: Fill(value: 0.25))
  }
  for y in 0..<6 {
    for x in 0..<6 {
      let (sx, sy) = (x - 2, y + 1)
      let expected: Float = sx >= 0 && sy < 6 ? original[0, sy, sx] : 0.25
      #expect(image[0, y, x] == expected, "pixel (\(x), \(y))")
    }
  }
}

@Test func paddedCropShiftsByItsOffset() {
  var image = randomImage(channels: 2, height: 5, width: 5, seed: 19)
  let original = image
  image.pixels.withUnsafeMutableBufferPointer { sample in
    GeometricTransforms.crop(
      sample, ImageShape(channels: 2, height: 5, width: 5), padding: 2, offsetX: 0, offsetY: 3,
      fill: Fill(.reflect))
  }
  // Output (x, y) is padded (x + 0, y + 3), i.e. original (x - 2, y + 1) mirrored at the edges.
  for c in 0..<2 {
    for y in 0..<5 {
      for x in 0..<5 {
        #expect(image[c, y, x] == original[c, reflected(y + 1, 5), reflected(x - 2, 5)])
      }
    }
  }
}

@Test func resizedCropBoxesRespectTheirRanges() {
  let shape = ImageShape(channels: 1, height: 32, width: 32)
  var generator = RandomGenerator(seed: 23)
  for _ in 0..<200 {
    let box = GeometricTransforms.resizedCropBox(
      shape, scale: ValueRange(0.2, 0.6), ratio: ValueRange(0.5, 2), using: &generator)
    #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= 32 && box.y + box.height <= 32)
    let area = Double(box.width * box.height) / 1024
    // Rounding each side to whole pixels moves the area a little.
    #expect(area > 0.15 && area < 0.7, "area \(area)")
  }
}

@Test func erasedAreaLiesInTheRequestedRange() throws {
  let image = Image(channels: 3, height: 24, width: 20, value: 0.5)
  let area = ValueRange(0.05, 0.2)
  let aspect = ValueRange(0.5, 2)
  var erasedCount = 0
  for seed in 0..<200 {
    let result = try applied(
      .erasing(area: area, aspect: aspect, fill: [0, 1, 0.25]), to: image, seed: UInt64(seed))
    let changed = (0..<(24 * 20)).filter { result.pixels[$0] != 0.5 }
    guard !changed.isEmpty else { continue }
    erasedCount += 1
    let fraction = Double(changed.count) / Double(24 * 20)
    #expect(fraction >= area.low && fraction <= area.high, "erased fraction \(fraction)")
    // Every channel of the box holds that channel's fill value.
    for index in changed {
      #expect(
        result.pixels[index] == 0 && result.pixels[480 + index] == 1 && result.pixels[960 + index] == 0.25)
    }
    let rows = Set(changed.map { $0 / 20 })
    let columns = Set(changed.map { $0 % 20 })
    #expect(rows.count * columns.count == changed.count, "the erased pixels form a box")
    let ratio = Double(rows.count) / Double(columns.count)
    #expect(ratio >= aspect.low && ratio <= aspect.high)
  }
  #expect(erasedCount > 180)
}

@Test func randomErasingFillsWithValuesInRange() throws {
  let image = Image(channels: 1, height: 16, width: 16, value: 2)
  let result = try applied(
    .erasing(area: ValueRange(0.2, 0.3), aspect: ValueRange(1, 1), fill: nil), to: image)
  let erased = result.pixels.filter { $0 != 2 }
  #expect(!erased.isEmpty)
  #expect(erased.allSatisfy { $0 >= 0 && $0 < 1 })
  #expect(Set(erased).count > erased.count / 2, "random, not constant")
}

@Test func brightnessShiftsTheMeanByTheOffset() throws {
  let image = randomImage(channels: 3, height: 10, width: 10, seed: 29, low: 0.2, high: 0.8)
  let mean = image.pixels.reduce(0, +) / Float(image.pixels.count)
  for offset in [0.1, -0.15] {
    let result = try applied(.brightness(.constant(offset)), to: image)
    let shifted = result.pixels.reduce(0, +) / Float(result.pixels.count)
    #expect(abs(shifted - mean - Float(offset)) < 1e-5)
  }
  // A random offset is the same for every value of a sample and lies within [-d, d].
  for seed in 0..<20 {
    let result = try applied(.brightness(.symmetric(0.2)), to: image, seed: UInt64(seed))
    let differences = zip(result.pixels, image.pixels).map { $0 - $1 }
    #expect(differences.allSatisfy { abs($0 - differences[0]) < 1e-6 && abs($0) <= 0.2 + 1e-6 })
  }
}

@Test func brightnessClampsToTheUnitRange() throws {
  let image = Image(channels: 1, height: 2, width: 2, pixels: [0, 0.5, 0.95, 1])
  #expect(try applied(.brightness(.constant(0.1)), to: image).pixels == [0.1, 0.6, 1, 1])
}

@Test func contrastKeepsTheMeanAndScalesDeviations() throws {
  let image = randomImage(channels: 1, height: 8, width: 8, seed: 31, low: 0.4, high: 0.6)
  let mean = image.pixels.reduce(0, +) / 64
  let result = try applied(.contrast(.constant(1.5)), to: image)
  for (after, before) in zip(result.pixels, image.pixels) {
    #expect(abs((after - mean) - 1.5 * (before - mean)) < 1e-5)
  }
}

@Test func saturationZeroGivesGreyAndHueRotatesPrimaries() throws {
  // Pixel 0 red, pixel 1 green, pixel 2 blue, pixel 3 white.
  let image = Image(channels: 3, height: 1, width: 4, pixels: [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1])
  let grey = try applied(.saturation(.constant(0)), to: image)
  for x in 0..<4 {
    let expected = 0.299 * image[0, 0, x] + 0.587 * image[1, 0, x] + 0.114 * image[2, 0, x]
    for c in 0..<3 { #expect(abs(grey[c, 0, x] - expected) < 1e-6) }
  }
  let rotated = try applied(.hue(.constant(1.0 / 3)), to: image)
  // A third of a turn: red -> green -> blue -> red; white has no hue.
  let expected: [Float] = [0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1]
  for (value, reference) in zip(rotated.pixels, expected) { #expect(abs(value - reference) < 1e-5) }
}

@Test func hsvRoundTripsColours() {
  var generator = RandomGenerator(seed: 37)
  for _ in 0..<500 {
    let (r, g, b) = (generator.nextUniform(), generator.nextUniform(), generator.nextUniform())
    let (h, s, v) = PhotometricTransforms.hsv(r, g, b)
    let (r2, g2, b2) = PhotometricTransforms.rgb(h, s, v)
    #expect(abs(r - r2) < 1e-5 && abs(g - g2) < 1e-5 && abs(b - b2) < 1e-5)
  }
}

/// Darknet's `rgb_to_hsv`, `hsv_to_rgb` and `constrain_image` (image.c), written as Darknet does,
/// with the sector arithmetic through p, q and t.
private func darknetDistort(_ r: Float, _ g: Float, _ b: Float, hue: Float, sat: Float, val: Float)
  -> (Float, Float, Float)
{
  let maximum = max(r, g, b)
  let minimum = min(r, g, b)
  let delta = maximum - minimum
  var (h, s, v): (Float, Float, Float) = (0, 0, maximum)
  if maximum != 0 {
    s = delta / maximum
    if r == maximum {
      h = (g - b) / delta
    } else if g == maximum {
      h = 2 + (b - r) / delta
    } else {
      h = 4 + (r - g) / delta
    }
    if h < 0 { h += 6 }
    h /= 6
  }
  if delta == 0 { (h, s) = (0, 0) }
  s *= sat
  v *= val
  h += hue
  if h > 1 { h -= 1 }
  if h < 0 { h += 1 }
  var (red, green, blue): (Float, Float, Float)
  if s == 0 {
    (red, green, blue) = (v, v, v)
  } else {
    let sector = h * 6
    let index = Float(Int(sector))
    let f = sector - index
    let p = v * (1 - s)
    let q = v * (1 - s * f)
    let t = v * (1 - s * (1 - f))
    switch Int(index) {
    case 0: (red, green, blue) = (v, t, p)
    case 1: (red, green, blue) = (q, v, p)
    case 2: (red, green, blue) = (p, v, t)
    case 3: (red, green, blue) = (p, q, v)
    case 4: (red, green, blue) = (t, p, v)
    default: (red, green, blue) = (v, p, q)
    }
  }
  func constrain(_ x: Float) -> Float { min(max(x, 0), 1) }
  return (constrain(red), constrain(green), constrain(blue))
}

@Test(arguments: [[Float(0), 1, 1], [0.1, 1.5, 1], [-0.3, 1, 0.6], [0.45, 0.5, 1.4]])
func hsvJitterMatchesDarknet(_ parameters: [Float]) {
  let (hue, saturation, exposure) = (parameters[0], parameters[1], parameters[2])
  let image = randomImage(channels: 3, height: 5, width: 7, seed: 11)
  var result = image
  result.pixels.withUnsafeMutableBufferPointer {
    PhotometricTransforms.hsv(
      $0, ImageShape(channels: 3, height: 5, width: 7), hueShift: hue, saturation: saturation,
      exposure: exposure)
  }
  for y in 0..<5 {
    for x in 0..<7 {
      let reference = darknetDistort(
        image[0, y, x], image[1, y, x], image[2, y, x], hue: hue, sat: saturation, val: exposure)
      #expect(abs(result[0, y, x] - reference.0) < 1e-5)
      #expect(abs(result[1, y, x] - reference.1) < 1e-5)
      #expect(abs(result[2, y, x] - reference.2) < 1e-5)
    }
  }
}

@Test func hsvExposureScalesGreySamples() {
  let image = randomImage(channels: 1, height: 4, width: 4, seed: 2)
  var result = image
  result.pixels.withUnsafeMutableBufferPointer {
    PhotometricTransforms.hsv(
      $0, ImageShape(channels: 1, height: 4, width: 4), hueShift: 0.2, saturation: 2, exposure: 1.7)
  }
  for (after, before) in zip(result.pixels, image.pixels) {
    #expect(abs(after - min(before * 1.7, 1)) < 1e-6)
  }
}

@Test func darknetScaleDrawsAFactorOrItsInverseEquallyOften() {
  var generator = RandomGenerator(seed: 19)
  var above = 0
  let draws = 4000
  for _ in 0..<draws {
    let factor = PhotometricTransforms.darknetScale(1.5, using: &generator)
    #expect((factor >= 1 && factor <= 1.5) || (factor >= 1 / 1.5 && factor <= 1))
    if factor > 1 { above += 1 }
  }
  // Binomial(4000, 1/2) has a standard deviation of about 32.
  #expect(abs(above - draws / 2) < 160)
  #expect(PhotometricTransforms.darknetScale(1, using: &generator) == 1)
}

@Test func blurKeepsConstantImagesAndSpreadsAnImpulse() throws {
  let flat = Image(channels: 1, height: 9, width: 9, value: 0.4)
  let blurredFlat = try applied(.gaussianBlur(sigma: .constant(1.2)), to: flat)
  #expect(blurredFlat.pixels.allSatisfy { abs($0 - 0.4) < 1e-6 })
  var impulse = Image(channels: 1, height: 15, width: 15, value: 0)
  impulse[0, 7, 7] = 1
  let blurred = try applied(.gaussianBlur(sigma: .constant(1)), to: impulse)
  #expect(abs(blurred.pixels.reduce(0, +) - 1) < 1e-5)
  // The 2-D kernel is the outer product of the 1-D one.
  let kernel = GaussianBlur.kernel(sigma: 1)
  #expect(kernel.count == 7)
  #expect(abs(blurred[0, 7, 8] - kernel[3] * kernel[4]) < 1e-6)
  #expect(blurred[0, 7, 7] > blurred[0, 7, 8] && blurred[0, 7, 8] > blurred[0, 6, 8])
}

@Test func elasticDeformationMovesPixelsWithinRange() throws {
  let image = randomImage(channels: 1, height: 16, width: 16, seed: 41)
  let result = try applied(.elastic(alpha: 8, sigma: 2), to: image)
  #expect(result != image)
  #expect(result.pixels.allSatisfy { $0 >= 0 && $0 <= 1 && $0.isFinite })
}

@Test func normalizeUsesPerChannelConstants() throws {
  let image = Image(channels: 2, height: 1, width: 2, pixels: [0.5, 1, 0.2, 0.4])
  let result = try applied(.normalize(mean: [0.5, 0.2], std: [0.5, 0.1]), to: image)
  let expected: [Float] = [0, 1, 0, 2]
  for (value, reference) in zip(result.pixels, expected) { #expect(abs(value - reference) < 1e-6) }
}

/// Every transform at once, with random parameters.
private let fullPipeline = AugmentationConfiguration(steps: [
  AugmentationStep(.rotation(degrees: .symmetric(30), fill: Fill(.reflect)), probability: 0.8),
  AugmentationStep(
    .affine(scale: ValueRange(0.8, 1.2), translateX: 0.1, translateY: 0.2, fill: Fill(value: 1))),
  AugmentationStep(.crop(padding: 3, fill: Fill(.nearest))),
  AugmentationStep(.resizedCrop(scale: ValueRange(0.3, 1), ratio: ValueRange(0.75, 1.33)), probability: 0.5),
  AugmentationStep(.horizontalFlip, probability: 0.5),
  AugmentationStep(.verticalFlip, probability: 0.5),
  AugmentationStep(.elastic(alpha: 5, sigma: 2), probability: 0.5),
  AugmentationStep(.brightness(.symmetric(0.4))),
  AugmentationStep(.contrast(ValueRange(0.2, 2))),
  AugmentationStep(.saturation(ValueRange(0, 2))),
  AugmentationStep(.hue(.symmetric(0.5))),
  AugmentationStep(.hsv(hue: 0.2, saturation: 1.5, exposure: 1.5)),
  AugmentationStep(.gaussianNoise(std: 0.3)),
  AugmentationStep(.gaussianBlur(sigma: ValueRange(0, 2))),
  AugmentationStep(.erasing(area: ValueRange(0.02, 0.3), aspect: ValueRange(0.3, 3.3), fill: nil)),
])

@Test(arguments: [1, 3])
func outputsStayFiniteAndInRange(channels: Int) throws {
  let pipeline = try AugmentationPipeline(fullPipeline, sampleShape: [channels, 14, 11])
  for seed in 0..<60 {
    var image = randomImage(channels: channels, height: 14, width: 11, seed: UInt64(seed))
    var generator = RandomGenerator(seed: UInt64(1000 + seed))
    pipeline.apply(to: &image, using: &generator)
    #expect(image.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "seed \(seed)")
  }
}

@Test func theSameGeneratorGivesTheSameResult() throws {
  let pipeline = try AugmentationPipeline(fullPipeline, sampleShape: [3, 12, 12])
  let image = randomImage(channels: 3, height: 12, width: 12, seed: 43)
  var results: [Image] = []
  for seed: UInt64 in [5, 5, 6] {
    var copy = image
    var generator = RandomGenerator(seed: seed)
    pipeline.apply(to: &copy, using: &generator)
    results.append(copy)
  }
  #expect(results[0] == results[1])
  #expect(results[0] != results[2])
}

/// Background prefetching runs the pipeline on another thread; the batches must not change.
@Test func augmentedBatchesDoNotDependOnTheLoaderThread() throws {
  var generator = RandomGenerator(seed: 47)
  let count = 10
  let dataset = try Dataset(
    samples: (0..<(count * 3 * 8 * 8)).map { _ in generator.nextUniform() },
    labels: (0..<count).map { Int32($0 % 2) },
    sampleShape: [3, 8, 8])
  let pipeline = try AugmentationPipeline(fullPipeline, sampleShape: [3, 8, 8])
  func epochs(prefetch: Bool) throws -> [[Float]] {
    let loader = try BatchLoader(
      dataset: dataset, batchSize: 4, seed: 9, prefetch: prefetch, transform: pipeline.sampleTransform)
    var result: [[Float]] = []
    for epoch in 0..<2 {
      loader.startEpoch(epoch)
      var batch = Batch()
      while try loader.next(into: &batch) { result.append(Array(batch.samples)) }
    }
    loader.cancel()
    return result
  }
  let inline = try epochs(prefetch: false)
  #expect(inline == (try epochs(prefetch: true)))
  #expect(inline.flatMap { $0 } != dataset.samples)
}

@Test func pipelinesRefuseStepsThatDoNotFit() {
  #expect(throws: DataError.self) {
    try AugmentationPipeline(
      AugmentationConfiguration(steps: [AugmentationStep(.horizontalFlip)]), sampleShape: [64])
  }
  #expect(throws: DataError.self) {
    try AugmentationPipeline(
      AugmentationConfiguration(steps: [
        AugmentationStep(.normalize(mean: [0], std: [1])), AugmentationStep(.horizontalFlip),
      ]), sampleShape: [1, 4, 4])
  }
  #expect(throws: DataError.self) {
    try AugmentationPipeline(
      AugmentationConfiguration(steps: [AugmentationStep(.normalize(mean: [0, 0], std: [1]))]),
      sampleShape: [3, 4, 4])
  }
  #expect(throws: DataError.self) {
    try AugmentationPipeline(
      AugmentationConfiguration(steps: [AugmentationStep(.brightness(ValueRange(0.2, 0.1)))]),
      sampleShape: [1, 4, 4])
  }
}

@Test func noiseAndNormalizeWorkOnFeatureVectors() throws {
  let pipeline = try AugmentationPipeline(
    AugmentationConfiguration(steps: [
      AugmentationStep(.gaussianNoise(std: 0.1)), AugmentationStep(.normalize(mean: [0.5], std: [2])),
    ]), sampleShape: [5])
  var values: [Float] = [0.5, 0.5, 0.5, 0.5, 0.5]
  var generator = RandomGenerator(seed: 3)
  values.withUnsafeMutableBufferPointer { pipeline.apply(to: $0, using: &generator) }
  #expect(values.allSatisfy { abs($0) < 0.5 && $0.isFinite })
  #expect(Set(values).count > 1)
}

@Test func normalizationOfTheConfigurationIsItsLastStep() {
  let configuration = AugmentationConfiguration(steps: [
    AugmentationStep(.horizontalFlip), AugmentationStep(.normalize(mean: [0.1], std: [0.3])),
  ])
  #expect(configuration.normalization == Normalization(mean: [0.1], std: [0.3]))
  #expect(configuration.withoutNormalization.steps == [AugmentationStep(.horizontalFlip)])
  #expect(AugmentationConfiguration(steps: [AugmentationStep(.horizontalFlip)]).normalization == nil)
}

/// Parameters at the edge of what a spec can say must not trap or hang.
@Test func extremeParametersStayFinite() throws {
  let image = randomImage(channels: 3, height: 10, width: 12, seed: 53)
  let extremes: [Augmentation] = [
    .resizedCrop(scale: ValueRange(0.5, 1), ratio: ValueRange(1e300, 1e301)),
    .resizedCrop(scale: ValueRange(0.5, 1), ratio: ValueRange(1e-300, 1e-299)),
    .erasing(area: ValueRange(0.1, 0.2), aspect: ValueRange(1e-300, 1e300), fill: nil),
    .gaussianBlur(sigma: .constant(1e9)),
    .elastic(alpha: 1e12, sigma: 1e9),
    .rotation(degrees: .constant(1e15), fill: Fill()),
    .affine(scale: .constant(1e-12), translateX: 1, translateY: 1, fill: Fill(.reflect)),
    .crop(padding: 1_000_000, fill: Fill(.reflect)),
    .crop(padding: Int.max, fill: Fill()),
  ]
  for augmentation in extremes {
    for seed: UInt64 in 0..<5 {
      let result = try applied(augmentation, to: image, seed: seed)
      #expect(result.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "\(augmentation)")
    }
  }
}
