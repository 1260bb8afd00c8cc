import Foundation
import Testing

@testable import NNCSpec

/// A spec in the DSL that uses every construct: blocks with defaults, references (bare and `$`),
/// residual with and without shortcut, concat, repeat, every section, negative numbers, value calls
/// and strings that need quotes.
let everyConstructDSL = """
  model "res net" {
    input [3, 32, 32]
    conv2d(16, kernel: 3, padding: same, bias: false, name: "stem conv")
    basic(16)
    basic(32, stride: 2)
    inception_a(32)
    repeat(2) { basic(32); dropout(0.25) }
    residual { relu }
    global_avgpool
    leaky_relu(-0.5)
    dense(10, activation: "true")
  }
  block basic(filters, stride: 1) {
    residual {
      conv2d(filters, kernel: 3, stride: stride, padding: same, bias: false)
      batchnorm(epsilon: 1e-5)
      relu
    } shortcut {
      conv2d($filters, kernel: 1, stride: stride, bias: false)
      batchnorm
    }
    relu
  }
  block inception_a(pool_features, depth: $pool_features, empty: {}) {
    concat {
      branch { conv2d(64, 1) }
      branch { conv2d(48, 1)  conv2d(64, 5, padding: same, name: "pool_features") }
      branch { avgpool(3, stride: 1, padding: same)  conv2d(pool_features, 1) }
      branch {}
    }
    repeat(depth) { relu }
  }
  block empty {}
  data {
    format: idx
    train: { images: "../Data/a b/train images", labels: "12" }
    test: { path: "" }
    classes: 10
    scale: 0.00392156862745098
    mean: [-0.5, 0.25, 1e-7]
    validation_split: 0.1
    shuffle: false
    "strange key": "a: b # c"
  }
  augment {
    random_crop(padding: 2)
    random_rotation(degrees: [-10, 10], p: 0.5)
    hflip
  }
  loss cross_entropy(label_smoothing: 0.1, class_weights: [1, 2.5])
  optimizer sgd(lr: 0.1, momentum: 0.9, nesterov: true)
  metrics [accuracy, top_k_accuracy(3), f1(average: macro), confusion_matrix]
  train {
    epochs: 20
    batch_size: 64
    seed: 1
    schedule: step(every: 5, gamma: 0.5)
    early_stopping: { patience: 3, monitor: "null" }
    clip_norm: 1e300
    warmup_epochs: -1
    monitor: "$not_a_reference"
  }
  """

/// The same constructs written in YAML, including the forms only YAML has (`dense: 10`,
/// `loss: name`, positional scalars).
let everyConstructYAML = """
  model:
    name: "5"
    input: [1, 28, 28]
    layers:
      - conv2d: {filters: 6, kernel: 5, padding: 2, activation: relu}
      - maxpool: 2
      - basic: {filters: 8}
      - basic: [1, 2]
      - repeat: {count: 3, layers: [{basic: 64}, relu]}
      - residual:
          layers:
            - relu
      - concat:
          - branch:
              - conv2d: {filters: 64, kernel: 1}
          - branch: []
      - flatten
      - dense: 10
  blocks:
    basic:
      params: [filters, {stride: 1}, {note: "yes"}]
      layers:
        - residual:
            layers:
              - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same, bias: false}
              - batchnorm
            shortcut:
              - conv2d: {filters: $filters, kernel: 1, stride: $stride, bias: false}
        - relu
        - dense: {units: $filters, name: filters}
  data: {format: csv, train: {path: "train.csv"}, label_column: -1, header: true, scale: 1.0e-3}
  augment: [{random_crop: {padding: 2}}, {gaussian_noise: 0.05}]
  loss: {cross_entropy: {label_smoothing: 0.1}}
  optimizer: {adam: {lr: 1e-3, beta2: 0.98}}
  metrics: [accuracy, {f1: {average: macro}}]
  train: {epochs: 20, batch_size: 64, seed: 1, schedule: {step: {every: 5, gamma: 0.5}}, early_stopping: {patience: 3}}
  """

@Test func roundTripsEveryConstructStartingFromTheDSL() {
  checkRoundTrip(everyConstructDSL, syntax: .nnc, label: "every construct (.nnc)")
}

@Test func roundTripsEveryConstructStartingFromYAML() {
  checkRoundTrip(everyConstructYAML, syntax: .yaml, label: "every construct (.yaml)")
}

@Test func roundTripsEverySpecFile() throws {
  let files = specFiles(withExtension: "yaml") + specFiles(withExtension: "nnc")
  #expect(files.count >= 2)
  for url in files {
    let text = try String(contentsOf: url, encoding: .utf8)
    let syntax = try #require(SpecLoader.Syntax(path: url.path))
    checkRoundTrip(text, syntax: syntax, label: url.lastPathComponent)
  }
}

