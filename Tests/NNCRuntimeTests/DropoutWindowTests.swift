import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// The ranks of a data-parallel step each run a part of the global batch; with their
/// `dropoutWindow`s they draw, between them, the masks one process draws for the whole batch.
@Suite struct DropoutWindowTests {
  static let spec = """
    model:
      input: [5]
      layers:
        - dense: 7
        - dropout: 0.5
        - dense: 6
        - dropout: 0.3
        - dense: 3
    """

  /// One executor per part, seeded like the whole batch's, with that part's window: the masks of
  /// its dropout layers, one row of each per sample, and its generator after the step.
  static func trainingMasks(
    _ graph: Graph, inputs: [Float], batch: Int, window: DropoutWindow?
  ) -> (masks: [[[Float]]], generator: RandomGenerator) {
    let executor = Executor(graph: graph, maxBatch: 8, seed: 11)
    randomize(executor, seed: 5)
    executor.dropoutWindow = window
    for index in inputs.indices { executor.input[index] = inputs[index] }
    executor.forward(batch: batch, training: true)
    let masks = executor.graph.nodes.indices.compactMap { index -> [[Float]]? in
      guard case .dropout = executor.graph.nodes[index].op else { return nil }
      let width = executor.graph.shape(of: executor.graph.nodes[index].output).sampleCount
      let mask = executor.saved[executor.steps[index].savedOffset!]
      return (0..<batch).map { sample in
        Array(UnsafeBufferPointer(start: mask + sample * width, count: width))
      }
    }
    return (masks, executor.generator)
  }

  @Test func partsDrawTheMasksOfTheWholeBatch() throws {
    let graph = try graph(Self.spec)
    let inputs: [Float] = (0..<40).map { (index: Int) -> Float in
      Float((index * 37) % 23) * 0.1 - 1
    }
    let whole = Self.trainingMasks(graph, inputs: inputs, batch: 8, window: nil)
    // Parts of 3, 0 and 5 samples, as an uneven split of a last batch gives.
    var position = 0
    for size in [3, 0, 5] {
      let window = DropoutWindow(offset: position, total: 8)
      if size == 0 {
        let executor = Executor(graph: graph, maxBatch: 8, seed: 11)
        executor.skipDropoutDraws(samples: 8)
        #expect(executor.generator == whole.generator)
        continue
      }
      let part = Self.trainingMasks(
        graph, inputs: Array(inputs[(position * 5)..<((position + size) * 5)]), batch: size, window: window)
      #expect(part.masks.count == 2)
      #expect(part.masks == whole.masks.map { Array($0[position..<(position + size)]) })
      // Every rank's generator ends where one process's does, ready for the next step.
      #expect(part.generator == whole.generator)
      position += size
    }
    // Without a window the second part would draw the first part's masks: the test can fail.
    let unwindowed = Self.trainingMasks(graph, inputs: Array(inputs[15...]), batch: 5, window: nil)
    #expect(unwindowed.masks != whole.masks.map { Array($0[3...]) })
  }
}
