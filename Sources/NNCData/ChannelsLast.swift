extension Dataset {
  /// Samples stored `[height, width, channels]` (NumPy and Keras images) as nnc's
  /// `[channels, height, width]`.
  public func channelsFirst() throws -> Dataset {
    guard sampleShape.count == 3 else {
      throw DataError(
        source, "data.layout nhwc needs samples of shape [height, width, channels], found \(sampleShape)")
    }
    let (height, width, channels) = (sampleShape[0], sampleShape[1], sampleShape[2])
    let plane = height * width
    let size = plane * channels
    // Throwing, not the `samples` property: the npy file may have changed since it was indexed.
    let samples = try materializedSamples()
    var transposed = [Float](repeating: 0, count: samples.count)
    for sample in 0..<count {
      let base = sample * size
      for position in 0..<plane {
        for channel in 0..<channels {
          transposed[base + channel * plane + position] = samples[base + position * channels + channel]
        }
      }
    }
    var result = self
    result.samples = transposed
    result.sampleShape = [channels, height, width]
    return result
  }
}
