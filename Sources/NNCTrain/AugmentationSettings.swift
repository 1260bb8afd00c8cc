import NNCData
import NNCSpec

extension AugmentationConfiguration {
  /// The `augment` section of a validated spec as pipeline steps, with the vocabulary's defaults
  /// filled in (a single number d as a range: [-d, d] for offsets and angles, [1-d, 1+d] for factors).
  public init(calls: [Call]) {
    var ignored = DiagnosticBag()
    var steps: [AugmentationStep] = []
    for call in calls {
      guard let signature = Vocabulary.augmentations.first(where: { $0.name == call.name }) else { continue }
      let arguments = ArgumentChecker.check(call, against: signature, what: call.name, into: &ignored)
      if let augmentation = Self.augmentation(call.name, arguments) {
        steps.append(AugmentationStep(augmentation, probability: arguments.double("p") ?? 1))
      }
    }
    self.init(steps: steps)
  }

  static func augmentation(_ name: String, _ arguments: CheckedArguments) -> Augmentation? {
    func range(_ key: String, default fallback: ValueRange, single: (Double) -> ValueRange) -> ValueRange {
      guard let values = arguments.numbers(key) else { return fallback }
      if values.count == 1 { return single(values[0]) }
      return values.count == 2 ? ValueRange(values[0], values[1]) : fallback
    }
    func factor(_ delta: Double) -> ValueRange { ValueRange(max(0, 1 - delta), 1 + delta) }
    func fill() -> Fill {
      Fill(
        Fill.Mode(rawValue: arguments.string("fill") ?? "constant") ?? .constant,
        value: Float(arguments.double("fill_value") ?? 0))
    }
    switch name {
    case "random_rotation":
      return .rotation(
        degrees: range("degrees", default: .constant(0), single: ValueRange.symmetric), fill: fill())
    case "random_affine":
      let translate = arguments.numbers("translate") ?? [0]
      return .affine(
        scale: range("scale", default: .constant(1), single: ValueRange.constant), translateX: translate[0],
        translateY: translate.count > 1 ? translate[1] : translate[0], fill: fill())
    case "random_crop":
      if let (height, width) = arguments.pair("size") {
        return .sizedCrop(
          size: CropSize(height: height, width: width), padding: arguments.int("padding") ?? 0, fill: fill())
      }
      return .crop(padding: arguments.int("padding") ?? 0, fill: fill())
    case "random_resized_crop":
      return .resizedCrop(
        scale: range("scale", default: ValueRange(0.08, 1), single: ValueRange.constant),
        ratio: range("ratio", default: ValueRange(3.0 / 4, 4.0 / 3), single: ValueRange.constant))
    case "hflip": return .horizontalFlip
    case "vflip": return .verticalFlip
    case "elastic":
      return .elastic(alpha: arguments.double("alpha") ?? 0, sigma: arguments.double("sigma") ?? 1)
    case "brightness": return .brightness(range("delta", default: .constant(0), single: ValueRange.symmetric))
    case "contrast": return .contrast(range("delta", default: .constant(1), single: factor))
    case "saturation": return .saturation(range("delta", default: .constant(1), single: factor))
    case "hue": return .hue(range("delta", default: .constant(0), single: ValueRange.symmetric))
    case "hsv":
      return .hsv(
        hue: arguments.double("hue") ?? 0, saturation: arguments.double("saturation") ?? 1,
        exposure: arguments.double("exposure") ?? 1)
    case "gaussian_noise": return .gaussianNoise(std: arguments.double("std") ?? 0)
    case "gaussian_blur":
      return .gaussianBlur(sigma: range("sigma", default: .constant(0), single: ValueRange.constant))
    case "random_erasing":
      return .erasing(
        area: range("area", default: ValueRange(0.02, 0.33), single: ValueRange.constant),
        aspect: range("aspect", default: ValueRange(0.3, 3.3), single: ValueRange.constant),
        fill: arguments.numbers("fill").map { $0.map(Float.init) })
    case "normalize":
      return .normalize(
        mean: (arguments.numbers("mean") ?? [0]).map(Float.init),
        std: (arguments.numbers("std") ?? [1]).map(Float.init))
    default: return nil
    }
  }
}

extension RunComponents {
  /// The training split's augmentation pipeline, checked against the training data: photometric
  /// steps, noise, blur and random erasing assume values in [0, 1], so data outside that range (bytes
  /// without `data.scale`, or data normalized by `data.mean`/`data.std`) is refused with a fix.
  public static func augmentationPipeline(
    _ configuration: AugmentationConfiguration?, for train: Dataset
  ) throws -> AugmentationPipeline? {
    guard let configuration, !configuration.steps.isEmpty else { return nil }
    let pipeline: AugmentationPipeline
    do {
      pipeline = try AugmentationPipeline(configuration, sampleShape: train.sampleShape)
    } catch let error as DataError {
      throw TrainError("\(error)")
    }
    let needsUnitRange = configuration.steps.contains { step in
      switch step.augmentation {
      case .brightness, .contrast, .saturation, .hue, .hsv, .gaussianNoise, .gaussianBlur, .erasing:
        return true
      default: return false
      }
    }
    if needsUnitRange, let outside = try train.firstValue(where: { !($0 >= 0 && $0 <= 1) }) {
      throw TrainError(
        "\(train.source): augmentations expect values in [0, 1], but the training data has \(outside); "
          + "scale it with data.scale (1/255 for bytes) and normalize with a final 'normalize' step")
    }
    return pipeline
  }

  /// Crops the validation and test splits to their centre window of `size` (`data.center_crop`), and
  /// the training split too unless the augment section crops it at random to a size.
  public static func cropCenters(
    _ size: CropSize?, augmentation: AugmentationConfiguration?, _ data: inout LoadedData
  ) throws {
    guard let size else { return }
    do {
      try data.validation?.cropCenter(size)
      try data.test?.cropCenter(size)
      if augmentation?.cropSize == nil { try data.train.cropCenter(size) }
    } catch let error as DataError {
      throw TrainError("\(error)")
    }
  }

  /// Gives the validation and test splits the normalization of the pipeline's final `normalize`
  /// step (and no other augmentation), so they look like augmented training samples to the model.
  public static func normalizeEvaluationSplits(
    _ configuration: AugmentationConfiguration?, _ data: inout LoadedData
  ) throws {
    guard let normalization = configuration?.normalization else { return }
    do {
      try data.validation?.normalize(normalization)
      try data.test?.normalize(normalization)
    } catch let error as DataError {
      throw TrainError("\(error)")
    }
  }
}
