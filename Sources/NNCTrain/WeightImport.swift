import Foundation
import NNCGraph
import NNCRuntime

/// `train.init`: a safetensors file (an nnc checkpoint, or weights exported from PyTorch or Keras),
/// rename rules that map the file's tensor names onto the model's parameter names, and the file's
/// weight layout.
public struct WeightImportSettings: Sendable, Equatable {
  /// A regular expression and its replacement template (`$1` names the first captured group).
  public struct RenameRule: Sendable, Equatable {
    public var pattern: String
    public var replacement: String

    public init(pattern: String, replacement: String) {
      self.pattern = pattern
      self.replacement = replacement
    }
  }

  /// How the file stores weights. nnc and PyTorch agree: convolutions `[out, in, kh, kw]`, dense
  /// layers `[out, in]`. Keras stores `[kh, kw, in, out]` and `[in, out]`.
  public enum Layout: String, Sendable, Equatable {
    case nnc
    case pytorch
    case keras
  }

  public var path: String
  public var rename: [RenameRule]
  /// Shape mismatches and parameters the file does not provide are errors instead of notes.
  public var strict: Bool
  public var layout: Layout

  public init(path: String, rename: [RenameRule] = [], strict: Bool = false, layout: Layout = .nnc) {
    self.path = path
    self.rename = rename
    self.strict = strict
    self.layout = layout
  }
}

/// What `train.init` did with every tensor of the file and every parameter of the model.
public struct TransferReport: Sendable, Equatable {
  public enum Status: Sendable, Equatable {
    /// Copied into the parameter; `conversion` says how the layout was changed, if it was.
    case loaded(conversion: String?)
    /// The names matched but the shapes did not (a new head with another number of classes).
    case skipped(reason: String)
    /// A tensor of the file that no parameter takes (after renaming).
    case unused
    /// A parameter of the model that the file does not provide: left at its initializer.
    case initializer
  }

  public struct Entry: Sendable, Equatable {
    /// The tensor's name in the file, nil for a parameter the file lacks.
    public var tensor: String?
    /// The parameter it maps to, nil for an unused tensor.
    public var parameter: String?
    public var shape: [Int]
    public var status: Status
  }

  public var path: String
  public var entries: [Entry]

  public var loaded: [String] {
    entries.compactMap { if case .loaded = $0.status { $0.parameter } else { nil } }
  }
  public var skipped: [String] {
    entries.compactMap { if case .skipped = $0.status { $0.parameter } else { nil } }
  }
  /// Parameters left at their initializer: those the file lacks and those skipped.
  public var fresh: [String] {
    entries.compactMap {
      switch $0.status {
      case .skipped, .initializer: return $0.parameter
      default: return nil
      }
    }
  }
  public var unused: [String] {
    entries.compactMap { if case .unused = $0.status { $0.tensor } else { nil } }
  }

  /// The table `nnc train` prints: one row per tensor and parameter, then the counts.
  public var table: String {
    func shape(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ",") + "]" }
    let rows = entries.map { entry -> [String] in
      let status: String
      switch entry.status {
      case .loaded(let conversion): status = "loaded" + (conversion.map { " (\($0))" } ?? "")
      case .skipped(let reason): status = "skipped: " + reason
      case .unused: status = "unused: no parameter of that name"
      case .initializer: status = "initializer: not in the file"
      }
      return [entry.tensor ?? "-", entry.parameter ?? "-", shape(entry.shape), status]
    }
    let header = ["tensor in file", "parameter", "shape", "status"]
    let widths = (0..<3).map { column in (rows + [header]).map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      (0..<3).map { cells[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
        + cells[3]
    }
    var text = "initialization from \(path)\n" + line(header) + "\n"
    text += rows.map { line($0) + "\n" }.joined()
    text +=
      "loaded \(loaded.count), skipped \(skipped.count), left at their initializer "
      + "\(fresh.count - skipped.count), unused in the file \(unused.count)\n"
    return text
  }
}

/// Maps a file's tensors onto an executor's parameters by name (after the rename rules) and shape
/// (after the layout conversion), and copies them.
public enum WeightImport {
  /// Compiles the rename rules; a bad pattern names itself (`nnc check` reports it with its location).
  static func expressions(_ rules: [WeightImportSettings.RenameRule]) throws -> [NSRegularExpression] {
    try rules.map { rule in
      do {
        return try NSRegularExpression(pattern: rule.pattern)
      } catch {
        throw TrainError("train.init.rename: '\(rule.pattern)' is not a valid regular expression")
      }
    }
  }

