import Foundation
import Testing

@testable import NNCSpec

private let file = "test.nnc"

private func location(_ line: Int, _ column: Int, _ length: Int = 1) -> NNCSpec.SourceLocation {
  NNCSpec.SourceLocation(file: file, line: line, column: column, length: length)
}

private func value(_ kind: Expr.Kind) -> Expr { Expr(kind, at: .unknown) }

private func argument(_ label: String, _ kind: Expr.Kind) -> Argument {
  Argument(label: label, labelLocation: .unknown, value: value(kind))
}

private func call(_ name: String, _ arguments: [Argument] = []) -> Call {
  Call(name: name, arguments: arguments, at: .unknown)
}

private func layer(_ name: String, _ arguments: [Argument] = []) -> Layer {
  Layer(.call(call(name, arguments)), at: .unknown)
}

private func entry(_ key: String, _ kind: Expr.Kind) -> MapEntry {
  MapEntry(key: key, keyLocation: .unknown, value: value(kind))
}

/// Parses without positional resolution, as the parser itself hands the AST over.
private func rawParse(_ text: String) -> (Spec?, [Diagnostic]) {
  var bag = DiagnosticBag()
  let spec = DSLParser.parse(text: text, file: file, diagnostics: &bag)
  return (spec, bag.diagnostics)
}

@Test func parsesLeNetIntoTheExpectedTree() throws {
  let text = """
    # lenet5
    model lenet5 {
      input [1, 28, 28]
      conv2d(6, kernel: 5, padding: 2, activation: relu)
      maxpool(2)
      flatten
      dense(10)
    }
    loss cross_entropy
    optimizer adam(lr: 1e-3)
    metrics [accuracy, f1(average: macro)]
    train { epochs: 20, batch_size: 64 }
    """
  let (parsed, diagnostics) = parseSpec(text, syntax: .nnc)
  #expect(diagnostics.isEmpty)
  let spec = try #require(parsed)
  let expected = Spec(
    model: ModelDecl(
      name: "lenet5", input: value(.list([value(.int(1)), value(.int(28)), value(.int(28))])),
      layers: [
        layer(
          "conv2d",
          [
            argument("filters", .int(6)), argument("kernel", .int(5)), argument("padding", .int(2)),
            argument("activation", .string("relu")),
          ]),
        layer("maxpool", [argument("size", .int(2))]),
        layer("flatten"),
        layer("dense", [argument("units", .int(10))]),
      ], at: .unknown),
    loss: call("cross_entropy"),
    optimizer: call("adam", [argument("lr", .double(0.001))]),
    metrics: [call("accuracy"), call("f1", [argument("average", .string("macro"))])],
    train: value(.map([entry("epochs", .int(20)), entry("batch_size", .int(64))])),
    file: file)
  #expect(spec == expected)
}

@Test func leavesPositionalArgumentsUnlabelledForTheResolver() throws {
  let (parsed, diagnostics) = rawParse("model { conv2d(6, 5, stride: 2) }")
  #expect(diagnostics.isEmpty)
  let layers = try #require(parsed?.model?.layers)
  guard case .call(let conv) = layers.first?.kind else {
    Issue.record("expected a call")
    return
  }
  #expect(conv.arguments.map(\.label) == [nil, nil, "stride"])
}

@Test func keepsLocationsOnEveryNode() throws {
  let text = """
    model m {
      input [3, 32, 32]
      conv2d(16, kernel: 3)
    }
    """
  let (parsed, _) = rawParse(text)
  let model = try #require(parsed?.model)
  #expect(model.location == location(1, 1, 5))
  #expect(model.input?.location == location(2, 9, 11))
  guard case .call(let conv) = model.layers.first?.kind else {
    Issue.record("expected a call")
    return
  }
  #expect(conv.location == location(3, 3, 6))
  #expect(model.layers.first?.location == location(3, 3, 6))
  #expect(conv.arguments[0].value.location == location(3, 10, 2))
  #expect(conv.arguments[0].labelLocation == location(3, 10, 2))
  #expect(conv.arguments[1].labelLocation == location(3, 14, 6))
  #expect(conv.arguments[1].value.location == location(3, 22, 1))
}

