import Foundation
import Testing

@testable import NNCMetrics

@Suite struct TargetPredictionsFileTests {
  @Test func regressionFilesReadBack() throws {
    let text = TargetPredictionsFile.regressionText(
      targets: [1.5, 10, 2, 20], predictions: [1.25, 11, 2.5, 19], names: ["a", "b"])
    #expect(text.hasPrefix("index,target_a,target_b,prediction_a,prediction_b\n0,1.5,10,1.25,11\n"))
    guard
      case .regression(let targets, let predictions, let names) = try TargetPredictionsFile.parse(
        text, path: "p")
    else {
      Issue.record("not read as a regression")
      return
    }
    #expect(targets == [1.5, 10, 2, 20] && predictions == [1.25, 11, 2.5, 19] && names == ["a", "b"])
  }

  @Test func multilabelFilesReadBackWithTheirPredictedSets() throws {
    let text = TargetPredictionsFile.multilabelText(
      targets: [1, 0, 1, 0, 0, 0], scores: [0.9, 0.2, 0.6, 0.1, 0.3, 0.2],
      predictions: [true, false, true, false, false, false], names: ["x", "y", "z"])
    #expect(text.contains("\n0,1,0,1,0.899999976,0.200000003,0.600000024,0;2\n"))
    #expect(text.hasSuffix(",\n"))
    guard
      case .multilabel(let targets, _, let predictions, let names) = try TargetPredictionsFile.parse(
        text, path: "p")
    else {
      Issue.record("not read as multi-label")
      return
    }
    #expect(targets == [true, false, true, false, false, false])
    #expect(predictions == [true, false, true, false, false, false])
    #expect(names == ["x", "y", "z"])
  }

  @Test func malformedFilesNameTheLine() {
    #expect(throws: PredictionsFileError.self) {
      try TargetPredictionsFile.parse("index,target_a,prob_a,predicted\n0,1,0.5,3\n", path: "p")
    }
    #expect(throws: PredictionsFileError.self) {
      try TargetPredictionsFile.parse("index,target_a,prediction_b\n0,1,2\n", path: "p")
    }
    do {
      _ = try TargetPredictionsFile.parse("index,target_a,prediction_a\n0,1,x\n", path: "p")
    } catch let error as PredictionsFileError {
      #expect(error.description == "p:2: prediction_a 'x' is not a finite number")
    } catch {
      Issue.record("\(error)")
    }
  }
}
