import Foundation
import Testing

@testable import NNCSpec

/// Parses spec text the way the CLI does (front end, then positional resolution).
func parseSpec(_ text: String, syntax: SpecLoader.Syntax, file: String? = nil) -> (Spec?, [Diagnostic]) {
  SpecLoader.parse(text: text, path: file ?? "test.\(syntax.rawValue)", syntax: syntax)
}

/// The errors among `diagnostics`, rendered one per line for readable test failures.
func errorMessages(_ diagnostics: [Diagnostic]) -> [String] {
  diagnostics.filter { $0.severity == .error }.map(\.message)
}

/// The repository root, found from this file's path (Tests/NNCSpecTests/<file>).
func repositoryRoot(_ filePath: String = #filePath) -> URL {
  URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
}

/// Every spec file in Specs/ and its sub-folders (Specs/transfer/) with the given extension, sorted
/// by relative path.
func specFiles(withExtension ext: String) -> [URL] {
  let directory = repositoryRoot().appendingPathComponent("Specs")
  let names = FileManager.default.subpaths(atPath: directory.path) ?? []
  return names.filter { $0.hasSuffix("." + ext) }.sorted().map { directory.appendingPathComponent($0) }
}

/// Prints `spec` in `syntax`.
func printSpec(_ spec: Spec, as syntax: SpecLoader.Syntax) -> String {
  syntax == .yaml ? SpecPrinter.yaml(spec) : SpecPrinter.nnc(spec)
}

/// Parses `text` (AST A), prints it in the other syntax and parses that (B), prints B back in the
/// original syntax and parses that (C). Records an issue naming `label` unless A == B == C and every
/// step is free of diagnostics.
func checkRoundTrip(_ text: String, syntax: SpecLoader.Syntax, label: String) {
  let other: SpecLoader.Syntax = syntax == .yaml ? .nnc : .yaml
  let (first, firstDiagnostics) = parseSpec(text, syntax: syntax)
  guard let a = first, firstDiagnostics.isEmpty else {
    Issue.record("\(label): the original does not parse cleanly: \(errorMessages(firstDiagnostics))")
    return
  }
  let translated = printSpec(a, as: other)
  let (second, secondDiagnostics) = parseSpec(translated, syntax: other)
  guard let b = second, secondDiagnostics.isEmpty else {
    Issue.record(
      "\(label): the \(other.rawValue) translation does not parse: \(errorMessages(secondDiagnostics))\n\(translated)"
    )
    return
  }
  #expect(a == b, "\(label): the \(other.rawValue) translation differs:\n\(translated)")
  let back = printSpec(b, as: syntax)
  let (third, thirdDiagnostics) = parseSpec(back, syntax: syntax)
  guard let c = third, thirdDiagnostics.isEmpty else {
    Issue.record(
      "\(label): printed back as \(syntax.rawValue) it does not parse: \(errorMessages(thirdDiagnostics))\n\(back)"
    )
    return
  }
  #expect(b == c, "\(label): printed back as \(syntax.rawValue) it differs:\n\(back)")
}