@Test func parsesBlocksWithDefaultsAndReferences() throws {
  let text = """
    block basic(filters, stride: 1) {
      residual {
        conv2d(filters, kernel: 3, stride: stride, padding: same, bias: false)
        batchnorm
      } shortcut {
        conv2d($filters, kernel: 1, stride: stride)
      }
      relu
    }
    """
  let (parsed, diagnostics) = parseSpec(text, syntax: .nnc)
  #expect(diagnostics.isEmpty)
  let block = try #require(parsed?.block(named: "basic"))
  #expect(
    block.parameters == [
      BlockParameter(name: "filters", defaultValue: nil, at: .unknown),
      BlockParameter(name: "stride", defaultValue: value(.int(1)), at: .unknown),
    ])
  let main = [
    layer(
      "conv2d",
      [
        argument("filters", .reference("filters")), argument("kernel", .int(3)),
        argument("stride", .reference("stride")), argument("padding", .string("same")),
        argument("bias", .bool(false)),
      ]),
    layer("batchnorm"),
  ]
  let shortcut = [
    layer(
      "conv2d",
      [
        argument("filters", .reference("filters")), argument("kernel", .int(1)),
        argument("stride", .reference("stride")),
      ])
  ]
  #expect(
    block.layers == [
      Layer(.residual(main: main, shortcut: shortcut), at: .unknown), layer("relu"),
    ])
}

@Test func bareWordsAreReferencesOnlyInsideTheirBlock() throws {
  let text = """
    model { dense(units) }
    block b(units) { dense(units, activation: "units") }
    """
  let (parsed, diagnostics) = rawParse(text)
  #expect(diagnostics.isEmpty)
  let spec = try #require(parsed)
  #expect(
    spec.model?.layers == [
      Layer(
        .call(
          Call(
            name: "dense",
            arguments: [
              Argument(label: nil, labelLocation: .unknown, value: value(.string("units")))
            ], at: .unknown)), at: .unknown)
    ])
  #expect(
    spec.blocks.first?.layers == [
      Layer(
        .call(
          Call(
            name: "dense",
            arguments: [
              Argument(label: nil, labelLocation: .unknown, value: value(.reference("units"))),
              argument("activation", .string("units")),
            ], at: .unknown)), at: .unknown)
    ])
}

@Test func parsesConcatAndRepeat() throws {
  let text = """
    block inception(pool_features, n: 2) {
      concat {
        branch { conv2d(64, 1) }
        branch { conv2d(48, 1)  conv2d(64, 5, padding: same) }
        branch {}
      }
      repeat(n) { relu; dropout(0.5) }
      repeat(count: 3) {}
    }
    """
  let (parsed, diagnostics) = parseSpec(text, syntax: .nnc)
  #expect(diagnostics.isEmpty)
  let layers = try #require(parsed?.blocks.first?.layers)
  let conv = { (filters: Int, kernel: Int) in
    layer("conv2d", [argument("filters", .int(filters)), argument("kernel", .int(kernel))])
  }
  var wide = conv(64, 5)
  if case .call(var c) = wide.kind {
    c.arguments.append(argument("padding", .string("same")))
    wide.kind = .call(c)
  }
  #expect(
    layers == [
      Layer(
        .concat(branches: [
          Branch(layers: [conv(64, 1)], at: .unknown),
          Branch(layers: [conv(48, 1), wide], at: .unknown),
          Branch(layers: [], at: .unknown),
        ]), at: .unknown),
      Layer(
        .repeat(
          count: value(.reference("n")),
          body: [layer("relu"), layer("dropout", [argument("rate", .double(0.5))])]),
        at: .unknown),
      Layer(.repeat(count: value(.int(3)), body: []), at: .unknown),
    ])
}

