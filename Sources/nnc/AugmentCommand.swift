import ArgumentParser
import Foundation
import NNCData
import NNCRandom
import NNCTrain

struct AugmentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Show what the spec's augment section does to training samples.",
    discussion: """
      With --preview, writes a PNG grid of training samples, each shown as it is (left) and after the \
      augment pipeline (right). A final 'normalize' step is left out so the images can be seen.
      """
  )

  @OptionGroup var options: SpecOptions

  @Option(help: "Write a grid of original and augmented samples to this PNG file.")
  var preview: String

  @Option(help: "How many samples to show.")
  var count: Int = 32

  @Option(help: "Random seed for choosing and augmenting the samples (default: train.seed).")
  var seed: Int?

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1, not \(count)") }
    if let seed, seed < 0 { throw ValidationError("--seed must not be negative, not \(seed)") }
  }

  func run() throws {
    SignalHandling.installExitAtOnce()
    let prepared = try PreparedRun.prepare(options, command: "augment")
    guard let configuration = prepared.configuration.augmentation, !configuration.steps.isEmpty else {
      throw fail("\(options.spec): the spec has no 'augment' section (or it is empty)")
    }
    let train = prepared.data.train
    guard train.sampleShape.count == 3, train.sampleShape[0] == 1 || train.sampleShape[0] == 3 else {
      throw fail("\(train.source): a preview needs grey or RGB image samples, not shape \(train.sampleShape)")
    }
    let pipeline: AugmentationPipeline
    do {
      // Checks the steps against the data as training would; the preview leaves out 'normalize'.
      _ = try RunComponents.augmentationPipeline(configuration, for: train)
      pipeline = try AugmentationPipeline(configuration.withoutNormalization, sampleShape: train.sampleShape)
    } catch let error as TrainError {
      throw fail(error.message)
    } catch {
      throw fail("\(error)")
    }
    let root = RandomGenerator(seed: UInt64(seed ?? prepared.configuration.seed))
    var order = Array(0..<train.count)
    var chooser = root.derived(0)
    chooser.shuffle(&order)
    let (channels, height, width) = (train.sampleShape[0], train.sampleShape[1], train.sampleShape[2])
    var pairs: [(original: Image, augmented: Image)] = []
    for (position, index) in order.prefix(count).enumerated() {
      let original = Image(
        channels: channels, height: height, width: width, pixels: try train.readSample(index))
      var augmented = original
      var generator = root.derived(1).derived(UInt64(position))
      pipeline.apply(to: &augmented, using: &generator)
      pairs.append((original, augmented))
    }
    let grid = PreviewGrid.compose(
      pairs: pairs, pairsPerRow: 8, zoom: PreviewGrid.zoom(height: height, width: width))
    do {
      try AtomicFile.write(to: preview) { try ImageCodec.writePNG(grid, to: $0) }
    } catch let error as DataError {
      throw fail("\(error)")
    }
    print(
      "wrote \(preview): \(pairs.count) training samples of \(train.source), original (left) and augmented "
        + "(right), \(grid.width)x\(grid.height) pixels")
  }
}
