/// An indented dump of the AST (`nnc check --emit ast`), with the location of every node, to see
/// exactly what a front end produced.
public enum ASTPrinter {
  public static func print(_ spec: Spec) -> String {
    var out = ""
    func line(_ depth: Int, _ text: String, _ location: SourceLocation?) {
      let at = location.map { $0.isKnown ? "  @\($0.line):\($0.column)" : "" } ?? ""
      out += String(repeating: "  ", count: depth) + text + at + "\n"
    }
    func expr(_ value: Expr) -> String {
      switch value.kind {
      case .int(let v): return "int \(v)"
      case .double(let v): return "double \(v)"
      case .bool(let v): return "bool \(v)"
      case .string(let v): return "string \"\(v)\""
      case .reference(let v): return "ref $\(v)"
      case .list(let items): return "list [" + items.map(expr).joined(separator: ", ") + "]"
      case .map(let entries):
        return "map {" + entries.map { "\($0.key): \(expr($0.value))" }.joined(separator: ", ") + "}"
      }
    }
    func call(_ depth: Int, _ kind: String, _ value: Call) {
      line(depth, "\(kind) \(value.name)", value.location)
      for argument in value.arguments {
        line(depth + 1, "arg \(argument.label ?? "_") = \(expr(argument.value))", argument.labelLocation)
      }
    }
    func layers(_ depth: Int, _ list: [Layer]) {
      for layer in list {
        switch layer.kind {
        case .call(let value): call(depth, "layer", value)
        case .residual(let main, let shortcut):
          line(depth, "residual", layer.location)
          line(depth + 1, "main", nil)
          layers(depth + 2, main)
          if let shortcut {
            line(depth + 1, "shortcut", nil)
            layers(depth + 2, shortcut)
          }
        case .concat(let branches):
          line(depth, "concat", layer.location)
          for branch in branches {
            line(depth + 1, "branch", branch.location)
            layers(depth + 2, branch.layers)
          }
        case .repeat(let count, let body):
          line(depth, "repeat \(expr(count))", layer.location)
          layers(depth + 1, body)
        }
      }
    }
    if let model = spec.model {
      line(0, "model \(model.name ?? "")", model.location)
      if let input = model.input { line(1, "input \(expr(input))", input.location) }
      layers(1, model.layers)
    }
    for block in spec.blocks {
      line(0, "block \(block.name)", block.location)
      for parameter in block.parameters {
        line(
          1, "param \(parameter.name)" + (parameter.defaultValue.map { " = " + expr($0) } ?? ""),
          parameter.location)
      }
      layers(1, block.layers)
    }
    if let data = spec.data { line(0, "data \(expr(data))", data.location) }
    for augmentation in spec.augment ?? [] { call(0, "augment", augmentation) }
    if let loss = spec.loss { call(0, "loss", loss) }
    if let optimizer = spec.optimizer { call(0, "optimizer", optimizer) }
    for metric in spec.metrics ?? [] { call(0, "metric", metric) }
    if let train = spec.train { line(0, "train \(expr(train))", train.location) }
    return out
  }
}
