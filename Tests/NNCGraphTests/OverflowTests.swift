import Foundation
import NNCSpec
import Testing

@testable import NNCGraph

/// Spec-given sizes past `Limits`, or bounded ones whose products overflow, give a located error and no
/// graph, never a trap (issue examples first).
@Suite struct OverflowTests {
  /// Parses (YAML or .nnc by `path`), applies `--set` lines, lowers; returns every diagnostic.
  static func check(_ text: String, path: String = "test.yaml", set overrides: [String] = []) -> (
    graph: Graph?, errors: [Diagnostic]
  ) {
    let (parsed, diagnostics) = SpecLoader.parse(text: text, path: path)
    guard var spec = parsed else { return (nil, diagnostics.filter { $0.severity == .error }) }
    var bag = DiagnosticBag()
    let parsedOverrides = overrides.enumerated().compactMap { index, line in
      Override.parse(line, index: index + 1, diagnostics: &bag)
    }
    spec = spec.applying(parsedOverrides, diagnostics: &bag)
    let result = Lowering.lower(spec)
    let all = diagnostics + bag.diagnostics + result.diagnostics
    return (result.graph, all.filter { $0.severity == .error })
  }

  /// Exactly one error, containing `message`, at `line`:`column` of `file`.
  static func expectOneError(
    _ result: (graph: Graph?, errors: [Diagnostic]), _ message: String, line: Int, column: Int,
    file: String = "test.yaml", sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    #expect(result.graph == nil, sourceLocation: sourceLocation)
    #expect(result.errors.count == 1, "\(result.errors.map(\.message))", sourceLocation: sourceLocation)
    guard let error = result.errors.first else { return }
    #expect(error.message.contains(message), "\(error.message)", sourceLocation: sourceLocation)
    #expect(error.location?.file == file, sourceLocation: sourceLocation)
    #expect(error.location?.line == line, sourceLocation: sourceLocation)
    #expect(error.location?.column == column, sourceLocation: sourceLocation)
  }

  static func model(_ layers: String, input: String = "[1, 28, 28]", extra: String = "") -> String {
    "model:\n  input: \(input)\n  layers:\n" + layers + extra
  }

  @Test func hugeKernelWithSamePadding() {
    let result = Self.check(Self.model("    - conv2d: {filters: 6, kernel: 1000000000, padding: same}\n"))
    Self.expectOneError(
      result, "'kernel' of 'conv2d' must be at most 65536, found 1000000000", line: 4, column: 36)
  }

  @Test func hugePadding() {
    let result = Self.check(Self.model("    - conv2d: {filters: 6, kernel: 3, padding: 100000000}\n"))
    Self.expectOneError(
      result, "'padding' of 'conv2d' must be at most 65536, found 100000000", line: 4, column: 48)
  }

  @Test func hugeBatchSize() {
    let result = Self.check(
      Self.model("    - flatten\n", extra: "train: {batch_size: 9223372036854775807}\n"))
    Self.expectOneError(
      result, "'batch_size' in train must be at most 1048576, found 9223372036854775807", line: 5, column: 21)
  }

  @Test func hugeInputDimension() {
    let result = Self.check(Self.model("    - flatten\n", input: "[9223372036854775807, 28, 28]"))
    Self.expectOneError(
      result, "input dimensions must be at most 16777216, found 9223372036854775807", line: 2, column: 11)
  }

  @Test func denseUnitsPastTheLimit() {
    let result = Self.check(Self.model("    - dense: 3037000500\n    - dense: 3037000500\n", input: "[4]"))
    #expect(result.graph == nil)
    #expect(result.errors.map(\.location?.line) == [4, 5])
    #expect(result.errors.allSatisfy { $0.message.contains("'units' of 'dense' must be at most 16777216") })
  }

  @Test func boundedDenseLayersWhoseParametersOverflow() {
    let result = Self.check(
      Self.model("    - dense: 16777216\n    - dense: 16777216\n", input: "[16777216]"))
    Self.expectOneError(
      result, "the model's parameter count would exceed the limit of \(Limits.elements)", line: 4, column: 7)
  }

