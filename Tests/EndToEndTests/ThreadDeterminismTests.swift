import Foundation
import Testing

/// The README's promise that the thread count does not change a single bit: every parallel kernel
/// writes disjoint memory and sums in a fixed order, and a large product is cut into the same panels
/// whatever the thread count.
@Suite struct ThreadDeterminismTests {
  /// The model takes the Winograd kernel (16 channels, 3x3), im2col (the 1-channel input layer),
  /// batchnorm and a residual addition; on 8x8 digits its products are too small to be split.
  static let layers = """
        - conv2d: {filters: 16, kernel: 3, padding: same, activation: relu}
        - residual:
            layers:
              - conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
              - batchnorm
              - relu
              - conv2d: {filters: 16, kernel: 3, padding: same, bias: false}
              - batchnorm
        - relu
        - flatten
        - dense: 10
    """

  @Test func oneAndTwoThreadsWriteIdenticalCheckpoints() throws {
    let directory = try TrainingSupport.temporaryDirectory("threads")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 2, batch_size: 24, seed: 4}")
    try expectIdenticalCheckpoints(spec: spec, in: directory)
  }

  /// LeNet-5 on 28x28 MNIST: its second convolution's gradient products are split into panels, where
  /// OpenBLAS's kernels round a column differently depending on where the split falls; its forward
  /// runs the direct kernel, a sample per task.
  @Test func lenet5WithSplitProductsWritesIdenticalCheckpoints() throws {
    let directory = try TrainingSupport.temporaryDirectory("threads-lenet")
    defer { try? FileManager.default.removeItem(at: directory) }
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/mnist5k").path
    let spec = directory.appendingPathComponent("lenet5.yaml").path
    try """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: {filters: 6, kernel: 5, padding: 2, activation: relu}
        - maxpool: 2
        - conv2d: {filters: 16, kernel: 5, activation: relu}
        - maxpool: 2
        - flatten
        - dense: {units: 120, activation: relu}
        - dense: {units: 84, activation: relu}
        - dense: 10
    data:
      format: idx
      train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
      test: {images: \(data)/t10k-images-idx3-ubyte, labels: \(data)/t10k-labels-idx1-ubyte}
      classes: 10
      scale: 0.00392156862745098
      limit_per_class: 24
    loss: cross_entropy
    optimizer: {adam: {lr: 1.0e-3}}
    train: {epochs: 1, batch_size: 32, seed: 1}

    """.write(toFile: spec, atomically: true, encoding: .utf8)
    try expectIdenticalCheckpoints(spec: spec, in: directory)
  }

  private func expectIdenticalCheckpoints(spec: String, in directory: URL) throws {
    var checkpoints: [Data] = []
    for threads in ["1", "2"] {
      let run = directory.appendingPathComponent("run\(threads)")
      let train = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--threads", threads])
      #expect(train.status == 0, "\(train.stderr)")
      checkpoints.append(try Data(contentsOf: run.appendingPathComponent("checkpoint-last.safetensors")))
    }
    #expect(checkpoints[0].count > 10_000)
    #expect(checkpoints[0] == checkpoints[1], "--threads 1 and 2 trained different weights")
  }
}
