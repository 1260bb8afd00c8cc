import NNCSpec

/// The shape rule of each vocabulary layer, applied while lowering.
extension Lowerer {
  mutating func lowerLayer(_ call: Call, _ arguments: CheckedArguments, from input: Flow, scope: String)
    -> Flow?
  {
    let name = uniqueName(arguments.string("name") ?? call.name, scope: scope)
    let trainable = arguments.bool("trainable") ?? true
    let description = Self.callText(call)
    let location = call.location
    switch call.name {
    case "conv2d", "depthwise_conv2d", "separable_conv2d":
      return convolution(call, arguments, input, name: name, trainable: trainable, description: description)
    case "maxpool", "avgpool":
      guard let (channels, height, width) = requireImage(input, call) else { return nil }
      let window = size(arguments.pair("size"))
      let stride = arguments.isGiven("stride") ? size(arguments.pair("stride")) : window
      let padding = resolvePadding(
        arguments.padding("padding") ?? .valid, input: (height, width), window: window, stride: stride)
      guard
        let (outHeight, outWidth) = windowOutput(
          call, input, window: window, stride: stride, padding: padding, what: "pooling window")
      else { return nil }
      if padding.top >= window.height || padding.left >= window.width {
        diagnostics.error(
          "padding \(padding) must be smaller than the pooling window \(window)",
          at: arguments.expr("padding")?.location ?? location)
        return nil
      }
      let kind: PoolAttributes.Kind = call.name == "maxpool" ? .max : .average
      return emit(
        .pool(PoolAttributes(kind: kind, window: window, stride: stride, padding: padding)),
        layerName: call.name,
        name: name, inputs: [input], shape: Shape(batchOf: [channels, outHeight, outWidth]),
        location: location,
        description: description, keepsUnits: true)
    case "global_avgpool", "global_maxpool":
      guard let (channels, _, _) = requireImage(input, call) else { return nil }
      return emit(
        .globalPool(call.name == "global_maxpool" ? .max : .average), layerName: call.name, name: name,
        inputs: [input], shape: Shape(batchOf: [channels]), location: location, description: description,
        keepsUnits: true)
    case "flatten":
      return emit(
        .flatten, layerName: call.name, name: name, inputs: [input],
        shape: Shape(batchOf: [input.shape.sampleCount]),
        location: location, description: description)
    case "dense":
      guard input.shape.rank == 2 else {
        diagnostics.error(
          "'dense' expects a [N,features] input, got \(input.shape)", at: location,
          notes: [
            input.origin.note(input.shape),
            .note("insert 'flatten' (or 'global_avgpool') before 'dense'", at: location),
          ])
        return nil
      }
      let units = arguments.int("units") ?? 1
      let attributes = DenseAttributes(units: units, bias: arguments.bool("bias") ?? true)
      let features = input.shape.sample[0]
      let flow = emit(
        .dense(attributes), layerName: call.name, name: name, inputs: [input], shape: Shape(batchOf: [units]),
        parameters: attributes.parameterShapes(inFeatures: features), trainable: trainable,
        initializer: weightInitializer(arguments), fan: (features, units), location: location,
        description: description)
      return applyActivation(arguments, to: flow, name: name, scope: scope, description: description)
    case "dropout":
      return emit(
        .dropout(rate: arguments.double("rate") ?? 0), layerName: call.name, name: name, inputs: [input],
        shape: input.shape, location: location, description: description, keepsUnits: true)
    case "batchnorm":
      guard input.shape.rank == 2 || input.shape.rank == 4 else {
        diagnostics.error(
          "'batchnorm' expects a [N,C] or [N,C,H,W] input, got \(input.shape)", at: location,
          notes: [input.origin.note(input.shape)])
        return nil
      }
      let attributes = BatchNormAttributes(
        epsilon: arguments.double("epsilon") ?? 1e-5, momentum: arguments.double("momentum") ?? 0.1,
        scale: arguments.bool("scale") ?? true, center: arguments.bool("center") ?? true)
      let channels = input.shape.sample[0]
      return emit(
        .batchNorm(attributes), layerName: call.name, name: name, inputs: [input], shape: input.shape,
        parameters: attributes.parameterShapes(channels: channels), trainable: trainable, location: location,
        description: description, keepsUnits: true)
    default:
      guard let activation = Activation(name: call.name, alpha: arguments.double("alpha")) else { return nil }
      if activation == .softmax, input.shape.rank != 2, input.shape.rank != 4 {
        diagnostics.error("'softmax' expects a [N,C] or [N,C,H,W] input, got \(input.shape)", at: location)
        return nil
      }
      return emit(
        .activation(activation), layerName: call.name, name: name, inputs: [input], shape: input.shape,
        location: location, description: description, keepsUnits: true)
    }
  }