@Test func parsesValuesOfEveryKind() throws {
  let text = """
    train {
      a: -2, b: 0.5, c: 1e-3, d: -2.5E+2, e: true, f: false
      g: "say \\"hi\\"\\n\\t\\u{41}", h: word, i: [1, [2, 3], {}]
      j: step(every: 5, gamma: 0.5)
      k: cosine()
      "odd key": { x: 1
                   y: 2 }
      l: [
        1
        2,
      ]
    }
    """
  let (parsed, diagnostics) = rawParse(text)
  #expect(diagnostics.isEmpty)
  let train = try #require(parsed?.train)
  let expected = value(
    .map([
      entry("a", .int(-2)), entry("b", .double(0.5)), entry("c", .double(0.001)),
      entry("d", .double(-250)), entry("e", .bool(true)), entry("f", .bool(false)),
      entry("g", .string("say \"hi\"\n\tA")), entry("h", .string("word")),
      entry("i", .list([value(.int(1)), value(.list([value(.int(2)), value(.int(3))])), value(.map([]))])),
      entry("j", .map([entry("step", .map([entry("every", .int(5)), entry("gamma", .double(0.5))]))])),
      entry("k", .string("cosine")),
      entry("odd key", .map([entry("x", .int(1)), entry("y", .int(2))])),
      entry("l", .list([value(.int(1)), value(.int(2))])),
    ]))
  #expect(train == expected)
}

@Test func parsesTheOtherSections() throws {
  let text = """
    data { format: idx, classes: 10 }
    augment {
      random_crop(padding: 2)
      random_rotation(degrees: 10, p: 0.5); hflip
    }
    loss cross_entropy(label_smoothing: 0.1)
    """
  let (parsed, diagnostics) = parseSpec(text, syntax: .nnc)
  #expect(diagnostics.isEmpty)
  let spec = try #require(parsed)
  #expect(spec.data == value(.map([entry("format", .string("idx")), entry("classes", .int(10))])))
  #expect(
    spec.augment == [
      call("random_crop", [argument("padding", .int(2))]),
      call("random_rotation", [argument("degrees", .int(10)), argument("p", .double(0.5))]),
      call("hflip"),
    ])
  #expect(spec.loss == call("cross_entropy", [argument("label_smoothing", .double(0.1))]))
  #expect(spec.model == nil && spec.optimizer == nil && spec.metrics == nil && spec.train == nil)
}

// MARK: Errors

@Test func reportsAMissingCloseParenthesisWithANoteAtTheOpening() throws {
  let text = """
    model {
      conv2d(6, kernel: 5
      relu
    }
    """
  let (spec, diagnostics) = rawParse(text)
  #expect(spec != nil)
  #expect(diagnostics.count == 1)
  let diagnostic = try #require(diagnostics.first)
  #expect(diagnostic.message == "expected ')' to close the arguments of 'conv2d'")
  #expect(diagnostic.location == location(3, 3, 4))
  #expect(diagnostic.notes == [.note("'(' opened here", at: location(2, 9))])
  // Recovery resumes at the next line, so the layer after the broken one is kept.
  #expect(spec?.model?.layers == [layer("relu")])
}

@Test func suggestsTheSectionKeywordForAnUnknownSection() {
  let (_, diagnostics) = rawParse("modle lenet {\n  dense(10)\n}\nlos cross_entropy\n")
  #expect(
    errorMessages(diagnostics) == [
      "unknown section 'modle'; did you mean 'model'?", "unknown section 'los'; did you mean 'loss'?",
    ])
  #expect(diagnostics.map(\.location) == [location(1, 1, 5), location(4, 1, 3)])
}

@Test func reportsUnterminatedStringsAndBadNumbers() {
  let text = """
    train {
      a: "open
      b: 12ab
      c: 1.2.3
      d: 99999999999999999999
      e: 1e999
    }
    """
  let (_, diagnostics) = rawParse(text)
  #expect(
    errorMessages(diagnostics) == [
      "unterminated string", "bad number '12ab'", "bad number '1.2.3'",
      "integer '99999999999999999999' is too large", "number '1e999' is out of range",
    ])
  #expect(
    diagnostics.map(\.location) == [
      location(2, 6), location(3, 6, 4), location(4, 6, 5), location(5, 6, 20), location(6, 6, 5),
    ])
}

