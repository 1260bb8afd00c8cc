/// Small, dependency-free SVG charts: line plots (training curves, ROC, PR) and a heatmap
/// (confusion matrix). The output is plain text a browser or an image viewer opens.
public enum SVGPlot {
  public struct Series: Sendable {
    public var name: String
    public var points: [(Double, Double)]
    public init(name: String, points: [(Double, Double)]) {
      self.name = name
      self.points = points
    }
  }

  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
  ]

  static func escape(_ text: String) -> String {
    text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
  }

  static func number(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  }

  /// A line chart; `xRange`/`yRange` default to the data's extent. `diagonal` draws y = x (ROC).
  public static func lines(
    title: String, xLabel: String, yLabel: String, series: [Series], xRange: (Double, Double)? = nil,
    yRange: (Double, Double)? = nil, diagonal: Bool = false
  ) -> String {
    let width = 640.0
    let height = 420.0
    let left = 60.0
    let right = 170.0
    let top = 40.0
    let bottom = 50.0
    let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
    var (x0, x1) = xRange ?? (all.map(\.0).min() ?? 0, all.map(\.0).max() ?? 1)
    var (y0, y1) = yRange ?? (all.map(\.1).min() ?? 0, all.map(\.1).max() ?? 1)
    if x1 <= x0 { x1 = x0 + 1 }
    if y1 <= y0 {
      y0 -= 0.5
      y1 += 0.5
    }
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
    var svg = header(width: width, height: height, title: title)
    svg +=
      "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
    for tick in 0...4 {
      let fx = x0 + (x1 - x0) * Double(tick) / 4
      let fy = y0 + (y1 - y0) * Double(tick) / 4
      svg +=
        "<line x1=\"\(px(fx))\" y1=\"\(top)\" x2=\"\(px(fx))\" y2=\"\(top + plotHeight)\" stroke=\"#eee\"/>\n"
      svg +=
        "<line x1=\"\(left)\" y1=\"\(py(fy))\" x2=\"\(left + plotWidth)\" y2=\"\(py(fy))\" stroke=\"#eee\"/>\n"
      svg +=
        "<text x=\"\(px(fx))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\">\(number(fx))</text>\n"
      svg += "<text x=\"\(left - 6)\" y=\"\(py(fy) + 4)\" text-anchor=\"end\">\(number(fy))</text>\n"
    }
    if diagonal {
      svg +=
        "<line x1=\"\(px(x0))\" y1=\"\(py(y0))\" x2=\"\(px(x1))\" y2=\"\(py(y1))\" stroke=\"#aaa\" stroke-dasharray=\"4 4\"/>\n"
    }
    for (index, item) in series.enumerated() {
      let color = palette[index % palette.count]
      let path = item.points.filter { $0.0.isFinite && $0.1.isFinite }.map { "\(px($0.0)),\(py($0.1))" }
      if !path.isEmpty {
        svg +=
          "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>\n"
      }
      let legendY = top + 16 * Double(index) + 8
      svg +=
        "<line x1=\"\(width - right + 12)\" y1=\"\(legendY)\" x2=\"\(width - right + 32)\" y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
      svg += "<text x=\"\(width - right + 38)\" y=\"\(legendY + 4)\">\(escape(item.name))</text>\n"
    }
    svg +=
      "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    svg +=
      "<text x=\"16\" y=\"\(top + plotHeight / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(top + plotHeight / 2))\">\(escape(yLabel))</text>\n"
    return svg + "</svg>\n"
  }

  /// The confusion matrix as a heatmap with counts; rows are true labels, columns predictions.
  public static func heatmap(_ matrix: ConfusionMatrix, title: String) -> String {
    let cell = max(24.0, min(56.0, 480.0 / Double(max(matrix.classes, 1))))
    let left = 70.0
    let top = 76.0
    let size = cell * Double(matrix.classes)
    let width = left + size + 30
    let height = top + size + 40
    let largest = Double(max(1, matrix.counts.max() ?? 1))
    var svg = header(width: width, height: height, title: title)
    for row in 0..<matrix.classes {
      for column in 0..<matrix.classes {
        let count = matrix[row, column]
        let intensity = Double(count) / largest
        let shade = Int(255 - 200 * intensity)
        let x = left + Double(column) * cell
        let y = top + Double(row) * cell
        svg +=
          "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>\n"
        let ink = intensity > 0.6 ? "#fff" : "#000"
        svg +=
          "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" fill=\"\(ink)\">\(count)</text>\n"
      }
      svg +=
        "<text x=\"\(left - 8)\" y=\"\(top + Double(row) * cell + cell / 2 + 4)\" text-anchor=\"end\">\(row)</text>\n"
      svg +=
        "<text x=\"\(left + Double(row) * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(row)</text>\n"
    }
    svg += "<text x=\"\(left + size / 2)\" y=\"\(top - 26)\" text-anchor=\"middle\">predicted</text>\n"
    svg +=
      "<text x=\"18\" y=\"\(top + size / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(top + size / 2))\">true label</text>\n"
    return svg + "</svg>\n"
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
