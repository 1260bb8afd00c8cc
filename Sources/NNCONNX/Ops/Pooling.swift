import NNCGraph
import NNCSpec

/// `maxpool`, `avgpool` and their global forms. nnc's windows end inside the padded input (floor
/// division: `ceil_mode=0`) and its average leaves padding out (`count_include_pad=0`).
extension ONNXGraphExport {
  mutating func exportPool(_ node: Node, _ attributes: PoolAttributes) {
    let padding = attributes.padding
    var onnxAttributes = [
      Attribute.int("ceil_mode", 0),
      Attribute.ints("kernel_shape", [attributes.window.height, attributes.window.width]),
      Attribute.ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
      Attribute.ints("strides", [attributes.stride.height, attributes.stride.width]),
    ]
    let opType: String
    switch attributes.kind {
    case .max: opType = "MaxPool"
    case .average:
      opType = "AveragePool"
      onnxAttributes.insert(Attribute.int("count_include_pad", 0), at: 1)
    }
    let x = input(node.inputs[0])
    builder.node(
      opType, name: node.name, inputs: [x], outputs: [output(node.output, name: node.name)],
      attributes: onnxAttributes)
  }

  /// ONNX's global pools keep [N,C,1,1]; nnc's give [N,C], so a `Flatten` follows.
  mutating func exportGlobalPool(_ node: Node, _ kind: GlobalPoolKind) {
    let opType = kind == .max ? "GlobalMaxPool" : "GlobalAveragePool"
    let pooled = builder.tensorName(node.name + ":pooled")
    builder.node(opType, name: node.name, inputs: [input(node.inputs[0])], outputs: [pooled])
    builder.node(
      "Flatten", name: node.name + ":flatten", inputs: [pooled],
      outputs: [output(node.output, name: node.name)],
      attributes: [Attribute.int("axis", 1)])
  }
}

/// `MaxPool`/`AveragePool` back to `maxpool`/`avgpool` (symmetric pads; an average that counts
/// padding differs from nnc's, so only `count_include_pad=0` or no padding), and a global pool
/// followed by `Flatten`/`Reshape` back to `global_avgpool`/`global_maxpool`.
extension ONNXGraphImport {
  mutating func importPool(_ node: Onnx_NodeProto) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    let isMax = node.opType == "MaxPool"
    let op = isMax ? "maxpool" : "avgpool"
    guard let window = try attributes.ints("kernel_shape"), window.count == 2 else {
      throw ONNXImportError.unsupported(node, "it is not a 2-D pool", alternative: op)
    }
    let stride = try attributes.ints("strides") ?? [1, 1]
    let dilation = try attributes.ints("dilations") ?? [1, 1]
    guard stride.count == 2, dilation == [1, 1], node.output.count == 1 || node.output[1].isEmpty else {
      throw ONNXImportError.unsupported(node, "dilations or indices are not supported", alternative: op)
    }
    let pads = try Self.windowPads(
      node, attributes, kernel: window, stride: stride, dilation: dilation,
      inputSize: spatialSize(of: node.input[0]), alternative: "\(op) with explicit symmetric padding")
    var padding = Self.pair(pads[0], pads[1])
    var ceil = try attributes.int("ceil_mode", default: 0) != 0
    if pads[0] != pads[2] || pads[1] != pads[3] {
      // nnc pads a pool asymmetrically in two cases: `same`, and the overhang `ceil_mode` adds after
      // the input (as `nnc export` writes both); both need the input's size.
      let size = spatialSize(of: node.input[0])
      if let size, !ceil, Self.samePads(size, window: window, stride: stride) == pads {
        padding = .string("same")
      } else if let size, !ceil,
        Self.ceilModePads(size, window: window, stride: stride, before: [pads[0], pads[1]]) == pads
      {
        ceil = true
      } else {
        throw ONNXImportError.unsupported(
          node, "asymmetric pads \(pads) that are neither 'same' nor ceil_mode's",
          alternative: "\(op) with symmetric padding")
      }
    }
    if !isMax, pads != [0, 0, 0, 0], try attributes.int("count_include_pad", default: 0) != 0 {
      throw ONNXImportError.unsupported(
        node, "its average counts the padding (count_include_pad=1)",
        alternative: "avgpool (leaves padding out)")
    }
    var arguments: [(String, Expr.Kind)] = [
      ("size", Self.pair(window[0], window[1])), ("stride", Self.pair(stride[0], stride[1])),
      ("padding", padding),
    ]
    if ceil { arguments.append(("ceil_mode", .bool(true))) }
    return [layer(op, name: layerName(node, fallback: op), arguments)]
  }

  /// [top, left, bottom, right] of nnc's `padding: same` for an input of `size`.
  static func samePads(_ size: [Int], window: [Int], stride: [Int]) -> [Int] {
    let vertical = samePadding(input: size[0], window: window[0], stride: stride[0])
    let horizontal = samePadding(input: size[1], window: window[1], stride: stride[1])
    return [vertical.before, horizontal.before, vertical.after, horizontal.after]
  }

  /// [top, left, bottom, right] of symmetric padding `before` with `ceil_mode` (PyTorch's rule, as
  /// nnc's lowering applies it: the last window starts inside the input and its padding before).
  static func ceilModePads(_ size: [Int], window: [Int], stride: [Int], before: [Int]) -> [Int] {
    var after = before
    for axis in 0..<2 {
      let padded = size[axis] + 2 * before[axis]
      guard padded >= window[axis] else { continue }
      var output = (padded - window[axis] + stride[axis] - 1) / stride[axis] + 1
      if (output - 1) * stride[axis] >= size[axis] + before[axis] { output -= 1 }
      after[axis] += max((output - 1) * stride[axis] + window[axis] - padded, 0)
    }
    return [before[0], before[1], after[0], after[1]]
  }

  /// The global pool a `Flatten`/`Reshape` reads, when it alone reads the pool.
  mutating func importGlobalPool(flattening x: String) -> (layers: [Layer], input: String)? {
    guard let index = producer[x], readers[x] == 1, let poolInput = graph.node[index].input.first else {
      return nil
    }
    let pool = graph.node[index]
    let op: String
    switch pool.opType {
    case "GlobalAveragePool": op = "global_avgpool"
    case "GlobalMaxPool": op = "global_maxpool"
    default: return nil
    }
    return ([layer(op, name: layerName(pool, fallback: op), [])], poolInput)
  }
}
