import Foundation
import Testing

@testable import NNCData

/// `nnc predict`'s inputs: folders expanded recursively in sorted order, kinds by file name, and array
/// files read as unlabelled samples with the shapes the spec's readers give.
@Suite struct PredictionInputsTests {
  @Test func foldersExpandRecursivelyInSortedOrder() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for folder in ["b", "a/z", "a/c"] {
      try FileManager.default.createDirectory(
        atPath: directory + "/" + folder, withIntermediateDirectories: true)
    }
    for file in [
      "b/2.png", "b/10.JPG", "a/z/x.npy", "a/c/t10k-images-idx3-ubyte", "a/notes.txt", "a/.hidden.png",
    ] {
      _ = try writeFile(directory, file, "x")
    }
    _ = try writeFile(directory, "rows.csv", "1,2\n")
    let (inputs, errors) = PredictionInputs.expand([
      directory + "/a", directory + "/b", directory + "/rows.csv",
    ])
    #expect(errors.isEmpty)
    #expect(
      inputs.map { String($0.path.dropFirst(directory.count + 1)) } == [
        "a/c/t10k-images-idx3-ubyte", "a/z/x.npy", "b/10.JPG", "b/2.png", "rows.csv",
      ])
    #expect(inputs.map(\.kind) == [.idx, .npy, .image, .image, .csv])
  }

  @Test func namelessInputsAreErrorsNamingThem() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let text = try writeFile(directory, "notes.txt", "x")
    try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
    let (inputs, errors) = PredictionInputs.expand([text, directory + "/empty", directory + "/missing.png"])
    #expect(inputs.isEmpty)
    #expect(
      errors.map(\.description) == [
        "\(text): is not an input nnc reads (.png, .jpg, .jpeg, .npy, .csv, or an IDX file)",
        "\(directory)/empty: holds no .png, .jpg, .jpeg, .npy, .csv or IDX files",
        "\(directory)/missing.png: no such file or folder",
      ])
  }

  @Test func arrayFilesGiveUnlabelledSamplesOfTheReadersShape() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let idx = try writeFile(directory, "x-idx3-ubyte", idxBytes(dimensions: [2, 2, 3], body: Array(0..<12)))
    let images = try PredictionInputs.readSamples(
      PredictionInput(path: idx, kind: .idx), sampleSize: 6, csv: CSVOptions())
    #expect(images.sampleShape == [1, 2, 3])
    #expect(images.count == 2)
    #expect(images.samples == (0..<12).map(Float.init))
    #expect(images.labels == [0, 0])

    let npy = try writeFile(
      directory, "x.npy",
      npyBytes(
        header: "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }",
        body: littleEndianBytes([Int32(4), 5, 6])))
    let values = try PredictionInputs.readSamples(
      PredictionInput(path: npy, kind: .npy), sampleSize: 1, csv: CSVOptions())
    #expect(values.sampleShape == [1])
    #expect(values.samples == [4, 5, 6])

    // One column more than a sample: the spec's label column (here the last) is dropped.
    let csv = try writeFile(directory, "rows.csv", "a,b,label\n1,2,7\n3,4,8\n")
    let rows = try PredictionInputs.readSamples(
      PredictionInput(path: csv, kind: .csv), sampleSize: 2, csv: CSVOptions(labelColumn: -1, hasHeader: true)
    )
    #expect(rows.samples == [1, 2, 3, 4])
    let features = try PredictionInputs.readSamples(
      PredictionInput(path: csv, kind: .csv), sampleSize: 3, csv: CSVOptions(hasHeader: true))
    #expect(features.samples == [1, 2, 7, 3, 4, 8])

    #expect(
      throws: DataError(
        idx, "holds samples of shape [1, 2, 3] (6 values) but the model input needs 4 values per sample")
    ) {
      try PredictionInputs.readSamples(
        PredictionInput(path: idx, kind: .idx), sampleSize: 4, csv: CSVOptions())
    }
  }
}
