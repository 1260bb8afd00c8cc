/// Lays out pairs of images (an original and its augmented version) as one picture for a person to
/// check a pipeline by eye: pairs side by side, `pairsPerRow` pairs per row, each image enlarged by
/// an integer factor (nearest neighbour, so pixels stay visible), on a dark background with a wider
/// gap between pairs than within one.
public enum PreviewGrid {
  public static let background: Float = 0.15

  /// All images must have one shape; the result has their channel count.
  public static func compose(pairs: [(original: Image, augmented: Image)], pairsPerRow: Int, zoom: Int)
    -> Image
  {
    guard let first = pairs.first?.original else { return Image(channels: 1, height: 1, width: 1) }
    let (channels, height, width) = (first.channels, first.height * zoom, first.width * zoom)
    let inner = 2
    let outer = 8
    let columns = max(1, min(pairsPerRow, pairs.count))
    let rows = (pairs.count + columns - 1) / columns
    let pairWidth = 2 * width + inner
    let gridWidth = outer + columns * (pairWidth + outer)
    let gridHeight = outer + rows * (height + outer)
    var grid = Image(channels: channels, height: gridHeight, width: gridWidth, value: background)
    for (index, pair) in pairs.enumerated() {
      let top = outer + (index / columns) * (height + outer)
      let left = outer + (index % columns) * (pairWidth + outer)
      paste(pair.original, into: &grid, top: top, left: left, zoom: zoom)
      paste(pair.augmented, into: &grid, top: top, left: left + width + inner, zoom: zoom)
    }
    return grid
  }

  static func paste(_ image: Image, into grid: inout Image, top: Int, left: Int, zoom: Int) {
    for channel in 0..<min(image.channels, grid.channels) {
      for y in 0..<(image.height * zoom) {
        for x in 0..<(image.width * zoom) {
          grid[channel, top + y, left + x] = min(max(image[channel, y / zoom, x / zoom], 0), 1)
        }
      }
    }
  }

  /// The enlargement that makes an image of this size about `target` pixels on its longer side.
  public static func zoom(height: Int, width: Int, target: Int = 72) -> Int {
    max(1, target / max(height, width, 1))
  }
}
