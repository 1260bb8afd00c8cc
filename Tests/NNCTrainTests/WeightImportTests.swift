import Foundation
import NNCGraph
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCTrain

/// `train.init`: rename rules, matching by name and shape, layout conversion, the report, strict.
@Suite struct WeightImportTests {
  typealias Rule = WeightImportSettings.RenameRule

  static let torchvisionRules = [
    Rule(pattern: #"^layer(\d+)\.(\d+)\."#, replacement: "layer$1_$2_"),
    Rule(pattern: #"(bn\d)\.weight$"#, replacement: "$1.gamma"),
    Rule(pattern: #"(bn\d)\.bias$"#, replacement: "$1.beta"),
  ]

  @Test func renameRulesApplyInOrderEachToThePreviousResult() throws {
    #expect(
      try WeightImport.renamed("layer1.0.bn2.weight", rules: Self.torchvisionRules) == "layer1_0_bn2.gamma")
    #expect(try WeightImport.renamed("bn1.bias", rules: Self.torchvisionRules) == "bn1.beta")
    #expect(try WeightImport.renamed("fc.weight", rules: Self.torchvisionRules) == "fc.weight")
    // The second rule sees the first one's output.
    let chained = [Rule(pattern: "a", replacement: "b"), Rule(pattern: "bb", replacement: "c")]
    #expect(try WeightImport.renamed("ab", rules: chained) == "c")
    #expect(try WeightImport.renamed("ab", rules: chained.reversed()) == "bb")
  }

  @Test func aBadPatternIsAnErrorNamingIt() {
    #expect(throws: TrainError.self) {
      try WeightImport.renamed("x", rules: [Rule(pattern: "(", replacement: "")])
    }
  }

  static let yaml = """
    model:
      input: [4]
      layers:
        - dense: {units: 3, name: body}
        - batchnorm: {name: bn1}
        - dense: {units: 2, name: head}
    """

  func executor() throws -> Executor {
    let (spec, diagnostics) = SpecLoader.parse(text: Self.yaml, path: "test.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let graph = try #require(Lowering.lower(parsed).graph)
    let executor = Executor(graph: graph, maxBatch: 1, configuration: .inference)
    executor.parameters.update(repeating: 0)
    return executor
  }

  func write(_ tensors: [String: Checkpoint.Parameter]) throws -> String {
    let path = NSTemporaryDirectory() + "nnc-import-\(UUID().uuidString).safetensors"
    try Checkpoint(parameters: tensors).write(to: path)
    return path
  }

  func values(_ executor: Executor, _ name: String) -> [Float] {
    Array(executor.parameter(executor.parameterLayout.first { $0.info.name == name }!))
  }

  @Test func matchesByRenamedNameAndShapeAndReportsEveryTensor() throws {
    let bodyWeight: [Float] = (0..<12).map(Float.init)
    let path = try write([
      "body.weight": .init(shape: [3, 4], values: bodyWeight),
      "body.bias": .init(shape: [3], values: [1, 2, 3]),
      "bn1.weight": .init(shape: [3], values: [4, 5, 6]),
      "bn1.num_batches_tracked": .init(shape: [], values: [7]),
      // A head for 5 classes where the model has 2: skipped, left at its initializer.
      "head.weight": .init(shape: [5, 3], values: [Float](repeating: 1, count: 15)),
    ])
    defer { try? FileManager.default.removeItem(atPath: path) }
    let executor = try executor()
    let report = try WeightImport.apply(
      WeightImportSettings(path: path, rename: Self.torchvisionRules), to: executor)
    #expect(values(executor, "body.weight") == bodyWeight)
    #expect(values(executor, "bn1.gamma") == [4, 5, 6])
    #expect(values(executor, "head.weight") == [Float](repeating: 0, count: 6))
    #expect(report.loaded == ["body.weight", "body.bias", "bn1.gamma"])
    #expect(report.skipped == ["head.weight"])
    #expect(report.fresh == ["bn1.beta", "bn1.running_mean", "bn1.running_var", "head.weight", "head.bias"])
    #expect(report.unused == ["bn1.num_batches_tracked"])
    let skipped = try #require(report.entries.first { $0.parameter == "head.weight" })
    #expect(skipped.status == .skipped(reason: "the file has [5, 3], the model [2, 3]"))
    #expect(report.table.contains("bn1.weight"))
    #expect(report.table.contains("loaded 3, skipped 1, left at their initializer 4, unused in the file 1"))

    // Strict: the same file is an error that names the mismatch and the missing parameters.
    do {
      try WeightImport.apply(
        WeightImportSettings(path: path, rename: Self.torchvisionRules, strict: true), to: executor)
      Issue.record("strict import did not fail")
    } catch let error as TrainError {
      #expect(error.message.contains("'head.weight' skipped: the file has [5, 3], the model [2, 3]"))
      #expect(error.message.contains("'bn1.beta' is not in the file"))
    }
  }

  @Test func kerasLayoutIsTransposedAndSaysSo() throws {
    // Keras dense kernel [in, out] = [4, 3]: row i holds the weights from input i.
    let kernel: [Float] = (0..<12).map(Float.init)
    let path = try write(["body.weight": .init(shape: [4, 3], values: kernel)])
    defer { try? FileManager.default.removeItem(atPath: path) }
    let executor = try executor()
    let report = try WeightImport.apply(WeightImportSettings(path: path, layout: .keras), to: executor)
    // nnc's [out, in]: output o, input i is the kernel's [i][o].
    #expect(values(executor, "body.weight") == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
    #expect(report.entries[0].status == .loaded(conversion: "transposed from keras [in,out]"))
  }

  @Test func kerasConvolutionKernelsBecomeOutInHeightWidth() {
    // [kh, kw, in, out] = [1, 2, 1, 2]: values (y, x, i, o) = 10x + o.
    let tensor = Checkpoint.Parameter(shape: [1, 2, 1, 2], values: [0, 1, 10, 11])
    let (converted, note) = WeightImport.converted(tensor, layout: .keras, isWeight: true)
    #expect(converted.shape == [2, 1, 1, 2])
    // [out, in, kh, kw]: output 0 holds x = 0, 1 -> 0, 10; output 1 -> 1, 11.
    #expect(converted.values == [0, 10, 1, 11])
    #expect(note == "transposed from keras [kh,kw,in,out]")
  }

  @Test func aFileThatMatchesNothingIsAnError() throws {
    let path = try write(["other.weight": .init(shape: [1], values: [1])])
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(throws: TrainError.self) {
      try WeightImport.apply(WeightImportSettings(path: path), to: try executor())
    }
  }
}
