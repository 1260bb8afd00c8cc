import Foundation

/// A value computed at import: float data, or int64 data in which `nil` stands for the batch size,
/// which is known only when the model runs (`Shape` of a value gives it as its first element).
enum ONNXFoldedValue {
  case floats(dims: [Int], values: [Float])
  case ints(dims: [Int], values: [Int64?])
  /// `Shape` of a value whose sizes after the batch are not declared: only its first element (the
  /// batch) is known.
  case batchLeadingShape

  init?(_ constant: ONNXConstant) {
    // An empty tensor is taken as an empty shape list, the only use exporters make of one.
    if constant.count == 0 {
      self = .ints(dims: constant.dims, values: [])
    } else if constant.floats.count == constant.count {
      self = .floats(dims: constant.dims, values: constant.floats)
    } else if constant.int64s.count == constant.count {
      self = .ints(dims: constant.dims, values: constant.int64s.map { $0 })
    } else {
      return nil
    }
  }

  var dims: [Int]? {
    switch self {
    case .floats(let dims, _), .ints(let dims, _): return dims
    case .batchLeadingShape: return nil
    }
  }

  /// The int values, each known (no batch among them).
  var knownInts: [Int64]? {
    guard case .ints(_, let values) = self, values.allSatisfy({ $0 != nil }) else { return nil }
    return values.map { $0! }
  }

  /// The value with `dims` in place of its shape (same data).
  func reshaped(_ dims: [Int]) -> ONNXFoldedValue? {
    switch self {
    case .floats(_, let values): return .floats(dims: dims, values: values)
    case .ints(_, let values): return .ints(dims: dims, values: values)
    case .batchLeadingShape: return nil
    }
  }
}

/// Evaluates the nodes PyTorch's and other exporters emit to compute shapes and constants
/// (`Shape` → `Gather` → `Unsqueeze` → `Concat` before a `Reshape`, `ConstantOfShape`, `Cast`,
/// arithmetic on sizes): each node whose inputs are all known is computed once at import. A node
/// that cannot be computed (data only known at run time) is left for the importer to map or refuse.
struct ONNXConstantFolding {
  /// The shape a value is declared with, the batch (first) dimension as nil; nil when undeclared,
  /// or when a later dimension is not a fixed size.
  let declaredShape: (String) -> [Int64?]?
  let opset: Int

  /// The outputs of `node` computed from `inputs` (nil for an empty optional input), or nil when
  /// the node is not a constant computation.
  func evaluate(_ node: Onnx_NodeProto, _ inputs: [ONNXFoldedValue?]) throws -> ONNXFoldedValue? {
    let attributes = try ONNXAttributes(node)
    if node.opType == "Shape" {
      guard let name = node.input.first else { return nil }
      return try shape(of: name, attributes)
    }
    if node.opType == "Constant" { return try constantNode(node) }
    // Every other op computes from known inputs only.
    let present = node.input.enumerated().filter { !$0.element.isEmpty }
    guard !present.isEmpty, present.allSatisfy({ inputs[$0.offset] != nil }), let first = inputs.first ?? nil
    else { return nil }
    switch node.opType {
    case "Identity":
      return first
    case "Gather":
      return try gather(first, inputs.count > 1 ? inputs[1] : nil, axis: attributes.int("axis", default: 0))
    case "Unsqueeze", "Squeeze":
      let axes =
        try opset >= 13
        ? (inputs.count > 1 ? inputs[1]?.knownInts.map { $0.map(Int.init) } : nil)
        : attributes.ints("axes")
      return try squeezing(first, axes: axes, insert: node.opType == "Unsqueeze")
    case "Concat":
      return concat(inputs.compactMap { $0 }, axis: try attributes.int("axis", default: 0))
    case "Cast":
      return cast(first, to: try attributes.int("to", default: 1))
    case "ConstantOfShape":
      return try constantOfShape(first, node)
    case "Reshape":
      guard inputs.count > 1, let target = inputs[1]?.knownInts, let dims = first.dims else { return nil }
      guard let shape = Self.resolvedShape(target, input: dims) else { return nil }
      return first.reshaped(shape)
    case "Slice":
      return try slice(first, inputs, attributes)
    case "Add", "Sub", "Mul", "Div":
      guard inputs.count == 2, let second = inputs[1] else { return nil }
      return arithmetic(node.opType, first, second)
    default:
      return nil
    }
  }

  private func constantNode(_ node: Onnx_NodeProto) throws -> ONNXFoldedValue? {
    for attribute in node.attribute {
      switch attribute.name {
      case "value": return try ONNXFoldedValue(ONNXConstant(attribute.t))
      case "value_float": return .floats(dims: [], values: [attribute.f])
      case "value_floats": return .floats(dims: [attribute.floats.count], values: attribute.floats)
      case "value_int": return .ints(dims: [], values: [attribute.i])
      case "value_ints": return .ints(dims: [attribute.ints.count], values: attribute.ints.map { $0 })
      default: continue
      }
    }
    return nil
  }

