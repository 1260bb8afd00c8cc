import Foundation

/// Cross-entropy of predicted probabilities against the labels, as scikit-learn's
/// `log_loss(y_true, y_prob, labels=range(classes))` (version 1.9) computes it: probabilities are
/// clipped to [ε, 1 − ε] with ε the Float64 machine epsilon (2.22e-16), rows are used as given (not
/// renormalized), and the mean over samples is returned.
public enum LogLoss {
  public static let epsilon = Double.ulpOfOne

  /// Nil when a score lies outside [0, 1] (they are not probabilities; scikit-learn raises) or there
  /// are no samples.
  public static func value(probabilities: [Double], labels: [Int], classes: Int) -> Double? {
    guard !labels.isEmpty, probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { return nil }
    var total = 0.0
    for (sample, label) in labels.enumerated() {
      let probability = probabilities[sample * classes + label]
      total -= log(min(max(probability, epsilon), 1 - epsilon))
    }
    return total / Double(labels.count)
  }
}
