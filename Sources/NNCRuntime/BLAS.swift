import CBLAS

/// Row-major single-precision matrix product through OpenBLAS:
/// `c = alpha * op(a) * op(b) + beta * c`, with `op(a)` of shape m x k and `op(b)` k x n.
///
/// A large product is computed as panels of rows or columns of `c`, each one single-threaded
/// OpenBLAS call, run concurrently on `Parallel.threadCount` threads. Each element of `c` is still one
/// product over all of `k` (no split reduction).
public func sgemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  splitSGEMM(
    threads: Parallel.threadCount, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
    alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// `sgemm` on `threads` threads (tests call it with several counts). The panels depend on the shape
/// alone; `threads` only decides who computes each one.
func splitSGEMM(
  threads: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  Parallel.singleThreadedBLAS
  let split = GEMMSplit(m: m, n: n, k: k)
  switch split.dimension {
  case .none:
    serialSGEMM(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
      b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  case .columns:
    Parallel.forEachPart(n, parts: split.panels, alignment: split.alignment, threads: threads) { columns in
      serialSGEMM(
        transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
        a: a, lda: lda, b: b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound), ldb: ldb,
        beta: beta, c: c + columns.lowerBound, ldc: ldc)
    }
  case .rows:
    Parallel.forEachPart(m, parts: split.panels, alignment: split.alignment, threads: threads) { rows in
      serialSGEMM(
        transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
        a: a + (transposeA ? rows.lowerBound : rows.lowerBound * lda), lda: lda, b: b, ldb: ldb,
        beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
    }
  }
}

/// The panels `sgemm` computes a product in, a function of its shape alone. OpenBLAS's kernels
/// (Haswell, Zen, SkylakeX, picked when the library loads) round a column differently depending on
/// where it falls in the call's blocking and edge tiles, so a product split at a thread-dependent
/// boundary differs in the last bits from the whole one, at every alignment measured. Panel
/// boundaries that never depend on the thread count make `--threads 1` and `--threads 8` issue the
/// very same OpenBLAS calls, whichever kernel is loaded.
struct GEMMSplit: Equatable {
  enum Dimension: Equatable { case none, columns, rows }

  let dimension: Dimension
  let panels: Int
  let alignment: Int

  /// Multiply-adds per panel at least: about 10 µs of work, several times what a call, the packing
  /// of the shared operand and handing the panel to a worker cost.
  static let minimumWork = 1 << 20
  /// Panels per product at most: enough for 8 threads, and few enough that one thread running them
  /// all repacks the shared operand only a few times.
  static let maximumPanels = 8
  /// Column panels are multiples of OpenBLAS's register tile along c's rows (16 floats), so no
  /// panel but the last ends in a partial vector; row panels a multiple of 4 rows.
  static let columnAlignment = 16
  static let rowAlignment = 4

  /// The split dimension is the one whose split copies less: splitting columns makes every panel
  /// pack all of `a` (m·k), splitting rows all of `b` (k·n).
  init(m: Int, n: Int, k: Int) {
    let wanted = min(Self.maximumPanels, m * n * k / Self.minimumWork)
    if wanted >= 2 && n >= m && n >= Self.columnAlignment * 2 {
      self.init(.columns, panels: min(wanted, n / Self.columnAlignment), alignment: Self.columnAlignment)
    } else if wanted >= 2 && m >= Self.rowAlignment * 2 {
      self.init(.rows, panels: min(wanted, m / Self.rowAlignment), alignment: Self.rowAlignment)
    } else {
      self.init(.none, panels: 1, alignment: 1)
    }
  }

  private init(_ dimension: Dimension, panels: Int, alignment: Int) {
    self.dimension = dimension
    self.panels = panels
    self.alignment = alignment
  }
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
