import Foundation
import NNCFuzz

/// `nnc-fuzz TARGET [SECONDS] [SEED] [CORPUS-DIR]`: mutates the target's corpus in process for
/// SECONDS (default 60). Each input is first written to `fuzz-current-TARGET`; a crash leaves it there
/// and `scripts/fuzz` keeps it as `fuzz-crash-TARGET-N`. `nnc-fuzz TARGET --replay FILE...` runs files.
let arguments = CommandLine.arguments.dropFirst().map { $0 }
let usage =
  "usage: nnc-fuzz TARGET [SECONDS] [SEED] [CORPUS-DIR] | nnc-fuzz TARGET --replay FILE...\n"
  + "targets: " + FuzzTarget.all.map(\.name).joined(separator: ", ") + "\n"
guard let name = arguments.first, let target = FuzzTarget.named(name) else {
  FileHandle.standardError.write(Data(usage.utf8))
  exit(2)
}
if arguments.count >= 2, arguments[1] == "--replay" {
  for file in arguments.dropFirst(2) {
    guard let data = FileManager.default.contents(atPath: file) else {
      FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
      exit(2)
    }
    let start = Date()
    target.run(Array(data))
    print("\(file): ok in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
  }
  exit(0)
}
let seconds = arguments.count >= 2 ? Double(arguments[1]) ?? 60 : 60
let seed = arguments.count >= 3 ? UInt64(arguments[2]) ?? 1 : 1
let corpusDirectory = arguments.count >= 4 ? arguments[3] : "Tests/Fuzz/corpus/\(name)"
let corpus = FuzzRun.loadCorpus(corpusDirectory)
if corpus.isEmpty {
  FileHandle.standardError.write(
    Data("warning: no corpus in \(corpusDirectory); starting from nothing\n".utf8))
}
let currentInput = "fuzz-current-\(name)"
var run = FuzzRun(target: target, corpus: corpus, seed: seed, currentInputPath: currentInput)
let report = run.run(seconds: seconds)
try? FileManager.default.removeItem(atPath: currentInput)
print(
  "\(name): \(report.inputs) inputs in \(Int(seconds)) s (seed \(seed)), no crash; slowest input "
    + String(format: "%.3f", report.slowest.seconds) + " s")
if report.slowest.seconds > run.slowInputSeconds {
  let path = "fuzz-slow-\(name)-\(seed)"
  FileManager.default.createFile(atPath: path, contents: Data(report.slowest.input))
  print("slow input written to \(path)")
  exit(3)
}
