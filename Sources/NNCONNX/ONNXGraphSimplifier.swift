import Foundation

/// Rewrites applied before the import walks the graph, each to a graph the layer mapping already
/// reads: constant subgraphs (shape computations, `ConstantOfShape`, `Constant`) are computed and
/// become initializers, an n-ary `Sum` becomes a chain of `Add`s (nested residuals), and a run of
/// `Transpose`/`Squeeze`/`Unsqueeze`/`Reshape`/`Flatten` after a pool that only reshapes [N, C, 1, 1]
/// to [N, C] becomes one `Flatten`.
enum ONNXGraphSimplifier {
  static func simplify(_ graph: Onnx_GraphProto, opset: Int) throws -> Onnx_GraphProto {
    var result = try foldConstants(graph, opset: opset)
    result.node = splitSums(result.node)
    generalizeFixedBatchReshapes(&result)
    try foldLayoutRuns(&result)
    return result
  }

  /// The shape `value` is declared with (input, output or value_info); the first dimension is the
  /// batch (nil); nil when a later dimension is not a fixed size.
  static func declaredShape(_ graph: Onnx_GraphProto, _ value: String) -> [Int64?]? {
    guard
      let info = graph.input.first(where: { $0.name == value })
        ?? graph.valueInfo.first(where: { $0.name == value })
        ?? graph.output.first(where: { $0.name == value }),
      info.type.tensorType.hasShape
    else { return nil }
    var shape: [Int64?] = []
    for (position, dimension) in info.type.tensorType.shape.dim.enumerated() {
      if position == 0 {
        shape.append(nil)
      } else if case .dimValue(let size) = dimension.value, size >= 0 {
        shape.append(size)
      } else {
        return nil
      }
    }
    return shape
  }

  // MARK: Constant subgraphs

  static func foldConstants(_ graph: Onnx_GraphProto, opset: Int) throws -> Onnx_GraphProto {
    let folding = ONNXConstantFolding(declaredShape: { declaredShape(graph, $0) }, opset: opset)
    var known: [String: ONNXFoldedValue] = [:]
    var initializerNames: Set<String> = []
    for tensor in graph.initializer {
      initializerNames.insert(tensor.name)
      if let constant = try? ONNXConstant(tensor), let value = ONNXFoldedValue(constant) {
        known[tensor.name] = value
      }
    }
    var kept: [Onnx_NodeProto] = []
    for node in graph.node {
      guard node.output.count == 1, node.domain.isEmpty || node.domain == "ai.onnx",
        let value = try folding.evaluate(node, node.input.map { $0.isEmpty ? nil : known[$0] })
      else {
        kept.append(node)
        continue
      }
      known[node.output[0]] = value
    }
    guard kept.count < graph.node.count else { return graph }
    // The computed values that remaining nodes or the graph's output read become initializers.
    var result = graph
    result.node = kept
    var written: Set<String> = initializerNames
    var readers: [(name: String, node: Onnx_NodeProto?, position: Int)] = []
    for node in kept {
      for (position, input) in node.input.enumerated() { readers.append((input, node, position)) }
    }
    for output in graph.output { readers.append((output.name, nil, 0)) }
    for (name, node, position) in readers where !written.contains(name) {
      guard let value = known[name] else { continue }
      result.initializer.append(try tensor(name, value, readBy: node, at: position))
      written.insert(name)
    }
    return result
  }

  /// A computed value as an initializer. The batch size may appear only as the first size of a
  /// `Reshape`'s target, where ONNX's 0 (copy the input's size) means the same.
  static func tensor(_ name: String, _ value: ONNXFoldedValue, readBy node: Onnx_NodeProto?, at position: Int)
    throws -> Onnx_TensorProto
  {
    var tensor = Onnx_TensorProto()
    tensor.name = name
    switch value {
    case .floats(let dims, let values):
      tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
      tensor.dims = dims.map(Int64.init)
      tensor.floatData = values
    case .ints(let dims, let values):
      tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
      tensor.dims = dims.map(Int64.init)
      let batchOnlyFirst = values.dropFirst().allSatisfy { $0 != nil }
      if values.contains(where: { $0 == nil }) {
        guard let node, node.opType == "Reshape", position == 1, dims.count == 1, batchOnlyFirst,
          try ONNXAttributes(node).int("allowzero", default: 0) == 0
        else {
          throw ONNXImportError(
            "the value '\(name)'\(node.map { " read by \($0.opType) node '\($0.name)'" } ?? "") depends on the "
              + "batch size; nnc folds the batch size only into the first size of a Reshape's target")
        }
      }
      tensor.int64Data = values.map { $0 ?? 0 }
    case .batchLeadingShape:
      throw ONNXImportError(
        "the shape '\(name)'\(node.map { " read by \($0.opType) node '\($0.name)'" } ?? "") is of a value whose "
          + "sizes the graph does not declare; nnc folds shapes only of values with declared sizes")
    }
    return tensor
  }

  // MARK: Reshape at a fixed batch

