import NNCRandom

/// Element-wise sum of two tensors of the same shape (residual connections), optionally followed by
/// an activation in the same pass (fused `add` + `relu`). `output` may equal either input.
public enum Add {
  public static func forward(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    count: Int, activation: ActivationKind = .linear
  ) {
    Parallel.forEachChunk(count) { range in
      if activation == .relu {
        for i in range { output[i] = max(a[i] + b[i], 0) }
      } else {
        for i in range { output[i] = a[i] + b[i] }
      }
    }
    // ResNet's case, relu, is fused into the loop above; the rarer ones take a second pass.
    if activation != .linear && activation != .relu {
      activation.forward(UnsafePointer(output), output, count: count)
    }
  }

  /// Both inputs receive gradOutput unchanged; either destination may be nil (no gradient wanted) or
  /// equal `gradOutput` (then nothing is copied for it).
  public static func backward(
    gradOutput: UnsafePointer<Float>, gradA: UnsafeMutablePointer<Float>?,
    gradB: UnsafeMutablePointer<Float>?, count: Int
  ) {
    for destination in [gradA, gradB] {
      guard let destination, UnsafePointer(destination) != gradOutput else { continue }
      destination.update(from: gradOutput, count: count)
    }
  }
}

/// Concatenation of K tensors [batch, channels_k, H, W] along the channel axis into
/// [batch, Σ channels_k, H, W] (`spatial` = H * W; 1 for [N, C] tensors); backward splits the
/// gradient the same way. The pointer and count arrays belong to the caller (built once per plan).
public enum Concat {
  public static func forward(
    batch: Int, spatial: Int, inputs: [UnsafePointer<Float>], channels: [Int],
    output: UnsafeMutablePointer<Float>
  ) {
    precondition(inputs.count == channels.count, "Concat: \(inputs.count) inputs, \(channels.count) counts")
    let total = channels.reduce(0, +)
    Parallel.forEach(batch, workPerItem: total * spatial) { n in
      var dst = output + n * total * spatial
      for (input, count) in zip(inputs, channels) {
        let block = count * spatial
        dst.update(from: input + n * block, count: block)
        dst += block
      }
    }
  }

  /// gradInputs[k] (overwritten) = the slice of gradOutput that input k filled; a nil destination is
  /// skipped.
  public static func backward(
    batch: Int, spatial: Int, gradOutput: UnsafePointer<Float>,
    gradInputs: [UnsafeMutablePointer<Float>?], channels: [Int]
  ) {
    precondition(
      gradInputs.count == channels.count, "Concat: \(gradInputs.count) inputs, \(channels.count) counts")
    let total = channels.reduce(0, +)
    Parallel.forEach(batch, workPerItem: total * spatial) { n in
      var src = gradOutput + n * total * spatial
      for (gradInput, count) in zip(gradInputs, channels) {
        let block = count * spatial
        gradInput?.advanced(by: n * block).update(from: src, count: block)
        src += block
      }
    }
  }
}

/// Inverted dropout: during training each element is kept with probability 1 - rate and scaled by
/// 1 / (1 - rate), so inference needs no rescaling (and no kernel: it is the identity). The mask
/// (0 or 1 / (1 - rate) per element) lives in caller scratch of `count` Floats and is reused by
/// backward. Rate 0 is the identity with a mask of ones.
public enum Dropout {
  /// Float scratch elements for the mask.
  public static func maskCount(count: Int) -> Int { count }

  /// Throws unless 0 <= rate < 1 (a rate of 1 would drop everything and divide by zero).
  public static func validate(rate: Float) throws(KernelError) {
    guard rate >= 0 && rate < 1 else {
      throw KernelError("dropout: rate must be in [0, 1), got \(rate)")
    }
  }

  /// Draws the mask from `generator` (one draw per element, in order, so a seed fixes the mask) and
  /// writes output = input * mask; `output` may equal `input`.
  public static func forward(
    rate: Float, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<Float>, count: Int, generator: inout RandomGenerator
  ) {
    precondition(rate >= 0 && rate < 1, "dropout rate \(rate) is outside [0, 1)")
    if rate == 0 {
      mask.update(repeating: 1, count: count)
      if UnsafePointer(output) != input { output.update(from: input, count: count) }
      return
    }
    let keptScale = 1 / (1 - rate)
    for i in 0..<count { mask[i] = generator.nextUniform() >= rate ? keptScale : 0 }
    Parallel.forEachChunk(count) { range in
      for i in range { output[i] = input[i] * mask[i] }
    }
  }

  /// gradInput = gradOutput * mask; `gradInput` may equal `gradOutput`.
  public static func backward(
    gradOutput: UnsafePointer<Float>, mask: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>, count: Int
  ) {
    Parallel.forEachChunk(count) { range in
      for i in range { gradInput[i] = gradOutput[i] * mask[i] }
    }
  }
}

/// Flatten ([N, C, H, W] -> [N, C * H * W]) needs no kernel: NCHW data is already contiguous in that
/// order, so the interpreter hands the same memory on as a view with the new shape, and the gradient
/// flows back through the same view.
public enum Flatten {
  /// Elements per sample after flattening.
  public static func features(channels: Int, height: Int, width: Int) -> Int {
    channels * height * width
  }
}
