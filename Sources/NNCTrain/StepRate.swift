import Foundation

/// The speed a live progress bar shows: images per second and the time left in the epoch, both
/// counted from the end of the epoch's first step. The bar hears of a step when it ends, so after
/// the first step there is no duration to divide by: it shows "-" rather than a batch over a
/// microsecond (`128000000 img/s`).
public enum StepRate {
  /// Images per second after `step` steps of the epoch: `samples` seen after the first step over the
  /// `seconds` since it ended; "-" at the first step.
  public static func imagesPerSecond(samples: Int, seconds: Double, step: Int) -> String {
    guard step > 1 else { return "-" }
    return String(format: "%.0f", Double(samples) / max(seconds, 1e-6))
  }

  /// The seconds left in the epoch at the pace of the steps after the first; nil at the first step.
  public static func remainingSeconds(seconds: Double, step: Int, stepsPerEpoch: Int) -> Double? {
    guard step > 1 else { return nil }
    return seconds / Double(step - 1) * Double(max(stepsPerEpoch - step, 0))
  }
}
