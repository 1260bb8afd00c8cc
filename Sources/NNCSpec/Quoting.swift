/// A double-quoted string with the escapes YAML, the DSL and JSON share (`\" \\ \n \t \r`); every
/// other scalar is written as is unless `escape` returns its spelling in the target syntax.
func doubleQuoted(_ text: String, escape: (Unicode.Scalar) -> String?) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    default:
      if let escaped = escape(scalar) {
        out += escaped
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}

/// A JSON string literal: other control characters as `\u00XX`, everything else as is.
public func jsonQuoted(_ text: String) -> String {
  doubleQuoted(text) { scalar in
    guard scalar.value < 0x20 else { return nil }
    let hex = String(scalar.value, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
  }
}
