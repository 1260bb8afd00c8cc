import NNCGraph
import NNCSpec

/// Something to fuzz: a function of bytes that must return (with or without diagnostics) and never
/// trap or hang, with the tokens its mutator splices in and the folder of its seed corpus.
public struct FuzzTarget: Sendable {
  public let name: String
  /// Byte strings the mutator splices in: keywords, magic numbers, edge-case words.
  public let tokens: [[UInt8]]
  public let run: @Sendable ([UInt8]) -> Void

  public init(name: String, tokens: [[UInt8]], run: @escaping @Sendable ([UInt8]) -> Void) {
    self.name = name
    self.tokens = tokens
    self.run = run
  }

  public init(name: String, dictionary: [String], run: @escaping @Sendable ([UInt8]) -> Void) {
    self.init(name: name, tokens: dictionary.map { Array($0.utf8) }, run: run)
  }

  /// The spec front ends (with lowering and everything `nnc check` derives from a graph), then the
  /// data and checkpoint readers.
  public static let all = [yaml, dsl, overrides] + readers + [onnx]

  public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

  static let specTokens: [String] = {
    var tokens = Array(Vocabulary.layers.keys).sorted() + Vocabulary.structuralKeywords + Vocabulary.sections
    tokens += Vocabulary.trainSchema.keys.map(\.name) + Vocabulary.dataSchema.keys.map(\.name)
    tokens +=
      Vocabulary.optimizers.map(\.name) + Vocabulary.schedules.map(\.name) + Vocabulary.metrics.map(\.name)
    tokens += [
      "filters", "kernel", "stride", "padding", "dilation", "same", "valid", "units", "input", "count",
      "size", "scale", "groups", "depth_multiplier", "block", "model", "{", "}", "[", "]", "(", ")", ":",
      ",", "-", "\n", "\n  ", "\n    - ", "$", "&a", "*a", "#", "\"", "'", "=", "~", "!!str",
    ]
    return tokens
  }()

  public static let yaml = FuzzTarget(name: "yaml", dictionary: specTokens) { bytes in
    checkSpec(text: String(decoding: bytes, as: UTF8.self), path: "fuzz.yaml", overrides: [])
  }

  public static let dsl = FuzzTarget(name: "dsl", dictionary: specTokens) { bytes in
    checkSpec(text: String(decoding: bytes, as: UTF8.self), path: "fuzz.nnc", overrides: [])
  }

  /// `--set` lines applied to a small complete spec: each line of the input is one override.
  public static let overrides = FuzzTarget(
    name: "set",
    dictionary: specTokens + [
      "train.", "data.", "model.input=", "optimizer.", "loss.", "metrics=", "augment=",
    ]
  ) { bytes in
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    checkSpec(text: baseSpec, path: "base.yaml", overrides: lines)
  }

  static let baseSpec = """
    model:
      input: [1, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 3, padding: same, activation: relu}
        - maxpool: 2
        - flatten
        - dense: 10
    loss: cross_entropy
    optimizer: {adam: {lr: 0.001}}
    metrics: [accuracy]
    train: {epochs: 2, batch_size: 4, schedule: cosine, warmup_epochs: 1}
    """

  /// What `nnc check` does with a spec: parse, apply overrides, lower, summarize, optimize for both
  /// modes, plan memory, print, and render the diagnostics with their excerpts.
  static func checkSpec(text: String, path: String, overrides: [String]) {
    var (spec, diagnostics) = SpecLoader.parse(text: text, path: path)
    var sources = [path: text]
    if var loaded = spec, !overrides.isEmpty {
      var bag = DiagnosticBag()
      let parsed = overrides.enumerated().compactMap { index, line in
        Override.parse(line, index: index + 1, diagnostics: &bag)
      }
      loaded = loaded.applying(parsed, diagnostics: &bag)
      diagnostics += bag.diagnostics
      sources[Override.pseudoFile] = Override.pseudoFileText(overrides)
      spec = loaded
    }
    if let spec {
      _ = SpecPrinter.nnc(spec)
      _ = SpecPrinter.yaml(spec)
      let lowered = Lowering.lower(spec)
      diagnostics += lowered.diagnostics
      if let graph = lowered.graph {
        exercise(graph, batchSize: spec.train.flatMap(batchSize) ?? 32)
      }
    }
    _ = DiagnosticRenderer(sources: sources).render(diagnostics)
  }

  static func batchSize(_ train: Expr) -> Int? {
    guard case .map(let entries) = train.kind,
      case .int(let value) = entries.first(where: { $0.key == "batch_size" })?.value.kind
    else { return nil }
    return value
  }

  static func exercise(_ graph: Graph, batchSize: Int) {
    _ = ModelSummary(graph: graph, batchSize: batchSize)
    _ = IRPrinter.print(graph)
    for mode in GraphMode.allCases {
      guard let optimized = try? PassManager.optimize(graph, mode: mode) else { continue }
      let plan = MemoryPlanner.plan(optimized, mode: mode, batchSize: batchSize, reuse: true)
      _ = MemoryPlanPrinter.print(plan, graph: optimized)
    }
  }
}
