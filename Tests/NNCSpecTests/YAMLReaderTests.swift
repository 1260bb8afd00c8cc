import Foundation
import Testing

@testable import NNCSpec

private let file = "test.yaml"

private func location(_ line: Int, _ column: Int, _ length: Int = 1) -> NNCSpec.SourceLocation {
  NNCSpec.SourceLocation(file: file, line: line, column: column, length: length)
}

private func read(_ text: String) -> (Spec?, [Diagnostic]) {
  var bag = DiagnosticBag()
  let spec = YAMLReader.read(text: text, file: file, diagnostics: &bag)
  return (spec, bag.diagnostics)
}

@Test func keepsTheLocationOfEveryNode() throws {
  let text = """
    model:
      name: m
      input: [3, 32, 32]
      layers:
        - conv2d: {filters: 16, kernel: 3}
        - flatten
    train: {epochs: 5}
    """
  let (parsed, diagnostics) = read(text)
  #expect(diagnostics.isEmpty)
  let spec = try #require(parsed)
  let model = try #require(spec.model)
  #expect(model.location == location(1, 1, 5))
  #expect(model.input?.location == location(3, 10))
  guard case .list(let dimensions) = model.input?.kind else {
    Issue.record("input must be a list")
    return
  }
  #expect(dimensions.map(\.location) == [location(3, 11), location(3, 14, 2), location(3, 18, 2)])
  guard case .call(let conv) = model.layers.first?.kind, case .call(let flatten) = model.layers.last?.kind
  else {
    Issue.record("expected two calls")
    return
  }
  #expect(conv.location == location(5, 7, 6))
  #expect(conv.arguments.map(\.labelLocation) == [location(5, 16, 7), location(5, 29, 6)])
  #expect(conv.arguments.map(\.value.location) == [location(5, 25, 2), location(5, 37)])
  #expect(flatten.location == location(6, 7, 7))
  guard case .map(let train) = spec.train?.kind else {
    Issue.record("train must be a map")
    return
  }
  #expect(train.first?.keyLocation == location(7, 9, 6))
}

@Test func readsScalarsByTheirMeaningForASpec() throws {
  let text = """
    train: {a: 1e-3, b: 1.0e-3, c: "12", d: 12, e: -2, f: true, g: "true", h: $units, i: "$units", j: relu, k: .5, l: '7'}
    """
  let (parsed, diagnostics) = read(text)
  #expect(diagnostics.isEmpty)
  guard case .map(let entries) = try #require(parsed?.train).kind else {
    Issue.record("train must be a map")
    return
  }
  let kinds = entries.map(\.value.kind)
  #expect(
    kinds == [
      .double(0.001), .double(0.001), .string("12"), .int(12), .int(-2), .bool(true), .string("true"),
      .reference("units"), .string("$units"), .string("relu"), .double(0.5), .string("7"),
    ])
}

@Test func readsLayerShorthandsIntoTheSameTreeAsTheLongForm() throws {
  let short = """
    model:
      layers:
        - dense: 10
        - dropout: 0.5
        - flatten
    loss: cross_entropy
    optimizer: {sgd: 0.1}
    """
  let long = """
    model:
      layers:
        - dense: {units: 10}
        - dropout: {rate: 0.5}
        - flatten: {}
    loss: {cross_entropy: {}}
    optimizer: {sgd: {lr: 0.1}}
    """
  let (shortSpec, shortDiagnostics) = parseSpec(short, syntax: .yaml)
  let (longSpec, longDiagnostics) = parseSpec(long, syntax: .yaml)
  #expect(shortDiagnostics.isEmpty && longDiagnostics.isEmpty)
  #expect(shortSpec != nil)
  #expect(shortSpec == longSpec)
  // Before resolution the shorthand is one unlabelled argument.
  let (raw, _) = read(short)
  guard case .call(let dense) = raw?.model?.layers.first?.kind else {
    Issue.record("expected a call")
    return
  }
  #expect(dense.arguments.map(\.label) == [nil])
}

@Test func reportsDuplicateKeysAtTheKey() throws {
  let text = """
    model:
      layers: []
    train: {epochs: 1, epochs: 2}
    """
  let (spec, diagnostics) = read(text)
  // Yams refuses duplicate keys while composing, so the whole document is refused.
  #expect(spec == nil)
  #expect(diagnostics.count == 1)
  #expect(errorMessages(diagnostics) == ["duplicate key 'epochs'"])
  // Yams reports the first occurrence of the key.
  #expect(diagnostics.first?.location == location(3, 9))
}

@Test func keepsLibyamlLineAndColumnForSyntaxErrors() throws {
  let text = """
    model:
      layers:
        - dense: {units: 10
    loss: mse
    """
  let (spec, diagnostics) = read(text)
  #expect(spec == nil)
  let diagnostic = try #require(diagnostics.first)
  #expect(diagnostics.count == 1)
  #expect(diagnostic.message.hasPrefix("YAML syntax: "))
  // libyaml reads `loss` as one more key of the unclosed flow map and stops at the ':' after it,
  // naming the flow map's opening brace as the context.
  #expect(diagnostic.location?.line == 4)
  #expect(diagnostic.location?.column == 5)
  #expect(diagnostic.notes.map(\.location) == [location(3, 14)])

  let (_, tabDiagnostics) = read("model:\n\tlayers: []\n")
  #expect(tabDiagnostics.first?.location?.line == 2)
  #expect(tabDiagnostics.first?.location?.column == 1)
}

@Test func reportsMisplacedEntriesWithSuggestions() throws {
  let text = """
    modle: {}
    model:
      layers:
        - {dense: 10, relu: {}}
        - repeat: {layers: [relu]}
        - residual: {layer: [relu]}
        - [relu]
    """
  let (_, diagnostics) = read(text)
  #expect(
    errorMessages(diagnostics) == [
      "unknown section 'modle'; did you mean 'model'?",
      "a layer is written as one name with its arguments, like 'conv2d: {filters: 32, kernel: 3}'",
      "'repeat' needs a 'count'",
      "unknown key 'layer' in residual; did you mean 'layers'?",
      "expected a layer, found a list",
    ])
  #expect(diagnostics.map { $0.location?.line } == [1, 4, 5, 6, 7])
}

@Test func readsBlocksAndReferences() throws {
  let text = """
    blocks:
      basic:
        params: [filters, {stride: 1}]
        layers:
          - conv2d: {filters: $filters, kernel: 3, stride: $stride}
    """
  let (parsed, diagnostics) = read(text)
  #expect(diagnostics.isEmpty)
  let block = try #require(parsed?.block(named: "basic"))
  #expect(
    block.parameters == [
      BlockParameter(name: "filters", defaultValue: nil, at: .unknown),
      BlockParameter(name: "stride", defaultValue: Expr(.int(1), at: .unknown), at: .unknown),
    ])
  guard case .call(let conv) = block.layers.first?.kind else {
    Issue.record("expected a call")
    return
  }
  #expect(conv.arguments.map(\.value.kind) == [.reference("filters"), .int(3), .reference("stride")])
  #expect(block.location == location(2, 3, 5))
}

@Test func reportsAnEmptySpec() {
  let (_, diagnostics) = read("# nothing here\n")
  #expect(errorMessages(diagnostics) == ["the spec is empty"])
}