  /// Applies every rule in order, each to the result of the previous one.
  public static func renamed(_ name: String, rules: [WeightImportSettings.RenameRule]) throws -> String {
    let expressions = try expressions(rules)
    return renamed(name, zip(rules, expressions).map { ($0.1, $0.0.replacement) })
  }

  static func renamed(_ name: String, _ rules: [(NSRegularExpression, String)]) -> String {
    var name = name
    for (expression, template) in rules {
      let range = NSRange(name.startIndex..., in: name)
      name = expression.stringByReplacingMatches(in: name, range: range, withTemplate: template)
    }
    return name
  }

  /// The tensor in nnc's layout (weights of dense layers and convolutions change in the Keras
  /// layout, nothing else), and what was converted.
  static func converted(
    _ tensor: Checkpoint.Parameter, layout: WeightImportSettings.Layout, isWeight: Bool,
    target: [Int]? = nil, flattened: [Int]? = nil
  ) -> (Checkpoint.Parameter, String?) {
    guard layout == .keras, isWeight else { return (tensor, nil) }
    let shape = tensor.shape
    if shape.count == 2, let flattened, flattened.count == 3, flattened.reduce(1, *) == shape[0] {
      return (
        kerasFlattenedDense(tensor, channels: flattened[0], height: flattened[1], width: flattened[2]),
        "transposed from keras [in,out], inputs reordered from a channels-last flatten"
      )
    }
    if shape.count == 4, let target, target.count == 4, target[1] == 1, shape[2] > 1,
      target == [shape[2] * shape[3], 1, shape[0], shape[1]]
    {
      return (kerasDepthwise(tensor), "transposed from keras depthwise [kh,kw,in,multiplier]")
    }
    if shape.count == 2 {
      // [in, out] -> [out, in]
      let (rows, columns) = (shape[0], shape[1])
      var values = [Float](repeating: 0, count: tensor.values.count)
      for row in 0..<rows {
        for column in 0..<columns { values[column * rows + row] = tensor.values[row * columns + column] }
      }
      return (Checkpoint.Parameter(shape: [columns, rows], values: values), "transposed from keras [in,out]")
    }
    if shape.count == 4 {
      // [kh, kw, in, out] -> [out, in, kh, kw]
      let (kh, kw, inputs, outputs) = (shape[0], shape[1], shape[2], shape[3])
      var values = [Float](repeating: 0, count: tensor.values.count)
      for y in 0..<kh {
        for x in 0..<kw {
          for i in 0..<inputs {
            for o in 0..<outputs {
              values[((o * inputs + i) * kh + y) * kw + x] =
                tensor.values[((y * kw + x) * inputs + i) * outputs + o]
            }
          }
        }
      }
      return (
        Checkpoint.Parameter(shape: [outputs, inputs, kh, kw], values: values),
        "transposed from keras [kh,kw,in,out]"
      )
    }
    return (tensor, nil)
  }

  /// A dense weight after a flatten: Keras flattens [H, W, C] samples, so its rows come in (h, w, c)
  /// order, nnc's columns in (c, h, w) order. [in, out] becomes [out, in] with the inputs reordered.
  static func kerasFlattenedDense(_ tensor: Checkpoint.Parameter, channels: Int, height: Int, width: Int)
    -> Checkpoint.Parameter
  {
    let outputs = tensor.shape[1]
    let inputs = channels * height * width
    var values = [Float](repeating: 0, count: tensor.values.count)
    for c in 0..<channels {
      for y in 0..<height {
        for x in 0..<width {
          let nncColumn = (c * height + y) * width + x
          let kerasRow = (y * width + x) * channels + c
          for o in 0..<outputs { values[o * inputs + nncColumn] = tensor.values[kerasRow * outputs + o] }
        }
      }
    }
    return Checkpoint.Parameter(shape: [outputs, inputs], values: values)
  }

  /// A depthwise kernel: Keras stores [kh, kw, in, multiplier], nnc [in · multiplier, 1, kh, kw] with
  /// output channel c · multiplier + j taking input channel c (as Keras orders its outputs).
  static func kerasDepthwise(_ tensor: Checkpoint.Parameter) -> Checkpoint.Parameter {
    let (kh, kw, inputs, multiplier) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
    var values = [Float](repeating: 0, count: tensor.values.count)
    for y in 0..<kh {
      for x in 0..<kw {
        for c in 0..<inputs {
          for j in 0..<multiplier {
            values[((c * multiplier + j) * kh + y) * kw + x] =
              tensor.values[((y * kw + x) * inputs + c) * multiplier + j]
          }
        }
      }
    }
    return Checkpoint.Parameter(shape: [inputs * multiplier, 1, kh, kw], values: values)
  }

