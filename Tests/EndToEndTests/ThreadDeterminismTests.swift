import Foundation
import Testing

/// The README's promise that the thread count does not change a single bit: every parallel kernel
/// writes disjoint memory and sums in a fixed order. The model takes the Winograd kernel (16
/// channels, 3x3), im2col (the 1-channel input layer), batchnorm and a residual addition.
@Suite struct ThreadDeterminismTests {
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
