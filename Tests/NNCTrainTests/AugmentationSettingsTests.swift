import Foundation
import NNCData
import NNCSpec
import Testing

@testable import NNCTrain

private func spec(_ augment: String, input: String = "[3, 16, 16]") throws -> Spec {
  let text = """
    model:
      input: \(input)
      layers: [flatten, {dense: 2}]
    augment:
    \(augment)
    """
  let (spec, diagnostics) = SpecLoader.parse(text: text, path: "augment.yaml", syntax: .yaml)
  #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
  return try #require(spec)
}

@Test func everyAugmentationOfASpecBecomesAStep() throws {
  let parsed = try spec(
    """
      - random_rotation: {degrees: 10, fill: reflect, fill_value: 0.5, p: 0.3}
      - random_affine: {scale: [0.9, 1.1], translate: [0.1, 0.2]}
      - random_crop: 4
      - random_resized_crop: {scale: [0.5, 1.0]}
      - hflip
      - vflip: 0.25
      - elastic: {alpha: 3, sigma: 2}
      - brightness: 0.2
      - contrast: [0.5, 1.5]
      - saturation: 0.4
      - hue: 0.05
      - hsv: {hue: 0.1, saturation: 1.5, exposure: 1.25}
      - gaussian_noise: 0.1
      - gaussian_blur: [0.5, 1.5]
      - random_erasing: {area: [0.1, 0.2], fill: [0, 0.5, 1]}
      - normalize: {mean: [0.5, 0.4, 0.3], std: 0.25}
    """)
  var diagnostics = DiagnosticBag()
  SpecValidator.validate(parsed, into: &diagnostics)
  #expect(diagnostics.diagnostics.isEmpty, "\(diagnostics.diagnostics.map(\.message))")
  let configuration = TrainingConfiguration(spec: parsed).augmentation
  let expected: [AugmentationStep] = [
    AugmentationStep(
      .rotation(degrees: ValueRange(-10, 10), fill: Fill(.reflect, value: 0.5)), probability: 0.3),
    AugmentationStep(.affine(scale: ValueRange(0.9, 1.1), translateX: 0.1, translateY: 0.2, fill: Fill())),
    AugmentationStep(.crop(padding: 4, fill: Fill())),
    AugmentationStep(.resizedCrop(scale: ValueRange(0.5, 1), ratio: ValueRange(3.0 / 4, 4.0 / 3))),
    AugmentationStep(.horizontalFlip, probability: 0.5),
    AugmentationStep(.verticalFlip, probability: 0.25),
    AugmentationStep(.elastic(alpha: 3, sigma: 2)),
    AugmentationStep(.brightness(ValueRange(-0.2, 0.2))),
    AugmentationStep(.contrast(ValueRange(0.5, 1.5))),
    AugmentationStep(.saturation(ValueRange(0.6, 1.4))),
    AugmentationStep(.hue(ValueRange(-0.05, 0.05))),
    AugmentationStep(.hsv(hue: 0.1, saturation: 1.5, exposure: 1.25)),
    AugmentationStep(.gaussianNoise(std: 0.1)),
    AugmentationStep(.gaussianBlur(sigma: ValueRange(0.5, 1.5))),
    AugmentationStep(
      .erasing(area: ValueRange(0.1, 0.2), aspect: ValueRange(0.3, 3.3), fill: [0, 0.5, 1]), probability: 0.5),
    AugmentationStep(.normalize(mean: [0.5, 0.4, 0.3], std: [0.25])),
  ]
  #expect(configuration?.steps.count == expected.count)
  for (step, reference) in zip(configuration?.steps ?? [], expected) {
    #expect(step == reference)
  }
  // The mapped configuration is one the pipeline accepts for the model's samples.
  #expect(throws: Never.self) { try AugmentationPipeline(#require(configuration), sampleShape: [3, 16, 16]) }
}

