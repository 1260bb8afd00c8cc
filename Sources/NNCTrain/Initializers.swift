import NNCGraph
import NNCRandom

/// How a parameter tensor starts. Fans follow the usual convention: for a dense weight
/// `fanIn = inputs`, `fanOut = units`; for a convolution weight `[out, in, kh, kw]`,
/// `fanIn = in * kh * kw` and `fanOut = out * kh * kw` (see `fans(shape:)`).
public enum Initializer: Sendable, Equatable {
  case zeros
  case ones
  case constant(Float)
  /// He (Kaiming) normal: `N(0, std^2)` with `std = sqrt(2 / fanIn)`, untruncated as in PyTorch's
  /// `kaiming_normal_`; suited to ReLU networks.
  case heNormal
  /// He uniform: `U(-limit, limit)` with `limit = sqrt(6 / fanIn)` (the same variance, 2 / fanIn).
  case heUniform
  /// Glorot (Xavier) uniform: `U(-limit, limit)` with `limit = sqrt(6 / (fanIn + fanOut))`.
  case glorotUniform
  /// Glorot normal: `N(0, std^2)` with `std = sqrt(2 / (fanIn + fanOut))`, untruncated.
  case glorotNormal
  /// `N(mean, std^2)`.
  case normal(mean: Float = 0, std: Float)
  /// `U(low, high)`.
  case uniform(low: Float, high: Float)
  /// LeCun normal: `N(0, 1 / fanIn)`, untruncated like `heNormal` (Keras truncates at 2 std).
  case lecunNormal
  /// LeCun uniform: `U(-limit, limit)` with `limit = sqrt(3 / fanIn)`.
  case lecunUniform
  /// Caffe's `xavier`: `U(-limit, limit)` with `limit = sqrt(3 / n)`, `n` the fan-in (Caffe's
  /// default), the fan-out or their average (then it equals `glorotUniform`).
  case xavier(InitializerKind.XavierNorm)
  /// A random orthogonal matrix times `gain`, the weight seen as `[count / fanIn, fanIn]`: orthonormal
  /// rows when it is wide, orthonormal columns when it is tall (PyTorch's `orthogonal_`).
  case orthogonal(gain: Float)

  /// Fans of a weight of the given shape: `[out, in, spatial...]`, or `[out, in]` for dense layers.
  /// A one-dimensional shape (a bias) has fanIn = fanOut = its length.
  public static func fans(shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    guard shape.count >= 2 else {
      let length = shape.first ?? 1
      return (length, length)
    }
    let receptiveField = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptiveField, shape[0] * receptiveField)
  }

  /// Fills `buffer` from `generator`, consuming one draw per element for random initializers (so the
  /// generator state afterwards depends only on what was drawn, keeping runs reproducible).
  public func fill(
    _ buffer: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int,
    generator: inout RandomGenerator
  ) throws {
    switch self {
    case .zeros:
      buffer.update(repeating: 0)
    case .ones:
      buffer.update(repeating: 1)
    case .constant(let value):
      buffer.update(repeating: value)
    case .heNormal:
      let std = (2 / Float(try positive(fanIn, "fanIn"))).squareRoot()
      for j in buffer.indices { buffer[j] = std * generator.nextNormal() }
    case .heUniform:
      let limit = (6 / Float(try positive(fanIn, "fanIn"))).squareRoot()
      for j in buffer.indices { buffer[j] = generator.nextUniform(-limit, limit) }
    case .glorotUniform:
      let limit = (6 / Float(try positive(fanIn + fanOut, "fanIn + fanOut"))).squareRoot()
      for j in buffer.indices { buffer[j] = generator.nextUniform(-limit, limit) }
    case .glorotNormal:
      let std = (2 / Float(try positive(fanIn + fanOut, "fanIn + fanOut"))).squareRoot()
      for j in buffer.indices { buffer[j] = std * generator.nextNormal() }
    case .normal(let mean, let std):
      guard std >= 0 else { throw TrainError("normal initializer: std must be >= 0, got \(std)") }
      for j in buffer.indices { buffer[j] = mean + std * generator.nextNormal() }
    case .uniform(let low, let high):
      guard low <= high else {
        throw TrainError("uniform initializer: low \(low) is greater than high \(high)")
      }
      for j in buffer.indices { buffer[j] = generator.nextUniform(low, high) }
    case .lecunNormal:
      let std = (1 / Float(try positive(fanIn, "fanIn"))).squareRoot()
      for j in buffer.indices { buffer[j] = std * generator.nextNormal() }
    case .lecunUniform:
      let limit = (3 / Float(try positive(fanIn, "fanIn"))).squareRoot()
      for j in buffer.indices { buffer[j] = generator.nextUniform(-limit, limit) }
    case .xavier(let norm):
      let n: Float =
        switch norm {
        case .fanIn: Float(try positive(fanIn, "fanIn"))
        case .fanOut: Float(try positive(fanOut, "fanOut"))
        case .average: Float(try positive(fanIn + fanOut, "fanIn + fanOut")) / 2
        }
      let limit = (3 / n).squareRoot()
      for j in buffer.indices { buffer[j] = generator.nextUniform(-limit, limit) }
    case .orthogonal(let gain):
      OrthogonalMatrix.fill(buffer, columns: fanIn, gain: gain, generator: &generator)
    }
  }

  /// Convenience for array-backed parameters.
  public func fill(
    _ array: inout [Float], fanIn: Int, fanOut: Int, generator: inout RandomGenerator
  ) throws {
    try array.withUnsafeMutableBufferPointer {
      try fill($0, fanIn: fanIn, fanOut: fanOut, generator: &generator)
    }
  }

  private func positive(_ value: Int, _ name: String) throws -> Int {
    guard value > 0 else { throw TrainError("\(self) initializer: \(name) must be > 0, got \(value)") }
    return value
  }
}
