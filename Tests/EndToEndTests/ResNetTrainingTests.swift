import Foundation
import Testing

/// The zoo's small ResNet-18 (3x32x32 input) trains on a synthetic NPY data set: ten noisy
/// templates, one per class. The loss must fall within a few steps.
@Suite struct ResNetTrainingTests {
  /// A version-1.0 .npy file: magic, header dictionary padded to a multiple of 64 bytes, raw data.
  static func npy(descr: String, shape: [Int], payload: Data) -> Data {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    data.append(payload)
    return data
  }

  @Test func smallResNetLearnsFromNPY() throws {
    let directory = try TrainingSupport.temporaryDirectory("resnet")
    defer { try? FileManager.default.removeItem(at: directory) }
    let count = 96
    let sample = 3 * 32 * 32
    var state: UInt64 = 12345
    func uniform() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24)
    }
    let templates = (0..<10).map { _ in (0..<sample).map { _ in uniform() } }
    var samples: [Float] = []
    var labels: [Int64] = []
    for index in 0..<count {
      let label = index % 10
      labels.append(Int64(label))
      samples += templates[label].map { $0 + 0.3 * (uniform() - 0.5) }
    }
    let images = directory.appendingPathComponent("images.npy")
    let labelsFile = directory.appendingPathComponent("labels.npy")
    try Self.npy(
      descr: "<f4", shape: [count, 3, 32, 32], payload: samples.withUnsafeBufferPointer { Data(buffer: $0) }
    ).write(to: images)
    try Self.npy(descr: "<i8", shape: [count], payload: labels.withUnsafeBufferPointer { Data(buffer: $0) })
      .write(to: labelsFile)

    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run([
      "train", "Specs/resnet18_cifar.yaml", "--run-dir", run.path, "--epochs", "3", "--batch-size", "16",
      "--set", "data.format=npy", "--set", "data.train.images=\(images.path)",
      "--set", "data.train.labels=\(labelsFile.path)", "--set", "data.classes=10",
      "--set", "optimizer={adam: {lr: 0.001}}",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let history = try TrainingSupport.history(run)
    #expect(history.count == 3)
    #expect(history[2].train_loss < history[0].train_loss, "\(history.map(\.train_loss))")
  }
}
