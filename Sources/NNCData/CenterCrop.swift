extension Dataset {
  /// Crops every sample [C, H, W] to its centre window of `size` (`data.center_crop`): samples in
  /// memory at once, samples read from files as they are read, so streaming data stays streamed.
  public mutating func cropCenter(_ size: CropSize) throws {
    guard sampleShape.count == 3, let shape = ImageShape(sampleShape: sampleShape) else {
      throw DataError(source, "a centre crop needs image samples [C, H, W], not \(sampleShape)")
    }
    guard size.height > 0, size.width > 0, size.height <= shape.height, size.width <= shape.width else {
      throw DataError(
        source,
        "samples of \(shape.height)x\(shape.width) are smaller than the centre crop of \(size)")
    }
    if size.height == shape.height, size.width == shape.width { return }
    let cropped = size.applied(to: shape)
    guard case .floats(let values) = storage else {
      if storedShapeBeforeCrop == nil { storedShapeBeforeCrop = shape }
      sampleShape = cropped.sampleShape
      return
    }
    let storedCount = values.count / shape.count
    var result = [Float](repeating: 0, count: storedCount * cropped.count)
    values.withUnsafeBufferPointer { values in
      result.withUnsafeMutableBufferPointer { result in
        for sample in 0..<storedCount {
          Cropping.centerCrop(
            UnsafeBufferPointer(rebasing: values[sample * shape.count..<(sample + 1) * shape.count]), shape,
            size: size,
            into: UnsafeMutableBufferPointer(
              rebasing: result[sample * cropped.count..<(sample + 1) * cropped.count]))
        }
      }
    }
    storage = .floats(result)
    sampleShape = cropped.sampleShape
  }
}
