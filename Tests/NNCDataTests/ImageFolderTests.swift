import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// Writes `folder/<class>/<name>` images: a constant image per file so labels can be checked by value.
private func writeImage(_ folder: String, _ name: String, value: Float, channels: Int, size: Int, jpeg: Bool)
  throws
{
  let path = folder + "/" + name
  try FileManager.default.createDirectory(
    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
  let image = Image(channels: channels, height: size, width: size + 1, value: value)
  if jpeg {
    try ImageCodec.encodeJPEG(image).write(to: URL(fileURLWithPath: path))
  } else {
    try ImageCodec.writePNG(image, to: path)
  }
}

/// Classes written out of order (zebra, ant, moth) with PNG and JPEG, grey and colour, of two sizes.
private func makeFolder() throws -> String {
  let folder = try temporaryFolder()
  try writeImage(folder, "zebra/1.png", value: 0.8, channels: 3, size: 6, jpeg: false)
  try writeImage(folder, "zebra/2.jpg", value: 0.8, channels: 1, size: 9, jpeg: true)
  try writeImage(folder, "ant/a.PNG", value: 0.2, channels: 1, size: 6, jpeg: false)
  try writeImage(folder, "ant/b.jpeg", value: 0.2, channels: 3, size: 5, jpeg: true)
  try writeImage(folder, "ant/c.png", value: 0.2, channels: 1, size: 4, jpeg: false)
  try writeImage(folder, "moth/x.png", value: 0.5, channels: 3, size: 7, jpeg: false)
  try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/moth/readme.txt"))
  try Data("junk".utf8).write(to: URL(fileURLWithPath: folder + "/moth/.hidden.png"))
  return folder
}

@Test(arguments: [1, 3])
func foldersMapSortedClassNamesToIndices(channels: Int) throws {
  let folder = try makeFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  var warnings: [String] = []
  let dataset = try Dataset.readImageFolder(
    folder, options: ImageFolderOptions(channels: channels, height: 4, width: 5), warnings: &warnings)
  #expect(warnings.isEmpty)
  #expect(dataset.classNames == ["ant", "moth", "zebra"])
  #expect(dataset.classes == 3)
  #expect(dataset.sampleShape == [channels, 4, 5])
  #expect(dataset.labels == [0, 0, 0, 1, 2, 2])
  // Each image is constant, so after conversion and resizing every value is the class's value.
  let values: [Float] = [0.2, 0.5, 0.8]
  for index in 0..<dataset.count {
    let expected = values[Int(dataset.labels[index])]
    #expect(dataset.sample(index).allSatisfy { abs($0 - expected) < 2.5 / 255 }, "sample \(index)")
  }
}

@Test func otherSplitsUseTheTrainingClassNumbers() throws {
  let folder = try makeFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let testFolder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: testFolder) }
  try writeImage(testFolder, "zebra/t.png", value: 0.8, channels: 1, size: 4, jpeg: false)
  let options = ImageFolderOptions(channels: 1, height: 4, width: 4)
  let configuration = DataConfiguration(
    train: DatasetConfiguration(source: .folder(path: folder, options: options)),
    test: DatasetConfiguration(source: .folder(path: testFolder, options: options)))
  var generator = RandomGenerator(seed: 1)
  let loaded = try configuration.load(using: &generator)
  #expect(loaded.test?.labels == [2])
  #expect(loaded.test?.classes == 3)
  try writeImage(testFolder, "wasp/w.png", value: 0.1, channels: 1, size: 4, jpeg: false)
  #expect(throws: DataError.self) { try configuration.load(using: &generator) }
}

@Test func emptyClassFoldersAndMissingFoldersAreErrors() throws {
  let folder = try makeFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
  var warnings: [String] = []
  let options = ImageFolderOptions(channels: 1, height: 4, width: 4)
  #expect(
    throws: DataError(folder + "/empty", "is an empty class folder: it has no .png, .jpg or .jpeg files")
  ) {
    try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
  }
  #expect(throws: DataError(folder + "/nope", "no such folder")) {
    try Dataset.readImageFolder(folder + "/nope", options: options, warnings: &warnings)
  }
}

@Test func corruptImagesAreReportedOrSkipped() throws {
  let folder = try makeFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let bad = folder + "/moth/broken.jpg"
  try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 1, 2, 3]).write(to: URL(fileURLWithPath: bad))
  var warnings: [String] = []
  var options = ImageFolderOptions(channels: 3, height: 4, width: 4)
  do {
    _ = try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
    Issue.record("a corrupt file was read without an error")
  } catch let error as DataError {
    #expect(error.path == bad)
    #expect(error.message.contains("skip_corrupt"))
  }
  options.skipCorrupt = true
  let dataset = try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
  #expect(dataset.count == 6)
  #expect(warnings.count == 1 && warnings[0].hasPrefix(bad + ": skipped: "))
  // A class whose only image is unreadable has no samples left: an error even when skipping.
  try FileManager.default.removeItem(atPath: folder + "/moth/x.png")
  #expect(throws: DataError.self) {
    try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
  }
}

@Test func aStratifiedSplitOfAFolderIsDeterministic() throws {
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  for index in 0..<10 {
    try writeImage(folder, "a/\(index).png", value: Float(index) / 20, channels: 1, size: 3, jpeg: false)
    try writeImage(
      folder, "b/\(index).png", value: 0.5 + Float(index) / 20, channels: 1, size: 3, jpeg: false)
  }
  let configuration = DataConfiguration(
    train: DatasetConfiguration(
      source: .folder(path: folder, options: ImageFolderOptions(channels: 1, height: 3, width: 3))),
    validationSplit: 0.2, stratify: true)
  var first = RandomGenerator(seed: 4)
  var second = RandomGenerator(seed: 4)
  let one = try configuration.load(using: &first)
  let two = try configuration.load(using: &second)
  #expect(one.validation == two.validation)
  #expect(one.validation?.classCounts == [2, 2])
  #expect(one.train.count == 16)
  #expect(one.train.classNames == ["a", "b"])
}
