import Testing

@testable import NNCRuntime

@Suite struct ColumnLayoutTests {
  /// (rows, columns, plane): one-float planes with and without whole 8 × 8 blocks, short planes
  /// around the vector sizes, and planes long enough for the copy call.
  static let shapes = [
    (9, 10, 1), (8, 16, 1), (3, 17, 1), (4, 3, 3), (5, 2, 4), (3, 4, 15), (2, 3, 16), (3, 2, 70),
  ]

  @Test(arguments: shapes.indices)
  func swappingOuterAxesMovesEveryPlane(_ index: Int) {
    let (rows, columns, plane) = Self.shapes[index]
    let source = (0..<(rows * columns * plane)).map { Float($0) + 0.5 }
    var target = [Float](repeating: .nan, count: source.count)
    source.withUnsafeBufferPointer { source in
      target.withUnsafeMutableBufferPointer { target in
        Conv2D.swapOuterAxes(
          source.baseAddress!, rows: rows, columns: columns, plane: plane, into: target.baseAddress!)
      }
    }
    var expected = [Float](repeating: 0, count: source.count)
    for row in 0..<rows {
      for column in 0..<columns {
        for pixel in 0..<plane {
          expected[(column * rows + row) * plane + pixel] = source[(row * columns + column) * plane + pixel]
        }
      }
    }
    let firstDifference = target.indices.first { target[$0] != expected[$0] }
    #expect(firstDifference == nil, "\(Self.shapes[index]): first difference at \(firstDifference ?? -1)")
  }

  @Test func shortPlanesCopyAndZeroExactlyTheirFloats() {
    for count in 0...70 {
      let source = (0..<count).map { Float($0) + 1 }
      var target = [Float](repeating: -1, count: count + 1)
      source.withUnsafeBufferPointer { source in
        target.withUnsafeMutableBufferPointer { target in
          copyPlane(source.baseAddress!, target.baseAddress!, count: count)
        }
      }
      #expect(Array(target.prefix(count)) == source && target[count] == -1, "copy of \(count)")
      target.withUnsafeMutableBufferPointer { zeroPlane($0.baseAddress!, count: count) }
      #expect(target.prefix(count).allSatisfy { $0 == 0 } && target[count] == -1, "zeros of \(count)")
    }
  }
}
