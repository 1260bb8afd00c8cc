import NNCRandom
import Testing

@testable import NNCRuntime

/// `MaxPool2D.forward` (training, with the argmax) and `forwardValues` (inference) against the scalar
/// definition, bit for bit: the pooling cases, and 2x2, 3x3 and 3x2 windows on maps wide enough for
/// the vectorized rows (eight outputs and a tail), with ties, both zeros and NaN among the pixels.
@Suite struct MaxPoolValuesTests {
  static let wideTwoByTwo = Pool2DGeometry(
    batch: 2, channels: 3, inHeight: 6, inWidth: 28, windowH: 2, windowW: 2, strideH: 2, strideW: 2)

  /// ResNet's 3x3, stride-2 pooling padded by 1 on a map wide enough for vectors of eight windows
  /// inside the row (and padded columns at both ends), and an unpadded 3x2, stride-(1, 3) window.
  static let wideThreeByThree = Pool2DGeometry(
    batch: 2, channels: 2, inHeight: 9, inWidth: 41, windowH: 3, windowW: 3, strideH: 2, strideW: 2,
    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
  static let wideStrideThree = Pool2DGeometry(
    batch: 1, channels: 3, inHeight: 5, inWidth: 59, windowH: 3, windowW: 2, strideH: 1, strideW: 3)
  /// ResNet-18/32's pooling: 8 outputs a row, 7 inside (too few for a vector inside the row: the
  /// rows copied with −∞ around them).
  static let narrowThreeByThree = Pool2DGeometry(
    batch: 2, channels: 3, inHeight: 16, inWidth: 16, windowH: 3, windowW: 3, strideH: 2, strideW: 2,
    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
  /// Padded rows at stride 3, 9 outputs a row (the last vector overlapping the first), and at
  /// stride 1 a 7-wide window wider than half the row (three lanes starting in the padding).
  static let narrowStrideThree = Pool2DGeometry(
    batch: 1, channels: 3, inHeight: 7, inWidth: 26, windowH: 5, windowW: 5, strideH: 3, strideW: 3,
    padTop: 2, padBottom: 2, padLeft: 2, padRight: 2)
  static let narrowWideWindow = Pool2DGeometry(
    batch: 2, channels: 2, inHeight: 10, inWidth: 10, windowH: 7, windowW: 7, strideH: 1, strideW: 1,
    padTop: 3, padBottom: 3, padLeft: 3, padRight: 3)
  /// A plane too large for the padded-rows kernel's stack copy (60 rows of 328 floats): the copy on
  /// the heap.
  static let narrowLargePlane = Pool2DGeometry(
    batch: 1, channels: 1, inHeight: 60, inWidth: 200, windowH: 3, windowW: 121, strideH: 1, strideW: 1,
    padTop: 1, padBottom: 1, padLeft: 60, padRight: 60)

  @Test func vectorsCoverTheWindowsInsideTheRow() {
    #expect(Self.wideThreeByThree.columnsInsideRow == 1..<20)
    #expect(Self.wideStrideThree.columnsInsideRow == 0..<20)
    #expect(Self.narrowThreeByThree.columnsInsideRow == 1..<8)
    #expect(Self.narrowStrideThree.outWidth == 9 && Self.narrowStrideThree.columnsInsideRow == 1..<8)
    #expect(Self.narrowWideWindow.outWidth == 10 && Self.narrowWideWindow.columnsInsideRow == 3..<7)
    #expect(Self.narrowLargePlane.outWidth == 200 && Self.narrowLargePlane.columnsInsideRow == 60..<140)
  }

  @Test(
    arguments: poolCases.map(\.geometry) + [
      wideTwoByTwo, wideThreeByThree, wideStrideThree, narrowThreeByThree, narrowStrideThree,
      narrowWideWindow, narrowLargePlane,
    ])
  func valuesAndArgmaxEqualTheScalarDefinition(_ g: Pool2DGeometry) {
    var generator = RandomGenerator(seed: 51)
    // Few distinct values, so windows hold ties; a sprinkling of -0, +0 and NaN.
    let specials: [Float] = [0, -0.0, .nan, 1, 1, -1]
    let input = (0..<g.inputCount).map { index -> Float in
      index % 7 == 3 ? specials[index % specials.count] : Float(Int(generator.nextUniform(-3, 3)))
    }
    let expected = Self.definition(g, input)
    var output = [Float](repeating: 1234, count: g.outputCount)
    var argmax = [Int32](repeating: -1, count: MaxPool2D.indexScratchCount(g))
    MaxPool2D.forward(g, input: input, output: &output, argmax: &argmax)
    // `#expect(a == b)` prints both arrays when they differ: report the first difference only.
    let outputDifference = output.indices.first { output[$0].bitPattern != expected.values[$0].bitPattern }
    #expect(outputDifference == nil, "\(g): forward's output \(outputDifference.map(String.init) ?? "")")
    let argmaxDifference = argmax.indices.first { argmax[$0] != expected.argmax[$0] }
    #expect(argmaxDifference == nil, "\(g): argmax \(argmaxDifference.map(String.init) ?? "")")
    var values = [Float](repeating: 1234, count: g.outputCount)
    MaxPool2D.forwardValues(g, input: input, output: &values)
    let valuesDifference = values.indices.first { values[$0].bitPattern != expected.values[$0].bitPattern }
    #expect(valuesDifference == nil, "\(g): forwardValues \(valuesDifference.map(String.init) ?? "")")
  }

  /// Each window clipped to the input, its pixels visited row by row from the first, a later one
  /// replacing the best only when strictly greater (NaN never replaces; ties keep the first).
  static func definition(_ g: Pool2DGeometry, _ input: [Float]) -> (values: [Float], argmax: [Int32]) {
    var values = [Float]()
    var argmax = [Int32]()
    for plane in 0..<(g.batch * g.channels) {
      let base = plane * g.inHeight * g.inWidth
      for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth {
          let top = oy * g.strideH - g.padTop
          let left = ox * g.strideW - g.padLeft
          let rows = max(top, 0)..<min(top + g.windowH, g.inHeight)
          let columns = max(left, 0)..<min(left + g.windowW, g.inWidth)
          var best = rows.lowerBound * g.inWidth + columns.lowerBound
          for y in rows {
            for x in columns where input[base + y * g.inWidth + x] > input[base + best] {
              best = y * g.inWidth + x
            }
          }
          values.append(input[base + best])
          argmax.append(Int32(best))
        }
      }
    }
    return (values, argmax)
  }
}