@Test func reportsSeveralIndependentErrorsInOneRun() {
  let text = """
    model {
      conv2d(6 kernel: 5)
      maxpool(2)
      dense(10, units: )
      relu
    }
    optimizer adam(lr: 1e-3)
    optimizer sgd
    block b { relu }
    block b { tanh }
    metrics accuracy
    """
  let (spec, diagnostics) = rawParse(text)
  #expect(
    errorMessages(diagnostics) == [
      "expected ',' or ')' after an argument of 'conv2d', found 'kernel'",
      "expected a value, found ')'",
      "the 'optimizer' section is written twice",
      "block 'b' is defined twice",
      "expected '[' after 'metrics', as in 'metrics [accuracy]', found 'accuracy'",
    ])
  #expect(diagnostics[2].notes == [.note("first written here", at: location(7, 1, 9))])
  #expect(diagnostics[3].notes == [.note("first defined here", at: location(9, 7))])
  // What parsed correctly is kept; the first of a duplicated section wins.
  #expect(
    spec?.model?.layers == [
      layer("maxpool", [Argument(label: nil, labelLocation: .unknown, value: value(.int(2)))]), layer("relu"),
    ])
  #expect(spec?.optimizer?.name == "adam")
  #expect(spec?.blocks.map(\.layers) == [[layer("relu")]])
}

@Test func reportsMisplacedStructuralWords() {
  let text = """
    model {
      input [1]
      input [2]
      shortcut { relu }
      branch { relu }
    }
    block b { input [3] }
    block c(x, x) { concat { relu } }
    train { a: 1, a: 2 }
    loss mse(1, x: 2, 3)
    """
  let (_, diagnostics) = rawParse(text)
  #expect(
    errorMessages(diagnostics) == [
      "the model's input is written twice",
      "'shortcut { ... }' must directly follow 'residual { ... }'",
      "'branch { ... }' is only allowed inside 'concat { ... }'",
      "'input' is only allowed in the model",
      "parameter 'x' is declared twice",
      "expected 'branch { ... }' inside concat, found 'relu'",
      "duplicate key 'a'",
      "a positional argument of 'mse' cannot follow a labelled one; give it a label",
    ])
}

@Test func reportsUnclosedBracesAtTheEndOfTheFile() {
  let (_, diagnostics) = rawParse("model m {\n  residual {\n    relu\n")
  #expect(
    errorMessages(diagnostics) == [
      "expected '}' to close the layers of residual", "expected '}' to close the layers of model 'm'",
    ])
  #expect(diagnostics.first?.notes == [.note("'{' opened here", at: location(2, 12))])
}

@Test func refusesNestingDeeperThanTheLimit() {
  let depth = 10_000
  let text = "train " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
  let (_, diagnostics) = rawParse(text)
  #expect(errorMessages(diagnostics) == ["the spec nests deeper than \(DSLParser.maximumDepth) levels"])
  let layers =
    "model " + String(repeating: "{ residual ", count: depth) + String(repeating: "}", count: depth)
  let (_, layerDiagnostics) = rawParse(layers)
  #expect(
    errorMessages(layerDiagnostics).contains("the spec nests deeper than \(DSLParser.maximumDepth) levels"))
}

@Test func stopsAfterTooManyErrors() {
  let text = String(repeating: "@ ", count: 10_000) + "\n" + String(repeating: "bogus\n", count: 10_000)
  let (_, diagnostics) = rawParse(text)
  #expect(diagnostics.count == DSLParser.maximumErrors + 1)
  #expect(diagnostics.last?.message == "too many errors; stopping here")
  let (_, parserDiagnostics) = rawParse(String(repeating: "bogus\n", count: 10_000))
  #expect(parserDiagnostics.count == DSLParser.maximumErrors + 1)
  #expect(parserDiagnostics.last?.message == "too many errors; stopping here")
}

/// A tiny deterministic generator so the fuzz test is reproducible without other modules.
private struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

