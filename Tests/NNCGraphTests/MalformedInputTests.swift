import Foundation
import NNCRandom
import NNCSpec
import Testing

@testable import NNCGraph

/// Malformed specs of any kind must give diagnostics, never a crash or a hang: random edits of real
/// specs go through both front ends and lowering.
@Suite struct MalformedInputTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static let specs = ["lenet5.yaml", "lenet5.nnc", "mlp.yaml", "inception_mini.yaml", "xception_mini.yaml"]

  static let fragments = [
    "{", "}", "[", "]", ":", ",", "-", "$", "\"", "(", ")", "residual", "concat", "repeat", "0", "-1",
    "99999999999999999999", "1e400", "\n", "  ", "\t", "#", "&a", "*a", "!!str", "nan", "~",
  ]

  @Test(arguments: specs)
  func randomEditsNeverCrash(_ name: String) throws {
    let original = try String(contentsOf: Self.root.appendingPathComponent("Specs/\(name)"), encoding: .utf8)
    var rng = RandomGenerator(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
    var reported = 0
    for _ in 0..<150 {
      var characters = Array(original)
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        let position = Int(rng.next() % UInt64(characters.count + 1))
        switch rng.next() % 4 {
        case 0:
          characters.insert(
            contentsOf: Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))], at: position)
        case 1: if position < characters.count { characters.remove(at: position) }
        case 2: characters = Array(characters.prefix(position))
        default:
          if position < characters.count {
            characters[position] = Character(UnicodeScalar(UInt8(rng.next() % 128)))
          }
        }
      }
      let text = String(characters)
      let (spec, diagnostics) = SpecLoader.parse(text: text, path: name)
      var all = diagnostics
      if let spec { all += Lowering.lower(spec).diagnostics }
      if all.contains(where: { $0.severity == .error }) { reported += 1 }
      // Every diagnostic renders, with its excerpt, without trapping.
      _ = DiagnosticRenderer(sources: [name: text]).render(all)
    }
    #expect(reported > 0)
  }

  @Test func aliasBombIsRefused() {
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in 1..<9 {
      text +=
        "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
        + "]\n"
    }
    text += "model: {input: [4], layers: [relu]}\ndata: *a8\n"
    let (_, diagnostics) = SpecLoader.parse(text: text, path: "bomb.yaml")
    #expect(diagnostics.contains { $0.severity == .error })
  }
}
