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
    case .yaml:
      parsed = YAMLReader.read(text: text, file: path, diagnostics: &bag)
      if let spec = parsed, let location = DSLNestingDepth.firstTooDeep(in: spec) {
        // The parser of the other syntax would refuse this spec's `.nnc` form; refuse it here too.
        bag.error("the spec nests deeper than \(DSLParser.maximumDepth) levels", at: location)
        return (nil, bag.diagnostics)
      }
    case .nnc: parsed = DSLParser.parse(text: text, file: path, diagnostics: &bag)
    }
    var resolved = parsed?.resolvingPositionalArguments(into: &bag)
    resolved?.comments = SpecComments.scan(text, syntax: syntax)
    return (resolved, bag.diagnostics)
  }

  /// Reads and parses a file; an unreadable file is a diagnostic, not a crash.
  public static func load(path: String) -> (Spec?, [Diagnostic], String?) {
    guard let data = FileManager.default.contents(atPath: path) else {
      return (nil, [.error("cannot read spec file '\(path)'", at: nil)], nil)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      let (location, byte) = firstInvalidUTF8(in: Array(data), file: path)
      let hex = "0x" + String(byte, radix: 16, uppercase: true)
      return (
        nil,
        [
          .error(
            "spec file '\(path)' is not valid UTF-8 text: byte \(hex) at line \(location.line), column "
              + "\(location.column) does not start a complete UTF-8 character", at: location)
        ], nil
      )
    }
    let (spec, diagnostics) = parse(text: text, path: path)
    return (spec, diagnostics, text)
  }

  /// Where the first byte that does not decode as UTF-8 is, and its value: its 1-based line, and
  /// its column counted in Unicode scalars as the lexers count them. `bytes` must hold invalid UTF-8.
  static func firstInvalidUTF8(in bytes: [UInt8], file: String) -> (SourceLocation, UInt8) {
    var line = 1
    var column = 1
    var offset = 0
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while case .scalarValue(let scalar) = decoder.decode(&iterator) {
      offset += UTF8.width(scalar)
      if scalar == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    return (SourceLocation(file: file, line: line, column: column), offset < bytes.count ? bytes[offset] : 0)
  }
}
