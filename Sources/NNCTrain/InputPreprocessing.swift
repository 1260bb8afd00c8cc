import NNCData

/// How samples from outside the spec's data (files given to `nnc predict`) become model inputs exactly
/// as the spec's evaluation data does: images decoded, converted to the input's channels and resized
/// like an image folder's, then `data.scale`/`mean`/`std` and the augment pipeline's final `normalize`.
public struct InputPreprocessing: Sendable {
  /// The model's sample shape.
  public var inputShape: [Int]
  /// The normalizations in the order loading applies them.
  public var steps: [Normalization]
  /// An image folder's pixels are in [0, 1]; other formats store raw values (MNIST's IDX bytes are
  /// 0...255), so an image given to such a model is read as 0...255 to match what it was trained on.
  public var imageValueRange: Float
  public var maxImagePixels: Int
  /// `data.fast_jpeg`, so predicted images are decoded as the training images were.
  public var fastJPEG: Bool
  /// The spec's CSV layout (header, label column), for CSV inputs.
  public var csv: CSVOptions
  /// `data.center_crop`: array samples larger than the model input are cropped at their centre.
  public var centerCrop: CropSize?

  public init(configuration: TrainingConfiguration, inputShape: [Int]) {
    self.inputShape = inputShape
    var steps: [Normalization] = []
    if let data = configuration.data {
      let normalization = RunComponents.normalization(data)
      if !normalization.isIdentity { steps.append(normalization) }
    }
    if let normalization = configuration.augmentation?.normalization { steps.append(normalization) }
    self.steps = steps
    let format = configuration.data?.format ?? "folder"
    imageValueRange = format == "folder" ? 1 : 255
    maxImagePixels = configuration.data?.maxImagePixels ?? ImageCodec.defaultMaxPixels
    fastJPEG = configuration.data?.fastJPEG ?? false
    centerCrop = configuration.data?.centerCrop
    csv = CSVOptions(
      labelColumn: configuration.data?.labelColumn ?? 0, hasHeader: configuration.data?.header ?? false)
  }

  /// How image files are decoded, when the model takes images.
  public var imageOptions: ImageFolderOptions? {
    guard inputShape.count == 3, inputShape[0] == 1 || inputShape[0] == 3 else { return nil }
    var options = ImageFolderOptions(
      channels: inputShape[0], height: inputShape[1], width: inputShape[2], maxImagePixels: maxImagePixels)
    options.fastJPEG = fastJPEG
    return options
  }

  /// Decoded images as a data set of unlabelled samples in the model's value range, not yet normalized.
  public func images(_ pixels: [[Float]]) throws -> Dataset {
    var samples: [Float] = []
    samples.reserveCapacity(pixels.count * inputShape.reduce(1, *))
    for image in pixels { samples += imageValueRange == 1 ? image : image.map { $0 * imageValueRange } }
    return try Dataset(
      samples: samples, labels: [Int32](repeating: 0, count: pixels.count), sampleShape: inputShape,
      classes: 1,
      source: "images")
  }

  /// Applies every normalization step, as loading and `RunPreparation` do for evaluation splits.
  public func normalize(_ dataset: inout Dataset) throws {
    for step in steps { try dataset.normalize(step) }
  }
}
