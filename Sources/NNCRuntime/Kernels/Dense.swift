/// A fully connected layer: output[N, out] = input[N, in] · weightᵀ + bias, weight [out, in],
/// bias [out]. All products go through SGEMM. Gradients of weight and bias are accumulated (the
/// caller zeroes them once per step); the input gradient is overwritten. No scratch.
public enum Dense {
  /// output = activation(input · weightᵀ + bias).
  public static func forward(
    batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind = .linear
  ) {
    if let bias {
      // Seeding the output with the bias lets the product add to it (beta = 1): no extra pass.
      for n in 0..<batch { (output + n * outFeatures).update(from: bias, count: outFeatures) }
    }
    sgemm(
      transposeA: false, transposeB: true, m: batch, n: outFeatures, k: inFeatures,
      a: input, lda: inFeatures, b: weight, ldb: inFeatures, beta: bias == nil ? 0 : 1,
      c: output, ldc: outFeatures)
    if activation != .linear {
      activation.forward(UnsafePointer(output), output, count: batch * outFeatures)
    }
  }

  /// Gradients of `forward` without activation; any of the three outputs may be nil to skip it.
  public static func backward(
    batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
    gradBias: UnsafeMutablePointer<Float>?
  ) {
    if let gradInput {
      sgemm(
        transposeA: false, transposeB: false, m: batch, n: inFeatures, k: outFeatures,
        a: gradOutput, lda: outFeatures, b: weight, ldb: inFeatures, c: gradInput, ldc: inFeatures)
    }
    if let gradWeight {
      sgemm(
        transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: batch,
        a: gradOutput, lda: outFeatures, b: input, ldb: inFeatures, beta: 1,
        c: gradWeight, ldc: inFeatures)
    }
    if let gradBias {
      // Rows in order, so the batch sum is deterministic.
      for n in 0..<batch {
        let row = gradOutput + n * outFeatures
        for o in 0..<outFeatures { gradBias[o] += row[o] }
      }
    }
  }
}
