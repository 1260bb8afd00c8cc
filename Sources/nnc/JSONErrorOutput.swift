import Foundation
import NNCSpec

/// `--format json` on failure: a command that fails (an invalid spec, missing data, a training
/// error) still prints one JSON object on standard output, `{"event": "error", "message",
/// "diagnostics": [{"severity", "message", "file", "line", "column"}]}`, besides the text on standard
/// error, and exits 1, so a script reading standard output always gets JSON.
enum JSONErrorOutput {
  /// Set by a command run with `--format json`; one command runs per process.
  nonisolated(unsafe) static var isEnabled = false

  struct Entry: Encodable {
    var severity: String
    var message: String
    var file: String?
    var line: Int?
    var column: Int?
  }

  struct Report: Encodable {
    var event = "error"
    var message: String
    var diagnostics: [Entry]
  }

  static func enable(_ format: OutputFormat) { isEnabled = format == .json }

  /// Prints the report when enabled; `diagnostics` are the spec's (warnings and notes included).
  static func report(message: String, diagnostics: [Diagnostic] = []) {
    guard isEnabled else { return }
    var entries = diagnostics.map {
      Entry(
        severity: $0.severity.rawValue, message: $0.message, file: $0.location?.file, line: $0.location?.line,
        column: $0.location?.column)
    }
    if entries.isEmpty { entries = [Entry(severity: "error", message: message)] }
    guard let line = try? jsonLine(Report(message: message, diagnostics: entries)) else { return }
    Console.standardOutput(line + "\n")
  }
}
