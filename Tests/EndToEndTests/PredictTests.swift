import Foundation
import NNCONNX
import NNCSpec
import NNCTrain
import Testing

/// `nnc predict` against `nnc eval --predictions` on the same images, class names from the checkpoint
/// (and into the exported model), the golden CSV / JSON / text shapes per task, and unreadable inputs.
@Suite struct PredictTests {
  /// The image-folder model of `ImageFolderTrainingTests` trained briefly, with the whole folder as
  /// its test split.
  static let folderSpec = """
    model:
      input: [3, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 3, padding: same, activation: relu}
        - batchnorm
        - maxpool: 2
        - flatten
        - dense: 3
    data:
      format: folder
      path: images
      test: {path: images}
    augment:
      - hflip
      - normalize: {mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}
    loss: cross_entropy
    optimizer: {adam: {lr: 0.01}}
    train: {epochs: 2, batch_size: 4, seed: 3}
    """

  /// Per input, the probability of every class, from `--format csv` with the top-k of all classes.
  static func probabilities(csv: String, classes: Int) -> [[Double]] {
    csv.split(separator: "\n").dropFirst().map { line in
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      var row = [Double](repeating: .nan, count: classes)
      for rank in 0..<classes {
        let base = 1 + rank * 3
        row[Int(fields[base])!] = Double(fields[base + 2])!
      }
      return row
    }
  }

