import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// Task inference from the loss and the head, and how each task's outputs become classes.
@Suite struct PredictionRuleTests {
  @Test func theTaskFollowsTheLossAndTheHead() {
    #expect(
      TaskKind.inferred(loss: .crossEntropy, outputUnits: 10, declaresClasses: false) == .classification)
    #expect(TaskKind.inferred(loss: .binaryCrossEntropy, outputUnits: 1, declaresClasses: true) == .binary)
    #expect(
      TaskKind.inferred(loss: .binaryCrossEntropy, outputUnits: 5, declaresClasses: false) == .multilabel)
    #expect(TaskKind.inferred(loss: .mse, outputUnits: 1, declaresClasses: false) == .regression)
    // mse against one-hot labels keeps meaning a classification.
    #expect(TaskKind.inferred(loss: .mse, outputUnits: 10, declaresClasses: false) == .classification)
    #expect(TaskKind.inferred(loss: .mse, outputUnits: 1, declaresClasses: true) == .classification)
  }

  static func predictions(_ rule: PredictionRule, _ outputs: [Float], classes: Int) -> [Int32?] {
    outputs.withUnsafeBufferPointer { buffer in
      (0..<(outputs.count / classes)).map { rule.predictedClass(buffer, sample: $0, classes: classes) }
    }
  }

  @Test func aBinaryTaskThresholdsTheProbability() {
    // Probabilities (a final sigmoid): 0.3 is below 0.5, whatever its sign.
    let probabilities = PredictionRule(
      task: .binary, loss: .binaryCrossEntropy(fromLogits: false), threshold: 0.5)
    #expect(Self.predictions(probabilities, [0.3, 0.5, 0.9], classes: 1) == [0, 1, 1])
    // Logits go through the sigmoid first: sigmoid(1) = 0.73.
    let logits = PredictionRule(task: .binary, loss: .binaryCrossEntropy(fromLogits: true), threshold: 0.7)
    #expect(Self.predictions(logits, [-0.5, 0.5, 1], classes: 1) == [0, 0, 1])
  }

  @Test func otherTasksTakeTheArgMaxOrNothing() {
    let argmax = PredictionRule(task: .classification, loss: .crossEntropy(), threshold: 0.5)
    #expect(Self.predictions(argmax, [0.1, 0.7, 0.2, 0.9, 0.05, 0.05], classes: 3) == [1, 0])
    let regression = PredictionRule(task: .regression, loss: .meanSquaredError, threshold: 0.5)
    #expect(Self.predictions(regression, [3.5, -1], classes: 1) == [nil, nil])
    #expect(regression.accuracy(correct: 0, seen: 2).isNaN)
    #expect(argmax.accuracy(correct: 1, seen: 2) == 0.5)
  }
}
