import NNCSpec

/// `zero_padding2d`: zeros added around every channel, [N,C,H,W] -> [N,C,top+H+bottom,left+W+right]
/// (Keras `ZeroPadding2D`). No parameters, no arithmetic; the backward pass crops the gradient and
/// reads no value.
extension Lowerer {
  mutating func lowerZeroPadding(_ layer: LayerContext) -> Flow? {
    guard let (channels, height, width) = requireImage(layer) else { return nil }
    guard let padding = zeroPadding(layer.arguments) else { return nil }
    return emit(
      .zeroPadding(padding), layer,
      shape: Shape(
        batchOf: [channels, padding.top + height + padding.bottom, padding.left + width + padding.right]),
      keepsUnits: true)
  }

  /// `p` (every side), `[h, w]` (top and bottom h, left and right w), or `[[top, bottom], [left, right]]`.
  mutating func zeroPadding(_ arguments: CheckedArguments) -> Padding4? {
    if let (height, width) = arguments.pair("padding") {
      return Padding4(top: height, bottom: height, left: width, right: width)
    }
    guard let expr = arguments.expr("padding") else { return .zero }
    var sides: [[Int]] = []
    if case .list(let rows) = expr.kind {
      for row in rows {
        guard case .list(let items) = row.kind else { break }
        var amounts: [Int] = []
        for item in items { if case .int(let value) = item.kind { amounts.append(value) } }
        sides.append(amounts)
      }
    }
    guard sides.count == 2, sides.allSatisfy({ $0.count == 2 }),
      sides.joined().allSatisfy({ $0 >= 0 })
    else {
      diagnostics.error(
        "'padding' of 'zero_padding2d' must be p, [h, w] or [[top, bottom], [left, right]] with amounts "
          + "of at least 0, found \(expr.displayText)", at: expr.location)
      return nil
    }
    return Padding4(top: sides[0][0], bottom: sides[0][1], left: sides[1][0], right: sides[1][1])
  }
}
