import Foundation
import Testing

@testable import NNCFuzz

/// A short, deterministic fuzzing run of every front-end target inside the suite, and every input
/// that ever crashed or hung a target (Tests/Fuzz/regressions/TARGET) run again.
@Suite struct FuzzTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func directory(_ kind: String, _ target: String) -> String {
    root.appendingPathComponent("Tests/Fuzz/\(kind)/\(target)").path
  }

  @Test(arguments: FuzzTarget.all.map(\.name))
  func shortSeededRun(_ name: String) throws {
    let target = try #require(FuzzTarget.named(name))
    let corpus = FuzzRun.loadCorpus(Self.directory("corpus", name))
    #expect(!corpus.isEmpty)
    var run = FuzzRun(target: target, corpus: corpus, seed: 20_261_203)
    let report = run.run(iterations: corpus.count + 300)
    #expect(report.inputs == corpus.count + 300)
    #expect(
      report.slowest.seconds < 2, "slowest input: \(String(decoding: report.slowest.input, as: UTF8.self))")
  }

  static var regressions: [String] {
    FuzzTarget.all.flatMap { target in
      ((try? FileManager.default.contentsOfDirectory(atPath: directory("regressions", target.name))) ?? [])
        .sorted().map { "\(target.name)/\($0)" }
    }
  }

  @Test func everyTargetHasRegressions() {
    #expect(
      Set(Self.regressions.map { $0.prefix { $0 != "/" } }) == Set(FuzzTarget.all.map { Substring($0.name) }))
  }

  @Test(arguments: regressions)
  func regressionRunsQuickly(_ file: String) throws {
    let target = try #require(FuzzTarget.named(String(file.prefix { $0 != "/" })))
    let data = try #require(
      FileManager.default.contents(atPath: Self.root.path + "/Tests/Fuzz/regressions/" + file))
    let start = Date()
    target.run(Array(data))
    #expect(Date().timeIntervalSince(start) < 2)
  }

  @Test func mutatorIsDeterministic() {
    let seed: [UInt8] = Array("model: {input: [4], layers: [{dense: 2}]}".utf8)
    var first = Mutator(seed: 7, dictionary: ["relu"])
    var second = Mutator(seed: 7, dictionary: ["relu"])
    var other = Mutator(seed: 8, dictionary: ["relu"])
    let a = (0..<50).map { _ in first.mutate(seed, corpus: [seed]) }
    let b = (0..<50).map { _ in second.mutate(seed, corpus: [seed]) }
    let c = (0..<50).map { _ in other.mutate(seed, corpus: [seed]) }
    #expect(a == b)
    #expect(a != c)
    #expect(a.allSatisfy { $0.count <= first.maximumLength })
  }
}
