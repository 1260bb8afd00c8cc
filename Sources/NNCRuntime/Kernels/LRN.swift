import Foundation

/// Local response normalization across the channels of an NCHW tensor [batch, channels, spatial]:
/// y_c = x_c * s_c^-beta with s_c = bias + alpha / size * sum of x_k^2 over the window of c, which runs
/// from (size - 1) / 2 channels before c to size / 2 after it (ONNX's rule), clipped at the edges.
/// Work is split over (sample, channel) planes, each summing its window in channel order, so results
/// do not depend on the thread count.
public enum LocalResponseNorm {
  public static func forward(
    batch: Int, channels: Int, spatial: Int, size: Int, alpha: Float, beta: Float, bias: Float,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let scale = alpha / Float(size)
    Parallel.forEach(batch * channels, workPerItem: spatial * (size + 8)) { plane in
      let window = Self.window(plane % channels, channels: channels, size: size)
      let sample = input + (plane - plane % channels) * spatial
      let x = input + plane * spatial
      let y = output + plane * spatial
      // The window's sum of squares is gathered in the output plane first.
      sumOfSquares(sample, window: window, spatial: spatial, into: y)
      for p in 0..<spatial { y[p] = x[p] * pow(bias + scale * y[p], -beta) }
    }
  }

  /// gradInput_k = dy_k * s_k^-beta - 2 alpha beta / size * x_k * sum over the channels c whose window
  /// holds k of dy_c * x_c * s_c^(-beta-1). The second term gathers per-channel products computed for
  /// the whole tensor in a first pass, into `scratch` (`scratchCount` values); the first pass also
  /// writes the first term.
  public static func backward(
    batch: Int, channels: Int, spatial: Int, size: Int, alpha: Float, beta: Float, bias: Float,
    input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
    scratch products: UnsafeMutablePointer<Float>
  ) {
    let scale = alpha / Float(size)
    let planes = batch * channels
    Parallel.forEach(planes, workPerItem: spatial * (size + 10)) { plane in
      let window = Self.window(plane % channels, channels: channels, size: size)
      let sample = input + (plane - plane % channels) * spatial
      let x = input + plane * spatial
      let dy = gradOutput + plane * spatial
      let dx = gradInput + plane * spatial
      let t = products + plane * spatial
      sumOfSquares(sample, window: window, spatial: spatial, into: t)
      for p in 0..<spatial {
        let s = bias + scale * t[p]
        let factor = pow(s, -beta)
        let weighted = dy[p] * factor
        dx[p] = weighted
        t[p] = weighted * x[p] / s
      }
    }
    let coefficient = 2 * scale * beta
    Parallel.forEach(planes, workPerItem: spatial * (size + 2)) { plane in
      let k = plane % channels
      // The channels c whose window [c - before, c + after] holds k.
      let first = max(0, k - size / 2)
      let last = min(channels - 1, k + (size - 1) / 2)
      let x = input + plane * spatial
      let dx = gradInput + plane * spatial
      let sampleProducts = products + (plane - k) * spatial
      for c in first...last {
        let t = sampleProducts + c * spatial
        for p in 0..<spatial { dx[p] -= coefficient * x[p] * t[p] }
      }
    }
  }

  /// The scratch `backward` needs: one product per input value.
  public static func scratchCount(sampleCount: Int, batch: Int) -> Int { sampleCount * batch }

  /// The channels of the window of channel `c`.
  static func window(_ c: Int, channels: Int, size: Int) -> ClosedRange<Int> {
    max(0, c - (size - 1) / 2)...min(channels - 1, c + size / 2)
  }

  private static func sumOfSquares(
    _ sample: UnsafePointer<Float>, window: ClosedRange<Int>, spatial: Int,
    into target: UnsafeMutablePointer<Float>
  ) {
    target.update(repeating: 0, count: spatial)
    for k in window {
      let row = sample + k * spatial
      for p in 0..<spatial { target[p] += row[p] * row[p] }
    }
  }
}
