import NNCGraph
import NNCSpec

/// How a model's outputs become a class decision per sample, by the task: the arg-max of K scores,
/// the probability of class 1 against a threshold, or no decision at all for a regression.
public enum PredictionRule: Sendable, Equatable {
  /// The class of the largest output (a single output: class 1 when positive).
  case argmax
  /// One output: class 1 when its probability is at least `threshold`; `outputIsLogit` when the
  /// output is a logit (the loss applies the sigmoid), else it is the probability itself.
  case threshold(Double, outputIsLogit: Bool)
  /// Real-valued outputs: nothing to decide and no accuracy.
  case regression

  /// The rule of `task` for outputs that `loss` reads; `threshold` serves a binary task.
  public init(task: TaskKind, loss: LossFunction, threshold: Double) {
    switch task {
    case .classification, .multilabel: self = .argmax
    case .regression: self = .regression
    case .binary:
      if case .binaryCrossEntropy(let fromLogits) = loss {
        self = .threshold(threshold, outputIsLogit: fromLogits)
      } else {
        self = .threshold(threshold, outputIsLogit: false)
      }
    }
  }

  /// The task of a configuration's model: `data.task` when stated, else inferred from the loss and the
  /// graph's output units.
  public static func task(of configuration: TrainingConfiguration, graph: Graph) -> TaskKind {
    configuration.data?.task
      ?? TaskKind.inferred(
        loss: configuration.loss.kind, outputUnits: graph.outputShape.sampleCount,
        declaresClasses: configuration.data?.classes != nil || configuration.data?.classesSubset != nil)
  }

  /// The rule for a configuration's model evaluated with `loss`; `threshold` overrides the spec's.
  public static func of(
    _ configuration: TrainingConfiguration, graph: Graph, loss: LossFunction, threshold: Double? = nil
  ) -> PredictionRule {
    PredictionRule(
      task: task(of: configuration, graph: graph), loss: loss,
      threshold: threshold ?? configuration.threshold)
  }

  /// Whether the rule decides classes (so accuracy and class metrics exist).
  public var decidesClasses: Bool { self != .regression }

  /// The fraction of correct decisions; not a number for a regression, which makes none.
  func accuracy(correct: Int, seen: Int) -> Double {
    guard decidesClasses else { return .nan }
    return seen == 0 ? 0 : Double(correct) / Double(seen)
  }

  /// The class of one sample's outputs; nil for a regression.
  func predictedClass(_ output: UnsafeBufferPointer<Float>, sample: Int, classes: Int) -> Int32? {
    let row = sample * classes
    switch self {
    case .regression:
      return nil
    case .threshold(let threshold, let outputIsLogit):
      let probability = outputIsLogit ? Losses.sigmoid(output[row]) : output[row]
      return Double(probability) >= threshold ? 1 : 0
    case .argmax:
      if classes == 1 { return output[row] > 0 ? 1 : 0 }
      var best = 0
      for index in 1..<classes where output[row + index] > output[row + best] { best = index }
      return Int32(best)
    }
  }
}