@Test func printingIsStable() throws {
  // Printing what was parsed from printed text gives the same text: the printers have one form.
  for (text, syntax) in [(everyConstructDSL, SpecLoader.Syntax.nnc), (everyConstructYAML, .yaml)] {
    let spec = try #require(parseSpec(text, syntax: syntax).0)
    for target in [SpecLoader.Syntax.nnc, .yaml] {
      let printed = printSpec(spec, as: target)
      let reparsed = try #require(parseSpec(printed, syntax: target).0)
      #expect(printSpec(reparsed, as: target) == printed)
    }
  }
}

// MARK: Generated specs

/// A deterministic generator (SplitMix64) so failures reproduce without other modules.
private struct Generator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Strings chosen to trip up quoting in either syntax.
private let awkwardStrings = [
  "", "relu", "same", "true", "False", "null", "~", "yes", "off", "12", "-3", "1e-3", "0x1F", ".5", ".inf",
  "nan", "$x", "a: b", "x #y", "#", "has space", " lead", "trail ", "quote\"", "back\\slash", "line\nbreak",
  "tab\t", "cr\r", "über", "\u{2028}", "\u{85}", "\u{7F}", "\u{1}", "[x]", "{x}", "a,b", "- a", "-", "?",
  "*a",
  "&a", "!t", "%", "@", "`", "|", ">", "'s'", "../Data/x-y.idx", "/abs/path", "model", "block", "residual",
  "input", "branch", "😀", "e", "E5", "1_000", "+1", "<<", "=",
]

private let identifiers = ["a", "b2", "units", "kernel", "x_y", "lr", "p", "rate", "filters", "true"]

private struct SpecGenerator {
  var random: Generator

  mutating func double() -> Double {
    switch random.below(4) {
    case 0:
      return random.pick([
        0.5, -2.5, 0.1, 1e-3, 1e-5, 1.0, -0.0, 1e300, .leastNonzeroMagnitude, 0.1 + 0.2, 1e16, 123.0,
      ])
    case 1: return Double(random.below(2001) - 1000) / 8
    default:
      while true {
        let value = Double(bitPattern: random.next())
        if value.isFinite { return value }
      }
    }
  }

  mutating func int() -> Int {
    switch random.below(3) {
    case 0: return random.pick([0, 1, -1, Int.max, Int.min, 255])
    default: return Int(truncatingIfNeeded: random.next()) >> random.below(64)
    }
  }

  mutating func string(scope: [String]) -> String {
    if !scope.isEmpty, random.chance(20) { return random.pick(scope) }
    return random.pick(awkwardStrings + identifiers)
  }

  mutating func value(scope: [String], depth: Int) -> Expr {
    let kind: Expr.Kind
    switch random.below(depth > 2 ? 6 : 9) {
    case 0: kind = .int(int())
    case 1: kind = .double(double())
    case 2: kind = .bool(random.chance(50))
    case 3, 4: kind = .string(string(scope: scope))
    case 5:
      kind = .reference(!scope.isEmpty && random.chance(70) ? random.pick(scope) : random.pick(identifiers))
    case 6: kind = .list((0..<random.below(4)).map { _ in value(scope: scope, depth: depth + 1) })
    default: kind = .map(entries(scope: scope, depth: depth + 1))
    }
    return Expr(kind, at: .unknown)
  }

  mutating func entries(scope: [String], depth: Int) -> [MapEntry] {
    var keys: [String] = []
    for _ in 0..<random.below(4) {
      let key = random.pick(awkwardStrings + identifiers)
      if !keys.contains(key) { keys.append(key) }
    }
    return keys.map { MapEntry(key: $0, keyLocation: .unknown, value: value(scope: scope, depth: depth)) }
  }

  /// A call whose labels are distinct; some use the signature's positional names in order.
  mutating func call(_ name: String, positional: [String], scope: [String]) -> Call {
    var labels: [String] = []
    if random.chance(60) { labels += positional.prefix(random.below(positional.count + 1)) }
    for _ in 0..<random.below(3) {
      let label = random.pick(awkwardStrings.filter { !$0.isEmpty } + identifiers)
      if !labels.contains(label) { labels.append(label) }
    }
    let arguments = labels.map {
      Argument(label: $0, labelLocation: .unknown, value: value(scope: scope, depth: 1))
    }
    return Call(name: name, arguments: arguments, at: .unknown)
  }

  mutating func layers(scope: [String], blocks: [BlockDecl], depth: Int) -> [Layer] {
    (0..<random.below(depth > 2 ? 2 : 5)).map { _ in layer(scope: scope, blocks: blocks, depth: depth) }
  }

