import Foundation
import Testing

/// Darknet/Caffe-style crops end to end: the digits' 8x8 images train on random 6x6 crops and are
/// evaluated and predicted on their centre 6x6 window (`data.center_crop`).
@Suite struct CropTrainingTests {
  static func spec(in directory: URL) throws -> String {
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits").path
    let text = """
      model:
        input: [1, 6, 6]
        layers:
          - flatten
          - dense: {units: 32, activation: relu}
          - dense: 10
      data:
        format: idx
        train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
        test: {images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}
        classes: 10
        scale: 0.0625
        validation_split: 0.1
        center_crop: [6, 6]
      augment:
        - random_crop: {size: [6, 6]}
      loss: cross_entropy
      optimizer: {adam: {lr: 3.0e-3}}
      train: {epochs: 6, batch_size: 32, seed: 2}

      """
    let path = directory.appendingPathComponent("crop.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func trainsOnRandomCropsAndEvaluatesAndPredictsOnTheCentre() throws {
    let directory = try TrainingSupport.temporaryDirectory("crop")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.spec(in: directory)
    let check = try NNCProcess.run(["check", spec])
    #expect(check.status == 0, "\(check.stderr)")
    var checkpoints: [Data] = []
    for (number, workers) in ["1", "2"].enumerated() {
      let run = directory.appendingPathComponent("run\(number)")
      let train = try NNCProcess.run([
        "train", spec, "--run-dir", run.path, "--format", "json", "--set", "data.workers=\(workers)",
      ])
      try #require(train.status == 0, "\(train.stderr)")
      let done = try TargetTaskTests.done(train.stdout)
      #expect(done.test_samples == 360)
      // Ten classes: chance is 0.1.
      #expect((done.test_accuracy ?? 0) >= 0.6, "test accuracy \(done.test_accuracy ?? 0)")
      checkpoints.append(try Data(contentsOf: run.appendingPathComponent("checkpoint-last.safetensors")))
    }
    // Every sample's crop comes from its own generator: the loader's threads change nothing.
    #expect(checkpoints[0] == checkpoints[1])
    let checkpoint = directory.appendingPathComponent("run0/checkpoint-last.safetensors").path
    let eval = try NNCProcess.run(["eval", spec, "--checkpoint", checkpoint])
    #expect(eval.status == 0, "\(eval.stderr)")
    // The stored 8x8 test images are cropped to the model's 6x6 input as evaluation crops them.
    let images = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits/t10k-images-idx3-ubyte").path
    let predict = try NNCProcess.run([
      "predict", spec, "--checkpoint", checkpoint, images, "--format", "json",
    ])
    #expect(predict.status == 0, "\(predict.stderr)")
    #expect(predict.stdout.split(separator: "\n").count == 360)
  }
}
