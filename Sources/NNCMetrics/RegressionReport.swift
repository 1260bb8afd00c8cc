import Foundation

/// What `nnc eval` reports for a regression: every metric of `RegressionMetrics` per output and as
/// the uniform average over outputs, with the loss (in the units the model trained in).
public struct RegressionReport: Sendable {
  public var metrics: RegressionMetrics
  /// The name of each output (a CSV header), or `output_0`, `output_1`, ...
  public var names: [String]
  public var loss: Double?

  public init(targets: [Double], predictions: [Double], outputs: Int, names: [String]? = nil, loss: Double?) {
    metrics = RegressionMetrics(targets: targets, predictions: predictions, outputs: outputs)
    self.names = names?.count == outputs ? names! : (0..<outputs).map { "output_\($0)" }
    self.loss = loss
  }

  /// The `metrics` object of `nnc eval --format json`: each metric's uniform average, and per output.
  /// An undefined value (R² of fewer than two samples) is `null`.
  public struct JSON: Encodable, Sendable {
    public var task = "regression"
    public var loss: Double?
    public var samples: Int
    public var outputs: [String]
    /// Metric name -> uniform average over outputs.
    public var average: [String: Double?]
    /// Metric name -> one value per output, in the order of `outputs`.
    public var per_output: [String: [Double]?]
  }

  public var json: JSON {
    JSON(
      loss: loss, samples: metrics.samples, outputs: names,
      average: Dictionary(
        uniqueKeysWithValues: RegressionMetric.allCases.map { ($0.rawValue, metrics.uniformAverage($0)) }),
      per_output: Dictionary(
        uniqueKeysWithValues: RegressionMetric.allCases.map { ($0.rawValue, metrics.values($0)) }))
  }

  /// A table: one row per output (and their average when there are several), one column per metric.
  public var text: String {
    let nameWidth = max(12, names.map(\.count).max() ?? 0, "uniform avg".count)
    func pad(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
    let columns = RegressionMetric.allCases
    var out = ""
    if let loss { out += String(format: "loss: %.4f\n\n", loss) }
    out += pad("", nameWidth) + columns.map { pad($0.rawValue, 20) }.joined() + "\n"
    for (output, name) in names.enumerated() {
      out +=
        pad(name, nameWidth) + columns.map { pad(number(metrics.values($0)?[output]), 20) }.joined() + "\n"
    }
    if names.count > 1 {
      out +=
        pad("uniform avg", nameWidth) + columns.map { pad(number(metrics.uniformAverage($0)), 20) }.joined()
        + "\n"
    }
    return out
  }
}
