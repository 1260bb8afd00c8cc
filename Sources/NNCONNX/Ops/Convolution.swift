import NNCGraph
import NNCSpec

/// `conv2d`, `depthwise_conv2d` and both halves of `separable_conv2d` are one grouped `Conv`: nnc's
/// weight layout [filters, in/groups, kh, kw] is ONNX's, and its explicit padding goes in `pads`
/// (begin values first: top, left, bottom, right).
extension ONNXGraphExport {
  mutating func exportConvolution(
    _ node: Node, _ attributes: ConvolutionAttributes, foldedInto batchNorm: Node?
  )
    throws
  {
    guard let (info, weights) = try weight(node, .weight) else {
      throw ONNXExportError("'\(node.name)' has no weight", at: node.location)
    }
    var inputs = [input(node.inputs[0])]
    if let batchNorm {
      let bias = try weight(node, .bias)?.values
      let folded = try folded(weights: weights, bias: bias, outputs: attributes.filters, batchNorm: batchNorm)
      inputs.append(builder.initializer(info.name, floats: folded.weights, dims: info.shape))
      inputs.append(builder.initializer(node.name + ".bias", floats: folded.bias, dims: [attributes.filters]))
    } else {
      inputs.append(builder.initializer(info.name, floats: weights, dims: info.shape))
      if let bias = try initializer(node, .bias) { inputs.append(bias) }
    }
    let y = output(batchNorm?.output ?? node.output, name: node.name)
    let padding = attributes.padding
    builder.node(
      "Conv", name: node.name, inputs: inputs, outputs: [y],
      attributes: [
        Attribute.ints("dilations", [attributes.dilation.height, attributes.dilation.width]),
        Attribute.int("group", attributes.groups),
        Attribute.ints("kernel_shape", [attributes.kernel.height, attributes.kernel.width]),
        Attribute.ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
        Attribute.ints("strides", [attributes.stride.height, attributes.stride.width]),
      ])
  }
}

/// `Conv` back to `conv2d` with `groups` (depthwise and separable halves included). Asymmetric pads
/// become a `zero_padding2d` before it; `auto_pad` SAME is the symmetric padding of a stride-1
/// convolution with an odd window.
extension ONNXGraphImport {
  mutating func importConvolution(_ node: Onnx_NodeProto, activation: String?) throws -> [Layer] {
    let attributes = try ONNXAttributes(node)
    guard node.input.count >= 2, let weight = constants[node.input[1]], weight.dims.count == 4,
      !weight.floats.isEmpty
    else {
      throw ONNXImportError.unsupported(
        node, "its weight is not a float [F, C/groups, kh, kw] initializer", alternative: "conv2d")
    }
    let filters = weight.dims[0]
    let kernel = (weight.dims[2], weight.dims[3])
    let stride = try attributes.ints("strides") ?? [1, 1]
    let dilation = try attributes.ints("dilations") ?? [1, 1]
    let groups = try attributes.int("group", default: 1)
    guard stride.count == 2, dilation.count == 2, groups >= 1 else {
      throw ONNXImportError.unsupported(node, "it is not a 2-D convolution", alternative: "conv2d")
    }
    let pads = try Self.windowPads(
      node, attributes, kernel: [kernel.0, kernel.1], stride: stride, dilation: dilation,
      inputSize: spatialSize(of: node.input[0]), alternative: "conv2d with explicit padding")
    var bias: [Float]?
    if node.input.count >= 3, !node.input[2].isEmpty {
      guard let constant = constants[node.input[2]], constant.floats.count == filters else {
        throw ONNXImportError.unsupported(
          node, "its bias is not a float initializer of \(filters)", alternative: "conv2d")
      }
      bias = constant.floats
    }
    let name = layerName(node, fallback: "conv2d")
    var layers: [Layer] = []
    var padding = Self.pair(pads[0], pads[1])
    if pads[0] != pads[2] || pads[1] != pads[3] {
      layers.append(asymmetricPadding(pads, name: uniqueName(name + "_pad")))
      padding = .int(0)
    }
    // Arguments at their default (stride 1, no padding, dilation 1, one group) are left out.
    var arguments: [(String, Expr.Kind)] = [
      ("filters", .int(filters)), ("kernel", Self.pair(kernel.0, kernel.1)),
    ]
    if stride != [1, 1] { arguments.append(("stride", Self.pair(stride[0], stride[1]))) }
    if padding != .int(0) { arguments.append(("padding", padding)) }
    if dilation != [1, 1] { arguments.append(("dilation", Self.pair(dilation[0], dilation[1]))) }
    if groups != 1 { arguments.append(("groups", .int(groups))) }
    arguments.append(("bias", .bool(bias != nil)))
    if let activation { arguments.append(("activation", .string(activation))) }
    var parameters = [(role: "weight", shape: weight.dims, values: weight.floats)]
    if let bias { parameters.append((role: "bias", shape: [filters], values: bias)) }
    layers.append(layer("conv2d", name: name, arguments, weights: parameters))
    return layers
  }

  /// [top, left, bottom, right] from `pads` or `auto_pad`. SAME pads so that the output is
  /// ceil(input / stride): by the window alone at stride 1, else by the input size the graph declares
  /// (the odd pixel goes after for SAME_UPPER, before for SAME_LOWER).
  static func windowPads(
    _ node: Onnx_NodeProto, _ attributes: ONNXAttributes, kernel: [Int], stride: [Int], dilation: [Int],
    inputSize: [Int]?, alternative: String
  ) throws -> [Int] {
    guard kernel.count == 2, stride.count == 2, dilation.count == 2,
      (kernel + stride + dilation).allSatisfy({ $0 >= 1 })
    else {
      throw ONNXImportError.unsupported(
        node, "its window \(kernel), strides \(stride) or dilations \(dilation) are not 2 positive values",
        alternative: alternative)
    }
    let autoPad = attributes.string("auto_pad", default: "NOTSET")
    switch autoPad {
    case "NOTSET", "":
      let pads = try attributes.ints("pads") ?? [0, 0, 0, 0]
      guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
        throw ONNXImportError.unsupported(
          node, "its pads \(pads) are not 4 non-negative values", alternative: alternative)
      }
      return pads
    case "VALID":
      return [0, 0, 0, 0]
    case "SAME_UPPER", "SAME_LOWER":
      var before = [0, 0]
      var after = [0, 0]
      for axis in 0..<2 {
        let span = (kernel[axis] - 1) * dilation[axis] + 1
        let total: Int
        if stride[axis] == 1 {
          total = span - 1
        } else if let inputSize {
          let output = (inputSize[axis] + stride[axis] - 1) / stride[axis]
          total = max((output - 1) * stride[axis] + span - inputSize[axis], 0)
        } else {
          throw ONNXImportError.unsupported(
            node, "auto_pad \(autoPad) with a stride pads by an input size the graph does not declare",
            alternative: alternative)
        }
        let small = total / 2
        before[axis] = autoPad == "SAME_UPPER" ? small : total - small
        after[axis] = total - before[axis]
      }
      return [before[0], before[1], after[0], after[1]]
    case let other:
      throw ONNXImportError.unsupported(node, "auto_pad '\(other)'", alternative: alternative)
    }
  }
}
