/// A double-quoted string with the escapes both syntaxes share (`\" \\ \n \t \r \0`); every other
/// scalar is written as is unless `escape` returns its spelling in the target syntax.
func doubleQuoted(_ text: String, escape: (Unicode.Scalar) -> String?) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    case "\0": out += "\\0"
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
