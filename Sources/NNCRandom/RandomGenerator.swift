/// The one source of randomness in nnc: xoshiro256** seeded through SplitMix64. Its whole state is
/// four words, so checkpoints can save and restore it and a resumed run draws the same numbers.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
  public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var splitMix = seed
    func next() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      var z = splitMix
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (next(), next(), next(), next())
  }

  /// Restores a state saved with `state`; an all-zero state would stay zero forever and is refused.
  public init?(state: [UInt64]) {
    guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
    self.state = (state[0], state[1], state[2], state[3])
  }

  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public static func == (lhs: Self, rhs: Self) -> Bool { lhs.stateWords == rhs.stateWords }

  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotateLeft(state.3, 45)
    return result
  }

  /// A generator for an independent stream (a loader thread, a layer's initializer) derived from this
  /// one's seed material without advancing it, so streams do not depend on scheduling.
  public func derived(_ stream: UInt64) -> RandomGenerator {
    RandomGenerator(seed: state.0 ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ rotateLeft(state.2, 23))
  }

  /// Advances the generator by `count` draws, as if `next()` were called `count` times (the rank of
  /// a data-parallel run passes over the draws of the other ranks' samples).
  public mutating func skip(_ count: Int) {
    precondition(count >= 0, "cannot skip \(count) draws")
    for _ in 0..<count { _ = next() }
  }

  /// Uniform in [0, 1) with 24 random bits, exactly representable as Float.
  public mutating func nextUniform() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// Uniform in [low, high).
  public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
    low + (high - low) * nextUniform()
  }

  /// Standard normal by Box-Muller, computed in Double so results do not depend on Float rounding
  /// of intermediate steps.
  public mutating func nextNormal() -> Float {
    var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    if u1 < Double.leastNormalMagnitude { u1 = Double.leastNormalMagnitude }
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }

  /// Fisher-Yates shuffle, independent of the standard library's algorithm choice.
  public mutating func shuffle<T>(_ array: inout [T]) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      let j = Int(next() % UInt64(i + 1))
      array.swapAt(i, j)
    }
  }
}

@inline(__always)
private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
