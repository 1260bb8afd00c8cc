/// Where the samples of a rank's batch sit in the global batch of a data-parallel step: positions
/// `offset ..< offset + batch` of `total`. Dropout draws its masks for the whole global batch in
/// sample order, as one process does, and keeps the rows of these positions, so the ranks together
/// draw the masks one process draws.
public struct DropoutWindow: Sendable, Equatable {
  public var offset: Int
  public var total: Int

  public init(offset: Int, total: Int) {
    precondition(offset >= 0 && offset <= total, "dropout window \(offset) outside a batch of \(total)")
    self.offset = offset
    self.total = total
  }
}

extension Executor {
  /// Passes the generator over the dropout draws of a training step of `samples` samples without
  /// running it: a rank whose part of a last, small batch is empty keeps drawing what the others
  /// draw.
  public func skipDropoutDraws(samples: Int) {
    for node in graph.nodes {
      guard case .dropout(let rate) = node.op, rate > 0 else { continue }
      generator.skip(samples * graph.shape(of: node.output).sampleCount)
    }
  }

  /// Draws the mask of `batch` samples of a dropout node whose output has `sampleCount` values per
  /// sample, within the `dropoutWindow` when one is set.
  func drawDropoutMask(
    rate: Float, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<Float>, batch: Int, sampleCount: Int
  ) {
    let window = dropoutWindow ?? DropoutWindow(offset: 0, total: batch)
    precondition(window.offset + batch <= window.total, "a batch of \(batch) outside its dropout window")
    generator.skip(window.offset * sampleCount)
    Dropout.forward(
      rate: rate, input: input, output: output, mask: mask, count: batch * sampleCount, generator: &generator)
    generator.skip((window.total - window.offset - batch) * sampleCount)
  }
}