  mutating func convolution(
    _ call: Call, _ arguments: CheckedArguments, _ input: Flow, name: String, trainable: Bool,
    description: String
  ) -> Flow? {
    guard let (channels, height, width) = requireImage(input, call) else { return nil }
    let kernel = size(arguments.pair("kernel"))
    let stride = size(arguments.pair("stride"))
    let dilation = size(arguments.pair("dilation"))
    let effective = Size2(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
    let padding = resolvePadding(
      arguments.padding("padding") ?? .valid, input: (height, width), window: effective, stride: stride)
    guard
      let (outHeight, outWidth) = windowOutput(
        call, input, window: effective, stride: stride, padding: padding, what: "kernel")
    else { return nil }
    let bias = arguments.bool("bias") ?? true
    let initializer = weightInitializer(arguments)
    let location = call.location

    if call.name == "conv2d" {
      let filters = arguments.int("filters") ?? 1
      let groups = arguments.int("groups") ?? 1
      guard channels % groups == 0, filters % groups == 0 else {
        diagnostics.error(
          "groups (\(groups)) must divide both the input channels (\(channels)) and filters (\(filters))",
          at: arguments.expr("groups")?.location ?? location, notes: [input.origin.note(input.shape)])
        return nil
      }
      let attributes = ConvolutionAttributes(
        filters: filters, kernel: kernel, stride: stride, dilation: dilation, padding: padding,
        groups: groups,
        bias: bias, isDepthwise: false)
      let window = kernel.height * kernel.width
      let flow = emit(
        .convolution(attributes), layerName: call.name, name: name, inputs: [input],
        shape: Shape(batchOf: [filters, outHeight, outWidth]),
        parameters: attributes.parameterShapes(inChannels: channels), trainable: trainable,
        initializer: initializer,
        fan: (channels / groups * window, filters / groups * window), location: location,
        description: description)
      return applyActivation(arguments, to: flow, name: name, scope: "", description: description)
    }

    let multiplier = arguments.int("depth_multiplier") ?? 1
    let depthwise = ConvolutionAttributes(
      filters: channels * multiplier, kernel: kernel, stride: stride, dilation: dilation, padding: padding,
      groups: channels, bias: call.name == "depthwise_conv2d" ? bias : false, isDepthwise: true)
    let window = kernel.height * kernel.width
    let separable = call.name == "separable_conv2d"
    var flow = emit(
      .convolution(depthwise), layerName: call.name, name: separable ? name + "/depthwise" : name,
      inputs: [input],
      shape: Shape(batchOf: [channels * multiplier, outHeight, outWidth]),
      parameters: depthwise.parameterShapes(inChannels: channels), trainable: trainable,
      initializer: initializer,
      fan: (window, multiplier * window), location: location, description: description)
    if separable {
      let filters = arguments.int("filters") ?? 1
      let pointwise = ConvolutionAttributes(
        filters: filters, kernel: Size2(1, 1), stride: Size2(1, 1), dilation: Size2(1, 1), padding: .zero,
        groups: 1, bias: bias, isDepthwise: false)
      flow = emit(
        .convolution(pointwise), layerName: call.name, name: name + "/pointwise", inputs: [flow],
        shape: Shape(batchOf: [filters, outHeight, outWidth]),
        parameters: pointwise.parameterShapes(inChannels: channels * multiplier), trainable: trainable,
        initializer: initializer, fan: (channels * multiplier, filters), location: location,
        description: description)
    }
    return applyActivation(arguments, to: flow, name: name, scope: "", description: description)
  }

  /// `activation: relu` on a convolution or dense layer becomes its own node, which the optimizer
  /// fuses back; keeping it separate keeps the IR small and uniform.
  mutating func applyActivation(
    _ arguments: CheckedArguments, to flow: Flow, name: String, scope: String, description: String
  ) -> Flow {
    guard let word = arguments.string("activation"), word != "linear",
      let activation = Activation(name: word)
    else { return flow }
    return emit(
      .activation(activation), layerName: word, name: name + "/" + word, inputs: [flow], shape: flow.shape,
      location: arguments.expr("activation")?.location ?? flow.origin.location, description: description,
      keepsUnits: true)
  }

  func weightInitializer(_ arguments: CheckedArguments) -> InitializerKind {
    if let word = arguments.string("init"), let kind = InitializerKind(rawValue: word) { return kind }
    // He initialization suits the rectifier family; Glorot the saturating and linear activations.
    switch arguments.string("activation") ?? "linear" {
    case "relu", "relu6", "leaky_relu", "elu", "gelu", "silu": return .heNormal
    default: return .glorotUniform
    }
  }

  func size(_ pair: (Int, Int)?) -> Size2 {
    guard let pair else { return Size2(1, 1) }
    return Size2(pair.0, pair.1)
  }

  mutating func requireImage(_ input: Flow, _ call: Call) -> (Int, Int, Int)? {
    let sample = input.shape.sample
    guard sample.count == 3 else {
      diagnostics.error(
        "'\(call.name)' expects a [N,C,H,W] input, got \(input.shape)", at: call.location,
        notes: [input.origin.note(input.shape)])
      return nil
    }
    return (sample[0], sample[1], sample[2])
  }

  /// The output size of a window sliding over the input, or a diagnostic when it does not fit.
  mutating func windowOutput(
    _ call: Call, _ input: Flow, window: Size2, stride: Size2, padding: Padding4, what: String
  ) -> (Int, Int)? {
    let sample = input.shape.sample
    let height = slidingOutputSize(
      input: sample[1], window: window.height, stride: stride.height, padBefore: padding.top,
      padAfter: padding.bottom)
    let width = slidingOutputSize(
      input: sample[2], window: window.width, stride: stride.width, padBefore: padding.left,
      padAfter: padding.right)
    guard height >= 1, width >= 1 else {
      let padded = "\(sample[1] + padding.top + padding.bottom)x\(sample[2] + padding.left + padding.right)"
      diagnostics.error(
        "\(what) \(window.height)x\(window.width) is larger than its input \(sample[1])x\(sample[2])"
          + (padding == .zero ? "" : " (padded to \(padded))") + " in '\(call.name)'",
        at: call.location, notes: [input.origin.note(input.shape)])
      return nil
    }
    return (height, width)
  }

  /// The call as the user would write it, with block parameters substituted.
  static func callText(_ call: Call) -> String {
    var shown = call
    shown.arguments = call.arguments.filter { $0.label != "name" }
    return shown.sourceText(positional: Vocabulary.layers[call.name]?.positional ?? [])
  }
}
