/// Fully connected layer: weight [units, inFeatures], bias [units].
public struct DenseAttributes: Sendable, Equatable {
  public var units: Int
  public var bias: Bool

  public func parameterShapes(inFeatures: Int) -> [(ParameterRole, [Int])] {
    var shapes: [(ParameterRole, [Int])] = [(.weight, [units, inFeatures])]
    if bias { shapes.append((.bias, [units])) }
    return shapes
  }

  func flops(input: Shape) -> Int { CheckedArithmetic.saturatingProduct(2, input.sampleCount, units) }
}

extension Lowerer {
  mutating func lowerDense(_ layer: LayerContext) -> Flow? {
    let input = layer.input
    guard input.shape.rank == 2 else {
      diagnostics.error(
        "'dense' expects a [N,features] input, got \(input.shape)", at: layer.location,
        notes: [
          input.origin.note(input.shape),
          .note("insert 'flatten' (or 'global_avgpool') before 'dense'", at: layer.location),
        ])
      return nil
    }
    let units = layer.arguments.int("units") ?? 1
    let attributes = DenseAttributes(units: units, bias: layer.arguments.bool("bias") ?? true)
    let features = input.shape.sample[0]
    let flow = emit(
      .dense(attributes), layer, shape: Shape(batchOf: [units]),
      parameters: attributes.parameterShapes(inFeatures: features),
      initializer: weightInitializer(layer.arguments), biasInitializer: biasInitializer(layer.arguments),
      fan: (features, units))
    return applyActivation(layer.arguments, to: flow, name: layer.name, description: layer.description)
  }
}
