/// Fully connected layer: weight [units, inFeatures], bias [units].
public struct DenseAttributes: Sendable, Equatable {
  public var units: Int
  public var bias: Bool

  public func parameterShapes(inFeatures: Int) -> [(ParameterRole, [Int])] {
    var shapes: [(ParameterRole, [Int])] = [(.weight, [units, inFeatures])]
    if bias { shapes.append((.bias, [units])) }
    return shapes
  }
}
