import Foundation

/// Softmax over the channel axis of [batch, channels] or [batch, channels, H, W] (`spatial` = H * W,
/// 1 for the 2-D case): for every sample and position, y_c = exp(x_c - max) / Σ exp(x_k - max).
/// Subtracting the maximum keeps exp from overflowing. No scratch.
public enum Softmax {
  public static func forward(
    batch: Int, channels: Int, spatial: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEach(batch, workPerItem: 3 * channels * spatial) { n in
      let src = input + n * channels * spatial
      let dst = output + n * channels * spatial
      for s in 0..<spatial {
        var largest = src[s]
        for c in 1..<max(channels, 1) { largest = max(largest, src[c * spatial + s]) }
        var sum: Float = 0
        for c in 0..<channels {
          let e = exp(src[c * spatial + s] - largest)
          dst[c * spatial + s] = e
          sum += e
        }
        let inverse = 1 / sum
        for c in 0..<channels { dst[c * spatial + s] *= inverse }
      }
    }
  }

  /// gradInput_c = y_c * (dy_c - Σ_k dy_k y_k), from the softmax output y; overwritten.
  public static func backward(
    batch: Int, channels: Int, spatial: Int, output: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEach(batch, workPerItem: 2 * channels * spatial) { n in
      let y = output + n * channels * spatial
      let dy = gradOutput + n * channels * spatial
      let dx = gradInput + n * channels * spatial
      for s in 0..<spatial {
        var dot: Float = 0
        for c in 0..<channels { dot += dy[c * spatial + s] * y[c * spatial + s] }
        for c in 0..<channels {
          let i = c * spatial + s
          dx[i] = y[i] * (dy[i] - dot)
        }
      }
    }
  }
}
