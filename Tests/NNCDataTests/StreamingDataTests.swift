import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// The bit patterns of `values`, so that equality means the same bits (0 and -0 differ).
private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Every batch of `epoch` (samples, labels, indices), copied out of the loader's buffers.
private func epochBatches(_ loader: BatchLoader, _ epoch: Int) throws -> [([UInt32], [Int32], [Int])] {
  loader.startEpoch(epoch)
  var batch = Batch()
  var batches: [([UInt32], [Int32], [Int])] = []
  while try loader.next(into: &batch) { batches.append((bits(batch.samples), batch.labels, batch.indices)) }
  return batches
}

private func sameBatches(_ a: [([UInt32], [Int32], [Int])], _ b: [([UInt32], [Int32], [Int])]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
}

/// `bytes` gzip-compressed by the system's gzip.
private func gzipped(_ bytes: [UInt8], in directory: String) throws -> [UInt8] {
  let plain = try writeFile(directory, "to-compress", bytes)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/gzip")
  process.arguments = ["-n", "-f", plain]
  try process.run()
  process.waitUntilExit()
  #expect(process.terminationStatus == 0)
  return Array(try Data(contentsOf: URL(fileURLWithPath: plain + ".gz")))
}

/// Random bytes as an IDX images file of `count` samples of 1×5×4, and labels 0...2.
private func writeIDXPair(_ directory: String, count: Int, seed: UInt64) throws -> (
  images: [UInt8], labels: [UInt8]
) {
  var generator = RandomGenerator(seed: seed)
  let pixels = (0..<count * 20).map { _ in UInt8(generator.nextUniform() * 255) }
  let images = idxBytes(dimensions: [UInt32(count), 5, 4], body: pixels)
  let labels = idxBytes(dimensions: [UInt32(count)], body: (0..<count).map { UInt8($0 % 3) })
  return (images, labels)
}

@Test func idxSamplesStayBytesAndConvertPerSampleToTheSameBits() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let (imageBytes, labelBytes) = try writeIDXPair(directory, count: 50, seed: 3)
  let images = try writeFile(directory, "images", imageBytes)
  let labels = try writeFile(directory, "labels", labelBytes)
  var streamed = try Dataset.readIDX(images: images, labels: labels)
  guard case .elements(let store) = streamed.storage else {
    Issue.record("IDX samples were converted to Floats at load")
    return
  }
  #expect(store.elementType == .uint8 && store.residentBytes == 0)
  // The whole-file decode the reader did before streaming, normalized in memory.
  var inMemory = try Dataset(
    samples: try IDXReader.read(images).values, labels: streamed.labels, sampleShape: [1, 5, 4],
    source: images)
  let normalization = Normalization(scale: 1 / 255, mean: [0.3], std: [0.7])
  try streamed.normalize(normalization)
  try inMemory.normalize(normalization)
  #expect(bits(streamed.samples) == bits(inMemory.samples))
  // Subsets and a second normalization (the augment section's final normalize) agree too.
  let picked = [7, 3, 3, 49, 0]
  var streamedSubset = streamed.subset(picked)
  var inMemorySubset = inMemory.subset(picked)
  try streamedSubset.normalize(Normalization(mean: [0.1], std: [2]))
  try inMemorySubset.normalize(Normalization(mean: [0.1], std: [2]))
  #expect(bits(streamedSubset.samples) == bits(inMemorySubset.samples))
  #expect(streamedSubset.labels == inMemorySubset.labels)
  // The loader yields the same batches from either.
  let a = try BatchLoader(dataset: streamed, batchSize: 8, seed: 5, prefetch: true)
  let b = try BatchLoader(dataset: inMemory, batchSize: 8, seed: 5, prefetch: false)
  #expect(sameBatches(try epochBatches(a, 1), try epochBatches(b, 1)))
}

