/// The regression metrics `nnc` reports, named as scikit-learn names them.
public enum RegressionMetric: String, Sendable, CaseIterable {
  case mae
  case mse
  case rmse
  case r2
  case explainedVariance = "explained_variance"
  case maxError = "max_error"
}

/// Errors of float predictions against float targets, row-major with `outputs` values per sample,
/// as scikit-learn (1.9) computes them: `mean_absolute_error`, `mean_squared_error`,
/// `root_mean_squared_error`, `r2_score`, `explained_variance_score` and `max_error`, each per output
/// (`multioutput="raw_values"`) and as the unweighted mean over outputs (`"uniform_average"`).
/// - R² and explained variance of an output whose targets are constant are 1 when the predictions
///   are exact and 0 otherwise (scikit-learn's `force_finite=True`); with fewer than two samples
///   they are undefined (nil; scikit-learn returns NaN).
/// - scikit-learn's `max_error` takes one output only; here it is the largest absolute error of each
///   output, averaged like the others.
public struct RegressionMetrics: Sendable, Equatable {
  public var outputs: Int
  public var samples: Int
  /// Per output, for every metric that is defined.
  public var rawValues: [RegressionMetric: [Double]]

  public init(targets: [Double], predictions: [Double], outputs: Int) {
    precondition(outputs > 0 && targets.count == predictions.count && targets.count % outputs == 0)
    self.outputs = outputs
    samples = targets.count / outputs
    let columns = (0..<outputs).map { output in
      (Self.column(targets, output, outputs), Self.column(predictions, output, outputs))
    }
    var raw: [RegressionMetric: [Double]] = [:]
    guard samples > 0 else {
      rawValues = raw
      return
    }
    raw[.mae] = columns.map { Self.meanAbsoluteError($0.0, $0.1) }
    raw[.mse] = columns.map { Self.meanSquaredError($0.0, $0.1) }
    raw[.rmse] = raw[.mse]!.map { $0.squareRoot() }
    raw[.maxError] = columns.map { zip($0.0, $0.1).reduce(0.0) { max($0, abs($1.0 - $1.1)) } }
    if samples >= 2 {
      raw[.r2] = columns.map { Self.r2($0.0, $0.1) }
      raw[.explainedVariance] = columns.map { Self.explainedVariance($0.0, $0.1) }
    }
    rawValues = raw
  }

  /// One metric per output; nil when it is undefined (no samples, or fewer than two for R² and
  /// explained variance).
  public func values(_ metric: RegressionMetric) -> [Double]? { rawValues[metric] }

  /// The mean of a metric over outputs (scikit-learn's `uniform_average`).
  public func uniformAverage(_ metric: RegressionMetric) -> Double? {
    guard let values = rawValues[metric] else { return nil }
    return values.reduce(0, +) / Double(values.count)
  }

  static func column(_ values: [Double], _ output: Int, _ outputs: Int) -> [Double] {
    stride(from: output, to: values.count, by: outputs).map { values[$0] }
  }

  static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

  public static func meanAbsoluteError(_ targets: [Double], _ predictions: [Double]) -> Double {
    mean(zip(targets, predictions).map { abs($0 - $1) })
  }

  public static func meanSquaredError(_ targets: [Double], _ predictions: [Double]) -> Double {
    mean(zip(targets, predictions).map { ($0 - $1) * ($0 - $1) })
  }

  /// 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
  public static func r2(_ targets: [Double], _ predictions: [Double]) -> Double {
    let residual = zip(targets, predictions).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let center = mean(targets)
    let total = targets.reduce(0.0) { $0 + ($1 - center) * ($1 - center) }
    return finiteRatio(residual, total)
  }

  /// 1 − Var(y − ŷ) / Var(y): R² once the mean error (a constant offset) is removed.
  public static func explainedVariance(_ targets: [Double], _ predictions: [Double]) -> Double {
    let errors = zip(targets, predictions).map { $0 - $1 }
    let errorMean = mean(errors)
    let residual = mean(errors.map { ($0 - errorMean) * ($0 - errorMean) })
    let center = mean(targets)
    let total = mean(targets.map { ($0 - center) * ($0 - center) })
    return finiteRatio(residual, total)
  }

  /// 1 − residual / total, with scikit-learn's answer for constant targets.
  static func finiteRatio(_ residual: Double, _ total: Double) -> Double {
    if total == 0 { return residual == 0 ? 1 : 0 }
    return 1 - residual / total
  }
}
