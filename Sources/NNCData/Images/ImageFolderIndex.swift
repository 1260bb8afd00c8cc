/// `data.cache` for image folders: where decoded samples are kept between epochs.
public enum ImageCache: String, Sendable, Equatable, CaseIterable {
  /// Decode every file each time a batch needs it: memory does not grow with the folder.
  case none
  /// Decode every file once, at load, and keep the samples (as Float32) in memory.
  case memory
}

/// The files of an image folder that decoded when it was indexed, in sample order: each is read,
/// decoded and resized again whenever a batch needs it, by whichever loader worker assembles it.
public final class ImageFolderIndex: Sendable {
  public let files: [String]
  let options: ImageFolderOptions

  init(files: [String], options: ImageFolderOptions) {
    self.files = files
    self.options = options
  }

  /// The paths are all this keeps in memory.
  var residentBytes: Int { files.reduce(0) { $0 + $1.utf8.count + 16 } }

  /// Decodes file `index` into `output` (`channels × height × width` values in [0, 1]): the same
  /// values the folder reader produced at load. A file removed, truncated or corrupted since the
  /// folder was indexed is an error naming it.
  func read(_ index: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
    let image = try Dataset.decode(files[index], options: options)
    _ = output.initialize(from: image.pixels)
  }
}