  private func shape(of value: String, _ attributes: ONNXAttributes) throws -> ONNXFoldedValue? {
    let start = try attributes.int("start", default: 0)
    guard let declared = declaredShape(value) else {
      let end = try attributes.int("end", default: Int(Int32.max))
      return start == 0 && end >= 1 ? .batchLeadingShape : nil
    }
    let rank = declared.count
    let end = try attributes.int("end", default: rank)
    let from = min(max(start < 0 ? start + rank : start, 0), rank)
    let to = min(max(end < 0 ? end + rank : end, 0), rank)
    let values = from < to ? Array(declared[from..<to]) : []
    return .ints(dims: [values.count], values: values)
  }

  private func gather(_ data: ONNXFoldedValue, _ indices: ONNXFoldedValue?, axis: Int) throws
    -> ONNXFoldedValue?
  {
    guard axis == 0, let indices, let positions = indices.knownInts, let indexDims = indices.dims else {
      return nil
    }
    if case .batchLeadingShape = data {
      // Only the batch, the first element, is known.
      guard positions == [0] else { return nil }
      return .ints(dims: indexDims, values: [nil])
    }
    guard let dims = data.dims, dims.count == 1 else { return nil }
    let count = dims[0]
    var chosen: [Int] = []
    for position in positions {
      let index = position < 0 ? Int(position) + count : Int(position)
      guard (0..<count).contains(index) else { return nil }
      chosen.append(index)
    }
    switch data {
    case .floats(_, let values): return .floats(dims: indexDims, values: chosen.map { values[$0] })
    case .ints(_, let values): return .ints(dims: indexDims, values: chosen.map { values[$0] })
    case .batchLeadingShape: return nil
    }
  }

  private func squeezing(_ data: ONNXFoldedValue, axes: [Int]?, insert: Bool) throws -> ONNXFoldedValue? {
    guard let dims = data.dims else { return nil }
    if insert {
      guard let axes else { return nil }
      let rank = dims.count + axes.count
      let positions = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
      guard positions.count == axes.count, positions.allSatisfy({ (0..<rank).contains($0) }) else {
        return nil
      }
      var remaining = dims[...]
      let shape = (0..<rank).map { positions.contains($0) ? 1 : remaining.popFirst() ?? 1 }
      return data.reshaped(shape)
    }
    let positions = Set((axes ?? dims.indices.filter { dims[$0] == 1 }).map { $0 < 0 ? $0 + dims.count : $0 })
    guard positions.allSatisfy({ dims.indices.contains($0) && dims[$0] == 1 }) else { return nil }
    return data.reshaped(dims.indices.filter { !positions.contains($0) }.map { dims[$0] })
  }

  private func concat(_ parts: [ONNXFoldedValue], axis: Int) -> ONNXFoldedValue? {
    guard axis == 0 || axis == -1, parts.allSatisfy({ $0.dims?.count == 1 }) else { return nil }
    if parts.allSatisfy({ if case .ints = $0 { true } else { false } }) {
      let values = parts.flatMap { part -> [Int64?] in if case .ints(_, let v) = part { v } else { [] } }
      return .ints(dims: [values.count], values: values)
    }
    if parts.allSatisfy({ if case .floats = $0 { true } else { false } }) {
      let values = parts.flatMap { part -> [Float] in if case .floats(_, let v) = part { v } else { [] } }
      return .floats(dims: [values.count], values: values)
    }
    return nil
  }

  private func cast(_ data: ONNXFoldedValue, to type: Int) -> ONNXFoldedValue? {
    let float = Onnx_TensorProto.DataType.float.rawValue
    let integers = [Onnx_TensorProto.DataType.int64.rawValue, Onnx_TensorProto.DataType.int32.rawValue]
    switch data {
    case .ints(let dims, _):
      if integers.contains(type) { return data }
      guard type == float, let known = data.knownInts else { return nil }
      return .floats(dims: dims, values: known.map { Float($0) })
    case .floats(let dims, let values):
      if type == float { return data }
      guard integers.contains(type), values.allSatisfy({ $0.isFinite && abs($0) < 1e15 }) else { return nil }
      return .ints(dims: dims, values: values.map { Int64($0.rounded(.towardZero)) })
    case .batchLeadingShape:
      return integers.contains(type) ? data : nil
    }
  }

