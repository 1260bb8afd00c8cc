import Foundation

/// A file of samples to predict: an image, or an IDX, NPY or CSV array of samples.
public struct PredictionInput: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case image
    case idx
    case npy
    case csv
  }

  public var path: String
  public var kind: Kind

  public init(path: String, kind: Kind) {
    self.path = path
    self.kind = kind
  }

  /// The kind a file name says: `.png`/`.jpg`/`.jpeg`, `.npy`, `.csv`, and IDX by MNIST's naming
  /// (`.idx`, `-idx3-ubyte`, `.idx3-ubyte`); nil for anything else.
  public static func kind(ofFileNamed name: String) -> Kind? {
    let lowered = name.lowercased()
    if Dataset.isImageFile(lowered) { return .image }
    if lowered.hasSuffix(".npy") { return .npy }
    if lowered.hasSuffix(".csv") { return .csv }
    if lowered.hasSuffix(".idx") || lowered.range(of: #"idx\d-ubyte$"#, options: .regularExpression) != nil {
      return .idx
    }
    return nil
  }
}

/// The command-line inputs of `nnc predict`, expanded: files as given, folders recursively with their
/// entries in sorted order (so a class folder reads in the order an image folder's split does).
public enum PredictionInputs {
  /// Every input file in order, and an error per argument that names nothing readable. Inside folders,
  /// hidden entries and files of other kinds are skipped.
  public static func expand(_ arguments: [String]) -> (inputs: [PredictionInput], errors: [DataError]) {
    var inputs: [PredictionInput] = []
    var errors: [DataError] = []
    let manager = FileManager.default
    func walk(_ folder: String) {
      let entries: [String]
      do {
        entries = try manager.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
      } catch {
        errors.append(DataError(folder, "cannot be listed: \(error.localizedDescription)"))
        return
      }
      for entry in entries {
        let path = folder.hasSuffix("/") ? folder + entry : folder + "/" + entry
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
          walk(path)
        } else if let kind = PredictionInput.kind(ofFileNamed: entry) {
          inputs.append(PredictionInput(path: path, kind: kind))
        }
      }
    }
    for argument in arguments {
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: argument, isDirectory: &isDirectory) else {
        errors.append(DataError(argument, "no such file or folder"))
        continue
      }
      if isDirectory.boolValue {
        let before = inputs.count
        walk(argument)
        if inputs.count == before {
          errors.append(DataError(argument, "holds no .png, .jpg, .jpeg, .npy, .csv or IDX files"))
        }
      } else if let kind = PredictionInput.kind(ofFileNamed: URL(fileURLWithPath: argument).lastPathComponent)
      {
        inputs.append(PredictionInput(path: argument, kind: kind))
      } else {
        errors.append(
          DataError(argument, "is not an input nnc reads (.png, .jpg, .jpeg, .npy, .csv, or an IDX file)"))
      }
    }
    return (inputs, errors)
  }

  /// The samples of an array file, as a data set with no labels (all 0) whose sample shape is the one
  /// the spec's own reader of that format gives (IDX `[count, h, w]` → `[1, h, w]`, CSV `[features]`),
  /// so normalization treats them as evaluation data. They must hold `sampleSize` values each. A CSV
  /// file is read with `csv`'s header setting; when its rows have one column more than a sample, that
  /// column is the label column of `csv` and is dropped.
  public static func readSamples(
    _ input: PredictionInput, sampleSize: Int, csv: CSVOptions, centerCrop: CropSize? = nil
  ) throws -> Dataset {
    var samples: [Float]
    var count: Int
    var sampleShape: [Int]
    switch input.kind {
    case .image:
      throw DataError(input.path, "is an image, not an array of samples")
    case .idx:
      let array = try IDXReader.read(input.path)
      guard array.dimensions.count >= 2 else {
        throw DataError(input.path, "has 1 dimension \(array.dimensions); a samples file needs [count, ...]")
      }
      samples = array.values
      count = array.dimensions[0]
      sampleShape = Array(array.dimensions.dropFirst())
      if sampleShape.count == 2 { sampleShape.insert(1, at: 0) }
    case .npy:
      let array = try NPYReader.read(input.path)
      guard let first = array.shape.first else {
        throw DataError(input.path, "is a 0-dimensional array; samples need shape [count, ...]")
      }
      samples = array.values
      count = first
      sampleShape = array.shape.count == 1 ? [1] : Array(array.shape.dropFirst())
    case .csv:
      var options = csv
      options.labelled = false
      options.sampleShape = nil
      let table = try Dataset.readCSV(input.path, options: options)
      let columns = table.sampleShape[0]
      samples = table.samples
      count = table.count
      sampleShape = [columns]
      if columns == sampleSize + 1 {
        let labelColumn = csv.labelColumn < 0 ? columns + csv.labelColumn : csv.labelColumn
        let kept = (0..<columns).filter { $0 != labelColumn }
        samples = stride(from: 0, to: table.samples.count, by: columns).flatMap { start in
          kept.map { table.samples[start + $0] }
        }
        sampleShape = [sampleSize]
      }
    }
    if let centerCrop, sampleShape.count == 3, sampleShape[1] >= centerCrop.height,
      sampleShape[2] >= centerCrop.width, sampleShape[0] * centerCrop.height * centerCrop.width == sampleSize
    {
      // Samples of the training data's stored size get the spec's centre crop, as evaluation does.
      var dataset = try Dataset(
        samples: samples, labels: [Int32](repeating: 0, count: count), sampleShape: sampleShape, classes: 1,
        source: input.path)
      try dataset.cropCenter(centerCrop)
      return dataset
    }
    let perSample = sampleShape.reduce(1, *)
    guard perSample == sampleSize else {
      throw DataError(
        input.path,
        "holds samples of shape \(sampleShape) (\(perSample) values) but the model input needs \(sampleSize) "
          + "values per sample")
    }
    return try Dataset(
      samples: samples, labels: [Int32](repeating: 0, count: count), sampleShape: sampleShape, classes: 1,
      source: input.path)
  }
}
