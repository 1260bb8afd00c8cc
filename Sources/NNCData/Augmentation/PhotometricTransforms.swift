import NNCRandom

/// Brightness, contrast, saturation and hue jitter and gaussian noise, for values in [0, 1]; results
/// are clamped to [0, 1]. A parameter that changes nothing returns at once, so identity parameters
/// leave the sample bit for bit unchanged.
enum PhotometricTransforms {
  @inline(__always)
  static func clamped(_ value: Float) -> Float { min(max(value, 0), 1) }

  static func brightness(_ sample: UnsafeMutableBufferPointer<Float>, offset: Float) {
    guard offset != 0 else { return }
    for index in sample.indices { sample[index] = clamped(sample[index] + offset) }
  }

  /// Scales the distance of every value from the sample's mean (over all channels).
  static func contrast(_ sample: UnsafeMutableBufferPointer<Float>, factor: Float) {
    guard factor != 1, !sample.isEmpty else { return }
    var sum: Double = 0
    for value in sample { sum += Double(value) }
    let mean = Float(sum / Double(sample.count))
    for index in sample.indices { sample[index] = clamped((sample[index] - mean) * factor + mean) }
  }

  /// The luma weights of ITU-R BT.601, which torchvision and PIL use for grey.
  static func grey(_ red: Float, _ green: Float, _ blue: Float) -> Float {
    0.299 * red + 0.587 * green + 0.114 * blue
  }

  static func saturation(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, factor: Float) {
    guard factor != 1, shape.channels == 3 else { return }
    let size = shape.planeSize
    for index in 0..<size {
      let (r, g, b) = (sample[index], sample[size + index], sample[2 * size + index])
      let level = grey(r, g, b)
      sample[index] = clamped(level + (r - level) * factor)
      sample[size + index] = clamped(level + (g - level) * factor)
      sample[2 * size + index] = clamped(level + (b - level) * factor)
    }
  }

  /// Rotates the hue by `shift` turns through HSV.
  static func hue(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, shift: Float) {
    guard shift != 0, shape.channels == 3 else { return }
    let size = shape.planeSize
    for index in 0..<size {
      var (h, s, v) = hsv(sample[index], sample[size + index], sample[2 * size + index])
      h += shift
      h -= h.rounded(.down)
      let (r, g, b) = rgb(h, s, v)
      sample[index] = clamped(r)
      sample[size + index] = clamped(g)
      sample[2 * size + index] = clamped(b)
    }
  }

  /// Darknet's `rand_scale(s)`: a factor in [1, s], inverted half of the time, so that brightening
  /// and darkening by the same ratio are equally likely. `s = 1` draws nothing.
  static func darknetScale(_ limit: Double, using generator: inout RandomGenerator) -> Double {
    guard limit > 1 else { return 1 }
    let factor = ValueRange(1, limit).sample(&generator)
    return generator.next() % 2 == 0 ? factor : 1 / factor
  }

  /// Darknet's `distort_image`: through HSV, multiplies the saturation and the value and shifts the
  /// hue (wrapped to a turn), then clamps back to [0, 1]. Saturation and value are not clamped before
  /// the conversion back, as in Darknet. A grey sample has only a value, which is scaled.
  static func hsv(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, hueShift: Float, saturation: Float,
    exposure: Float
  ) {
    guard hueShift != 0 || saturation != 1 || exposure != 1 else { return }
    guard shape.channels == 3 else {
      guard exposure != 1 else { return }
      for index in sample.indices { sample[index] = clamped(sample[index] * exposure) }
      return
    }
    let size = shape.planeSize
    for index in 0..<size {
      var (h, s, v) = hsv(sample[index], sample[size + index], sample[2 * size + index])
      s *= saturation
      v *= exposure
      h += hueShift
      h -= h.rounded(.down)
      let (r, g, b) = rgb(h, s, v)
      sample[index] = clamped(r)
      sample[size + index] = clamped(g)
      sample[2 * size + index] = clamped(b)
    }
  }

  /// Hue in [0, 1) turns, saturation and value in [0, 1].
  static func hsv(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
    let maximum = max(r, g, b)
    let minimum = min(r, g, b)
    let chroma = maximum - minimum
    guard chroma > 0 else { return (0, 0, maximum) }
    var hue: Float
    if maximum == r {
      hue = (g - b) / chroma
      if hue < 0 { hue += 6 }
    } else if maximum == g {
      hue = (b - r) / chroma + 2
    } else {
      hue = (r - g) / chroma + 4
    }
    return (hue / 6, maximum > 0 ? chroma / maximum : 0, maximum)
  }

  static func rgb(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
    let chroma = v * s
    let sector = h * 6
    let x = chroma * (1 - abs(sector.truncatingRemainder(dividingBy: 2) - 1))
    let m = v - chroma
    let (r, g, b): (Float, Float, Float)
    switch Int(sector) {
    case 0: (r, g, b) = (chroma, x, 0)
    case 1: (r, g, b) = (x, chroma, 0)
    case 2: (r, g, b) = (0, chroma, x)
    case 3: (r, g, b) = (0, x, chroma)
    case 4: (r, g, b) = (x, 0, chroma)
    default: (r, g, b) = (chroma, 0, x)
    }
    return (r + m, g + m, b + m)
  }

  static func noise(
    _ sample: UnsafeMutableBufferPointer<Float>, std: Float, using generator: inout RandomGenerator
  ) {
    guard std > 0 else { return }
    for index in sample.indices { sample[index] = clamped(sample[index] + std * generator.nextNormal()) }
  }
}