@Test func npySamplesAreReadByRangeWithTheSameValues() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let values: [Float] = (0..<24).map { Float($0) * 0.37 - 3 }
  let samples = try writeFile(
    directory, "x.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
      body: littleEndianBytes(values)))
  let labels = try writeFile(
    directory, "y.npy",
    npyBytes(
      header: "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }",
      body: littleEndianBytes([Int64](arrayLiteral: 0, 1, 2, 0, 1, 2))))
  let dataset = try Dataset.readNPY(samples: samples, labels: labels)
  guard case .elements(let store) = dataset.storage else {
    Issue.record("NPY samples were copied at load")
    return
  }
  #expect(store.elementType == .float32)
  #expect(bits(dataset.samples) == bits(values))
  #expect(try dataset.readSample(4) == Array(values[16..<20]))
  // A NaN is still refused at load, naming its element and byte.
  var poisoned = values
  poisoned[13] = .nan
  let bad = try writeFile(
    directory, "bad.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
      body: littleEndianBytes(poisoned)))
  let message = dataError { try Dataset.readNPY(samples: bad, labels: labels) }?.description ?? ""
  #expect(message == "\(bad): element 13 at byte 180 is NaN; values must be finite numbers", "\(message)")
}

@Test func gzipIDXReadsLikeThePlainFileAndIsCountedInMemory() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let (imageBytes, labelBytes) = try writeIDXPair(directory, count: 40, seed: 9)
  let plain = try Dataset.readIDX(
    images: try writeFile(directory, "images", imageBytes),
    labels: try writeFile(directory, "labels", labelBytes))
  let images = try writeFile(directory, "images.gz", try gzipped(imageBytes, in: directory))
  let labels = try writeFile(directory, "labels.gz", try gzipped(labelBytes, in: directory))
  let compressed = try Dataset.readIDX(images: images, labels: labels)
  #expect(bits(compressed.samples) == bits(plain.samples))
  #expect(compressed.labels == plain.labels)
  // The inflated bytes are held in memory, and counted: 16 header bytes + 40 × 20 pixels.
  guard case .elements(let store) = compressed.storage else {
    Issue.record("gzip samples were not kept as bytes")
    return
  }
  #expect(store.residentBytes == imageBytes.count)
  #expect(compressed.residentBytes >= imageBytes.count + 40 * 4)
  // Two gzip members one after the other inflate to their concatenation, as with gunzip.
  let first = try gzipped(Array(labelBytes.prefix(10)), in: directory)
  let second = try gzipped(Array(labelBytes.dropFirst(10)), in: directory)
  let twoMembers = try writeFile(directory, "two.gz", first + second)
  #expect(try IDXReader.read(twoMembers).values == IDXReader.read(labels).values)
}

@Test func truncatedAndCorruptGzipNameTheFileAndOffset() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let (imageBytes, labelBytes) = try writeIDXPair(directory, count: 200, seed: 4)
  let compressed = try gzipped(imageBytes, in: directory)
  let labels = try writeFile(directory, "labels", labelBytes)
  let truncated = try writeFile(directory, "truncated.gz", Array(compressed.prefix(compressed.count / 2)))
  let truncatedMessage = dataError { try Dataset.readIDX(images: truncated, labels: labels) }?.description
  #expect(
    truncatedMessage?.hasPrefix(
      "\(truncated): truncated at byte \(compressed.count / 2): the gzip data ends before its end marker")
      == true,
    "\(truncatedMessage ?? "no error")")
  var damaged = compressed
  for offset in 20..<60 { damaged[offset] ^= 0xA5 }
  let corrupt = try writeFile(directory, "corrupt.gz", damaged)
  let corruptMessage = dataError { try Dataset.readIDX(images: corrupt, labels: labels) }?.description ?? ""
  #expect(corruptMessage.hasPrefix("\(corrupt): corrupt gzip data at byte "), "\(corruptMessage)")
  let notGzip = try writeFile(directory, "plain.gz", imageBytes)
  let notGzipMessage = dataError { try Dataset.readIDX(images: notGzip, labels: labels) }?.description ?? ""
  #expect(notGzipMessage.hasPrefix("\(notGzip): corrupt gzip data at byte "), "\(notGzipMessage)")
  #expect(notGzipMessage.hasSuffix(": incorrect header check"), "\(notGzipMessage)")
  // An IDX problem inside a good gzip file says that its offsets count inflated bytes.
  let short = try writeFile(
    directory, "short.gz", try gzipped(Array(imageBytes.dropLast(3)), in: directory))
  let shortMessage = dataError { try Dataset.readIDX(images: short, labels: labels) }?.description ?? ""
  #expect(shortMessage.hasSuffix("(offsets count inflated bytes)"), "\(shortMessage)")
  #expect(shortMessage.contains("truncated at byte \(imageBytes.count - 3)"), "\(shortMessage)")
}