  /// A graph exported at a fixed batch size b (Caffe2's and older exporters' models) flattens with
  /// `Reshape(x, [b, features])`: for the one batch the graph admits that is `Reshape(x, [0, -1])`,
  /// which nnc's flatten computes at any batch.
  static func generalizeFixedBatchReshapes(_ graph: inout Onnx_GraphProto) {
    let initializerNames = Set(graph.initializer.map(\.name))
    guard let input = graph.input.first(where: { !initializerNames.contains($0.name) }),
      case .dimValue(let batch) = input.type.tensorType.shape.dim.first?.value, batch >= 1
    else { return }
    for index in graph.node.indices where graph.node[index].opType == "Reshape" {
      let node = graph.node[index]
      guard node.input.count == 2,
        let target = graph.initializer.first(where: { $0.name == node.input[1] }),
        let constant = try? ONNXConstant(target), constant.int64s.count == 2, constant.dims == [2],
        constant.int64s[0] == batch, constant.int64s[1] >= 1
      else { continue }
      var flattened = Onnx_TensorProto()
      flattened.name = node.input[1] + "__any_batch"
      flattened.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
      flattened.dims = [2]
      flattened.int64Data = [0, -1]
      if !graph.initializer.contains(where: { $0.name == flattened.name }) {
        graph.initializer.append(flattened)
      }
      graph.node[index].input[1] = flattened.name
    }
  }

  // MARK: Sum

  /// `Sum` of n > 2 values as Add(Add(a, b), c)...: a residual nested in a residual's main branch
  /// adds each further branch. One value is the value itself.
  static func splitSums(_ nodes: [Onnx_NodeProto]) -> [Onnx_NodeProto] {
    var result: [Onnx_NodeProto] = []
    for node in nodes {
      let operands = node.input.filter { !$0.isEmpty }
      guard node.opType == "Sum", operands.count != 2, !operands.isEmpty, node.output.count == 1 else {
        result.append(node)
        continue
      }
      if operands.count == 1 {
        var identity = node
        identity.opType = "Identity"
        identity.input = operands
        result.append(identity)
        continue
      }
      var accumulated = operands[0]
      for index in 1..<operands.count {
        var add = Onnx_NodeProto()
        add.opType = "Add"
        add.name = index == 1 ? node.name : "\(node.name)_\(index)"
        add.input = [accumulated, operands[index]]
        accumulated = index == operands.count - 1 ? node.output[0] : "\(node.output[0])__sum\(index)"
        add.output = [accumulated]
        result.append(add)
      }
    }
    return result
  }

  // MARK: Reshaping after a pool

  /// A run of reshaping ops from a pool's [N, C, 1, 1] output to [N, C], each value read by the next
  /// op alone, becomes one `Flatten(axis=1)` (which the importer folds into a global pool). A
  /// `Transpose` in such a run that moves the data (not only axes of size 1) is refused.
  static func foldLayoutRuns(_ graph: inout Onnx_GraphProto) throws {
    var readers: [String: [Int]] = [:]
    for (index, node) in graph.node.enumerated() {
      for input in node.input where !input.isEmpty { readers[input, default: []].append(index) }
    }
    let outputs = Set(graph.output.map(\.name))
    let constants = Dictionary(
      graph.initializer.compactMap { tensor in (try? ONNXConstant(tensor)).map { (tensor.name, $0) } },
      uniquingKeysWith: { first, _ in first })
    var removed: Set<Int> = []
    var replacements: [Int: Onnx_NodeProto] = [:]
    for (index, node) in graph.node.enumerated() where !removed.contains(index) && replacements[index] == nil
    {
      guard node.output.count >= 1, let start = node.output.first, !start.isEmpty else { continue }
      let declared = declaredShape(graph, start)
      let isGlobalPool = node.opType == "GlobalAveragePool" || node.opType == "GlobalMaxPool"
      guard isGlobalPool || (declared?.count == 4 && declared?[2] == 1 && declared?[3] == 1) else { continue }
      var channels: Int64? = declared?.count == 4 ? declared?[1] : nil
      if channels == 0 { channels = nil }
      var layout = ONNXPooledLayout(dims: [.batch, .channels, .one, .one], channels: channels)
      var value = start
      var run: [Int] = []
      var flattenedRun: [Int] = []
      while !outputs.contains(value), let next = readers[value], next.count == 1,
        ONNXPooledLayout.reshapingOps.contains(graph.node[next[0]].opType),
        graph.node[next[0]].input[0] == value, !graph.node[next[0]].output.isEmpty
      {
        let op = graph.node[next[0]]
        guard let after = try layout.applying(op, constants: constants) else { break }
        layout = after
        run.append(next[0])
        value = op.output[0]
        if layout.isFlat { flattenedRun = run }
      }
      // A lone Flatten or Reshape is already the importer's pattern.
      guard let last = flattenedRun.last,
        flattenedRun.count > 1 || !["Flatten", "Reshape"].contains(graph.node[last].opType)
      else { continue }
      var flatten = Onnx_NodeProto()
      flatten.opType = "Flatten"
      flatten.name = graph.node[last].name
      flatten.input = [start]
      flatten.output = [graph.node[last].output[0]]
      flatten.attribute = [Attribute.int("axis", 1)]
      removed.formUnion(flattenedRun.dropLast())
      replacements[last] = flatten
    }
    guard !replacements.isEmpty else { return }
    graph.node = graph.node.enumerated().compactMap { index, node in
      removed.contains(index) ? nil : replacements[index] ?? node
    }
  }
}