@Test func survivesGarbageAndTruncations() throws {
  let url = try #require(specFiles(withExtension: "nnc").first)
  let source = try String(contentsOf: url, encoding: .utf8)
  let characters = Array(source)
  var random = SplitMix(state: 42)
  // Every prefix of a real spec: each must parse or fail with diagnostics, never crash or hang.
  for end in stride(from: 0, through: characters.count, by: 3) {
    let (spec, diagnostics) = parseSpec(String(characters[..<end]), syntax: .nnc)
    #expect(spec != nil || !diagnostics.isEmpty)
  }
  // Random mutations of the spec, and random soup made from its characters and some punctuation.
  let alphabet = Array("(){}[],:;\"$#\\-+.e0123456789 \n\tabc_") + characters
  for _ in 0..<300 {
    var mutated = characters
    for _ in 0..<(1 + random.below(8)) where !mutated.isEmpty {
      let position = random.below(mutated.count)
      switch random.below(3) {
      case 0: mutated.remove(at: position)
      case 1: mutated.insert(alphabet[random.below(alphabet.count)], at: position)
      default: mutated[position] = alphabet[random.below(alphabet.count)]
      }
    }
    _ = parseSpec(String(mutated), syntax: .nnc)
    let soup = String((0..<(random.below(400))).map { _ in alphabet[random.below(alphabet.count)] })
    _ = parseSpec(soup, syntax: .nnc)
  }
}

// MARK: Spec files

@Test func everySpecFileInTheDSLParsesWithoutErrors() throws {
  let files = specFiles(withExtension: "nnc")
  #expect(!files.isEmpty)
  for url in files {
    let text = try String(contentsOf: url, encoding: .utf8)
    let (spec, diagnostics) = parseSpec(text, syntax: .nnc, file: url.path)
    #expect(spec != nil, "\(url.lastPathComponent)")
    #expect(
      diagnostics.isEmpty,
      "\(url.lastPathComponent):\n\(DiagnosticRenderer(sources: [url.path: text]).render(diagnostics))")
  }
}

@Test func theTwoLeNetSpecsAreTheSameModel() throws {
  let specs = repositoryRoot().appendingPathComponent("Specs")
  let yamlText = try String(contentsOf: specs.appendingPathComponent("lenet5.yaml"), encoding: .utf8)
  let nncText = try String(contentsOf: specs.appendingPathComponent("lenet5.nnc"), encoding: .utf8)
  let (yamlSpec, yamlDiagnostics) = parseSpec(yamlText, syntax: .yaml)
  let (nncSpec, nncDiagnostics) = parseSpec(nncText, syntax: .nnc)
  #expect(yamlDiagnostics.isEmpty && nncDiagnostics.isEmpty)
  let spec = try #require(nncSpec)
  #expect(yamlSpec == spec)
  // The contract of these example files, checked independently of either parser's agreement.
  #expect(spec.model?.name == "lenet5")
  #expect(spec.model?.layers.count == 8)
  #expect(spec.optimizer == call("adam", [argument("lr", .double(1e-3))]))
  guard case .map(let data) = spec.data?.kind else {
    Issue.record("data must be a map")
    return
  }
  #expect(data.first { $0.key == "scale" }?.value == value(.double(1.0 / 255.0)))
  #expect(data.first { $0.key == "validation_split" }?.value == value(.double(0.1)))
}

@Test func aSectionAtTheMarginEndsAnUnclosedSection() {
  let text = """
    model {
      relu
    loss mse
    """
  let (spec, diagnostics) = rawParse(text)
  #expect(errorMessages(diagnostics) == ["expected '}' to close the layers of the model"])
  #expect(diagnostics.first?.location == location(3, 1, 4))
  #expect(spec?.loss == call("mse"))
}

@Test func anUnterminatedStringDoesNotHideLaterSections() {
  let text = """
    model {
      dense(10, activation: "relu)
    }
    loss mse
    loss mse
    """
  let (_, diagnostics) = rawParse(text)
  #expect(errorMessages(diagnostics) == ["unterminated string", "the 'loss' section is written twice"])
}

@Test func explainsYAMLHabitsInTheDSL() {
  let text = """
    \u{FEFF}model {
      input: [1, 28, 28]
    }
    train: { epochs: 1 }
    """
  let (_, diagnostics) = rawParse(text)
  #expect(
    errorMessages(diagnostics) == [
      "the input shape is written without ':', as in 'input [1, 28, 28]'",
      "a section is written without ':' in .nnc, as in 'train { epochs: 10 }'",
    ])
  #expect(diagnostics.map(\.location) == [location(2, 8), location(4, 6)])
}
