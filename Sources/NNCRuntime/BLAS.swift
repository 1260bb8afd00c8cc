import CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `c = alpha * op(a) * op(b) + beta * c`, with `op(a)` of shape m x k and `op(b)` k x n.
///
/// A large product is split across `Parallel.threadCount` threads, each calling single-threaded
/// OpenBLAS on a block of rows or columns of `c`. Each element of `c` is still one product over all
/// of `k` (no split reduction). The split dimension is the one whose split copies less: splitting
/// columns makes every thread pack all of `a` (m·k), splitting rows all of `b` (k·n).
public func sgemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  splitSGEMM(
    threads: Parallel.threadCount, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
    alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// `sgemm` on `threads` threads (tests call it with several counts).
func splitSGEMM(
  threads: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  Parallel.singleThreadedBLAS
  if threads > 1 && m * n * k >= GEMMSplit.minimumWork {
    if n >= m && n >= GEMMSplit.columnAlignment * 2 {
      Parallel.forEachPart(n, parts: threads, alignment: GEMMSplit.columnAlignment) { columns in
        serialSGEMM(
          transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
          a: a, lda: lda, b: b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound), ldb: ldb,
          beta: beta, c: c + columns.lowerBound, ldc: ldc)
      }
      return
    }
    if m >= GEMMSplit.rowAlignment * 2 {
      Parallel.forEachPart(m, parts: threads, alignment: GEMMSplit.rowAlignment) { rows in
        serialSGEMM(
          transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
          a: a + (transposeA ? rows.lowerBound : rows.lowerBound * lda), lda: lda, b: b, ldb: ldb,
          beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
      }
      return
    }
  }
  serialSGEMM(
    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
    b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// When and how `sgemm` splits a product.
enum GEMMSplit {
  /// Multiply-adds below which one thread is faster than waking another: about 20 µs of work at
  /// 100 GFLOP/s, several times what handing half of it to a Dispatch worker costs.
  static let minimumWork = 1 << 20
  /// Column blocks are multiples of OpenBLAS's SkylakeX/Haswell register tile along c's rows
  /// (16 floats), so no block ends in a partial vector; row blocks a multiple of 4 rows.
  static let columnAlignment = 16
  static let rowAlignment = 4
}

/// One OpenBLAS call on the calling thread.
@inline(__always)
func serialSGEMM(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
