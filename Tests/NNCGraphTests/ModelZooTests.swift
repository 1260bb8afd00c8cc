import Foundation
import NNCGraph
import NNCSpec
import Testing

/// Every spec of the model zoo (`Specs/`) must load and lower without a problem and reproduce the
/// published parameter counts exactly.
@Suite struct ModelZooTests {
  /// A zoo spec and the figures its lowered graph must reproduce.
  struct Model: Sendable, CustomTestStringConvertible {
    /// File name inside `Specs/`.
    var file: String
    /// Learnable parameters: convolution and dense weights and biases, BatchNorm gamma and beta.
    var trainable: Int
    /// BatchNorm running mean and variance (Keras counts them in `count_params()`).
    var nonTrainable: Int
    /// The published total (trainable + non-trainable), checked separately from the sum above.
    var total: Int
    var outputShape: String

    var testDescription: String { file }
  }

  /// The published figures come from /work/shared/reference/architectures.md (torchvision
  /// `num_params` and the Keras Applications table, recomputed there from the frameworks). The small
  /// models' figures were counted by hand; the breakdown is in each spec's header comment.
  static let models: [Model] = [
    Model(
      file: "vgg16.yaml", trainable: 138_357_544, nonTrainable: 0, total: 138_357_544,
      outputShape: "[N,1000]"),
    Model(
      file: "resnet18.yaml", trainable: 11_689_512, nonTrainable: 9_600, total: 11_699_112,
      outputShape: "[N,1000]"),
    Model(
      file: "resnet50.yaml", trainable: 25_557_032, nonTrainable: 53_120, total: 25_610_152,
      outputShape: "[N,1000]"),
    Model(
      file: "inception_v3.yaml", trainable: 23_817_352, nonTrainable: 34_432, total: 23_851_784,
      outputShape: "[N,1000]"),
    Model(
      file: "xception.yaml", trainable: 22_855_952, nonTrainable: 54_528, total: 22_910_480,
      outputShape: "[N,1000]"),
    Model(
      file: "mobilenet_v2.yaml", trainable: 3_504_872, nonTrainable: 34_112, total: 3_538_984,
      outputShape: "[N,1000]"),
    // conv 1x32x9+32 = 320, 32x64x9+64 = 18,496; dense 3,136x128+128 = 401,536 and 1,290.
    Model(
      file: "fashion_mnist.yaml", trainable: 421_642, nonTrainable: 0, total: 421_642,
      outputShape: "[N,10]"),
    // conv 1,792 + 36,928 + 73,856 + 147,584; dense 8,192x256+256 = 2,097,408 and 2,570.
    Model(
      file: "cifar_cnn.yaml", trainable: 2_360_138, nonTrainable: 0, total: 2_360_138,
      outputShape: "[N,10]"),
    // dense 64x128+128 = 8,320, 128x64+64 = 8,256, 64x10+10 = 650.
    Model(file: "mlp.yaml", trainable: 17_226, nonTrainable: 0, total: 17_226, outputShape: "[N,10]"),
    Model(
      file: "resnet18_cifar.yaml", trainable: 701_466, nonTrainable: 2_400, total: 703_866,
      outputShape: "[N,10]"),
    Model(
      file: "inception_mini.yaml", trainable: 6_866, nonTrainable: 224, total: 7_090, outputShape: "[N,10]"),
    Model(
      file: "xception_mini.yaml", trainable: 9_450, nonTrainable: 560, total: 10_010, outputShape: "[N,10]"),
    // Caffe's figures (ceil-mode pooling: 32 -> 16 -> 8 -> 4): conv 2,432 + 25,632 + 51,264; dense
    // 1,024x64+64 = 65,600 and 650. Without ceil_mode the maps are 15/7/3 and the total 116,906.
    Model(
      file: "caffe_cifar10_quick.yaml", trainable: 145_578, nonTrainable: 0, total: 145_578,
      outputShape: "[N,10]"),
    // conv 520 + 25,050; dense 800x500+500 = 400,500 and 5,010.
    Model(
      file: "caffe_lenet.yaml", trainable: 431_080, nonTrainable: 0, total: 431_080, outputShape: "[N,10]"),
    // Bias-free convolutions 7,676,288 + the last one's 10 biases; batch-norm 5,376 + 5,376.
    Model(
      file: "darknet_cifar.yaml", trainable: 7_681_674, nonTrainable: 5_376, total: 7_687_050,
      outputShape: "[N,10]"),
  ]

  /// `Specs/` of the repository, found from this file's path so the tests run from any directory.
  static let specsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Specs")

  /// Errors and warnings: a zoo spec is an example to copy, so it must draw neither.
  static func problems(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
    diagnostics.filter { $0.severity != .note }
  }

  /// Loads a zoo spec, failing the test with the rendered diagnostics if it has any problem.
  static func load(_ file: String) throws -> (spec: Spec, renderer: DiagnosticRenderer) {
    let path = specsDirectory.appendingPathComponent(file).path
    let (spec, diagnostics, source) = SpecLoader.load(path: path)
    let renderer = DiagnosticRenderer(sources: source.map { [path: $0] } ?? [:])
    #expect(problems(diagnostics).isEmpty, "\(renderer.render(problems(diagnostics)))")
    return (try #require(spec), renderer)
  }

  @Test(arguments: models)
  func parameterCountsMatchPublishedFigures(_ model: Model) throws {
    let (spec, renderer) = try Self.load(model.file)
    let result = Lowering.lower(spec)
    let problems = Self.problems(result.diagnostics)
    #expect(problems.isEmpty, "\(renderer.render(problems))")
    let graph = try #require(result.graph)
    #expect(graph.parameterTotals.trainable == model.trainable)
    #expect(graph.parameterTotals.nonTrainable == model.nonTrainable)
    #expect(graph.parameterTotals.total == model.total)
    #expect(graph.outputShape.description == model.outputShape)
  }

  @Test(arguments: models)
  func specNamesItsModelAfterItsFile(_ model: Model) throws {
    let (spec, _) = try Self.load(model.file)
    #expect(spec.model?.name == String(model.file.dropLast(".yaml".count)))
  }
}
