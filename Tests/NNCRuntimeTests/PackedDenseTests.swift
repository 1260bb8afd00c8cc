import NNCRandom
import Testing

@testable import NNCRuntime

/// Dense layers from packed weights (`PackedDense`, `Sources/CKernels/dense_packed.c`).
@Suite struct PackedDenseTests {
  /// Shapes: a partial last block of outputs (37, 1000), batches that leave partial groups of 12 and
  /// 6 samples (1, 7, 13, 32), and few inputs; for the AVX-512 kernel's pairs of blocks, inputs in
  /// chunks of 256 and a partial one (1280, 300), a batch of more than 8 groups (100), and an odd
  /// number of blocks (3: a pair and a single).
  static let shapes: [(batch: Int, inFeatures: Int, outFeatures: Int)] = [
    (1, 5, 3), (7, 64, 37), (13, 100, 16), (32, 1280, 1000), (100, 300, 40),
  ]

  static func run(
    _ shape: (batch: Int, inFeatures: Int, outFeatures: Int), input: [Float], weight: [Float], bias: [Float]?,
    isa: DepthwiseInstructionSet, threads: Int, activation: ActivationKind = .linear
  ) -> [Float] {
    var output = [Float](repeating: .nan, count: shape.batch * shape.outFeatures)
    var packed = [Float](
      repeating: .nan,
      count: PackedDense.packedWeightCount(inFeatures: shape.inFeatures, outFeatures: shape.outFeatures))
    var scratch = [Float](
      repeating: .nan, count: PackedDense.scratchCount(batch: shape.batch, inFeatures: shape.inFeatures))
    PackedDense.forward(
      batch: shape.batch, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, input: input,
      weight: weight, bias: bias, output: &output, activation: activation, packed: &packed,
      packedIsCurrent: false,
      scratch: &scratch, isa: isa, threads: threads)
    return output
  }

  /// Against the definition in Double, with and without a bias and a fused ReLU, on every
  /// instruction set this CPU runs: each output within the error bound of a sum in order of its
  /// inputs' products (inputs × 2⁻²⁴ × Σ|products|, bias included).
  @Test func matchesTheDefinitionOnEveryInstructionSet() {
    var generator = RandomGenerator(seed: 61)
    for shape in Self.shapes {
      let input = randomValues(shape.batch * shape.inFeatures, &generator)
      let weight = randomValues(shape.outFeatures * shape.inFeatures, &generator)
      let bias = randomValues(shape.outFeatures, &generator)
      var expected = [Double](repeating: 0, count: shape.batch * shape.outFeatures)
      var bound = expected
      for n in 0..<shape.batch {
        for o in 0..<shape.outFeatures {
          var (sum, magnitude) = (0.0, 0.0)
          for k in 0..<shape.inFeatures {
            let product = Double(weight[o * shape.inFeatures + k]) * Double(input[n * shape.inFeatures + k])
            sum += product
            magnitude += abs(product)
          }
          expected[n * shape.outFeatures + o] = sum
          bound[n * shape.outFeatures + o] = Double(shape.inFeatures + 1) * 0x1p-24 * (magnitude + abs(sum))
        }
      }
      func within(_ output: [Float], _ withBias: Bool) -> Bool {
        output.indices.allSatisfy { i in
          let b = withBias ? Double(bias[i % shape.outFeatures]) : 0
          return abs(Double(output[i]) - (expected[i] + b)) <= bound[i] + abs(b) * 0x1p-23
        }
      }
      for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
        let output = Self.run(shape, input: input, weight: weight, bias: bias, isa: isa, threads: 2)
        #expect(within(output, true), "\(shape) [\(isa)]")
        let relu = Self.run(
          shape, input: input, weight: weight, bias: bias, isa: isa, threads: 2, activation: .relu)
        #expect(relu == output.map { max($0, 0) }, "\(shape) [\(isa)]: ReLU")
        let unbiased = Self.run(shape, input: input, weight: weight, bias: nil, isa: isa, threads: 2)
        #expect(within(unbiased, false), "\(shape) [\(isa)]: without bias")
      }
    }
  }

  /// Each output is one sum in a fixed order: 1, 2 and 3 threads, and every instruction set's group of
  /// samples (12 or 6), give the same bits.
  @Test func resultsDependOnNeitherThreadsNorInstructionSet() {
    var generator = RandomGenerator(seed: 62)
    for shape in Self.shapes[3...] {
      let input = randomValues(shape.batch * shape.inFeatures, &generator)
      let weight = randomValues(shape.outFeatures * shape.inFeatures, &generator)
      let bias = randomValues(shape.outFeatures, &generator)
      let results = DepthwiseInstructionSet.allCases.filter(\.isAvailable).flatMap { isa in
        (1...3).map { Self.run(shape, input: input, weight: weight, bias: bias, isa: isa, threads: $0) }
      }
      #expect(results.count >= 3 && !results[0].contains { $0.isNaN })
      // The portable build has no fused multiply-add: it rounds each product, so it stands apart.
      let fused =
        DepthwiseInstructionSet.allCases.filter(\.isAvailable).count > 1 ? Array(results[3...]) : results
      #expect(fused.allSatisfy { $0.map(\.bitPattern) == fused[0].map(\.bitPattern) })
      #expect(results[0..<3].allSatisfy { $0.map(\.bitPattern) == results[0].map(\.bitPattern) })
    }
  }

  /// An inference executor that keeps its packed weights, one that packs them on every call, and a
  /// training executor's evaluation give the same bits on a model with dense layers on both sides
  /// of the size limit's small side; a training step's forward (OpenBLAS) agrees to rounding.
  @Test func everyEvaluationPathGivesTheSameBits() throws {
    let model = try graph(
      "model:\n  input: [40]\n  layers:\n    - dense: {units: 50, activation: relu}\n    - dense: 30\n    - dense: 3\n"
    )
    let batch = 9
    let executors = [
      Executor(
        graph: model, maxBatch: batch,
        configuration: ExecutionConfiguration(mode: .inference, cachesPreparedWeights: true)),
      Executor(graph: model, maxBatch: batch, configuration: .inference),
      Executor(graph: model, maxBatch: batch, configuration: .training),
    ]
    #expect(executors[0].plan.bufferSizes.keptWeights > 0)
    OptimizationEquivalenceTests.prepare(executors, batch: batch, seed: 63)
    var outputs: [[Float]] = []
    for executor in executors {
      executor.forward(batch: batch, training: false)
      executor.forward(batch: batch, training: false)
      outputs.append(OptimizationEquivalenceTests.output(executor, batch: batch))
    }
    #expect(outputs.allSatisfy { $0.map(\.bitPattern) == outputs[0].map(\.bitPattern) })
  }
}
