import Foundation
import Testing

/// `nnc import` of `nnc export --keep-batchnorm`: the imported spec computes the original's outputs
/// (1e-5) with the same parameter count, over LeNet-5, a ResNet block (projection shortcut), an
/// Inception spec (concat) and an Xception spec (depthwise and separable convolutions, identity
/// residuals). Unreadable files are refused with a message, never a crash.
@Suite struct ONNXImportTests {
  /// A spec, its per-sample input shape, and whether its data section scales the input (set to 1 so
  /// that the original and the imported spec, which has no data section, read the same values).
  @Test(arguments: [
    ("Specs/lenet5.yaml", [1, 28, 28], true),
    ("Tests/Fixtures/onnx/resnet_blocks.yaml", [8, 8, 8], false),
    ("Specs/inception_mini.yaml", [1, 28, 28], true),
    ("Specs/xception_mini.yaml", [1, 28, 28], true),
  ])
  func importedSpecComputesTheExportedModel(_ spec: String, _ shape: [Int], _ scaled: Bool) throws {
    let directory = try TrainingSupport.temporaryDirectory("import")
    defer { try? FileManager.default.removeItem(at: directory) }
    let onnx = directory.appendingPathComponent("original.onnx").path
    let exported = try NNCProcess.run(["export", spec, "--keep-batchnorm", "-o", onnx])
    #expect(exported.status == 0, "\(exported.stderr)")

    let imported = try NNCProcess.run(["import", onnx, "-o", directory.path, "--name", "imported"])
    #expect(imported.status == 0, "\(imported.stderr)")
    let importedSpec = directory.appendingPathComponent("imported.yaml").path
    let header = try String(contentsOfFile: importedSpec, encoding: .utf8)
    #expect(header.hasPrefix("# imported by nnc import from original.onnx\n"), "\(header)")
    #expect(header.contains("\n# input_normalization: ["), "\(header)")
    let check = try NNCProcess.run(["check", importedSpec])
    #expect(check.status == 0, "\(check.stderr)\(check.stdout)")

    // The same parameter count: the imported spec exports again with as many parameters.
    let again = try NNCProcess.run([
      "export", importedSpec, "--keep-batchnorm", "-o", directory.appendingPathComponent("again.onnx").path,
    ])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(Self.parameterCount(exported.stdout) != nil)
    #expect(Self.parameterCount(exported.stdout) == Self.parameterCount(again.stdout), "\(again.stdout)")

    let samples = 3
    let inputs = directory.appendingPathComponent("inputs.npy")
    try Self.randomInputs(count: samples * shape.reduce(1, *), shape: [samples] + shape).write(to: inputs)
    let flags = ["--format", "json", "--top-k", "10", "--batch-size", "\(samples)"]
    let original = try NNCProcess.run(
      ["predict", spec, inputs.path] + (scaled ? ["--set", "data.scale=1"] : []) + flags)
    #expect(original.status == 0, "\(original.stderr)")
    let copy = try NNCProcess.run(["predict", importedSpec, inputs.path] + flags)
    #expect(copy.status == 0, "\(copy.stderr)")
    let expected = try Self.probabilities(original.stdout)
    let actual = try Self.probabilities(copy.stdout)
    #expect(expected.count == samples)
    #expect(actual.count == expected.count)
    for (want, got) in zip(expected, actual) {
      #expect(want.keys == got.keys)
      for (label, probability) in want {
        #expect(abs(probability - (got[label] ?? .infinity)) <= 1e-5, "class \(label): \(want) vs \(got)")
      }
    }
  }

  @Test func refusesMalformedFiles() throws {
    let directory = try TrainingSupport.temporaryDirectory("import-bad")
    defer { try? FileManager.default.removeItem(at: directory) }
    let garbage = directory.appendingPathComponent("garbage.onnx")
    try Data([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02]).write(to: garbage)
    let result = try NNCProcess.run(["import", garbage.path, "-o", directory.path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("garbage.onnx: not a valid ONNX model"), "\(result.stderr)")

    // A real model cut in half.
    let whole = directory.appendingPathComponent("whole.onnx").path
    #expect(try NNCProcess.run(["export", "Specs/lenet5.yaml", "-o", whole]).status == 0)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
    let cut = directory.appendingPathComponent("cut.onnx")
    try bytes.prefix(bytes.count / 2).write(to: cut)
    let truncated = try NNCProcess.run(["import", cut.path, "-o", directory.path])
    #expect(truncated.status == 1)
    #expect(truncated.stderr.contains("cut.onnx: not a valid ONNX model"), "\(truncated.stderr)")
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("cut.yaml").path))

    let missing = try NNCProcess.run(["import", directory.appendingPathComponent("none.onnx").path])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("cannot read the model"), "\(missing.stderr)")
  }

  static func parameterCount(_ exportOutput: String) -> Int? {
    guard let range = exportOutput.range(of: #"nodes, (\d+) parameters"#, options: .regularExpression) else {
      return nil
    }
    return Int(exportOutput[range].split(separator: " ")[1])
  }

  /// Float32 values in [0, 1) from a fixed linear congruential sequence.
  static func randomInputs(count: Int, shape: [Int]) -> Data {
    var state: UInt64 = 12_345
    var payload = Data(capacity: count * 4)
    for _ in 0..<count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let value = Float(state >> 40) / Float(1 << 24)
      withUnsafeBytes(of: value.bitPattern.littleEndian) { payload.append(contentsOf: $0) }
    }
    return ResNetTrainingTests.npy(descr: "<f4", shape: shape, payload: payload)
  }

  /// Each sample's class → probability, from `nnc predict --format json`.
  static func probabilities(_ output: String) throws -> [[Int: Double]] {
    try output.split(separator: "\n").map { line in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      let top = object?["top"] as? [[String: Any]] ?? []
      var row: [Int: Double] = [:]
      for entry in top {
        if let label = entry["class"] as? Int, let probability = entry["probability"] as? Double {
          row[label] = probability
        }
      }
      return row
    }
  }
}
