extension Dataset {
  /// Reads samples and targets that are not class indices from two `.npy` files: samples of shape
  /// `[count, ...]` and targets of shape `[count]` (one value each) or `[count, width]` — floats for
  /// `.values`, 0/1 for `.multiHot`.
  public static func readNPY(samples: String, targets: String, kind: Targets.Kind) throws -> Dataset {
    let (sampleArray, sampleStore) = try NPYReader.openSamples(samples)
    let targetArray = try NPYReader.read(targets, exact: false)
    guard let count = sampleArray.shape.first else {
      throw DataError(samples, "is a 0-dimensional array; samples need shape [count, ...]")
    }
    guard targetArray.shape.count == 1 || targetArray.shape.count == 2 else {
      throw DataError(targets, "has shape \(targetArray.shape); targets need shape [count] or [count, width]")
    }
    guard targetArray.shape[0] == count else {
      throw DataError(targets, "has \(targetArray.shape[0]) rows but \(samples) has \(count) samples")
    }
    let sampleShape = sampleArray.shape.count == 1 ? [1] : Array(sampleArray.shape.dropFirst())
    guard sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(samples, "sample shape \(sampleShape) has a zero dimension")
    }
    let width = targetArray.shape.count == 1 ? 1 : targetArray.shape[1]
    return try Dataset(
      storage: .elements(sampleStore), valueCount: sampleArray.elementCount,
      targets: Targets(kind: kind, values: targetArray.values, width: width, source: targets),
      sampleShape: sampleShape, source: samples)
  }
}
