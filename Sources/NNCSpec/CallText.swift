extension Call {
  /// The call as written in the .nnc syntax, leading arguments positional when they follow
  /// `positional` in order: `conv2d(64, 3, stride: 2)`. Used in messages and summaries.
  public func sourceText(positional: [String]) -> String {
    if arguments.isEmpty { return name }
    var positionalLeft = positional[...]
    let parts = arguments.map { argument -> String in
      if let label = argument.label, positionalLeft.first == label {
        positionalLeft.removeFirst()
        return argument.value.sourceText
      }
      positionalLeft = []
      return "\(argument.label ?? "_"): \(argument.value.sourceText)"
    }
    return "\(name)(\(parts.joined(separator: ", ")))"
  }
}

extension Expr {
  /// The value as written in the .nnc syntax (bare words unquoted), for messages.
  public var sourceText: String {
    switch kind {
    case .string(let value): return value
    case .list(let items): return "[" + items.map(\.sourceText).joined(separator: ", ") + "]"
    default: return displayText
    }
  }
}
