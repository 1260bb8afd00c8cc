import NNCSpec

/// One vocabulary layer being lowered: its checked arguments, its input and the names it emits under.
struct LayerContext {
  let call: Call
  let arguments: CheckedArguments
  let input: Flow
  /// The unique node name (`name:` argument or the layer word, numbered).
  let name: String
  let trainable: Bool
  /// The call as written, for notes and the summary.
  let description: String

  var location: SourceLocation { call.location }
}

/// Which op family lowers each vocabulary layer. A family's shape rule, diagnostics, parameter
/// shapes, FLOPs and backward needs live in its file under `Ops/`.
extension Lowerer {
  typealias LayerLowering = @Sendable (inout Lowerer, LayerContext) -> Flow?

  static let layerFamilies: [String: LayerLowering] = {
    var table: [String: LayerLowering] = [
      "conv2d": { $0.lowerConvolution($1) },
      "depthwise_conv2d": { $0.lowerConvolution($1) },
      "separable_conv2d": { $0.lowerConvolution($1) },
      "maxpool": { $0.lowerPool($1) },
      "avgpool": { $0.lowerPool($1) },
      "global_avgpool": { $0.lowerGlobalPool($1) },
      "global_maxpool": { $0.lowerGlobalPool($1) },
      "flatten": { $0.lowerFlatten($1) },
      "dense": { $0.lowerDense($1) },
      "dropout": { $0.lowerDropout($1) },
      "batchnorm": { $0.lowerBatchNorm($1) },
      "zero_padding2d": { $0.lowerZeroPadding($1) },
      "upsample": { $0.lowerUpsample($1) },
      "lrn": { $0.lowerLRN($1) },
    ]
    for definition in Vocabulary.activations { table[definition.name] = { $0.lowerActivation($1) } }
    return table
  }()

  mutating func lowerLayer(_ call: Call, _ arguments: CheckedArguments, from input: Flow, scope: String)
    -> Flow?
  {
    guard let lowering = Self.layerFamilies[call.name] else {
      preconditionFailure("'\(call.name)' is in the vocabulary but no op family lowers it")
    }
    let layer = LayerContext(
      call: call, arguments: arguments, input: input,
      name: uniqueName(arguments.string("name") ?? call.name, scope: scope),
      trainable: arguments.bool("trainable") ?? true, description: Self.callText(call))
    return lowering(&self, layer)
  }

  /// Emits the layer's single node from its input.
  mutating func emit(
    _ op: Op, _ layer: LayerContext, shape: Shape, parameters: [(ParameterRole, [Int])] = [],
    initializer: InitializerKind? = nil, biasInitializer: InitializerKind? = nil, fan: (Int, Int) = (1, 1),
    keepsUnits: Bool = false
  ) -> Flow {
    emit(
      op, layerName: layer.call.name, name: layer.name, inputs: [layer.input], shape: shape,
      parameters: parameters, trainable: layer.trainable, initializer: initializer,
      biasInitializer: biasInitializer, fan: fan,
      location: layer.location, description: layer.description, keepsUnits: keepsUnits)
  }

  func weightInitializer(_ arguments: CheckedArguments) -> InitializerKind {
    if let expr = arguments.expr("init"), let kind = InitializerKind(expr) { return kind }
    let activation = Self.activationArgument(arguments)?.definition
    return activation?.rectifying == true ? .heNormal : .glorotUniform
  }

  /// `bias_init`, zeros when not given.
  func biasInitializer(_ arguments: CheckedArguments) -> InitializerKind {
    arguments.expr("bias_init").flatMap(InitializerKind.init) ?? .zeros
  }

  func size(_ pair: (Int, Int)?) -> Size2 {
    guard let pair else { return Size2(1, 1) }
    return Size2(pair.0, pair.1)
  }

  mutating func requireImage(_ layer: LayerContext) -> (Int, Int, Int)? {
    let sample = layer.input.shape.sample
    guard sample.count == 3 else {
      diagnostics.error(
        "'\(layer.call.name)' expects a [N,C,H,W] input, got \(layer.input.shape)", at: layer.location,
        notes: [layer.input.origin.note(layer.input.shape)])
      return nil
    }
    return (sample[0], sample[1], sample[2])
  }

  /// The output size of a window sliding over the input, or a diagnostic when it does not fit.
  mutating func windowOutput(
    _ layer: LayerContext, window: Size2, stride: Size2, padding: Padding4, what: String
  ) -> (Int, Int)? {
    let input = layer.input
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
          + (padding == .zero ? "" : " (padded to \(padded))") + " in '\(layer.call.name)'",
        at: layer.location, notes: [input.origin.note(input.shape)])
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