  @Test func hugeDilation() {
    let result = Self.check(
      Self.model("    - conv2d: {filters: 1, kernel: 3, dilation: 4611686018427387904}\n"))
    Self.expectOneError(
      result, "'dilation' of 'conv2d' must be at most 65536, found 4611686018427387904", line: 4, column: 49)
  }

  @Test func hugePoolWindowWithSamePadding() {
    let result = Self.check(Self.model("    - maxpool: {size: 9223372036854775807, padding: same}\n"))
    Self.expectOneError(
      result, "'size' of 'maxpool' must be at most 65536, found 9223372036854775807", line: 4, column: 23)
  }

  @Test func hugeWarmupOverride() {
    let result = Self.check(
      Self.model("    - flatten\n", extra: "train: {epochs: 2}\n"),
      set: ["train.warmup_epochs=4611686018427387904"])
    Self.expectOneError(
      result, "'warmup_epochs' in train must be at most 1000000, found 4611686018427387904", line: 1,
      column: 21, file: Override.pseudoFile)
  }

  @Test func learningRatePastFloat() {
    let result = Self.check(Self.model("    - flatten\n", extra: "optimizer: {sgd: {lr: 1e39}}\n"))
    Self.expectOneError(result, "'lr' of optimizer 'sgd' must be a finite number", line: 5, column: 23)
  }

  @Test func nestedPaddingListIsBounded() {
    let result = Self.check(Self.model("    - zero_padding2d: [[1, 100000000], [1, 2]]\n"))
    Self.expectOneError(
      result, "'padding' of 'zero_padding2d' must be at most 65536, found 100000000", line: 4, column: 28)
  }

  @Test func boundedInputWhoseElementsOverflow() {
    let result = Self.check(Self.model("    - flatten\n", input: "[16777216, 16777216, 16777216]"))
    Self.expectOneError(result, "has more than \(Limits.elements) elements per sample", line: 2, column: 10)
  }

  @Test func repeatedUpsamplingIsTooLarge() {
    let result = Self.check(
      Self.model("    - repeat: {count: 40, layers: [{upsample: 65536}]}\n", input: "[1, 4, 4]"))
    Self.expectOneError(result, "elements per sample would exceed the limit", line: 4, column: 37)
  }

  @Test func repeatedConcatenationIsTooLarge() {
    let text = """
      model m {
        input [4096, 1, 1]
        repeat(64) { concat { branch { relu } branch { relu } } }
      }
      """
    let result = Self.check(text, path: "test.nnc")
    #expect(result.graph == nil)
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.message.contains("would exceed the limit") == true)
    #expect(result.errors.first?.location?.line == 3)
  }

  static let nestedEmptyRepeatDSL =
    "model m { input [8]  repeat(10000) { repeat(10000) { repeat(10000) { } } }  dense(2) }"
  static let nestedEmptyRepeatYAML = """
    model:
      input: [8]
      layers:
        - repeat:
            count: 10000
            layers:
              - repeat:
                  count: 10000
                  layers:
                    - repeat: {count: 10000, layers: []}
        - dense: 2
    """

  @Test(arguments: [("test.nnc", nestedEmptyRepeatDSL), ("test.yaml", nestedEmptyRepeatYAML)])
  func nestedEmptyRepeatsEndQuickly(_ path: String, _ text: String) {
    let start = Date()
    let result = Self.check(text, path: path)
    #expect(Date().timeIntervalSince(start) < 5)
    #expect(result.graph == nil)
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.message.contains("expanding the model takes more than") == true)
  }

  @Test func poisonedRepeatBodyEndsQuickly() {
    let text =
      "model m { input [8]  repeat(10000) { repeat(10000) { conv2d(4, 3) repeat(10000) { relu } } } }"
    let start = Date()
    let result = Self.check(text, path: "test.nnc")
    #expect(Date().timeIntervalSince(start) < 5)
    #expect(result.graph == nil)
    #expect(result.errors.count == 1)
  }

  /// The budget counts work, so a large but legitimate expansion still lowers.
  @Test func largeRepeatWithinTheBudgetLowers() {
    let result = Self.check(
      "model m { input [8]  repeat(1000) { repeat(20) { relu } }  dense(2) }", path: "t.nnc")
    #expect(result.errors.isEmpty)
    #expect(result.graph?.nodes.count == 20_001)
  }
}
