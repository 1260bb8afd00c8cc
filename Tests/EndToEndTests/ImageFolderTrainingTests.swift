import Foundation
import NNCData
import NNCRandom
import Testing

/// Trains `nnc` on a tiny folder of PNG and JPEG images with every augmentation, and checks the class
/// mapping in the run directory and the checkpoint, corrupt-file handling and the preview.
@Suite struct ImageFolderTrainingTests {
  /// Classes `stripes`, `dots` and `blank` (so sorted order differs from writing order), each with
  /// PNG and JPEG files, grey and RGB, of two sizes.
  static func makeDataset(at root: URL, perClass: Int = 6) throws {
    var generator = RandomGenerator(seed: 17)
    for (classIndex, name) in ["stripes", "dots", "blank"].enumerated() {
      let folder = root.appendingPathComponent("images/\(name)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for index in 0..<perClass {
        let size = index % 2 == 0 ? 12 : 10
        let channels = index % 3 == 0 ? 1 : 3
        var image = Image(channels: channels, height: size, width: size)
        for c in 0..<channels {
          for y in 0..<size {
            for x in 0..<size {
              let pattern: Float =
                switch classIndex {
                case 0: y % 4 < 2 ? 0.9 : 0.1
                case 1: (x % 4 == 1 && y % 4 == 1) ? 0.9 : 0.2
                default: 0.5
                }
              image[c, y, x] = min(max(pattern + generator.nextUniform(-0.05, 0.05), 0), 1)
            }
          }
        }
        if index % 2 == 0 {
          try ImageCodec.writePNG(image, to: folder.appendingPathComponent("\(index).png").path)
        } else {
          try ImageCodec.encodeJPEG(image).write(to: folder.appendingPathComponent("\(index).jpg"))
        }
      }
    }
  }

  static let spec = """
    model:
      input: [3, 8, 8]
      layers:
        - conv2d: {filters: 4, kernel: 3, padding: same, activation: relu}
        - maxpool: 2
        - flatten
        - dense: 3
    data:
      format: folder
      path: images
      split: 0.25
    augment:
      - random_rotation: {degrees: 10, fill: reflect}
      - random_affine: {scale: [0.9, 1.1], translate: 0.1}
      - random_crop: {padding: 1, p: 0.5}
      - random_resized_crop: {scale: [0.7, 1.0]}
      - hflip
      - vflip: 0.2
      - elastic: {alpha: 1, sigma: 2, p: 0.3}
      - brightness: 0.1
      - contrast: 0.2
      - saturation: 0.2
      - hue: 0.05
      - gaussian_noise: {std: 0.02}
      - gaussian_blur: {sigma: [0.1, 0.5], p: 0.3}
      - random_erasing: {area: [0.05, 0.1]}
      - normalize: {mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}
    loss: cross_entropy
    optimizer: {adam: {lr: 0.01}}
    train: {epochs: 3, batch_size: 4, seed: 3}
    """