@Test func aFileTruncatedDuringTrainingIsAnErrorNamingIt() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let (imageBytes, labelBytes) = try writeIDXPair(directory, count: 64, seed: 2)
  let images = try writeFile(directory, "images", imageBytes)
  let dataset = try Dataset.readIDX(images: images, labels: try writeFile(directory, "labels", labelBytes))
  let loader = try BatchLoader(dataset: dataset, batchSize: 16, shuffle: false, seed: 1, prefetch: true)
  #expect(try epochBatches(loader, 0).count == 4)
  // Cut in place to 16 header bytes and 40 samples of 20 bytes: sample 40 is gone.
  let handle = try #require(FileHandle(forWritingAtPath: images))
  try handle.truncate(atOffset: 16 + 40 * 20)
  try handle.close()
  let error = dataError { try epochBatches(loader, 1) }
  #expect(error?.path == images)
  #expect(error?.message == "ended at byte 816 while reading; it shrank since it was opened")
}

/// Writes `count` PNG images of 6×6 in two classes, each with its own pixels.
private func makeImageFolder(count: Int) throws -> String {
  let folder = try temporaryFolder("streaming-\(UUID().uuidString)")
  var generator = RandomGenerator(seed: 11)
  for index in 0..<count {
    let path = folder + "/\(index % 2 == 0 ? "even" : "odd")/\(String(index).leftPadded(to: 3)).png"
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let image = Image(
      channels: 3, height: 6, width: 6, pixels: (0..<108).map { _ in Float(generator.nextUniform()) })
    try ImageCodec.writePNG(image, to: path)
  }
  return folder
}

private let augmentation = AugmentationConfiguration(steps: [
  AugmentationStep(.horizontalFlip, probability: 0.5),
  AugmentationStep(.resizedCrop(scale: ValueRange(0.5, 1), ratio: ValueRange(0.75, 1.33)), probability: 1),
  AugmentationStep(.gaussianNoise(std: 0.05), probability: 1),
])

@Test func folderBatchesAreTheSameBitsForAnyWorkerCountPrefetchAndCache() throws {
  let folder = try makeImageFolder(count: 30)
  defer { try? FileManager.default.removeItem(atPath: folder) }
  var warnings: [String] = []
  let options = ImageFolderOptions(channels: 3, height: 5, width: 4)
  let streamed = try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
  guard case .images = streamed.storage else {
    Issue.record("the folder was decoded into memory without data.cache: memory")
    return
  }
  var cachedOptions = options
  cachedOptions.cache = .memory
  let cached = try Dataset.readImageFolder(folder, options: cachedOptions, warnings: &warnings)
  #expect(bits(streamed.samples) == bits(cached.samples))
  #expect(streamed.residentBytes < cached.residentBytes)
  let pipeline = try AugmentationPipeline(augmentation, sampleShape: [3, 5, 4])
  func batches(_ dataset: Dataset, workers: Int, prefetch: Bool, depth: Int) throws -> [[(
    [UInt32], [Int32], [Int]
  )]] {
    let loader = try BatchLoader(
      dataset: dataset, batchSize: 7, seed: 21, prefetch: prefetch, prefetchDepth: depth, workers: workers,
      transform: pipeline.sampleTransform)
    return try (0..<3).map { try epochBatches(loader, $0) }
  }
  let reference = try batches(cached, workers: 1, prefetch: false, depth: 1)
  for (workers, prefetch, depth) in [(1, true, 1), (2, true, 2), (4, true, 3), (4, false, 1)] {
    for dataset in [streamed, cached] {
      let result = try batches(dataset, workers: workers, prefetch: prefetch, depth: depth)
      #expect(
        zip(result, reference).allSatisfy { sameBatches($0, $1) },
        "workers \(workers), prefetch \(prefetch) depth \(depth)")
    }
  }
  // A resumed loader (a new one started at epoch 2) replays epoch 2 exactly.
  let resumed = try BatchLoader(
    dataset: streamed, batchSize: 7, seed: 21, workers: 2, transform: pipeline.sampleTransform)
  #expect(sameBatches(try epochBatches(resumed, 2), reference[2]))
}

