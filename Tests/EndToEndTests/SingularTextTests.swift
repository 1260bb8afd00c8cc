import Foundation
import Testing

/// Counts of one read in the singular: "(1 layer)" when a phase trains one layer, "(1 sample)" for a
/// split of one sample.
@Test func countsOfOneReadInTheSingular() throws {
  let directory = try TrainingSupport.temporaryDirectory("singular")
  defer { try? FileManager.default.removeItem(at: directory) }
  // Label, then four features: the label is whether the first feature is positive.
  let rows = (0..<20).map { row -> String in
    let first = Double(row % 2 == 0 ? row : -row) / 10
    return "\(first > 0 ? 1 : 0),\(first),0.5,\(Double(row) / 20),1"
  }
  try rows.joined(separator: "\n").write(
    to: directory.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
  try "1,0.7,0.5,0.1,1\n".write(
    to: directory.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8)
  let spec = """
    model:
      input: [4]
      layers:
        - dense: {units: 8, activation: relu, name: hidden}
        - dense: {units: 2, name: out}
    data:
      format: csv
      train: {path: train.csv}
      test: {path: test.csv}
      classes: 2
    loss: cross_entropy
    optimizer: {sgd: {lr: 0.1}}
    train: {batch_size: 10, seed: 1, phases: [{epochs: 1}, {epochs: 1, trainable: [out]}]}

    """
  try spec.write(to: directory.appendingPathComponent("one.yaml"), atomically: true, encoding: .utf8)
  let train = try NNCProcess.run(["train", "one.yaml", "--run-dir", "run"], currentDirectory: directory)
  try #require(train.status == 0, "\(train.stderr)")
  let output = train.stdout + train.stderr
  #expect(output.contains("18 trainable parameters (1 layer)"), "\(output)")
  #expect(!output.contains("(1 layers)") && !output.contains("(1 samples)"), "\(output)")
  let eval = try NNCProcess.run(
    ["eval", "one.yaml", "--checkpoint", "run/checkpoint-last.safetensors", "--split", "test"],
    currentDirectory: directory)
  try #require(eval.status == 0, "\(eval.stderr)")
  #expect(eval.stdout.contains("split: test (1 sample)"), "\(eval.stdout)")
}
