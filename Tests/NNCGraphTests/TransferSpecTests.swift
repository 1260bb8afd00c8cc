import Foundation
import NNCSpec
import Testing

@testable import NNCGraph

/// The transfer-learning keys of `train` in both syntaxes: `init`, `freeze: {until}`, `phases`,
/// and the diagnostics for what the schema alone cannot catch.
@Suite struct TransferSpecTests {
  static let model = """
    model:
      input: [4]
      layers:
        - dense: {units: 3, name: body}
        - batchnorm: {name: norm}
        - dense: {units: 2, name: head}
    """

  func lower(_ train: String) throws -> LoweringResult {
    let (spec, diagnostics) = SpecLoader.parse(text: Self.model + "\ntrain: " + train + "\n", path: "t.yaml")
    return Lowering.lower(try #require(spec, "\(diagnostics)"))
  }

  func messages(_ result: LoweringResult) -> [String] {
    result.diagnostics.map {
      "\($0.severity.rawValue) \($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.message)"
    }
  }

  @Test func freezeUntilFreezesThatLayerAndEveryOneBefore() throws {
    let result = try lower("{freeze: {until: norm}}")
    let graph = try #require(result.graph, "\(messages(result))")
    #expect(graph.nodes.map(\.isFrozen) == [true, true, false])
    #expect(graph.parameterTotals.trainable == 8)
  }

  @Test func anUnknownLayerIsAnErrorWithASuggestion() throws {
    let result = try lower("{freeze: {until: nrom}}")
    #expect(result.graph == nil)
    #expect(messages(result) == ["error 7:25 freeze.until: no layer is named 'nrom'; did you mean 'norm'?"])
    let phase = try lower("{phases: [{epochs: 1, trainable: {from: haed}}]}")
    #expect(messages(phase) == ["error 7:48 trainable.from: no layer is named 'haed'; did you mean 'head'?"])
  }

  @Test func phasePatternsThatMatchNothingWarn() throws {
    let result = try lower("{phases: [{epochs: 1, trainable: [conv*]}]}")
    #expect(result.graph != nil)
    #expect(messages(result) == ["warning 7:42 trainable pattern 'conv*' matches no layer"])
  }

  @Test func badRegularExpressionsAndConflictsAreErrorsAtTheirPlace() throws {
    let regex = try lower("{init: {from: w.safetensors, rename: [{pattern: 'bn(1', replace: x}]}}")
    #expect(messages(regex) == ["error 7:56 'bn(1' in train.init.rename is not a valid regular expression"])
    let both = try lower("{init_from: a.safetensors, init: {from: b.safetensors}}")
    #expect(messages(both) == ["error 7:9 'init_from' and 'init' in train both say where weights come from"])
    let phase = try lower("{phases: [{epochs: 1, freeze: [body], trainable: [head]}]}")
    #expect(messages(phase) == ["error 7:30 a phase takes 'freeze' or 'trainable', not both"])
    let layout = try lower("{init: {from: a.safetensors, layout: torch}}")
    #expect(messages(layout).first?.contains("must be one of 'nnc', 'pytorch', 'keras'") == true)
    let missing = try lower("{phases: [{lr: 0.1}]}")
    #expect(messages(missing).first?.contains("needs a value for 'epochs'") == true)
  }

  @Test func theDSLAcceptsTheSameKeys() throws {
    let text = """
      model m {
        input [4]
        dense(3, name: body)
        dense(2, name: head)
      }
      train {
        init: { from: "w.safetensors", rename: [{ pattern: "^fc\\\\.", replace: "head." }], strict: true }
        phases: [
          { epochs: 2, freeze: { until: body }, optimizer: sgd(lr: 0.1) },
          { epochs: 1, trainable: ["*"], lr: 1e-4 },
        ]
        early_stopping: { monitor: val_loss, mode: min, patience: 2 }
      }
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "t.nnc")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let result = Lowering.lower(try #require(spec))
    #expect(result.diagnostics.isEmpty, "\(messages(result))")
    // The DSL string "^fc\\." is the regular expression ^fc\. (one backslash), as in YAML '^fc\.'.
    guard case .map(let train) = try #require(spec?.train).kind,
      case .map(let initFields) = train.first(where: { $0.key == "init" })?.value.kind,
      case .list(let rules) = initFields.first(where: { $0.key == "rename" })?.value.kind,
      case .map(let rule) = rules.first?.kind,
      case .string(let pattern) = rule.first(where: { $0.key == "pattern" })?.value.kind
    else {
      Issue.record("train.init.rename did not parse as a list of maps")
      return
    }
    #expect(pattern == #"^fc\."#)
  }

  @Test(arguments: [
    "pretrain.yaml", "finetune.yaml", "scratch.yaml", "imported_finetune.yaml", "imported_scratch.yaml",
    "imported/mnist_resnet.yaml",
  ])
  func theWorkedExampleSpecsCheckCleanly(_ file: String) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Specs/transfer/" + file)
    let (spec, diagnostics) = SpecLoader.parse(
      text: try String(contentsOf: url, encoding: .utf8), path: url.path)
    let result = Lowering.lower(try #require(spec, "\(diagnostics)"))
    #expect(result.graph != nil)
    #expect(result.diagnostics.isEmpty, "\(messages(result))")
  }
}