@Test(arguments: [1, 3])
func aFileRemovedDuringTrainingIsNamedOrSkipped(workers: Int) throws {
  let folder = try makeImageFolder(count: 12)
  defer { try? FileManager.default.removeItem(atPath: folder) }
  var warnings: [String] = []
  let dataset = try Dataset.readImageFolder(
    folder, options: ImageFolderOptions(channels: 3, height: 6, width: 6), warnings: &warnings)
  let strict = try BatchLoader(dataset: dataset, batchSize: 5, shuffle: false, seed: 1, workers: workers)
  let lenient = try BatchLoader(
    dataset: dataset, batchSize: 5, shuffle: false, seed: 1, workers: workers, skipUnreadable: true)
  let removed = folder + "/odd/003.png"
  let corrupted = folder + "/even/006.png"
  try FileManager.default.removeItem(atPath: removed)
  try Data("not a png any more".utf8).write(to: URL(fileURLWithPath: corrupted))
  // Files are sorted by class (even: 0...5, odd: 6...11): the corrupted file is sample 3 and the
  // removed one sample 7; the first in the epoch's order is reported.
  let error = dataError { try epochBatches(strict, 0) }
  #expect(error?.path == corrupted, "\(String(describing: error))")
  #expect(error?.message.hasSuffix("(set data.skip_corrupt: true to skip unreadable files)") == true)
  // The loader stays usable: the next epoch fails the same way instead of hanging.
  #expect(dataError { try epochBatches(strict, 1) }?.path == corrupted)
  let batches = try epochBatches(lenient, 0)
  #expect(batches.map(\.2) == [[0, 1, 2, 4], [5, 6, 8, 9], [10, 11]])
  let skipped = lenient.skipLog.take()
  #expect(skipped.map(\.path) == [corrupted, removed])
  #expect(skipped.last?.message == "no such file")
  #expect(lenient.skipLog.take().isEmpty)
}

@Test func aWorkerPoolRunsEveryIterationOnceAndStops() {
  let pool = WorkerPool(threads: 3)
  let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
  defer { counts.deallocate() }
  counts.initialize(repeating: 0)
  let slots = UncheckedSendableBuffer(counts)
  for _ in 0..<20 { pool.run(count: 1000) { slots.buffer[$0] += 1 } }
  #expect(counts.allSatisfy { $0 == 20 })
  pool.shutdown()
}

