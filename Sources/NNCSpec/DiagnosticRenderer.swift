/// Renders diagnostics the way swiftc and clang do: `path:line:col: severity: message`, the source
/// line with a gutter, and a caret with tildes under the construct.
public struct DiagnosticRenderer: Sendable {
  /// Source texts by file path, used to quote the offending line.
  public var sources: [String: String]

  public init(sources: [String: String] = [:]) {
    self.sources = sources
  }

  /// Renders in source order (file, line, column), so the output reads top to bottom like the file.
  public func render(_ diagnostics: [Diagnostic]) -> String {
    let ordered = diagnostics.enumerated().sorted { lhs, rhs in
      let a = lhs.element.location
      let b = rhs.element.location
      let keyA = (a?.file ?? "", a?.line ?? 0, a?.column ?? 0)
      let keyB = (b?.file ?? "", b?.line ?? 0, b?.column ?? 0)
      if keyA != keyB { return keyA < keyB }
      return lhs.offset < rhs.offset
    }
    return ordered.map { render($0.element) }.joined()
  }

  public func render(_ diagnostic: Diagnostic) -> String {
    var out = ""
    appendHeader(diagnostic, to: &out)
    for note in diagnostic.notes {
      appendHeader(note, to: &out)
    }
    return out
  }

  private func appendHeader(_ diagnostic: Diagnostic, to out: inout String) {
    if let location = diagnostic.location, location.isKnown {
      out += "\(location.file):\(location.line):\(location.column): "
      out += "\(diagnostic.severity.rawValue): \(diagnostic.message)\n"
      if diagnostic.severity != .note || diagnostic.notes.isEmpty {
        appendExcerpt(at: location, to: &out, withSource: diagnostic.severity != .note)
      }
    } else if let location = diagnostic.location, location.file != SourceLocation.unknown.file {
      out += "\(location.file): \(diagnostic.severity.rawValue): \(diagnostic.message)\n"
    } else {
      out += "\(diagnostic.severity.rawValue): \(diagnostic.message)\n"
    }
  }

  private func appendExcerpt(at location: SourceLocation, to out: inout String, withSource: Bool) {
    guard withSource, let text = sources[location.file] else { return }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard location.line >= 1, location.line <= lines.count else { return }
    let line = String(lines[location.line - 1]).replacingTabs()
    let number = String(location.line)
    let gutter = String(repeating: " ", count: max(4, number.count + 1))
    let paddedNumber = String(repeating: " ", count: gutter.count - number.count) + number
    out += "\(paddedNumber) | \(line)\n"
    let column = min(max(1, location.column), line.count + 1)
    let available = max(1, line.count - column + 1)
    let length = min(location.length, available)
    let marker = "^" + String(repeating: "~", count: max(0, length - 1))
    out += "\(gutter) | \(String(repeating: " ", count: column - 1))\(marker)\n"
  }
}

extension String {
  fileprivate func replacingTabs() -> String {
    // A tab would misalign the caret; a single space keeps columns counted in characters.
    String(map { $0 == "\t" ? " " : $0 })
  }
}
