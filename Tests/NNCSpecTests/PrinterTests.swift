import Foundation
import Testing

@testable import NNCSpec

/// A spec written loosely (odd spacing, labels everywhere, YAML-only forms) to check that the printers
/// write their one canonical form, keeping every label the author wrote.
private let looseYAML = """
  train: {seed: 1, schedule: {step: {every: 5}}, early_stopping: {patience: 3}}
  metrics: [accuracy, {top_k_accuracy: {k: 3}}]
  optimizer: {adam: {lr: 1.0e-3, beta1: 0.5}}
  loss: cross_entropy
  augment: [{random_crop: {padding: 2}}, hflip]
  data: {format: idx, train: {images: ../Data/train-images, labels: "12"}, scale: 0.5, classes: 10}
  blocks:
    down:
      params: [filters, {stride: 2}]
      layers:
        - residual:
            layers:
              - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same}
              - dense: {units: 4, name: filters}
            shortcut:
              - conv2d: {kernel: 1, filters: $filters}
        - repeat: {count: $stride, layers: [relu]}
  model:
    name: tiny
    input: [1, 8, 8]
    layers:
      - conv2d: {filters: 4, kernel: 3, activation: relu}
      - down: {filters: 8}
      - concat:
          - branch: [{maxpool: {size: 2}}]
          - branch: []
      - residual: {layers: [relu]}
      - flatten
      - dense: {units: 10, activation: "true"}
  """

@Test func printsIdiomaticDSL() throws {
  let spec = try #require(parseSpec(looseYAML, syntax: .yaml).0)
  let expected = """
    model tiny {
      input [1, 8, 8]
      conv2d(filters: 4, kernel: 3, activation: relu)
      down(filters: 8)
      concat {
        branch {
          maxpool(size: 2)
        }
        branch {}
      }
      residual {
        relu
      }
      flatten
      dense(units: 10, activation: "true")
    }

    block down(filters, stride: 2) {
      residual {
        conv2d(filters: filters, kernel: 3, stride: stride, padding: same)
        dense(units: 4, name: "filters")
      } shortcut {
        conv2d(kernel: 1, filters: filters)
      }
      repeat(stride) {
        relu
      }
    }

    data {
      format: idx
      train: { images: "../Data/train-images", labels: "12" }
      scale: 0.5
      classes: 10
    }

    augment {
      random_crop(padding: 2)
      hflip
    }

    loss cross_entropy
    optimizer adam(lr: 0.001, beta1: 0.5)
    metrics [accuracy, top_k_accuracy(k: 3)]
    train { seed: 1, schedule: step(every: 5), early_stopping: { patience: 3 } }

    """
  #expect(SpecPrinter.nnc(spec) == expected)
}

@Test func printsReadableYAML() throws {
  let spec = try #require(parseSpec(looseYAML, syntax: .yaml).0)
  let expected = """
    model:
      name: tiny
      input: [1, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 3, activation: relu}
        - down: {filters: 8}
        - concat:
            - branch:
                - maxpool: {size: 2}
            - branch: []
        - residual:
            layers:
              - relu
        - flatten
        - dense: {units: 10, activation: "true"}
    blocks:
      down:
        params: [filters, {stride: 2}]
        layers:
          - residual:
              layers:
                - conv2d: {filters: $filters, kernel: 3, stride: $stride, padding: same}
                - dense: {units: 4, name: filters}
              shortcut:
                - conv2d: {kernel: 1, filters: $filters}
          - repeat:
              count: $stride
              layers:
                - relu
    data:
      format: idx
      train: {images: ../Data/train-images, labels: "12"}
      scale: 0.5
      classes: 10
    augment:
      - {random_crop: {padding: 2}}
      - hflip
    loss: cross_entropy
    optimizer: {adam: {lr: 0.001, beta1: 0.5}}
    metrics: [accuracy, {top_k_accuracy: {k: 3}}]
    train:
      seed: 1
      schedule: {step: {every: 5}}
      early_stopping: {patience: 3}

    """
  #expect(SpecPrinter.yaml(spec) == expected)
}

/// What the author wrote without a label stays positional, and labels stay: `conv2d(6, kernel: 5)`
/// does not become `conv2d(6, 5)`, nor `adam(lr: 1e-3)` the YAML `{adam: 0.001}`.
@Test func keepsTheAuthorsPositionalAndLabelledArguments() throws {
  let text = """
    model m {
      input [1, 28, 28]
      conv2d(6, kernel: 5, padding: 2)
      maxpool(2)
      flatten
      dense(10)
    }
    optimizer adam(lr: 0.001)
    """
  let spec = try #require(parseSpec(text, syntax: .nnc).0)
  let nnc = SpecPrinter.nnc(spec)
  #expect(nnc.contains("conv2d(6, kernel: 5, padding: 2)"))
  #expect(nnc.contains("maxpool(2)"))
  #expect(nnc.contains("optimizer adam(lr: 0.001)"))
  let yaml = SpecPrinter.yaml(spec)
  #expect(yaml.contains("optimizer: {adam: {lr: 0.001}}"))
  #expect(yaml.contains("- dense: 10"))
}