@Test func indexingReadsHeadersOnlyAndBodyDamageSurfacesAtBatchTime() throws {
  let folder = try makeImageFolder(count: 6)
  defer { try? FileManager.default.removeItem(atPath: folder) }
  // A JPEG whose header is intact but whose scan data is cut off: the index accepts it, a batch
  // that decodes it names it (or skips it under skip_corrupt).
  var generator = RandomGenerator(seed: 5)
  let image = Image(
    channels: 3, height: 32, width: 32, pixels: (0..<3072).map { _ in Float(generator.nextUniform()) })
  let jpeg = try ImageCodec.encodeJPEG(image)
  let damaged = folder + "/even/000.jpg"
  try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: damaged))
  #expect(try ImageCodec.readHeader(damaged) == (ImageCodec.Format.jpeg, 32, 32))
  var warnings: [String] = []
  let streamed = try Dataset.readImageFolder(
    folder, options: ImageFolderOptions(channels: 3, height: 6, width: 6), warnings: &warnings)
  #expect(streamed.count == 7 && warnings.isEmpty)
  let strict = try BatchLoader(dataset: streamed, batchSize: 7, shuffle: false, seed: 1)
  let error = dataError { try epochBatches(strict, 0) }
  #expect(error?.path == damaged, "\(String(describing: error))")
  let lenient = try BatchLoader(
    dataset: streamed, batchSize: 7, shuffle: false, seed: 1, skipUnreadable: true)
  #expect(try epochBatches(lenient, 0).map(\.2) == [[1, 2, 3, 4, 5, 6]])
  #expect(lenient.skipLog.take().map(\.path) == [damaged])
  // The memory cache decodes every file at load, so there the damage is found before training.
  #expect(
    dataError {
      try Dataset.readImageFolder(
        folder, options: ImageFolderOptions(channels: 3, height: 6, width: 6, cache: .memory),
        warnings: &warnings)
    }?.path == damaged)
}

@Test func aJPEGHeaderBehindLargeMetadataIsStillFound() throws {
  let image = Image(channels: 1, height: 3, width: 5, pixels: [Float](repeating: 0.5, count: 15))
  let jpeg = [UInt8](try ImageCodec.encodeJPEG(image))
  // Two 60 KB comment segments between SOI and the rest push the frame header past the prefix read.
  var padded = Array(jpeg.prefix(2))
  for _ in 0..<2 { padded += [0xFF, 0xFE, 0xEA, 0x62] + [UInt8](repeating: 0x20, count: 0xEA60) }
  padded += jpeg.dropFirst(2)
  let directory = try temporaryFolder("header-\(UUID().uuidString)")
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(directory, "padded.jpg", padded)
  #expect(padded.count > ImageCodec.headerPrefixBytes)
  #expect(try ImageCodec.readHeader(path) == (ImageCodec.Format.jpeg, 5, 3))
  #expect(
    try ImageCodec.read(path, channels: 1).pixels
      == (try ImageCodec.decode(Data(jpeg), channels: 1, path: "")).pixels)
}

