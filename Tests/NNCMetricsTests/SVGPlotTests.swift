import Foundation
import Testing

@testable import NNCMetrics

/// The numbers in every `points="..."` list and `cx`/`cy` attribute of an SVG.
private func coordinates(_ svg: String) -> [String] {
  var result: [String] = []
  for part in svg.components(separatedBy: "points=\"").dropFirst() {
    let list = part.prefix { $0 != "\"" }
    result += list.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
  }
  for attribute in ["cx=\"", "cy=\""] {
    for part in svg.components(separatedBy: attribute).dropFirst() {
      result.append(String(part.prefix { $0 != "\"" }))
    }
  }
  return result
}

@Test func explodingLossesArePlottedWithGapsForNonFiniteValues() {
  // An `sgd lr 1000` run: finite losses far beyond any integer type, then NaN and infinity.
  let losses = [2.3, 1e17, 3e18, 1e300, .nan, 5e307, .infinity, -.infinity, 4]
  let points = losses.enumerated().map { (Double($0 + 1), $1) }
  let svg = SVGPlot.lines(
    title: "loss", xLabel: "epoch", yLabel: "loss", series: [.init(name: "train loss", points: points)],
    integerX: true)
  #expect(svg.hasSuffix("</svg>\n"))
  // Runs 2.3...1e300, 5e307 and 4: two lone points and one line.
  #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
  #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
  let numbers = coordinates(svg)
  #expect(numbers.count == 2 * 4 + 2 * 2)
  #expect(numbers.allSatisfy { Double($0)?.isFinite == true })
  // The range is as wide as the data, and drawn lines stay within the plot's clip path.
  #expect(svg.contains("clip-path=\"url(#plot-area)\""))
  #expect(SVGPlot.number(1e17) == "1e+17")
  #expect(SVGPlot.number(-2.5e300) == "-2.5e+300")
  #expect(SVGPlot.number(0.125) == "0.13")
  #expect(SVGPlot.number(12) == "12")
}

@Test func valuesOutsideAGivenRangeAreClippedNotDrawnFarAway() {
  let svg = SVGPlot.lines(
    title: "metrics", xLabel: "epoch", yLabel: "value",
    series: [.init(name: "val error", points: [(1, 0.5), (2, 1e200), (3, -1e200)])], xRange: (1, 3),
    yRange: (0, 1))
  let numbers = coordinates(svg).compactMap(Double.init)
  #expect(numbers.count == 6)
  // Within a few plot heights of the 420-pixel canvas, however far the values are.
  #expect(numbers.allSatisfy { abs($0) < 5000 })
}

@Test func constantHugeSeriesAndEmptyRowsDoNotTrap() {
  let svg = SVGPlot.lines(
    title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(1e17, 1e18), (1e17, 1e18)])])
  #expect(coordinates(svg).allSatisfy { Double($0)?.isFinite == true })
  #expect(SVGPlot.shade(.nan) == SVGPlot.shade(0))
  #expect(SVGPlot.shade(7) == SVGPlot.shade(1))
}
