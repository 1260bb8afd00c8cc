/// "Did you mean" candidates by edit distance.
public enum Suggestions {
  /// The closest candidate if it is close enough to be a plausible typo.
  public static func closest(to word: String, in candidates: [String]) -> String? {
    let limit = max(1, word.count / 3)
    var best: (String, Int)?
    for candidate in candidates.sorted() {
      let distance = editDistance(word.lowercased(), candidate.lowercased())
      if distance <= limit, distance < (best?.1 ?? Int.max) {
        best = (candidate, distance)
      }
    }
    if let best { return best.0 }
    // A prefix or a word with separators removed (`maxpool2d`, `batch_norm`) is also a likely intent.
    let squashed = word.lowercased().filter { $0 != "_" }
    return candidates.sorted().first {
      let other = $0.filter { $0 != "_" }
      return other.count >= 3
        && (squashed.hasPrefix(other) || other.hasPrefix(squashed) && squashed.count >= 3)
    }
  }

  public static func didYouMean(_ word: String, in candidates: [String]) -> String {
    if let match = closest(to: word, in: candidates) { return "; did you mean '\(match)'?" }
    return ""
  }

  /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
  /// transpositions ('dnese' is one slip from 'dense').
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[a.count][b.count]
  }
}