/// The axes of a pooled value as reshaping ops move them: the batch, the channels, and axes of size 1.
struct ONNXPooledLayout {
  enum Axis: Equatable { case batch, channels, one }

  static let reshapingOps: Set<String> = ["Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten"]

  var dims: [Axis]
  /// The number of channels when the graph declares it.
  var channels: Int64?

  /// [N, C]: the value a dense layer reads.
  var isFlat: Bool { dims == [.batch, .channels] }

  /// The layout after `node`, nil when it is not one this tracks (the run ends there).
  func applying(_ node: Onnx_NodeProto, constants: [String: ONNXConstant]) throws -> ONNXPooledLayout? {
    let attributes = try ONNXAttributes(node)
    let rank = dims.count
    var result = self
    switch node.opType {
    case "Transpose":
      let perm = try attributes.ints("perm") ?? Array((0..<rank).reversed())
      guard perm.count == rank, Set(perm) == Set(0..<rank) else { return nil }
      result.dims = perm.map { dims[$0] }
      // Axes of size 1 may move freely; the batch and channels must keep their order.
      guard result.dims.filter({ $0 != .one }) == dims.filter({ $0 != .one }) else {
        throw ONNXImportError.unsupported(
          node, "its perm \(perm) moves the data of [N, C, 1, 1], not only axes of size 1",
          alternative: "flatten")
      }
    case "Squeeze", "Unsqueeze":
      var axes = try attributes.ints("axes")
      if axes == nil, node.input.count > 1, !node.input[1].isEmpty {
        guard let given = constants[node.input[1]], given.int64s.count == given.count else { return nil }
        axes = given.int64s.map { Int($0) }
      }
      if node.opType == "Squeeze" {
        let positions = Set(
          (axes ?? dims.indices.filter { dims[$0] == .one }).map { $0 < 0 ? $0 + rank : $0 })
        guard positions.allSatisfy({ dims.indices.contains($0) && dims[$0] == .one }) else { return nil }
        result.dims = dims.indices.filter { !positions.contains($0) }.map { dims[$0] }
      } else {
        guard let axes else { return nil }
        let newRank = rank + axes.count
        let positions = Set(axes.map { $0 < 0 ? $0 + newRank : $0 })
        guard positions.count == axes.count, positions.allSatisfy({ (0..<newRank).contains($0) }) else {
          return nil
        }
        var remaining = dims[...]
        result.dims = (0..<newRank).map { positions.contains($0) ? .one : remaining.popFirst() ?? .one }
      }
    case "Flatten":
      var axis = try attributes.int("axis", default: 1)
      if axis < 0 { axis += rank }
      guard (0...rank).contains(axis),
        let outer = Self.merged(Array(dims[..<axis])), let inner = Self.merged(Array(dims[axis...]))
      else { return nil }
      result.dims = [outer, inner]
    case "Reshape":
      guard node.input.count > 1, let target = constants[node.input[1]], target.int64s.count == target.count,
        try attributes.int("allowzero", default: 0) == 0
      else { return nil }
      guard let dims = reshaped(target.int64s) else { return nil }
      result.dims = dims
    default:
      return nil
    }
    // The batch and the channels stay in order, each exactly once.
    guard result.dims.filter({ $0 != .one }) == [.batch, .channels] else { return nil }
    return result
  }

  /// Axes merged into one: the one axis of size > 1 among them, or an axis of size 1.
  static func merged(_ axes: [Axis]) -> Axis? {
    let sized = axes.filter { $0 != .one }
    return sized.count <= 1 ? sized.first ?? .one : nil
  }

  /// The axes of a Reshape to `target` (0 copies the input's size, -1 takes the rest).
  func reshaped(_ target: [Int64]) -> [Axis]? {
    var result: [Axis?] = []
    var placed: [Axis] = []
    for (position, size) in target.enumerated() {
      switch size {
      case 0:
        guard position < dims.count else { return nil }
        result.append(dims[position])
        if dims[position] != .one { placed.append(dims[position]) }
      case -1:
        result.append(nil)
      case 1:
        result.append(.one)
      case 2...:
        // A size > 1 is the channels (the batch is never written as a number: it varies).
        guard channels == nil || channels == size else { return nil }
        result.append(.channels)
        placed.append(.channels)
      default:
        return nil
      }
    }
    let rest = dims.filter { $0 != .one && !placed.contains($0) }
    guard rest.count <= 1, result.filter({ $0 == nil }).count <= 1 else { return nil }
    return result.map { $0 ?? rest.first ?? .one }
  }
}
