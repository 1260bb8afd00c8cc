import NNCRandom

/// Random orthogonal matrices for `Initializer.orthogonal`: normal draws made orthonormal by
/// modified Gram-Schmidt, which is the QR factor with a positive diagonal in R, as PyTorch's sign
/// correction gives.
enum OrthogonalMatrix {
  /// Fills `buffer` as a `[count / columns, columns]` row-major matrix (one row when `columns` does
  /// not divide the count) whose rows (wide) or columns (tall) are orthonormal, times `gain`.
  static func fill(
    _ buffer: UnsafeMutableBufferPointer<Float>, columns: Int, gain: Float, generator: inout RandomGenerator
  ) {
    let count = buffer.count
    guard count > 0 else { return }
    let cols = columns > 0 && count % columns == 0 ? columns : count
    let rows = count / cols
    // Vectors of the shorter side, each as long as the longer side, drawn in the buffer's order.
    let vectors = min(rows, cols)
    let length = max(rows, cols)
    var basis = [Double](repeating: 0, count: count)
    for index in 0..<count { basis[index] = Double(generator.nextNormal()) }
    for k in 0..<vectors {
      for j in 0..<k {
        var dot = 0.0
        for i in 0..<length { dot += basis[j * length + i] * basis[k * length + i] }
        for i in 0..<length { basis[k * length + i] -= dot * basis[j * length + i] }
      }
      var norm = 0.0
      for i in 0..<length { norm += basis[k * length + i] * basis[k * length + i] }
      let scale = norm > 0 ? 1 / norm.squareRoot() : 0
      for i in 0..<length { basis[k * length + i] *= scale }
    }
    for r in 0..<rows {
      for c in 0..<cols {
        // Wide: row r is vector r; tall: column c is vector c.
        let value = rows <= cols ? basis[r * length + c] : basis[c * length + r]
        buffer[r * cols + c] = gain * Float(value)
      }
    }
  }
}