  mutating func layer(scope: [String], blocks: [BlockDecl], depth: Int) -> Layer {
    let kind: Layer.Kind
    switch random.below(depth > 3 ? 1 : 8) {
    case 1:
      kind = .residual(
        main: layers(scope: scope, blocks: blocks, depth: depth + 1),
        shortcut: random.chance(50) ? layers(scope: scope, blocks: blocks, depth: depth + 1) : nil)
    case 2:
      kind = .concat(
        branches: (0..<random.below(3)).map { _ in
          Branch(layers: layers(scope: scope, blocks: blocks, depth: depth + 1), at: .unknown)
        })
    case 3:
      kind = .repeat(
        count: value(scope: scope, depth: 3), body: layers(scope: scope, blocks: blocks, depth: depth + 1))
    default:
      let names = ["conv2d", "dense", "maxpool", "relu", "flatten", "leaky_relu", "my_layer", "true"]
      let name = random.pick(names + blocks.map(\.name))
      let positional =
        Vocabulary.layers[name]?.positional ?? blocks.first { $0.name == name }?.parameters.map(\.name) ?? []
      kind = .call(call(name, positional: positional, scope: scope))
    }
    return Layer(kind, at: .unknown)
  }

  mutating func calls(_ signatures: [Signature]) -> [Call] {
    (0..<random.below(3)).map { _ in
      let signature = random.pick(signatures)
      return call(signature.name, positional: signature.positional, scope: [])
    }
  }

  mutating func spec() -> Spec {
    var spec = Spec(file: "generated")
    var blocks: [BlockDecl] = []
    for index in 0..<random.below(3) {
      var names: [String] = []
      for _ in 0..<random.below(3) {
        let name = random.pick(identifiers.filter { $0 != "true" })
        if !names.contains(name) { names.append(name) }
      }
      let parameters = names.map {
        BlockParameter(
          name: $0, defaultValue: random.chance(50) ? value(scope: [], depth: 2) : nil, at: .unknown)
      }
      let name = random.pick(["block\(index)", "dense", "res \(index)"])
      guard !blocks.contains(where: { $0.name == name }) else { continue }
      blocks.append(BlockDecl(name: name, parameters: parameters, layers: [], at: .unknown))
    }
    for index in blocks.indices {
      blocks[index].layers = layers(scope: blocks[index].parameters.map(\.name), blocks: blocks, depth: 1)
    }
    spec.blocks = blocks
    if random.chance(80) {
      spec.model = ModelDecl(
        name: random.chance(70) ? string(scope: []) : nil,
        input: random.chance(70) ? value(scope: [], depth: 1) : nil,
        layers: layers(scope: [], blocks: blocks, depth: 0), at: .unknown)
    }
    if random.chance(60) { spec.data = Expr(.map(entries(scope: [], depth: 1)), at: .unknown) }
    if random.chance(60) { spec.train = value(scope: [], depth: 1) }
    if random.chance(50) { spec.augment = calls(Vocabulary.augmentations) }
    if random.chance(60) {
      spec.loss = random.pick(calls(Vocabulary.losses) + [Call(name: "mse", at: .unknown)])
    }
    if random.chance(60) {
      spec.optimizer = random.pick(calls(Vocabulary.optimizers) + [Call(name: "sgd", at: .unknown)])
    }
    if random.chance(50) { spec.metrics = calls(Vocabulary.metrics) }
    return spec
  }
}

@Test func roundTripsGeneratedSpecsThroughBothPrinters() throws {
  var generator = SpecGenerator(random: Generator(state: 2024))
  for index in 0..<400 {
    let spec = generator.spec()
    for syntax in [SpecLoader.Syntax.nnc, .yaml] {
      let text = printSpec(spec, as: syntax)
      let (parsed, diagnostics) = parseSpec(text, syntax: syntax)
      #expect(
        errorMessages(diagnostics).isEmpty,
        "spec \(index) as \(syntax.rawValue): \(errorMessages(diagnostics))\n\(text)")
      #expect(parsed == spec, "spec \(index) as \(syntax.rawValue) reads back differently:\n\(text)")
      if parsed != spec { return }
    }
  }
}

