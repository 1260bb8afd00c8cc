import Foundation

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

/// Every spec file in Specs/ with the given extension, sorted by name.
func specFiles(withExtension ext: String) -> [URL] {
  let directory = repositoryRoot().appendingPathComponent("Specs")
  let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
  return names.filter { $0.hasSuffix("." + ext) }.sorted().map { directory.appendingPathComponent($0) }
}