@Test func theDiskCacheGivesTheSameBitsAndIsRebuiltWhenTheFolderChanges() throws {
  let folder = try makeImageFolder(count: 12)
  let cacheFolder = try temporaryFolder()
  defer {
    try? FileManager.default.removeItem(atPath: folder)
    try? FileManager.default.removeItem(atPath: cacheFolder)
  }
  let cachePath = cacheFolder + "/image-cache-train.bin"
  let pipeline = try AugmentationPipeline(augmentation, sampleShape: [3, 5, 4])
  var warnings: [String] = []
  func load(_ cache: ImageCache) throws -> Dataset {
    var options = ImageFolderOptions(channels: 3, height: 5, width: 4)
    options.cache = cache
    return try Dataset.readImageFolder(folder, options: options, warnings: &warnings)
  }
  func batches(_ dataset: Dataset) throws -> [[([UInt32], [Int32], [Int])]] {
    let loader = try BatchLoader(
      dataset: dataset, batchSize: 5, seed: 8, workers: 2, transform: pipeline.sampleTransform)
    return try (0..<3).map { try epochBatches(loader, $0) }
  }
  func same(_ a: [[([UInt32], [Int32], [Int])]], _ b: [[([UInt32], [Int32], [Int])]]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { sameBatches($0, $1) }
  }
  let reference = try batches(try load(.none))
  #expect(same(try batches(try load(.memory)), reference))
  let disk = try load(.disk)
  guard case .images(let index) = disk.storage else {
    Issue.record("data.cache: disk decoded the folder into memory")
    return
  }
  #expect(try index.useDiskCache(at: cachePath) == false)
  #expect(same(try batches(disk), reference))
  // A second run over the unchanged folder reuses the file: every sample comes from it, even
  // one whose source file can no longer be decoded.
  let damaged = folder + "/odd/003.png"
  var status = stat()
  let statStatus = stat(damaged, &status)
  #expect(statStatus == 0)
  // The header stays readable (indexing accepts the file); the image data becomes zeros, with
  // the same size and modification time.
  let intact = try Data(contentsOf: URL(fileURLWithPath: damaged))
  let kept = try #require(intact.range(of: Data("IDAT".utf8))).upperBound
  try (intact.prefix(kept) + Data(count: intact.count - kept)).write(to: URL(fileURLWithPath: damaged))
  var times = [status.st_atim, status.st_mtim]
  let timesStatus = utimensat(AT_FDCWD, damaged, &times, 0)
  #expect(timesStatus == 0)
  #expect(
    dataError { try Dataset.decode(damaged, options: ImageFolderOptions(channels: 3, height: 5, width: 4)) }
      != nil)
  let reloaded = try load(.disk)
  guard case .images(let reloadedIndex) = reloaded.storage else { return }
  #expect(try reloadedIndex.useDiskCache(at: cachePath) == true)
  #expect(same(try batches(reloaded), reference))
  // A changed folder (another file's size and time) makes the cache stale: rebuilt, and its
  // samples are those of the folder as it is now.
  try Data(contentsOf: URL(fileURLWithPath: folder + "/even/000.png")).write(
    to: URL(fileURLWithPath: folder + "/odd/003.png"))
  let changed = try load(.disk)
  guard case .images(let changedIndex) = changed.storage else { return }
  #expect(try changedIndex.useDiskCache(at: cachePath) == false)
  let fresh = try batches(try load(.none))
  #expect(!same(fresh, reference))
  #expect(same(try batches(changed), fresh))
  #expect(same(try batches(changed), fresh))
}

@Test func fastJPEGDecodesLargeJPEGsScaledWithCloseValuesAndOffKeepsTheFullDecode() throws {
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let path = folder + "/photo.jpg"
  try ImageCodec.encodeJPEG(gradientImage(channels: 3, height: 96, width: 128), quality: 95).write(
    to: URL(fileURLWithPath: path))
  #expect(ImageCodec.scaleDenominator(width: 128, height: 96, targetWidth: 16, targetHeight: 12) == 8)
  #expect(ImageCodec.scaleDenominator(width: 128, height: 96, targetWidth: 40, targetHeight: 30) == 2)
  #expect(ImageCodec.scaleDenominator(width: 128, height: 96, targetWidth: 100, targetHeight: 30) == 1)
  for (height, width) in [(12, 16), (20, 30), (7, 9)] {
    var options = ImageFolderOptions(channels: 3, height: height, width: width)
    let full = try Dataset.decode(path, options: options)
    #expect(
      bits(full.pixels)
        == bits(try ImageCodec.read(path, channels: 3).resized(height: height, width: width).pixels))
    options.fastJPEG = true
    let fast = try Dataset.decode(path, options: options)
    #expect(fast.channels == 3 && fast.height == height && fast.width == width)
    let meanDifference =
      zip(fast.pixels, full.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(full.pixels.count)
    #expect(meanDifference < 0.02, "\(height)x\(width): mean difference \(meanDifference)")
    #expect(bits(fast.pixels) != bits(full.pixels))
  }
  // PNGs are never scaled.
  let png = folder + "/picture.png"
  try ImageCodec.writePNG(gradientImage(channels: 3, height: 64, width: 64), to: png)
  var options = ImageFolderOptions(channels: 3, height: 8, width: 8)
  let full = try Dataset.decode(png, options: options)
  options.fastJPEG = true
  #expect(bits(try Dataset.decode(png, options: options).pixels) == bits(full.pixels))
}
