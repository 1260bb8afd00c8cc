import Foundation

/// One run of a target: mutants of the corpus, generated from a seed, until an iteration count or a
/// time limit. Before each input runs it is written to `currentInputPath` (when set), so an input
/// that kills the process is left behind as the reproducer.
public struct FuzzRun {
  public let target: FuzzTarget
  public var corpus: [[UInt8]]
  public var mutator: Mutator
  public var currentInputPath: String?
  /// Inputs slower than this are reported: the front ends must stay fast on any input.
  public var slowInputSeconds = 1.0

  public init(target: FuzzTarget, corpus: [[UInt8]], seed: UInt64, currentInputPath: String? = nil) {
    self.target = target
    self.corpus = corpus.isEmpty ? [[]] : corpus
    self.mutator = Mutator(seed: seed, tokens: target.tokens)
    self.currentInputPath = currentInputPath
  }

  public struct Report: Sendable {
    public var inputs = 0
    /// The slowest input and its duration in seconds.
    public var slowest: (input: [UInt8], seconds: Double) = ([], 0)
  }

  /// Runs every corpus input once, then mutants until `iterations` or `seconds` run out.
  public mutating func run(iterations: Int = .max, seconds: Double = .infinity) -> Report {
    var report = Report()
    let start = Date()
    for input in corpus { execute(input, &report) }
    while report.inputs < iterations, Date().timeIntervalSince(start) < seconds {
      let parent = corpus[mutator.below(corpus.count)]
      let input = mutator.mutate(parent, corpus: corpus)
      execute(input, &report)
      // Keeping some mutants lets mutations stack, reaching inputs far from the seeds.
      if mutator.below(16) == 0 { corpus.append(input) }
    }
    return report
  }

  mutating func execute(_ input: [UInt8], _ report: inout Report) {
    if let currentInputPath {
      FileManager.default.createFile(atPath: currentInputPath, contents: Data(input))
    }
    let start = Date()
    target.run(input)
    let seconds = Date().timeIntervalSince(start)
    report.inputs += 1
    if seconds > report.slowest.seconds { report.slowest = (input, seconds) }
  }

  /// The files of a corpus folder, in name order.
  public static func loadCorpus(_ directory: String) -> [[UInt8]] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.sorted().compactMap { name in
      FileManager.default.contents(atPath: directory + "/" + name).map { Array($0) }
    }
  }
}
