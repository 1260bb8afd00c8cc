import Foundation

/// Reads a spec file in either syntax, chosen by extension.
public enum SpecLoader {
  public enum Syntax: String, Sendable {
    case yaml
    case nnc

    public init?(path: String) {
      let lower = path.lowercased()
      if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
        self = .yaml
      } else if lower.hasSuffix(".nnc") {
        self = .nnc
      } else {
        return nil
      }
    }
  }

  /// Parses `text` as the syntax of `path`. Returns `nil` when the file could not be read into an AST
  /// at all; diagnostics explain why.
  public static func parse(text: String, path: String, syntax: Syntax? = nil) -> (Spec?, [Diagnostic]) {
    guard let syntax = syntax ?? Syntax(path: path) else {
      return (
        nil,
        [
          .error(
            "cannot tell the syntax of '\(path)': expected a .yaml, .yml or .nnc file",
            at: SourceLocation(file: path, line: 0, column: 0))
        ]
      )
    }
    var bag = DiagnosticBag()
    let parsed: Spec?
    switch syntax {
    case .yaml: parsed = YAMLReader.read(text: text, file: path, diagnostics: &bag)
    case .nnc: parsed = DSLParser.parse(text: text, file: path, diagnostics: &bag)
    }
    let resolved = parsed?.resolvingPositionalArguments(into: &bag)
    return (resolved, bag.diagnostics)
  }

  /// Reads and parses a file; an unreadable file is a diagnostic, not a crash.
  public static func load(path: String) -> (Spec?, [Diagnostic], String?) {
    guard let data = FileManager.default.contents(atPath: path) else {
      return (nil, [.error("cannot read spec file '\(path)'", at: nil)], nil)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      return (nil, [.error("spec file '\(path)' is not valid UTF-8 text", at: nil)], nil)
    }
    let (spec, diagnostics) = parse(text: text, path: path)
    return (spec, diagnostics, text)
  }
}
