import NNCGraph

/// The `reorder` op: each sample's [channels, pixels] matrix (channels-first) transposed into
/// [pixels, channels] (channels-last), or back. A copy, so any thread count gives the same bits.
enum LayoutReorder {
  /// Side of the square blocks the transpose runs in: a block's rows and columns stay in cache.
  static let block = 8

  static func forward(
    to layout: TensorLayout, batch: Int, channels: Int, pixels: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let sample = channels * pixels
    // Channels-first samples are [channels][pixels]; channels-last ones [pixels][channels].
    let (rows, columns) = layout == .channelsLast ? (channels, pixels) : (pixels, channels)
    let rowBlocks = (rows + block - 1) / block
    Parallel.forEach(batch * rowBlocks, workPerItem: block * columns) { task in
      let (n, rowBlock) = task.quotientAndRemainder(dividingBy: rowBlocks)
      transposeRows(
        (rowBlock * block)..<min(rows, (rowBlock + 1) * block), rows: rows, columns: columns,
        input: input + n * sample, output: output + n * sample)
    }
  }

  /// output[column · rows + row] = input[row · columns + column] for the given rows, in blocks of
  /// `block` columns.
  @inline(__always)
  private static func transposeRows(
    _ rowRange: Range<Int>, rows: Int, columns: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    var first = 0
    while first < columns {
      let last = min(columns, first + block)
      for row in rowRange {
        let source = input + row * columns
        for column in first..<last { output[column * rows + row] = source[column] }
      }
      first = last
    }
  }
}
