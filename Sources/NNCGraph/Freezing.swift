import NNCSpec

/// Layer-name patterns with `*` (any run of characters, `/` included) and `?` (one character), as
/// used by `train.freeze` and `train.lr_multipliers`.
public enum NamePattern {
  public static func matches(_ pattern: String, _ name: String) -> Bool {
    let p = Array(pattern)
    let n = Array(name)
    // Iterative wildcard matching with backtracking to the last star: linear in practice.
    var i = 0
    var j = 0
    var star = -1
    var resume = 0
    while j < n.count {
      if i < p.count, p[i] == "?" || p[i] == n[j] {
        i += 1
        j += 1
      } else if i < p.count, p[i] == "*" {
        star = i
        resume = j
        i += 1
      } else if star >= 0 {
        i = star + 1
        resume += 1
        j = resume
      } else {
        return false
      }
    }
    while i < p.count, p[i] == "*" { i += 1 }
    return i == p.count
  }
}

extension Graph {
  /// Marks the parameters of every layer whose name matches a `train.freeze` pattern as
  /// non-trainable; a pattern that matches nothing is a warning at its location.
  mutating func freeze(_ patterns: [Expr], into diagnostics: inout DiagnosticBag) {
    for pattern in patterns {
      guard case .string(let text) = pattern.kind else { continue }
      var matched = false
      for index in nodes.indices where NamePattern.matches(text, nodes[index].name) {
        matched = true
        nodes[index].isFrozen = true
        for parameter in nodes[index].parameters.indices {
          nodes[index].parameters[parameter].trainable = false
        }
      }
      if !matched {
        diagnostics.warning(
          "freeze pattern '\(text)' matches no layer",
          at: pattern.location,
          notes: [.note("layer names are shown by 'nnc check'; '*' matches any characters, '?' one")])
      }
    }
  }
}