  /// For every dense weight whose input is a flattened [C, H, W] value, that sample shape (the
  /// flatten may have been folded away by the optimizer, leaving the dense layer a 3-D input).
  static func flattenedInputs(_ graph: Graph) -> [String: [Int]] {
    let producers = graph.producers
    var result: [String: [Int]] = [:]
    for node in graph.nodes {
      guard case .dense = node.op, let input = node.inputs.first else { continue }
      var sample = graph.shape(of: input).sample
      if sample.count != 3, let producer = producers[input.index], case .flatten = graph.nodes[producer].op,
        let source = graph.nodes[producer].inputs.first
      {
        sample = graph.shape(of: source).sample
      }
      guard sample.count == 3 else { continue }
      for parameter in node.parameters where parameter.role == .weight { result[parameter.name] = sample }
    }
    return result
  }

  /// Reads the file, matches and copies; throws under `strict` for a skipped or missing parameter,
  /// and always when nothing at all matched.
  @discardableResult
  public static func apply(_ settings: WeightImportSettings, to executor: Executor) throws -> TransferReport {
    executor.parametersChanged()
    let checkpoint = try Checkpoint.read(from: settings.path)
    let rules = zip(try expressions(settings.rename), settings.rename).map { ($0.0, $0.1.replacement) }
    var byParameter: [String: (tensor: String, value: Checkpoint.Parameter)] = [:]
    var report = TransferReport(path: settings.path, entries: [])
    var unused: [TransferReport.Entry] = []
    for name in checkpoint.parameters.keys.sorted() {
      let target = renamed(name, rules)
      if let earlier = byParameter[target] {
        throw TrainError(
          "\(settings.path): tensors '\(earlier.tensor)' and '\(name)' are both renamed to '\(target)'")
      }
      byParameter[target] = (name, checkpoint.parameters[name]!)
    }
    var taken: Set<String> = []
    let flattened = settings.layout == .keras ? flattenedInputs(executor.graph) : [:]
    for slot in executor.parameterLayout {
      let info = slot.info
      guard let (tensor, value) = byParameter[info.name] else {
        report.entries.append(
          .init(tensor: nil, parameter: info.name, shape: info.shape, status: .initializer))
        continue
      }
      taken.insert(info.name)
      let (converted, conversion) = converted(
        value, layout: settings.layout, isWeight: info.role == .weight, target: info.shape,
        flattened: flattened[info.name])
      guard converted.shape == info.shape, converted.values.count == info.count else {
        let reason =
          "the file has \(converted.shape), the model \(info.shape)"
          + (conversion.map { " (\($0))" } ?? "")
        report.entries.append(
          .init(tensor: tensor, parameter: info.name, shape: info.shape, status: .skipped(reason: reason)))
        continue
      }
      let buffer = executor.parameter(slot)
      converted.values.withUnsafeBufferPointer {
        buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
      }
      report.entries.append(
        .init(
          tensor: tensor, parameter: info.name, shape: info.shape, status: .loaded(conversion: conversion)))
    }
    for (target, source) in byParameter.sorted(by: { $0.value.tensor < $1.value.tensor })
    where !taken.contains(target) {
      unused.append(.init(tensor: source.tensor, parameter: nil, shape: source.value.shape, status: .unused))
    }
    report.entries += unused
    guard !report.loaded.isEmpty else {
      throw TrainError(
        "\(settings.path): no tensor of the file matches a parameter of this model by name and shape "
          + "(the model's names are shown by 'nnc check'; map the file's names with train.init.rename)")
    }
    if settings.strict, !report.fresh.isEmpty {
      let problems = report.entries.compactMap { entry -> String? in
        switch entry.status {
        case .skipped(let reason): return "'\(entry.parameter ?? "")' skipped: \(reason)"
        case .initializer: return "'\(entry.parameter ?? "")' is not in the file"
        default: return nil
        }
      }
      throw TrainError(
        "\(settings.path): train.init is strict, but " + problems.joined(separator: "; "))
    }
    return report
  }
}
