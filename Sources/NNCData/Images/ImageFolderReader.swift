import Foundation

/// How to read a folder of class sub-folders: the sample shape every image is converted and resized
/// to, whether unreadable files are skipped, and (for test and validation folders) the class names
/// of the training folder, so the same name gets the same index everywhere.
public struct ImageFolderOptions: Sendable, Equatable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public var skipCorrupt: Bool
  public var classNames: [String]?
  /// Images whose header declares more pixels are refused before decoding (`data.max_image_pixels`).
  public var maxImagePixels: Int
  /// `data.cache`: keep the decoded samples in memory (`memory`) or decode every file again each
  /// time a batch needs it (`none`, the default: memory independent of the folder's size).
  public var cache: ImageCache = .none
  /// `data.fast_jpeg`: decode JPEGs much larger than the sample with libjpeg-turbo's 1/2, 1/4 or 1/8
  /// scaling before the resize (faster; slightly different pixels, so off by default).
  public var fastJPEG = false

  public init(
    channels: Int, height: Int, width: Int, skipCorrupt: Bool = false, classNames: [String]? = nil,
    maxImagePixels: Int = ImageCodec.defaultMaxPixels, cache: ImageCache = .none
  ) {
    self.cache = cache
    self.channels = channels
    self.height = height
    self.width = width
    self.skipCorrupt = skipCorrupt
    self.classNames = classNames
    self.maxImagePixels = maxImagePixels
  }

  /// File name extensions read as images (compared without case).
  public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
}

extension Dataset {
  /// Reads `path/<class>/<image>` files: one sub-folder per class, classes numbered in sorted order of
  /// their names (or by `options.classNames`), images in sorted order within a class, each decoded
  /// (PNG or JPEG, grey or RGB), converted to `options.channels` and resized bilinearly to
  /// `options.height × options.width`, with values in [0, 1]. Hidden entries and files of other
  /// types are ignored. A class folder without images is an error; an image whose header is unreadable
  /// is an error naming the file, or with `skipCorrupt` a line in `warnings`. Without a cache only the
  /// headers are read here: damage further in surfaces when a batch decodes the file.
  public static func readImageFolder(
    _ path: String, options: ImageFolderOptions, warnings: inout [String]
  ) throws -> Dataset {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DataError(path, "no such folder")
    }
    guard isDirectory.boolValue else {
      throw DataError(path, "is a file; the folder format needs a folder with one sub-folder per class")
    }
    guard options.channels == 1 || options.channels == 3, options.height > 0, options.width > 0 else {
      throw DataError(
        path,
        "images can be read as [1, H, W] or [3, H, W] samples, not "
          + "[\(options.channels), \(options.height), \(options.width)]")
    }
    let entries: [String]
    do {
      entries = try manager.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
    } catch {
      throw DataError(path, "cannot be listed: \(error.localizedDescription)")
    }
    var folders: [String] = []
    for entry in entries {
      var entryIsDirectory: ObjCBool = false
      let exists = manager.fileExists(atPath: path + "/" + entry, isDirectory: &entryIsDirectory)
      if exists && entryIsDirectory.boolValue {
        folders.append(entry)
      } else if isImageFile(entry) {
        warnings.append("\(path)/\(entry): ignored; images must be inside one sub-folder per class")
      }
    }
    guard !folders.isEmpty else {
      throw DataError(path, "has no class sub-folders (expected \(path)/<class name>/<image files>)")
    }
    let classNames = options.classNames ?? folders
    let classIndex = Dictionary(
      classNames.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
    var files: [(path: String, label: Int32)] = []
    var folderLabels: [(name: String, label: Int32)] = []
    for folder in folders {
      guard let label = classIndex[folder] else {
        throw DataError(
          path + "/" + folder,
          "is a class the training data does not have (its classes: \(classNames.joined(separator: ", ")))")
      }
      let folderPath = path + "/" + folder
      let names: [String]
      do {
        names = try manager.contentsOfDirectory(atPath: folderPath).filter {
          !$0.hasPrefix(".") && isImageFile($0)
        }
        .sorted()
      } catch {
        throw DataError(folderPath, "cannot be listed: \(error.localizedDescription)")
      }
      guard !names.isEmpty else {
        throw DataError(folderPath, "is an empty class folder: it has no .png, .jpg or .jpeg files")
      }
      files += names.map { (folderPath + "/" + $0, label) }
      folderLabels.append((folder, label))
    }
    let sampleSize = options.channels * options.height * options.width
    var samples: [Float] = []
    if options.cache == .memory { samples.reserveCapacity(files.count * sampleSize) }
    var labels: [Int32] = []
    var readable: [String] = []
    var perClass = [Int](repeating: 0, count: classNames.count)
    // Streaming (no cache) checks only each file's header here (signature, size, pixel limit), so
    // indexing 10^5-10^6 files costs a small read per file, not a decode; a file damaged past its
    // header is found when a batch decodes it (an error naming it, or skipped and counted under
    // skip_corrupt). The memory cache decodes every file now and keeps the pixels. A bounded chunk
    // at a time keeps the peak independent of the folder's size.
    let chunkSize = 256
    for chunkStart in stride(from: 0, to: files.count, by: chunkSize) {
      let chunk = files[chunkStart..<min(chunkStart + chunkSize, files.count)]
      let checked: [Result<[Float], DataError>] =
        options.cache == .memory
        ? decodeAll(chunk.map(\.path), options: options).map { $0.map(\.pixels) }
        : checkHeaders(chunk.map(\.path), options: options)
      for (file, image) in zip(chunk, checked) {
        switch image {
        case .success(let pixels):
          samples += pixels
          readable.append(file.path)
          labels.append(file.label)
          perClass[Int(file.label)] += 1
        case .failure(let error):
          guard options.skipCorrupt else {
            throw DataError(
              error.path, error.message + " (set data.skip_corrupt: true to skip unreadable files)")
          }
          warnings.append("\(error.path): skipped: \(error.message)")
        }
      }
    }
    for folder in folderLabels where perClass[Int(folder.label)] == 0 {
      throw DataError(path + "/" + folder.name, "is a class folder none of whose images could be read")
    }
    let sampleShape = [options.channels, options.height, options.width]
    var dataset: Dataset
    switch options.cache {
    case .memory:
      dataset = try Dataset(
        samples: samples, labels: labels, sampleShape: sampleShape, classes: classNames.count, source: path)
    case .none, .disk:
      dataset = try Dataset(
        storage: .images(ImageFolderIndex(files: readable, options: options)), storedCount: readable.count,
        valueCount: readable.count * sampleSize, labels: labels, sampleShape: sampleShape,
        classes: classNames.count, source: path)
    }
    dataset.classNames = classNames
    return dataset
  }

