import Foundation
import NNCData
import NNCTrain

/// The file readers as fuzz targets: checkpoints (safetensors), IDX, NPY, CSV, PNG and JPEG. Every
/// input must end in a value or an error, never a trap, an unbounded read or an allocation beyond
/// what its header may declare.
extension FuzzTarget {
  public static let readers = [safetensors, idx, npy, csv, png, jpeg]

  /// Little-endian and big-endian words at the edges of the sizes readers check, and the bit
  /// patterns of non-finite floats.
  static let binaryTokens: [[UInt8]] = [
    [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0, 0, 0], [0, 0, 0, 1],
    [0x04, 0xC4, 0xB4, 0x00], [0, 0, 0x80, 0x7F], [0, 0, 0xC0, 0x7F], [0x7F, 0xC0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0xF0, 0x7F], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    [0, 0, 0, 0, 0, 0, 0, 0x10], [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
  ]

  static func tokens(_ words: [String]) -> [[UInt8]] { words.map { Array($0.utf8) } + binaryTokens }

  /// A checkpoint: parsed in memory and read from a file, interpreted as nnc's checkpoint (counters,
  /// optimizer state, finiteness), and written back and read again when valid.
  public static let safetensors = FuzzTarget(
    name: "safetensors",
    tokens: tokens([
      "{", "}", "[", "]", ",", ":", "\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"I64\"",
      "\"U64\"", "\"F64\"", "\"__metadata__\"", "\"__optimizer__/", "\"__training__/epoch\"",
      "\"__training__/optimizer_step\"", "\"__training__/rng_state\"", "\"nnc.format\"", "\\u0000", "\\ud800",
      "1e999", "-0", "[0, 0]",
    ])
  ) { bytes in
    if let parsed = try? SafeTensorsFile.parse(bytes, file: "fuzz.safetensors") {
      _ = parsed.serialized()
    }
    ScratchFile.with(bytes, suffix: ".safetensors") { path in
      guard let checkpoint = try? Checkpoint.read(from: path) else { return }
      _ = checkpoint.nonFiniteSummary
      _ = checkpoint.optimizerState.values.reduce(0) { $0 + $1.count }
      guard let file = try? checkpoint.file() else { return }
      _ = try? SafeTensorsFile.parse(file.serialized(), file: path)
    }
  }

  /// An IDX pair (see `ScratchFile.pair`): each file read alone, then the two as samples and labels.
  public static let idx = FuzzTarget(
    name: "idx",
    tokens: tokens([]) + [
      [0, 0, 0x08, 0x01], [0, 0, 0x08, 0x03], [0, 0, 0x0D, 0x02], [0, 0, 0x0E, 0x01], [0, 0, 0x0C, 0x01],
      [0, 0, 0x0B, 0x04], [0, 0, 0x09, 0x01],
    ]
  ) { bytes in
    let (samples, labels) = ScratchFile.pair(bytes)
    ScratchFile.with(samples, suffix: "-images.idx") { samplesPath in
      ScratchFile.with(labels, suffix: "-labels.idx") { labelsPath in
        _ = try? IDXReader.read(samplesPath)
        _ = try? IDXReader.read(labelsPath)
        _ = try? Dataset.readIDX(images: samplesPath, labels: labelsPath)
        _ = try? Dataset.readIDX(images: samplesPath, labels: labelsPath, classes: 3)
      }
    }
  }

  /// An NPY pair (see `ScratchFile.pair`): each file read alone, then the two as samples and labels.
  public static let npy = FuzzTarget(
    name: "npy",
    tokens: tokens([
      "\u{93}NUMPY", "'descr'", "'<f4'", "'<f8'", "'|u1'", "'<u8'", "'<i8'", "'<i4'", "'>f4'", "'|b1'",
      "'<f2'", "'fortran_order'", "False", "True", "'shape'", "()", "(", ")", ",", ": ", "{", "}",
      "[('a', '<f4')]",
      "1152921504606846976",
    ]) + [[0x93] + Array("NUMPY".utf8) + [1, 0], [0x93] + Array("NUMPY".utf8) + [2, 0], [0x93], [0x0A]]
  ) { bytes in
    let (samples, labels) = ScratchFile.pair(bytes)
    ScratchFile.with(samples, suffix: "-samples.npy") { samplesPath in
      ScratchFile.with(labels, suffix: "-labels.npy") { labelsPath in
        _ = try? NPYReader.read(samplesPath)
        _ = try? NPYReader.read(labelsPath)
        _ = try? Dataset.readNPY(samples: samplesPath, labels: labelsPath)
        _ = try? Dataset.readNPY(samples: samplesPath, labels: labelsPath, classes: 3)
      }
    }
  }

  /// A CSV file read with the default options, with a header, the label last and a sample shape,
  /// semicolons, and a class count.
  public static let csv = FuzzTarget(
    name: "csv",
    tokens: tokens([
      ",", ";", "\n", "\r\n", " ", "\t", "\0", "\"", "-", ".", "e", "e38", "e39", "nan", "inf", "-inf",
      "1e300",
      "18446744073709551615", "2147483648", "0x10", "3.0", "3.5",
    ])
  ) { bytes in
    ScratchFile.with(bytes, suffix: ".csv") { path in
      let variants = [
        CSVOptions(),
        CSVOptions(labelColumn: -1, hasHeader: true, sampleShape: [2, 2]),
        CSVOptions(labelColumn: 2, delimiter: UInt8(ascii: ";")),
      ]
      for options in variants {
        _ = try? Dataset.readCSV(path, options: options)
      }
      _ = try? Dataset.readCSV(path, options: CSVOptions(), classes: 3)
    }
  }

  /// The pixel limit the image targets decode under: small, so a mutated header declaring a large
  /// image is refused instead of costing a large allocation on every input.
  static let fuzzImagePixels = 1 << 20

  /// Decodes an image as grey and as RGB and resizes it, as the folder format does.
  static func decodeImage(_ bytes: [UInt8], path: String) {
    let data = Data(bytes)
    for channels in [1, 3] {
      guard
        let image = try? ImageCodec.decode(data, channels: channels, path: path, maxPixels: fuzzImagePixels)
      else { continue }
      _ = image.resized(height: 7, width: 9)
    }
  }

  static let imageTokens: [String] = ["\0\0\0\0", "\u{7F}\u{7F}\u{7F}\u{7F}"]

  public static let png = FuzzTarget(
    name: "png",
    tokens: tokens(imageTokens + ["IHDR", "IDAT", "IEND", "PLTE", "tRNS", "gAMA", "iCCP", "sBIT", "zTXt"]) + [
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0, 0, 0x40, 0], [0x08, 0x06, 0, 0, 0],
      [0x10, 0x02, 0, 0, 0], [0x01, 0x00, 0, 0, 0], [0x08, 0x03, 0, 0, 0],
    ]
  ) { bytes in decodeImage(bytes, path: "fuzz.png") }

  public static let jpeg = FuzzTarget(
    name: "jpeg",
    tokens: tokens(imageTokens) + [
      [0xFF, 0xD8, 0xFF], [0xFF, 0xC0], [0xFF, 0xC2], [0xFF, 0xC4], [0xFF, 0xDB], [0xFF, 0xDA], [0xFF, 0xD9],
      [0xFF, 0xDD], [0xFF, 0xE0], [0xFF, 0xEE], [0x40, 0x00], [0xFF, 0xFF], [0x00, 0x00],
    ]
  ) { bytes in decodeImage(bytes, path: "fuzz.jpg") }
}