@Test func augmentationNeedsUnitRangeDataAndNormalizesEvaluationSplits() throws {
  let configuration = AugmentationConfiguration(steps: [
    AugmentationStep(.brightness(.symmetric(0.1))), AugmentationStep(.normalize(mean: [0.5], std: [0.5])),
  ])
  let bytes = try Dataset(samples: [0, 128, 255, 3], labels: [0, 1], sampleShape: [2])
  #expect(throws: TrainError.self) { try RunComponents.augmentationPipeline(configuration, for: bytes) }
  let unit = try Dataset(samples: [0, 0.5, 1, 0.25], labels: [0, 1], sampleShape: [2])
  #expect(try RunComponents.augmentationPipeline(configuration, for: unit) != nil)
  var data = LoadedData(train: unit, validation: unit, test: unit)
  try RunComponents.normalizeEvaluationSplits(configuration, &data)
  #expect(data.train.samples == [0, 0.5, 1, 0.25])
  #expect(data.validation?.samples == [-1, 0, 1, -0.5])
  #expect(data.test?.samples == [-1, 0, 1, -0.5])
}

/// The README's augmentation example must be a valid `augment` section whose every step maps.
@Test func theReadmeAugmentationExampleIsValid() throws {
  let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("README.md")
  let text = try String(contentsOf: readme, encoding: .utf8)
  let start = try #require(text.range(of: "```yaml\naugment:\n"))
  let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
  let lines = text[start.upperBound..<end.lowerBound].split(separator: "\n").map { String($0) }
  let parsed = try spec(lines.joined(separator: "\n"))
  var diagnostics = DiagnosticBag()
  SpecValidator.validate(parsed, into: &diagnostics)
  #expect(diagnostics.diagnostics.isEmpty, "\(diagnostics.diagnostics.map(\.message))")
  let configuration = try #require(TrainingConfiguration(spec: parsed).augmentation)
  #expect(configuration.steps.count == lines.count)
  let names = lines.map { line in
    let code = line.split(separator: "#", omittingEmptySubsequences: false)[0]
    let step = code.trimmingCharacters(in: .whitespaces).dropFirst(2)
    return String(step.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
  }
  #expect(Set(names) == Set(Vocabulary.augmentations.map(\.name)), "one example per transform")
  #expect(throws: Never.self) { try AugmentationPipeline(configuration, sampleShape: [3, 16, 16]) }
}

@Test func folderDataMapsToImageFolderSources() throws {
  let text = """
    model:
      input: [1, 12, 10]
      layers: [flatten, {dense: 2}]
    data:
      format: folder
      path: images
      split: 0.25
      skip_corrupt: true
      test: {path: held-out}
    """
  let (parsed, diagnostics) = SpecLoader.parse(text: text, path: "/specs/folder.yaml", syntax: .yaml)
  #expect(diagnostics.isEmpty)
  let spec = try #require(parsed)
  let settings = try #require(TrainingConfiguration(spec: spec).data)
  let configuration = try RunComponents.dataConfiguration(settings, inputShape: [1, 12, 10])
  let options = ImageFolderOptions(channels: 1, height: 12, width: 10, skipCorrupt: true)
  #expect(configuration.train.source == .folder(path: "/specs/images", options: options))
  #expect(configuration.test?.source == .folder(path: "/specs/held-out", options: options))
  #expect(configuration.validationSplit == 0.25)
  #expect(configuration.stratify)
  #expect(throws: TrainError.self) { try RunComponents.dataConfiguration(settings, inputShape: [64]) }
  #expect(throws: TrainError.self) { try RunComponents.dataConfiguration(settings, inputShape: [4, 12, 10]) }
}

@Test func erasingFillsWithRandomValuesByDefaultOrByName() throws {
  let parsed = try spec(
    """
      - random_erasing: {fill: random}
      - random_erasing
      - random_erasing: {fill: 0.25}
    """)
  let steps = try #require(TrainingConfiguration(spec: parsed).augmentation).steps
  let fills: [[Float]?] = steps.map {
    if case .erasing(_, _, let fill) = $0.augmentation { return fill }
    return [-1]
  }
  #expect(fills == [nil, nil, [0.25]])
}
