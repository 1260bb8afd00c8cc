import Foundation
import Testing

@testable import NNCMetrics

/// RegressionMetrics against the values scikit-learn computed for the cases in
/// Tests/Fixtures/metrics/regression.json (written by make_fixtures.py there), to 1e-9.
struct RegressionFixtureTests {
  struct Values: Decodable {
    var raw_values: [Double]
    var uniform_average: Double
  }

  struct Case: Decodable, Sendable, CustomStringConvertible {
    var name: String
    var outputs: Int
    var targets: [Double]
    var predictions: [Double]
    var expected: [String: Values]
    var description: String { name }
  }

  struct Fixture: Decodable {
    var cases: [Case]
  }

  static let cases: [Case] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics/regression.json")
    guard let data = try? Data(contentsOf: url),
      let fixture = try? JSONDecoder().decode(Fixture.self, from: data)
    else { return [] }
    return fixture.cases
  }()

  @Test func fixturesAreThere() {
    #expect(
      Set(Self.cases.map(\.description)).isSuperset(of: [
        "single_output", "three_outputs", "offset", "constant_target", "perfect", "negative_r2",
      ]))
  }

  @Test(arguments: cases) func metricsMatchScikitLearn(_ item: Case) throws {
    let metrics = RegressionMetrics(
      targets: item.targets, predictions: item.predictions, outputs: item.outputs)
    #expect(Set(item.expected.keys) == Set(RegressionMetric.allCases.map(\.rawValue)))
    for metric in RegressionMetric.allCases {
      let expected = try #require(item.expected[metric.rawValue])
      let raw = try #require(metrics.values(metric), "\(metric)")
      #expect(ScikitLearnFixtureTests.close(raw, expected.raw_values), "\(metric) raw values")
      #expect(
        ScikitLearnFixtureTests.close(metrics.uniformAverage(metric), expected.uniform_average),
        "\(metric) uniform average")
    }
  }

  @Test func undefinedWithTooFewSamples() {
    let one = RegressionMetrics(targets: [1, 2], predictions: [1.5, 2], outputs: 2)
    #expect(one.values(.r2) == nil)
    #expect(one.values(.explainedVariance) == nil)
    #expect(one.values(.mae) == [0.5, 0])
    let none = RegressionMetrics(targets: [], predictions: [], outputs: 1)
    #expect(none.uniformAverage(.mse) == nil)
  }
}
