import Synchronization

/// `data.cache` for image folders: where decoded samples are kept between epochs.
public enum ImageCache: String, Sendable, Equatable, CaseIterable {
  /// Decode every file each time a batch needs it: memory does not grow with the folder.
  case none
  /// Decode every file once, at load, and keep the samples (as Float32) in memory.
  case memory
  /// Decode every file during the first epoch into a file of the run directory (`DiskImageCache`)
  /// and read it back in later epochs; without a run directory (`nnc eval`), the same as `none`.
  case disk
}

/// The files of an image folder whose headers were readable when it was indexed, in sample order: each is read,
/// decoded and resized again whenever a batch needs it, by whichever loader worker assembles it.
public final class ImageFolderIndex: Sendable {
  public let files: [String]
  let options: ImageFolderOptions
  /// `data.cache: disk`, once a run directory holds the cache file.
  private let diskCache = Mutex<DiskImageCache?>(nil)

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
    let cache = diskCache.withLock { $0 }
    if let cache, try cache.read(index, into: output) { return }
    let image = try Dataset.decode(files[index], options: options)
    _ = output.initialize(from: image.pixels)
    try cache?.write(index, image.pixels)
  }

  /// Keeps decoded samples in the file at `path` from now on (`data.cache: disk`): reused when it
  /// holds this folder's samples (same files, sizes, modification times and sample shape), else
  /// started afresh. Returns whether it was reused; a second call (a validation split sharing this
  /// index) keeps the first file.
  @discardableResult
  public func useDiskCache(at path: String) throws -> Bool {
    if let existing = diskCache.withLock({ $0 }) { return existing.reused }
    let cache = try DiskImageCache(path: path, files: files, options: options)
    diskCache.withLock { $0 = cache }
    return cache.reused
  }
}