/// The example of the language contract, verbatim.
private let contractExample = """
  # lenet5.nnc — comments start with '#'
  model lenet5 {
    input [1, 28, 28]
    conv2d(6, kernel: 5, padding: 2, activation: relu)
    maxpool(2)
    conv2d(16, kernel: 5, activation: relu)
    maxpool(2)
    flatten
    dense(120, activation: relu)
    dense(84, activation: relu)
    dense(10)
  }
  block basic(filters, stride: 1) {           # parameters; `stride` has a default
    residual {
      conv2d(filters, kernel: 3, stride: stride, padding: same, bias: false)
      batchnorm
      relu
      conv2d(filters, kernel: 3, padding: same, bias: false)
      batchnorm
    } shortcut {                              # optional; absent = identity shortcut
      conv2d(filters, kernel: 1, stride: stride, bias: false)
      batchnorm
    }
    relu
  }
  block inception_a(pool_features) {
    concat {
      branch { conv2d(64, 1) }
      branch { conv2d(48, 1)  conv2d(64, 5, padding: same) }
      branch { avgpool(3, stride: 1, padding: same)  conv2d(pool_features, 1) }
    }
  }
  # repeat(n) { ... } writes its body n times:   repeat(3) { basic(64) }
  data {
    format: idx
    train: { images: "../Data/mnist5k/train-images-idx3-ubyte", labels: "../Data/mnist5k/train-labels-idx1-ubyte" }
    test: { images: "...", labels: "..." }
    classes: 10
    scale: 0.00392156862745098
    validation_split: 0.1
  }
  augment {
    random_crop(padding: 2)
    random_rotation(degrees: 10, p: 0.5)
  }
  loss cross_entropy(label_smoothing: 0.1)     # or just: loss cross_entropy
  optimizer adam(lr: 1e-3)
  metrics [accuracy, f1(average: macro)]
  train { epochs: 20, batch_size: 64, seed: 1, schedule: step(every: 5, gamma: 0.5), early_stopping: { patience: 3 } }
  """

@Test func roundTripsTheContractExample() throws {
  checkRoundTrip(contractExample, syntax: .nnc, label: "contract example")
  let spec = try #require(parseSpec(contractExample, syntax: .nnc).0)
  #expect(spec.blocks.map(\.name) == ["basic", "inception_a"])
  guard case .residual(let main, let shortcut) = spec.block(named: "basic")?.layers.first?.kind,
    case .concat(let branches) = spec.block(named: "inception_a")?.layers.first?.kind
  else {
    Issue.record("expected a residual and a concat")
    return
  }
  #expect(main.count == 5 && shortcut?.count == 2)
  #expect(branches.map(\.layers.count) == [1, 2, 2])
  guard case .map(let train) = spec.train?.kind else {
    Issue.record("train must be a map")
    return
  }
  let schedule = Expr(
    .map([
      MapEntry(
        key: "step", keyLocation: .unknown,
        value: Expr(
          .map([
            MapEntry(key: "every", keyLocation: .unknown, value: Expr(.int(5), at: .unknown)),
            MapEntry(key: "gamma", keyLocation: .unknown, value: Expr(.double(0.5), at: .unknown)),
          ]), at: .unknown))
    ]), at: .unknown)
  #expect(train.first { $0.key == "schedule" }?.value == schedule)
}

/// The layers added by CONTRIBUTING.md's walk-through, in every form their arguments take.
@Test func roundTripsPaddingAndUpsampleLayers() {
  checkRoundTrip(
    """
    model {
      input [3, 8, 8]
      zero_padding2d(1)
      zero_padding2d([1, 2])
      zero_padding2d([[1, 2], [3, 4]])
      upsample
      upsample(2, mode: bilinear)
      upsample(scale: 3)
    }
    """, syntax: .nnc, label: "padding and upsample (.nnc)")
  checkRoundTrip(
    """
    model:
      input: [3, 8, 8]
      layers:
        - zero_padding2d: 1
        - zero_padding2d: {padding: [[1, 2], [3, 4]]}
        - upsample: {scale: 2, mode: bilinear}
        - upsample: 4
    """, syntax: .yaml, label: "padding and upsample (.yaml)")
}

/// lrn and gelu's `approximate`, as a layer and as a layer's `activation:`, in both syntaxes.
@Test func roundTripsLRNAndGeluApproximation() {
  checkRoundTrip(
    """
    model {
      input [3, 8, 8]
      conv2d(8, 3, activation: gelu(approximate: none))
      lrn(5)
      lrn(3, alpha: 0.0001, beta: 0.75, bias: 2)
      gelu(approximate: tanh)
      gelu
      flatten
    }
    """, syntax: .nnc, label: "lrn and gelu (.nnc)")
  checkRoundTrip(
    """
    model:
      input: [3, 8, 8]
      layers:
        - conv2d: {filters: 8, kernel: 3, activation: {gelu: {approximate: none}}}
        - lrn: {size: 5, alpha: 1e-4, beta: 0.75, bias: 1}
        - lrn: 3
        - gelu: {approximate: none}
        - flatten
    """, syntax: .yaml, label: "lrn and gelu (.yaml)")
}
