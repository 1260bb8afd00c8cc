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
