import Foundation

/// Temporary run folders and small specs on the shipped data, for end-to-end training tests.
enum TrainingSupport {
  static func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nnc-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The digits data (1,437 training images of 8x8, values 0..16) with absolute paths.
  static var digitsData: String {
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits").path
    return """
      data:
        format: idx
        train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
        test: {images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}
        classes: 10
        scale: 0.0625
        validation_split: 0.1
      """
  }

  /// Writes a spec for `layers` (YAML list items, indented by 4) on the digits data.
  static func digitsSpec(
    in directory: URL, name: String = "model", input: String = "[1, 8, 8]", layers: String,
    blocks: String = "", optimizer: String = "{adam: {lr: 3.0e-3}}", train: String
  ) throws -> String {
    let text = """
      model:
        input: \(input)
        layers:
      \(layers)
      \(blocks)
      \(digitsData)
      loss: cross_entropy
      optimizer: \(optimizer)
      train: \(train)

      """
    let path = directory.appendingPathComponent("\(name).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  struct Epoch: Decodable {
    var epoch: Int
    var train_loss: Double
    var train_accuracy: Double
    var val_loss: Double?
    var val_accuracy: Double?
  }

  static func history(_ runDirectory: URL) throws -> [Epoch] {
    let text = try String(contentsOf: runDirectory.appendingPathComponent("history.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Epoch.self, from: Data($0.utf8)) }
  }
}
