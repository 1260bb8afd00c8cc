import Foundation
import NNCGraph
import NNCRandom
import NNCSpec
import Testing

@testable import NNCTrain

/// The initializers under Caffe's, Keras's and PyTorch's names, against their definitions.
@Suite struct FrameworkInitializersTests {
  func draw(_ initializer: Initializer, count: Int, fanIn: Int, fanOut: Int, seed: UInt64 = 5) throws
    -> [Float]
  {
    var values = [Float](repeating: .nan, count: count)
    var generator = RandomGenerator(seed: seed)
    try initializer.fill(&values, fanIn: fanIn, fanOut: fanOut, generator: &generator)
    return values
  }

  func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let variance =
      values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    return (mean, variance)
  }

  /// Uniform on [-a, a] has variance a^2 / 3; a normal N(0, s^2) has variance s^2. Caffe's xavier
  /// has a = sqrt(3 / n).
  static let cases: [(Initializer, Double, Bool)] = [
    (.xavier(.fanIn), 1.0 / 50, true),
    (.xavier(.fanOut), 1.0 / 30, true),
    (.xavier(.average), 1.0 / 40, true),
    (.lecunNormal, 1.0 / 50, false),
    (.lecunUniform, 1.0 / 50, true),
    (.normal(std: 0.01), 0.0001, false),
    (.uniform(low: -0.3, high: 0.3), 0.09 / 3, true),
  ]

  @Test(arguments: cases)
  func momentsMatchTheDefinitions(initializer: Initializer, variance expected: Double, bounded: Bool) throws {
    let count = 100_000
    let values = try draw(initializer, count: count, fanIn: 50, fanOut: 30)
    let (mean, variance) = moments(values)
    #expect(abs(mean) < 5 * (expected / Double(count)).squareRoot())
    #expect(abs(variance / expected - 1) < 0.02)
    let limit = (3 * expected).squareRoot()
    if bounded {
      #expect(values.allSatisfy { abs(Double($0)) <= limit * (1 + 1e-6) })
      #expect(values.contains { abs(Double($0)) > 0.99 * limit })
    } else {
      #expect(values.contains { abs(Double($0)) > 3 * expected.squareRoot() })
    }
  }

  @Test func xavierWithTheAverageIsGlorotUniform() throws {
    let xavier = try draw(.xavier(.average), count: 64, fanIn: 20, fanOut: 12)
    let glorot = try draw(.glorotUniform, count: 64, fanIn: 20, fanOut: 12)
    for (a, b) in zip(xavier, glorot) { #expect(abs(a - b) <= 1e-6) }
  }

  @Test func uniformAndNormalHonourTheirOffsets() throws {
    let shifted = try draw(.uniform(low: 2, high: 3), count: 20_000, fanIn: 1, fanOut: 1)
    #expect(shifted.allSatisfy { $0 >= 2 && $0 <= 3 })
    #expect(abs(moments(shifted).mean - 2.5) < 0.01)
    let normal = try draw(.normal(mean: -1, std: 0.5), count: 20_000, fanIn: 1, fanOut: 1)
    #expect(abs(moments(normal).mean + 1) < 0.02)
    #expect(abs(moments(normal).variance / 0.25 - 1) < 0.05)
  }

  /// The weight seen as [count / fanIn, fanIn]: W Wᵀ = gain² I when wide, Wᵀ W = gain² I when tall.
  @Test(arguments: [(6, 20, 1.0), (20, 6, 1.0), (8, 8, 2.0), (16, 36, 0.5)])
  func orthogonalRowsOrColumns(rows: Int, columns: Int, gain: Double) throws {
    let values = try draw(.orthogonal(gain: Float(gain)), count: rows * columns, fanIn: columns, fanOut: rows)
    let wide = rows <= columns
    let (vectors, length) = wide ? (rows, columns) : (columns, rows)
    func element(_ vector: Int, _ i: Int) -> Double {
      Double(wide ? values[vector * columns + i] : values[i * columns + vector])
    }
    for a in 0..<vectors {
      for b in 0..<vectors {
        let dot = (0..<length).reduce(0.0) { $0 + element(a, $1) * element(b, $1) }
        #expect(abs(dot - (a == b ? gain * gain : 0)) < 1e-4, "\(a) \(b)")
      }
    }
  }

  /// The spec forms reach the graph: a word, a call with arguments, a lone positional value, and
  /// `bias_init` separately.
  @Test func specFormsReachTheGraph() throws {
    for text in [
      """
      model:
        input: [4]
        layers:
          - dense: {units: 3, init: {normal: {std: 0.01}}, bias_init: {constant: 0.1}}
          - dense: {units: 2, init: {xavier: average}, bias_init: {uniform: {low: -1, high: 1}}}
          - dense: {units: 2, init: orthogonal}
      """,
      """
      model m {
        input [4]
        dense(3, init: normal(std: 0.01), bias_init: constant(0.1))
        dense(2, init: xavier(variance_norm: average), bias_init: uniform(low: -1, high: 1))
        dense(2, init: orthogonal)
      }
      """,
    ] {
      let path = text.hasPrefix("model:") ? "i.yaml" : "i.nnc"
      let (spec, diagnostics) = SpecLoader.parse(text: text, path: path)
      let parsed = try #require(spec, "\(diagnostics)")
      let lowered = Lowering.lower(parsed)
      let graph = try #require(lowered.graph, "\(lowered.diagnostics)")
      let parameters = graph.nodes.flatMap(\.parameters).map(\.initializer)
      #expect(
        parameters == [
          .normal(mean: 0, std: 0.01), .constant(0.1), .xavier(.average), .uniform(low: -1, high: 1),
          .orthogonal(gain: 1), .zeros,
        ], "\(path)")
    }
  }
}