  static func makeWorkspace() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nnc-folder-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try makeDataset(at: root)
    try spec.write(to: root.appendingPathComponent("folder.yaml"), atomically: true, encoding: .utf8)
    return root
  }

  /// The `__metadata__` of a safetensors file: an 8-byte little-endian header length, then JSON.
  static func safetensorsMetadata(_ url: URL) throws -> [String: String] {
    let data = try Data(contentsOf: url)
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any]
    return header?["__metadata__"] as? [String: String] ?? [:]
  }

  @Test func trainsOnAnImageFolderWithAFullPipeline() throws {
    let root = try Self.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    let check = try NNCProcess.run(["check", "folder.yaml"], currentDirectory: root)
    #expect(check.status == 0, "\(check.stderr)")
    let result = try NNCProcess.run(["train", "folder.yaml", "--run-dir", "run"], currentDirectory: root)
    #expect(result.status == 0, "\(result.stderr)")
    let history = try String(contentsOf: root.appendingPathComponent("run/history.jsonl"), encoding: .utf8)
    #expect(history.split(separator: "\n").count == 3)
    #expect(history.contains("val_loss"))
    let classes = try String(contentsOf: root.appendingPathComponent("run/classes.json"), encoding: .utf8)
    #expect(classes == "[\"blank\",\"dots\",\"stripes\"]\n")
    let metadata = try Self.safetensorsMetadata(
      root.appendingPathComponent("run/checkpoint-last.safetensors"))
    #expect(metadata["classes"] == "[\"blank\",\"dots\",\"stripes\"]")

    // Evaluation normalizes the training split like the pipeline's last step and checks the classes.
    let checkpoint = "run/checkpoint-last.safetensors"
    let evaluated = try NNCProcess.run(
      ["eval", "folder.yaml", "--checkpoint", checkpoint, "--split", "train"], currentDirectory: root)
    #expect(evaluated.status == 0, "\(evaluated.stderr)")
    try FileManager.default.moveItem(
      at: root.appendingPathComponent("images/dots"), to: root.appendingPathComponent("images/circles"))
    let renamed = try NNCProcess.run(
      ["eval", "folder.yaml", "--checkpoint", checkpoint, "--split", "val"], currentDirectory: root)
    #expect(renamed.status == 1)
    #expect(renamed.stderr.contains("the checkpoint was trained on the classes"), "\(renamed.stderr)")
    try FileManager.default.moveItem(
      at: root.appendingPathComponent("images/circles"), to: root.appendingPathComponent("images/dots"))

    // The same seed gives the same run, augmentation included.
    let again = try NNCProcess.run(["train", "folder.yaml", "--run-dir", "run2"], currentDirectory: root)
    #expect(again.status == 0)
    let secondHistory = try String(
      contentsOf: root.appendingPathComponent("run2/history.jsonl"), encoding: .utf8)
    #expect(secondHistory == history)
  }

  /// Augmentation draws from (seed, epoch, position), so a resumed run sees the same images as an
  /// uninterrupted one and ends with the same history.
  @Test func resumingReplaysTheAugmentedEpochs() throws {
    let root = try Self.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    let whole = try NNCProcess.run(["train", "folder.yaml", "--run-dir", "whole"], currentDirectory: root)
    #expect(whole.status == 0, "\(whole.stderr)")
    let first = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "parts", "--epochs", "1"], currentDirectory: root)
    #expect(first.status == 0, "\(first.stderr)")
    let rest = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "parts", "--resume"], currentDirectory: root)
    #expect(rest.status == 0, "\(rest.stderr)")
    let expected = try String(contentsOf: root.appendingPathComponent("whole/history.jsonl"), encoding: .utf8)
    let resumed = try String(contentsOf: root.appendingPathComponent("parts/history.jsonl"), encoding: .utf8)
    #expect(resumed == expected)
  }

  @Test func corruptImagesAreNamedOrSkipped() throws {
    let root = try Self.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    let bad = root.appendingPathComponent("images/dots/broken.png")
    try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]).write(to: bad)
    let failed = try NNCProcess.run(["train", "folder.yaml", "--run-dir", "run"], currentDirectory: root)
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("images/dots/broken.png: corrupt PNG file"), "\(failed.stderr)")
    #expect(failed.stderr.contains("skip_corrupt"))
    let skipped = try NNCProcess.run(
      ["train", "folder.yaml", "--run-dir", "run", "--epochs", "1", "--set", "data.skip_corrupt=true"],
      currentDirectory: root)
    #expect(skipped.status == 0, "\(skipped.stderr)")
    #expect(skipped.stderr.contains("warning: "), "\(skipped.stderr)")
    #expect(skipped.stderr.contains("broken.png: skipped"))
  }

  @Test func emptyClassFoldersAreAnError() throws {
    let root = try Self.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("images/empty"), withIntermediateDirectories: true)
    let result = try NNCProcess.run(["train", "folder.yaml", "--run-dir", "run"], currentDirectory: root)
    #expect(result.status == 1)
    #expect(result.stderr.contains("images/empty: is an empty class folder"), "\(result.stderr)")
  }

  @Test func previewWritesAPNGGrid() throws {
    let root = try Self.makeWorkspace()
    defer { try? FileManager.default.removeItem(at: root) }
    let result = try NNCProcess.run(
      ["augment", "folder.yaml", "--preview", "preview.png", "--count", "5", "--seed", "2"],
      currentDirectory: root)
    #expect(result.status == 0, "\(result.stderr)")
    let preview = try ImageCodec.read(root.appendingPathComponent("preview.png").path, channels: 3)
    // Five pairs in one row: 8 + 5 * (2 * 72 + 2 + 8) pixels wide (8x8 images enlarged 9 times), one row high.
    #expect(preview.width == 8 + 5 * (2 * 72 + 2 + 8))
    #expect(preview.height == 8 + 72 + 8)
    let same = try NNCProcess.run(
      ["augment", "folder.yaml", "--preview", "again.png", "--count", "5", "--seed", "2"],
      currentDirectory: root)
    #expect(same.status == 0)
    #expect(try ImageCodec.read(root.appendingPathComponent("again.png").path, channels: 3) == preview)
  }
}
