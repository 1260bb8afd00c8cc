import Foundation
import NNCRandom
import Testing

@testable import NNCTrain

private func draw(_ initializer: Initializer, count: Int, fanIn: Int, fanOut: Int, seed: UInt64) throws
  -> [Float]
{
  var values = [Float](repeating: .nan, count: count)
  var generator = RandomGenerator(seed: seed)
  try initializer.fill(&values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
  return values
}

private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
  let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
  let variance =
    values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
  return (mean, variance)
}

/// Each initializer with the variance its formula gives for fanIn 50, fanOut 30, and whether it is
/// bounded (uniform).
private let expectedVariances: [(Initializer, Double, Bool)] = [
  (.heNormal, 2.0 / 50, false),
  (.heUniform, 2.0 / 50, true),
  (.glorotUniform, 2.0 / 80, true),
  (.glorotNormal, 2.0 / 80, false),
]

@Test(arguments: expectedVariances)
func randomInitializersHaveTheDocumentedMoments(
  initializer: Initializer, variance expected: Double, bounded: Bool
) throws {
  let values = try draw(initializer, count: 100_000, fanIn: 50, fanOut: 30, seed: 11)
  let (mean, variance) = moments(values)
  let std = expected.squareRoot()
  // Standard error of the mean is std / sqrt(n) ~ 0.003 std; allow 5 of them.
  #expect(abs(mean) < 5 * std / (100_000.0).squareRoot())
  #expect(abs(variance / expected - 1) < 0.02)
  if bounded {
    // Uniform with variance limit^2 / 3: every draw within the limit.
    let limit = (3 * expected).squareRoot()
    #expect(values.allSatisfy { abs(Double($0)) <= limit })
    #expect(values.contains { abs(Double($0)) > 0.95 * limit })
  } else {
    #expect(values.contains { abs(Double($0)) > 3 * std })  // an untruncated normal has tails
  }
}

@Test func sameSeedSameWeightsDifferentSeedDifferentWeights() throws {
  let a = try draw(.heNormal, count: 64, fanIn: 8, fanOut: 8, seed: 3)
  let b = try draw(.heNormal, count: 64, fanIn: 8, fanOut: 8, seed: 3)
  let c = try draw(.heNormal, count: 64, fanIn: 8, fanOut: 8, seed: 4)
  #expect(a == b)
  #expect(a != c)
}

@Test func constantInitializers() throws {
  #expect(try draw(.zeros, count: 5, fanIn: 1, fanOut: 1, seed: 1) == [0, 0, 0, 0, 0])
  #expect(try draw(.ones, count: 3, fanIn: 1, fanOut: 1, seed: 1) == [1, 1, 1])
  #expect(try draw(.constant(0.25), count: 2, fanIn: 1, fanOut: 1, seed: 1) == [0.25, 0.25])
}

@Test func fansOfDenseAndConvolutionWeights() throws {
  #expect(Initializer.fans(shape: [10, 20]) == (20, 10))
  #expect(Initializer.fans(shape: [16, 6, 5, 5]) == (150, 400))
  #expect(Initializer.fans(shape: [7]) == (7, 7))
  #expect(throws: TrainError.self) { try draw(.heNormal, count: 1, fanIn: 0, fanOut: 1, seed: 1) }
}
