/// A `#` comment of a spec file, kept so that `nnc fmt` prints it again beside what it was written
/// next to.
public struct SpecComment: Sendable, Equatable {
  /// The 1-based line it is on.
  public var line: Int
  /// The text after `#`, trailing whitespace removed.
  public var text: String
  /// Written after code on its line (otherwise on a line of its own).
  public var trailing: Bool

  public init(line: Int, text: String, trailing: Bool) {
    self.line = line
    self.text = text
    self.trailing = trailing
  }
}

/// Finding the comments of a spec's text, and putting them back into printed text.
///
/// The printers mark each line they start for an element of the spec with the source line of that
/// element; `interleave` then puts a comment of its own line before the first printed line whose
/// element comes next in the source, and a trailing comment after the line printing the element on
/// its line (or, when no printed line starts with that element, before the line that holds it).
/// Printing the result again finds every comment where it was put, so `nnc fmt` is idempotent.
public enum SpecComments {
  /// The comments of `text`: in YAML a `#` at the start of a line or after whitespace, outside quoted
  /// scalars; in `.nnc` a `#` outside a string.
  public static func scan(_ text: String, syntax: SpecLoader.Syntax) -> [SpecComment] {
    var comments: [SpecComment] = []
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let characters = Array(line)
      var quote: Character?
      var escaped = false
      var position = 0
      while position < characters.count {
        let character = characters[position]
        let previous: Character? = position > 0 ? characters[position - 1] : nil
        if let open = quote {
          if escaped {
            escaped = false
          } else if character == "\\", open == "\"" {
            escaped = true
          } else if character == open {
            quote = nil
          }
        } else if character == "\"" || (character == "'" && syntax == .yaml) {
          // In YAML a quote opens a scalar only where a value starts (`don't` is a plain word).
          if syntax == .nnc || previous.map({ $0 == " " || $0 == "\t" || "[{,:-".contains($0) }) ?? true {
            quote = character
          }
        } else if character == "#", syntax == .nnc || previous.map({ $0 == " " || $0 == "\t" }) ?? true {
          let before = characters[..<position].contains { $0 != " " && $0 != "\t" }
          var body = String(characters[(position + 1)...])
          while let last = body.last, last == " " || last == "\t" || last == "\r" { body.removeLast() }
          comments.append(SpecComment(line: index + 1, text: body, trailing: before))
          break
        }
        position += 1
      }
    }
    return comments
  }

  /// Whether a comment lies after line `first` and within `expr` (which starts there): printing
  /// `expr` on one line would move it away from its item, so printers break such a value over lines.
  static func inside(_ expr: Expr, from first: SourceLocation?, _ comments: [SpecComment]) -> Bool {
    guard let first, first.isKnown, !comments.isEmpty else { return false }
    let last = lastLine(expr)
    return comments.contains { $0.line > first.line && $0.line <= last }
  }

  /// The last source line an expression's parts are written on.
  static func lastLine(_ expr: Expr) -> Int {
    switch expr.kind {
    case .list(let elements):
      return elements.map(lastLine).max().map { max($0, expr.location.line) } ?? expr.location.line
    case .map(let entries):
      return entries.map { max($0.keyLocation.line, lastLine($0.value)) }.max().map {
        max($0, expr.location.line)
      }
        ?? expr.location.line
    default: return expr.location.line
    }
  }

  /// Marks never occur in printed text: both printers escape NUL in strings.
  static let markDelimiter: Character = "\0"

  /// `line` with a mark after its indentation saying that it prints the element at source line
  /// `source` (nothing for an element that came from no file).
  static func mark(_ line: String, _ source: SourceLocation?) -> String {
    guard let source, source.isKnown else { return line }
    let indentation = line.prefix { $0 == " " }
    return indentation + "\0\(source.line)\0" + line.dropFirst(indentation.count)
  }

  /// The printed lines without their marks, with `comments` put back (written with `#`).
  static func interleave(_ marked: [String], _ comments: [SpecComment]) -> [String] {
    var lines: [String] = []
    var tags: [Int?] = []
    for line in marked {
      var text = ""
      var tag: Int?
      var inMark = false
      var number = ""
      for character in line {
        if character == markDelimiter {
          if inMark, tag == nil { tag = Int(number) }
          inMark.toggle()
          number = ""
        } else if inMark {
          number.append(character)
        } else {
          text.append(character)
        }
      }
      lines.append(text)
      tags.append(tag)
    }
    var before: [[String]] = Array(repeating: [], count: lines.count + 1)
    var after: [String] = Array(repeating: "", count: lines.count)
    /// The first printed line of the element written nearest before (`below`) or after line `line`.
    func nearest(_ line: Int, below: Bool) -> Int? {
      let lines = tags.compactMap { $0 }.filter { below ? $0 < line : $0 > line }
      guard let target = below ? lines.max() : lines.min() else { return nil }
      return tags.firstIndex { $0 == target }
    }
    for comment in comments {
      if comment.trailing, let index = tags.firstIndex(where: { $0 == comment.line }) {
        after[index] += "  #" + comment.text
        continue
      }
      // A trailing comment of an element printed inside another line goes before that line; a comment
      // of its own line goes before the element that follows it.
      let anchor =
        (comment.trailing ? nearest(comment.line, below: true) : nil) ?? nearest(comment.line, below: false)
        ?? lines.count
      let indentation = anchor < lines.count ? String(lines[anchor].prefix { $0 == " " }) : ""
      before[anchor].append(indentation + "#" + comment.text)
    }
    var out: [String] = []
    for index in lines.indices {
      out += before[index]
      out.append(lines[index] + after[index])
    }
    return out + before[lines.count]
  }
}