  @Test func predictionsOnImagesEqualEvalPredictionsAndCarryClassNames() throws {
    let root = try ImageFolderTrainingTests.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    try Self.folderSpec.write(
      to: root.appendingPathComponent("predict.yaml"), atomically: true, encoding: .utf8)
    let train = try NNCProcess.run(["train", "predict.yaml", "--run-dir", "run"], currentDirectory: root)
    try #require(train.status == 0, "\(train.stderr)")
    let checkpoint = "run/checkpoint-last.safetensors"
    let metadata = try ImageFolderTrainingTests.safetensorsMetadata(root.appendingPathComponent(checkpoint))
    #expect(metadata["nnc_version"] == NNCVersion.current)

    let eval = try NNCProcess.run(
      ["eval", "predict.yaml", "--checkpoint", checkpoint, "--predictions", "eval.csv"],
      currentDirectory: root)
    try #require(eval.status == 0, "\(eval.stderr)")
    let evalRows = try String(contentsOf: root.appendingPathComponent("eval.csv"), encoding: .utf8)
      .split(separator: "\n").dropFirst().map { line in
        line.split(separator: ",").dropFirst(3).map { Double($0)! }
      }
    let predict = try NNCProcess.run(
      [
        "predict", "predict.yaml", "--checkpoint", checkpoint, "images", "--format", "csv", "--top-k", "3",
        "-o", "predict.csv",
      ],
      currentDirectory: root)
    try #require(predict.status == 0, "\(predict.stderr)")
    let csv = try String(contentsOf: root.appendingPathComponent("predict.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("input,class_1,name_1,probability_1,class_2,"))
    let predicted = Self.probabilities(csv: csv, classes: 3)
    #expect(predicted.count == evalRows.count)
    #expect(predicted.count == 18)
    for (mine, theirs) in zip(predicted, evalRows) {
      for (a, b) in zip(mine, theirs) { #expect(abs(a - b) <= 1e-6, "\(mine) vs \(theirs)") }
    }

    // The checkpoint's class names name the predictions and go into the exported model.
    let json = try NNCProcess.run(
      [
        "predict", "predict.yaml", "--checkpoint", checkpoint, "images/dots/1.jpg", "images/blank/0.png",
        "--format", "json", "--top-k", "1",
      ],
      currentDirectory: root)
    try #require(json.status == 0, "\(json.stderr)")
    let lines = json.stdout.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[0].hasPrefix("{\"input\":\"images/dots/1.jpg\",\"top\":[{\"class\":"))
    let names = lines.compactMap { line -> String? in
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return ((object?["top"] as? [[String: Any]])?.first)?["name"] as? String
    }
    #expect(names.count == 2 && names.allSatisfy { ["blank", "dots", "stripes"].contains($0) })
    let export = try NNCProcess.run(
      ["export", "predict.yaml", "--checkpoint", checkpoint, "-o", "model.onnx"], currentDirectory: root)
    try #require(export.status == 0, "\(export.stderr)")
    let model = try ONNXModelFile.read(root.appendingPathComponent("model.onnx").path)
    let properties = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
    #expect(properties["nnc.classes"] == "[\"blank\",\"dots\",\"stripes\"]")
    #expect(
      properties["nnc.input_normalization"]
        == "[{\"mean\":[0.5,0.5,0.5],\"scale\":1,\"std\":[0.25,0.25,0.25]}]")
    #expect(properties["nnc.output"] == "probabilities")
    #expect(model.graph.node.last?.opType == "Softmax")
  }

  @Test func unreadableInputsAreNamedOrSkipped() throws {
    let root = try ImageFolderTrainingTests.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    try Self.folderSpec.write(
      to: root.appendingPathComponent("predict.yaml"), atomically: true, encoding: .utf8)
    try Data("not a png".utf8).write(to: root.appendingPathComponent("images/dots/broken.png"))
    let failed = try NNCProcess.run(
      ["predict", "predict.yaml", "images", "missing.png", "-o", "out.txt"], currentDirectory: root)
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("error: missing.png: no such file or folder"), "\(failed.stderr)")
    #expect(failed.stderr.contains("error: images/dots/broken.png: "), "\(failed.stderr)")
    #expect(failed.stderr.contains("error: 2 inputs could not be read (--skip-corrupt skips them)"))
    #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out.txt").path))
    let skipped = try NNCProcess.run(
      ["predict", "predict.yaml", "images", "missing.png", "--skip-corrupt", "-o", "out.txt"],
      currentDirectory: root)
    #expect(skipped.status == 0, "\(skipped.stderr)")
    #expect(skipped.stderr.contains("warning: images/dots/broken.png: "), "\(skipped.stderr)")
    let text = try String(contentsOf: root.appendingPathComponent("out.txt"), encoding: .utf8)
    // A header and the 18 readable images.
    #expect(text.split(separator: "\n").count == 19)
    let threshold = try NNCProcess.run(
      ["predict", "predict.yaml", "images", "--threshold", "0.3"], currentDirectory: root)
    #expect(threshold.status == 1)
    #expect(
      threshold.stderr.contains(
        "error: --threshold applies to binary and multi-label heads; this model's task is classification"),
      "\(threshold.stderr)")
  }

  /// Small dense models whose weights are small integers on integer inputs, so every output is exact
  /// and the golden files hold on any BLAS kernel.
  static func goldenWorkspace() throws -> URL {
    let root = try TrainingSupport.temporaryDirectory("predict-golden")
    try "1,0,2,1\n0,3,1,0\n2,2,0,1\n1,1,1,1\n".write(
      to: root.appendingPathComponent("samples.csv"), atomically: true, encoding: .utf8)
    func model(_ name: String, units: Int, loss: String) throws {
      try """
      model:
        input: [4]
        layers:
          - dense: \(units)
      loss: \(loss)
      """.write(to: root.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
      let weights = (0..<(units * 4)).map { Float(($0 * 7) % 5) - 2 }
      let bias = (0..<units).map { Float($0) - 1 }
      var metadata: [String: String] = [:]
      if units == 3 { metadata[Checkpoint.classesKey] = "[\"cat\",\"dog\",\"eel\"]" }
      try Checkpoint(
        parameters: [
          "dense.weight": .init(shape: [units, 4], values: weights),
          "dense.bias": .init(shape: [units], values: bias),
        ], metadata: metadata
      ).write(to: root.appendingPathComponent("\(name).safetensors").path)
    }
    try model("classification", units: 3, loss: "cross_entropy")
    try model("binary", units: 1, loss: "binary_cross_entropy")
    try model("multilabel", units: 3, loss: "binary_cross_entropy")
    try model("regression", units: 1, loss: "mse")
    return root
  }

  @Test(arguments: [
    ("classification", "text", [String]()), ("classification", "csv", ["--top-k", "2"]),
    ("classification", "json", ["--top-k", "2"]), ("binary", "csv", ["--threshold", "0.9"]),
    ("binary", "json", []), ("multilabel", "json", ["--top-k", "1"]), ("multilabel", "csv", []),
    ("regression", "json", []), ("regression", "text", []),
  ])
  func outputMatchesGolden(_ model: String, _ format: String, _ flags: [String]) throws {
    let root = try Self.goldenWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    let result = try NNCProcess.run(
      ["predict", "\(model).yaml", "--checkpoint", "\(model).safetensors", "samples.csv", "--format", format]
        + flags,
      currentDirectory: root)
    #expect(result.status == 0, "\(result.stderr)")
    let url = NNCProcess.repositoryRoot.appendingPathComponent("Tests/Golden/predict/\(model).\(format)")
    if ProcessInfo.processInfo.environment["NNC_UPDATE_GOLDEN"] == "1" {
      try result.stdout.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(result.stdout == (try String(contentsOf: url, encoding: .utf8)))
  }
}