@Test func printsAnEmptySpecSoItReadsBack() throws {
  let empty = Spec(file: "empty")
  #expect(SpecPrinter.nnc(empty) == "")
  #expect(SpecPrinter.yaml(empty) == "{}\n")
  let (spec, diagnostics) = parseSpec(SpecPrinter.yaml(empty), syntax: .yaml)
  #expect(diagnostics.isEmpty)
  #expect(spec == empty)
}

@Test func formatsDoublesAsFloatsThatReadBackExactly() throws {
  #expect(SpecPrinter.format(1.0, yamlStyle: false) == "1.0")
  #expect(SpecPrinter.format(1e-5, yamlStyle: false) == "1e-5")
  #expect(SpecPrinter.format(1e-5, yamlStyle: true) == "1.0e-5")
  #expect(SpecPrinter.format(2.5e20, yamlStyle: false) == "2.5e20")
  #expect(SpecPrinter.format(2.5e20, yamlStyle: true) == "2.5e+20")
  #expect(SpecPrinter.format(-0.125, yamlStyle: true) == "-0.125")
  let values: [Double] = [
    0.1, 0.1 + 0.2, 1.0 / 3.0, -7.0, 1e16, 123_456_789.123, .leastNonzeroMagnitude, -.greatestFiniteMagnitude,
    .ulpOfOne, 1.0 / 255.0,
  ]
  for number in values {
    for syntax in [SpecLoader.Syntax.nnc, .yaml] {
      let spec = Spec(train: Expr(.double(number), at: .unknown), file: "x")
      let (parsed, diagnostics) = parseSpec(printSpec(spec, as: syntax), syntax: syntax)
      #expect(diagnostics.isEmpty)
      guard case .double(let read) = parsed?.train?.kind else {
        Issue.record("\(number) did not read back as a double in \(syntax.rawValue)")
        continue
      }
      #expect(read.bitPattern == number.bitPattern, "\(number) in \(syntax.rawValue)")
    }
  }
}

@Test func quotesStringsThatWouldBeMisread() {
  let text = { (word: String) in SpecPrinter.yaml(Spec(train: Expr(.string(word), at: .unknown), file: "x")) }
  for word in [
    "", "true", "No", "null", "~", "12", "-3", "1e-3", ".5", "$x", "a: b", "x #y", "a,b", "[x]", "-",
  ] {
    #expect(text(word).hasPrefix("train: \""), "\(word)")
  }
  for word in ["relu", "same", "../Data/train-images", "glorot_uniform"] {
    #expect(text(word) == "train: \(word)\n")
  }
  #expect(text("tab\there \"q\" \\ \u{2028}") == "train: \"tab\\there \\\"q\\\" \\\\ \\u2028\"\n")

  let dsl = { (word: String) in SpecPrinter.nnc(Spec(train: Expr(.string(word), at: .unknown), file: "x")) }
  for word in ["relu", "same", "_x1"] {
    #expect(dsl(word) == "train \(word)\n")
  }
  for word in ["", "true", "false", "12", "has space", "a-b", "über"] {
    #expect(dsl(word).hasPrefix("train \""), "\(word)")
  }
  #expect(dsl("line\nbreak \"q\" \\ \u{1}") == "train \"line\\nbreak \\\"q\\\" \\\\ \\u{1}\"\n")
}

@Test func quotesLayerNamesThatAreKeywordsAndStringsThatNameParameters() throws {
  let call = { (name: String, value: Expr.Kind) in
    Layer(
      .call(
        Call(
          name: name,
          arguments: [Argument(label: "x", labelLocation: .unknown, value: Expr(value, at: .unknown))],
          at: .unknown)), at: .unknown)
  }
  let spec = Spec(
    blocks: [
      BlockDecl(
        name: "b", parameters: [BlockParameter(name: "size", defaultValue: nil, at: .unknown)],
        layers: [
          call("residual", .string("size")), call("input", .reference("size")),
          call("my layer", .reference("other")),
        ], at: .unknown)
    ], file: "x")
  #expect(
    SpecPrinter.nnc(spec) == """
      block b(size) {
        "residual"(x: "size")
        "input"(x: size)
        "my layer"(x: $other)
      }

      """)
}

@Test func jsonQuotingEscapesControlCharactersAsUnicode() {
  #expect(jsonQuoted("a\"b\\c\nd\u{1}\0é") == #""a\"b\\c\nd\u0001\u0000é""#)
}