  private func constantOfShape(_ shape: ONNXFoldedValue, _ node: Onnx_NodeProto) throws -> ONNXFoldedValue? {
    // Up to 2^27 values (512 MB): the largest weight of VGG-19, its first dense layer, has 102.8 million.
    guard let sizes = shape.knownInts, sizes.allSatisfy({ $0 >= 0 && $0 <= 1 << 27 }) else { return nil }
    let dims = sizes.map { Int($0) }
    guard let count = CheckedProduct.of(dims), count <= 1 << 27 else { return nil }
    var fill = ONNXFoldedValue.floats(dims: [1], values: [0])
    if let value = node.attribute.first(where: { $0.name == "value" }), value.hasT {
      guard let folded = ONNXFoldedValue(try ONNXConstant(value.t)) else { return nil }
      fill = folded
    }
    switch fill {
    case .floats(_, let values) where values.count == 1:
      return .floats(dims: dims, values: [Float](repeating: values[0], count: count))
    case .ints(_, let values) where values.count == 1:
      return .ints(dims: dims, values: [Int64?](repeating: values[0], count: count))
    default:
      return nil
    }
  }

  private func slice(_ data: ONNXFoldedValue, _ inputs: [ONNXFoldedValue?], _ attributes: ONNXAttributes)
    throws -> ONNXFoldedValue?
  {
    guard let dims = data.dims, dims.count == 1 else { return nil }
    let starts: [Int64]
    let ends: [Int64]
    var steps: [Int64] = [1]
    if opset >= 10 {
      guard inputs.count >= 3, let s = inputs[1]?.knownInts, let e = inputs[2]?.knownInts else { return nil }
      (starts, ends) = (s, e)
      if inputs.count > 3, let axes = inputs[3]?.knownInts, axes != [0], axes != [-1] { return nil }
      if inputs.count > 4, let given = inputs[4]?.knownInts { steps = given }
    } else {
      guard let s = try attributes.ints("starts"), let e = try attributes.ints("ends") else { return nil }
      (starts, ends) = (s.map(Int64.init), e.map(Int64.init))
    }
    guard starts.count == 1, ends.count == 1, steps == [1] else { return nil }
    let count = Int64(dims[0])
    func clamp(_ value: Int64) -> Int { Int(min(max(value < 0 ? value + count : value, 0), count)) }
    let range = clamp(starts[0])..<max(clamp(starts[0]), clamp(ends[0]))
    switch data {
    case .floats(_, let values): return .floats(dims: [range.count], values: Array(values[range]))
    case .ints(_, let values): return .ints(dims: [range.count], values: Array(values[range]))
    case .batchLeadingShape: return nil
    }
  }

  private func arithmetic(_ op: String, _ a: ONNXFoldedValue, _ b: ONNXFoldedValue) -> ONNXFoldedValue? {
    guard let dimsA = a.dims, let dimsB = b.dims else { return nil }
    let countA = dimsA.reduce(1, *)
    let countB = dimsB.reduce(1, *)
    // Equal shapes, or one side a single value.
    guard dimsA == dimsB || countA == 1 || countB == 1 else { return nil }
    let dims = countA >= countB ? dimsA : dimsB
    let count = max(countA, countB)
    switch (a, b) {
    case (.floats(_, let x), .floats(_, let y)):
      let values = (0..<count).map { index -> Float in
        let (l, r) = (x[countA == 1 ? 0 : index], y[countB == 1 ? 0 : index])
        switch op {
        case "Add": return l + r
        case "Sub": return l - r
        case "Mul": return l * r
        default: return l / r
        }
      }
      return .floats(dims: dims, values: values)
    case (.ints, .ints):
      guard let x = a.knownInts, let y = b.knownInts else { return nil }
      var values: [Int64?] = []
      for index in 0..<count {
        let (l, r) = (x[countA == 1 ? 0 : index], y[countB == 1 ? 0 : index])
        let (result, overflow): (Int64, Bool)
        switch op {
        case "Add": (result, overflow) = l.addingReportingOverflow(r)
        case "Sub": (result, overflow) = l.subtractingReportingOverflow(r)
        case "Mul": (result, overflow) = l.multipliedReportingOverflow(by: r)
        default:
          guard r != 0 else { return nil }
          // Sizes only: for non-negative operands every rounding convention agrees.
          guard l >= 0, r > 0 else { return nil }
          (result, overflow) = (l / r, false)
        }
        guard !overflow else { return nil }
        values.append(result)
      }
      return .ints(dims: dims, values: values)
    default:
      return nil
    }
  }

  /// `target` with ONNX Reshape's 0 (copy) and -1 (the rest) resolved against `input`.
  static func resolvedShape(_ target: [Int64], input: [Int]) -> [Int]? {
    var shape: [Int] = []
    var inferred: Int?
    for (position, size) in target.enumerated() {
      switch size {
      case 0:
        guard position < input.count else { return nil }
        shape.append(input[position])
      case -1:
        guard inferred == nil else { return nil }
        inferred = position
        shape.append(1)
      case 1...(1 << 31):
        shape.append(Int(size))
      default:
        return nil
      }
    }
    guard let total = CheckedProduct.of(input), let known = CheckedProduct.of(shape) else { return nil }
    if let inferred {
      guard known > 0, total % known == 0 else { return nil }
      shape[inferred] = total / known
    }
    return CheckedProduct.of(shape) == total ? shape : nil
  }
}
