import Foundation
import Testing

@testable import NNCMetrics

@Suite struct PredictionsFileTests {
  @Test func writtenFilesReadBackExactlyForFloat32Scores() throws {
    let scores = [Float(0.1), 0.7, 0.2, 1.0 / 3, 1.0 / 3, 1.0 / 3].map(Double.init)
    let original = Predictions(labels: [1, 2], predictions: [1, 0], scores: scores, classes: 3)
    let text = PredictionsFile.text(original)
    #expect(text.hasPrefix("index,label,prediction,prob_0,prob_1,prob_2\n0,1,1,"))
    let read = try PredictionsFile.parse(text, path: "p.csv")
    #expect(read.labels == original.labels && read.predictions == original.predictions)
    #expect(read.scores.map(Float.init) == original.scores.map(Float.init))
  }

  @Test func windowsLineEndingsAndOneScoreColumn() throws {
    let read = try PredictionsFile.parse(
      "index,label,prediction,prob_0\r\n0,1,1,0.75\r\n1,0,0,0.25\r\n", path: "p.csv")
    #expect(read.classes == 2)
    #expect(read.scores == [0.25, 0.75, 0.75, 0.25])
  }

  @Test func errorsNameTheFileAndLine() {
    func message(_ text: String) -> String {
      do {
        _ = try PredictionsFile.parse(text, path: "p.csv")
        return ""
      } catch {
        return "\(error)"
      }
    }
    #expect(
      message("index,label,prediction,prob_0,prob_1\n0,0,3,0.5,0.5\n").hasPrefix(
        "p.csv:2: the prediction '3'"))
    #expect(
      message("index,label,prediction,prob_0,prob_1\n0,-1,0,0.5,0.5\n").hasPrefix("p.csv:2: the label '-1'"))
    #expect(
      message("index,label,prediction,prob_0,prob_1\n0,0,0,nan,0.5\n").hasPrefix("p.csv:2: prob_0 'nan'"))
    #expect(message("index,label,prediction,prob_1\n").hasPrefix("p.csv:1: expected the header"))
    #expect(message("index,label,prediction,prob_0,prob_1\n") == "p.csv: the file has no predictions")
  }
}