  public static func isImageFile(_ name: String) -> Bool {
    guard let dot = name.lastIndex(of: ".") else { return false }
    return ImageFolderOptions.imageExtensions.contains(name[name.index(after: dot)...].lowercased())
  }

  /// Decodes one file as the folder reader does: converted to `options.channels` and resized.
  static func decode(_ path: String, options: ImageFolderOptions) throws -> Image {
    let image =
      options.fastJPEG
      ? try ImageCodec.decodeReduced(
        try readFileBytes(path), channels: options.channels, path: path, maxPixels: options.maxImagePixels,
        targetHeight: options.height, targetWidth: options.width)
      : try ImageCodec.read(path, channels: options.channels, maxPixels: options.maxImagePixels)
    return image.resized(height: options.height, width: options.width)
  }

  /// Checks every file's header (`ImageCodec.readHeader`), on all cores, in the files' order; the
  /// successes carry no pixels.
  static func checkHeaders(_ paths: [String], options: ImageFolderOptions) -> [Result<[Float], DataError>] {
    var results = [Result<[Float], DataError>](
      repeating: .failure(DataError("", "not read")), count: paths.count)
    results.withUnsafeMutableBufferPointer { buffer in
      // Each index is written by exactly one iteration.
      let slots = UncheckedSendableBuffer(buffer)
      DispatchQueue.concurrentPerform(iterations: paths.count) { index in
        do {
          _ = try ImageCodec.readHeader(paths[index], maxPixels: options.maxImagePixels)
          slots.buffer[index] = .success([])
        } catch let error as DataError {
          slots.buffer[index] = .failure(error)
        } catch {
          slots.buffer[index] = .failure(DataError(paths[index], "\(error)"))
        }
      }
    }
    return results
  }

  /// Decodes every file, on all cores; results are stored by index, so the order is the files' order.
  /// `nnc predict` decodes its image inputs through this too, so they match an image folder's samples.
  public static func decodeAll(_ paths: [String], options: ImageFolderOptions) -> [Result<Image, DataError>] {
    var results = [Result<Image, DataError>](
      repeating: .failure(DataError("", "not read")), count: paths.count)
    results.withUnsafeMutableBufferPointer { buffer in
      // Each index is written by exactly one iteration.
      let slots = UncheckedSendableBuffer(buffer)
      DispatchQueue.concurrentPerform(iterations: paths.count) { index in
        do {
          slots.buffer[index] = .success(try decode(paths[index], options: options))
        } catch let error as DataError {
          slots.buffer[index] = .failure(error)
        } catch {
          slots.buffer[index] = .failure(DataError(paths[index], "\(error)"))
        }
      }
    }
    return results
  }
}

/// Lets disjoint slots of one buffer be written from `concurrentPerform` iterations.
struct UncheckedSendableBuffer<Element>: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Element>
  init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
