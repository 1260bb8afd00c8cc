import Foundation

/// Small, dependency-free SVG charts: line plots (training curves, ROC, PR) and a heatmap
/// (confusion matrix). The output is plain text a browser or an image viewer opens.
public enum SVGPlot {
  public struct Series: Sendable {
    public var name: String
    public var points: [(Double, Double)]
    /// Drawn dashed (training values beside solid validation ones).
    public var dashed: Bool
    /// An index into the palette; nil takes the series' position.
    public var color: Int?
    /// Drawn as a dot per point (a scatter plot) instead of a line.
    public var markers: Bool
    public init(
      name: String, points: [(Double, Double)], dashed: Bool = false, color: Int? = nil, markers: Bool = false
    ) {
      self.name = name
      self.points = points
      self.dashed = dashed
      self.color = color
      self.markers = markers
    }
  }

  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
  ]

  static func escape(_ text: String) -> String {
    text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
  }

  /// A tick label: two decimals at most, whole numbers without a point, and scientific notation
  /// beyond a million (an exploding loss reaches 1e17 or more, which no integer type holds).
  static func number(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : value < 0 ? "-∞" : "∞" }
    if abs(value) >= 1e6 { return String(format: "%.3g", value) }
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  }

  /// Round tick values (1, 2 or 5 times a power of ten apart, about five of them) within [low, high];
  /// whole numbers only when `integer` (epochs).
  static func ticks(_ low: Double, _ high: Double, integer: Bool) -> [Double] {
    let raw = (high - low) / 5
    guard raw > 0, raw.isFinite else { return [low] }
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    if integer { step = max(1, step.rounded(.up)) }
    var values: [Double] = []
    var value = (low / step).rounded(.up) * step
    while value <= high + step * 1e-9 {
      values.append(abs(value) < step * 1e-9 ? 0 : value)
      value += step
    }
    return values
  }

  /// A line chart; `xRange`/`yRange` default to the data's extent. `diagonal` draws y = x (ROC).
  public static func lines(
    title: String, xLabel: String, yLabel: String, series: [Series], xRange: (Double, Double)? = nil,
    yRange: (Double, Double)? = nil, diagonal: Bool = false, integerX: Bool = false
  ) -> String {
    // The legend sits right of the plot: wide enough for the longest name, tall enough for every entry.
    let longest = series.map(\.name.count).max() ?? 0
    let right = max(120.0, 48 + 7 * Double(longest))
    let width = 470 + right
    let height = max(420.0, 40 + 16 * Double(series.count) + 60)
    let left = 60.0
    let top = 40.0
    let bottom = 50.0
    let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
    var (x0, x1) = xRange ?? (all.map(\.0).min() ?? 0, all.map(\.0).max() ?? 1)
    var (y0, y1) = yRange ?? (all.map(\.1).min() ?? 0, all.map(\.1).max() ?? 1)
    // An empty range is widened; by a relative amount where adding 1 would change nothing.
    if x1 <= x0 { x1 = abs(x0) >= 1e15 ? x0 + abs(x0) / 10 : x0 + 1 }
    if y1 <= y0 {
      let pad = abs(y0) >= 1e15 ? abs(y0) / 20 : 0.5
      y0 -= pad
      y1 += pad
    }
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    // Halved before subtracting, so a range spanning most of the Double range does not overflow;
    // positions are kept within a few plot sizes of the plot (values outside the ranges are clipped
    // by the clip path, and renderers mishandle astronomically distant coordinates).
    func position(_ value: Double, _ low: Double, _ high: Double) -> Double {
      let fraction = (value / 2 - low / 2) / (high / 2 - low / 2)
      return fraction.isNaN ? 0 : min(max(fraction, -4), 5)
    }
    func px(_ x: Double) -> Double { left + position(x, x0, x1) * plotWidth }
    func py(_ y: Double) -> Double { top + (1 - position(y, y0, y1)) * plotHeight }
    var svg = header(width: width, height: height, title: title)
    svg +=
      "<clipPath id=\"plot-area\"><rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\"/></clipPath>\n"
    svg +=
      "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
    for fx in ticks(x0, x1, integer: integerX) {
      svg +=
        "<line x1=\"\(px(fx))\" y1=\"\(top)\" x2=\"\(px(fx))\" y2=\"\(top + plotHeight)\" stroke=\"#eee\"/>\n"
      svg +=
        "<text x=\"\(px(fx))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(number(fx))</text>\n"
    }
    for fy in ticks(y0, y1, integer: false) {
      svg +=
        "<line x1=\"\(left)\" y1=\"\(py(fy))\" x2=\"\(left + plotWidth)\" y2=\"\(py(fy))\" stroke=\"#eee\"/>\n"
      svg += "<text x=\"\(left - 6)\" y=\"\(py(fy) + 4)\" text-anchor=\"end\">\(number(fy))</text>\n"
    }
    if diagonal {
      svg +=
        "<line x1=\"\(px(x0))\" y1=\"\(py(y0))\" x2=\"\(px(x1))\" y2=\"\(py(y1))\" stroke=\"#aaa\" stroke-dasharray=\"4 4\"/>\n"
    }
    for (index, item) in series.enumerated() {
      let color = palette[(item.color ?? index) % palette.count]
      let dash = item.dashed ? " stroke-dasharray=\"6 3\"" : ""
      // A NaN or infinite value (a diverged epoch) leaves a gap: the line is drawn in finite runs.
      for run in finiteRuns(item.points) {
        if item.markers {
          for point in run {
            svg +=
              "<circle cx=\"\(px(point.0))\" cy=\"\(py(point.1))\" r=\"2.5\" fill=\"\(color)\" fill-opacity=\"0.6\" clip-path=\"url(#plot-area)\"/>\n"
          }
        } else if run.count == 1 {
          // A lone value is a point, not a line.
          svg +=
            "<circle cx=\"\(px(run[0].0))\" cy=\"\(py(run[0].1))\" r=\"3\" fill=\"\(color)\" clip-path=\"url(#plot-area)\"/>\n"
        } else {
          let path = run.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
          svg +=
            "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) clip-path=\"url(#plot-area)\" points=\"\(path)\"/>\n"
        }
      }
      let legendY = top + 16 * Double(index) + 8
      svg +=
        "<line x1=\"\(width - right + 12)\" y1=\"\(legendY)\" x2=\"\(width - right + 32)\" y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
      svg += "<text x=\"\(width - right + 38)\" y=\"\(legendY + 4)\">\(escape(item.name))</text>\n"
    }
    svg +=
      "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    svg +=
      "<text x=\"16\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(top + plotHeight / 2))\">\(escape(yLabel))</text>\n"
    return svg + "</svg>\n"
  }

  /// The maximal runs of consecutive points with finite coordinates.
  static func finiteRuns(_ points: [(Double, Double)]) -> [[(Double, Double)]] {
    var runs: [[(Double, Double)]] = []
    var current: [(Double, Double)] = []
    for point in points {
      if point.0.isFinite && point.1.isFinite {
        current.append(point)
      } else if !current.isEmpty {
        runs.append(current)
        current = []
      }
    }
    if !current.isEmpty { runs.append(current) }
    return runs
  }

  /// The confusion matrix as a heat map: each cell shows its count, shaded by the fraction of its row
  /// (the class's samples), so small classes stay readable. Rows are true labels, columns predictions.
  public static func heatmap(_ matrix: ConfusionMatrix, title: String, names: [String]? = nil) -> String {
    let labels = (0..<matrix.classes).map { c -> String in
      let name = names?.indices.contains(c) == true ? names![c] : String(c)
      return name.count > 14 ? String(name.prefix(13)) + "…" : name
    }
    let cell = max(28.0, min(64.0, 520.0 / Double(max(matrix.classes, 1))))
    let longest = Double(labels.map(\.count).max() ?? 1)
    let left = 44 + 7 * longest
    // Column labels are rotated when they would not fit their cell.
    let rotate = 7 * longest > cell - 4
    let top = 60 + (rotate ? 7 * longest : 14)
    let size = cell * Double(matrix.classes)
    let legendWidth = 70.0
    let width = max(left + size + legendWidth + 20, 7 * Double(title.count) + 40)
    let height = top + size + 50
    let fractions = matrix.normalized(.labels)
    var svg = header(width: width, height: height, title: title)
    for row in 0..<matrix.classes {
      for column in 0..<matrix.classes {
        let fraction = fractions[row][column]
        let x = left + Double(column) * cell
        let y = top + Double(row) * cell
        svg +=
          "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(shade(fraction))\" stroke=\"#fff\"/>\n"
        let ink = fraction > 0.55 ? "#fff" : "#000"
        let fontSize = cell < 36 ? 10 : 12
        svg +=
          "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" font-size=\"\(fontSize)\" fill=\"\(ink)\">\(matrix[row, column])</text>\n"
      }
      svg +=
        "<text x=\"\(left - 8)\" y=\"\(top + Double(row) * cell + cell / 2 + 4)\" text-anchor=\"end\">\(escape(labels[row]))</text>\n"
      let columnX = left + Double(row) * cell + cell / 2
      if rotate {
        svg +=
          "<text x=\"\(columnX + 4)\" y=\"\(top - 8)\" text-anchor=\"start\" transform=\"rotate(-90 \(columnX + 4) \(top - 8))\">\(escape(labels[row]))</text>\n"
      } else {
        svg +=
          "<text x=\"\(columnX)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(escape(labels[row]))</text>\n"
      }
    }
    svg +=
      "<text x=\"\(left + size / 2)\" y=\"\(top + size + 30)\" text-anchor=\"middle\">predicted label</text>\n"
    svg +=
      "<text x=\"16\" y=\"\(top + size / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(top + size / 2))\">true label</text>\n"
    // A colour bar: the shading is the fraction of the row.
    let barX = left + size + 20
    for step in 0..<10 {
      let fraction = 1 - Double(step) / 9
      svg +=
        "<rect x=\"\(barX)\" y=\"\(top + Double(step) * min(size, 200) / 10)\" width=\"14\" height=\"\(min(size, 200) / 10 + 0.5)\" fill=\"\(shade(fraction))\"/>\n"
    }
    svg += "<text x=\"\(barX + 18)\" y=\"\(top + 10)\" font-size=\"10\">100%</text>\n"
    svg += "<text x=\"\(barX + 18)\" y=\"\(top + min(size, 200))\" font-size=\"10\">0%</text>\n"
    svg +=
      "<text x=\"\(barX)\" y=\"\(top + min(size, 200) + 16)\" font-size=\"10\">of row</text>\n"
    return svg + "</svg>\n"
  }

  /// White to dark blue by `fraction` in [0, 1].
  static func shade(_ fraction: Double) -> String {
    // A row without samples has no fractions (NaN): white, like an empty cell.
    let fraction = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
    let red = Int(247 - 239 * fraction)
    let green = Int(251 - 203 * fraction)
    let blue = Int(255 - 148 * fraction)
    return "rgb(\(red),\(green),\(blue))"
  }

  static func header(width: Double, height: Double, title: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
      + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
      + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
      + "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
  }
}

extension String {
  fileprivate func replacingAll(_ target: String, _ replacement: String) -> String {
    split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
