import Testing

@testable import NNCRandom

@Test func sameSeedSameStream() {
  var a = RandomGenerator(seed: 42)
  var b = RandomGenerator(seed: 42)
  for _ in 0..<100 { #expect(a.next() == b.next()) }
  var c = RandomGenerator(seed: 43)
  #expect(RandomGenerator(seed: 42).stateWords != c.stateWords)
  _ = c.next()
}

@Test func stateRoundTrips() {
  var a = RandomGenerator(seed: 7)
  for _ in 0..<10 { _ = a.next() }
  var b = RandomGenerator(state: a.stateWords)!
  for _ in 0..<10 { #expect(a.next() == b.next()) }
  #expect(RandomGenerator(state: [0, 0, 0, 0]) == nil)
}

@Test func uniformAndNormalHaveTheRightMoments() {
  var rng = RandomGenerator(seed: 1)
  let n = 200_000
  var sum = 0.0
  var sumSquares = 0.0
  for _ in 0..<n {
    let u = rng.nextUniform()
    #expect(u >= 0 && u < 1)
    sum += Double(u)
  }
  #expect(abs(sum / Double(n) - 0.5) < 0.01)
  sum = 0
  for _ in 0..<n {
    let z = Double(rng.nextNormal())
    sum += z
    sumSquares += z * z
  }
  #expect(abs(sum / Double(n)) < 0.01)
  #expect(abs(sumSquares / Double(n) - 1) < 0.02)
}

@Test func shuffleIsAPermutation() {
  var rng = RandomGenerator(seed: 3)
  var values = Array(0..<50)
  rng.shuffle(&values)
  #expect(values.sorted() == Array(0..<50))
  #expect(values != Array(0..<50))
}
