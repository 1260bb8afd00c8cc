import NNCRandom

/// A seeded, deterministic mutator of byte strings: the same seed and inputs give the same mutants,
/// so a failure found in the test suite reproduces. Generic over the input format; a target passes
/// its own dictionary of tokens (spec keywords, file magic numbers) to splice in.
public struct Mutator: Sendable {
  /// Numbers at the edges of `Int`, `Int32`, `Float` and the spec limits, and non-numbers.
  public static let interestingValues = [
    "0", "-1", "1", "2", "255", "256", "65536", "65537", "16777217", "2147483647", "2147483648",
    "-2147483648", "4294967296", "4611686018427387904", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "3037000500", "1e39", "-1e39", "1e-46", "nan", ".nan", ".inf", "-.inf", "1e308",
    "0.5", "-0",
  ]

  public var random: RandomGenerator
  public let dictionary: [[UInt8]]
  /// Inputs grow by insertion and splicing; this bounds them so one iteration stays fast.
  public let maximumLength: Int

  /// Words written over binary fields (sizes, dimensions, floats): zero, one, all ones, the sign
  /// bit, and the largest values of each width.
  static let interestingWords: [[UInt8]] = [
    [0], [1], [0x7F], [0x80], [0xFF], [0, 0], [0xFF, 0xFF], [0x7F, 0xFF], [0, 0, 0, 0], [0, 0, 0, 1],
    [1, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F],
    [0x80, 0, 0, 0], [0, 0, 0x80, 0x7F], [0, 0, 0xC0, 0x7F],
    [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0, 0, 0, 0, 0, 0, 0xF8, 0x7F],
  ]

  public init(seed: UInt64, dictionary: [String], maximumLength: Int = 8192) {
    self.init(seed: seed, tokens: dictionary.map { Array($0.utf8) }, maximumLength: maximumLength)
  }

  public init(seed: UInt64, tokens: [[UInt8]], maximumLength: Int = 8192) {
    random = RandomGenerator(seed: seed)
    self.dictionary = tokens + Self.interestingValues.map { Array($0.utf8) }
    self.maximumLength = maximumLength
  }

  mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(random.next() % UInt64(bound)) }

  /// One to four mutations of `input`; `corpus` supplies material to splice from.
  public mutating func mutate(_ input: [UInt8], corpus: [[UInt8]]) -> [UInt8] {
    var bytes = input
    for _ in 0..<(1 + below(4)) {
      mutateOnce(&bytes, corpus: corpus)
    }
    if bytes.count > maximumLength { bytes.removeLast(bytes.count - maximumLength) }
    return bytes
  }

  mutating func mutateOnce(_ bytes: inout [UInt8], corpus: [[UInt8]]) {
    let position = below(bytes.count + 1)
    switch below(10) {
    case 0:  // flip one bit
      if position < bytes.count { bytes[position] ^= 1 << UInt8(below(8)) }
    case 1:  // insert a random byte
      bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
    case 2:  // delete a short range
      let count = min(1 + below(8), bytes.count - position)
      if count > 0 { bytes.removeSubrange(position..<(position + count)) }
    case 3, 4:  // insert a token of the dictionary
      bytes.insert(contentsOf: dictionary[below(dictionary.count)], at: position)
    case 5:  // replace a number by an interesting one
      replaceNumber(&bytes, near: position)
    case 6:  // splice a piece of another input
      guard let other = corpus.isEmpty ? nil : corpus[below(corpus.count)], !other.isEmpty else { return }
      let start = below(other.count)
      let end = min(other.count, start + 1 + below(64))
      bytes.insert(contentsOf: other[start..<end], at: position)
    case 7:  // duplicate a range (deeper nesting, longer lists)
      let count = min(1 + below(32), bytes.count - position)
      if count > 0 { bytes.insert(contentsOf: bytes[position..<(position + count)], at: position) }
    case 8:  // overwrite a binary field with an interesting word
      let word = Self.interestingWords[below(Self.interestingWords.count)]
      guard position + word.count <= bytes.count else { return }
      bytes.replaceSubrange(position..<(position + word.count), with: word)
    default:  // truncate
      bytes.removeSubrange(position..<bytes.count)
    }
  }

  mutating func replaceNumber(_ bytes: inout [UInt8], near position: Int) {
    func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    guard
      let start = (position..<bytes.count).first(where: { isDigit(bytes[$0]) })
        ?? (0..<min(position, bytes.count)).last(where: { isDigit(bytes[$0]) })
    else { return }
    var lower = start
    while lower > 0, isDigit(bytes[lower - 1]) || bytes[lower - 1] == 46 { lower -= 1 }
    var upper = start
    while upper < bytes.count, isDigit(bytes[upper]) || bytes[upper] == 46 { upper += 1 }
    let value = Self.interestingValues[below(Self.interestingValues.count)]
    bytes.replaceSubrange(lower..<upper, with: Array(value.utf8))
  }
}
