import NNCRandom
import Testing

@testable import NNCRuntime

/// The C tile transforms of F(4x4, 3x3) against scalar definitions with the same operations in the
/// same order (the Swift loops they replaced): the same bits on every instruction set the CPU has.
@Suite struct Winograd4x4TransformTests {
  /// Bᵀ z for six entries, the rows of Bᵀ being [4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0],
  /// [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0] and [0, 4, 0, −5, 0, 1].
  static func inputStep(_ z: [Float]) -> [Float] {
    let (sum12, sum34) = (z[1] + z[2], z[3] + z[4])
    let (difference12, difference43) = (z[1] - z[2], z[4] - z[3])
    let (difference42, difference31) = (z[4] - z[2], z[3] - z[1])
    return [
      z[0] * 4 - z[2] * 5 + z[4], sum34 - sum12 * 4, difference43 + difference12 * 4,
      difference42 + difference31 * 2, difference42 - difference31 * 2, z[1] * 4 - z[3] * 5 + z[5],
    ]
  }

  /// Aᵀ m for six entries, the rows of Aᵀ being [1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0],
  /// [0, 1, 1, 4, 4, 0] and [0, 1, −1, 8, −8, 1].
  static func outputStep(_ m: [Float]) -> [Float] {
    let (sum12, difference12, sum34, difference34) = (m[1] + m[2], m[1] - m[2], m[3] + m[4], m[3] - m[4])
    return [
      m[0] + sum12 + sum34, difference12 + difference34 * 2, sum12 + sum34 * 4,
      difference12 + difference34 * 8 + m[5],
    ]
  }

  /// Bᵀ d B of a 6x6 patch (d[6r + j]) as 36 entries ξ = 6i + k: down each column, then along each row.
  static func inputTile(_ d: [Float]) -> [Float] {
    let columns = (0..<6).map { j in inputStep((0..<6).map { d[6 * $0 + j] }) }
    return (0..<6).flatMap { i in inputStep((0..<6).map { columns[$0][i] }) }
  }

  /// Aᵀ M A of 36 products as 16 outputs 4a + b: down each column, then along each row.
  static func outputTile(_ m: [Float]) -> [Float] {
    let columns = (0..<6).map { j in outputStep((0..<6).map { m[6 * $0 + j] }) }
    return (0..<4).flatMap { a in outputStep((0..<6).map { columns[$0][a] }) }
  }

  static let instructionSets = DepthwiseInstructionSet.allCases.filter(\.isAvailable)

  @Test(arguments: winograd4x4Cases)
  func inputTransformGivesTheScalarDefinitionsBits(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 83)
    let input = randomValues(g.inputCount, &generator)
    let tiling = Winograd4x4Conv2D.Tiling(g, targetTiles: WinogradConv2D.targetTiles)
    let samples = tiling.samplesPerChunk
    let tiles = samples * tiling.tilesPerSample
    let columns = tiling.columns(samples: samples)
    let stride = WinogradConv2D.positionStride(g.inChannels * columns)
    // The expected V: each column's tile (the last one past the chunk's tiles), zeros outside the input.
    var expected = [Float](repeating: .nan, count: Winograd4x4Conv2D.positions * stride)
    for channel in 0..<g.inChannels {
      for column in 0..<columns {
        let (sample, inSample) = min(column, tiles - 1).quotientAndRemainder(
          dividingBy: tiling.tilesPerSample)
        let (ty, tx) = inSample.quotientAndRemainder(dividingBy: tiling.tilesWide)
        let patch = (0..<36).map { entry -> Float in
          let (y, x) = (4 * ty + entry / 6 - g.padTop, 4 * tx + entry % 6 - g.padLeft)
          guard y >= 0 && y < g.inHeight && x >= 0 && x < g.inWidth else { return 0 }
          return input[((sample * g.inChannels + channel) * g.inHeight + y) * g.inWidth + x]
        }
        for (position, value) in Self.inputTile(patch).enumerated() {
          expected[position * stride + channel * columns + column] = value
        }
      }
    }
    for isa in Self.instructionSets {
      var transformed = [Float](repeating: .nan, count: expected.count)
      // NaN in the workspace: any float of a padded plane the kernel reads unwritten shows.
      var workspace = [Float](
        repeating: .nan, count: Parallel.maximumParts * Winograd4x4Conv2D.workspacePerPart(g, tiling))
      Winograd4x4Conv2D.transformInput(
        g, tiling, input: input, samples: samples, into: &transformed, workspace: &workspace, threads: 2,
        instructionSet: isa)
      let mismatches = (0..<expected.count).count {
        !expected[$0].isNaN && expected[$0].bitPattern != transformed[$0].bitPattern
      }
      #expect(mismatches == 0, "\(c.name), \(isa): transformed inputs differ")
    }
  }

  @Test(arguments: winograd4x4Cases)
  func outputTransformGivesTheScalarDefinitionsBits(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 89)
    let tiling = Winograd4x4Conv2D.Tiling(g, targetTiles: WinogradConv2D.targetTiles)
    let samples = tiling.samplesPerChunk
    let tiles = samples * tiling.tilesPerSample
    let columns = tiling.columns(samples: samples)
    let stride = WinogradConv2D.positionStride(g.outChannels * columns)
    let product = randomValues(Winograd4x4Conv2D.positions * stride, &generator)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let outputCount = samples * g.outChannels * outH * outW
    var expected = [Float](repeating: .nan, count: outputCount)
    for channel in 0..<g.outChannels {
      for tile in 0..<tiles {
        let (sample, inSample) = tile.quotientAndRemainder(dividingBy: tiling.tilesPerSample)
        let (ty, tx) = inSample.quotientAndRemainder(dividingBy: tiling.tilesWide)
        let m = (0..<36).map { product[$0 * stride + channel * columns + tile] }
        for (index, value) in Self.outputTile(m).enumerated() {
          let (y, x) = (4 * ty + index / 4, 4 * tx + index % 4)
          guard y < outH && x < outW else { continue }
          expected[((sample * g.outChannels + channel) * outH + y) * outW + x] = value
        }
      }
    }
    for isa in Self.instructionSets {
      var output = [Float](repeating: .nan, count: outputCount)
      Winograd4x4Conv2D.transformOutput(
        g, tiling, product: product, samples: samples, into: &output, scale: nil, bias: nil,
        activation: .linear, threads: 2, instructionSet: isa)
      let mismatches = (0..<outputCount).count { expected[$0].bitPattern != output[$0].bitPattern }
      #expect(mismatches == 0, "\(c.name), \(isa): outputs differ")
    }
  }
}
