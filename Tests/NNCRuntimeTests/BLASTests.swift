import NNCRandom
import Testing

@testable import NNCRuntime

@Test func sgemmMatchesReferenceLoop() {
  let (m, n, k) = (3, 5, 4)
  let a = (0..<(m * k)).map { Float($0 % 7) - 3 }
  let b = (0..<(k * n)).map { Float($0 % 5) * 0.5 }
  var c = [Float](repeating: 0, count: m * n)
  sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
  for i in 0..<m {
    for j in 0..<n {
      let expected = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[$1 * n + j] }
      #expect(c[i * n + j] == expected)
    }
  }
}

/// Products large enough to be split into panels, by columns (n ≥ m) or by rows, with every
/// transpose combination, a non-zero beta and leading dimensions wider than the matrices. The panels
/// depend on the shape alone, so every thread count makes the same OpenBLAS calls: compared bit for
/// bit, whichever kernel OpenBLAS loaded (it rounds a column differently depending on where a split
/// falls, so thread-dependent boundaries fail here on Haswell and Zen kernels).
@Test(arguments: [(64, 4100, 576), (2304, 128, 64), (512, 32, 512), (37, 1000, 300)])
func splitProductsEqualTheSingleThreadedOne(_ shape: (Int, Int, Int)) {
  let (m, n, k) = shape
  #expect(m * n * k >= GEMMSplit.minimumWork, "the shape must be large enough to split")
  var generator = RandomGenerator(seed: 91)
  for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
    let (lda, ldb, ldc) = ((transposeA ? m : k) + 3, (transposeB ? k : n) + 5, n + 2)
    let a = randomValues((transposeA ? k : m) * lda, &generator)
    let b = randomValues((transposeB ? n : k) * ldb, &generator)
    let initial = randomValues(m * ldc, &generator)
    var results: [[Float]] = []
    for threads in [1, 2, 3] {
      var c = initial
      splitSGEMM(
        threads: threads, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
        a: a, lda: lda, b: b, ldb: ldb, beta: 0.75, c: &c, ldc: ldc)
      results.append(c)
    }
    #expect(results[1] == results[0] && results[2] == results[0], "transposes \(transposeA), \(transposeB)")
    // And it is the product: one element checked against a Double loop.
    let (i, j) = (m / 2, n - 1)
    var expected = 0.75 * Double(initial[i * ldc + j])
    var magnitude = abs(expected)
    for p in 0..<k {
      let left = transposeA ? a[p * lda + i] : a[i * lda + p]
      let right = transposeB ? b[j * ldb + p] : b[p * ldb + j]
      expected += 0.5 * Double(left) * Double(right)
      magnitude += abs(0.5 * Double(left) * Double(right))
    }
    let error = maxRoundingError([results[0][i * ldc + j]], [expected], magnitudes: [magnitude], terms: k + 1)
    #expect(error < 4, "rounding error \(error) tolerances")
  }
}

/// The panels depend on the shape alone (no thread count goes in), and the products that make the
/// end-to-end determinism tests meaningful are split: LeNet-5's second convolution on a batch of 32
/// (forward and both gradients) and a ResNet block's 3x3 convolution at 32x32.
@Test func productsOfTrainedModelsAreSplitIntoPanels() {
  for (m, n, k) in [(16, 3200, 150), (150, 3200, 16), (16, 150, 3200), (64, 4096, 576)] {
    let split = GEMMSplit(m: m, n: n, k: k)
    #expect(split.panels > 1 && split.panels <= GEMMSplit.maximumPanels, "\(m) x \(n) x \(k)")
    #expect(split.dimension != .none)
  }
  #expect(GEMMSplit(m: 32, n: 120, k: 200).dimension == .none, "too little work to split")
}
